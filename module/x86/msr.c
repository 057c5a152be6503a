// SPDX-License-Identifier: GPL-2.0
/*
 * x86/msr.c - the guest's model-specific registers.
 *
 * Every RDMSR/WRMSR exits (SVM: all-ones MSR permission map, APM 15.11;
 * VMX: all-ones MSR bitmaps, SDM 25.6.9), and userspace reads and writes
 * the same registers with KVM_GET_MSRS/KVM_SET_MSRS (api.rst 4.18, 4.19).
 * Both paths end here, so the guest and the VMM see one set of values and
 * one set of rules:
 *   - an MSR not in the table below does not exist: the guest gets #GP,
 *     userspace gets a short count (KVM_SET_MSRS returns how many entries
 *     it processed, stopping at the first failure, exactly as KVM);
 *   - values are checked as the CPU would (SDM Vol. 4, Vol. 3A 2.2.1,
 *     11.11 for MTRRs, 11.12.2 for PAT): reserved bits and non-canonical
 *     addresses are #GP for the guest and a refusal for userspace.
 * MSRs whose guest value lives in the VMCB/VMCS (EFER, syscall MSRs,
 * segment bases, PAT, TSC offset) are handed to the vendor's get_msr /
 * set_msr; the rest are plain storage in struct mkvm_vcpu_msrs.
 *
 * KVM_GET_MSR_INDEX_LIST (api.rst 4.3) names the MSRs a VMM must save and
 * restore to migrate a vCPU: every one of them round-trips through
 * KVM_GET_MSRS/KVM_SET_MSRS. Like KVM it leaves out what KVM_GET_SREGS
 * already carries (EFER, FS/GS base, APIC_BASE).
 *
 * Non-goals for now: SPEC_CTRL and other speculation MSRs, performance
 * counters, MCE banks, KVM_GET_MSR_FEATURE_INDEX_LIST. The x2APIC MSRs and
 * IA32_TSC_DEADLINE belong to the in-kernel local APIC (x86/lapic.c), the
 * kvmclock MSRs to x86/kvmclock.c.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/apicdef.h>
#include <asm/kvm_para.h>

#include "../minikvm.h"
#include "../arch_ops.h"

#define MKVM_MAX_MSR_ENTRIES	256	/* KVM's MAX_IO_MSRS */

/* MTRRcap: 8 variable ranges, fixed ranges, write-combining (SDM 11.11.1). */
#define MKVM_MTRR_CAP		(8 | BIT(8) | BIT(10))

static bool mkvm_mtrr_type_ok(u8 t)
{
	/* UC, WC, WT, WP, WB (SDM Table 11-8); 2, 3 and >6 are reserved. */
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/* MTRR MSR indices (SDM Vol. 4, Table 2-2; Vol. 3A 11.11). */
#define MKVM_MSR_MTRRCAP	0xfe
#define MKVM_MSR_MTRR_DEF_TYPE	0x2ff
#define MKVM_MTRR_FIX64K_00000	0x250
#define MKVM_MTRR_FIX16K_80000	0x258
#define MKVM_MTRR_FIX16K_A0000	0x259
#define MKVM_MTRR_FIX4K_C0000	0x268
#define MKVM_MTRR_FIX4K_F8000	0x26f

static int mkvm_fixed_mtrr_index(u32 msr)
{
	switch (msr) {
	case MKVM_MTRR_FIX64K_00000:
		return 0;
	case MKVM_MTRR_FIX16K_80000:
	case MKVM_MTRR_FIX16K_A0000:
		return 1 + msr - MKVM_MTRR_FIX16K_80000;
	case MKVM_MTRR_FIX4K_C0000 ... MKVM_MTRR_FIX4K_F8000:
		return 3 + msr - MKVM_MTRR_FIX4K_C0000;
	default:
		return -1;
	}
}

/**
 * mkvm_apic_base_valid() - may IA32_APIC_BASE hold @data at all?
 * @data: the value
 *
 * BSP (8), x2APIC (10), enable (11) and the base; the rest is reserved,
 * and x2APIC mode needs the APIC enabled (SDM Vol. 3A 10.12.1, Table
 * 10-5). The one rule for WRMSR, KVM_SET_MSRS and KVM_SET_SREGS.
 *
 * Return: true when valid.
 */
bool mkvm_apic_base_valid(u64 data)
{
	u64 phys_mask = GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 12);

	if (data & ~(phys_mask | BIT(8) | BIT(10) | BIT(11)))
		return false;
	return !((data & X2APIC_ENABLE) && !(data & MSR_IA32_APICBASE_ENABLE));
}

/* Common MSRs: 0 and *data, or -ENOENT when not one of ours. */
static int mkvm_common_get(struct mkvm_vcpu *vcpu, u32 msr, u64 *data)
{
	struct mkvm_vcpu_msrs *m = &vcpu->msrs;
	int i = mkvm_fixed_mtrr_index(msr), r;

	if (i >= 0) {
		*data = m->mtrr_fixed[i];
		return 0;
	}
	r = mkvm_lapic_get_msr(vcpu, msr, data);
	if (r != -ENOENT)
		return r;
	r = mkvm_kvmclock_get_msr(vcpu, msr, data);
	if (r != -ENOENT)
		return r;
	switch (msr) {
	case MSR_IA32_APICBASE:
		*data = m->apic_base;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = m->misc_enable;
		return 0;
	case MSR_TSC_AUX:
		*data = m->tsc_aux;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*data = m->tsc_adjust;
		return 0;
	case MKVM_MSR_MTRRCAP:
		*data = MKVM_MTRR_CAP;
		return 0;
	case MKVM_MSR_MTRR_DEF_TYPE:
		*data = m->mtrr_def_type;
		return 0;
	case 0x200 ... 0x20f:	/* IA32_MTRR_PHYSBASE0..PHYSMASK7 */
		*data = m->mtrr_var[msr - 0x200];
		return 0;
	default:
		return -ENOENT;
	}
}

/* 0 stored, -EINVAL refused (#GP), -ENOENT not one of ours. */
static int mkvm_common_set(struct mkvm_vcpu *vcpu, u32 msr, u64 data,
			   bool host)
{
	struct mkvm_vcpu_msrs *m = &vcpu->msrs;
	int i = mkvm_fixed_mtrr_index(msr), b, r;
	u64 phys_mask = GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 12);
	u64 old;

	if (i >= 0) {
		for (b = 0; b < 8; b++)
			if (!mkvm_mtrr_type_ok(data >> (8 * b)))
				return -EINVAL;
		m->mtrr_fixed[i] = data;
		return 0;
	}
	r = mkvm_lapic_set_msr(vcpu, msr, data, host);
	if (r != -ENOENT)
		return r;
	r = mkvm_kvmclock_set_msr(vcpu, msr, data);
	if (r != -ENOENT)
		return r;
	switch (msr) {
	case MSR_IA32_APICBASE:
		if (!mkvm_apic_base_valid(data))
			return -EINVAL;
		/* The BSP flag is the platform's, not the guest's. */
		if (!host && ((data ^ m->apic_base) & BIT(8)))
			return -EINVAL;
		/* x2APIC -> xAPIC only through disabled (10.12.5), guests only. */
		if (!host && (m->apic_base & X2APIC_ENABLE) &&
		    (data & MSR_IA32_APICBASE_ENABLE) && !(data & X2APIC_ENABLE))
			return -EINVAL;
		old = m->apic_base;
		WRITE_ONCE(m->apic_base, data);
		mkvm_lapic_set_base(vcpu, old);
		return 0;
	case MSR_IA32_MISC_ENABLE:
		m->misc_enable = data;
		return 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		m->tsc_aux = data;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		/*
		 * A guest write moves the TSC by as much (SDM Vol. 3B 17.17.3);
		 * the VMM's KVM_SET_MSRS only restores the value, as in KVM.
		 */
		if (!host) {
			u64 tsc;

			r = mkvm_ops->get_msr(vcpu, MSR_IA32_TSC, &tsc);
			if (!r)
				r = mkvm_ops->set_msr(vcpu, MSR_IA32_TSC,
						      tsc + data - m->tsc_adjust,
						      true);
			if (r)
				return r;
			set_bit(MKVM_REQ_CLOCK, &vcpu->requests);
		}
		m->tsc_adjust = data;
		return 0;
	case MKVM_MSR_MTRRCAP:
		/* Read-only; KVM lets the host restore the value it read. */
		return host && data == MKVM_MTRR_CAP ? 0 : -EINVAL;
	case MKVM_MSR_MTRR_DEF_TYPE:
		if ((data & ~(0xffULL | BIT(10) | BIT(11))) ||
		    !mkvm_mtrr_type_ok(data))
			return -EINVAL;
		m->mtrr_def_type = data;
		return 0;
	case 0x200 ... 0x20f:
		if (msr & 1) {	/* PHYSMASK: valid bit 11 + mask */
			if (data & ~(phys_mask | BIT(11)))
				return -EINVAL;
		} else {	/* PHYSBASE: type + base */
			if ((data & ~(phys_mask | 0xff)) ||
			    !mkvm_mtrr_type_ok(data))
				return -EINVAL;
		}
		m->mtrr_var[msr - 0x200] = data;
		return 0;
	default:
		return -ENOENT;
	}
}

/**
 * mkvm_get_msr() - read a guest MSR
 * @vcpu: the vCPU
 * @msr:  its index
 * @data: the value
 *
 * Return: 0, or -EINVAL when the MSR does not exist for this guest.
 */
int mkvm_get_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *data)
{
	int r = mkvm_common_get(vcpu, msr, data);

	if (r == -ENOENT)
		r = mkvm_ops->get_msr(vcpu, msr, data);
	return r == -ENOENT ? -EINVAL : r;
}

/**
 * mkvm_set_msr() - write a guest MSR
 * @vcpu: the vCPU
 * @msr:  its index
 * @data: the value
 * @host: written by userspace (KVM_SET_MSRS) rather than by the guest
 *
 * Return: 0, or -EINVAL for an unknown MSR or a value the CPU would #GP on.
 */
int mkvm_set_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 data, bool host)
{
	u64 tsc;
	int r;

	/*
	 * A guest's write to the TSC also moves IA32_TSC_ADJUST by the same
	 * amount (SDM Vol. 3B 17.17.3); the VMM's only sets the offset.
	 */
	if (msr == MSR_IA32_TSC && !host &&
	    !mkvm_ops->get_msr(vcpu, MSR_IA32_TSC, &tsc))
		vcpu->msrs.tsc_adjust += data - tsc;
	r = mkvm_common_set(vcpu, msr, data, host);
	if (r == -ENOENT)
		r = mkvm_ops->set_msr(vcpu, msr, data, host);
	/* A new TSC offset moves the kvmclock record's tsc_timestamp. */
	if (!r && msr == MSR_IA32_TSC && (vcpu->msrs.kvmclock & 1))
		set_bit(MKVM_REQ_CLOCK, &vcpu->requests);
	return r == -ENOENT ? -EINVAL : r;
}

/* What KVM_GET_MSR_INDEX_LIST reports: all of it is saved and restored. */
static const u32 mkvm_msrs_to_save[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK,
	MSR_IA32_TSC, MSR_IA32_TSC_ADJUST, MSR_IA32_CR_PAT, MSR_TSC_AUX,
	MSR_IA32_MISC_ENABLE,
	MKVM_MSR_MTRR_DEF_TYPE,
	0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207,
	0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f,
	MKVM_MTRR_FIX64K_00000, MKVM_MTRR_FIX16K_80000, MKVM_MTRR_FIX16K_A0000,
	0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
	/* KVM lists its emulated MSRs after these (kvm_init_msr_list()). */
	MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK,
	MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW,
};

/**
 * mkvm_get_msr_index_list() - KVM_GET_MSR_INDEX_LIST
 * @argp: struct kvm_msr_list in userspace
 *
 * Writes the real count into nmsrs first, then the indices if they fit,
 * as kvm_arch_dev_ioctl() does.
 *
 * Return: 0, -E2BIG when nmsrs is smaller than the list, -EFAULT.
 */
long mkvm_get_msr_index_list(struct kvm_msr_list __user *argp)
{
	u32 n, want = ARRAY_SIZE(mkvm_msrs_to_save);

	if (get_user(n, &argp->nmsrs) || put_user(want, &argp->nmsrs))
		return -EFAULT;
	if (n < want)
		return -E2BIG;
	if (copy_to_user(argp->indices, mkvm_msrs_to_save,
			 sizeof(mkvm_msrs_to_save)))
		return -EFAULT;
	return 0;
}

/**
 * mkvm_vcpu_msrs_ioctl() - KVM_GET_MSRS and KVM_SET_MSRS
 * @vcpu: the vCPU (its mutex held)
 * @argp: struct kvm_msrs in userspace
 * @set:  KVM_SET_MSRS rather than KVM_GET_MSRS
 *
 * Return: the number of entries processed (it stops at the first MSR that
 * does not exist or refuses its value), -E2BIG for 256 entries or more,
 * -EFAULT, -ENOMEM.
 */
long mkvm_vcpu_msrs_ioctl(struct mkvm_vcpu *vcpu, struct kvm_msrs __user *argp,
			  bool set)
{
	struct kvm_msr_entry *e;
	struct kvm_msrs hdr;
	long r;
	u32 i;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= MKVM_MAX_MSR_ENTRIES)
		return -E2BIG;
	e = memdup_user(argp->entries, hdr.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nmsrs; i++) {
		if (set ? mkvm_set_msr(vcpu, e[i].index, e[i].data, true) :
			  mkvm_get_msr(vcpu, e[i].index, &e[i].data))
			break;
	}
	r = i;
	if (!set && copy_to_user(argp->entries, e, i * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}

/**
 * mkvm_vcpu_msrs_reset() - MSR values after RESET (SDM Vol. 3A 9.1.1)
 * @vcpu: the vCPU
 */
void mkvm_vcpu_msrs_reset(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vcpu_msrs *m = &vcpu->msrs;

	memset(m, 0, sizeof(*m));
	m->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		       (vcpu->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	/* Fast strings on (bit 0), as firmware leaves it and KVM reports. */
	m->misc_enable = MSR_IA32_MISC_ENABLE_FAST_STRING;
}
