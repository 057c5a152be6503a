// SPDX-License-Identifier: GPL-2.0
/*
 * observe_test - what a developer watching a VM sees: per-vCPU exit
 * counters in debugfs and an exit tracepoint in tracefs.
 *
 * The guest makes 10 OUTs (each an exit to userspace), 20 CPUIDs (each an
 * exit handled in the kernel) and a HLT. Then:
 *  - counters: KVM sums its per-vCPU counters per VM in
 *    /sys/kernel/debug/kvm/<pid>-<vm fd>/<name>; minikvm keeps them per
 *    vCPU in /sys/kernel/debug/minikvm/vm<N>/vcpu<M>/stats. Both must say
 *    10 I/O exits, 1 HLT exit and at least 31 exits in all.
 *  - tracepoints: kvm:kvm_exit on /dev/kvm, minikvm:mkvm_exit on
 *    /dev/minikvm; with the event on, the trace holds at least 20 exits
 *    whose reason names CPUID.
 *
 * minikvm: skipped without KVM_CAP_USER_MEMORY. Skipped on either device
 * when debugfs or tracefs is not mounted.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "mkvm_test.h"
#include "guest_lib.h"

GL_DEV_FIXTURE();

GL_GUEST_ASM(obs_guest, 64,
	"mov $10, %r8d\n"
	"1: out %al, $0x42\n dec %r8d\n jnz 1b\n"
	"mov $20, %r8d\n"
	"2: xor %eax, %eax\n xor %ecx, %ecx\n cpuid\n dec %r8d\n jnz 2b\n"
	"hlt\n");

/* Run the guest: 10 OUT exits, then HLT. */
static void run_obs_guest(struct __test_metadata *_metadata,
			  FIXTURE_DATA(dev) *self)
{
	int i;

	gl_load_asm(&self->vcpu, GL_MODE_LONG64, obs_guest, obs_guest_end);
	for (i = 0; i < 10; i++) {
		gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_IO);
		ASSERT_EQ(0x42, self->vcpu.run->io.port);
	}
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_HLT);
}

static long read_num(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* "name value" lines of minikvm's stats file; -1 when absent. */
static long stat_line(const char *path, const char *name)
{
	char key[64];
	long v, found = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/* The newest VM's directory: the last line of minikvm/vms. */
static int minikvm_vcpu_stats(char *buf, size_t len)
{
	char line[32] = "", last[32] = "";
	FILE *f = fopen("/sys/kernel/debug/minikvm/vms", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		strcpy(last, line);
	fclose(f);
	last[strcspn(last, "\n")] = 0;
	if (!last[0])
		return -1;
	snprintf(buf, len, "/sys/kernel/debug/minikvm/%s/vcpu0/stats", last);
	return 0;
}

TEST_F(dev, exit_counters)
{
	bool mini = mkvm_is_minikvm(variant->path);
	char path[128], dir[96];
	long io, hlt, exits;

	if (access("/sys/kernel/debug/kvm", F_OK) &&
	    access("/sys/kernel/debug/minikvm", F_OK))
		MKVM_SKIP("debugfs is not mounted");
	run_obs_guest(_metadata, self);
	if (mini) {
		ASSERT_EQ(0, minikvm_vcpu_stats(path, sizeof(path)));
		io = stat_line(path, "io_exits");
		hlt = stat_line(path, "hlt_exits");
		exits = stat_line(path, "exits");
		EXPECT_EQ(20, stat_line(path, "cpuid_exits"));
		/* 10 OUTs and the HLT went to userspace. */
		EXPECT_EQ(11, stat_line(path, "user_exits"));
	} else {
		snprintf(dir, sizeof(dir), "/sys/kernel/debug/kvm/%d-%d",
			 getpid(), self->vm.fd);
		snprintf(path, sizeof(path), "%s/io_exits", dir);
		io = read_num(path);
		snprintf(path, sizeof(path), "%s/halt_exits", dir);
		hlt = read_num(path);
		snprintf(path, sizeof(path), "%s/exits", dir);
		exits = read_num(path);
	}
	EXPECT_EQ(10, io) TH_LOG("%s", path);
	EXPECT_EQ(1, hlt);
	EXPECT_GE(exits, 31);
}

static const char *tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK))
		return "/sys/kernel/tracing";
	mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (!access("/sys/kernel/tracing/events", F_OK))
		return "/sys/kernel/tracing";
	if (!access("/sys/kernel/debug/tracing/events", F_OK))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f)
		return -1;
	r = fputs(s, f) < 0 ? -1 : 0;
	return fclose(f) ? -1 : r;
}

static bool has_word_ci(const char *line, const char *word)
{
	size_t n = strlen(word);

	for (; *line; line++)
		if (!strncasecmp(line, word, n))
			return true;
	return false;
}

TEST_F(dev, exit_tracepoint)
{
	bool mini = mkvm_is_minikvm(variant->path);
	const char *t = tracefs();
	char en[160], tr[128], line[512];
	int cpuid_exits = 0;
	FILE *f;

	if (!t)
		MKVM_SKIP("tracefs is not available");
	snprintf(en, sizeof(en), "%s/events/%s/enable", t,
		 mini ? "minikvm/mkvm_exit" : "kvm/kvm_exit");
	ASSERT_EQ(0, access(en, F_OK)) TH_LOG("%s missing", en);
	snprintf(tr, sizeof(tr), "%s/trace", t);
	ASSERT_EQ(0, write_file(tr, ""));		/* clear */
	ASSERT_EQ(0, write_file(en, "1"));
	run_obs_guest(_metadata, self);
	ASSERT_EQ(0, write_file(en, "0"));

	f = fopen(tr, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && has_word_ci(line, "cpuid"))
			cpuid_exits++;
	fclose(f);
	EXPECT_GE(cpuid_exits, 20);
}

TEST_HARNESS_MAIN
