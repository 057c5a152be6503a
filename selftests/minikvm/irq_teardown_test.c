// SPDX-License-Identifier: GPL-2.0
/*
 * irq_teardown_test - destroying VMs whose interrupt machinery is busy, on
 * /dev/kvm and /dev/minikvm: APIC timers armed (periodic and one-shot far
 * in the future), irqfds (plain and resampling) and ioeventfds still
 * registered, the vCPUs asleep in HLT or running, eventfds closed before
 * or after the VM. Nothing may be left behind: irq_teardown.sh then
 * unloads and reloads minikvm, and the guest init fails the run on any
 * kernel warning, KASAN or kmemleak report.
 */
#include "mkvm_test.h"
#include "irq_lib.h"

#define VEC	0x40
#define ROUNDS	20

uint64_t ticks;

IRQ_HANDLER(tick_handler, ticks);

static void GUEST_CODE guest_main(uint64_t periodic)
{
	apic_enable();
	apic_write(APIC_TDCR, 0xb);
	apic_write(APIC_LVTT, VEC | (periodic ? LVTT_PERIODIC : 0));
	/* Periodic 1 ms, or one-shot an hour away. */
	apic_write(APIC_TMICT, periodic ? 1000000 : 0xffffffff);
	ioapic_route(3, VEC, 1);
	GUEST_SYNC(0, 0, 0);
	for (;;)
		guest_sti_hlt();
}

FIXTURE(td) {
	int fd;
};

MKVM_DEV_VARIANTS(td);

FIXTURE_SETUP(td)
{
	self->fd = mkvm_open_dev(_metadata, variant->path);
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_MEMORY),
		   GL_CAP(KVM_CAP_IRQCHIP), GL_CAP(KVM_CAP_IRQFD),
		   GL_CAP(KVM_CAP_IOEVENTFD), GL_CAP_EMU);
}

FIXTURE_TEARDOWN(td)
{
	close(self->fd);
}

static void one_round(struct __test_metadata *_metadata, int kvm_fd, int round)
{
	struct kvm_ioeventfd io = { .addr = 0x1000, .len = 2,
				    .flags = KVM_IOEVENTFD_FLAG_PIO };
	struct kvm_irqfd irq = { .gsi = 3 };
	struct gl_vcpu v0, v1;
	struct vcpu_thread t;
	struct gl_ucall uc;
	struct gl_vm vm;
	int efd[4], i;
	uint64_t one = 1;

	gl_vm_create(&vm, kvm_fd);
	ASSERT_EQ(0, mkvm_ioctl(vm.fd, KVM_CREATE_IRQCHIP, 0));
	gl_vcpu_create(&vm, &v0, 0);
	gl_vcpu_create(&vm, &v1, 1);	/* never started: waits for SIPI */
	for (i = 0; i < 4; i++)
		efd[i] = eventfd(0, EFD_NONBLOCK);
	io.fd = efd[0];
	ASSERT_EQ(0, mkvm_ioctl(vm.fd, KVM_IOEVENTFD, (unsigned long)&io));
	irq.fd = efd[1];
	irq.flags = KVM_IRQFD_FLAG_RESAMPLE;
	irq.resamplefd = efd[2];
	ASSERT_EQ(0, mkvm_ioctl(vm.fd, KVM_IRQFD, (unsigned long)&irq));
	irq.fd = efd[3];
	irq.flags = 0;
	irq.gsi = 4;
	ASSERT_EQ(0, mkvm_ioctl(vm.fd, KVM_IRQFD, (unsigned long)&irq));

	gl_vcpu_setup_c(&v0, guest_main, round & 1);
	gl_idt_set(&v0, VEC, tick_handler);
	gl_expect_ucall(_metadata, &v0, &uc, GL_UCALL_SYNC);
	vcpu_thread_start(&t, &v0);
	usleep(5000);
	/* Leave the level line asserted through the resampling irqfd. */
	ASSERT_EQ(8, write(efd[1], &one, 8));
	ASSERT_TRUE(vcpu_thread_stop(&t, 10));

	/* Half the rounds close the eventfds first, half the VM first. */
	if (round & 2)
		for (i = 0; i < 4; i++)
			close(efd[i]);
	gl_vcpu_destroy(&v1);
	gl_vcpu_destroy(&v0);
	gl_vm_destroy(&vm);
	if (!(round & 2))
		for (i = 0; i < 4; i++)
			close(efd[i]);
}

TEST_F(td, destroy_busy_vms)
{
	int i, rounds = mkvm_rounds(variant->path, ROUNDS);

	/* Rounds 0-3 cover every combination; the reference may stop there. */
	if (rounds < 4)
		rounds = 4;
	for (i = 0; i < rounds; i++)
		one_round(_metadata, self->fd, i);
}

/* A VMM killed with everything armed: the fds close in exit order. */
TEST_F(td, sigkill_armed)
{
	int i;

	for (i = 0; i < 4; i++) {
		pid_t pid = fork();
		int status;

		ASSERT_GE(pid, 0);
		if (!pid) {
			struct gl_vcpu v0;
			struct gl_ucall uc;
			struct gl_vm vm;
			struct kvm_irqfd irq = { .gsi = 3,
						 .flags = KVM_IRQFD_FLAG_RESAMPLE };

			gl_vm_create(&vm, self->fd);
			if (ioctl(vm.fd, KVM_CREATE_IRQCHIP, 0))
				_exit(2);
			gl_vcpu_create(&vm, &v0, 0);
			irq.fd = eventfd(0, 0);
			irq.resamplefd = eventfd(0, 0);
			if (ioctl(vm.fd, KVM_IRQFD, &irq))
				_exit(3);
			gl_vcpu_setup_c(&v0, guest_main, 1);
			gl_idt_set(&v0, VEC, tick_handler);
			if (gl_run_ucall(&v0, &uc) != GL_UCALL_SYNC)
				_exit(4);
			gl_run(&v0);	/* runs until killed */
			_exit(5);
		}
		usleep(100000);
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("child exited %d",
							WEXITSTATUS(status));
	}
}

TEST_HARNESS_MAIN
