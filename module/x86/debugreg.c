// SPDX-License-Identifier: GPL-2.0
/*
 * x86/debugreg.c - the guest's debug registers DR0-DR3, DR6 and DR7, kept
 * apart from the host's.
 *
 * Neither VMRUN nor VM entry switches DR0-DR3: they are the physical
 * registers, and the host's perf and ptrace breakpoints live in them. VM
 * exit (SDM Vol. 3C 28.3.3, 28.5.1) and #VMEXIT (AMD APM Vol. 2 15.6.1)
 * both set DR7 to 400h, which disables every host breakpoint. So, as KVM:
 *
 *  - every MOV to or from a debug register exits (VMX "MOV-DR exiting",
 *    SDM Vol. 3C 26.1.3, and 28.2.1 Table 28-4 for the qualification; the
 *    SVM DR read/write intercepts of APM Vol. 2 chapter 15) and is
 *    emulated here on vcpu->dr, with the architectural checks of SDM
 *    Vol. 2A "MOV - Move to/from Debug Registers" (CPL 0, CR4.DE and
 *    DR4/DR5, DR7.GD, the reserved upper halves of DR6/DR7);
 *  - only when the guest's DR7 enables a breakpoint are its DR0-DR3 put in
 *    the physical registers for the entry (mkvm_dr_enter());
 *  - after every exit the host's breakpoints are written back with
 *    hw_breakpoint_restore() when the host has any armed or the guest's
 *    addresses were loaded (mkvm_dr_exit()).
 * The guest never reads a host address and the host never keeps a guest
 * one; KVM_GET/SET_DEBUGREGS read and write the same state.
 *
 * Guest DR6 and DR7 themselves are switched by the hardware: the VMCB save
 * area holds both, the VMCS holds DR7 (DR6 is loaded here on VMX when the
 * guest's breakpoints are live). The vendor copies vcpu->dr in and out
 * around the world switch.
 *
 * Non-goals: KVM's lazy mode, where MOV DR stops exiting once the guest
 * uses its debug registers (fewer exits for a guest debugger, at the
 * price of reading DR0-DR3 back after every exit); KVM_SET_GUEST_DEBUG;
 * RTM and bus-lock bits of DR6 (the guest is offered neither).
 */
#include <linux/kvm.h>
#include <linux/percpu.h>
#include <asm/processor.h>
#include <asm/debugreg.h>
#include <asm/traps.h>

#include "../minikvm.h"
#include "../arch_ops.h"

/* The bits of DR6 that software and #DB can change; the rest read as 1. */
#define MKVM_DR6_VOLATILE	(DR_TRAP_BITS | DR6_BD | DR_STEP | DR_SWITCH)
#define MKVM_DR6_FIXED_1	DR6_RESERVED
/* DR7 bit 10 reads as 1; 11, 12, 14 and 15 as 0 (SDM Vol. 3B 18.2.4). */
#define MKVM_DR7_VOLATILE	0xffff23ffUL
#define MKVM_DR7_FIXED_1	0x400UL
#define MKVM_DR7_GD		BIT(13)
/* Any of L0-L3/G0-G3: a breakpoint the hardware must see. */
#define MKVM_DR7_BP_ENABLED	(DR_LOCAL_ENABLE_MASK | DR_GLOBAL_ENABLE_MASK)

#ifndef DR6_BD
#define DR6_BD			BIT(13)
#endif

/**
 * mkvm_dr_reset() - the debug registers after RESET or INIT
 * @vcpu: the vCPU
 *
 * SDM Vol. 3A 10.1.1 Table 10-1: DR0-DR3 0, DR6 FFFF0FF0h, DR7 400h.
 */
void mkvm_dr_reset(struct mkvm_vcpu *vcpu)
{
	memset(vcpu->dr.db, 0, sizeof(vcpu->dr.db));
	vcpu->dr.dr6 = MKVM_DR6_FIXED_1;
	vcpu->dr.dr7 = MKVM_DR7_FIXED_1;
}

/**
 * mkvm_emulate_mov_dr() - one intercepted MOV to or from DRn
 * @vcpu:  the vCPU
 * @dr:    the debug register, 0-7
 * @gpr:   the general register, by its x86 encoding (0 = RAX ... 15)
 * @to_dr: MOV DRn, reg (a write); else MOV reg, DRn
 *
 * The caller has decoded the instruction (VMX exit qualification, or
 * mkvm_fetch_mov_crdr() on SVM) and skips it when this returns 0.
 *
 * Return: 0 when done, else the vector of the exception to inject instead
 * (#GP with error code 0, #UD, or #DB with DR6.BD already set).
 */
int mkvm_emulate_mov_dr(struct mkvm_vcpu *vcpu, unsigned int dr,
			unsigned int gpr, bool to_dr)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	bool long_mode;
	u64 *reg, val;

	mkvm_ops->get_sregs(vcpu, &sregs);
	/* Virtual-8086 mode and CPL > 0: #GP(0) (SDM Vol. 2A, MOV DR). */
	mkvm_ops->get_regs(vcpu, &regs);
	if ((sregs.cr0 & X86_CR0_PE) &&
	    (sregs.ss.dpl || (regs.rflags & X86_EFLAGS_VM)))
		return X86_TRAP_GP;
	if (dr == 4 || dr == 5) {
		if (sregs.cr4 & X86_CR4_DE)
			return X86_TRAP_UD;
		dr += 2;	/* aliases of DR6 and DR7 */
	}
	/*
	 * General detect (SDM Vol. 3B 18.2.4): the access faults with DR6.BD
	 * and the hardware clears GD so the handler can use the registers.
	 * The exit came before the #DB would have, so it is raised here.
	 */
	if (vcpu->dr.dr7 & MKVM_DR7_GD) {
		vcpu->dr.dr6 = (vcpu->dr.dr6 & ~DR_TRAP_BITS) | DR6_BD;
		vcpu->dr.dr7 &= ~MKVM_DR7_GD;
		return X86_TRAP_DB;
	}

	long_mode = (sregs.efer & EFER_LMA) && sregs.cs.l;
	reg = mkvm_gpr(&regs, gpr);
	if (!to_dr) {
		val = dr < 4 ? vcpu->dr.db[dr] : dr == 6 ? vcpu->dr.dr6 :
		      vcpu->dr.dr7;
		/* Outside 64-bit mode the operand is 32 bits, zero-extended. */
		*reg = long_mode ? val : (u32)val;
		mkvm_ops->set_regs(vcpu, &regs);
		return 0;
	}

	val = long_mode ? *reg : (u32)*reg;
	switch (dr) {
	case 6:
	case 7:
		/* The upper halves of DR6 and DR7 are reserved: #GP(0). */
		if (val >> 32)
			return X86_TRAP_GP;
		if (dr == 6)
			vcpu->dr.dr6 = (val & MKVM_DR6_VOLATILE) | MKVM_DR6_FIXED_1;
		else
			vcpu->dr.dr7 = (val & MKVM_DR7_VOLATILE) | MKVM_DR7_FIXED_1;
		break;
	default:
		vcpu->dr.db[dr] = val;
		break;
	}
	return 0;
}

/**
 * mkvm_dr_enter() - put the guest's breakpoints in the hardware
 * @vcpu:     the vCPU about to enter
 * @load_dr6: also load DR6 (VMX, where it is not part of the VMCS)
 *
 * Only when the guest's DR7 enables one: otherwise no guest breakpoint can
 * match, and the host's addresses cannot be read (MOV DR exits).
 *
 * Context: interrupts off, right before the world switch.
 */
void mkvm_dr_enter(struct mkvm_vcpu *vcpu, bool load_dr6)
{
	lockdep_assert_irqs_disabled();
	if (likely(!(vcpu->dr.dr7 & MKVM_DR7_BP_ENABLED)))
		return;
	/* No host breakpoint may fire on the guest's addresses meanwhile. */
	set_debugreg(0UL, 7);
	set_debugreg(vcpu->dr.db[0], 0);
	set_debugreg(vcpu->dr.db[1], 1);
	set_debugreg(vcpu->dr.db[2], 2);
	set_debugreg(vcpu->dr.db[3], 3);
	if (load_dr6)
		set_debugreg(vcpu->dr.dr6, 6);
	vcpu->dr.loaded = true;
}

/**
 * mkvm_dr_exit() - give the host its breakpoints back after an exit
 * @vcpu: the vCPU that just exited
 *
 * The exit left DR7 at 400h: the host's armed breakpoints (perf, ptrace
 * of the VMM or of any task on this CPU) are off until restored, and
 * DR0-DR3 may hold the guest's addresses.
 *
 * Context: interrupts off, right after the world switch.
 */
void mkvm_dr_exit(struct mkvm_vcpu *vcpu)
{
	lockdep_assert_irqs_disabled();
	if (unlikely(vcpu->dr.loaded || hw_breakpoint_active())) {
		hw_breakpoint_restore();
		vcpu->dr.loaded = false;
	}
}

/**
 * mkvm_vcpu_get_debugregs() - KVM_GET_DEBUGREGS
 * @vcpu: the vCPU
 * @d:    filled in (flags and reserved zero)
 */
void mkvm_vcpu_get_debugregs(struct mkvm_vcpu *vcpu, struct kvm_debugregs *d)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->db, vcpu->dr.db, sizeof(d->db));
	d->dr6 = vcpu->dr.dr6;
	d->dr7 = vcpu->dr.dr7;
}

/**
 * mkvm_vcpu_set_debugregs() - KVM_SET_DEBUGREGS
 * @vcpu: the vCPU
 * @d:    the new values
 *
 * Return: 0, or -EINVAL for flags or for bits set in the reserved upper
 * halves of DR6/DR7 (as KVM's kvm_vcpu_ioctl_x86_set_debugregs()).
 */
int mkvm_vcpu_set_debugregs(struct mkvm_vcpu *vcpu,
			    const struct kvm_debugregs *d)
{
	if (d->flags || (d->dr6 >> 32) || (d->dr7 >> 32))
		return -EINVAL;
	memcpy(vcpu->dr.db, d->db, sizeof(vcpu->dr.db));
	/* Kept as given, as KVM does: KVM_GET_DEBUGREGS reads them back. */
	vcpu->dr.dr6 = d->dr6;
	vcpu->dr.dr7 = d->dr7;
	return 0;
}
