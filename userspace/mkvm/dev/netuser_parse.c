// SPDX-License-Identifier: GPL-2.0
/*
 * netuser_parse.c - hostfwd= rules of --net user, in QEMU's spelling
 * (PROTO:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT).  Pure, so the host unit
 * tests drive it without libslirp.
 *
 * Non-goals: IPv6 addresses, port ranges.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "netuser.h"

static int port(const char *s, const char *end)
{
	long v = 0;

	if (s == end || end - s > 5)
		return -1;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

static int addr(const char *s, const char *end, struct in_addr *a,
		const char *dflt)
{
	char buf[16];

	if (s == end)
		return inet_pton(AF_INET, dflt, a) == 1 ? 0 : -1;
	if (end - s >= (long)sizeof(buf))
		return -1;
	memcpy(buf, s, end - s);
	buf[end - s] = 0;
	return inet_pton(AF_INET, buf, a) == 1 ? 0 : -1;
}

int netuser_parse_fwd(const char *s, struct netuser_fwd *f)
{
	const char *c1, *dash, *c2;

	memset(f, 0, sizeof(*f));
	if (!strncmp(s, "tcp:", 4))
		f->udp = false;
	else if (!strncmp(s, "udp:", 4))
		f->udp = true;
	else
		return -1;
	s += 4;
	c1 = strchr(s, ':');
	dash = c1 ? strchr(c1, '-') : NULL;
	c2 = dash ? strchr(dash, ':') : NULL;
	if (!c2 || strchr(c2 + 1, ':'))
		return -1;
	f->host_port = port(c1 + 1, dash);
	f->guest_port = port(c2 + 1, c2 + 1 + strlen(c2 + 1));
	if (f->host_port < 0 || f->guest_port < 0 ||
	    addr(s, c1, &f->host_addr, "0.0.0.0") ||
	    addr(dash + 1, c2, &f->guest_addr, NETUSER_GUEST))
		return -1;
	return 0;
}
