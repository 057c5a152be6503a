// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm/msr.c - guest MSRs whose values live in the VMCB.
 *
 * VMRUN/#VMEXIT switch EFER and PAT (G_PAT, with nested paging) and the
 * TSC offset applies in hardware (AMD APM Vol. 2, 15.5, 15.25.8, 15.30.5);
 * VMLOAD/VMSAVE move FS/GS/KernelGSBase, STAR/LSTAR/CSTAR/SFMASK and
 * SYSENTER_* (15.5.2). So these MSRs are read and written in the VMCB save
 * area; x86/msr.c keeps the policy (which MSRs exist) and the rest.
 *
 * The companion file for Intel is x86/vmx/msr.c.
 *
 * Non-goals for now: TSC scaling, LBR MSRs, SPEC_CTRL.
 */
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/msr.h>

#include "../../arch_ops.h"
#include "svm.h"

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

/**
 * mkvm_svm_tsc_offset() - guest TSC minus host TSC (APM Vol. 2 15.30.5)
 * @vcpu: the vCPU
 *
 * Return: the VMCB's TSC_OFFSET, which the hardware adds to every guest
 * RDTSC.
 */
u64 mkvm_svm_tsc_offset(struct mkvm_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.tsc_offset;
}

/**
 * mkvm_svm_get_msr() - read a VMCB-held MSR
 * @vcpu: the vCPU
 * @msr:  the index
 * @data: the value
 *
 * Return: 0 or -ENOENT (not held in the VMCB).
 */
int mkvm_svm_get_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *data)
{
	struct vmcb *v = to_svm(vcpu)->vmcb;

	switch (msr) {
	case MSR_EFER:
		*data = v->save.efer & ~EFER_SVME;
		break;
	case MSR_STAR:
		*data = v->save.star;
		break;
	case MSR_LSTAR:
		*data = v->save.lstar;
		break;
	case MSR_CSTAR:
		*data = v->save.cstar;
		break;
	case MSR_SYSCALL_MASK:
		*data = v->save.sfmask;
		break;
	case MSR_KERNEL_GS_BASE:
		*data = v->save.kernel_gs_base;
		break;
	case MSR_FS_BASE:
		*data = v->save.fs.base;
		break;
	case MSR_GS_BASE:
		*data = v->save.gs.base;
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = v->save.sysenter_cs;
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = v->save.sysenter_esp;
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = v->save.sysenter_eip;
		break;
	case MSR_IA32_CR_PAT:
		*data = v->save.g_pat;
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + v->control.tsc_offset;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/**
 * mkvm_svm_set_msr() - write a VMCB-held MSR
 * @vcpu: the vCPU
 * @msr:  the index
 * @data: the value
 * @host: from KVM_SET_MSRS (may set EFER.LMA directly, as a state restore)
 *
 * Return: 0, -EINVAL (the CPU would #GP), or -ENOENT (not ours).
 */
int mkvm_svm_set_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 data, bool host)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *v = svm->vmcb;
	u64 ok = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;

	switch (msr) {
	case MSR_EFER:
		if (data & ~ok)
			return -EINVAL;
		if (!host) {
			/* LMA is the CPU's to set (SDM Vol. 3A 9.8.5). */
			data = (data & ~EFER_LMA) | (v->save.efer & EFER_LMA);
			/* LME cannot change while paging is on: #GP. */
			if ((v->save.cr0 & X86_CR0_PG) &&
			    ((data ^ v->save.efer) & EFER_LME))
				return -EINVAL;
		}
		v->save.efer = data | EFER_SVME;
		svm->need_flush = true;
		return 0;
	case MSR_STAR:
		v->save.star = data;
		return 0;
	case MSR_SYSCALL_MASK:
		v->save.sfmask = data;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		v->save.sysenter_cs = data;
		return 0;
	case MSR_IA32_CR_PAT:
		if (!mkvm_pat_ok(data))
			return -EINVAL;
		v->save.g_pat = data;
		return 0;
	case MSR_IA32_TSC:
		/* Guest TSC = host TSC + offset (APM 15.30.5). */
		v->control.tsc_offset = data - rdtsc();
		return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		if (!mkvm_canonical(data))
			return -EINVAL;
		break;
	default:
		return -ENOENT;
	}

	switch (msr) {
	case MSR_LSTAR:
		v->save.lstar = data;
		break;
	case MSR_CSTAR:
		v->save.cstar = data;
		break;
	case MSR_KERNEL_GS_BASE:
		v->save.kernel_gs_base = data;
		break;
	case MSR_FS_BASE:
		v->save.fs.base = data;
		break;
	case MSR_GS_BASE:
		v->save.gs.base = data;
		break;
	case MSR_IA32_SYSENTER_ESP:
		v->save.sysenter_esp = data;
		break;
	case MSR_IA32_SYSENTER_EIP:
		v->save.sysenter_eip = data;
		break;
	}
	return 0;
}
