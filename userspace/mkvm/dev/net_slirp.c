// SPDX-License-Identifier: GPL-2.0
/*
 * net_slirp.c - user-mode networking for virtio-net (--net user): the
 * guest's Ethernet frames go to libslirp, the TCP/IP stack QEMU uses
 * (https://gitlab.freedesktop.org/slirp/libslirp), which turns them into
 * ordinary host sockets, so no root and no tap are needed.  The guest
 * network is libslirp's usual one: 10.0.2.0/24, the host (gateway) at
 * 10.0.2.2, DNS at 10.0.2.3, DHCP handing out 10.0.2.15 onwards; the
 * host's own loopback is reachable as 10.0.2.2.  hostfwd=tcp|udp:[ADDR]:
 * PORT-[GUEST]:GPORT forwards a host port into the guest.
 *
 * libslirp is not thread-safe, so it lives on a thread of its own, and
 * virtio-net does not know it is there: the two ends of an AF_UNIX
 * SOCK_DGRAM socketpair carry one frame per datagram, exactly as a tap
 * with IFF_NO_PI does, and virtio_net.c reads and writes the other end as
 * if it were its tap.  The thread polls that end, libslirp's sockets
 * (slirp_pollfds_fill/poll) and an eventfd libslirp kicks, and runs
 * libslirp's timers.
 *
 * Non-goals: IPv6, TFTP/BOOTP, guestfwd, restricted mode, saving state.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <slirp/libslirp.h>

#include "netuser.h"
#include "../mkvm.h"

#define MAX_POLL	512
#define FRAME_MAX	65536

struct ns_timer {
	SlirpTimerCb cb;
	void *opaque;
	int64_t expire_ms;	/* -1: not armed */
	struct ns_timer *next;
};

struct ns {
	Slirp *slirp;
	int fd;			/* our end of the socketpair */
	int kick;		/* eventfd: libslirp's notify() */
	struct pollfd pfd[MAX_POLL];
	int npfd;
	struct ns_timer *timers;
	uint8_t frame[FRAME_MAX];
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct ns *ns = opaque;

	/* A full socket drops the frame, as a busy wire would. */
	if (send(ns->fd, buf, len, MSG_DONTWAIT) < 0 && errno != EAGAIN)
		mkvm_dbg("net user: send: %s", strerror(errno));
	return len;
}

static void guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	mkvm_dbg("net user: guest error: %s", msg);
}

static int64_t clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct ns *ns = opaque;
	struct ns_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = ns->timers;
	ns->timers = t;
	return t;
}

static void timer_free(void *timer, void *opaque)
{
	struct ns *ns = opaque;

	for (struct ns_timer **pp = &ns->timers; *pp; pp = &(*pp)->next)
		if (*pp == timer) {
			*pp = (*pp)->next;
			free(timer);
			return;
		}
}

static void timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	((struct ns_timer *)timer)->expire_ms = expire_ms;
}

static void poll_fd_noop(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void notify(void *opaque)
{
	struct ns *ns = opaque;
	uint64_t one = 1;

	(void)!write(ns->kick, &one, sizeof(one));
}

static int add_poll(int fd, int events, void *opaque)
{
	struct ns *ns = opaque;
	struct pollfd *p;

	if (ns->npfd == MAX_POLL)
		return -1;
	p = &ns->pfd[ns->npfd];
	p->fd = fd;
	p->events = (events & SLIRP_POLL_IN ? POLLIN : 0) |
		    (events & SLIRP_POLL_OUT ? POLLOUT : 0) |
		    (events & SLIRP_POLL_PRI ? POLLPRI : 0);
	p->revents = 0;
	return ns->npfd++;
}

static int get_revents(int idx, void *opaque)
{
	struct ns *ns = opaque;
	short r;

	if (idx < 0 || idx >= ns->npfd)
		return 0;
	r = ns->pfd[idx].revents;
	return (r & POLLIN ? SLIRP_POLL_IN : 0) |
	       (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (r & POLLPRI ? SLIRP_POLL_PRI : 0) |
	       (r & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

static const SlirpCb callbacks = {
	.send_packet = send_packet,
	.guest_error = guest_error,
	.clock_get_ns = clock_get_ns,
	.timer_new = timer_new,
	.timer_free = timer_free,
	.timer_mod = timer_mod,
	.register_poll_fd = poll_fd_noop,
	.unregister_poll_fd = poll_fd_noop,
	.notify = notify,
};

static void *ns_thread(void *arg)
{
	struct ns *ns = arg;

	for (;;) {
		uint32_t timeout = 1000;
		int64_t now;
		int n;

		ns->npfd = 0;
		add_poll(ns->fd, SLIRP_POLL_IN, ns);
		add_poll(ns->kick, SLIRP_POLL_IN, ns);
		slirp_pollfds_fill(ns->slirp, &timeout, add_poll, ns);
		now = now_ns() / 1000000;
		for (struct ns_timer *t = ns->timers; t; t = t->next)
			if (t->expire_ms >= 0)
				timeout = t->expire_ms <= now ? 0 :
					  t->expire_ms - now < timeout ?
					  (uint32_t)(t->expire_ms - now) : timeout;
		n = poll(ns->pfd, ns->npfd, (int)timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && ns->pfd[1].revents) {
			uint64_t cnt;

			(void)!read(ns->kick, &cnt, sizeof(cnt));
		}
		if (n > 0 && ns->pfd[0].revents & POLLIN) {
			ssize_t len;

			while ((len = recv(ns->fd, ns->frame, FRAME_MAX,
					   MSG_DONTWAIT)) > 0)
				slirp_input(ns->slirp, ns->frame, (int)len);
		}
		slirp_pollfds_poll(ns->slirp, n < 0, get_revents, ns);
		now = now_ns() / 1000000;
		for (struct ns_timer *t = ns->timers; t; t = t->next)
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				t->cb(t->opaque);
				break;	/* the callback may change the list */
			}
	}
	return NULL;
}

int netuser_start(const struct netuser_fwd *fwd, int nfwd, char *err,
		  size_t errlen)
{
	struct ns *ns = calloc(1, sizeof(*ns));
	SlirpConfig cfg;
	pthread_t th;
	int sv[2], sz = 1 << 20;

	if (!ns || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(err, errlen, "net user: %s", strerror(errno));
		return -1;
	}
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	ns->fd = sv[0];
	ns->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	memset(&cfg, 0, sizeof(cfg));
	cfg.version = 1;
	cfg.in_enabled = true;
	inet_pton(AF_INET, NETUSER_NET, &cfg.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
	inet_pton(AF_INET, NETUSER_HOST, &cfg.vhost);
	inet_pton(AF_INET, NETUSER_GUEST, &cfg.vdhcp_start);
	inet_pton(AF_INET, NETUSER_DNS, &cfg.vnameserver);
	cfg.vhostname = "mkvm";
	ns->slirp = slirp_new(&cfg, &callbacks, ns);
	if (!ns->slirp || ns->kick < 0) {
		snprintf(err, errlen, "net user: libslirp did not start");
		return -1;
	}
	for (int i = 0; i < nfwd; i++) {
		if (slirp_add_hostfwd(ns->slirp, fwd[i].udp, fwd[i].host_addr,
				      fwd[i].host_port, fwd[i].guest_addr,
				      fwd[i].guest_port) < 0) {
			snprintf(err, errlen,
				 "net user: hostfwd to host port %d: %s",
				 fwd[i].host_port, strerror(errno));
			return -1;
		}
	}
	if (pthread_create(&th, NULL, ns_thread, ns)) {
		snprintf(err, errlen, "net user: no thread");
		return -1;
	}
	pthread_detach(th);
	return sv[1];
}

const char *netuser_version(void)
{
	return slirp_version_string();
}
