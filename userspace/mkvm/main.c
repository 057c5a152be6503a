// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - `mkvm run`: put the pieces together.  Parse the command line,
 * load and check the kernel, build the initramfs and the boot data, create
 * the VM and its devices, put the terminal in raw mode, run the vCPU threads
 * and the I/O loop, and turn the way the guest ended into an exit status:
 *
 *   CMD's status    the guest init reported it on the control port
 *   255             the guest panicked, or died without reporting a status
 *   124             --timeout expired
 *   2               bad input (one line on stderr), before the guest runs
 *   1               KVM or internal error
 *   0               interactive guest powered off / rebooted / Ctrl-A x
 *
 * Non-goals: daemon mode, a monitor/control socket, snapshots.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "cli.h"
#include "initramfs.h"
#include "vm.h"
#include "boot/boot.h"
#include "dev/virtio.h"

int mkvm_verbose;
static int tio_saved;

void mkvm_err(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 3)
		n = sizeof(line) - 3;
	/* A raw terminal needs CR LF. */
	fprintf(stderr, "mkvm: %.*s%s\n", n, line, tio_saved ? "\r" : "");
}

void mkvm_usage_err(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mkvm: %s\n", line);
	exit(2);
}

extern const uint8_t mkvm_init_start[], mkvm_init_end[];

/* ---- terminal ---------------------------------------------------------- */

static struct termios saved_tio;

static void term_restore(void)
{
	if (tio_saved) {
		tcsetattr(0, TCSANOW, &saved_tio);
		tio_saved = 0;
	}
}

static void fatal_signal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void term_raw(void)
{
	struct termios t;

	if (!isatty(0) || tcgetattr(0, &saved_tio))
		return;
	t = saved_tio;
	cfmakeraw(&t);
	tio_saved = 1;
	atexit(term_restore);
	signal(SIGSEGV, fatal_signal);
	signal(SIGBUS, fatal_signal);
	signal(SIGABRT, fatal_signal);
	signal(SIGFPE, fatal_signal);
	signal(SIGILL, fatal_signal);
	tcsetattr(0, TCSANOW, &t);
}

/* ---- console input ------------------------------------------------------ */

static struct io_handler stdin_h;
static int esc_pending;

static void deliver(struct vm *vm, const uint8_t *b, size_t n)
{
	if (!n)
		return;
	serial_input(vm->serial, b, n);
	virtio_console_input(b, n);
}

static void stdin_cb(struct io_handler *h, uint32_t ev)
{
	struct vm *vm = h->opaque;
	uint8_t in[256], out[256];
	size_t o = 0;
	ssize_t n;

	(void)ev;
	n = read(h->fd, in, sizeof(in));
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			io_del(h);	/* EOF: the guest just gets no input */
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		uint8_t b = in[i];

		if (!tio_saved) {		/* not a terminal: no escapes */
			out[o++] = b;
			continue;
		}
		if (esc_pending) {
			esc_pending = 0;
			if (b == 'x' || b == 'X') {
				deliver(vm, out, o);
				vm_request_stop(vm, STOP_USER_QUIT, 0);
				return;
			}
			if (b != 0x01)
				out[o++] = 0x01;
			out[o++] = b;
			continue;
		}
		if (b == 0x01) {		/* Ctrl-A */
			esc_pending = 1;
			continue;
		}
		out[o++] = b;
	}
	deliver(vm, out, o);
}

/* ---- files -------------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len, const char *what)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		mkvm_usage_err("%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		mkvm_usage_err("%s %s: not a regular file", what, path);
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf)
		mkvm_usage_err("%s %s: out of memory", what, path);
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + done, st.st_size - done);

		if (r <= 0)
			mkvm_usage_err("%s %s: read error", what, path);
		done += r;
	}
	close(fd);
	*len = done;
	return buf;
}

/* ---- command line and initramfs ------------------------------------------ */

static void cat(char *dst, size_t cap, const char *s)
{
	size_t l = strlen(dst);

	if (*dst && l + 1 < cap)
		dst[l++] = ' ';
	snprintf(dst + l, cap - l, "%s", s);
}

/*
 * Linux calibrates its TSC against kvmclock when the hypervisor offers it
 * (CPUID 4000_0001h, KVM_FEATURE_CLOCKSOURCE/CLOCKSOURCE2) and otherwise
 * against the PIT or HPET, which mkvm does not emulate: without either it
 * stops after "tsc: Marking TSC unstable". For a device without kvmclock
 * (minikvm so far) the guest is told the TSC frequency instead, with
 * tsc_early_khz=, unless the user already chose. The host's TSC frequency is
 * what its /proc/cpuinfo calls "cpu MHz" (cpu_khz == tsc_khz on x86-64).
 * Returns 0 and fills @buf, or -1 when nothing is needed or known.
 */
static int tsc_hint(const struct vm *vm, const char *append, char *buf,
		    size_t len)
{
	char line[256];
	double mhz = 0;
	FILE *f;

	if (append && (strstr(append, "tsc_early_khz=") ||
		       strstr(append, "clocksource=")))
		return -1;
	for (unsigned int i = 0; vm->cpuid && i < vm->cpuid->nent; i++)
		if (vm->cpuid->entries[i].function == 0x40000001 &&
		    (vm->cpuid->entries[i].eax & ((1u << 0) | (1u << 3))))
			return -1;
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	fclose(f);
	if (mhz < 1)
		return -1;
	snprintf(buf, len, "tsc_early_khz=%lu", (unsigned long)(mhz * 1000));
	return 0;
}

/*
 * What mkvm's init needs to know besides CMD: /mkvm/mounts (one share per
 * line, "TAG<tab>MOUNTPOINT<tab>ro|rw", --root first at "/"), /mkvm/env
 * (K=V lines) and /mkvm/cwd.
 */
static void add_guest_config(struct cpio *c, const struct mkvm_opts *o)
{
	char *buf = NULL, wd[4096];
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		mkvm_usage_err("out of memory");
	for (int i = 0; i < o->nshares; i++)
		fprintf(f, "%s\t%s\t%s\n", o->shares[i].tag,
			o->shares[i].mnt, o->shares[i].ro ? "ro" : "rw");
	fclose(f);
	if (len)
		cpio_file(c, "mkvm/mounts", 0644, buf, len);
	free(buf);

	f = open_memstream(&buf, &len);
	if (!f)
		mkvm_usage_err("out of memory");
	if (o->root) {
		/* virtme style: the caller's own tools and home. */
		static const char *const keep[] = { "PATH", "HOME", "USER",
						    "LOGNAME", "LANG" };

		for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
			if (getenv(keep[i]) && !strchr(getenv(keep[i]), '\n'))
				fprintf(f, "%s=%s\n", keep[i],
					getenv(keep[i]));
	}
	if (getenv("TERM") && !strchr(getenv("TERM"), '\n'))
		fprintf(f, "TERM=%s\n", getenv("TERM"));
	for (int i = 0; i < o->nenv; i++)
		fprintf(f, "%s\n", o->env[i]);
	fclose(f);
	if (len)
		cpio_file(c, "mkvm/env", 0644, buf, len);
	free(buf);

	/* --cwd, or with --root the caller's directory when it is under it. */
	if (o->cwd) {
		cpio_file(c, "mkvm/cwd", 0644, o->cwd, strlen(o->cwd));
	} else if (o->root && getcwd(wd, sizeof(wd))) {
		char root[4096];
		size_t rl;

		if (!realpath(o->root, root))
			return;
		rl = strlen(root);
		if (!strcmp(root, "/"))
			cpio_file(c, "mkvm/cwd", 0644, wd, strlen(wd));
		else if (!strncmp(wd, root, rl) && (!wd[rl] || wd[rl] == '/'))
			cpio_file(c, "mkvm/cwd", 0644, wd[rl] ? wd + rl : "/",
				  wd[rl] ? strlen(wd + rl) : 1);
	}
}

static uint8_t *build_initrd(const struct mkvm_opts *o, const struct bzimage *bz,
			     size_t *len_out, bool *use_init)
{
	uint8_t *user = NULL, *img;
	size_t ulen = 0, upad;
	struct cpio c;
	const char *moddir = o->modules;
	char autodir[300];

	if (o->initrd)
		user = slurp(o->initrd, &ulen, "initrd");
	*use_init = o->cmd || o->copy || o->modules || o->nshares;
	if (!*use_init) {
		*len_out = ulen;
		return user;
	}

	cpio_init(&c);
	cpio_dir(&c, "dev", 0755);
	cpio_chardev(&c, "dev/console", 0600, 5, 1);
	cpio_dir(&c, "proc", 0555);
	cpio_dir(&c, "sys", 0555);
	cpio_dir(&c, "tmp", 01777);
	cpio_dir(&c, "mkvm", 0755);
	cpio_dir(&c, "mkvm/modules", 0755);
	cpio_file(&c, "mkvm-init", 0755, mkvm_init_start,
		  mkvm_init_end - mkvm_init_start);
	if (o->cmd) {
		size_t n = 0;
		char *buf;

		for (char **a = o->cmd; *a; a++)
			n += strlen(*a) + 1;
		buf = malloc(n + 1);
		n = 0;
		for (char **a = o->cmd; *a; a++) {
			strcpy(buf + n, *a);
			n += strlen(*a) + 1;
		}
		cpio_file(&c, "mkvm/cmd", 0644, buf, n);
		free(buf);
	}
	if (!moddir && o->ktree) {
		/* A built tree: its own modules, nothing installed. */
		int n = cpio_add_tree_modules(&c, o->ktree, o->nshares > 0);

		mkvm_dbg("%d modules from the tree %s", n, o->ktree);
	} else if (!moddir && bz->version[0]) {
		/* "6.1.0-56-amd64 (debian-kernel@...) #1 SMP ..." */
		snprintf(autodir, sizeof(autodir), "/lib/modules/%.*s",
			 (int)strcspn(bz->version, " "), bz->version);
		if (!access(autodir, R_OK))
			moddir = autodir;
	}
	if (moddir) {
		int n = cpio_add_virtio_modules(&c, moddir, o->nshares > 0);

		if (n < 0 && o->modules)
			mkvm_usage_err("--modules %s: no readable modules.dep",
				       moddir);
		mkvm_dbg("%d modules from %s", n, moddir);
	}
	if (o->copy) {
		struct stat st;

		if (stat(o->copy, &st) || !S_ISDIR(st.st_mode))
			mkvm_usage_err("--copy %s: not a directory", o->copy);
		cpio_dir(&c, "share", 0755);
		if (cpio_add_tree(&c, o->copy, "share"))
			mkvm_usage_err("--copy %s: cannot read", o->copy);
		cpio_file(&c, "mkvm/copy", 0644, "", 0);
	}
	add_guest_config(&c, o);
	cpio_trailer(&c);
	if (c.failed)
		mkvm_usage_err("out of memory building the initramfs");

	/* The kernel skips zero padding between concatenated archives. */
	upad = ALIGN_UP(ulen, 4);
	img = calloc(1, upad + c.len);
	if (!img)
		mkvm_usage_err("out of memory building the initramfs");
	if (ulen)
		memcpy(img, user, ulen);
	memcpy(img + upad, c.buf, c.len);
	free(user);
	free(c.buf);
	*len_out = upad + c.len;
	return img;
}

/* ---- main --------------------------------------------------------------- */

static int open_device(struct vm *vm, const struct mkvm_opts *o)
{
	char err[256], err2[256];
	int r;

	if (o->dev) {
		r = vm_open_dev(vm, o->dev, err, sizeof(err));
		if (r)
			mkvm_usage_err("%s", err);
		return 0;
	}
	if (!vm_open_dev(vm, "/dev/minikvm", err, sizeof(err)))
		return 0;
	r = vm_open_dev(vm, "/dev/kvm", err2, sizeof(err2));
	if (r)
		mkvm_usage_err("%s; %s", err, err2);
	mkvm_err("notice: %s; using /dev/kvm", err);
	return 0;
}

/* `mkvm check [--dev PATH]`: can this device run guests?  0 yes, 1 no. */
static int do_check(int argc, char **argv)
{
	struct vm vm;
	char err[256];
	const char *dev = "/dev/minikvm";

	if (argc == 4 && !strcmp(argv[2], "--dev"))
		dev = argv[3];
	else if (argc != 2)
		mkvm_usage_err("usage: mkvm check [--dev PATH]");
	memset(&vm, 0, sizeof(vm));
	if (vm_open_dev(&vm, dev, err, sizeof(err))) {
		printf("%s\n", err);
		return 1;
	}
	printf("%s: can run guests\n", dev);
	return 0;
}

int main(int argc, char **argv)
{
	static struct vm vm;
	struct mkvm_opts o;
	struct bzimage bz;
	struct boot_layout layout;
	struct acpi_config acfg;
	struct boot_params *bp;
	char err[256], cmdline[LAYOUT_CMDLINE_MAX];
	uint8_t *kernel, *initrd;
	size_t klen, ilen;
	bool use_init;
	sigset_t set;
	int r, code;

	if (argc >= 2 && !strcmp(argv[1], "check"))
		return do_check(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "config")) {
		if (argc != 2)
			mkvm_usage_err("usage: mkvm config (prints a kconfig fragment; "
				       "merge it with scripts/kconfig/merge_config.sh)");
		fputs(cli_kconfig, stdout);
		return 0;
	}
	r = cli_parse(argc, argv, &o, err, sizeof(err));
	if (r > 0)
		return 0;
	if (r < 0)
		mkvm_usage_err("%s", err);

	{
		/* --kernel DIR: a built tree, as `vng --run DIR`. */
		static char kpath[PATH_MAX];
		struct stat st;

		if (!stat(o.kernel, &st) && S_ISDIR(st.st_mode)) {
			o.ktree = o.kernel;
			snprintf(kpath, sizeof(kpath), "%s/arch/x86/boot/bzImage",
				 o.kernel);
			if (access(kpath, R_OK))
				mkvm_usage_err("--kernel %s: no arch/x86/boot/bzImage "
					       "(not a built tree?)", o.kernel);
			o.kernel = kpath;
		}
	}
	kernel = slurp(o.kernel, &klen, "kernel");
	if (bzimage_parse(&bz, kernel, klen, err, sizeof(err)))
		mkvm_usage_err("%s: %s", o.kernel, err);
	initrd = build_initrd(&o, &bz, &ilen, &use_init);
	if (boot_layout_plan(&layout, &bz, o.mem, ilen))
		mkvm_usage_err("too little memory (%llu MiB) for this kernel%s",
			       (unsigned long long)(o.mem / MiB),
			       ilen ? " and initrd" : "");
	for (int i = 0; i < o.nshares; i++) {
		struct stat st;

		if (stat(o.shares[i].path, &st) || !S_ISDIR(st.st_mode))
			mkvm_usage_err("share %s: not a directory",
				       o.shares[i].path);
	}
	for (int i = 0; i < o.ndisks; i++)
		if (access(o.disks[i].path, o.disks[i].ro ? R_OK : R_OK | W_OK))
			mkvm_usage_err("disk %s: %s", o.disks[i].path,
				       strerror(errno));

	open_device(&vm, &o);

	/* Termination signals go to the I/O loop's signalfd; block them in
	 * every thread before any is created. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	pthread_mutex_init(&vm.stop_lock, NULL);
	vm.stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm.panic_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm.stop_efd < 0 || vm.panic_efd < 0 || io_init())
		return 1;

	r = vm_create(&vm, o.mem, o.cpus);
	if (r == -2)
		exit(2);		/* device busy: line already printed */
	if (r)
		return 1;

	/* Devices.  Order fixes their MMIO windows and GSIs. */
	if (!serial_create(&vm, 1) || virtio_console_create(&vm) ||
	    virtio_rng_create(&vm))
		return 1;
	for (int i = 0; i < o.ndisks; i++)
		if (virtio_blk_create(&vm, o.disks[i].path, o.disks[i].ro))
			return 1;
	if (o.net_user) {
		int fd = netuser_start(o.fwd, o.nfwd, err, sizeof(err));

		if (fd < 0) {
			mkvm_err("%s", err);
			return 1;
		}
		if (virtio_net_create_fd(&vm, fd, "user (libslirp)"))
			return 1;
	} else if (o.net && virtio_net_create(&vm, o.net_ifname, o.net_bridge)) {
		return 1;
	}
	for (int i = 0; i < o.nshares; i++)
		if (virtio_9p_create(&vm, o.shares[i].path, o.shares[i].tag,
				     o.shares[i].ro))
			return 1;

	/* Kernel command line. */
	cmdline[0] = 0;
	cat(cmdline, sizeof(cmdline),
	    "console=ttyS0 reboot=k panic=-1 io_delay=none");
	if (o.quiet)
		cat(cmdline, sizeof(cmdline), "quiet");
	memset(&acfg, 0, sizeof(acfg));
	acfg.ncpus = o.cpus;
	for (int i = 0; i < vm.nvirtio; i++) {
		struct virtio_dev *d = vm.virtio[i];
		char dev[96];

		/* For kernels with VIRTIO_MMIO_CMDLINE_DEVICES; others
		 * find the same devices in the DSDT. */
		snprintf(dev, sizeof(dev), "virtio_mmio.device=%u@0x%llx:%u",
			 VIRTIO_MMIO_SIZE, (unsigned long long)d->base, d->gsi);
		cat(cmdline, sizeof(cmdline), dev);
		acfg.virtio[i].base = d->base;
		acfg.virtio[i].size = VIRTIO_MMIO_SIZE;
		acfg.virtio[i].gsi = d->gsi;
	}
	acfg.nvirtio = vm.nvirtio;
	if (use_init)
		cat(cmdline, sizeof(cmdline), "rdinit=/mkvm-init");
	{
		char tsc[48];

		if (!tsc_hint(&vm, o.append, tsc, sizeof(tsc)))
			cat(cmdline, sizeof(cmdline), tsc);
	}
	if (o.append)
		cat(cmdline, sizeof(cmdline), o.append);
	if (strlen(cmdline) >= sizeof(cmdline) - 1 ||
	    (bz.cmdline_size && strlen(cmdline) > bz.cmdline_size))
		mkvm_usage_err("kernel command line too long (max %u)",
			       bz.cmdline_size);
	mkvm_dbg("cmdline: %s", cmdline);

	/* Guest memory contents. */
	memcpy(vm.ram + layout.kernel_addr, bz.kernel, bz.kernel_size);
	if (ilen)
		memcpy(gpa_ptr(&vm.mem, layout.initrd_addr, ilen), initrd, ilen);
	memcpy(vm.ram + LAYOUT_CMDLINE, cmdline, strlen(cmdline) + 1);
	bp = (struct boot_params *)(vm.ram + LAYOUT_ZERO_PAGE);
	if (boot_params_build(bp, &bz, &layout, o.mem, LAYOUT_CMDLINE,
			      strlen(cmdline)))
		mkvm_usage_err("kernel command line too long");
	if (acpi_build(vm.ram + LAYOUT_ACPI, LAYOUT_ACPI,
		       LAYOUT_ACPI_END - LAYOUT_ACPI, &acfg) < 0) {
		mkvm_err("cannot build ACPI tables");
		return 1;
	}
	free(kernel);
	free(initrd);

	/* 64-bit entry: startup_64 is 0x200 past the protected-mode start. */
	if (vm_setup_bsp(&vm, layout.kernel_addr + 0x200, LAYOUT_ZERO_PAGE))
		return 1;

	term_raw();
	stdin_h = (struct io_handler){ .fd = 0, .cb = stdin_cb, .opaque = &vm };
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	if (io_try_add(&stdin_h, EPOLLIN))
		mkvm_dbg("stdin is not pollable; no console input");

	if (vm_start_vcpus(&vm))
		vm_request_stop(&vm, STOP_ERROR, 0);
	io_loop(&vm, o.timeout);
	vm_kick_and_join(&vm);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
	term_restore();

	switch (vm.stop_reason) {
	case STOP_EXIT_STATUS:
		code = vm.stop_value;
		break;
	case STOP_PANIC:
		code = 255;
		break;
	case STOP_TIMEOUT:
		mkvm_err("timeout after %d s", o.timeout);
		vm_dump_vcpus(&vm);
		code = 124;
		break;
	case STOP_USER_QUIT:
		code = o.cmd ? 130 : 0;
		break;
	case STOP_SIGNAL:
		code = 128 + vm.stop_value;
		break;
	case STOP_POWEROFF:
	case STOP_RESET:
		if (vm.panicked)
			code = 255;
		else if (o.cmd) {
			mkvm_err("guest ended without reporting a status: %s, %s",
				 vm.stop_reason == STOP_RESET ? "reset" : "power-off",
				 vm.stop_how[0] ? vm.stop_how : "by the guest's request");
			code = 255;
		} else {
			code = 0;
		}
		break;
	default:
		code = 1;
		break;
	}
	if (vm.panicked && code != 124)
		code = 255;
	return code;
}
