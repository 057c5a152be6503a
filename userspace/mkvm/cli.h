/* SPDX-License-Identifier: GPL-2.0 */
/* cli.h - command line of `mkvm run`. */
#ifndef MKVM_CLI_H
#define MKVM_CLI_H

#include "mkvm.h"
#include "dev/netuser.h"

#define MKVM_MAX_DISKS	4
#define MKVM_MAX_SHARES	4	/* --share, --root and --rw together */
#define MKVM_MAX_ENV	32
#define MKVM_TAG_MAX	31

/* One virtio-9p share and where mkvm's guest init mounts it. */
struct mkvm_share {
	const char *path;	/* host directory */
	char tag[MKVM_TAG_MAX + 1];
	char mnt[4096];		/* guest mount point; "/" for --root */
	bool ro;
};

struct mkvm_opts {
	const char *kernel;	/* a bzImage, or a built tree (main.c) */
	const char *ktree;	/* --kernel DIR: the tree, for its modules */
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
	bool net_user;		/* --net user: libslirp */
	int nfwd;
	struct netuser_fwd fwd[NETUSER_MAX_FWD];
	const char *copy;	/* --copy: packed into the initramfs */
	int nshares;
	struct mkvm_share shares[MKVM_MAX_SHARES];
	const char *root;	/* --root: shares[0], tag "mkvm-root" */
	const char *cwd;
	int nenv;
	const char *env[MKVM_MAX_ENV];
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
/* `mkvm config`: the kconfig fragment for a guest kernel. */
extern const char cli_kconfig[];
void cli_usage(void);

#endif
