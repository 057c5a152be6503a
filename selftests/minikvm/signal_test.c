// SPDX-License-Identifier: GPL-2.0
/*
 * signal_test - getting a vCPU back from a guest that never exits by
 * itself, and KVM_RUN's immediate_exit flag.
 *
 * A VMM stops a vCPU thread with a signal: KVM_RUN must notice a pending
 * signal while the guest spins (the host timer interrupt forces a #VMEXIT)
 * and return -EINTR with exit_reason KVM_EXIT_INTR, promptly (within
 * 100 ms of the signal) and without restarting even for an SA_RESTART
 * handler. The guest state is intact: the next KVM_RUN continues the
 * loop. With immediate_exit set KVM_RUN returns -EINTR without entering
 * the guest, leaving exit_reason as it was (KVM 6.1 and 6.12 only set
 * KVM_EXIT_INTR for a signal), but a pending PIO IN is completed first.
 * The time a spinning guest takes is the thread's guest time
 * (/proc/thread-self/stat), as stock KVM accounts it.
 *
 * minikvm: needs KVM_CAP_USER_MEMORY; immediate_exit tests also need
 * KVM_CAP_IMMEDIATE_EXIT.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/time.h>
#include "mkvm_test.h"
#include "guest_lib.h"

GL_DEV_FIXTURE();

/* Counts in RBX forever. */
GL_GUEST_ASM(spin64, 64, "xor %ebx, %ebx\n 1: inc %rbx\n jmp 1b\n");
GL_GUEST_ASM(spin16, 16, "xor %ebx, %ebx\n 1: inc %ebx\n jmp 1b\n");

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal++;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Fire SIGALRM once after @ms milliseconds. */
static void arm_timer(int ms)
{
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void install(int flags)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

/* The 64-bit spinning guest (with the Bochs workaround, guest_lib.h). */
static void load_spin64(struct gl_vcpu *vcpu)
{
	gl_load_asm(vcpu, GL_MODE_LONG64, spin64, spin64_end);
	gl_spin_if_quirk(vcpu);
}

/* KVM_RUN of a spinning guest, interrupted by a timer @ms later. */
static void interrupted_run(struct __test_metadata *_metadata,
			    struct gl_vcpu *vcpu, int ms)
{
	double t0, elapsed;
	int r;

	got_signal = 0;
	t0 = now_ms();
	arm_timer(ms);
	r = gl_run(vcpu);
	elapsed = now_ms() - t0;
	ASSERT_EQ(-EINTR, r) TH_LOG("KVM_RUN returned %d, exit %s", r,
				    gl_exit_name(vcpu->run->exit_reason));
	EXPECT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	EXPECT_EQ(1, got_signal);
	/* The signal came after @ms; KVM_RUN must return within 100 ms. */
	EXPECT_GE(elapsed, ms - 1);
	EXPECT_LT(elapsed, ms + 100) TH_LOG("KVM_RUN took %.1f ms", elapsed);
}

static void spin_and_interrupt(struct __test_metadata *_metadata,
			       struct gl_vcpu *vcpu, enum gl_mode mode,
			       const uint8_t *start, const uint8_t *end)
{
	struct kvm_regs regs;
	uint64_t count1;
	int i;

	gl_load_asm(vcpu, mode, start, end);
	gl_spin_if_quirk(vcpu);
	interrupted_run(_metadata, vcpu, 50);
	gl_get_regs(vcpu, &regs);
	count1 = regs.rbx;
	EXPECT_GT(count1, 0);
	EXPECT_GE(regs.rip, GL_CODE_GPA);
	EXPECT_LT(regs.rip, GL_CODE_GPA + (end - start));

	/* Again: the guest carries on from where it was. */
	for (i = 0; i < 3; i++)
		interrupted_run(_metadata, vcpu, 20 + 10 * i);
	gl_get_regs(vcpu, &regs);
	if (mode == GL_MODE_LONG64) {
		EXPECT_GT(regs.rbx, count1);
	} else {
		EXPECT_GT((uint32_t)regs.rbx, (uint32_t)count1);
	}
}

TEST_F(dev, signal_interrupts_spin64)
{
	install(0);
	spin_and_interrupt(_metadata, &self->vcpu, GL_MODE_LONG64, spin64,
			   spin64_end);
}

TEST_F(dev, signal_interrupts_spin_real_mode)
{
	install(0);
	spin_and_interrupt(_metadata, &self->vcpu, GL_MODE_REAL, spin16,
			   spin16_end);
}

/*
 * Field 43 of /proc/thread-self/stat: this thread's guest time in clock
 * ticks (proc(5)). A tick that lands while the vCPU is in guest mode is
 * guest time (PF_VCPU, kernel/sched/cputime.c) if the hypervisor marks
 * guest mode, as KVM does around VMRUN/VMLAUNCH and minikvm in
 * module/x86/guest_mode.h. Returns -1 when the file cannot be read.
 */
static long guest_ticks(void)
{
	char buf[1024], *p, *save = NULL;
	int i, fd = open("/proc/thread-self/stat", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm, field 2, may hold spaces: count from the ")" that ends it. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p = strtok_r(p + 1, " ", &save);
	for (i = 3; p && i < 43; i++)
		p = strtok_r(NULL, " ", &save);
	return p ? atol(p) : -1;
}

/*
 * A spinning guest's time is guest time, which top, /proc/stat and
 * cgroups report: 400 ms in the guest is 40 ticks at USER_HZ 100, and at
 * least a quarter of them must be there (the thread is the only busy one).
 */
TEST_F(dev, spin_counts_as_guest_time)
{
	long before, after;

	install(0);
	load_spin64(&self->vcpu);
	before = guest_ticks();
	ASSERT_GE(before, 0);
	interrupted_run(_metadata, &self->vcpu, 400);
	after = guest_ticks();
	EXPECT_GE(after - before, 10)
		TH_LOG("guest time went from %ld to %ld ticks", before, after);
}

/* KVM_RUN is not restarted after an SA_RESTART handler either. */
TEST_F(dev, signal_sa_restart)
{
	install(SA_RESTART);
	load_spin64(&self->vcpu);
	interrupted_run(_metadata, &self->vcpu, 30);
}

struct kicker {
	pthread_t target;
	int ms;
};

static void *kick(void *arg)
{
	struct kicker *k = arg;

	usleep(k->ms * 1000);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

/* The VMM pattern: another thread kicks the vCPU thread with a signal. */
TEST_F(dev, signal_from_other_thread)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct kicker k = { .target = pthread_self(), .ms = 40 };
	double t0, elapsed;
	pthread_t th;
	int r;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	load_spin64(&self->vcpu);
	got_signal = 0;
	t0 = now_ms();
	ASSERT_EQ(0, pthread_create(&th, NULL, kick, &k));
	r = gl_run(&self->vcpu);
	elapsed = now_ms() - t0;
	pthread_join(th, NULL);
	EXPECT_EQ(-EINTR, r);
	EXPECT_EQ(KVM_EXIT_INTR, self->vcpu.run->exit_reason);
	EXPECT_EQ(1, got_signal);
	EXPECT_LT(elapsed, k.ms + 100) TH_LOG("KVM_RUN took %.1f ms", elapsed);
}

/* immediate_exit with nothing pending: no guest entry at all. */
TEST_F(dev, immediate_exit_no_entry)
{
	struct kvm_regs regs;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_IMMEDIATE_EXIT));
	load_spin64(&self->vcpu);
	self->vcpu.run->exit_reason = 0x4242;
	self->vcpu.run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, gl_run(&self->vcpu));
	EXPECT_EQ(0x4242, self->vcpu.run->exit_reason);
	gl_get_regs(&self->vcpu, &regs);
	EXPECT_EQ(GL_CODE_GPA, regs.rip);
	EXPECT_EQ(0, regs.rbx);

	/* Cleared again, the guest runs (and is stopped by a signal). */
	self->vcpu.run->immediate_exit = 0;
	install(0);
	interrupted_run(_metadata, &self->vcpu, 20);
}

GL_GUEST_ASM(in_then_out, 32,
	     "mov $0x1111, %ebx\n"
	     "in $0x61, %eax\n"
	     "mov %eax, %ebx\n"
	     "out %eax, $0x62\n"
	     "hlt\n");

/* A pending IN is completed by the immediate_exit KVM_RUN. */
TEST_F(dev, immediate_exit_completes_in)
{
	struct gl_vcpu *vcpu = &self->vcpu;
	struct kvm_regs regs;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_IMMEDIATE_EXIT));
	gl_load_asm(vcpu, GL_MODE_PROT32, in_then_out, in_then_out_end);
	gl_expect_exit(_metadata, vcpu, KVM_EXIT_IO);
	ASSERT_EQ(KVM_EXIT_IO_IN, vcpu->run->io.direction);
	ASSERT_EQ(4, vcpu->run->io.size);
	*(uint32_t *)gl_pio_data(vcpu) = 0xfeedf00d;

	vcpu->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, gl_run(vcpu));
	EXPECT_EQ(KVM_EXIT_IO, vcpu->run->exit_reason);
	gl_get_regs(vcpu, &regs);
	EXPECT_EQ(0xfeedf00d, regs.rax);
	EXPECT_EQ(0x1111, regs.rbx);		/* stopped right after the IN */
	EXPECT_EQ(GL_CODE_GPA + 7, regs.rip);

	/* Still nothing runs while immediate_exit stays set. */
	EXPECT_EQ(-EINTR, gl_run(vcpu));
	gl_get_regs(vcpu, &regs);
	EXPECT_EQ(GL_CODE_GPA + 7, regs.rip);

	vcpu->run->immediate_exit = 0;
	gl_expect_exit(_metadata, vcpu, KVM_EXIT_IO);
	EXPECT_EQ(KVM_EXIT_IO_OUT, vcpu->run->io.direction);
	EXPECT_EQ(0x62, vcpu->run->io.port);
	EXPECT_EQ(0xfeedf00d, *(uint32_t *)gl_pio_data(vcpu));
	gl_expect_exit(_metadata, vcpu, KVM_EXIT_HLT);
}

TEST_HARNESS_MAIN
