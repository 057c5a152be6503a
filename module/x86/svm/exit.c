// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm/exit.c - what to do after #VMEXIT, one handler per exit code.
 *
 * After VMRUN returns, the VMCB's EXITCODE says why (AMD APM Vol. 2,
 * Appendix C "SVM Intercept Exit Codes") and EXITINFO1/EXITINFO2 add
 * details. A handler either finishes the job in the kernel (return 1: enter
 * the guest again) or fills struct kvm_run for userspace (return 0), as
 * Documentation/virt/kvm/api.rst 5 describes each exit.
 *
 * Instruction lengths: with NRIP-save (CPUID 8000_000Ah EDX[3]) the CPU
 * tells us the next RIP; the emulated EPYC in our tests has none, so for
 * the fixed-length instructions we intercept the length is known here
 * (prefixes on HLT/CPUID/RDMSR/WRMSR are architecturally meaningless and
 * compilers do not emit them). IOIO always carries the next RIP in
 * EXITINFO2 (15.10.2).
 *
 * Anything unexpected becomes KVM_EXIT_INTERNAL_ERROR with the exit code
 * and info in run->internal.data: the VM stops, the host never crashes.
 *
 * The companion file for Intel is x86/vmx/exit.c.
 *
 * Port I/O, CPUID, HLT, RDMSR/WRMSR, XSETBV and SHUTDOWN mean the same on
 * VMX: they are only decoded here, into struct mkvm_exit, and handled in
 * x86/exit.c for both vendors.
 *
 * Nested page faults outside RAM go to the shared MMIO path (x86/mmio.c).
 * VINTR and IRET exits belong to interrupt and NMI injection (intr.c).
 *
 * Non-goals for now: string I/O to in-kernel devices.
 */
#include <linux/kvm.h>
#include <asm/traps.h>
#include <asm/processor-flags.h>

#include "../../arch_ops.h"
#include "../../compat.h"
#include "../../mkvm_trace.h"
#include "../exit.h"
#include "svm.h"

/* EXITINFO1 of IOIO (APM 15.10.2). */
#define IOIO_TYPE_IN	BIT(0)
#define IOIO_STR	BIT(2)
#define IOIO_SIZE_SHIFT	4
#define IOIO_SIZE_MASK	(7 << IOIO_SIZE_SHIFT)
#define IOIO_PORT_SHIFT	16

/* EXITINFO1 of a nested page fault: a #PF error code (APM 15.25.6). */
#define NPF_WRITE	BIT_ULL(1)

/**
 * mkvm_svm_skip_insn() - RIP past the instruction that exited
 * @vcpu:     the vCPU
 * @next_rip: where the next instruction starts (mkvm_svm_next_rip())
 */
void mkvm_svm_skip_insn(struct mkvm_vcpu *vcpu, u64 next_rip)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->save.rip = next_rip;
	/* The STI/MOV SS shadow covers one instruction: this one (15.21.5). */
	vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
}

/* The next RIP: NRIP-save's when the CPU has it, else RIP + @len. */
static u64 mkvm_svm_next_rip(struct mkvm_vcpu *vcpu, unsigned int len)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if (mkvm_svm_caps.features & MKVM_SVM_FEAT_NRIPS)
		return vmcb->control.next_rip;
	return vmcb->save.rip + len;
}

static void mkvm_svm_skip(struct mkvm_vcpu *vcpu, unsigned int len)
{
	mkvm_svm_skip_insn(vcpu, mkvm_svm_next_rip(vcpu, len));
}

static int mkvm_svm_internal_error(struct mkvm_vcpu *vcpu, u32 suberror)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 4;
	run->internal.data[0] = mkvm_vmcb_exit_code(c);
	run->internal.data[1] = c->exit_info_1;
	run->internal.data[2] = c->exit_info_2;
	run->internal.data[3] = to_svm(vcpu)->vmcb->save.rip;
	return 0;
}

/* IN/OUT/INS/OUTS (15.10.2): decoded here, handled in x86/exit.c. */
static int mkvm_svm_exit_io(struct mkvm_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	u64 info = c->exit_info_1;
	struct mkvm_exit exit = {
		.code = MKVM_EXIT_IO,
		/* EXITINFO2 is the next RIP, with or without NRIP-save. */
		.next_rip = c->exit_info_2,
		.io.port = info >> IOIO_PORT_SHIFT,
		.io.size = (info & IOIO_SIZE_MASK) >> IOIO_SIZE_SHIFT,
		.io.in = info & IOIO_TYPE_IN,
		.io.string = info & IOIO_STR,
	};

	/* SZ8/SZ16/SZ32 are one-hot: 1, 2, 4 bytes. */
	if (exit.io.size != 1 && exit.io.size != 2 && exit.io.size != 4)
		return mkvm_svm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
	return mkvm_handle_exit(vcpu, &exit);
}

static int mkvm_svm_exit_npf(struct mkvm_vcpu *vcpu)
{
	struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	bool write = c->exit_info_1 & NPF_WRITE;
	int r;

	r = mkvm_svm_map_gpa(vcpu->vm, c->exit_info_2, write);
	if (r > 0)
		mkvm_stat_inc(vcpu, MKVM_STAT_PF);
	if (r)
		return r;	/* 1: mapped, go again; <0: KVM_RUN fails */
	/* Not RAM, or a write to a read-only slot: MMIO (x86/mmio.c). */
	return mkvm_handle_mmio(vcpu, c->exit_info_2, write);
}

/* RDMSR/WRMSR (15.11): EXITINFO1 is 0 for RDMSR, 1 for WRMSR. */
static int mkvm_svm_exit_msr(struct mkvm_vcpu *vcpu)
{
	struct mkvm_exit exit = {
		.code = to_svm(vcpu)->vmcb->control.exit_info_1 ?
			MKVM_EXIT_WRMSR : MKVM_EXIT_RDMSR,
		.next_rip = mkvm_svm_next_rip(vcpu, 2),	/* 0F 32 / 0F 30 */
	};

	return mkvm_handle_exit(vcpu, &exit);
}

/* XSETBV (15.9 intercept): the CPL is the VMCB's. */
static int mkvm_svm_exit_xsetbv(struct mkvm_vcpu *vcpu)
{
	struct mkvm_exit exit = {
		.code = MKVM_EXIT_XSETBV,
		.next_rip = mkvm_svm_next_rip(vcpu, 3),	/* 0F 01 D1 */
		.xsetbv.cpl = to_svm(vcpu)->vmcb->save.cpl,
	};

	return mkvm_handle_exit(vcpu, &exit);
}

/* CPUID (15.9): CPUID.1:ECX.OSXSAVE follows the guest's CR4. */
static int mkvm_svm_exit_cpuid(struct mkvm_vcpu *vcpu)
{
	struct mkvm_exit exit = {
		.code = MKVM_EXIT_CPUID,
		.next_rip = mkvm_svm_next_rip(vcpu, 2),	/* 0F A2 */
		.cpuid.osxsave = to_svm(vcpu)->vmcb->save.cr4 & X86_CR4_OSXSAVE,
	};

	return mkvm_handle_exit(vcpu, &exit);
}

/* HLT (15.9); with an in-kernel APIC the vCPU sleeps in x86/irq.c. */
static int mkvm_svm_exit_hlt(struct mkvm_vcpu *vcpu)
{
	struct mkvm_exit exit = {
		.code = MKVM_EXIT_HLT,
		.next_rip = mkvm_svm_next_rip(vcpu, 1),	/* F4 */
	};

	return mkvm_handle_exit(vcpu, &exit);
}

/* A triple fault (15.12): the VMCB is undefined after it, so reset. */
static int mkvm_svm_exit_shutdown(struct mkvm_vcpu *vcpu)
{
	struct mkvm_exit exit = { .code = MKVM_EXIT_SHUTDOWN };

	mkvm_svm_vcpu_reset(vcpu);
	return mkvm_handle_exit(vcpu, &exit);
}

/* Physical INTR/NMI/SMI: the host took it at STGI/STI; just go back. */
static int mkvm_svm_exit_intr(struct mkvm_vcpu *vcpu)
{
	mkvm_stat_inc(vcpu, MKVM_STAT_IRQ);
	return 1;
}

/* INVD: caches are coherent, nothing to write back or throw away. */
static int mkvm_svm_exit_invd(struct mkvm_vcpu *vcpu)
{
	mkvm_svm_skip(vcpu, 2);		/* 0F 08 */
	return 1;
}

/* RDPMC: no PMU is offered, so RDPMC of any counter is #GP(0). */
static int mkvm_svm_exit_rdpmc(struct mkvm_vcpu *vcpu)
{
	mkvm_svm_inject_exception(vcpu, X86_TRAP_GP, true, 0, 0);
	return 1;
}

/*
 * The SVM instructions, MONITOR and MWAIT: #UD. EFER.SVME is the host's
 * (nested SVM is not offered) and CPUID offers no MONITOR (APM Vol. 3).
 */
static int mkvm_svm_exit_ud(struct mkvm_vcpu *vcpu)
{
	mkvm_svm_inject_exception(vcpu, X86_TRAP_UD, false, 0, 0);
	return 1;
}

/* #AC, reflected through us: no microcode loop (CVE-2015-5307). */
static int mkvm_svm_exit_ac(struct mkvm_vcpu *vcpu)
{
	mkvm_svm_inject_exception(vcpu, AC_VECTOR, true, 0, 0);
	return 1;
}

/* Likewise #DB (CVE-2015-8104). */
static int mkvm_svm_exit_db(struct mkvm_vcpu *vcpu)
{
	mkvm_svm_inject_exception(vcpu, DB_VECTOR, false, 0, 0);
	return 1;
}

/* VMRUN failed its consistency checks (15.5.1): EXITCODE -1. */
static int mkvm_svm_exit_err(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (mkvm_report_failed_entry(vcpu, "VMRUN failed its consistency checks"))
		mkvm_svm_dump_vmcb(vcpu, "VMRUN failed its consistency checks");
	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason =
		mkvm_vmcb_exit_code(&to_svm(vcpu)->vmcb->control);
	run->fail_entry.cpu = raw_smp_processor_id();
	return 0;
}

/*
 * MOV to or from DR0-DR7 (the DR intercepts, APM Vol. 2 chapter 15): the
 * exit code names the register and the direction; the general register
 * comes from the instruction bytes, as EXITINFO1 has it only with
 * DecodeAssists.
 */
static int mkvm_svm_exit_dr(struct mkvm_vcpu *vcpu, u64 code)
{
	unsigned int dr, gpr;
	int len, vec;
	u8 op;

	len = mkvm_fetch_mov_crdr(vcpu, &op, &dr, &gpr);
	if (len < 0 || (op != 0x21 && op != 0x23))
		return mkvm_svm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
	if (dr > 7) {			/* REX.R: DR8-DR15 do not exist */
		mkvm_svm_inject_exception(vcpu, X86_TRAP_UD, false, 0, 0);
		return 1;
	}
	vec = mkvm_emulate_mov_dr(vcpu, (code - SVM_EXIT_READ_DR0) & 7, gpr,
				  code >= SVM_EXIT_WRITE_DR0);
	if (vec)
		mkvm_svm_inject_exception(vcpu, vec, vec == GP_VECTOR, 0, 0);
	else
		mkvm_svm_skip(vcpu, len);
	return 1;
}

/*
 * MOV to CR4 (intercepted so that the guest cannot turn on features the
 * host does not switch, PKE above all): the checks of SDM Vol. 3A 2.5 and
 * 4.10.1 that the CPU would make, then the VMCB. LMSW and CLTS touch CR0
 * only; MOV from CR4 does not exit.
 */
static int mkvm_svm_exit_cr4(struct mkvm_vcpu *vcpu)
{
	struct vmcb_save_area *s = &to_svm(vcpu)->vmcb->save;
	unsigned int cr, gpr;
	struct kvm_regs regs;
	bool lma = s->efer & EFER_LMA;
	u64 val;
	int len;
	u8 op;

	len = mkvm_fetch_mov_crdr(vcpu, &op, &cr, &gpr);
	if (len < 0 || op != 0x22 || cr != 4)
		return mkvm_svm_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
	mkvm_ops->get_regs(vcpu, &regs);
	val = *mkvm_gpr(&regs, gpr);
	if (!(lma && (s->cs.attrib & SVM_SELECTOR_L_MASK)))
		val = (u32)val;
	if ((val & ~mkvm_cr4_allowed()) || (lma && !(val & X86_CR4_PAE)) ||
	    ((val & X86_CR4_PCIDE) && !lma) ||
	    ((val & ~s->cr4 & X86_CR4_PCIDE) && (s->cr3 & 0xfff))) {
		mkvm_svm_inject_exception(vcpu, X86_TRAP_GP, true, 0, 0);
		return 1;
	}
	/* PGE, PAE, PSE, SMEP, PCIDE change what the TLB may hold. */
	if ((val ^ s->cr4) & (X86_CR4_PGE | X86_CR4_PAE | X86_CR4_PSE |
			      X86_CR4_SMEP | X86_CR4_PCIDE))
		to_svm(vcpu)->need_flush = true;
	s->cr4 = val;
	mkvm_svm_skip(vcpu, len);
	return 1;
}

/* VMMCALL: KVM's hypercall ABI (x86/hypercall.c). */
static int mkvm_svm_exit_vmmcall(struct mkvm_vcpu *vcpu)
{
	mkvm_emulate_hypercall(vcpu);
	mkvm_svm_skip(vcpu, 3);		/* 0F 01 D9 */
	return 1;
}

/**
 * mkvm_svm_dump_vmcb() - print the VMCB fields that explain a failed entry
 * @vcpu: the vCPU
 * @why:  one word for the first line
 *
 * VMRUN's consistency checks (APM 15.5.1) fail with EXITCODE -1 and no
 * further detail, so the state they check is printed for the user to read.
 */
void mkvm_svm_dump_vmcb(struct mkvm_vcpu *vcpu, const char *why)
{
	const struct vmcb *v = to_svm(vcpu)->vmcb;
	const struct vmcb_save_area *s = &v->save;
	const struct vmcb_control_area *c = &v->control;

	pr_err("vCPU %u: %s; VMCB at %pa:\n", vcpu->id, why,
	       &to_svm(vcpu)->vmcb_pa);
	pr_err("  exit_code %#llx info1 %#llx info2 %#llx asid %u tlb_ctl %u\n",
	       mkvm_vmcb_exit_code(c), c->exit_info_1, c->exit_info_2, c->asid,
	       c->tlb_ctl);
	pr_err("  int_ctl %#x nested_ctl %#llx ncr3 %#llx event_inj %#x\n",
	       c->int_ctl, (u64)mkvm_vmcb_np_ctl(c), c->nested_cr3, c->event_inj);
	pr_err("  cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx cpl %u\n",
	       s->cr0, s->cr3, s->cr4, s->efer, s->cpl);
	pr_err("  rip %#llx rsp %#llx rflags %#llx dr6 %#llx dr7 %#llx\n",
	       s->rip, s->rsp, s->rflags, s->dr6, s->dr7);
	pr_err("  cs %04x/%#llx/%#x/%#x ss %04x/%#llx/%#x/%#x\n",
	       s->cs.selector, s->cs.base, s->cs.limit, s->cs.attrib,
	       s->ss.selector, s->ss.base, s->ss.limit, s->ss.attrib);
	pr_err("  tr %04x/%#llx/%#x/%#x gdtr %#llx/%#x idtr %#llx/%#x\n",
	       s->tr.selector, s->tr.base, s->tr.limit, s->tr.attrib,
	       s->gdtr.base, s->gdtr.limit, s->idtr.base, s->idtr.limit);
}

/*
 * Dispatch on EXITCODE, one function per exit. The intercepts that
 * mkvm_svm_vcpu_reset() sets (vcpu.c) can produce: INTR, NMI, SMI, IOIO,
 * MSR, CPUID, HLT, INVD, XSETBV, RDPMC, VMMCALL, the SVM instructions
 * (VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA), MONITOR, MWAIT,
 * CR4 writes, every DR read and write, SHUTDOWN, and the exceptions #AC,
 * #DB and #MC; V_IRQ adds VINTR and NMI injection IRET (intr.c); nested
 * paging adds NPF; a VMRUN that fails its checks is SVM_EXIT_ERR.
 * Anything else is an internal error.
 */
static int mkvm_svm_dispatch(struct mkvm_vcpu *vcpu)
{
	u64 code = mkvm_vmcb_exit_code(&to_svm(vcpu)->vmcb->control);

	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
		return mkvm_svm_exit_intr(vcpu);
	case SVM_EXIT_IOIO:
		return mkvm_svm_exit_io(vcpu);
	case SVM_EXIT_NPF:
		return mkvm_svm_exit_npf(vcpu);
	case SVM_EXIT_HLT:
		return mkvm_svm_exit_hlt(vcpu);
	case SVM_EXIT_VINTR:
		return mkvm_svm_exit_vintr(vcpu);
	case SVM_EXIT_IRET:
		return mkvm_svm_exit_iret(vcpu);
	case SVM_EXIT_CPUID:
		return mkvm_svm_exit_cpuid(vcpu);
	case SVM_EXIT_MSR:
		return mkvm_svm_exit_msr(vcpu);
	case SVM_EXIT_INVD:
		return mkvm_svm_exit_invd(vcpu);
	case SVM_EXIT_XSETBV:
		return mkvm_svm_exit_xsetbv(vcpu);
	case SVM_EXIT_VMMCALL:
		return mkvm_svm_exit_vmmcall(vcpu);
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR7:
	case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR7:
		return mkvm_svm_exit_dr(vcpu, code);
	case SVM_EXIT_WRITE_CR4:
		return mkvm_svm_exit_cr4(vcpu);
	case SVM_EXIT_RDPMC:
		return mkvm_svm_exit_rdpmc(vcpu);
	case SVM_EXIT_EXCP_BASE + MC_VECTOR:
		/* The host's handler ran already (vcpu.c). */
		return 1;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
		return mkvm_svm_exit_ud(vcpu);
	case SVM_EXIT_EXCP_BASE + AC_VECTOR:
		return mkvm_svm_exit_ac(vcpu);
	case SVM_EXIT_EXCP_BASE + DB_VECTOR:
		return mkvm_svm_exit_db(vcpu);
	case SVM_EXIT_SHUTDOWN:
		return mkvm_svm_exit_shutdown(vcpu);
	case SVM_EXIT_ERR:
		return mkvm_svm_exit_err(vcpu);
	default:
		return mkvm_svm_internal_error(vcpu,
					       KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
	}
}

/**
 * mkvm_svm_handle_exit() - after the world switch, with interrupts on
 * @vcpu:  the vCPU that just left the guest
 * @entry: what mkvm_svm_enter_exit() returned
 *
 * The exit tracepoint, a failed entry, V_TPR back into the APIC, an event
 * whose delivery the exit interrupted (intr.c), then the dispatch.
 *
 * Return: 1 to re-enter, 0 for userspace (vcpu->run filled), <0 errno.
 */
int mkvm_svm_handle_exit(struct mkvm_vcpu *vcpu, int entry)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;

	if (entry == MKVM_SVM_GIF_FAULT) {
		/* The vCPU cannot run on this machine now. */
		pr_err_ratelimited("CLGI/VMSAVE/STGI faulted on CPU %d: SVM is off\n",
				   raw_smp_processor_id());
		return -EIO;
	}
	trace_mkvm_exit(vcpu->id, MKVM_TRACE_SVM, mkvm_vmcb_exit_code(c),
			svm->vmcb->save.rip, c->exit_info_1, c->exit_info_2,
			c->exit_int_info);
	if (entry) {
		pr_err_ratelimited("SVM instruction faulted on CPU %d\n",
				   raw_smp_processor_id());
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason = -1;
		return 0;
	}
	if (vcpu->lapic && (c->int_ctl & V_TPR_MASK) != svm->v_tpr)
		mkvm_lapic_set_tpr(vcpu, (c->int_ctl & V_TPR_MASK) << 4);
	mkvm_svm_complete_events(vcpu);
	return mkvm_svm_dispatch(vcpu);
}
