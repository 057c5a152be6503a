/* SPDX-License-Identifier: GPL-2.0 */
/* cli.h - command line of `mkvm run`. */
#ifndef MKVM_CLI_H
#define MKVM_CLI_H

#include "mkvm.h"

#define MKVM_MAX_DISKS	4

struct mkvm_opts {
	const char *kernel;
	const char *initrd;
	const char *append;
	const char *dev;
	uint64_t mem;
	int cpus;
	int ndisks;
	struct {
		const char *path;
		bool ro;
	} disks[MKVM_MAX_DISKS];
	bool net;
	const char *net_ifname;
	const char *net_bridge;
	const char *share;
	const char *modules;
	int timeout;
	bool quiet;
	char **cmd;		/* NULL-terminated, NULL when no `-- CMD` */
};

/*
 * Parse argv.  Returns 0 to run, 1 when help/version was printed (exit 0);
 * prints one line and returns -1 on bad input (caller exits 2).  `err`
 * receives that line.
 */
int cli_parse(int argc, char **argv, struct mkvm_opts *o, char *err,
	      size_t errlen);
int parse_size(const char *s, uint64_t *out);
void cli_usage(void);

#endif
