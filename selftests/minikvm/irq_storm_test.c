// SPDX-License-Identifier: GPL-2.0
/*
 * irq_storm_test - a guest that drowns in interrupts must not stall the
 * host, on /dev/kvm and /dev/minikvm.
 *
 * Two storms: a level-triggered IOAPIC line that stays asserted while the
 * guest EOIs it (re-delivered after every EOI), and a guest that sends
 * itself IPIs from its own handler. While each runs, the host thread
 * sleeps in 10 ms steps and must wake on time (no step over 2 s on the
 * shared emulator), and a signal must still get the vCPU out of KVM_RUN.
 * The periodic timer's floor (KVM's min_timer_period_us, 200 us) is
 * checked too: a 1-cycle periodic timer fires at most ~5000 times/s.
 */
#include "mkvm_test.h"
#include "irq_lib.h"

#define VEC_LEVEL	0x70
#define VEC_SELF	0x71
#define VEC_TIMER	0x72
#define PIN		9

uint64_t n_level, n_self, n_timer;

IRQ_HANDLER(level_handler, n_level);
IRQ_HANDLER(timer_handler, n_timer);
asm(".pushsection .text\n"
    "self_handler:\n"
    "push %rax\n"
    "lock incq n_self(%rip)\n"
    "mov $0xfee000b0, %eax\n movl $0, (%rax)\n"
    "mov $0xfee00300, %eax\n movl $(0x40000 | " GL_XSTR(VEC_SELF) "), (%rax)\n"
    "pop %rax\n"
    "iretq\n"
    ".popsection\n");
extern const uint8_t self_handler[];

static void GUEST_CODE guest_main(uint64_t arg)
{
	apic_enable();
	ioapic_route(PIN, VEC_LEVEL, 1);
	apic_write(APIC_TDCR, 0xb);
	apic_write(APIC_LVTT, VEC_TIMER | LVTT_PERIODIC);
	GUEST_SYNC(0, 0, 0);
	switch (arg) {
	case 1:
		apic_write(APIC_ICR, 0x40000 | VEC_SELF);
		break;
	case 2:
		apic_write(APIC_TMICT, 1);
		break;
	}
	for (;;)
		guest_sti_hlt();
}

FIXTURE(storm) {
	int fd;
	struct gl_vm vm;
	struct gl_vcpu vcpu;
};

MKVM_DEV_VARIANTS(storm);

FIXTURE_SETUP(storm)
{
	self->fd = mkvm_open_dev(_metadata, variant->path);
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_MEMORY),
		   GL_CAP(KVM_CAP_IRQCHIP), GL_CAP_EMU);
	gl_vm_create(&self->vm, self->fd);
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_CREATE_IRQCHIP, 0));
	gl_vcpu_create(&self->vm, &self->vcpu, 0);
}

FIXTURE_TEARDOWN(storm)
{
	if (self->vm.fd > 0) {
		gl_vcpu_destroy(&self->vcpu);
		gl_vm_destroy(&self->vm);
	}
	close(self->fd);
}

/* Sleep @secs in 10 ms steps; return the longest step. */
static double host_responsive(double secs)
{
	double end = now_s() + secs, worst = 0;

	while (now_s() < end) {
		double t = now_s();

		usleep(10000);
		t = now_s() - t;
		if (t > worst)
			worst = t;
	}
	return worst;
}

static void run_storm(struct __test_metadata *_metadata,
		      FIXTURE_DATA(storm) *self, int kind, volatile uint64_t *n)
{
	struct vcpu_thread t;
	struct gl_ucall uc;
	double worst;

	gl_vcpu_setup_c(&self->vcpu, guest_main, kind);
	gl_idt_set(&self->vcpu, VEC_LEVEL, level_handler);
	gl_idt_set(&self->vcpu, VEC_SELF, self_handler);
	gl_idt_set(&self->vcpu, VEC_TIMER, timer_handler);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	if (kind == 0) {
		struct kvm_irq_level l = { .irq = PIN, .level = 1 };

		ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_IRQ_LINE, (unsigned long)&l));
	}
	vcpu_thread_start(&t, &self->vcpu);
	worst = host_responsive(1.0);
	EXPECT_LT(worst, 2.0) TH_LOG("a 10 ms sleep took %.3f s", worst);
	ASSERT_TRUE(vcpu_thread_stop(&t, 10)) TH_LOG("KVM_RUN ignores signals");
	EXPECT_EQ(-EINTR, t.result);
	EXPECT_GT(*n, 10) TH_LOG("only %lu interrupts", (unsigned long)*n);
}

TEST_F(storm, level_line_stays_high)
{
	run_storm(_metadata, self, 0, &GUEST_VAR(&self->vm, n_level));
}

TEST_F(storm, self_ipi_from_handler)
{
	run_storm(_metadata, self, 1, &GUEST_VAR(&self->vm, n_self));
}

TEST_F(storm, periodic_timer_floor)
{
	double t0 = now_s();
	uint64_t n;

	run_storm(_metadata, self, 2, &GUEST_VAR(&self->vm, n_timer));
	n = GUEST_VAR(&self->vm, n_timer);
	EXPECT_LT(n / (now_s() - t0), 6000.0) TH_LOG("%lu ticks", (unsigned long)n);
}

TEST_HARNESS_MAIN
