/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/vmx/vmenter.S - the only assembly of the VMX backend: VMLAUNCH or
 * VMRESUME with the guest's general-purpose registers, and the VM-exit
 * landing point.
 *
 * VM entry (Intel SDM Vol. 3C, chapter 27) loads the guest's RSP, RIP,
 * RFLAGS, segments, control registers and a few MSRs from the VMCS, but
 * no other general-purpose register, and VM exit (chapter 28) loads the
 * host's RSP and RIP from the VMCS host-state area (HOST_RSP, HOST_RIP)
 * and, again, no other GPR. So:
 *
 *	save the callee-saved registers, push @regs;
 *	VMWRITE HOST_RSP = RSP (the exit lands on exactly this stack);
 *	load the guest GPRs from @regs; VMRESUME, or VMLAUNCH the first time
 *	(SDM 27.1: VMRESUME needs launch state "launched", VMLAUNCH "clear");
 *	... the guest runs ...
 *	mkvm_vmx_vmexit (HOST_RIP): save the guest GPRs to @regs, stuff the
 *	RSB, clear guest values from registers, return 0.
 *
 * When VMLAUNCH/VMRESUME fail their checks on the controls and host state
 * (SDM 27.2) they do not enter at all: "VMfailValid" (ZF=1, a number in
 * the VM-instruction error field) or "VMfailInvalid" (CF=1, no current
 * VMCS). Execution then simply continues after the instruction, and we
 * return 1; the caller reads the error number. Failures in the guest-state
 * checks (27.3) are different: they look like a VM exit with bit 31 of
 * the exit reason set and land in mkvm_vmx_vmexit. A fault (#UD because
 * VMX was turned off underneath, say) is caught by the exception table
 * and returns -EFAULT: the VM fails, the host does not oops.
 *
 * Interrupts: the caller enters with interrupts disabled. With
 * "external-interrupt exiting" and "NMI exiting" (and no "acknowledge
 * interrupt on exit") a host interrupt that arrives in the guest makes the
 * CPU exit and leaves the interrupt pending in the local APIC, so the
 * host takes it when the caller enables interrupts (vcpu.c). This is the
 * VMX equivalent of SVM's CLGI/STI/VMRUN dance.
 *
 * Side channels: after a VM exit the return stack buffer holds entries the
 * guest created; FILL_RETURN_BUFFER overwrites them (where the kernel set
 * X86_FEATURE_RSB_VMEXIT) before the host executes a RET. The guest cannot
 * write IA32_SPEC_CTRL (every MSR access exits), so the host's value stays
 * in force while the guest runs and needs no switching. This mirrors
 * x86/svm/vmenter.S; Documentation/vmx.md lists what is not done.
 *
 * int mkvm_vmx_vmenter(unsigned long *regs, bool launched);
 * Returns 0 after a VM exit (or a failed guest-state check), 1 when the
 * instruction failed (VMfail), -EFAULT when it faulted.
 *
 * The companion file for AMD is x86/svm/vmenter.S.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

/* VMCS field encoding of HOST_RSP (SDM Appendix B.4.4). */
#define MKVM_HOST_RSP	0x6c14

#define R_RAX	(0 * 8)
#define R_RCX	(1 * 8)
#define R_RDX	(2 * 8)
#define R_RBX	(3 * 8)
#define R_RBP	(5 * 8)
#define R_RSI	(6 * 8)
#define R_RDI	(7 * 8)
#define R_R8	(8 * 8)
#define R_R9	(9 * 8)
#define R_R10	(10 * 8)
#define R_R11	(11 * 8)
#define R_R12	(12 * 8)
#define R_R13	(13 * 8)
#define R_R14	(14 * 8)
#define R_R15	(15 * 8)

	.text

SYM_FUNC_START(mkvm_vmx_vmenter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx

	push	%rdi			/* @regs, at (%rsp) from here on */
	mov	%esi, %ebx		/* @launched survives the VMWRITE */

	/* The VM exit lands with exactly this RSP (SDM 28.5.1). */
	mov	$MKVM_HOST_RSP, %eax
1:	vmwrite	%rsp, %rax
	jna	.Lvmfail

	mov	%rdi, %rax		/* RAX = @regs while loading */
	test	%bl, %bl		/* ZF from here to VMRESUME/VMLAUNCH */

	mov	R_RCX(%rax), %rcx
	mov	R_RDX(%rax), %rdx
	mov	R_RBX(%rax), %rbx
	mov	R_RBP(%rax), %rbp
	mov	R_RSI(%rax), %rsi
	mov	R_RDI(%rax), %rdi
	mov	R_R8(%rax), %r8
	mov	R_R9(%rax), %r9
	mov	R_R10(%rax), %r10
	mov	R_R11(%rax), %r11
	mov	R_R12(%rax), %r12
	mov	R_R13(%rax), %r13
	mov	R_R14(%rax), %r14
	mov	R_R15(%rax), %r15
	mov	R_RAX(%rax), %rax	/* MOVs leave ZF alone */

	/*
	 * A successful entry "returns" at mkvm_vmx_vmexit through HOST_RIP;
	 * tell objtool the stack there is the stack here.
	 */
	UNWIND_HINT_SAVE
	jz	.Llaunch
2:	vmresume
	jmp	.Lvmfail_guest
.Llaunch:
3:	vmlaunch
	jmp	.Lvmfail_guest

	/*
	 * HOST_RIP. Reached only by a VM exit: RSP is HOST_RSP, every GPR
	 * but RSP holds the guest's value. Its address goes into the VMCS,
	 * hence ENDBR (a VM exit is no indirect branch, but objtool and IBT
	 * want every address-taken code label marked).
	 */
SYM_INNER_LABEL(mkvm_vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push	%rax			/* guest RAX */
	mov	8(%rsp), %rax		/* @regs */
	mov	%rcx, R_RCX(%rax)
	mov	%rdx, R_RDX(%rax)
	mov	%rbx, R_RBX(%rax)
	mov	%rbp, R_RBP(%rax)
	mov	%rsi, R_RSI(%rax)
	mov	%rdi, R_RDI(%rax)
	mov	%r8, R_R8(%rax)
	mov	%r9, R_R9(%rax)
	mov	%r10, R_R10(%rax)
	mov	%r11, R_R11(%rax)
	mov	%r12, R_R12(%rax)
	mov	%r13, R_R13(%rax)
	mov	%r14, R_R14(%rax)
	mov	%r15, R_R15(%rax)
	pop	R_RAX(%rax)

	/* Nothing the guest put in the RSB may steer a host RET. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	xor	%eax, %eax		/* return 0: a VM exit */
.Lout:
	/* Guest values must not linger for speculation to use. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$8, %rsp		/* drop @regs */
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	/* VMLAUNCH/VMRESUME did not enter: VMfailValid or VMfailInvalid. */
.Lvmfail_guest:
.Lvmfail:
	mov	$1, %eax
	jmp	.Lout

	/* A VMX instruction faulted (#UD/#GP). */
.Lfault:
	mov	$-14, %eax		/* -EFAULT */
	jmp	.Lout

	_ASM_EXTABLE(1b, .Lfault)
	_ASM_EXTABLE(2b, .Lfault)
	_ASM_EXTABLE(3b, .Lfault)
SYM_FUNC_END(mkvm_vmx_vmenter)
