// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx/msr.c - guest MSRs whose values live in the VMCS or in the
 * VM-entry MSR-load area.
 *
 * VM entry loads EFER, PAT, DEBUGCTL, SYSENTER_CS/ESP/EIP and the FS/GS
 * bases from the guest-state area (Intel SDM Vol. 3C, 25.4.1, 27.3.2), and
 * VM exit saves the ones that can change behind our back; the TSC offset
 * applies in hardware with "use TSC offsetting" (26.6.5). The syscall MSRs
 * (STAR, LSTAR, CSTAR, SFMASK) and KernelGSBase are not in the VMCS at all:
 * they go through the VM-entry MSR-load area and, because SWAPGS in the
 * guest changes KernelGSBase, back through the VM-exit MSR-store area
 * (25.7.2, 25.8.2, 27.4, 28.4); the host's values come back through the
 * VM-exit MSR-load area (28.6). This is what VMLOAD/VMSAVE do on SVM.
 * x86/msr.c keeps the policy (which MSRs exist) and the rest.
 *
 * The companion file for AMD is x86/svm/msr.c.
 *
 * Non-goals for now: TSC scaling, LBR MSRs, SPEC_CTRL.
 */
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/msr.h>

#include "../../arch_ops.h"
#include "vmx.h"

static bool mkvm_canonical(u64 v)
{
	/* 48-bit linear addresses: bits 63:47 equal (SDM Vol. 1 3.3.7.1). */
	return (u64)((s64)(v << 16) >> 16) == v;
}

static bool mkvm_pat_ok(u64 pat)
{
	int i;

	/* Types 2 and 3 and everything above 7 are reserved (SDM 11.12.2). */
	for (i = 0; i < 8; i++) {
		u8 t = pat >> (8 * i);

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/* The slot of @msr in the guest MSR area (vcpu.c's list), or NULL. */
static struct vmx_msr_entry *mkvm_vmx_auto_msr(struct mkvm_vcpu *vcpu, u32 msr)
{
	struct vmx_msr_entry *g = mkvm_vmx_guest_msrs(to_vmx(vcpu));
	unsigned int i;

	for (i = 0; i < MKVM_VMX_NR_AUTO_MSRS; i++)
		if (g[i].index == msr)
			return &g[i];
	return NULL;
}

/**
 * mkvm_vmx_tsc_offset() - guest TSC minus host TSC (SDM Vol. 3C 26.6.5)
 * @vcpu: the vCPU (VMCS current)
 *
 * Return: the VMCS TSC offset, added to every guest RDTSC ("use TSC
 * offsetting" is on).
 */
u64 mkvm_vmx_tsc_offset(struct mkvm_vcpu *vcpu)
{
	return mkvm_vmread(TSC_OFFSET);
}

/**
 * mkvm_vmx_get_msr() - read a VMCS-held MSR
 * @vcpu: the vCPU (VMCS current)
 * @msr:  the index
 * @data: the value
 *
 * Return: 0 or -ENOENT (not held by the VMX backend).
 */
int mkvm_vmx_get_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *data)
{
	struct vmx_msr_entry *e;

	switch (msr) {
	case MSR_EFER:
		*data = mkvm_vmread(GUEST_IA32_EFER);
		break;
	case MSR_FS_BASE:
		*data = mkvm_vmread(GUEST_FS_BASE);
		break;
	case MSR_GS_BASE:
		*data = mkvm_vmread(GUEST_GS_BASE);
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = mkvm_vmread(GUEST_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = mkvm_vmread(GUEST_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = mkvm_vmread(GUEST_SYSENTER_EIP);
		break;
	case MSR_IA32_CR_PAT:
		*data = mkvm_vmread(GUEST_IA32_PAT);
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + mkvm_vmread(TSC_OFFSET);
		break;
	default:
		e = mkvm_vmx_auto_msr(vcpu, msr);
		if (!e)
			return -ENOENT;
		*data = e->value;
		break;
	}
	return 0;
}

/**
 * mkvm_vmx_set_msr() - write a VMCS-held MSR
 * @vcpu: the vCPU (VMCS current)
 * @msr:  the index
 * @data: the value
 * @host: from KVM_SET_MSRS (may set EFER.LMA directly, as a state restore)
 *
 * Return: 0, -EINVAL (the CPU would #GP), or -ENOENT (not ours).
 */
int mkvm_vmx_set_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 data, bool host)
{
	u64 ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;
	struct vmx_msr_entry *e;
	u64 efer;

	switch (msr) {
	case MSR_EFER:
		if (data & ~ok)
			return -EINVAL;
		efer = mkvm_vmread(GUEST_IA32_EFER);
		if (!host) {
			/* LMA is the CPU's to set (SDM Vol. 3A 9.8.5). */
			data = (data & ~EFER_LMA) | (efer & EFER_LMA);
			/* LME cannot change while paging is on: #GP. */
			if ((mkvm_vmx_get_cr0() & X86_CR0_PG) &&
			    ((data ^ efer) & EFER_LME))
				return -EINVAL;
		}
		/* Also switches "IA-32e mode guest" with LMA. */
		mkvm_vmx_set_efer(vcpu, data);
		to_vmx(vcpu)->need_flush = true;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		mkvm_vmwrite(GUEST_SYSENTER_CS, data);
		return 0;
	case MSR_IA32_CR_PAT:
		if (!mkvm_pat_ok(data))
			return -EINVAL;
		mkvm_vmwrite(GUEST_IA32_PAT, data);
		return 0;
	case MSR_IA32_TSC:
		/* Guest TSC = host TSC + offset (SDM 26.6.5). */
		mkvm_vmwrite(TSC_OFFSET, data - rdtsc());
		return 0;
	case MSR_STAR:
	case MSR_SYSCALL_MASK:
		mkvm_vmx_auto_msr(vcpu, msr)->value = data;
		return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		/*
		 * A non-canonical value would make the VM entry (or its
		 * MSR-load area) fail its checks (26.3.1.1, 26.4): #GP now.
		 */
		if (!mkvm_canonical(data))
			return -EINVAL;
		break;
	default:
		return -ENOENT;
	}

	switch (msr) {
	case MSR_FS_BASE:
		mkvm_vmwrite(GUEST_FS_BASE, data);
		break;
	case MSR_GS_BASE:
		mkvm_vmwrite(GUEST_GS_BASE, data);
		break;
	case MSR_IA32_SYSENTER_ESP:
		mkvm_vmwrite(GUEST_SYSENTER_ESP, data);
		break;
	case MSR_IA32_SYSENTER_EIP:
		mkvm_vmwrite(GUEST_SYSENTER_EIP, data);
		break;
	default:
		e = mkvm_vmx_auto_msr(vcpu, msr);
		e->value = data;
		break;
	}
	return 0;
}
