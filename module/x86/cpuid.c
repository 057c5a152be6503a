// SPDX-License-Identifier: GPL-2.0
/*
 * x86/cpuid.c - what the guest is told about its CPU.
 *
 * CPUID always exits (SVM: INTERCEPT_CPUID; VMX: unconditionally, SDM
 * Vol. 3C 26.1.2), and the answer comes from the table userspace installed
 * with KVM_SET_CPUID2, as in KVM (Documentation/virt/kvm/api.rst 4.73).
 * KVM_GET_SUPPORTED_CPUID offers userspace a starting point: the host's
 * leaves, filtered down to the features minikvm really virtualises. The
 * rule is the same as for KVM_CHECK_EXTENSION: never promise what does not
 * work. In particular the table never shows
 *   - VMX/SVM (no nested virtualisation),
 *   - AVX-512, AMX and other state beyond AVX (x86/xsave.c switches x87,
 *     SSE and AVX; leaf 0Dh offers exactly what the host's XCR0 and that
 *     code allow, with EBX following the guest's XCR0),
 *   - RDTSCP/RDPID (TSC_AUX is not switched),
 *   - MTRR, MCE/MCA,
 * and always shows the APIC and x2APIC bits (the in-kernel local APIC,
 * x86/lapic.c, emulates both whatever the host has; KVM reports them the
 * same way, and TSC-deadline is left to the VMM as in KVM, which announces
 * it with KVM_CAP_TSC_DEADLINE_TIMER) and the "hypervisor present" bit (CPUID.1:ECX[31]; KVM
 * leaves setting it to userspace, minikvm offers it ready-made).
 *
 * Lookup of a leaf that is not in the table returns zeros (AMD's answer for
 * unimplemented leaves; APM Vol. 3, E.3.1).
 *
 * The hypervisor leaves 4000_0000h/4000_0001h name KVM and offer kvmclock
 * (x86/kvmclock.c), as KVM's do, so stock guests find their clock.
 *
 * Non-goals for now: other paravirtual features (async page faults,
 * steal time, PV EOI...), topology leaves, per-vCPU differences beyond the
 * APIC ID.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/processor.h>
#include <asm/fpu/types.h>
#include <asm/kvm_para.h>

#include "../minikvm.h"
#include "../arch_ops.h"
#include "../compat.h"

/* CPUID.1:ECX and EDX bits we pass through when the host has them. */
#define C1_ECX_OK	(BIT(0) /* SSE3 */ | BIT(1) /* PCLMULQDQ */ |	\
			 BIT(9) /* SSSE3 */ | BIT(13) /* CX16 */ | BIT(19) /* SSE4.1 */ |	\
			 BIT(20) /* SSE4.2 */ | BIT(22) /* MOVBE */ |	\
			 BIT(23) /* POPCNT */ | BIT(25) /* AES */ |	\
			 BIT(30) /* RDRAND */)
#define C1_ECX_HYPERVISOR	BIT(31)
#define C1_ECX_OSXSAVE		BIT(27)
#define C1_ECX_XSAVE		BIT(26)
/* Need the AVX state: FMA, AVX, F16C (leaf 1), AVX2 (leaf 7). */
#define C1_ECX_AVX_OK		(BIT(12) | BIT(28) | BIT(29))
#define C7_EBX_AVX_OK		BIT(5)
#define C7_EBX_TSC_ADJUST	BIT(1)
#define C1_ECX_X2APIC		BIT(21)
#define C1_EDX_APIC		BIT(9)
#define C1_EDX_OK	(BIT(0) /* FPU */ | BIT(1) /* VME */ | BIT(2) /* DE */ | \
			 BIT(3) /* PSE */ | BIT(4) /* TSC */ | BIT(5) /* MSR */ | \
			 BIT(6) /* PAE */ | BIT(8) /* CX8 */ | BIT(11) /* SEP */ | \
			 BIT(13) /* PGE */ | BIT(15) /* CMOV */ |	\
			 BIT(16) /* PAT */ | BIT(17) /* PSE36 */ |	\
			 BIT(19) /* CLFSH */ | BIT(23) /* MMX */ |	\
			 BIT(24) /* FXSR */ | BIT(25) /* SSE */ | BIT(26) /* SSE2 */)
/* CPUID.7.0:EBX: FSGSBASE, BMI1, SMEP, BMI2, ERMS, ADX, SMAP, CLFLUSHOPT. */
#define C7_EBX_OK	(BIT(0) | BIT(3) | BIT(7) | BIT(8) | BIT(9) |	\
			 BIT(19) | BIT(20) | BIT(23))
/* CPUID.8000_0001h:ECX: LAHF/SAHF, LZCNT, SSE4A, PREFETCHW. */
#define CX1_ECX_OK	(BIT(0) | BIT(5) | BIT(6) | BIT(8))
/*
 * CPUID.8000_0001h:EDX: SYSCALL, NX, 1 GiB pages, long mode, plus AMD's
 * copies of leaf-1 EDX bits 0-9, 12-17, 23 and 24 (APM Vol. 3, E.4.2).
 */
#define CX1_EDX_OK	(BIT(11) | BIT(20) | BIT(26) | BIT(29) | (C1_EDX_OK & 0x0183f3ff))

static void mkvm_cpuid_host(struct kvm_cpuid_entry2 *e, u32 fn, u32 idx,
			    bool indexed)
{
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	cpuid_count(fn, idx, &e->eax, &e->ebx, &e->ecx, &e->edx);
}

/* Fill @e with the supported view of leaf @fn/@idx; false to leave it out. */
static bool mkvm_cpuid_supported(struct kvm_cpuid_entry2 *e, u32 fn, u32 idx)
{
	switch (fn) {
	case 0:
		mkvm_cpuid_host(e, 0, 0, false);
		/* Leaves 2-6 and 8-0Ch: left out (zeros). */
		e->eax = min_t(u32, e->eax, mkvm_supported_xcr0 ? 0xd : 7);
		return true;
	case 1: {
		u32 ok = C1_ECX_OK;

		mkvm_cpuid_host(e, 1, 0, false);
		if (mkvm_supported_xcr0)
			ok |= C1_ECX_XSAVE;
		if (mkvm_supported_xcr0 & XFEATURE_MASK_YMM)
			ok |= C1_ECX_AVX_OK;
		/* APIC ID, logical count: per vCPU at lookup time. */
		e->ebx &= 0x0000ffff;
		e->ecx = (e->ecx & ok) | C1_ECX_HYPERVISOR | C1_ECX_X2APIC;
		e->edx = (e->edx & C1_EDX_OK) | C1_EDX_APIC;
		return true;
	}
	case 7:
		if (idx)
			return false;
		mkvm_cpuid_host(e, 7, 0, true);
		e->eax = 0;			/* no subleaves beyond 0 */
		e->ebx &= C7_EBX_OK |
			  (mkvm_supported_xcr0 & XFEATURE_MASK_YMM ?
			   C7_EBX_AVX_OK : 0);
		/* IA32_TSC_ADJUST is emulated (x86/msr.c), host or not. */
		e->ebx |= C7_EBX_TSC_ADJUST;
		e->ecx = 0;
		e->edx = 0;
		return true;
	case 0xd:
		/* XSAVE features and sizes (SDM Vol. 1 13.2). */
		if (!mkvm_supported_xcr0 ||
		    (idx == 2 && !(mkvm_supported_xcr0 & XFEATURE_MASK_YMM)))
			return false;
		mkvm_cpuid_host(e, 0xd, idx, true);
		if (idx == 0) {
			e->eax = (u32)mkvm_supported_xcr0;
			e->edx = mkvm_supported_xcr0 >> 32;
			e->ebx = mkvm_xsave_size(mkvm_supported_xcr0);
			e->ecx = e->ebx;
		} else if (idx == 1) {
			/* No XSAVEOPT/XSAVEC/XGETBV1/XSAVES, no XSS. */
			e->eax = 0;
			e->ebx = 0;
			e->ecx = 0;
			e->edx = 0;
		}
		return true;
	case 0x80000000:
		mkvm_cpuid_host(e, fn, 0, false);
		e->eax = min_t(u32, e->eax, 0x80000008);
		return true;
	case 0x80000001:
		mkvm_cpuid_host(e, fn, 0, false);
		e->ecx &= CX1_ECX_OK;
		e->edx &= CX1_EDX_OK;
		return true;
	case 0x80000002 ... 0x80000004:		/* brand string */
		mkvm_cpuid_host(e, fn, 0, false);
		return true;
	case 0x80000007:
		/*
		 * Only the invariant TSC (EDX[8], APM Vol. 3 E.4.6, SDM Vol. 2A
		 * CPUID): the guest TSC is the host's plus a constant offset, so
		 * it keeps the host's invariance; without the bit, Linux guests
		 * with more than one CPU distrust the TSC (unsynchronized_tsc()).
		 */
		mkvm_cpuid_host(e, fn, 0, false);
		e->eax = 0;
		e->ebx = 0;
		e->ecx = 0;
		e->edx &= BIT(8);
		return true;
	case 0x80000008:
		mkvm_cpuid_host(e, fn, 0, false);
		e->eax &= 0xffff;		/* physical and linear widths */
		e->ebx = 0;
		e->ecx = 0;
		e->edx = 0;
		return true;
	default:
		return false;
	}
}

static const struct {
	u32 fn, idx;
} mkvm_cpuid_leaves[] = {
	{ 0 }, { 1 }, { 7 }, { 0xd, 0 }, { 0xd, 1 }, { 0xd, 2 },
	{ 0x80000000 }, { 0x80000001 }, { 0x80000002 }, { 0x80000003 },
	{ 0x80000004 }, { 0x80000007 }, { 0x80000008 },
	{ KVM_CPUID_SIGNATURE }, { KVM_CPUID_FEATURES },
};

/**
 * mkvm_get_supported_cpuid() - KVM_GET_SUPPORTED_CPUID (system ioctl)
 * @argp: struct kvm_cpuid2 in userspace; nent is its capacity on input
 *
 * Return: 0 with nent set to the number of entries, -E2BIG when nent is
 * too small, -EFAULT.
 */
long mkvm_get_supported_cpuid(struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid_entry2 e[ARRAY_SIZE(mkvm_cpuid_leaves)];
	struct kvm_cpuid2 hdr;
	u32 n = 0, i;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(mkvm_cpuid_leaves); i++) {
		u32 fn = mkvm_cpuid_leaves[i].fn, max = fn & 0x80000000;

		/* The KVM leaves are ours (kvmclock.c), not the host's. */
		if ((fn & 0xffff0000) == KVM_CPUID_SIGNATURE) {
			if (mkvm_kvmclock_ok)
				mkvm_kvmclock_cpuid(&e[n++], fn);
			continue;
		}
		/* Only leaves the host itself implements. */
		if (fn > cpuid_eax(max))
			continue;
		if (mkvm_cpuid_supported(&e[n], fn, mkvm_cpuid_leaves[i].idx))
			n++;
	}
	if (hdr.nent < n)
		return -E2BIG;
	if (copy_to_user(argp->entries, e, n * sizeof(e[0])))
		return -EFAULT;
	hdr.nent = n;
	if (copy_to_user(argp, &hdr, sizeof(hdr)))
		return -EFAULT;
	return 0;
}

/*
 * The bits that follow the vCPU's state rather than the table (SDM Vol. 2A
 * CPUID), as KVM's kvm_update_cpuid_runtime() keeps them: the size of the
 * XSAVE area for the XCR0 in force (leaf 0Dh.0 EBX) and CR4.OSXSAVE (leaf
 * 1 ECX[27]). KVM_GET_CPUID2 reports them the same way, so a table read
 * back is what the guest sees. The APIC ID in leaf 1 EBX is userspace's,
 * as in KVM (mkvm writes one per vCPU).
 */
static void mkvm_cpuid_runtime(struct mkvm_vcpu *vcpu, u32 fn, u32 idx,
			       u32 *ebx, u32 *ecx, bool osxsave)
{
	if (fn == 0xd && idx == 0 && mkvm_supported_xcr0)
		*ebx = mkvm_xsave_size(vcpu->xcr0);
	if (fn == 1)
		*ecx = (*ecx & ~C1_ECX_OSXSAVE) | (osxsave ? C1_ECX_OSXSAVE : 0);
}

/*
 * After KVM_RUN only the same table may be set again (KVM refuses to change
 * CPU features under a running guest); as in KVM, the runtime bits are
 * brought up to date on both sides first, so a table read back with
 * KVM_GET_CPUID2 always compares equal.
 */
static bool mkvm_cpuid_same(struct mkvm_vcpu *vcpu,
			    const struct kvm_cpuid_entry2 *e, int nent)
{
	struct kvm_cpuid_entry2 a, b;
	struct kvm_sregs sregs;
	bool osxsave;
	int i;

	if (nent != vcpu->cpuid_nent)
		return false;
	mkvm_ops->get_sregs(vcpu, &sregs);
	osxsave = sregs.cr4 & X86_CR4_OSXSAVE;
	for (i = 0; i < nent; i++) {
		a = e[i];
		b = vcpu->cpuid[i];
		mkvm_cpuid_runtime(vcpu, a.function, a.index, &a.ebx, &a.ecx,
				   osxsave);
		mkvm_cpuid_runtime(vcpu, b.function, b.index, &b.ebx, &b.ecx,
				   osxsave);
		if (memcmp(&a, &b, sizeof(a)))
			return false;
	}
	return true;
}

/**
 * mkvm_vcpu_set_cpuid2() - KVM_SET_CPUID2
 * @vcpu: the vCPU (its mutex held)
 * @argp: struct kvm_cpuid2 in userspace
 *
 * The table is taken as given (userspace owns the guest's CPU model), but
 * after the first KVM_RUN only an identical table is accepted, as KVM does
 * since 5.16: a guest must never see its CPU change under it.
 *
 * Return: 0, -E2BIG (more than MKVM_MAX_CPUID_ENTRIES), -EINVAL, -EFAULT,
 * -ENOMEM.
 */
long mkvm_vcpu_set_cpuid2(struct mkvm_vcpu *vcpu,
			  struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid_entry2 *e = NULL;
	struct kvm_cpuid2 hdr;
	size_t size;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > MKVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	size = hdr.nent * sizeof(*e);
	if (hdr.nent) {
		e = vmemdup_user(argp->entries, size);
		if (IS_ERR(e))
			return PTR_ERR(e);
	}
	if (vcpu->has_run) {
		bool same = mkvm_cpuid_same(vcpu, e, hdr.nent);

		kvfree(e);
		return same ? 0 : -EINVAL;
	}
	kvfree(vcpu->cpuid);
	vcpu->cpuid = e;
	vcpu->cpuid_nent = hdr.nent;
	return 0;
}

/**
 * mkvm_vcpu_get_cpuid2() - KVM_GET_CPUID2
 * @vcpu: the vCPU (its mutex held)
 * @argp: struct kvm_cpuid2 in userspace; nent is its capacity on input
 *
 * As in KVM, nent is written back only on success; a caller that gets
 * -E2BIG has to retry with a bigger buffer.
 *
 * Return: 0, -E2BIG, -EFAULT.
 */
long mkvm_vcpu_get_cpuid2(struct mkvm_vcpu *vcpu,
			  struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < vcpu->cpuid_nent)
		return -E2BIG;
	if (vcpu->cpuid_nent) {
		struct kvm_cpuid_entry2 *e;
		struct kvm_sregs sregs;
		int i, r = 0;

		e = kmemdup(vcpu->cpuid, vcpu->cpuid_nent * sizeof(*e),
			    GFP_KERNEL_ACCOUNT);
		if (!e)
			return -ENOMEM;
		/* KVM reports its runtime adjustments here too. */
		mkvm_ops->get_sregs(vcpu, &sregs);
		for (i = 0; i < vcpu->cpuid_nent; i++)
			mkvm_cpuid_runtime(vcpu, e[i].function, e[i].index,
					   &e[i].ebx, &e[i].ecx,
					   sregs.cr4 & X86_CR4_OSXSAVE);
		if (copy_to_user(argp->entries, e,
				 vcpu->cpuid_nent * sizeof(*e)))
			r = -EFAULT;
		kfree(e);
		if (r)
			return r;
	}
	hdr.nent = vcpu->cpuid_nent;
	return copy_to_user(argp, &hdr, sizeof(hdr)) ? -EFAULT : 0;
}

/**
 * mkvm_cpuid_lookup() - the vCPU's table entry for a leaf, as stored
 * @vcpu: the vCPU
 * @eax:  in: leaf; out: EAX
 * @ebx:  out: EBX
 * @ecx:  in: subleaf; out: ECX
 * @edx:  out: EDX
 *
 * Return: true when the table has the leaf (else all four are 0).
 */
bool mkvm_cpuid_lookup(struct mkvm_vcpu *vcpu, u32 *eax, u32 *ebx, u32 *ecx,
		       u32 *edx)
{
	u32 fn = *eax, idx = *ecx;
	int i;

	*eax = 0;
	*ebx = 0;
	*ecx = 0;
	*edx = 0;
	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function != fn ||
		    ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		     e->index != idx))
			continue;
		*eax = e->eax;
		*ebx = e->ebx;
		*ecx = e->ecx;
		*edx = e->edx;
		return true;
	}
	return false;
}

/**
 * mkvm_cpuid_has_xsave() - does the vCPU's CPUID offer XSAVE?
 * @vcpu: the vCPU
 *
 * Return: CPUID.1:ECX.XSAVE[bit 26] of its table.
 */
bool mkvm_cpuid_has_xsave(struct mkvm_vcpu *vcpu)
{
	u32 a = 1, b, c = 0, d;

	mkvm_cpuid_lookup(vcpu, &a, &b, &c, &d);
	return c & C1_ECX_XSAVE;
}

/**
 * mkvm_cpuid_emulate() - answer a guest CPUID from the vCPU's table
 * @vcpu:    the vCPU
 * @eax:     in: leaf; out: EAX
 * @ebx:     out: EBX
 * @ecx:     in: subleaf; out: ECX
 * @edx:     out: EDX
 * @osxsave: the guest's CR4.OSXSAVE, reflected in CPUID.1:ECX[27]
 *
 * Context: vCPU thread.
 */
void mkvm_cpuid_emulate(struct mkvm_vcpu *vcpu, u32 *eax, u32 *ebx, u32 *ecx,
			u32 *edx, bool osxsave)
{
	u32 fn = *eax, idx = *ecx;

	if (mkvm_cpuid_lookup(vcpu, eax, ebx, ecx, edx))
		mkvm_cpuid_runtime(vcpu, fn, idx, ebx, ecx, osxsave);
}
