/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mkvm_test.h - helpers shared by the minikvm selftests.
 *
 * Every test that can runs twice: once against the stock KVM (/dev/kvm, the
 * reference) and once against /dev/minikvm, through the "dev" fixture
 * variants below. A test that passes on /dev/kvm and fails on
 * /dev/minikvm is a minikvm bug.
 *
 * The kselftest harness (kselftest_harness.h) comes from the linux-source
 * package at build time; see selftests/Makefile.
 */
#ifndef MKVM_TEST_H
#define MKVM_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "kselftest_harness.h"

#define KVM_DEV		"/dev/kvm"
#define MINIKVM_DEV	"/dev/minikvm"
#define MKVM_DEBUGFS_HW	"/sys/kernel/debug/minikvm/hw"

/*
 * Skip from anywhere in a test or its setup. The 6.1 harness keeps running
 * the test body after SKIP() in a fixture setup, but reports a child that
 * exits with 255 as skipped with the recorded reason; so exit right away.
 */
#define MKVM_SKIP(fmt, ...)	SKIP(_exit(255), fmt, ##__VA_ARGS__)

/*
 * The two variants every differential test runs in: the stock KVM (the
 * reference) and minikvm. Use after FIXTURE(name); variant->path is the
 * device to open.
 */
#define MKVM_DEV_VARIANTS(name)						\
	FIXTURE_VARIANT(name) {						\
		const char *path;					\
	};								\
	FIXTURE_VARIANT_ADD(name, kvm) {				\
		.path = KVM_DEV,					\
	};								\
	FIXTURE_VARIANT_ADD(name, minikvm) {				\
		.path = MINIKVM_DEV,					\
	}

static inline bool mkvm_is_minikvm(const char *path)
{
	return strcmp(path, MINIKVM_DEV) == 0;
}

/*
 * Is the reference half of this test to be left out on this machine?
 * MKVM_SKIP_REFERENCE (kernel command line -> init -> environment) lists
 * run-list names, comma-separated; a test's name is its program's name
 * without "_test"; "all" names every test. For a case the stock module
 * cannot run in an emulator (kvm_intel under Bochs stalls on a spinning
 * guest), or a step where stock KVM is not what is under test (the
 * KASAN/lockdep step: scripts/check.sh, Documentation/testing.md);
 * /dev/minikvm always runs.
 */
static inline bool mkvm_reference_skipped(void)
{
	const char *list = getenv("MKVM_SKIP_REFERENCE"), *tok, *end;
	char name[64], *p;
	size_t n;

	if (!list)
		return false;
	snprintf(name, sizeof(name), "%s", program_invocation_short_name);
	p = strstr(name, "_test");
	if (p)
		*p = '\0';
	n = strlen(name);
	for (tok = list; *tok; tok = *end ? end + 1 : end) {
		end = strchrnul(tok, ',');
		if ((end - tok == (long)n && !strncmp(tok, name, n)) ||
		    (end - tok == 3 && !strncmp(tok, "all", 3)))
			return true;
	}
	return false;
}

/*
 * Open a KVM-style device, or skip the test when it is not there; for a
 * test that needs both devices at once (coexist), not one half of a pair.
 */
static inline int mkvm_open_path(struct __test_metadata *_metadata,
				 const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 && (errno == ENOENT || errno == ENODEV || errno == ENXIO))
		MKVM_SKIP("%s is not available", path);
	ASSERT_GE(fd, 0) TH_LOG("open(%s): %s", path, strerror(errno));
	return fd;
}

/* Open the device of one half of a test: the /dev/kvm half may be left out. */
static inline int mkvm_open_dev(struct __test_metadata *_metadata,
				const char *path)
{
	if (!mkvm_is_minikvm(path) && mkvm_reference_skipped())
		MKVM_SKIP("%s left out here (MKVM_SKIP_REFERENCE)", path);
	return mkvm_open_path(_metadata, path);
}

/* An ioctl's result as "value or -errno", which makes asserts short. */
static inline long mkvm_ioctl(int fd, unsigned long req, unsigned long arg)
{
	long r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

/*
 * The kernel log, from "now" on: tests look for minikvm's one-line hints.
 * /dev/kmsg gives one record per read(); SEEK_END skips older records.
 */
static inline int mkvm_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* True if a record written since mkvm_kmsg_open() contains @needle. */
static inline bool mkvm_kmsg_find(int fd, const char *needle)
{
	char rec[2048];
	bool found = false;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, needle))
			found = true;
	}
	return found;
}

/*
 * minikvm's view of a CPU from debugfs: 1 = on, 0 = off, -1 = unknown
 * (no debugfs, no such line).
 */
static inline int mkvm_debugfs_cpu_on(int cpu)
{
	char line[256], want[32];
	int state = -1;
	FILE *f = fopen(MKVM_DEBUGFS_HW, "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "cpu%d: ", cpu);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			state = !strncmp(line + strlen(want), "on", 2);
	fclose(f);
	return state;
}

/* minikvm's hardware-enable count from debugfs, or -1. */
static inline int mkvm_debugfs_users(void)
{
	char line[256];
	int users = -1;
	FILE *f = fopen(MKVM_DEBUGFS_HW, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "users: %d", &users) == 1)
			break;
	fclose(f);
	return users;
}

/*
 * How many rounds a loop test makes on @path. minikvm always gets @rounds.
 * The stock KVM is only the reference, and on a slow emulated machine
 * (kvm_intel under Bochs needs about a second per VM create/destroy) the
 * harness caps its rounds with MKVM_REFERENCE_ROUNDS on the kernel command
 * line, which the kernel hands to init and init to every test as an
 * environment variable.
 */
static inline int mkvm_rounds(const char *path, int rounds)
{
	const char *cap = getenv("MKVM_REFERENCE_ROUNDS");

	if (mkvm_is_minikvm(path) || !cap || atoi(cap) <= 0)
		return rounds;
	return atoi(cap) < rounds ? atoi(cap) : rounds;
}

/* "svm" or "vmx", from the CPU flags, or NULL. */
static inline const char *mkvm_cpu_vendor(void)
{
	char line[4096];
	const char *v = NULL;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return NULL;
	while (!v && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		if (strstr(line, " svm"))
			v = "svm";
		else if (strstr(line, " vmx"))
			v = "vmx";
	}
	fclose(f);
	return v;
}

#endif /* MKVM_TEST_H */
