// SPDX-License-Identifier: GPL-2.0
/*
 * lapic_timer_test - the in-kernel local APIC timer and register state on
 * /dev/kvm and /dev/minikvm (SDM Vol. 3A 10.5.4; api.rst 4.57/4.58).
 *
 * A 64-bit guest with KVM_CREATE_IRQCHIP enables its xAPIC and arms the
 * timer in each mode; its handler counts interrupts and EOIs; it sleeps
 * in HLT (handled in the kernel: no KVM_EXIT_HLT reaches us).
 *   one-shot: fires once, no earlier than the programmed time (host
 *     clock between the guest's SYNC before arming and DONE), TMCCT
 *     counts down and is 0 afterwards;
 *   periodic: 10 periods take at least ~9 periods of host time;
 *   TSC-deadline: fires once, never before the deadline (guest TSC in
 *     the handler), and a deadline in the past fires at once;
 *   zero count / garbage divisor: nothing fires, nothing divides by 0.
 * Tolerance upwards is generous (the emulator is shared and slow).
 * KVM_GET/SET_LAPIC: reset values, round trip.
 * x2APIC: switching through IA32_APIC_BASE, the MSR view of ID, version,
 * LDR, a self-IPI through the SELF IPI MSR and the ICR, EOI by MSR, the
 * timer by MSR, and #GP for what x2APIC mode forbids.
 * NMI: self-NMIs through the ICR arrive with IF=0, one per IPI.
 */
#include "mkvm_test.h"
#include "irq_lib.h"

#define VEC	0x40
#define NS_ONESHOT	50000000u	/* 50 ms at the 1 GHz bus clock */
#define NS_PERIOD	10000000u	/* 10 ms */

uint64_t ticks;
uint64_t tsc_at_irq, deadline, tmcct1, tmcct2, tmcct_after;

asm(".pushsection .text\n"
    "timer_handler:\n"
    "push %rax\n push %rdx\n"
    "rdtsc\n shl $32, %rdx\n or %rdx, %rax\n"
    "mov %rax, tsc_at_irq(%rip)\n"
    "lock incq ticks(%rip)\n"
    "mov $0xfee000b0, %eax\n movl $0, (%rax)\n"
    "pop %rdx\n pop %rax\n"
    "iretq\n"
    ".popsection\n");
extern const uint8_t timer_handler[];

enum { PH_ONESHOT, PH_PERIODIC, PH_DEADLINE, PH_ZERO, PH_X2APIC, PH_NMI };

uint64_t nmis;

/* NMI handler (vector 2): no EOI for NMIs (SDM 10.8.5). */
asm(".pushsection .text\n"
    "nmi_handler:\n"
    "lock incq nmis(%rip)\n"
    "iretq\n"
    ".popsection\n");
extern const uint8_t nmi_handler[];

/* NMIs are taken with IF=0: three self-NMIs, one at a time. */
static void GUEST_CODE guest_nmi(void)
{
	uint64_t i;

	apic_enable();
	for (i = 1; i <= 3; i++) {
		apic_write(APIC_ICR, 0x400 | (1 << 18));	/* NMI, self */
		while (nmis < i)
			asm volatile("pause" ::: "memory");
	}
}

uint64_t x2_ticks;

/* x2APIC handler: EOI is WRMSR 80Bh (SDM 10.12.1.2). */
asm(".pushsection .text\n"
    "x2_handler:\n"
    "push %rax\n push %rcx\n push %rdx\n"
    "lock incq x2_ticks(%rip)\n"
    "mov $0x80b, %ecx\n xor %eax, %eax\n xor %edx, %edx\n wrmsr\n"
    "pop %rdx\n pop %rcx\n pop %rax\n"
    "iretq\n"
    ".popsection\n");
extern const uint8_t x2_handler[];
#define VEC_X2	0x45

/*
 * Wait until *count reaches n with interrupts open and no HLT. PH_ZERO and the
 * x2APIC phase wait this way: an interrupt that fires within the guest's
 * STI;HLT sequence (PH_ZERO's one-shot), or one already pending in IRR when the
 * STI shadow ends (the x2APIC self-IPIs), hangs now and then under QEMU's
 * nested SVM, on stock kvm_amd too (a 2000-round stress and make check's debug
 * step on 2026-12-03; a 40-round debug-kernel loop on 2026-12-04 failed a round
 * on /dev/kvm and /dev/minikvm alike): an emulator artefact. HLT wake-ups stay
 * covered by the other phases.
 */
static void GUEST_CODE spin_until(volatile uint64_t *count, uint64_t n)
{
	asm volatile("sti" ::: "memory");
	while (*count < n)
		asm volatile("pause" ::: "memory");
	asm volatile("cli" ::: "memory");
}

static void GUEST_CODE guest_x2apic(void)
{
	uint64_t v;

	GUEST_ASSERT_EQ(0, gl_rdmsr_safe(0x1b, &v));
	GUEST_ASSERT_EQ(0, gl_wrmsr_safe(0x1b, v | (1 << 10)));
	GUEST_ASSERT_EQ(0, gl_rdmsr_safe(0x802, &v));		/* ID */
	GUEST_ASSERT_EQ(0, v);
	GUEST_ASSERT_EQ(0, gl_rdmsr_safe(0x803, &v));		/* version */
	GUEST_ASSERT_EQ(0x14, v & 0xff);
	GUEST_ASSERT_EQ(0, gl_rdmsr_safe(0x80d, &v));		/* LDR */
	GUEST_ASSERT_EQ(1, v);
	/* DFR does not exist in x2APIC mode; LDR is read-only. */
	GUEST_ASSERT_EQ(13, gl_rdmsr_safe(0x80e, &v));
	GUEST_ASSERT_EQ(13, gl_wrmsr_safe(0x80d, 2));
	GUEST_ASSERT_EQ(0, gl_wrmsr_safe(0x80f, 0x1ff));	/* SVR */
	GUEST_ASSERT_EQ(0, gl_wrmsr_safe(0x83f, VEC_X2));	/* SELF IPI */
	spin_until(&x2_ticks, 1);
	/* ICR: fixed, physical, destination 0 in bits 63:32. */
	GUEST_ASSERT_EQ(0, gl_wrmsr_safe(0x830, VEC_X2));
	spin_until(&x2_ticks, 2);
	/* The timer by MSR: LVTT, divide by 1, 1 ms. */
	GUEST_ASSERT_EQ(0, gl_wrmsr_safe(0x832, VEC_X2));
	GUEST_ASSERT_EQ(0, gl_wrmsr_safe(0x83e, 0xb));
	GUEST_ASSERT_EQ(0, gl_wrmsr_safe(0x838, 1000000));
	spin_until(&x2_ticks, 3);
	/* The xAPIC page is gone in x2APIC mode: reads as all-ones. */
	GUEST_ASSERT_EQ(0, gl_rdmsr_safe(0x839, &v));		/* TMCCT */
	GUEST_ASSERT_EQ(0, v);
}

static void GUEST_CODE wait_ticks(uint64_t n)
{
	while (ticks < n)
		guest_sti_hlt();
}

static void GUEST_CODE guest_main(uint64_t phase)
{
	uint64_t t;

	if (phase == PH_X2APIC) {
		guest_x2apic();
		return;
	}
	if (phase == PH_NMI) {
		guest_nmi();
		return;
	}
	apic_enable();
	apic_write(APIC_TDCR, 0xb);	/* divide by 1 */
	switch (phase) {
	case PH_ONESHOT:
		apic_write(APIC_LVTT, VEC);
		GUEST_SYNC(0, 0, 0);
		apic_write(APIC_TMICT, NS_ONESHOT);
		tmcct1 = apic_read(APIC_TMCCT);
		tmcct2 = apic_read(APIC_TMCCT);
		wait_ticks(1);
		tmcct_after = apic_read(APIC_TMCCT);
		break;
	case PH_PERIODIC:
		apic_write(APIC_LVTT, VEC | LVTT_PERIODIC);
		GUEST_SYNC(0, 0, 0);
		apic_write(APIC_TMICT, NS_PERIOD);
		wait_ticks(10);
		apic_write(APIC_TMICT, 0);	/* stop */
		break;
	case PH_DEADLINE:
		apic_write(APIC_LVTT, VEC | LVTT_DEADLINE);
		deadline = guest_rdtsc() + (1ULL << 26);
		GUEST_ASSERT_EQ(0, gl_wrmsr_safe(0x6e0, deadline));
		wait_ticks(1);
		GUEST_ASSERT(tsc_at_irq >= deadline);
		/* Already passed: fires right away. */
		GUEST_ASSERT_EQ(0, gl_wrmsr_safe(0x6e0, 1));
		wait_ticks(2);
		break;
	case PH_ZERO:
		apic_write(APIC_TDCR, 0xff);	/* reserved bits: ignored */
		apic_write(APIC_LVTT, VEC);
		apic_write(APIC_TMICT, 0);
		GUEST_ASSERT_EQ(0, apic_read(APIC_TMCCT));
		/*
		 * A one-shot still works with the odd divisor. 100 us, not 1,
		 * and waited for without HLT (spin_until()).
		 */
		apic_write(APIC_TMICT, 100000);
		spin_until(&ticks, 1);
		GUEST_ASSERT_EQ(0, apic_read(APIC_TMCCT));
		t = guest_rdtsc();
		(void)t;
		break;
	}
}

FIXTURE(lapic) {
	int fd;
	struct gl_vm vm;
	struct gl_vcpu vcpu;
};

MKVM_DEV_VARIANTS(lapic);

FIXTURE_SETUP(lapic)
{
	self->fd = mkvm_open_dev(_metadata, variant->path);
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_MEMORY),
		   GL_CAP(KVM_CAP_IRQCHIP), GL_CAP_EMU);
	gl_vm_create(&self->vm, self->fd);
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_CREATE_IRQCHIP, 0));
	gl_vcpu_create(&self->vm, &self->vcpu, 0);
}

FIXTURE_TEARDOWN(lapic)
{
	if (self->vm.fd > 0) {
		gl_vcpu_destroy(&self->vcpu);
		gl_vm_destroy(&self->vm);
	}
	close(self->fd);
}

static void setup_guest(struct gl_vcpu *vcpu, int phase)
{
	struct kvm_cpuid2 *c = gl_supported_cpuid(vcpu->vm->kvm_fd);
	unsigned int i;

	/* TSC-deadline is the VMM's to offer (KVM_CAP_TSC_DEADLINE_TIMER). */
	for (i = 0; c && i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= 1u << 24;
	if (c)
		ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
	gl_vcpu_setup_c(vcpu, guest_main, phase);
	gl_idt_set(vcpu, VEC, timer_handler);
	gl_idt_set(vcpu, VEC_X2, x2_handler);
	gl_idt_set(vcpu, 2, nmi_handler);
}

TEST_F(lapic, nmi_ipi)
{
	struct gl_ucall uc;

	setup_guest(&self->vcpu, PH_NMI);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	EXPECT_EQ(3, GUEST_VAR(&self->vm, nmis));
}

TEST_F(lapic, x2apic)
{
	struct gl_ucall uc;

	setup_guest(&self->vcpu, PH_X2APIC);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	EXPECT_EQ(3, GUEST_VAR(&self->vm, x2_ticks));
}

TEST_F(lapic, oneshot)
{
	struct gl_ucall uc;
	double t0, dt;

	setup_guest(&self->vcpu, PH_ONESHOT);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	t0 = now_s();
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	dt = now_s() - t0;
	EXPECT_EQ(1, GUEST_VAR(&self->vm, ticks));
	EXPECT_GE(dt, NS_ONESHOT / 1e9) TH_LOG("fired after %.3f s", dt);
	EXPECT_LT(dt, 10.0) TH_LOG("fired after %.3f s", dt);
	EXPECT_LE(GUEST_VAR(&self->vm, tmcct1), NS_ONESHOT);
	EXPECT_GT(GUEST_VAR(&self->vm, tmcct1), 0);
	EXPECT_LE(GUEST_VAR(&self->vm, tmcct2), GUEST_VAR(&self->vm, tmcct1));
	EXPECT_EQ(0, GUEST_VAR(&self->vm, tmcct_after));
}

TEST_F(lapic, periodic)
{
	struct gl_ucall uc;
	double t0, dt;

	setup_guest(&self->vcpu, PH_PERIODIC);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	t0 = now_s();
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	dt = now_s() - t0;
	EXPECT_GE(GUEST_VAR(&self->vm, ticks), 10);
	EXPECT_GE(dt, 9 * NS_PERIOD / 1e9) TH_LOG("10 periods in %.3f s", dt);
	EXPECT_LT(dt, 20.0) TH_LOG("10 periods in %.3f s", dt);
}

TEST_F(lapic, tsc_deadline)
{
	struct gl_ucall uc;

	setup_guest(&self->vcpu, PH_DEADLINE);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	EXPECT_EQ(2, GUEST_VAR(&self->vm, ticks));
}

TEST_F(lapic, zero_count_and_divisor)
{
	struct gl_ucall uc;

	setup_guest(&self->vcpu, PH_ZERO);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	EXPECT_EQ(1, GUEST_VAR(&self->vm, ticks));
}

static uint32_t reg(const struct kvm_lapic_state *s, int off)
{
	return *(const uint32_t *)(s->regs + off);
}

TEST_F(lapic, get_set_lapic)
{
	struct kvm_lapic_state s, t;
	struct kvm_mp_state mp;

	ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_GET_LAPIC, (unsigned long)&s));
	EXPECT_EQ(0, reg(&s, APIC_ID));
	EXPECT_EQ(0x14, reg(&s, APIC_LVR) & 0xff);
	EXPECT_EQ(5, (reg(&s, APIC_LVR) >> 16) & 0xff);
	EXPECT_EQ(0xff, reg(&s, APIC_SVR));
	EXPECT_EQ(0xffffffff, reg(&s, APIC_DFR));
	EXPECT_EQ(LVT_MASKED, reg(&s, APIC_LVTT));
	EXPECT_EQ(0, reg(&s, APIC_TPR));

	*(uint32_t *)(s.regs + APIC_TPR) = 0x20;
	*(uint32_t *)(s.regs + APIC_SVR) = 0x1ff;
	*(uint32_t *)(s.regs + APIC_LDR) = 0x01000000;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_LAPIC, (unsigned long)&s));
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_GET_LAPIC, (unsigned long)&t));
	EXPECT_EQ(0x20, reg(&t, APIC_TPR));
	EXPECT_EQ(0x1ff, reg(&t, APIC_SVR));
	EXPECT_EQ(0x01000000, reg(&t, APIC_LDR));
	EXPECT_EQ(0x20, reg(&t, 0xa0));		/* PPR follows TPR */

	/* The BSP is runnable; MP states need the in-kernel APIC. */
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_GET_MP_STATE, (unsigned long)&mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	mp.mp_state = KVM_MP_STATE_HALTED;
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_MP_STATE, (unsigned long)&mp));
	mp.mp_state = 100;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_MP_STATE, (unsigned long)&mp));
}

/* Without KVM_CREATE_IRQCHIP: no APIC state, HLT goes to userspace. */
TEST_F(lapic, irqchip_rules)
{
	struct kvm_lapic_state s;
	int vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0), v;

	ASSERT_GE(vm, 0);
	/* Twice: EEXIST; after vCPUs: EINVAL (KVM's answers). */
	EXPECT_EQ(-EEXIST, mkvm_ioctl(self->vm.fd, KVM_CREATE_IRQCHIP, 0));
	v = mkvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	ASSERT_GE(v, 0);
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(v, KVM_GET_LAPIC, (unsigned long)&s));
	close(v);
	close(vm);
}

TEST_HARNESS_MAIN
