/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/exit.h - an exit both vendors can take, in one neutral form.
 *
 * A VMCB's EXITCODE/EXITINFO (AMD APM Vol. 2 15.9-15.12, Appendix C) and a
 * VMCS's exit reason/qualification (Intel SDM Vol. 3C 28.2, Appendix C)
 * say the same thing in two encodings for port I/O, CPUID, HLT, RDMSR,
 * WRMSR, XSETBV and a shutdown (triple fault). The vendor's dispatch
 * decodes those into struct mkvm_exit and x86/exit.c handles them once,
 * as bhyve's vmm does with struct vm_exit.
 *
 * Non-goals: exits whose meaning differs between the vendors (control
 * registers, nested page faults, interrupt windows, exceptions) stay in
 * the vendor's exit.c.
 */
#ifndef MKVM_X86_EXIT_H
#define MKVM_X86_EXIT_H

#include <linux/types.h>

struct mkvm_vcpu;

/* What the guest did; the vendor's exit code says it in its own words. */
enum mkvm_exit_code {
	MKVM_EXIT_IO,		/* IN/OUT/INS/OUTS */
	MKVM_EXIT_CPUID,
	MKVM_EXIT_HLT,
	MKVM_EXIT_RDMSR,
	MKVM_EXIT_WRMSR,
	MKVM_EXIT_XSETBV,
	MKVM_EXIT_SHUTDOWN,	/* triple fault: SVM SHUTDOWN, VMX reason 2 */
};

/**
 * struct mkvm_exit - an exit decoded by the vendor
 * @code:	What the guest did.
 * @next_rip:	The RIP after the instruction (not for MKVM_EXIT_SHUTDOWN),
 *		for mkvm_arch_ops.skip_insn.
 * @io:		MKVM_EXIT_IO: @io.port, @io.size (1, 2 or 4 bytes: the
 *		vendor refuses anything else), @io.in (IN/INS) and @io.string
 *		(INS/OUTS, with or without REP).
 * @cpuid:	MKVM_EXIT_CPUID: @cpuid.osxsave is the guest's CR4.OSXSAVE,
 *		which CPUID.1:ECX.OSXSAVE reflects.
 * @xsetbv:	MKVM_EXIT_XSETBV: @xsetbv.cpl, as XSETBV is #GP outside
 *		ring 0.
 *
 * General-purpose registers are not copied in: the handlers read and
 * write the few they need through mkvm_arch_ops.read_gpr/write_gpr.
 */
struct mkvm_exit {
	enum mkvm_exit_code code;
	u64 next_rip;
	union {
		struct {
			u16 port;
			u8 size;
			bool in;
			bool string;
		} io;
		struct {
			bool osxsave;
		} cpuid;
		struct {
			u8 cpl;
		} xsetbv;
	};
};

int mkvm_handle_exit(struct mkvm_vcpu *vcpu, const struct mkvm_exit *exit);

#endif /* MKVM_X86_EXIT_H */
