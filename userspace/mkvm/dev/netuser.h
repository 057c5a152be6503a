/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netuser.h - --net user: libslirp behind a socketpair (net_slirp.c), and
 * the parser of its hostfwd= rules (netuser_parse.c, host-unit-tested).
 */
#ifndef MKVM_NETUSER_H
#define MKVM_NETUSER_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>

#define NETUSER_NET	"10.0.2.0"
#define NETUSER_HOST	"10.0.2.2"
#define NETUSER_DNS	"10.0.2.3"
#define NETUSER_GUEST	"10.0.2.15"
#define NETUSER_MAX_FWD	8

struct netuser_fwd {
	bool udp;
	struct in_addr host_addr;	/* INADDR_ANY when left out */
	int host_port;
	struct in_addr guest_addr;	/* 10.0.2.15 when left out */
	int guest_port;
};

/* "tcp::2222-:22", "udp:127.0.0.1:5353-10.0.2.15:53": 0 or -1. */
int netuser_parse_fwd(const char *s, struct netuser_fwd *f);
/*
 * Start libslirp on its own thread; returns the fd virtio-net uses as its
 * tap (one frame per datagram), or -1 with a line in err.
 */
int netuser_start(const struct netuser_fwd *fwd, int nfwd, char *err,
		  size_t errlen);
const char *netuser_version(void);

#endif
