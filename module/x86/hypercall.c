// SPDX-License-Identifier: GPL-2.0
/*
 * x86/hypercall.c - VMCALL (Intel) and VMMCALL (AMD): KVM's hypercall ABI.
 *
 * Both instructions always exit (SDM Vol. 3C 26.1.2; APM Vol. 2 15.9 and
 * the VMMCALL intercept, which minikvm sets). A guest uses them for KVM's
 * paravirtual hypercalls (Documentation/virt/kvm/x86/hypercalls.rst): the
 * number in RAX, the result in RAX, -KVM_EPERM from CPL > 0 and
 * -KVM_ENOSYS for what is not implemented. minikvm offers no
 * paravirtual hypercall (its CPUID leaf 4000_0001h has no such feature
 * bit), so every call answers -KVM_ENOSYS, except KVM_HC_VAPIC_POLL_IRQ,
 * which KVM answers 0 unconditionally. That is what KVM answers a guest
 * whose CPUID lacks the features, and a guest that probes sees the same
 * on both devices. An #UD instead (what the other SVM and VMX instructions
 * raise) would kill a guest that calls without probing.
 *
 * Non-goals: the hypercalls themselves (PV unhalt kick, PV IPIs, yield,
 * map-GPA-range); Xen and Hyper-V hypercall pages.
 */
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <asm/processor-flags.h>

#include "../minikvm.h"
#include "../arch_ops.h"

/**
 * mkvm_emulate_hypercall() - answer one VMCALL/VMMCALL
 * @vcpu: the vCPU; the caller skips the instruction afterwards
 */
void mkvm_emulate_hypercall(struct mkvm_vcpu *vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	bool op_64;
	s64 ret;

	mkvm_ops->get_sregs(vcpu, &sregs);
	mkvm_ops->get_regs(vcpu, &regs);
	op_64 = (sregs.efer & EFER_LMA) && sregs.cs.l;
	if ((sregs.cr0 & X86_CR0_PE) && sregs.ss.dpl)
		ret = -KVM_EPERM;
	else if ((op_64 ? regs.rax : (u32)regs.rax) == KVM_HC_VAPIC_POLL_IRQ)
		ret = 0;
	else
		ret = -KVM_ENOSYS;
	/* Outside 64-bit mode the result is 32 bits (KVM truncates it). */
	regs.rax = op_64 ? (u64)ret : (u32)ret;
	mkvm_ops->set_regs(vcpu, &regs);
}
