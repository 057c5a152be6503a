// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm/vcpu.c - one SVM vCPU: its VMCB, its registers, and SVM's steps
 * of the trip into the guest (the run loop itself is x86/run.c).
 *
 * The VMCB (AMD APM Vol. 2, Appendix B) is the vCPU: the control area says
 * what exits (intercepts), the save area holds the guest's segment, control
 * and RAX/RSP/RIP/RFLAGS state. minikvm keeps no other copy of that state,
 * so KVM_GET/SET_REGS and KVM_GET/SET_SREGS read and write the VMCB.
 *
 * Intercepts (15.9-15.13): everything that could let the guest touch host
 * resources or loop the CPU exits: every I/O port and MSR (all-ones
 * permission maps), CPUID, HLT, INVD, SHUTDOWN, physical INTR/NMI/SMI, all
 * SVM instructions (VMRUN must be intercepted - 15.5.1), MONITOR/MWAIT,
 * XSETBV, RDPMC (the host's counters), writes to CR4 (the guest may set
 * only the bits mkvm_cr4_allowed() names: no PKE, so no WRPKRU), every MOV
 * to or from a debug register (x86/debugreg.c: DR0-DR3 are the host's
 * registers), #MC (the host's machine checks), and the #AC/#DB
 * exceptions, whose microcode-level loops could otherwise hang the
 * physical CPU (CVE-2015-5307, CVE-2015-8104).
 *
 * The companion file for Intel is x86/vmx/vcpu.c.
 *
 * Interrupts and NMIs are injected by intr.c, decided by x86/irq.c.
 *
 * Non-goals for now: XSAVE state
 * (x87/SSE only), TSC offsetting, LBR virtualisation.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sched/signal.h>
#include <linux/io.h>
#include <asm/asm.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include <asm/traps.h>

#include "../../arch_ops.h"
#include "../../compat.h"
#include "../../mkvm_trace.h"
#include "../guest_mode.h"
#include "svm.h"

static void mkvm_svm_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void mkvm_svm_set_seg(struct vmcb_seg *seg, u16 sel, u64 base,
			     u32 limit, u16 attrib)
{
	seg->selector = sel;
	seg->base = base;
	seg->limit = limit;
	seg->attrib = attrib;
}

/**
 * mkvm_svm_vcpu_reset() - put the vCPU in the state after RESET/INIT
 * @vcpu: the vCPU
 *
 * Real mode at F000:FFF0 with CS.base = FFFF0000 (APM Vol. 2, 14.1.3
 * "Processor Initialization State"). Also used after a shutdown exit,
 * because the VMCB is undefined after #VMEXIT(SHUTDOWN) (15.12).
 */
void mkvm_svm_vcpu_reset(struct mkvm_vcpu *vcpu)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_control_area *c = &vmcb->control;
	struct vmcb_save_area *save = &vmcb->save;
	static const unsigned int intercepts[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_CPUID,
		INTERCEPT_INVD, INTERCEPT_HLT, INTERCEPT_INVLPGA,
		INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT, INTERCEPT_SHUTDOWN,
		INTERCEPT_VMRUN, INTERCEPT_VMMCALL, INTERCEPT_VMLOAD,
		INTERCEPT_VMSAVE, INTERCEPT_STGI, INTERCEPT_CLGI,
		INTERCEPT_SKINIT, INTERCEPT_MONITOR, INTERCEPT_MWAIT,
		INTERCEPT_XSETBV, INTERCEPT_RDPMC, INTERCEPT_CR4_WRITE,
		INTERCEPT_EXCEPTION_OFFSET + AC_VECTOR,
		INTERCEPT_EXCEPTION_OFFSET + DB_VECTOR,
		INTERCEPT_EXCEPTION_OFFSET + MC_VECTOR,
	};
	struct mkvm_svm_vm *svm_vm = vcpu->vm->arch;
	/* RESET/INIT leave the TSC running (SDM Vol. 3B 17.17): keep it. */
	u64 tsc_offset = c->tsc_offset;
	unsigned int i;

	memset(vmcb, 0, PAGE_SIZE);
	c->tsc_offset = tsc_offset;
	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		mkvm_svm_intercept(vmcb, intercepts[i]);
	for (i = 0; i < 8; i++) {
		mkvm_svm_intercept(vmcb, INTERCEPT_DR0_READ + i);
		mkvm_svm_intercept(vmcb, INTERCEPT_DR0_WRITE + i);
	}
	c->iopm_base_pa = mkvm_svm_iopm_pa;
	c->msrpm_base_pa = mkvm_svm_msrpm_pa;
	/* Guest IF masks only virtual interrupts; host IF gates physical. */
	c->int_ctl = V_INTR_MASKING_MASK;
	mkvm_vmcb_np_ctl(c) = MKVM_VMCB_NP_ENABLE;
	c->nested_cr3 = svm_vm->npt.root_pa;

	/*
	 * Attributes as AMD's reset state and kvm_amd have them: code
	 * execute/read and data read/write, not accessed; TR a busy 16-bit
	 * TSS (type 3; VMX insists on type 11, see x86/vmx/).
	 */
	mkvm_svm_set_seg(&save->cs, 0xf000, 0xffff0000, 0xffff, 0x9a);
	mkvm_svm_set_seg(&save->ds, 0, 0, 0xffff, 0x92);
	mkvm_svm_set_seg(&save->es, 0, 0, 0xffff, 0x92);
	mkvm_svm_set_seg(&save->ss, 0, 0, 0xffff, 0x92);
	mkvm_svm_set_seg(&save->fs, 0, 0, 0xffff, 0x92);
	mkvm_svm_set_seg(&save->gs, 0, 0, 0xffff, 0x92);
	mkvm_svm_set_seg(&save->ldtr, 0, 0, 0xffff, 0x82);
	mkvm_svm_set_seg(&save->tr, 0, 0, 0xffff, 0x83);
	save->gdtr.limit = 0xffff;
	save->idtr.limit = 0xffff;
	save->cr0 = X86_CR0_NW | X86_CR0_CD | X86_CR0_ET;
	/* EFER.SVME must be 1 in the guest's EFER image (15.5.1). */
	save->efer = EFER_SVME;
	save->rflags = X86_EFLAGS_FIXED;
	save->rip = 0xfff0;
	save->dr6 = 0xffff0ff0;
	save->dr7 = 0x400;
	save->g_pat = 0x0007040600070406ULL;	/* the PAT reset value */

	svm->awaiting_iret = false;
	memset(svm->regs, 0, sizeof(svm->regs));
	/* EDX = family/model/stepping after reset; KVM reports 0x600. */
	svm->regs[MKVM_R_RDX] = 0x600;

	mkvm_fpu_reset(vcpu);
	svm->need_flush = true;
}

/**
 * mkvm_svm_vcpu_create() - allocate the VMCB and reset the vCPU
 * @vcpu: the new vCPU
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_svm_vcpu_create(struct mkvm_vcpu *vcpu)
{
	struct mkvm_svm_vcpu *svm;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	svm->vmcb = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!svm->vmcb) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb_pa = virt_to_phys(svm->vmcb);
	svm->asid_cpu = -1;
	vcpu->arch = svm;
	/* Guest TSC 0 at VM creation, the same offset on every vCPU. */
	svm->vmcb->control.tsc_offset = -vcpu->vm->tsc_base;
	mkvm_svm_vcpu_reset(vcpu);
	return 0;
}

/**
 * mkvm_svm_vcpu_free() - free what mkvm_svm_vcpu_create() allocated
 * @vcpu: the vCPU
 */
void mkvm_svm_vcpu_free(struct mkvm_vcpu *vcpu)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);

	if (!svm)
		return;
	free_page((unsigned long)svm->vmcb);
	kfree(svm);
	vcpu->arch = NULL;
}

/* The VMCB that last ran on each CPU (kvm_amd's svm_cpu_data.current_vmcb). */
static DEFINE_PER_CPU(struct vmcb *, mkvm_svm_last_vmcb);

/**
 * mkvm_svm_vcpu_load() - the vCPU thread runs on @cpu now
 * @vcpu: the vCPU
 * @cpu:  the CPU
 *
 * Nothing to load: the VMCB is addressed by physical address at VMRUN and
 * the ASID is checked at every entry (npt.c). Only the branch predictor
 * is scrubbed when the CPU switches guests.
 *
 * Context: preemption disabled.
 */
void mkvm_svm_vcpu_load(struct mkvm_vcpu *vcpu, int cpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	/*
	 * Another VMCB ran here last: keep its branch predictions away from
	 * this guest (and this guest's from the next), as kvm_amd does.
	 */
	if (this_cpu_read(mkvm_svm_last_vmcb) != vmcb) {
		this_cpu_write(mkvm_svm_last_vmcb, vmcb);
		mkvm_ibpb();
	}
}

/** mkvm_svm_vcpu_put() - the vCPU thread leaves its CPU */
void mkvm_svm_vcpu_put(struct mkvm_vcpu *vcpu)
{
}

/**
 * mkvm_svm_inject_exception() - deliver an exception at the next entry
 * @vcpu:      the vCPU
 * @vector:    exception vector
 * @has_error: whether the exception pushes an error code
 * @error:     the error code
 * @cr2:       for #PF, the faulting linear address
 *
 * Uses the VMCB's EVENTINJ field (APM 15.20). EVENTINJ does not load CR2
 * for an injected #PF, so the guest's CR2 in the VMCB is set here.
 */
void mkvm_svm_inject_exception(struct mkvm_vcpu *vcpu, u8 vector,
			       bool has_error, u32 error, u64 cr2)
{
	struct vmcb *v = to_svm(vcpu)->vmcb;
	struct vmcb_control_area *c = &v->control;

	if (vector == X86_TRAP_PF)
		v->save.cr2 = cr2;

	/* Real mode pushes no error code (SDM Vol. 3A 20.1.4); KVM drops it. */
	if (!(v->save.cr0 & X86_CR0_PE))
		has_error = false;
	mkvm_stat_inc(vcpu, MKVM_STAT_EXCEPTION);
	c->event_inj = vector | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID |
		       (has_error ? SVM_EVTINJ_VALID_ERR : 0);
	c->event_inj_err = error;
}

/**
 * mkvm_svm_prepare_switch() - the VMCB fields this entry needs
 * @vcpu: the vCPU, loaded on this CPU
 *
 * The first step of the common run loop (x86/run.c) with interrupts off:
 * the APIC TPR into V_TPR, an ASID valid on this CPU (npt.c) and the
 * guest's DR6/DR7, which VMRUN loads from the save area.
 *
 * Context: interrupts off.
 * Return: 1 (nothing here can fail).
 */
int mkvm_svm_prepare_switch(struct mkvm_vcpu *vcpu)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;

	if (vcpu->lapic) {
		/* CR8 is TPR[7:4] (APM 15.21.1); the guest may use either. */
		svm->v_tpr = mkvm_lapic_get_tpr(vcpu) >> 4;
		c->int_ctl = (c->int_ctl & ~V_TPR_MASK) | svm->v_tpr;
	}
	mkvm_svm_pick_asid(vcpu, smp_processor_id());
	/* The guest's DR6/DR7 ride in the VMCB; DR0-DR3 if it uses them. */
	svm->vmcb->save.dr6 = vcpu->dr.dr6;
	svm->vmcb->save.dr7 = vcpu->dr.dr7;
	return 1;
}

/**
 * mkvm_svm_enter_exit() - the world switch: CLGI, VMSAVE, VMRUN, STGI
 * @vcpu: the vCPU, loaded on this CPU
 *
 * VMRUN itself, with the guest's GPRs around it, is in vmenter.S (APM
 * Vol. 2 15.5); VMSAVE puts the host's FS/GS/TR/syscall MSRs where the
 * assembly's VMLOAD finds them after the exit. vcpu->mode is outside
 * guest mode from right after VMRUN, before STGI
 * (mkvm_guest_state_exit()).
 *
 * Context: interrupts off, guest time running (x86/run.c).
 * Return: 0 when the guest ran and exited, MKVM_SVM_VMRUN_FAULT when
 * VMRUN faulted, MKVM_SVM_GIF_FAULT when CLGI, VMSAVE or STGI did.
 */
int mkvm_svm_enter_exit(struct mkvm_vcpu *vcpu)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	int r;

	/*
	 * GIF=0: no interrupt, NMI or SMI is taken until STGI. Like VMRUN
	 * (vmenter.S), CLGI, VMSAVE and STGI fault with #UD once EFER.SVME
	 * is clear; the reboot check of the run loop makes that impossible,
	 * and the exception-table entries turn it into an error rather than
	 * an oops should it happen anyway.
	 */
	asm goto("1: clgi\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "memory" : fault);
	asm goto("1: vmsave %%rax\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : "a" (mkvm_svm_host_save_pa()) : "memory" : fault);
	trace_mkvm_entry(vcpu->id, svm->vmcb->save.rip, svm->vmcb->save.rflags,
			 svm->vmcb->control.event_inj);
	/* Guest mode is an RCU quiescent state; nothing traced until exit. */
	guest_state_enter_irqoff();
	r = mkvm_svm_vmrun(svm->vmcb_pa, svm->regs, mkvm_svm_host_save_pa());
	mkvm_guest_state_exit(vcpu);
	asm goto("1: stgi\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "memory" : fault);

	/* An intercepted #DB wrote its status bits to the VMCB's DR6. */
	vcpu->dr.dr6 = svm->vmcb->save.dr6;
	return r ? MKVM_SVM_VMRUN_FAULT : 0;

fault:
	return MKVM_SVM_GIF_FAULT;
}

/**
 * mkvm_svm_handle_exit_irqoff() - what cannot wait for interrupts
 * @vcpu:  the vCPU just back from the guest
 * @entry: what mkvm_svm_enter_exit() returned
 *
 * A machine check that exited is the host's (x86/guest_mode.h); the TLB
 * flush that was asked for is done.
 *
 * Context: interrupts off, after mkvm_dr_exit().
 */
void mkvm_svm_handle_exit_irqoff(struct mkvm_vcpu *vcpu, int entry)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;

	/* SVM is off: the VMCB says nothing about this entry. */
	if (entry == MKVM_SVM_GIF_FAULT)
		return;
	if (mkvm_vmcb_exit_code(c) == SVM_EXIT_EXCP_BASE + MC_VECTOR)
		mkvm_machine_check();
	c->tlb_ctl = TLB_CONTROL_DO_NOTHING;
}

/**
 * mkvm_svm_read_gpr() - a guest GPR, for the common exit handlers
 * @vcpu: the vCPU
 * @reg:  MKVM_R_* (x86 encoding)
 *
 * Return: the register; RAX and RSP live in the VMCB.
 */
u64 mkvm_svm_read_gpr(struct mkvm_vcpu *vcpu, unsigned int reg)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);

	if (reg == MKVM_R_RAX)
		return svm->vmcb->save.rax;
	if (reg == MKVM_R_RSP)
		return svm->vmcb->save.rsp;
	return svm->regs[reg & 15];
}

/**
 * mkvm_svm_write_gpr() - write a guest GPR, for the common exit handlers
 * @vcpu: the vCPU
 * @reg:  MKVM_R_* (x86 encoding)
 * @val:  the value
 */
void mkvm_svm_write_gpr(struct mkvm_vcpu *vcpu, unsigned int reg, u64 val)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);

	if (reg == MKVM_R_RAX)
		svm->vmcb->save.rax = val;
	else if (reg == MKVM_R_RSP)
		svm->vmcb->save.rsp = val;
	else
		svm->regs[reg & 15] = val;
}

/* SVM VMCB attribute format <-> struct kvm_segment (APM 15.5.1, B.2). */
static void mkvm_svm_seg_get(const struct vmcb_seg *s, struct kvm_segment *k)
{
	u16 a = s->attrib;

	k->base = s->base;
	k->limit = s->limit;
	k->selector = s->selector;
	k->type = a & 0xf;
	k->s = (a >> 4) & 1;
	k->dpl = (a >> 5) & 3;
	k->present = (a >> 7) & 1;
	k->avl = (a >> 8) & 1;
	k->l = (a >> 9) & 1;
	k->db = (a >> 10) & 1;
	k->g = (a >> 11) & 1;
	k->unusable = !k->present;
}

static void mkvm_svm_seg_set(struct vmcb_seg *s, const struct kvm_segment *k)
{
	s->base = k->base;
	s->limit = k->limit;
	s->selector = k->selector;
	s->attrib = k->unusable ? 0 :
		    (k->type & 0xf) | (k->s & 1) << 4 | (k->dpl & 3) << 5 |
		    (k->present & 1) << 7 | (k->avl & 1) << 8 |
		    (k->l & 1) << 9 | (k->db & 1) << 10 | (k->g & 1) << 11;
}

/**
 * mkvm_svm_get_regs() - KVM_GET_REGS
 * @vcpu: the vCPU
 * @regs: filled in
 */
void mkvm_svm_get_regs(struct mkvm_vcpu *vcpu, struct kvm_regs *regs)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	const unsigned long *g = svm->regs;

	regs->rax = svm->vmcb->save.rax;
	regs->rbx = g[MKVM_R_RBX];
	regs->rcx = g[MKVM_R_RCX];
	regs->rdx = g[MKVM_R_RDX];
	regs->rsi = g[MKVM_R_RSI];
	regs->rdi = g[MKVM_R_RDI];
	regs->rsp = svm->vmcb->save.rsp;
	regs->rbp = g[MKVM_R_RBP];
	regs->r8 = g[MKVM_R_R8];
	regs->r9 = g[MKVM_R_R9];
	regs->r10 = g[MKVM_R_R10];
	regs->r11 = g[MKVM_R_R11];
	regs->r12 = g[MKVM_R_R12];
	regs->r13 = g[MKVM_R_R13];
	regs->r14 = g[MKVM_R_R14];
	regs->r15 = g[MKVM_R_R15];
	regs->rip = svm->vmcb->save.rip;
	regs->rflags = svm->vmcb->save.rflags;
}

/**
 * mkvm_svm_set_regs() - KVM_SET_REGS
 * @vcpu: the vCPU
 * @regs: the new values
 */
void mkvm_svm_set_regs(struct mkvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	unsigned long *g = svm->regs;

	svm->vmcb->save.rax = regs->rax;
	g[MKVM_R_RBX] = regs->rbx;
	g[MKVM_R_RCX] = regs->rcx;
	g[MKVM_R_RDX] = regs->rdx;
	g[MKVM_R_RSI] = regs->rsi;
	g[MKVM_R_RDI] = regs->rdi;
	svm->vmcb->save.rsp = regs->rsp;
	g[MKVM_R_RBP] = regs->rbp;
	g[MKVM_R_R8] = regs->r8;
	g[MKVM_R_R9] = regs->r9;
	g[MKVM_R_R10] = regs->r10;
	g[MKVM_R_R11] = regs->r11;
	g[MKVM_R_R12] = regs->r12;
	g[MKVM_R_R13] = regs->r13;
	g[MKVM_R_R14] = regs->r14;
	g[MKVM_R_R15] = regs->r15;
	svm->vmcb->save.rip = regs->rip;
	/* Bit 1 is always 1; reserved bits are 0 (SDM Vol. 1 3.4.3). */
	svm->vmcb->save.rflags = (regs->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED;
}

/**
 * mkvm_svm_get_sregs() - KVM_GET_SREGS
 * @vcpu:  the vCPU
 * @sregs: filled in
 */
void mkvm_svm_get_sregs(struct mkvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	const struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;

	mkvm_svm_seg_get(&s->cs, &sregs->cs);
	mkvm_svm_seg_get(&s->ds, &sregs->ds);
	mkvm_svm_seg_get(&s->es, &sregs->es);
	mkvm_svm_seg_get(&s->fs, &sregs->fs);
	mkvm_svm_seg_get(&s->gs, &sregs->gs);
	mkvm_svm_seg_get(&s->ss, &sregs->ss);
	mkvm_svm_seg_get(&s->tr, &sregs->tr);
	mkvm_svm_seg_get(&s->ldtr, &sregs->ldt);
	/*
	 * A loaded data segment's cached "accessed" bit is always 1 (SDM
	 * Vol. 3A 3.4.5.1), whatever the VMCB image says, and VMX checks it;
	 * report it as KVM does. SS.DPL is the current privilege level.
	 */
	if (sregs->ds.present)
		sregs->ds.type |= 1;
	if (sregs->es.present)
		sregs->es.type |= 1;
	if (sregs->fs.present)
		sregs->fs.type |= 1;
	if (sregs->gs.present)
		sregs->gs.type |= 1;
	sregs->ss.dpl = s->cpl;
	sregs->gdt.base = s->gdtr.base;
	sregs->gdt.limit = s->gdtr.limit;
	sregs->idt.base = s->idtr.base;
	sregs->idt.limit = s->idtr.limit;
	sregs->cr0 = s->cr0;
	sregs->cr2 = s->cr2;
	sregs->cr3 = s->cr3;
	sregs->cr4 = s->cr4;
	/* SVME is ours, not the guest's. */
	sregs->efer = s->efer & ~EFER_SVME;
	sregs->apic_base = vcpu->msrs.apic_base;
}

/**
 * mkvm_svm_set_sregs() - KVM_SET_SREGS, already validated
 * @vcpu:  the vCPU
 * @sregs: the new state (mkvm_check_sregs() accepted it)
 */
void mkvm_svm_set_sregs(struct mkvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *s = &svm->vmcb->save;

	mkvm_svm_seg_set(&s->cs, &sregs->cs);
	mkvm_svm_seg_set(&s->ds, &sregs->ds);
	mkvm_svm_seg_set(&s->es, &sregs->es);
	mkvm_svm_seg_set(&s->fs, &sregs->fs);
	mkvm_svm_seg_set(&s->gs, &sregs->gs);
	mkvm_svm_seg_set(&s->ss, &sregs->ss);
	mkvm_svm_seg_set(&s->tr, &sregs->tr);
	mkvm_svm_seg_set(&s->ldtr, &sregs->ldt);
	s->gdtr.base = sregs->gdt.base;
	s->gdtr.limit = sregs->gdt.limit;
	s->idtr.base = sregs->idt.base;
	s->idtr.limit = sregs->idt.limit;
	s->cr0 = sregs->cr0;
	s->cr2 = sregs->cr2;
	s->cr3 = sregs->cr3;
	s->cr4 = sregs->cr4;
	s->efer = sregs->efer | EFER_SVME;
	vcpu->msrs.apic_base = sregs->apic_base;
	/* SS.DPL is the CPL (APM 15.5.1 consistency checks use it). */
	s->cpl = sregs->ss.dpl;
	/* New paging state: the guest's cached translations are stale. */
	svm->need_flush = true;
}
