// SPDX-License-Identifier: GPL-2.0
/*
 * init.c - mkvm's guest init (PID 1), a static binary mkvm puts into its
 * extra initramfs as /mkvm-init and starts with rdinit=/mkvm-init.
 *
 * It mounts /proc, /sys, /dev (devtmpfs) and /dev/pts; loads the modules
 * mkvm packed under /mkvm/modules in their file-name order (the host
 * resolved modules.dep); makes /share (mkvm's copy of --copy DIR) read-only;
 * mounts the virtio-9p shares listed in /mkvm/mounts (9P2000.L, see
 * dev/virtio_9p.c) and, for --root, makes the first of them the root: a
 * read-only 9p lower layer under a tmpfs upper layer (overlayfs), with
 * the guest's own /proc, /sys, /dev, /tmp and /run; then either runs the
 * command stored in /mkvm/cmd (NUL-separated argv) on the console in the
 * foreground, in /mkvm/cwd with the variables of /mkvm/env, or, without
 * one, hands over to /init, /sbin/init or /bin/sh.  After the command it
 * waits until the console has sent the command's output, syncs, writes the
 * exit status to mkvm's control port (MKVM_CTL_EXIT), which ends the VM,
 * and powers off as a fallback.
 *
 * Non-goals: a service manager, module autoloading (no udev), networking
 * setup (the command does what it needs).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../mkvm.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

static void msg(const char *fmt, const char *a, const char *b)
{
	dprintf(2, "mkvm-init: ");
	dprintf(2, fmt, a, b);
	dprintf(2, "\n");
}

static void mnt(const char *src, const char *dir, const char *type,
		unsigned long flags)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, flags, NULL) && errno != EBUSY)
		msg("mount %s: %s", dir, strerror(errno));
}

/* mkdir -p */
static void mkdirs(const char *path)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

/* 512 KiB: Linux's virtio transport caps it at 500 KiB (its ring size). */
#define P9_OPTS "trans=virtio,version=9p2000.L,msize=524288"

static int mount_9p(const char *tag, const char *dir, bool ro)
{
	mkdirs(dir);
	if (!mount(tag, dir, "9p", ro ? MS_RDONLY : 0, P9_OPTS))
		return 0;
	msg("mount 9p %s: %s", tag, strerror(errno));
	return -1;
}

/* Read a small file of ours whole, NUL-terminated; NULL if absent. */
static char *slurp(const char *path, size_t *lenp)
{
	static const size_t max = 1 << 20;
	char *buf = malloc(max + 1);
	ssize_t len = 0, r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	while (len < (ssize_t)max && (r = read(fd, buf + len, max - len)) > 0)
		len += r;
	close(fd);
	buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
}

struct share {
	char *tag, *dir;
	bool ro;
};

static int read_mounts(struct share *sh, int max)
{
	char *text = slurp("/mkvm/mounts", NULL), *line, *save = NULL;
	int n = 0;

	if (!text)
		return 0;
	for (line = strtok_r(text, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

		if (!t2)
			continue;
		*t1 = *t2 = 0;
		sh[n].tag = line;
		sh[n].dir = t1 + 1;
		sh[n].ro = !strcmp(t2 + 1, "ro");
		n++;
	}
	return n;
}

/*
 * --root: the share becomes "/".  9p lower (read-only), tmpfs upper, an
 * overlay of both at /mkvm/root (or the bare 9p mount if overlayfs fails),
 * the guest's own /proc /sys /dev moved in, fresh /tmp and /run, the other
 * shares on top, then the new root moved over "/" (the initramfs cannot be
 * pivot_root'ed away; switch_root does the same).
 */
static void setup_root(struct share *sh, int n)
{
	static const char *const own[] = { "/proc", "/sys", "/dev" };
	char path[4200];

	if (mount_9p(sh[0].tag, "/mkvm/lower", true))
		return;
	mkdirs("/mkvm/rw");
	mkdirs("/mkvm/root");
	if (mount("tmpfs", "/mkvm/rw", "tmpfs", 0, "mode=0755") ||
	    mkdir("/mkvm/rw/upper", 0755) || mkdir("/mkvm/rw/work", 0755) ||
	    mount("overlay", "/mkvm/root", "overlay", 0,
		  "lowerdir=/mkvm/lower,upperdir=/mkvm/rw/upper,"
		  "workdir=/mkvm/rw/work")) {
		msg("overlay root: %s; the root stays read-only%s",
		    strerror(errno), "");
		if (mount("/mkvm/lower", "/mkvm/root", NULL, MS_BIND, NULL))
			return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(own); i++) {
		snprintf(path, sizeof(path), "/mkvm/root%s", own[i]);
		mkdirs(path);
		if (mount(own[i], path, NULL, MS_MOVE, NULL))
			msg("move %s: %s", own[i], strerror(errno));
	}
	mnt("tmpfs", "/mkvm/root/tmp", "tmpfs", MS_NOSUID | MS_NODEV);
	chmod("/mkvm/root/tmp", 01777);
	mnt("tmpfs", "/mkvm/root/run", "tmpfs", MS_NOSUID | MS_NODEV);
	for (int i = 1; i < n; i++) {
		snprintf(path, sizeof(path), "/mkvm/root%s", sh[i].dir);
		mount_9p(sh[i].tag, path, sh[i].ro);
	}
	if (chdir("/mkvm/root") || mount(".", "/", NULL, MS_MOVE, NULL) ||
	    chroot(".") || chdir("/"))
		msg("switch to the shared root: %s%s", strerror(errno), "");
}

static void set_env(void)
{
	char *text = slurp("/mkvm/env", NULL), *line, *save = NULL;

	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strchr(line, '=') && line[0] != '=')
			putenv(line);	/* text stays allocated */
}

static int only_ko(const struct dirent *d)
{
	return strstr(d->d_name, ".ko") != NULL;
}

static void load_modules(void)
{
	struct dirent **names;
	int n = scandir("/mkvm/modules", &names, only_ko, alphasort);

	for (int i = 0; i < n; i++) {
		char path[300];
		int fd, flags = 0;

		snprintf(path, sizeof(path), "/mkvm/modules/%s",
			 names[i]->d_name);
		if (strstr(names[i]->d_name, ".ko."))
			flags = MODULE_INIT_COMPRESSED_FILE;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && syscall(SYS_finit_module, fd, "", flags) &&
		    errno != EEXIST)
			msg("module %s: %s", names[i]->d_name, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(names[i]);
	}
	if (n > 0)
		free(names);
}

static char **read_cmd(void)
{
	static char buf[65536];
	char **argv;
	ssize_t len = 0, r;
	int fd, argc = 0;

	fd = open("/mkvm/cmd", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	while ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	close(fd);
	if (len <= 0)
		return NULL;
	buf[len] = 0;
	for (ssize_t i = 0; i < len; i++)
		if (!buf[i])
			argc++;
	argv = calloc(argc + 1, sizeof(char *));
	if (!argv)
		return NULL;
	argc = 0;
	for (ssize_t i = 0; i < len; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	return argv;
}

static void report(int status)
{
	/*
	 * The command's last output may still sit in the serial driver's
	 * transmit buffer, sent a FIFO-full per THRE interrupt (which can be
	 * taken on another vCPU, later). The status write ends the VM at once,
	 * so wait until the console has sent everything (tcdrain: tty
	 * wait-until-sent), or that tail is lost. SIGTTOU is ignored here, so
	 * this works from outside the foreground process group (tty_ioctl(4)).
	 */
	tcdrain(STDOUT_FILENO);
	tcdrain(STDERR_FILENO);
	sync();
	/* ioperm needs CAP_SYS_RAWIO: we are PID 1 as root. */
	if (!ioperm(MKVM_CTL_PORT, MKVM_CTL_SIZE, 1))
		outl(status, MKVM_CTL_EXIT);
	else
		msg("ioperm: %s%s", strerror(errno), "");
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void console_fds(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

int main(void)
{
	struct share shares[8];
	struct stat st;
	char **argv, *cwd;
	pid_t child;
	int status = 0, nshares;

	mnt("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mnt("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mnt("devtmpfs", "/dev", "devtmpfs", MS_NOSUID);
	mnt("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC);
	console_fds();
	load_modules();

	if (!access("/mkvm/copy", F_OK)) {
		/* A bind mount of itself, then read-only (mount(2)). */
		if (mount("/share", "/share", NULL, MS_BIND, NULL) ||
		    mount(NULL, "/share", NULL,
			  MS_BIND | MS_REMOUNT | MS_RDONLY, NULL))
			msg("read-only /share: %s%s", strerror(errno), "");
	}

	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", "/", 1);
	if (!getenv("TERM"))
		setenv("TERM", "linux", 1);
	set_env();

	/* Everything of ours is read before a shared root hides it. */
	argv = read_cmd();
	cwd = slurp("/mkvm/cwd", NULL);
	nshares = read_mounts(shares, 8);
	if (nshares && !strcmp(shares[0].dir, "/"))
		setup_root(shares, nshares);
	else
		for (int i = 0; i < nshares; i++)
			mount_9p(shares[i].tag, shares[i].dir, shares[i].ro);

	if (!argv) {
		static char *const inits[] = { "/init", "/sbin/init", "/bin/sh" };

		for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++) {
			if (!access(inits[i], X_OK)) {
				execl(inits[i], inits[i], (char *)NULL);
				msg("exec %s: %s", inits[i], strerror(errno));
			}
		}
		msg("nothing to run (no /init, /sbin/init or /bin/sh)%s%s", "", "");
		report(127);
	}

	/*
	 * The console is our controlling terminal and we are its session
	 * leader; the command runs as the foreground process group (Ctrl-C
	 * reaches it) but never leads the session. A session leader's exit
	 * hangs the terminal up (disassociate_ctty() -> tty_vhangup_session()),
	 * which throws away the output the UART has not sent yet: a command's
	 * last lines vanished that way, now and then, with two vCPUs.
	 * SIGTTOU ignored: we may still drain and set the terminal from the
	 * background (the child takes the default back before exec).
	 */
	signal(SIGTTOU, SIG_IGN);
	setsid();
	ioctl(0, TIOCSCTTY, 1);

	child = fork();
	if (child == 0) {
		setpgid(0, 0);
		tcsetpgrp(0, getpid());
		signal(SIGTTOU, SIG_DFL);
		if (cwd && *cwd) {
			if (chdir(cwd))
				msg("cwd %s: %s", cwd, strerror(errno));
		} else if (stat("/share", &st) || chdir("/share")) {
			(void)!chdir("/");
		}
		execvp(argv[0], argv);
		msg("%s: %s", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (child < 0) {
		msg("fork: %s%s", strerror(errno), "");
		report(126);
	}
	/* As PID 1, reap everything; stop when our child is done. */
	for (;;) {
		int st2;
		pid_t p = wait(&st2);

		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			break;
		if (p == child) {
			status = st2;
			break;
		}
	}
	if (WIFEXITED(status))
		report(WEXITSTATUS(status));
	report(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255);
	return 0;
}
