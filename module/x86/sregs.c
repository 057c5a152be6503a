// SPDX-License-Identifier: GPL-2.0
/*
 * x86/sregs.c - is a KVM_SET_SREGS request a state the CPU could be in?
 *
 * Userspace may ask for any combination of CR0, CR4 and EFER; the hardware
 * then refuses to enter the guest (VMRUN's consistency checks, APM Vol. 2
 * 15.5.1; VM-entry checks, SDM Vol. 3C 27.3.1) or, worse, enters with a
 * state the manuals call undefined. So the request is checked here first,
 * with the rules of KVM's kvm_is_valid_sregs() and Documentation/virt/kvm/
 * api.rst, and refused with -EINVAL leaving the vCPU unchanged.
 *
 * Non-goals for now: checking CR4 features against the vCPU's CPUID table
 * (it does not exist yet; host support is the bound), CR8/APIC_BASE
 * semantics (no in-kernel APIC), interrupt_bitmap.
 */
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include <asm/cpufeature.h>

#include "../minikvm.h"

/**
 * mkvm_cr4_allowed() - CR4 bits a guest may set on this host
 *
 * Description: SDM Vol. 3A 2.5. Also used by the VMX backend for a guest
 * MOV to CR4.
 *
 * Return: the mask of allowed bits.
 */
u64 mkvm_cr4_allowed(void)
{
	u64 ok = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

	if (boot_cpu_has(X86_FEATURE_UMIP))
		ok |= X86_CR4_UMIP;
	if (boot_cpu_has(X86_FEATURE_FSGSBASE))
		ok |= X86_CR4_FSGSBASE;
	if (boot_cpu_has(X86_FEATURE_PCID))
		ok |= X86_CR4_PCIDE;
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		ok |= X86_CR4_OSXSAVE;
	if (boot_cpu_has(X86_FEATURE_SMEP))
		ok |= X86_CR4_SMEP;
	if (boot_cpu_has(X86_FEATURE_SMAP))
		ok |= X86_CR4_SMAP;
	return ok;
}

/**
 * mkvm_check_sregs() - validate KVM_SET_SREGS before anything changes
 * @vcpu:  the vCPU (unused until CPUID-based checks arrive)
 * @sregs: the request, copied from userspace
 *
 * Return: 0 or -EINVAL.
 */
int mkvm_check_sregs(struct mkvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	u64 efer_ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;

	/* CR0: upper half reserved; PG needs PE; NW needs CD (SDM 2.5). */
	if (sregs->cr0 >> 32)
		return -EINVAL;
	if ((sregs->cr0 & X86_CR0_PG) && !(sregs->cr0 & X86_CR0_PE))
		return -EINVAL;
	if ((sregs->cr0 & X86_CR0_NW) && !(sregs->cr0 & X86_CR0_CD))
		return -EINVAL;

	if (sregs->cr4 & ~mkvm_cr4_allowed())
		return -EINVAL;
	/* PCIDE only in long mode (SDM 4.10.1). */
	if ((sregs->cr4 & X86_CR4_PCIDE) && !(sregs->efer & EFER_LMA))
		return -EINVAL;

	/* APIC_BASE as for WRMSR by the host (x86/msr.c). */
	if (!mkvm_apic_base_valid(sregs->apic_base))
		return -EINVAL;

	/* EFER: SVME belongs to the host (nested SVM is not offered). */
	if (sregs->efer & ~efer_ok)
		return -EINVAL;

	/*
	 * Long mode is active exactly when LME and paging are on, and needs
	 * PAE (SDM 9.8.5); outside it neither LMA nor a 64-bit CS exists.
	 */
	if ((sregs->efer & EFER_LME) && (sregs->cr0 & X86_CR0_PG)) {
		if (!(sregs->cr4 & X86_CR4_PAE) || !(sregs->efer & EFER_LMA))
			return -EINVAL;
		if (sregs->cr3 >> boot_cpu_data.x86_phys_bits)
			return -EINVAL;
	} else if ((sregs->efer & EFER_LMA) || sregs->cs.l) {
		return -EINVAL;
	}
	return 0;
}
