// SPDX-License-Identifier: GPL-2.0
/*
 * x86/fpu.c - KVM_GET/SET_FPU.
 *
 * The guest's x87/SSE state is the legacy (FXSAVE-format) region of its
 * XSAVE area (Intel SDM Vol. 1 10.5.1, Table 10-2; AMD APM Vol. 5 FXSAVE),
 * which x86/xsave.c restores and saves around every run. struct kvm_fpu
 * (Documentation/virt/kvm/api.rst 4.22, 4.23) is that image field by
 * field, so the ioctls are copies with the FXSAVE offsets spelled out
 * below.
 *
 * MP state (api.rst 4.38, 4.39) lives in x86/irq.c with the in-kernel
 * local APIC it depends on.
 *
 * Non-goals: the extended state beyond SSE, which KVM_GET/SET_XSAVE carry
 * (x86/xsave.c).
 */
#include <linux/kvm.h>
#include <linux/string.h>

#include "../minikvm.h"
#include "../arch_ops.h"

/* FXSAVE image offsets (SDM Vol. 1 Table 10-2, 64-bit format). */
#define FX_FCW		0
#define FX_FSW		2
#define FX_FTW		4	/* abridged tag, one bit per register */
#define FX_FOP		6
#define FX_FIP		8
#define FX_FDP		16
#define FX_MXCSR	24
#define FX_ST0		32	/* 8 x 16 bytes */
#define FX_XMM0		160	/* 16 x 16 bytes */

/* MXCSR bits a guest may set (SDM Vol. 1 10.2.3); the rest #GP on FXRSTOR. */
#define MKVM_MXCSR_MASK	0xffff

/**
 * mkvm_vcpu_get_fpu() - KVM_GET_FPU
 * @vcpu: the vCPU (its mutex held)
 * @fpu:  filled in
 */
void mkvm_vcpu_get_fpu(struct mkvm_vcpu *vcpu, struct kvm_fpu *fpu)
{
	const u8 *fx = vcpu->fpu;

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fx + FX_ST0, sizeof(fpu->fpr));
	memcpy(&fpu->fcw, fx + FX_FCW, 2);
	memcpy(&fpu->fsw, fx + FX_FSW, 2);
	fpu->ftwx = fx[FX_FTW];
	memcpy(&fpu->last_opcode, fx + FX_FOP, 2);
	memcpy(&fpu->last_ip, fx + FX_FIP, 8);
	memcpy(&fpu->last_dp, fx + FX_FDP, 8);
	memcpy(fpu->xmm, fx + FX_XMM0, sizeof(fpu->xmm));
	memcpy(&fpu->mxcsr, fx + FX_MXCSR, 4);
}

/**
 * mkvm_vcpu_set_fpu() - KVM_SET_FPU
 * @vcpu: the vCPU (its mutex held)
 * @fpu:  the new state, copied from userspace
 *
 * Return: 0, or -EINVAL for reserved MXCSR bits, which would make the next
 * FXRSTOR fault in the host.
 */
int mkvm_vcpu_set_fpu(struct mkvm_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	u8 *fx = vcpu->fpu;

	if (fpu->mxcsr & ~MKVM_MXCSR_MASK)
		return -EINVAL;
	memcpy(fx + FX_ST0, fpu->fpr, sizeof(fpu->fpr));
	memcpy(fx + FX_FCW, &fpu->fcw, 2);
	memcpy(fx + FX_FSW, &fpu->fsw, 2);
	fx[FX_FTW] = fpu->ftwx;
	memcpy(fx + FX_FOP, &fpu->last_opcode, 2);
	memcpy(fx + FX_FIP, &fpu->last_ip, 8);
	memcpy(fx + FX_FDP, &fpu->last_dp, 8);
	memcpy(fx + FX_XMM0, fpu->xmm, sizeof(fpu->xmm));
	memcpy(fx + FX_MXCSR, &fpu->mxcsr, 4);
	mkvm_fpu_legacy_changed(vcpu);
	return 0;
}
