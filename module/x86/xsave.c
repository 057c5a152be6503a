// SPDX-License-Identifier: GPL-2.0
/*
 * x86/xsave.c - the guest's extended processor state (x87, SSE, AVX) and
 * its XCR0, switched around every guest entry, for both vendors.
 *
 * The guest's state lives in a 4 KiB XSAVE area in the standard
 * (non-compacted) format (Intel SDM Vol. 1 13.4; AMD APM Vol. 2 11.5):
 * 512 bytes of legacy FXSAVE image, the 64-byte XSAVE header, then the
 * AVX component at the offset CPUID.(EAX=0Dh,ECX=2):EBX names (576). That
 * is also KVM's struct kvm_xsave layout (api.rst 4.42, 4.43), so
 * KVM_GET/SET_XSAVE are copies plus validation.
 *
 * Entry (mkvm_fpu_enter(), interrupts off, inside kernel_fpu_begin() so
 * the VMM thread's own state is already parked in its task struct):
 *   XRSTOR the guest's x87/SSE/AVX under the host's XCR0, then, if the
 *   guest's XCR0 differs, XSETBV it (SDM Vol. 1 13.3).
 * Exit (mkvm_fpu_exit()): XSETBV the host's XCR0 back, then XSAVE the
 * guest's state. XCR0 is switched even while the guest has CR4.OSXSAVE
 * clear: a guest may set it in the middle of a run (on VMX the CR4 write
 * exits but is emulated at once) and must then see its own XCR0, never the
 * host's.
 *
 * IA32_XSS: SVM cannot intercept XSAVES/XRSTORS (VMX can, and minikvm
 * does not enable them there: #UD). A guest that executes them anyway
 * would save or load the supervisor components the host's IA32_XSS
 * enables (CET user state, PASID: the VMM thread's live registers), so
 * where the host's IA32_XSS is not 0 it is 0 while the guest runs (SDM
 * Vol. 1 13.12; KVM switches it too). PKRU needs nothing here: CR4.PKE is
 * never the guest's (mkvm_cr4_allowed()), so RDPKRU/WRPKRU are #UD.
 * Saving and restoring under the host's XCR0 keeps the guest's upper YMM
 * halves intact even while its XCR0 hides them, as the hardware would.
 *
 * XSETBV always exits (SVM intercept, VMX unconditionally) and lands in
 * mkvm_emulate_xsetbv() with the architectural checks. Only features whose
 * state is switched here are offered in CPUID (x86/cpuid.c).
 *
 * Without XSAVE on the host, FXSAVE/FXRSTOR move the 512-byte legacy
 * image and XSAVE is not offered.
 *
 * Non-goals for now: AVX-512, AMX, PKRU, CET and other components beyond
 * AVX (not offered), XSAVEOPT/XSAVEC/XSAVES and XGETBV(ECX=1) in the guest
 * (CPUID.(0Dh,1) is all zero), KVM_CAP_XSAVE2 (the 4 KiB area suffices).
 */
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>

#include "../minikvm.h"
#include "../compat.h"

#define MKVM_XSAVE_SIZE		4096	/* sizeof(struct kvm_xsave) */
#define MKVM_XSAVE_HDR		512	/* XSTATE_BV, XCOMP_BV, reserved */
#define MKVM_XSAVE_YMM		576	/* standard-format AVX offset */
#define MKVM_XSAVE_YMM_SIZE	256
#define FX_FCW			0
#define FX_MXCSR		24
#define FX_MXCSR_MASK		28

/* MXCSR bits a guest may set (SDM Vol. 1 10.2.3); the rest #GP on restore. */
#define MKVM_MXCSR_VALID	0xffff

/* The host's XCR0; 0 when the host does not use XSAVE. */
static u64 mkvm_host_xcr0;
/* The host's IA32_XSS (constant after boot); 0 without XSAVES. */
static u64 mkvm_host_xss;

/* What a guest may enable in XCR0: x87, SSE and AVX when the host has them. */
u64 mkvm_supported_xcr0;

/**
 * mkvm_xsave_init() - learn the host's XSAVE setup, at module load
 *
 * Offers AVX only if its state sits at the standard-format offset, which
 * is what struct kvm_xsave and the code below assume.
 */
void mkvm_xsave_init(void)
{
	u32 eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_XSAVE) ||
	    !boot_cpu_has(X86_FEATURE_OSXSAVE))
		return;
	mkvm_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	if (boot_cpu_has(X86_FEATURE_XSAVES))
		mkvm_rdmsr(MSR_IA32_XSS, mkvm_host_xss);
	mkvm_supported_xcr0 = mkvm_host_xcr0 &
			      (XFEATURE_MASK_FP | XFEATURE_MASK_SSE |
			       XFEATURE_MASK_YMM);
	cpuid_count(0xd, 2, &eax, &ebx, &ecx, &edx);
	if (eax != MKVM_XSAVE_YMM_SIZE || ebx != MKVM_XSAVE_YMM)
		mkvm_supported_xcr0 &= ~XFEATURE_MASK_YMM;
}

/**
 * mkvm_xsave_size() - bytes of XSAVE area the features in @xcr0 need
 * @xcr0: a valid XCR0 value within mkvm_supported_xcr0
 *
 * Return: CPUID.(EAX=0Dh,ECX=0):EBX for that XCR0 (SDM Vol. 2A CPUID).
 */
u32 mkvm_xsave_size(u64 xcr0)
{
	if (xcr0 & XFEATURE_MASK_YMM)
		return MKVM_XSAVE_YMM + MKVM_XSAVE_YMM_SIZE;
	return MKVM_XSAVE_HDR + 64;
}

static u64 *mkvm_xstate_bv(struct mkvm_vcpu *vcpu)
{
	return (u64 *)((u8 *)vcpu->fpu + MKVM_XSAVE_HDR);
}

/**
 * mkvm_fpu_alloc() - allocate a vCPU's XSAVE area
 * @vcpu: the new vCPU
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_fpu_alloc(struct mkvm_vcpu *vcpu)
{
	/* A page: XSAVE wants 64-byte alignment, struct kvm_xsave 4 KiB. */
	vcpu->fpu = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return vcpu->fpu ? 0 : -ENOMEM;
}

/** mkvm_fpu_free() - free it @vcpu: the vCPU */
void mkvm_fpu_free(struct mkvm_vcpu *vcpu)
{
	free_page((unsigned long)vcpu->fpu);
	vcpu->fpu = NULL;
}

/**
 * mkvm_fpu_reset() - FPU state and XCR0 after RESET
 * @vcpu: the vCPU
 *
 * FCW 037Fh, MXCSR 1F80h, everything else zero (SDM Vol. 3A Table 9-1),
 * XCR0 = 1 (only x87; SDM Vol. 1 13.3).
 */
void mkvm_fpu_reset(struct mkvm_vcpu *vcpu)
{
	u8 *fx = vcpu->fpu;

	memset(fx, 0, MKVM_XSAVE_SIZE);
	*(u16 *)&fx[FX_FCW] = 0x37f;
	*(u32 *)&fx[FX_MXCSR] = 0x1f80;
	/* The legacy image is meaningful: XRSTOR must load it. */
	*mkvm_xstate_bv(vcpu) = XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	vcpu->xcr0 = XFEATURE_MASK_FP;
}

/**
 * mkvm_fpu_legacy_changed() - the legacy image was written (KVM_SET_FPU)
 * @vcpu: the vCPU
 *
 * An XSAVE that found x87 or SSE in its initial state leaves the bit
 * clear in XSTATE_BV, and XRSTOR would then ignore the new values.
 */
void mkvm_fpu_legacy_changed(struct mkvm_vcpu *vcpu)
{
	*mkvm_xstate_bv(vcpu) |= XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
}

static int mkvm_xrstor(const void *area, u64 mask)
{
	asm goto("1: xrstor64 %0\n"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : "m" (*(const u8 (*)[MKVM_XSAVE_SIZE])area),
		   "a" ((u32)mask), "d" ((u32)(mask >> 32))
		 : "memory" : fault);
	return 0;
fault:
	return -EFAULT;
}

static int mkvm_fxrstor(const void *area)
{
	asm goto("1: fxrstor64 %0\n"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : "m" (*(const u8 (*)[512])area) : "memory" : fault);
	return 0;
fault:
	return -EFAULT;
}

/**
 * mkvm_fpu_enter() - load the guest's FPU state and XCR0
 * @vcpu: the vCPU about to enter
 *
 * Context: inside kernel_fpu_begin(), interrupts disabled.
 * Return: 0, or -EFAULT if the image would not load (it is validated on
 * every path that writes it, so this means a minikvm bug: the VM stops).
 */
int mkvm_fpu_enter(struct mkvm_vcpu *vcpu)
{
	int r;

	lockdep_assert_irqs_disabled();
	if (!mkvm_host_xcr0)
		return mkvm_fxrstor(vcpu->fpu);
	r = mkvm_xrstor(vcpu->fpu, mkvm_supported_xcr0);
	if (r)
		return r;
	if (vcpu->xcr0 != mkvm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	if (mkvm_host_xss)
		mkvm_wrmsr(MSR_IA32_XSS, 0);
	return 0;
}

/**
 * mkvm_fpu_exit() - save the guest's FPU state, restore the host's XCR0
 * @vcpu: the vCPU that just left the guest
 *
 * Context: inside kernel_fpu_begin(), interrupts disabled; only after a
 * successful mkvm_fpu_enter().
 */
void mkvm_fpu_exit(struct mkvm_vcpu *vcpu)
{
	u64 mask = mkvm_supported_xcr0;

	lockdep_assert_irqs_disabled();
	if (!mkvm_host_xcr0) {
		asm volatile("fxsave64 %0" : "=m" (*(u8 (*)[512])vcpu->fpu));
		return;
	}
	if (mkvm_host_xss)
		mkvm_wrmsr(MSR_IA32_XSS, mkvm_host_xss);
	if (vcpu->xcr0 != mkvm_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, mkvm_host_xcr0);
	asm volatile("xsave64 %0"
		     : "+m" (*(u8 (*)[MKVM_XSAVE_SIZE])vcpu->fpu)
		     : "a" ((u32)mask), "d" ((u32)(mask >> 32)) : "memory");
}

/*
 * The XCR0 bits the vCPU's CPUID allows: leaf 0Dh's EDX:EAX within what
 * minikvm switches, and x87 always (KVM's guest_supported_xcr0 | FP).
 */
static u64 mkvm_guest_xcr0_allowed(struct mkvm_vcpu *vcpu)
{
	u32 a = 0xd, b, c = 0, d;

	mkvm_cpuid_lookup(vcpu, &a, &b, &c, &d);
	return ((a | (u64)d << 32) & mkvm_supported_xcr0) | XFEATURE_MASK_FP;
}

/* XSETBV's checks on the value (SDM Vol. 2D XSETBV, "Protected Mode"). */
static int mkvm_check_xcr0(struct mkvm_vcpu *vcpu, u64 value)
{
	if (!(value & XFEATURE_MASK_FP) ||
	    ((value & XFEATURE_MASK_YMM) && !(value & XFEATURE_MASK_SSE)) ||
	    (value & ~mkvm_guest_xcr0_allowed(vcpu)))
		return -EINVAL;
	return 0;
}

/**
 * mkvm_emulate_xsetbv() - the guest executed XSETBV
 * @vcpu:  the vCPU
 * @index: ECX, the XCR number
 * @value: EDX:EAX
 * @cpl:   the guest's current privilege level
 *
 * The vendor skips the instruction on 0 and injects the exception
 * otherwise.
 *
 * Return: 0 done; UD_VECTOR when the guest's CPUID has no XSAVE (the
 * instruction does not exist for it); GP_VECTOR for CPL > 0, an XCR other
 * than 0, or a value the CPU refuses.
 */
int mkvm_emulate_xsetbv(struct mkvm_vcpu *vcpu, u32 index, u64 value,
			unsigned int cpl)
{
	if (!mkvm_host_xcr0 || !mkvm_cpuid_has_xsave(vcpu))
		return UD_VECTOR;
	if (cpl || index != XCR_XFEATURE_ENABLED_MASK ||
	    mkvm_check_xcr0(vcpu, value))
		return GP_VECTOR;
	vcpu->xcr0 = value;
	return 0;
}

/**
 * mkvm_vcpu_get_xsave() - KVM_GET_XSAVE
 * @vcpu: the vCPU (its mutex held)
 * @xs:   filled in: the standard-format XSAVE image
 */
void mkvm_vcpu_get_xsave(struct mkvm_vcpu *vcpu, struct kvm_xsave *xs)
{
	memcpy(xs->region, vcpu->fpu, sizeof(xs->region));
	if (!mkvm_host_xcr0)
		*(u64 *)((u8 *)xs->region + MKVM_XSAVE_HDR) =
			XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
}

/**
 * mkvm_vcpu_set_xsave() - KVM_SET_XSAVE
 * @vcpu: the vCPU (its mutex held)
 * @xs:   the new image, copied from userspace
 *
 * Refuses what XRSTOR would #GP on (SDM Vol. 1 13.8): XSTATE_BV bits
 * outside what minikvm switches, a non-zero XCOMP_BV (compacted format)
 * or reserved header bytes, reserved MXCSR bits - as KVM does.
 *
 * Return: 0 or -EINVAL.
 */
int mkvm_vcpu_set_xsave(struct mkvm_vcpu *vcpu, const struct kvm_xsave *xs)
{
	const u8 *img = (const u8 *)xs->region;
	u64 hdr[8];
	u32 mxcsr;
	int i;

	memcpy(hdr, img + MKVM_XSAVE_HDR, sizeof(hdr));
	memcpy(&mxcsr, img + FX_MXCSR, 4);
	if (mxcsr & ~MKVM_MXCSR_VALID)
		return -EINVAL;
	if (hdr[0] & ~(mkvm_supported_xcr0 ?:
		       XFEATURE_MASK_FP | XFEATURE_MASK_SSE))
		return -EINVAL;
	for (i = 1; i < 8; i++)
		if (hdr[i])
			return -EINVAL;
	memcpy(vcpu->fpu, img, MKVM_XSAVE_SIZE);
	/* MXCSR_MASK is the CPU's, not state (SDM Vol. 1 10.5.1.2). */
	memset((u8 *)vcpu->fpu + FX_MXCSR_MASK, 0, 4);
	return 0;
}

/**
 * mkvm_vcpu_get_xcrs() - KVM_GET_XCRS
 * @vcpu: the vCPU (its mutex held)
 * @x:    filled in: XCR0 only
 */
void mkvm_vcpu_get_xcrs(struct mkvm_vcpu *vcpu, struct kvm_xcrs *x)
{
	memset(x, 0, sizeof(*x));
	x->nr_xcrs = 1;
	x->xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
	x->xcrs[0].value = vcpu->xcr0;
}

/**
 * mkvm_vcpu_set_xcrs() - KVM_SET_XCRS
 * @vcpu: the vCPU (its mutex held)
 * @x:    the values, copied from userspace
 *
 * As KVM: at most KVM_MAX_XCRS entries and no flags; XCR0 is checked as
 * XSETBV would check it (at CPL 0); other XCR numbers are ignored.
 *
 * Return: 0 or -EINVAL.
 */
int mkvm_vcpu_set_xcrs(struct mkvm_vcpu *vcpu, const struct kvm_xcrs *x)
{
	u32 i;

	if (x->nr_xcrs > KVM_MAX_XCRS || x->flags)
		return -EINVAL;
	for (i = 0; i < x->nr_xcrs; i++) {
		if (x->xcrs[i].xcr != XCR_XFEATURE_ENABLED_MASK)
			continue;
		if (!mkvm_host_xcr0 || mkvm_check_xcr0(vcpu, x->xcrs[i].value))
			return -EINVAL;
		vcpu->xcr0 = x->xcrs[i].value;
	}
	return 0;
}
