// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_net.c - virtio network device (virtio 1.2, 5.1) on a host tap
 * interface, or on the socketpair of --net user (net_slirp.c), which
 * carries frames the way a tap does.
 *
 * mkvm creates the tap itself (TUNSETIFF), then brings it up and, with
 * bridge=BR, enslaves it to the bridge through rtnetlink (libnl-route),
 * never by running ip(8).  One receive and one transmit queue; no offloads
 * are offered, so every virtio_net_hdr is all zeroes except num_buffers.
 * The tap is read on the I/O thread; when the guest has no receive buffer
 * posted, the pending frame is kept and the tap is taken out of the epoll
 * set until the guest kicks the receive queue (back-pressure, no drops).
 *
 * Non-goals: offloads (csum/TSO), mergeable buffers, multiqueue, control
 * queue, vhost-net.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "virtio.h"

#define HDR_LEN		sizeof(struct virtio_net_hdr_v1)
#define FRAME_MAX	65536

enum { RXQ = 0, TXQ = 1 };

struct net {
	struct virtio_dev dev;
	struct io_handler tap_h;
	bool tap_polled;
	uint8_t mac[6];
	char ifname[IFNAMSIZ];
	uint8_t *pkt;		/* frame read from the tap, not yet delivered */
	ssize_t pkt_len;
	struct virtq_chain chain;
};

static void net_config(struct virtio_dev *d, uint32_t off, uint8_t *data,
		       uint32_t len)
{
	struct net *n = d->priv;
	struct virtio_net_config c;

	memset(&c, 0, sizeof(c));
	memcpy(c.mac, n->mac, 6);
	if (off < sizeof(c))
		memcpy(data, (uint8_t *)&c + off,
		       len < sizeof(c) - off ? len : sizeof(c) - off);
}

static void tap_poll(struct net *n, bool on)
{
	if (n->tap_polled == on)
		return;
	io_mod(&n->tap_h, on ? EPOLLIN : 0);
	n->tap_polled = on;
}

/* Move frames tap -> guest while both have something.  d->lock held. */
static void net_rx(struct net *n)
{
	struct virtio_dev *d = &n->dev;
	int done = 0;

	while (virtio_running(d) && d->vq[RXQ].ready) {
		struct virtio_net_hdr_v1 h = { .num_buffers = 1 };
		struct virtq_chain *c = &n->chain;

		if (!n->pkt_len) {
			n->pkt_len = read(n->tap_h.fd, n->pkt, FRAME_MAX);
			if (n->pkt_len <= 0) {
				n->pkt_len = 0;
				tap_poll(n, true);
				break;
			}
		}
		if (virtio_pop(d, RXQ, c) != 1) {
			tap_poll(n, false);	/* wait for buffers */
			break;
		}
		if (c->in_len < HDR_LEN + n->pkt_len) {
			/* Too small a buffer (we offer no MRG_RXBUF): drop. */
			virtq_push(&d->vq[RXQ], c->head, 0);
		} else {
			iov_from_buf(c->in, c->nr_in, 0, &h, HDR_LEN);
			iov_from_buf(c->in, c->nr_in, HDR_LEN, n->pkt, n->pkt_len);
			virtq_push(&d->vq[RXQ], c->head, HDR_LEN + n->pkt_len);
		}
		n->pkt_len = 0;
		done++;
	}
	if (done)
		virtio_signal(d, VIRTIO_MMIO_INT_VRING);
}

static void net_tx(struct net *n)
{
	struct virtio_dev *d = &n->dev;
	struct iovec iov[VIRTQ_MAX_SEGS];
	int done = 0;

	while (virtio_pop(d, TXQ, &n->chain) == 1) {
		struct virtq_chain *c = &n->chain;
		int k;

		/* 5.1.6.2: header, then the frame; skip the header. */
		if (c->out_len > HDR_LEN && c->out_len - HDR_LEN <= FRAME_MAX) {
			k = iov_slice(c->out, c->nr_out, HDR_LEN,
				      c->out_len - HDR_LEN, iov, VIRTQ_MAX_SEGS);
			if (k > 0 && writev(n->tap_h.fd, iov, k) < 0 &&
			    errno != EAGAIN && errno != EIO)
				mkvm_dbg("tap write: %s", strerror(errno));
		}
		virtq_push(&d->vq[TXQ], c->head, 0);
		done++;
	}
	if (done)
		virtio_signal(d, VIRTIO_MMIO_INT_VRING);
}

static void net_notify(struct virtio_dev *d, int q)
{
	struct net *n = d->priv;

	if (q == TXQ)
		net_tx(n);
	else
		net_rx(n);
}

static void net_activate(struct virtio_dev *d)
{
	net_rx(d->priv);
}

static void net_reset(struct virtio_dev *d)
{
	struct net *n = d->priv;

	n->pkt_len = 0;
	tap_poll(n, true);
}

static void tap_cb(struct io_handler *h, uint32_t ev)
{
	struct net *n = h->opaque;

	(void)ev;
	pthread_mutex_lock(&n->dev.lock);
	if (virtio_running(&n->dev)) {
		net_rx(n);
	} else {
		/* No driver yet: drain and drop, as a cable-less NIC would. */
		while (read(h->fd, n->pkt, FRAME_MAX) > 0)
			;
	}
	pthread_mutex_unlock(&n->dev.lock);
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.nqueues = 2,
	.config_read = net_config,
	.notify = net_notify,
	.activate = net_activate,
	.reset = net_reset,
};

/* Bring the tap up and optionally put it into a bridge, over rtnetlink. */
static int tap_configure(const char *ifname, const char *bridge)
{
	struct rtnl_link *link = NULL, *change = NULL, *br = NULL;
	struct nl_sock *sk = nl_socket_alloc();
	int err = -1, r;

	if (!sk || (r = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		mkvm_err("netlink: cannot connect");
		goto out;
	}
	if ((r = rtnl_link_get_kernel(sk, 0, ifname, &link)) < 0) {
		mkvm_err("netlink: %s: %s", ifname, nl_geterror(r));
		goto out;
	}
	if (bridge) {
		if ((r = rtnl_link_get_kernel(sk, 0, bridge, &br)) < 0) {
			mkvm_err("netlink: bridge %s: %s", bridge, nl_geterror(r));
			goto out;
		}
		r = rtnl_link_enslave_ifindex(sk, rtnl_link_get_ifindex(br),
					      rtnl_link_get_ifindex(link));
		if (r < 0) {
			mkvm_err("netlink: add %s to %s: %s", ifname, bridge,
				 nl_geterror(r));
			goto out;
		}
	}
	change = rtnl_link_alloc();
	rtnl_link_set_flags(change, IFF_UP);
	if ((r = rtnl_link_change(sk, link, change, 0)) < 0) {
		mkvm_err("netlink: %s up: %s", ifname, nl_geterror(r));
		goto out;
	}
	err = 0;
out:
	if (change)
		rtnl_link_put(change);
	if (link)
		rtnl_link_put(link);
	if (br)
		rtnl_link_put(br);
	if (sk)
		nl_socket_free(sk);
	return err;
}

/* The device on a frame fd: a tap, or libslirp's socketpair (net_slirp.c). */
static int net_attach(struct vm *vm, struct net *n, int fd)
{
	/* Locally administered, "mk" + device index. */
	memcpy(n->mac, "\x02\x6d\x6b\x00\x00", 5);
	n->mac[5] = vm->nvirtio;
	n->tap_h = (struct io_handler){ .fd = fd, .cb = tap_cb, .opaque = n };
	if (virtio_mmio_add(vm, &n->dev, &net_ops, 1ULL << VIRTIO_NET_F_MAC, n))
		return -1;
	n->tap_polled = true;
	return io_add(&n->tap_h, EPOLLIN);
}

int virtio_net_create_fd(struct vm *vm, int fd, const char *what)
{
	struct net *n = calloc(1, sizeof(*n));

	if (!n || !(n->pkt = malloc(FRAME_MAX)))
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	snprintf(n->ifname, sizeof(n->ifname), "%s", what);
	if (net_attach(vm, n, fd))
		return -1;
	mkvm_dbg("virtio-net: %s", what);
	return 0;
}

int virtio_net_create(struct vm *vm, const char *ifname, const char *bridge)
{
	struct net *n = calloc(1, sizeof(*n));
	struct ifreq ifr;
	int fd;

	if (!n || !(n->pkt = malloc(FRAME_MAX)))
		return -1;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		mkvm_err("/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname ? ifname : "mkvm%d");
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		mkvm_err("tap %s: %s", ifr.ifr_name,
			 errno == EBUSY ? "device busy" : strerror(errno));
		return -1;
	}
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifr.ifr_name);
	if (tap_configure(n->ifname, bridge))
		return -1;
	if (net_attach(vm, n, fd))
		return -1;
	mkvm_dbg("virtio-net: tap %s", n->ifname);
	return 0;
}
