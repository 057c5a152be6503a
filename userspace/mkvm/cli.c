// SPDX-License-Identifier: GPL-2.0
/*
 * cli.c - parse `mkvm run ...` and `mkvm --help`.
 *
 * Every bad input yields exactly one line for stderr; the caller exits 2.
 * Kept free of KVM so the host unit tests can drive it.
 *
 * Non-goals: config files, environment-variable defaults.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void cli_usage(void)
{
	fputs(
"usage: mkvm run --kernel BZIMAGE [options] [-- CMD [ARGS...]]\n"
"       mkvm check [--dev PATH]   (exit 0 if PATH can run guests)\n"
"       mkvm config               (kernel options a guest kernel needs)\n"
"       mkvm --help | --version\n"
"\n"
"Boot a Linux bzImage on the KVM ABI (/dev/minikvm, else /dev/kvm).\n"
"\n"
"  -k, --kernel BZIMAGE     kernel to boot (x86 bzImage, boot protocol >= 2.12)\n"
"  -i, --initrd FILE        initramfs (mkvm's own is appended when needed)\n"
"  -a, --append ARGS        extra kernel command line (appended last)\n"
"  -m, --mem SIZE           guest RAM: N[K|M|G], plain N = MiB (default 512M)\n"
"  -c, --cpus N             vCPUs, 1-64 (default 1)\n"
"      --dev PATH           KVM device (default /dev/minikvm, fallback /dev/kvm)\n"
"  -d, --disk FILE[,ro]     raw disk image as virtio-blk (repeatable, max 4)\n"
"      --net tap[=NAME][,bridge=BR]\n"
"                           virtio-net on a new tap NAME (default mkvm%d),\n"
"                           optionally enslaved to bridge BR\n"
"      --net user[,hostfwd=tcp::HPORT-:GPORT]...\n"
"                           virtio-net through libslirp, no root needed:\n"
"                           10.0.2.15/24, gateway 10.0.2.2 (the host), DNS .3\n"
"      --share DIR[,tag=NAME][,ro]\n"
"                           live virtio-9p share of DIR, read-write unless ro;\n"
"                           tag 'share' (default) at /share, else /mnt/NAME\n"
"      --copy DIR           copy DIR into the initramfs, at /share (read-only)\n"
"      --root DIR           DIR (e.g. /) read-only as the guest's /, writes go\n"
"                           to a tmpfs overlay; own /proc /sys /dev /tmp /run\n"
"      --rw DIR             share DIR read-write at the same path (repeatable)\n"
"      --cwd DIR            CMD's working directory in the guest (default with\n"
"                           --root: the current one; else /share if shared)\n"
"  -e, --env K=V            environment for CMD (repeatable); with --root,\n"
"                           PATH and HOME come from the caller; TERM always\n"
"      --modules DIR        guest kernel modules (/lib/modules/VERSION);\n"
"                           default: /lib/modules/<kernel's version> if present\n"
"  -t, --timeout SECONDS    stop the guest after SECONDS, exit 124\n"
"  -q, --quiet              no kernel boot messages\n"
"  -v, --verbose            mkvm debug messages on stderr\n"
"  -h, --help               this text\n"
"\n"
"With -- CMD, mkvm's init runs CMD in the guest on the console and mkvm exits\n"
"with its status (255 if the guest panics, 124 on timeout).  Without it the\n"
"console is interactive; Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n",
	      stdout);
}

/*
 * What a kernel needs to boot under mkvm and run CMD with shares (like
 * `vng --kconfig`): the machine (ACPI, LAPIC/IOAPIC, 16550A console,
 * kvmclock since there is no PIT or HPET), virtio-mmio devices, and the
 * 9p client and overlayfs for --share/--root.  Built in, so no modules
 * are needed.
 */
const char cli_kconfig[] =
"# mkvm: the kernel options mkvm's machine and its init need\n"
"CONFIG_64BIT=y\n"
"CONFIG_SMP=y\n"
"CONFIG_ACPI=y\n"
"CONFIG_X86_LOCAL_APIC=y\n"
"CONFIG_X86_IO_APIC=y\n"
"CONFIG_HYPERVISOR_GUEST=y\n"
"CONFIG_PARAVIRT=y\n"
"CONFIG_KVM_GUEST=y\n"
"CONFIG_BLK_DEV_INITRD=y\n"
"CONFIG_RD_GZIP=y\n"
"CONFIG_DEVTMPFS=y\n"
"CONFIG_TMPFS=y\n"
"CONFIG_PROC_FS=y\n"
"CONFIG_SYSFS=y\n"
"CONFIG_UNIX98_PTYS=y\n"
"CONFIG_SERIAL_8250=y\n"
"CONFIG_SERIAL_8250_CONSOLE=y\n"
"CONFIG_VIRTIO=y\n"
"CONFIG_VIRTIO_MENU=y\n"
"CONFIG_VIRTIO_MMIO=y\n"
"CONFIG_VIRTIO_CONSOLE=y\n"
"CONFIG_VIRTIO_BLK=y\n"
"CONFIG_NET=y\n"
"CONFIG_NETDEVICES=y\n"
"CONFIG_VIRTIO_NET=y\n"
"CONFIG_HW_RANDOM=y\n"
"CONFIG_HW_RANDOM_VIRTIO=y\n"
"CONFIG_NET_9P=y\n"
"CONFIG_NET_9P_VIRTIO=y\n"
"CONFIG_NETWORK_FILESYSTEMS=y\n"
"CONFIG_9P_FS=y\n"
"CONFIG_OVERLAY_FS=y\n";

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mul = MiB;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 0:
		break;
	case 'K':
		mul = KiB;
		end++;
		break;
	case 'M':
		mul = MiB;
		end++;
		break;
	case 'G':
		mul = GiB;
		end++;
		break;
	case 'T':
		mul = 1024 * GiB;
		end++;
		break;
	default:
		return -1;
	}
	if (*end && strcasecmp(end, "iB") && strcasecmp(end, "B"))
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* tap[=NAME][,bridge=BR] or user[,hostfwd=RULE]... */
static int parse_net(char *s, struct mkvm_opts *o)
{
	char *opt, *save = NULL;

	opt = strtok_r(s, ",", &save);
	if (opt && !strcmp(opt, "user")) {
		while ((opt = strtok_r(NULL, ",", &save))) {
			if (strncmp(opt, "hostfwd=", 8) ||
			    o->nfwd == NETUSER_MAX_FWD ||
			    netuser_parse_fwd(opt + 8, &o->fwd[o->nfwd++]))
				return -1;
		}
		o->net = true;
		o->net_user = true;
		return 0;
	}
	if (!opt || strncmp(opt, "tap", 3) || (opt[3] && opt[3] != '='))
		return -1;
	if (opt[3] == '=') {
		if (!opt[4] || strlen(opt + 4) >= 16)
			return -1;
		o->net_ifname = opt + 4;
	}
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strncmp(opt, "bridge=", 7) && opt[7] && strlen(opt + 7) < 16)
			o->net_bridge = opt + 7;
		else
			return -1;
	}
	o->net = true;
	return 0;
}

enum { OPT_DEV = 256, OPT_NET, OPT_SHARE, OPT_MODULES, OPT_VERSION, OPT_COPY,
       OPT_ROOT, OPT_RW, OPT_CWD };

static const struct option long_opts[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "append", required_argument, NULL, 'a' },
	{ "mem", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "dev", required_argument, NULL, OPT_DEV },
	{ "disk", required_argument, NULL, 'd' },
	{ "net", required_argument, NULL, OPT_NET },
	{ "share", required_argument, NULL, OPT_SHARE },
	{ "copy", required_argument, NULL, OPT_COPY },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "rw", required_argument, NULL, OPT_RW },
	{ "cwd", required_argument, NULL, OPT_CWD },
	{ "env", required_argument, NULL, 'e' },
	{ "modules", required_argument, NULL, OPT_MODULES },
	{ "timeout", required_argument, NULL, 't' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* Mount tags: what the 9p client accepts and a mount point can hold. */
static bool tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > MKVM_TAG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
			return false;
	return true;
}

/* Guest paths go into a tab-separated file for the init. */
static bool guest_path_ok(const char *p)
{
	return p[0] == '/' && strlen(p) < 4096 && !strpbrk(p, "\t\n");
}

static struct mkvm_share *new_share(struct mkvm_opts *o)
{
	if (o->nshares == MKVM_MAX_SHARES)
		return NULL;
	memset(&o->shares[o->nshares], 0, sizeof(o->shares[0]));
	return &o->shares[o->nshares++];
}

static bool tag_used(const struct mkvm_opts *o, const char *tag, int skip)
{
	for (int i = 0; i < o->nshares; i++)
		if (i != skip && !strcmp(o->shares[i].tag, tag))
			return true;
	return false;
}

/* DIR[,tag=NAME][,ro|,rw] */
static int parse_share(char *s, struct mkvm_opts *o, char *err, size_t errlen)
{
	char *opt, *save = NULL, *dir = strtok_r(s, ",", &save);
	struct mkvm_share *sh = new_share(o);

	if (!sh)
		BAD("too many shares (max %d with --root and --rw)",
		    MKVM_MAX_SHARES);
	if (!dir || !*dir)
		BAD("--share needs a directory");
	sh->path = dir;
	while ((opt = strtok_r(NULL, ",", &save))) {
		if (!strcmp(opt, "ro")) {
			sh->ro = true;
		} else if (!strcmp(opt, "rw")) {
			sh->ro = false;
		} else if (!strncmp(opt, "tag=", 4)) {
			if (!tag_ok(opt + 4))
				BAD("bad share tag '%s' (1-%d of A-Z a-z 0-9 _ . -)",
				    opt + 4, MKVM_TAG_MAX);
			strcpy(sh->tag, opt + 4);
		} else {
			BAD("bad --share option '%s' (tag=NAME, ro)", opt);
		}
	}
	return 0;
}

/*
 * Tags and guest mount points, once all options are known: --root is
 * shares[0] with tag mkvm-root at "/", --rw DIR is mounted at DIR (made
 * absolute), --share at /share (tag "share") or /mnt/TAG.
 */
static int shares_finish(struct mkvm_opts *o, char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	int nvirtio;

	if (o->root) {
		struct mkvm_share *sh = new_share(o);

		if (!sh)
			BAD("too many shares (max %d with --root and --rw)",
			    MKVM_MAX_SHARES);
		/* Root first: the init mounts in file order. */
		memmove(&o->shares[1], &o->shares[0],
			(o->nshares - 1) * sizeof(o->shares[0]));
		memset(&o->shares[0], 0, sizeof(o->shares[0]));
		o->shares[0].path = o->root;
		o->shares[0].ro = true;
		strcpy(o->shares[0].tag, "mkvm-root");
		strcpy(o->shares[0].mnt, "/");
	}
	for (int i = 0, n = 0, r = 0; i < o->nshares; i++) {
		struct mkvm_share *sh = &o->shares[i];

		if (!strcmp(sh->mnt, "/"))
			continue;
		if (sh->mnt[0] == '=') {		/* --rw */
			if (sh->path[0] == '/') {
				snprintf(sh->mnt, sizeof(sh->mnt), "%s",
					 sh->path);
			} else if (!getcwd(cwd, sizeof(cwd)) ||
				   snprintf(sh->mnt, sizeof(sh->mnt), "%s/%s",
					    cwd, sh->path) >=
				   (int)sizeof(sh->mnt)) {
				BAD("--rw %s: path too long", sh->path);
			}
			while (strlen(sh->mnt) > 1 &&
			       sh->mnt[strlen(sh->mnt) - 1] == '/')
				sh->mnt[strlen(sh->mnt) - 1] = 0;
			if (!guest_path_ok(sh->mnt) || !strcmp(sh->mnt, "/"))
				BAD("bad --rw '%s'", sh->path);
			do
				snprintf(sh->tag, sizeof(sh->tag), "mkvm-rw%d",
					 r++);
			while (tag_used(o, sh->tag, i));
			continue;
		}
		if (!sh->tag[0]) {
			do {
				if (n)
					snprintf(sh->tag, sizeof(sh->tag),
						 "share%d", n);
				else
					strcpy(sh->tag, "share");
				n++;
			} while (tag_used(o, sh->tag, i));
		}
		if (!strcmp(sh->tag, "share"))
			strcpy(sh->mnt, "/share");
		else
			snprintf(sh->mnt, sizeof(sh->mnt), "/mnt/%s", sh->tag);
	}
	for (int i = 0; i < o->nshares; i++)
		if (tag_used(o, o->shares[i].tag, i))
			BAD("share tag '%s' used twice", o->shares[i].tag);
	if (o->copy)
		for (int i = 0; i < o->nshares; i++)
			if (!strcmp(o->shares[i].mnt, "/share"))
				BAD("--copy and --share both want /share "
				    "(give the share a tag=NAME)");
	/* console, rng, disks, net and the shares: one GSI each. */
	nvirtio = 2 + o->ndisks + o->net + o->nshares;
	if (nvirtio > MKVM_MAX_VIRTIO)
		BAD("too many devices: %d virtio devices (max %d)", nvirtio,
		    MKVM_MAX_VIRTIO);
	return 0;
}

int cli_parse(int argc, char **argv, struct mkvm_opts *o, char *err,
	      size_t errlen)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->mem = 512 * MiB;
	o->cpus = 1;

	if (argc < 2)
		BAD("missing command (try: mkvm --help)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		cli_usage();
		return 1;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("mkvm " MKVM_VERSION);
		return 1;
	}
	if (strcmp(argv[1], "run"))
		BAD("unknown command '%s' (try: mkvm --help)", argv[1]);

	/* '+': stop at the first non-option; "--" ends options. */
	optind = 1;
	opterr = 0;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "+:k:i:a:m:c:d:t:e:qvh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'k':
			o->kernel = optarg;
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 'a':
			o->append = optarg;
			break;
		case 'm':
			if (parse_size(optarg, &o->mem))
				BAD("bad memory size '%s'", optarg);
			break;
		case 'c':
			if (parse_int(optarg, 1, MKVM_MAX_CPUS, &o->cpus))
				BAD("bad vCPU count '%s' (1-%d)", optarg,
				    MKVM_MAX_CPUS);
			break;
		case OPT_DEV:
			o->dev = optarg;
			break;
		case 'd': {
			char *comma = strrchr(optarg, ',');

			if (o->ndisks == MKVM_MAX_DISKS)
				BAD("too many disks (max %d)", MKVM_MAX_DISKS);
			o->disks[o->ndisks].ro = false;
			if (comma && !strcmp(comma, ",ro")) {
				*comma = 0;
				o->disks[o->ndisks].ro = true;
			} else if (comma && !strcmp(comma, ",rw")) {
				*comma = 0;
			}
			if (!*optarg)
				BAD("empty disk path");
			o->disks[o->ndisks++].path = optarg;
			break;
		}
		case OPT_NET:
			if (o->net || parse_net(optarg, o))
				BAD("bad --net '%s' (tap[=NAME][,bridge=BR] or "
				    "user[,hostfwd=tcp::HPORT-:GPORT])",
				    optarg);
			break;
		case OPT_SHARE:
			if (parse_share(optarg, o, err, errlen))
				return -1;
			break;
		case OPT_COPY:
			o->copy = optarg;
			break;
		case OPT_ROOT:
			if (o->root)
				BAD("--root given twice");
			o->root = optarg;
			break;
		case OPT_RW: {
			struct mkvm_share *sh = new_share(o);

			if (!sh)
				BAD("too many shares (max %d with --root and --rw)",
				    MKVM_MAX_SHARES);
			sh->path = optarg;
			sh->mnt[0] = '=';	/* its own path, resolved below */
			break;
		}
		case OPT_CWD:
			if (!guest_path_ok(optarg))
				BAD("bad --cwd '%s' (an absolute guest path)",
				    optarg);
			o->cwd = optarg;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=' ||
			    strchr(optarg, '\n'))
				BAD("bad --env '%s' (K=V)", optarg);
			if (o->nenv == MKVM_MAX_ENV)
				BAD("too many --env (max %d)", MKVM_MAX_ENV);
			o->env[o->nenv++] = optarg;
			break;
		case OPT_MODULES:
			o->modules = optarg;
			break;
		case 't':
			if (parse_int(optarg, 1, 7 * 24 * 3600, &o->timeout))
				BAD("bad timeout '%s'", optarg);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			mkvm_verbose = 1;
			break;
		case 'h':
			cli_usage();
			return 1;
		case OPT_VERSION:
			puts("mkvm " MKVM_VERSION);
			return 1;
		case ':':
			BAD("option '%s' needs an argument", argv[optind - 1]);
		default:
			BAD("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		/* getopt consumed "--" if present; anything left is CMD. */
		if (strcmp(argv[optind - 1], "--"))
			BAD("unexpected argument '%s' (use -- before CMD)",
			    argv[optind]);
		o->cmd = &argv[optind];
	}
	if (!o->kernel)
		BAD("missing --kernel BZIMAGE");
	if (o->mem < MKVM_MIN_MEM)
		BAD("too little memory: %llu MiB (minimum %llu MiB)",
		    (unsigned long long)(o->mem / MiB),
		    (unsigned long long)(MKVM_MIN_MEM / MiB));
	if (o->mem > MKVM_MAX_MEM)
		BAD("too much memory (maximum %llu GiB)",
		    (unsigned long long)(MKVM_MAX_MEM / GiB));
	if (o->mem % (2 * MiB))
		o->mem = ALIGN_UP(o->mem, 2 * MiB);
	return shares_finish(o, err, errlen);
}
