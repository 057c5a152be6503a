// SPDX-License-Identifier: GPL-2.0
/*
 * fork_kill_test - upstream's hardware_disable_test in miniature, on
 * /dev/kvm and /dev/minikvm: forked children each build a VM with 4
 * spinning vCPUs (one thread each, in KVM_RUN) plus threads that keep
 * opening and closing files, and are SIGKILLed at a random moment up to
 * 2 ms after they said they were running. Upstream does 512 such
 * children, which takes longer than its time limit under TCG on either
 * device; this does ITERATIONS, reaps every child, and then checks that
 * nothing is left behind: the device module's reference count is back
 * where it was (every VM and vCPU fd was released, so virtualization went
 * off again with the last VM, virt.c), and each child died of the SIGKILL
 * rather than of an error of its own.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include "mkvm_test.h"
#include "guest_lib.h"

#define ITERATIONS	24
#define NR_VCPUS	4
#define NR_SLEEPERS	4	/* per vCPU; upstream has 16 */

GL_GUEST_ASM(fk_spin, 16, "1: inc %ax\n jmp 1b\n");

FIXTURE(fk) {
	int fd;
};

MKVM_DEV_VARIANTS(fk);

FIXTURE_SETUP(fk)
{
	self->fd = mkvm_open_dev(_metadata, variant->path);
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_MEMORY));
}

FIXTURE_TEARDOWN(fk)
{
	close(self->fd);
}

static void *fk_vcpu(void *arg)
{
	gl_run(arg);
	/* A spinning guest never exits to us: reaching here is a failure. */
	_exit(3);
}

static void *fk_sleeper(void *arg)
{
	for (;;)
		close(open("/dev/null", O_RDWR));
	return NULL;
}

/* The child: a VM with spinning vCPUs; never returns. */
static void fk_child(int kvm_fd, int ready)
{
	static struct gl_vcpu vcpus[NR_VCPUS];
	static struct gl_vm vm;
	pthread_t t;
	int i, j;

	gl_vm_create(&vm, kvm_fd);
	for (i = 0; i < NR_VCPUS; i++) {
		gl_vcpu_create(&vm, &vcpus[i], i);
		gl_load_asm(&vcpus[i], GL_MODE_REAL, fk_spin, fk_spin_end);
		gl_spin_if_quirk(&vcpus[i]);
		if (pthread_create(&t, NULL, fk_vcpu, &vcpus[i]))
			_exit(2);
		for (j = 0; j < NR_SLEEPERS; j++)
			if (pthread_create(&t, NULL, fk_sleeper, NULL))
				_exit(2);
	}
	if (write(ready, "r", 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

static long fk_read_refcnt(const char *mod)
{
	char file[64];
	long n = -1;
	FILE *f;

	snprintf(file, sizeof(file), "/sys/module/%s/refcnt", mod);
	f = fopen(file, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * The reference count of the module that owns @path's file operations:
 * every open device, VM and vCPU fd holds one. For /dev/kvm that is the
 * vendor module (kvm_init() makes it the owner), not kvm.
 */
static long fk_refcnt(const char *path)
{
	long n;

	if (strcmp(path, KVM_DEV))
		return fk_read_refcnt("minikvm");
	n = fk_read_refcnt("kvm_amd");
	return n >= 0 ? n : fk_read_refcnt("kvm_intel");
}

TEST_F_TIMEOUT(fk, fork_run_kill, 600)
{
	long before = fk_refcnt(variant->path), after = -1;
	int i, tries, status, killed = 0;

	srand(time(NULL));
	for (i = 0; i < mkvm_rounds(variant->path, ITERATIONS); i++) {
		struct timespec ts = { 0, (rand() % 2000 + 1) * 1000L };
		int p[2];
		char c;
		pid_t pid;

		ASSERT_EQ(0, pipe(p));
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			close(p[0]);
			fk_child(self->fd, p[1]);
		}
		close(p[1]);
		/* EOF instead of the byte: the child died on its own. */
		ASSERT_EQ(1, read(p[0], &c, 1)) TH_LOG("child %d failed", i);
		close(p[0]);
		nanosleep(&ts, NULL);
		ASSERT_EQ(0, waitpid(pid, &status, WNOHANG))
			TH_LOG("child %d exited early: status %#x", i, status);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("child %d: status %#x", i, status);
		killed++;
	}
	/* A dead process's fds are released by the time it is reaped. */
	for (tries = 0; tries < 50; tries++) {
		after = fk_refcnt(variant->path);
		if (after == before)
			break;
		usleep(100000);
	}
	TH_LOG("%d children killed; %s refcnt %ld before, %ld after",
	       killed, variant->path, before, after);
	EXPECT_EQ(before, after);
}

TEST_HARNESS_MAIN
