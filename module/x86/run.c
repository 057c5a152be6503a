// SPDX-License-Identifier: GPL-2.0
/*
 * x86/run.c - one trip into the guest and back, for both vendors.
 *
 * mkvm_vcpu_enter_guest() owns the order of the entry and exit sequence,
 * the order KVM keeps in arch/x86/kvm/x86.c vcpu_enter_guest(); the vendor
 * supplies only the steps that touch its VMCB or VMCS (arch_ops.h):
 *
 *   mkvm_inject_pending()         what to deliver (x86/irq.c)
 *   kernel_fpu_begin()            the VMM thread's FPU state to memory
 *   local_irq_disable()
 *   work / kick re-checked        a kick from now on is an IPI that exits
 *   reboot check                  VMX/SVM may be off already (virt.c)
 *   ops->prepare_switch()         vendor state for this CPU and entry
 *   mkvm_fpu_enter()              the guest's XSAVE state and XCR0
 *   mkvm_dr_enter()               the guest's breakpoints, if armed
 *   guest_timing_enter_irqoff()   ticks are guest time (x86/guest_mode.h)
 *   ops->enter_exit()             the world switch (VMRUN, VMLAUNCH/VMRESUME);
 *                                 vcpu->mode is outside guest right after
 *                                 it (mkvm_guest_state_exit())
 *   mkvm_dr_exit()                the host's breakpoints back
 *   ops->handle_exit_irqoff()     host NMI / #MC taken in the guest
 *   mkvm_fpu_exit()               the guest's FPU state saved
 *   mkvm_guest_exit_irqs()        the exit's interrupt, guest time ends
 *   kernel_fpu_end()
 *   ops->handle_exit()            tracepoint, events, dispatch (x86/exit.c)
 *
 * The world switch itself is the vendor's: AMD APM Vol. 2 15.5 (VMRUN)
 * and 15.17 (GIF); Intel SDM Vol. 3C chapters 27 (VM entries) and 28
 * (VM exits).
 *
 * Non-goals: KVM's requests and fastpath exits (a handler that finishes
 * with interrupts still off), posted interrupts, and the late checks
 * KVM makes for nested virtualization.
 */
#include <asm/fpu/api.h>

#include "../arch_ops.h"
#include "../minikvm.h"
#include "guest_mode.h"

/* Leave before the world switch: interrupts back on, FPU to the host. */
static int mkvm_abandon_entry(struct mkvm_vcpu *vcpu, int r)
{
	WRITE_ONCE(vcpu->mode, MKVM_OUTSIDE_GUEST);
	local_irq_enable();
	kernel_fpu_end();
	return r;
}

/**
 * mkvm_vcpu_enter_guest() - enter the guest once and handle the exit
 * @vcpu: the vCPU, loaded on this CPU
 *
 * Context: the vCPU thread in KVM_RUN, preemption enabled, after the
 * work the kernel wants done before guest mode (xfer.c).
 * Return: 1 to re-enter, 0 with vcpu->run filled for userspace, or a
 * negative errno for KVM_RUN.
 */
int mkvm_vcpu_enter_guest(struct mkvm_vcpu *vcpu)
{
	const struct mkvm_arch_ops *ops = mkvm_ops;
	int r;

	/* What to deliver is the common code's choice (x86/irq.c). */
	mkvm_inject_pending(vcpu);

	/*
	 * kernel_fpu_begin() parks the VMM thread's own FPU registers in
	 * memory (they come back on return to userspace), so the guest's
	 * x87/SSE/AVX state can live in the registers while it runs.
	 */
	kernel_fpu_begin();
	local_irq_disable();

	/* Checked again with interrupts off: a kick now cannot be lost. */
	if (mkvm_xfer_work_pending() ||
	    (vcpu->lapic && mkvm_entry_must_abort(vcpu))) {
		local_irq_enable();
		kernel_fpu_end();
		return 1;
	}
	/* VMX/SVM is off, or about to be, on every CPU (virt.c). */
	if (unlikely(mkvm_virt_rebooting()))
		return mkvm_abandon_entry(vcpu, -EIO);

	r = ops->prepare_switch(vcpu);
	if (r <= 0)
		return mkvm_abandon_entry(vcpu, r);

	if (mkvm_fpu_enter(vcpu)) {
		mkvm_abandon_entry(vcpu, 0);
		pr_err_ratelimited("guest FPU image would not load\n");
		vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
		vcpu->run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
		vcpu->run->internal.ndata = 0;
		return 0;
	}
	mkvm_dr_enter(vcpu, ops->load_dr6);

	/* Ticks from here on are guest time (x86/guest_mode.h). */
	guest_timing_enter_irqoff();
	r = ops->enter_exit(vcpu);
	/*
	 * Already so after a world switch (mkvm_guest_state_exit()); not
	 * when an instruction before it faulted (SVM's CLGI or VMSAVE).
	 */
	WRITE_ONCE(vcpu->mode, MKVM_OUTSIDE_GUEST);

	mkvm_dr_exit(vcpu);
	ops->handle_exit_irqoff(vcpu, r);
	mkvm_fpu_exit(vcpu);
	/* The interrupt that made the guest exit, if any, is taken here. */
	mkvm_guest_exit_irqs(vcpu);
	kernel_fpu_end();
	return ops->handle_exit(vcpu, r);
}
