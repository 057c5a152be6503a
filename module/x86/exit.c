// SPDX-License-Identifier: GPL-2.0
/*
 * x86/exit.c - the exits that mean the same on both vendors, handled once.
 *
 * The vendor's dispatch (x86/svm/exit.c, x86/vmx/exit.c) decodes port I/O,
 * CPUID, HLT, RDMSR/WRMSR, XSETBV and a shutdown into struct mkvm_exit
 * (x86/exit.h); what the instruction does to the guest is the same on
 * either CPU and written here, one function per exit:
 *
 *  - IN/OUT: the in-kernel I/O bus first (iobus.c), else KVM_EXIT_IO with
 *    the data in the PIO page (Documentation/virt/kvm/api.rst 5); INS/OUTS
 *    go to x86/pio.c. SDM Vol. 2A/2B IN, OUT; APM Vol. 2 15.10.2 (IOIO),
 *    SDM Vol. 3C 28.2.1 Table 28-5 (I/O exit qualification).
 *  - CPUID from the vCPU's KVM_SET_CPUID2 table (x86/cpuid.c).
 *  - HLT: asleep in the kernel with an in-kernel APIC (x86/irq.c), else
 *    KVM_EXIT_HLT.
 *  - RDMSR/WRMSR through x86/msr.c: ECX the index, EDX:EAX the value; a
 *    refused access is #GP(0) in the guest (SDM Vol. 4 2.1, Vol. 2B
 *    RDMSR/WRMSR).
 *  - XSETBV through x86/xsave.c (SDM Vol. 2C XSETBV).
 *  - A triple fault (APM Vol. 2 15.12 SHUTDOWN, SDM Vol. 3C 28.1):
 *    KVM_EXIT_SHUTDOWN; the vendor did what its state needs first.
 *
 * A handler returns 1 to enter the guest again, 0 with vcpu->run filled
 * for userspace, or a negative errno, as the vendors' handlers do.
 *
 * Non-goals: decoding (each vendor's exit information is its own), and
 * any exit whose meaning differs between the vendors.
 */
#include <linux/kvm.h>
#include <asm/traps.h>

#include "../arch_ops.h"
#include "../minikvm.h"
#include "exit.h"

/* EDX:EAX, the 64-bit operand of WRMSR and XSETBV. */
static u64 mkvm_exit_edx_eax(struct mkvm_vcpu *vcpu)
{
	return (u32)mkvm_ops->read_gpr(vcpu, MKVM_R_RAX) |
	       (u64)(u32)mkvm_ops->read_gpr(vcpu, MKVM_R_RDX) << 32;
}

/* IN/OUT and INS/OUTS (api.rst 5 KVM_EXIT_IO). */
static int mkvm_exit_io(struct mkvm_vcpu *vcpu, const struct mkvm_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	u64 rax;

	mkvm_stat_inc(vcpu, MKVM_STAT_IO);
	/* REP, segment and address size: from the bytes, in x86/pio.c. */
	if (exit->io.string)
		return mkvm_handle_string_pio(vcpu, exit->io.in, exit->io.size,
					      exit->io.port, exit->next_rip);
	/* In-kernel devices (ioeventfd, the PIC ports) first: no exit. */
	if (mkvm_pio_in_kernel(vcpu, exit->io.in, exit->io.size,
			       exit->io.port)) {
		mkvm_ops->skip_insn(vcpu, exit->next_rip);
		return 1;
	}

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = exit->io.in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = exit->io.size;
	run->io.port = exit->io.port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	if (exit->io.in) {
		/* Completed at the next KVM_RUN with what userspace wrote. */
		vcpu->pending_io = true;
		vcpu->pending_io_size = exit->io.size;
		/* No stale OUT data for userspace to misread (KVM shows 0). */
		memset(vcpu->pio_page, 0, exit->io.size);
	} else {
		rax = mkvm_ops->read_gpr(vcpu, MKVM_R_RAX);
		memcpy(vcpu->pio_page, &rax, exit->io.size);
	}
	mkvm_ops->skip_insn(vcpu, exit->next_rip);
	return 0;
}

/* CPUID: leaf EAX, subleaf ECX; the vCPU's KVM_SET_CPUID2 answers. */
static int mkvm_exit_cpuid(struct mkvm_vcpu *vcpu,
			   const struct mkvm_exit *exit)
{
	u32 a = mkvm_ops->read_gpr(vcpu, MKVM_R_RAX), b, d;
	u32 c = mkvm_ops->read_gpr(vcpu, MKVM_R_RCX);

	mkvm_stat_inc(vcpu, MKVM_STAT_CPUID);
	mkvm_cpuid_emulate(vcpu, &a, &b, &c, &d, exit->cpuid.osxsave);
	/* CPUID writes all four registers, zero-extended (SDM Vol. 2A). */
	mkvm_ops->write_gpr(vcpu, MKVM_R_RAX, a);
	mkvm_ops->write_gpr(vcpu, MKVM_R_RBX, b);
	mkvm_ops->write_gpr(vcpu, MKVM_R_RCX, c);
	mkvm_ops->write_gpr(vcpu, MKVM_R_RDX, d);
	mkvm_ops->skip_insn(vcpu, exit->next_rip);
	return 1;
}

/* HLT: RIP past it and the shadow gone first, as a wakeup resumes there. */
static int mkvm_exit_hlt(struct mkvm_vcpu *vcpu, const struct mkvm_exit *exit)
{
	mkvm_stat_inc(vcpu, MKVM_STAT_HLT);
	mkvm_ops->skip_insn(vcpu, exit->next_rip);
	/* In the kernel with an irqchip, else KVM_EXIT_HLT. */
	return mkvm_vcpu_halt(vcpu);
}

/*
 * RDMSR/WRMSR: an MSR that does not exist, or a value the CPU would
 * refuse, is #GP(0) in the guest - never a host access.
 */
static int mkvm_exit_msr(struct mkvm_vcpu *vcpu, const struct mkvm_exit *exit)
{
	u32 msr = mkvm_ops->read_gpr(vcpu, MKVM_R_RCX);
	u64 data;

	mkvm_stat_inc(vcpu, MKVM_STAT_MSR);
	if (exit->code == MKVM_EXIT_WRMSR) {
		if (mkvm_set_msr(vcpu, msr, mkvm_exit_edx_eax(vcpu), false))
			goto gp;
	} else {
		if (mkvm_get_msr(vcpu, msr, &data))
			goto gp;
		mkvm_ops->write_gpr(vcpu, MKVM_R_RAX, (u32)data);
		mkvm_ops->write_gpr(vcpu, MKVM_R_RDX, data >> 32);
	}
	mkvm_ops->skip_insn(vcpu, exit->next_rip);
	return 1;
gp:
	mkvm_ops->queue_exception(vcpu, X86_TRAP_GP, true, 0, 0);
	return 1;
}

/* XSETBV: XCR[ECX] = EDX:EAX; the checks are in x86/xsave.c. */
static int mkvm_exit_xsetbv(struct mkvm_vcpu *vcpu,
			    const struct mkvm_exit *exit)
{
	int vec = mkvm_emulate_xsetbv(vcpu,
				      mkvm_ops->read_gpr(vcpu, MKVM_R_RCX),
				      mkvm_exit_edx_eax(vcpu),
				      exit->xsetbv.cpl);

	if (vec)
		mkvm_ops->queue_exception(vcpu, vec, vec == GP_VECTOR, 0, 0);
	else
		mkvm_ops->skip_insn(vcpu, exit->next_rip);
	return 1;
}

/**
 * mkvm_handle_exit() - handle an exit both vendors decode the same way
 * @vcpu: the vCPU that just left the guest
 * @exit: the exit, decoded by the vendor's dispatch
 *
 * Context: the vCPU thread, after the exit (interrupts on, the vendor's
 * state loaded).
 * Return: 1 to re-enter, 0 for userspace (vcpu->run filled), <0 errno.
 */
int mkvm_handle_exit(struct mkvm_vcpu *vcpu, const struct mkvm_exit *exit)
{
	switch (exit->code) {
	case MKVM_EXIT_IO:
		return mkvm_exit_io(vcpu, exit);
	case MKVM_EXIT_CPUID:
		return mkvm_exit_cpuid(vcpu, exit);
	case MKVM_EXIT_HLT:
		return mkvm_exit_hlt(vcpu, exit);
	case MKVM_EXIT_RDMSR:
	case MKVM_EXIT_WRMSR:
		return mkvm_exit_msr(vcpu, exit);
	case MKVM_EXIT_XSETBV:
		return mkvm_exit_xsetbv(vcpu, exit);
	case MKVM_EXIT_SHUTDOWN:
		vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	}
	return -EINVAL;
}
