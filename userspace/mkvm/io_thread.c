// SPDX-License-Identifier: GPL-2.0
/*
 * io_thread.c - the single epoll loop that serves every device's queue
 * notifications (ioeventfds), the tap device, the console input, the
 * --timeout timer, termination signals and the VM-stop request.
 *
 * It runs on mkvm's main thread once the vCPU threads are started.  Device
 * work is done here, not on vCPU threads, so a slow disk never stalls a vCPU
 * (the vCPU that kicked a queue resumes as soon as KVM has signalled the
 * eventfd).
 *
 * Non-goals: multiple I/O threads, asynchronous disk I/O (io_uring/AIO).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "dev/virtio.h"

static int epfd = -1;

int io_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	return epfd < 0 ? -1 : 0;
}

int io_add(struct io_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, h->fd, &ev)) {
		mkvm_err("epoll add: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int io_try_add(struct io_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, h->fd, &ev);
}

int io_mod(struct io_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, h->fd, &ev);
}

void io_del(struct io_handler *h)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, h->fd, NULL);
}

static int loop_done;

static void stop_cb(struct io_handler *h, uint32_t ev)
{
	uint64_t v;

	(void)ev;
	if (read(h->fd, &v, sizeof(v)) < 0)
		return;
	loop_done = 1;
}

static void timeout_cb(struct io_handler *h, uint32_t ev)
{
	uint64_t v;
	struct vm *vm = h->opaque;

	(void)ev;
	if (read(h->fd, &v, sizeof(v)) < 0)
		return;
	/* arg 1: the grace period after a panic message ran out. */
	vm_request_stop(vm, h->arg ? STOP_PANIC : STOP_TIMEOUT, 0);
}

static struct io_handler panic_timer_h;

static void panic_cb(struct io_handler *h, uint32_t ev)
{
	struct itimerspec its = { .it_value.tv_sec = 2 };
	uint64_t v;

	(void)ev;
	if (read(h->fd, &v, sizeof(v)) < 0)
		return;
	/*
	 * The rest of the panic report is still coming; with panic=-1 the
	 * guest resets right after it.  If it hangs instead (panic=0), stop
	 * it ourselves a little later.
	 */
	if (panic_timer_h.fd > 0)
		timerfd_settime(panic_timer_h.fd, 0, &its, NULL);
}

static void signal_cb(struct io_handler *h, uint32_t ev)
{
	struct signalfd_siginfo si;

	(void)ev;
	if (read(h->fd, &si, sizeof(si)) != sizeof(si))
		return;
	vm_request_stop(h->opaque, STOP_SIGNAL, si.ssi_signo);
}

int io_loop(struct vm *vm, int timeout_sec)
{
	static struct io_handler stop_h, timer_h, panic_h, sig_h;
	struct epoll_event evs[32];
	sigset_t set;

	stop_h = (struct io_handler){ .fd = vm->stop_efd, .cb = stop_cb };
	panic_h = (struct io_handler){ .fd = vm->panic_efd, .cb = panic_cb };
	if (io_add(&stop_h, EPOLLIN) || io_add(&panic_h, EPOLLIN))
		return -1;

	panic_timer_h = (struct io_handler){
		.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC),
		.cb = timeout_cb, .opaque = vm, .arg = 1 };
	if (panic_timer_h.fd < 0 || io_add(&panic_timer_h, EPOLLIN))
		return -1;

	if (timeout_sec > 0) {
		struct itimerspec its = { .it_value.tv_sec = timeout_sec };

		timer_h = (struct io_handler){
			.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC),
			.cb = timeout_cb, .opaque = vm };
		if (timer_h.fd < 0 || timerfd_settime(timer_h.fd, 0, &its, NULL) ||
		    io_add(&timer_h, EPOLLIN))
			return -1;
	}

	/* Blocked in every thread by main(); delivered here instead. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sig_h = (struct io_handler){ .fd = signalfd(-1, &set, SFD_CLOEXEC),
				     .cb = signal_cb, .opaque = vm };
	if (sig_h.fd < 0 || io_add(&sig_h, EPOLLIN))
		return -1;

	while (!loop_done) {
		int n = epoll_wait(epfd, evs, ARRAY_SIZE(evs), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			mkvm_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct io_handler *h = evs[i].data.ptr;

			h->cb(h, evs[i].events);
		}
	}
	return 0;
}
