// SPDX-License-Identifier: GPL-2.0
/*
 * ipi_test - two vCPUs and their local APICs on /dev/kvm and /dev/minikvm:
 * fixed IPIs back and forth (SDM Vol. 3A 10.6), logical destinations and
 * shorthands, and starting an application processor with INIT and a
 * start-up IPI (SDM 8.4.4) from KVM_MP_STATE_UNINITIALIZED.
 *
 * Each vCPU runs in its own host thread; the IPIs travel entirely in the
 * kernel (a vCPU sleeping in HLT is woken, one in guest mode is kicked).
 * On the emulated test machine both L1 CPUs share one TCG thread, so a
 * cross-CPU wakeup is slow: N stays small and the timeouts long. KVM_RUN
 * of an AP in KVM_MP_STATE_UNINITIALIZED returns -EAGAIN after INIT (as
 * KVM); the vCPU thread calls it again.
 */
#include "mkvm_test.h"
#include "irq_lib.h"

#define VEC_PING	0x60
#define VEC_PONG	0x61
#define VEC_LOGICAL	0x62
#define VEC_SELF	0x63
#define N		10
#define AP_STACK	0x300000

uint64_t pings, pongs, logicals, selfs, stop;

/* vCPU 1's handler answers every ping with a pong to APIC 0. */
asm(".pushsection .text\n"
    "ping_handler:\n"
    "push %rax\n"
    "lock incq pings(%rip)\n"
    "mov $0xfee00310, %eax\n movl $0, (%rax)\n"		/* ICR2: APIC 0 */
    "mov $0xfee00300, %eax\n movl $" GL_XSTR(VEC_PONG) ", (%rax)\n"
    "mov $0xfee000b0, %eax\n movl $0, (%rax)\n"
    "pop %rax\n"
    "iretq\n"
    ".popsection\n");
extern const uint8_t ping_handler[];
IRQ_HANDLER(pong_handler, pongs);
IRQ_HANDLER(logical_handler, logicals);
IRQ_HANDLER(self_handler, selfs);

static void GUEST_CODE bsp_main(uint64_t arg)
{
	uint64_t i;

	apic_enable();
	GUEST_ASSERT_EQ(0, apic_read(APIC_ID) >> 24);
	for (i = 1; i <= N; i++) {
		apic_send_ipi(1, VEC_PING);
		while (pongs < i)
			guest_sti_hlt();
	}
	/* Logical flat: APIC 1 has LDR bit 1; self-IPI by shorthand. */
	apic_send_ipi(0x02, VEC_LOGICAL | (1 << 11));
	apic_write(APIC_ICR, VEC_SELF | (1 << 18));
	while (!selfs)
		guest_sti_hlt();
	GUEST_SYNC(pongs, logicals, selfs);
	stop = 1;
	apic_send_ipi(1, VEC_PING);	/* wake it to see @stop */
}

static void GUEST_CODE ap_main(uint64_t arg)
{
	apic_enable();
	apic_write(APIC_LDR, 0x02000000);
	GUEST_ASSERT_EQ(1, apic_read(APIC_ID) >> 24);
	GUEST_SYNC(0, 0, 0);
	/*
	 * Until the last ping has been taken, not merely until @stop is set:
	 * an AP slowed down by the host may see @stop right after another
	 * interrupt, and would then leave with the last ping still pending.
	 */
	while (!stop || pings <= N)
		guest_sti_hlt();
}

/* The AP's real-mode start-up code, at the SIPI vector's page. */
GL_GUEST_ASM(ap_trampoline, 16,
	     "mov %cs, %ax\n"
	     "out %ax, $0x80\n"
	     "1: hlt\n jmp 1b\n");

static void GUEST_CODE bsp_start_ap(uint64_t arg)
{
	apic_enable();
	apic_send_ipi(1, 0x4500);			/* INIT, level assert */
	apic_send_ipi(1, 0x4600 | (GL_CODE_GPA >> 12));	/* start-up */
}

FIXTURE(smp) {
	int fd;
	struct gl_vm vm;
	struct gl_vcpu v0, v1;
};

MKVM_DEV_VARIANTS(smp);

FIXTURE_SETUP(smp)
{
	self->fd = mkvm_open_dev(_metadata, variant->path);
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_MEMORY),
		   GL_CAP(KVM_CAP_IRQCHIP), GL_CAP(KVM_CAP_MP_STATE), GL_CAP_EMU);
	gl_vm_create(&self->vm, self->fd);
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_CREATE_IRQCHIP, 0));
	gl_vcpu_create(&self->vm, &self->v0, 0);
	gl_vcpu_create(&self->vm, &self->v1, 1);
}

FIXTURE_TEARDOWN(smp)
{
	if (self->vm.fd > 0) {
		gl_vcpu_destroy(&self->v1);
		gl_vcpu_destroy(&self->v0);
		gl_vm_destroy(&self->vm);
	}
	close(self->fd);
}

TEST_F_TIMEOUT(smp, ping_pong, 180)
{
	struct vcpu_thread t0, t1;
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	struct gl_ucall uc;

	/* With an in-kernel irqchip an AP starts waiting for INIT. */
	ASSERT_EQ(0, mkvm_ioctl(self->v1.fd, KVM_GET_MP_STATE, (unsigned long)&mp));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp.mp_state);
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	ASSERT_EQ(0, mkvm_ioctl(self->v1.fd, KVM_SET_MP_STATE, (unsigned long)&mp));

	gl_vcpu_setup_c(&self->v0, bsp_main, 0);
	gl_vcpu_setup_c(&self->v1, ap_main, 0);
	gl_get_regs(&self->v1, &regs);
	regs.rsp = AP_STACK;
	gl_set_regs(&self->v1, &regs);
	gl_idt_set(&self->v0, VEC_PONG, pong_handler);
	gl_idt_set(&self->v0, VEC_PING, ping_handler);
	gl_idt_set(&self->v0, VEC_LOGICAL, logical_handler);
	gl_idt_set(&self->v0, VEC_SELF, self_handler);
	gl_idt_set(&self->v1, VEC_PING, ping_handler);

	/* The AP sets its logical ID before the BSP starts. */
	gl_expect_ucall(_metadata, &self->v1, &uc, GL_UCALL_SYNC);
	vcpu_thread_start(&t1, &self->v1);
	vcpu_thread_start(&t0, &self->v0);
	if (!vcpu_thread_wait(&t0, 90)) {
		vcpu_thread_stop(&t0, 5);
		vcpu_thread_stop(&t1, 5);
		TH_LOG("stuck: pings %lu pongs %lu logical %lu self %lu",
		       (unsigned long)GUEST_VAR(&self->vm, pings),
		       (unsigned long)GUEST_VAR(&self->vm, pongs),
		       (unsigned long)GUEST_VAR(&self->vm, logicals),
		       (unsigned long)GUEST_VAR(&self->vm, selfs));
	}
	if (!vcpu_thread_wait(&t1, 20))
		vcpu_thread_stop(&t1, 5);
	ASSERT_TRUE(t0.done && t1.done);
	EXPECT_EQ(GL_UCALL_DONE, t0.result);
	EXPECT_EQ(GL_UCALL_DONE, t1.result);
	EXPECT_EQ(N + 1, GUEST_VAR(&self->vm, pings));
	EXPECT_GE(GUEST_VAR(&self->vm, pongs), N);
	EXPECT_EQ(1, GUEST_VAR(&self->vm, logicals));
	EXPECT_EQ(1, GUEST_VAR(&self->vm, selfs));
}

TEST_F_TIMEOUT(smp, init_sipi, 120)
{
	struct vcpu_thread t1;
	struct kvm_sregs sregs;
	struct kvm_mp_state mp;
	struct gl_ucall uc;

	memcpy(gl_hva(&self->vm, GL_CODE_GPA), ap_trampoline,
	       ap_trampoline_end - ap_trampoline);
	gl_vcpu_setup_c(&self->v0, bsp_start_ap, 0);

	/* The AP blocks in KVM_RUN until INIT + SIPI arrive. */
	vcpu_thread_start(&t1, &self->v1);
	usleep(100000);
	EXPECT_FALSE(t1.done);
	gl_expect_ucall(_metadata, &self->v0, &uc, GL_UCALL_DONE);
	if (!vcpu_thread_wait(&t1, 20))
		vcpu_thread_stop(&t1, 5);
	ASSERT_EQ(GL_UCALL_NONE, t1.result);
	ASSERT_EQ(KVM_EXIT_IO, self->v1.run->exit_reason);
	EXPECT_EQ(0x80, self->v1.run->io.port);
	EXPECT_EQ(GL_CODE_GPA >> 4, *(uint16_t *)gl_pio_data(&self->v1));
	gl_get_sregs(&self->v1, &sregs);
	EXPECT_EQ(GL_CODE_GPA >> 4, sregs.cs.selector);
	EXPECT_EQ(GL_CODE_GPA, sregs.cs.base);
	ASSERT_EQ(0, mkvm_ioctl(self->v1.fd, KVM_GET_MP_STATE, (unsigned long)&mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
}

TEST_HARNESS_MAIN
