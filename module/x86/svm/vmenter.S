/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/svm/vmenter.S - the only assembly of the SVM backend: VMLOAD, VMRUN,
 * VMSAVE around the guest, with the guest's general-purpose registers.
 *
 * VMRUN (AMD APM Vol. 2, 15.5) saves part of the host state to the host
 * save area and loads the guest state from the VMCB; #VMEXIT reverses it.
 * It does not touch most GPRs, nor FS/GS/TR/LDTR, KernelGSBase, STAR,
 * LSTAR, CSTAR, SFMASK and SYSENTER_*: those are moved by VMLOAD/VMSAVE
 * (15.5.2). So the sequence is:
 *
 *	(caller: CLGI, VMSAVE host state to the per-CPU host area)
 *	load guest GPRs; VMLOAD guest; STI; VMRUN; CLI; save guest GPRs;
 *	VMSAVE guest; VMLOAD host (GS base is back: per-CPU data works again);
 *	stuff the RSB; clear guest values from registers.
 *
 * STI before VMRUN with GIF=0 (the caller did CLGI) takes no interrupt in
 * the host but lets a physical interrupt that arrives in the guest cause
 * #VMEXIT(INTR) - with V_INTR_MASKING the host's RFLAGS.IF gates physical
 * interrupts while the guest runs (15.21.1). KVM does the same.
 *
 * Side channels: after #VMEXIT the return stack buffer holds guest-created
 * entries; FILL_RETURN_BUFFER overwrites it (on CPUs where the kernel
 * enabled X86_FEATURE_RSB_VMEXIT) before the host executes a RET. The guest
 * cannot write SPEC_CTRL (every MSR is intercepted), so the host's value
 * stays in force in the guest and no SPEC_CTRL switch is needed yet; IBPB
 * between VMs is not done (see Documentation/svm.md).
 *
 * Every SVM instruction here has an exception-table entry: a fault (e.g.
 * EFER.SVME cleared underneath) makes the function return -EFAULT instead
 * of oopsing.
 *
 * int mkvm_svm_vmrun(phys_addr_t vmcb_pa, unsigned long *regs,
 *		      phys_addr_t host_save_pa);
 * Returns 0, or -EFAULT if an SVM instruction faulted.
 *
 * The companion file for Intel is x86/vmx/vmenter.S.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

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

SYM_FUNC_START(mkvm_svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx

	/* Stack, top first: regs, host save pa, fault flag (0). */
	push	$0
	push	%rdx
	push	%rsi

	mov	%rdi, %rax		/* RAX = VMCB pa for VMLOAD/VMRUN/VMSAVE */

	/* Guest GPRs; RSI last because it holds the array. */
	mov	R_RCX(%rsi), %rcx
	mov	R_RDX(%rsi), %rdx
	mov	R_RBX(%rsi), %rbx
	mov	R_RBP(%rsi), %rbp
	mov	R_RDI(%rsi), %rdi
	mov	R_R8(%rsi), %r8
	mov	R_R9(%rsi), %r9
	mov	R_R10(%rsi), %r10
	mov	R_R11(%rsi), %r11
	mov	R_R12(%rsi), %r12
	mov	R_R13(%rsi), %r13
	mov	R_R14(%rsi), %r14
	mov	R_R15(%rsi), %r15
	mov	R_RSI(%rsi), %rsi

1:	vmload	%rax
	sti
2:	vmrun	%rax
3:	cli

	/* RAX is the VMCB pa again (#VMEXIT restores the host's RAX). */
	push	%rax
	mov	8(%rsp), %rax		/* regs */
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
	pop	%rax

4:	vmsave	%rax
5:	add	$8, %rsp		/* drop regs */
	pop	%rax			/* host save pa */
6:	vmload	%rax
7:
	/* Nothing the guest put in the RSB may steer a host RET. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	/* Guest values must not linger for speculation to use. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	pop	%rax			/* fault flag */
	neg	%rax			/* 0, or -1 ... */
	and	$-14, %rax		/* ... becomes -EFAULT (-14) */

	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	/* Faults: mark the flag, continue where the normal path would. */
10:	movq	$1, 16(%rsp)		/* VMLOAD guest / VMRUN: stack as at 3 */
	jmp	3b
11:	movq	$1, 16(%rsp)		/* VMSAVE guest: stack as at 4 */
	jmp	5b
12:	movq	$1, (%rsp)		/* VMLOAD host: only the flag is left */
	jmp	7b

	_ASM_EXTABLE(1b, 10b)
	_ASM_EXTABLE(2b, 10b)
	_ASM_EXTABLE(4b, 11b)
	_ASM_EXTABLE(6b, 12b)
SYM_FUNC_END(mkvm_svm_vmrun)
