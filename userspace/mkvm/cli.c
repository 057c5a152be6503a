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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_usage(void)
{
	fputs(
"usage: mkvm run --kernel BZIMAGE [options] [-- CMD [ARGS...]]\n"
"       mkvm check [--dev PATH]   (exit 0 if PATH can run guests)\n"
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
"      --share DIR          copy DIR into the guest at /share (read-only)\n"
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

/* tap[=NAME][,bridge=BR] */
static int parse_net(char *s, struct mkvm_opts *o)
{
	char *opt, *save = NULL;

	opt = strtok_r(s, ",", &save);
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

enum { OPT_DEV = 256, OPT_NET, OPT_SHARE, OPT_MODULES, OPT_VERSION };

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
	{ "modules", required_argument, NULL, OPT_MODULES },
	{ "timeout", required_argument, NULL, 't' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

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
	while ((c = getopt_long(argc, argv, "+:k:i:a:m:c:d:t:qvh", long_opts,
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
				BAD("bad --net '%s' (tap[=NAME][,bridge=BR])",
				    optarg);
			break;
		case OPT_SHARE:
			o->share = optarg;
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
	return 0;
}
