/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/guest_mode.h - telling the core kernel that this CPU is in guest mode.
 *
 * While a vCPU thread sits in VMRUN/VMLAUNCH the CPU runs guest code for up
 * to a whole time slice. Three parts of the kernel want to know, exactly as
 * they want to know about a return to user mode:
 *
 *  - RCU: guest mode holds no RCU-protected reference, so it is a quiescent
 *    state. Unreported, every tick finds the CPU in the kernel (the vCPU
 *    thread's KVM_RUN), and a grace period waits until that thread is
 *    scheduled out or returns to userspace, which RCU ends up forcing; a
 *    synchronize_rcu() elsewhere (iobus.c when an ioeventfd is deassigned,
 *    for one) waits that long.
 *  - context tracking (nohz_full CPUs): guest mode is an extended quiescent
 *    state with the tick off, like user mode.
 *  - cputime: ticks that land in the guest count as guest time
 *    (PF_VCPU; /proc/stat "guest", top's "st"-free view of a VM).
 *
 * The helpers are the kernel's own static inlines from <linux/kvm_host.h>
 * (guest_timing_enter_irqoff() and friends, there from 5.17 through at
 * least 6.12) built on exported symbols (rcu_note_context_switch,
 * __ct_user_enter/exit, vtime_guest_enter/exit). The order, kept for both
 * vendors by x86/run.c mkvm_vcpu_enter_guest(), is KVM's (arch/x86/kvm/x86.c
 * vcpu_enter_guest()):
 *
 *   local_irq_disable();
 *   guest_timing_enter_irqoff();      PF_VCPU: ticks from now are guest time
 *   ... CLGI / CR2, tracepoint ...    the vendor's enter_exit from here
 *   guest_state_enter_irqoff();       RCU QS / context tracking; lockdep
 *   VMRUN or VMLAUNCH/VMRESUME        nothing instrumented in between
 *   guest_state_exit_irqoff();        mkvm_guest_state_exit(): and at once
 *                                     vcpu->mode is outside guest mode
 *   ... STGI ...
 *   mkvm_guest_exit_irqs(vcpu);       below: the exit's interrupt, then
 *                                     guest time ends
 *
 * Non-goals: nothing of KVM itself is used; including the header only
 * brings the declarations of its types, which minikvm never touches.
 */
#ifndef MKVM_X86_GUEST_MODE_H
#define MKVM_X86_GUEST_MODE_H

#include <linux/kvm_host.h>
#include <asm/mce.h>

#include "../minikvm.h"

/**
 * mkvm_guest_state_exit() - the world switch is back: leave guest mode
 * @vcpu: the vCPU just back from VMRUN or VMLAUNCH/VMRESUME
 *
 * Description: guest_state_exit_irqoff() first (RCU and context tracking
 * see the host again, and instrumentation is allowed), then vcpu->mode
 * leaves MKVM_IN_GUEST before anything else the vendor does after the
 * exit (STGI; CR2 and the host state VM exit does not restore), as KVM
 * sets OUTSIDE_GUEST_MODE right after its exit: from here a kick
 * (mkvm_vcpu_kick()) sends no IPI, the loop sees its request anyway.
 *
 * Context: interrupts off (and GIF=0 on SVM), inside the vendor's
 * enter_exit step (x86/run.c).
 */
static __always_inline void mkvm_guest_state_exit(struct mkvm_vcpu *vcpu)
{
	guest_state_exit_irqoff();
	WRITE_ONCE(vcpu->mode, MKVM_OUTSIDE_GUEST);
}

/**
 * mkvm_guest_exit_irqs() - take the exit's host interrupt, then end guest time
 * @vcpu: the vCPU just back from the guest; interrupts are off
 *
 * The interrupt that made the guest exit (SVM #VMEXIT(INTR), VMX
 * EXIT_REASON_EXTERNAL_INTERRUPT; either leaves it pending) is taken by the
 * first local_irq_enable(), still as guest time: a tick that interrupted
 * the guest is the guest's. STI holds interrupts off for one more
 * instruction (SDM Vol. 2B and APM Vol. 3, STI), so the exit counter
 * update sits between STI and CLI; without an instruction there the
 * interrupt would wait for the second STI and count as host time.
 *
 * Context: x86/run.c, after the world switch back.
 * Returns with interrupts on.
 */
static __always_inline void mkvm_guest_exit_irqs(struct mkvm_vcpu *vcpu)
{
	local_irq_enable();
	mkvm_stat_inc(vcpu, MKVM_STAT_EXITS);
	local_irq_disable();
	guest_timing_exit_irqoff();
	local_irq_enable();
}

/**
 * mkvm_machine_check() - hand a machine check taken in the guest to the host
 *
 * Description: a #MC while the guest ran is intercepted (SVM exception intercept 18,
 * APM Vol. 2 15.12; VMX exception bitmap bit 18 or exit reason 41
 * "VM-entry failure due to machine-check event", SDM Vol. 3C 27.9): the
 * error is the host's hardware's, never the guest's to see. The host's
 * handler is called by hand with a frame that says "user mode, interrupts
 * on", as KVM's kvm_machine_check() does, so that it may kill the VMM
 * thread or panic as it would for any other task.
 *
 * Context: interrupts off, right after the world switch.
 */
static __always_inline void mkvm_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
}

#endif
