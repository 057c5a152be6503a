// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx/exit.c - what to do after a VM exit, one handler per exit
 * reason.
 *
 * After a VM exit the VMCS's exit-information fields say why (Intel SDM
 * Vol. 3C, 28.2 and Appendix C "VMX Basic Exit Reasons"): the basic exit
 * reason, the exit qualification (Table 28-1 ff.: port and size for I/O,
 * register and access type for CR accesses, read/write for EPT
 * violations), the guest-physical address, the interruption information
 * of an exception, and the instruction length. A handler either finishes
 * the job in the kernel (return 1: enter the guest again) or fills struct
 * kvm_run for userspace (return 0), exactly as x86/svm/exit.c does. Port
 * I/O, CPUID, HLT, RDMSR/WRMSR, XSETBV and triple faults mean the same on
 * SVM: they are only decoded here, into struct mkvm_exit, and handled in
 * x86/exit.c for both vendors. EPT violations outside RAM go to the MMIO
 * path (x86/mmio.c).
 *
 * Unlike SVM without NRIP-save, VMX always reports the length of the
 * instruction that exited (28.2.5), so skipping it needs no table.
 *
 * An exit can interrupt the delivery of an event through the guest's IDT
 * (e.g. the IDT or the stack is not mapped in EPT yet): the IDT-vectoring
 * information field then holds the event, which is lost unless it is
 * injected again at the next entry (SDM 28.2.4, 27.6); vcpu.c has
 * intr.c do that before any handler here runs. The interrupt- and
 * NMI-window exits belong to intr.c too; HLT sleeps in the kernel when
 * there is an in-kernel APIC (x86/irq.c), and CR8 is then the APIC's TPR.
 *
 * Anything unexpected becomes KVM_EXIT_INTERNAL_ERROR with the exit
 * reason, qualification, guest-physical address and RIP in
 * run->internal.data: the VM stops, the host never crashes.
 *
 * The companion file for AMD is x86/svm/exit.c.
 *
 * Non-goals for now: task switches, APIC-access exits (no APIC
 * virtualization: the xAPIC page is MMIO, x86/mmio.c).
 */
#include <linux/kvm.h>
#include <asm/traps.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "../../arch_ops.h"
#include "../../compat.h"
#include "../../mkvm_trace.h"
#include "../exit.h"
#include "vmx.h"

/* Exit qualification of an I/O instruction (SDM Table 28-5). */
#define IO_SIZE_MASK	7		/* size - 1 */
#define IO_IN		BIT(3)
#define IO_STRING	BIT(4)
#define IO_PORT_SHIFT	16

/* Exit qualification of an EPT violation (SDM Table 28-7). */
#define EPT_Q_WRITE	BIT(1)

/* Exit qualification of a control-register access (SDM Table 28-3). */
#define CR_Q_NR(q)	((q) & 15)
#define CR_Q_TYPE(q)	(((q) >> 4) & 3)
#define CR_Q_REG(q)	(((q) >> 8) & 15)
#define CR_Q_LMSW(q)	(((q) >> 16) & 0xffff)
enum { CR_MOV_TO, CR_MOV_FROM, CR_CLTS, CR_LMSW };

/* GETSEC exits unconditionally (SDM 26.1.2); <uapi/asm/vmx.h> lacks it. */
#define MKVM_EXIT_REASON_GETSEC	11

static int mkvm_vmx_internal_error(struct mkvm_vcpu *vcpu, u32 reason,
				   u32 suberror)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 4;
	run->internal.data[0] = reason;
	run->internal.data[1] = mkvm_vmread(EXIT_QUALIFICATION);
	run->internal.data[2] = mkvm_vmread(GUEST_PHYSICAL_ADDRESS);
	run->internal.data[3] = mkvm_vmread(GUEST_RIP);
	return 0;
}

/**
 * mkvm_vmx_skip_insn() - RIP past the instruction that exited
 * @vcpu:     the vCPU (VMCS current)
 * @next_rip: where the next instruction starts (mkvm_vmx_next_rip())
 *
 * STI and MOV SS blocking end with the instruction (SDM Vol. 3A 6.8.3):
 * clear them, or an entry with RFLAGS.IF=0 and "blocking by STI" would
 * fail (26.3.1.5).
 */
void mkvm_vmx_skip_insn(struct mkvm_vcpu *vcpu, u64 next_rip)
{
	u32 intr = mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO);

	mkvm_vmwrite(GUEST_RIP, next_rip);
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		mkvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
			     intr & ~(GUEST_INTR_STATE_STI |
				      GUEST_INTR_STATE_MOV_SS));
}

/* VMX always reports the length of the instruction that exited (28.2.5). */
static u64 mkvm_vmx_next_rip(void)
{
	return mkvm_vmread(GUEST_RIP) + mkvm_vmread(VM_EXIT_INSTRUCTION_LEN);
}

static void mkvm_vmx_skip(struct mkvm_vcpu *vcpu)
{
	mkvm_vmx_skip_insn(vcpu, mkvm_vmx_next_rip());
}

/* The value of GPR @reg (register encoding), RSP from the VMCS. */
static u64 mkvm_vmx_gpr(struct mkvm_vcpu *vcpu, unsigned int reg)
{
	if (reg == MKVM_VMX_RSP)
		return mkvm_vmread(GUEST_RSP);
	return to_vmx(vcpu)->regs[reg];
}

static void mkvm_vmx_set_gpr(struct mkvm_vcpu *vcpu, unsigned int reg, u64 v)
{
	if (reg == MKVM_VMX_RSP)
		mkvm_vmwrite(GUEST_RSP, v);
	else
		to_vmx(vcpu)->regs[reg] = v;
}

/* 64-bit mode: EFER.LMA and CS.L (SDM Vol. 3A 2.2.1). */
static bool mkvm_vmx_long64(void)
{
	return (mkvm_vmread(GUEST_IA32_EFER) & EFER_LMA) &&
	       (mkvm_vmread(GUEST_CS_AR_BYTES) & BIT(13));
}

/* IN/OUT/INS/OUTS (Table 28-5): decoded here, handled in x86/exit.c. */
static int mkvm_vmx_exit_io(struct mkvm_vcpu *vcpu)
{
	u64 q = mkvm_vmread(EXIT_QUALIFICATION);
	struct mkvm_exit exit = {
		.code = MKVM_EXIT_IO,
		.next_rip = mkvm_vmx_next_rip(),
		.io.port = q >> IO_PORT_SHIFT,
		.io.size = (q & IO_SIZE_MASK) + 1,
		.io.in = q & IO_IN,
		.io.string = q & IO_STRING,
	};

	/* Encodings 0, 1 and 3: 1, 2 and 4 bytes; 2 is not used. */
	if (exit.io.size != 1 && exit.io.size != 2 && exit.io.size != 4)
		return mkvm_vmx_internal_error(vcpu, EXIT_REASON_IO_INSTRUCTION,
					       KVM_INTERNAL_ERROR_EMULATION);
	return mkvm_handle_exit(vcpu, &exit);
}

static int mkvm_vmx_exit_ept_violation(struct mkvm_vcpu *vcpu)
{
	u64 gpa = mkvm_vmread(GUEST_PHYSICAL_ADDRESS);
	bool write = mkvm_vmread(EXIT_QUALIFICATION) & EPT_Q_WRITE;
	int r;

	r = mkvm_vmx_map_gpa(vcpu->vm, gpa, write);
	if (r > 0)
		mkvm_stat_inc(vcpu, MKVM_STAT_PF);
	if (r)
		return r;	/* 1: mapped, go again; <0: KVM_RUN fails */
	/* Not RAM, or a write to a read-only slot: MMIO (x86/mmio.c). */
	return mkvm_handle_mmio(vcpu, gpa, write);
}

/* RDMSR/WRMSR (SDM 26.1.3, the MSR bitmap 25.6.9), handled in x86/exit.c. */
static int mkvm_vmx_exit_msr(struct mkvm_vcpu *vcpu, bool write)
{
	struct mkvm_exit exit = {
		.code = write ? MKVM_EXIT_WRMSR : MKVM_EXIT_RDMSR,
		.next_rip = mkvm_vmx_next_rip(),
	};

	return mkvm_handle_exit(vcpu, &exit);
}

static int mkvm_vmx_exit_rdmsr(struct mkvm_vcpu *vcpu)
{
	return mkvm_vmx_exit_msr(vcpu, false);
}

static int mkvm_vmx_exit_wrmsr(struct mkvm_vcpu *vcpu)
{
	return mkvm_vmx_exit_msr(vcpu, true);
}

/* XSETBV exits unconditionally (SDM 26.1.2); the CPL is SS.DPL (26.3.1.2). */
static int mkvm_vmx_exit_xsetbv(struct mkvm_vcpu *vcpu)
{
	struct mkvm_exit exit = {
		.code = MKVM_EXIT_XSETBV,
		.next_rip = mkvm_vmx_next_rip(),
		.xsetbv.cpl = (mkvm_vmread(GUEST_SS_AR_BYTES) >> 5) & 3,
	};

	return mkvm_handle_exit(vcpu, &exit);
}

/* CPUID exits unconditionally (26.1.2); OSXSAVE from the CR4 shadow. */
static int mkvm_vmx_exit_cpuid(struct mkvm_vcpu *vcpu)
{
	struct mkvm_exit exit = {
		.code = MKVM_EXIT_CPUID,
		.next_rip = mkvm_vmx_next_rip(),
		.cpuid.osxsave = mkvm_vmx_get_cr4() & X86_CR4_OSXSAVE,
	};

	return mkvm_handle_exit(vcpu, &exit);
}

/* HLT ("HLT exiting", 26.1.3); with an in-kernel APIC it sleeps (x86/irq.c). */
static int mkvm_vmx_exit_hlt(struct mkvm_vcpu *vcpu)
{
	struct mkvm_exit exit = {
		.code = MKVM_EXIT_HLT,
		.next_rip = mkvm_vmx_next_rip(),
	};

	return mkvm_handle_exit(vcpu, &exit);
}

/*
 * A triple fault (28.1). Unlike SVM's VMCB after a shutdown, the guest
 * state in the VMCS stays valid; kvm_intel keeps it too.
 */
static int mkvm_vmx_exit_triple_fault(struct mkvm_vcpu *vcpu)
{
	struct mkvm_exit exit = { .code = MKVM_EXIT_SHUTDOWN };

	return mkvm_handle_exit(vcpu, &exit);
}

/* A physical interrupt: the host took it when the run loop enabled them. */
static int mkvm_vmx_exit_intr(struct mkvm_vcpu *vcpu)
{
	mkvm_stat_inc(vcpu, MKVM_STAT_IRQ);
	return 1;
}

/* Our own EPT entry is wrong (SDM 29.3.3.1): never the guest's doing. */
static int mkvm_vmx_exit_ept_misconfig(struct mkvm_vcpu *vcpu, u32 reason)
{
	pr_err_ratelimited("vCPU %u: EPT misconfiguration at GPA %#llx\n",
			   vcpu->id, mkvm_vmread(GUEST_PHYSICAL_ADDRESS));
	return mkvm_vmx_internal_error(vcpu, reason,
				       KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
}

/* INVD exits unconditionally (26.1.2); caches are coherent. */
static int mkvm_vmx_exit_invd(struct mkvm_vcpu *vcpu)
{
	mkvm_vmx_skip(vcpu);
	return 1;
}

/* RDPMC: no PMU is offered, so RDPMC of any counter is #GP(0). */
static int mkvm_vmx_exit_rdpmc(struct mkvm_vcpu *vcpu)
{
	mkvm_vmx_inject_exception(vcpu, X86_TRAP_GP, true, 0, 0);
	return 1;
}

/*
 * VMX instructions, GETSEC, MONITOR and MWAIT: not offered to the guest
 * (CPUID says so), so #UD.
 */
static int mkvm_vmx_exit_ud(struct mkvm_vcpu *vcpu)
{
	mkvm_vmx_inject_exception(vcpu, X86_TRAP_UD, false, 0, 0);
	return 1;
}

/*
 * A guest write to a host-owned CR0/CR4 bit, a CR8 access, or LMSW/CLTS
 * (SDM 26.1.3, exit qualification in Table 28-3): emulated with the CPU's
 * #GP rules (vcpu.c).
 */
static int mkvm_vmx_exit_cr(struct mkvm_vcpu *vcpu)
{
	u64 q = mkvm_vmread(EXIT_QUALIFICATION);
	unsigned int reg = CR_Q_REG(q);
	u64 val, cr0;
	int r = 0;

	switch (CR_Q_TYPE(q)) {
	case CR_MOV_TO:
		val = mkvm_vmx_gpr(vcpu, reg);
		/* Outside 64-bit mode the register is 32 bits wide. */
		if (!mkvm_vmx_long64())
			val = (u32)val;
		switch (CR_Q_NR(q)) {
		case 0:
			r = mkvm_vmx_set_cr0(vcpu, val);
			break;
		case 3:
			r = mkvm_vmx_set_cr3(vcpu, val);
			break;
		case 4:
			r = mkvm_vmx_set_cr4(vcpu, val);
			break;
		case 8:
			/* Bits 63:4 are reserved (SDM Vol. 3A 10.8.6.1). */
			if (val & ~0xfULL)
				r = -EINVAL;
			else
				mkvm_vmx_set_cr8(vcpu, val);
			break;
		default:
			return mkvm_vmx_internal_error(vcpu, EXIT_REASON_CR_ACCESS,
						       KVM_INTERNAL_ERROR_EMULATION);
		}
		break;
	case CR_MOV_FROM:
		if (CR_Q_NR(q) == 3)
			val = mkvm_vmread(GUEST_CR3);
		else if (CR_Q_NR(q) == 8)
			val = mkvm_vmx_get_cr8(vcpu);
		else
			return mkvm_vmx_internal_error(vcpu, EXIT_REASON_CR_ACCESS,
						       KVM_INTERNAL_ERROR_EMULATION);
		mkvm_vmx_set_gpr(vcpu, reg, val);
		break;
	case CR_CLTS:
		r = mkvm_vmx_set_cr0(vcpu, mkvm_vmx_get_cr0() & ~X86_CR0_TS);
		break;
	case CR_LMSW:
		/* Bits 3:0 of CR0; LMSW can set PE but never clear it. */
		cr0 = mkvm_vmx_get_cr0();
		val = (cr0 & ~0xeULL) | (CR_Q_LMSW(q) & 0xf);
		r = mkvm_vmx_set_cr0(vcpu, val);
		break;
	}
	if (r) {
		mkvm_vmx_inject_exception(vcpu, X86_TRAP_GP, true, 0, 0);
		return 1;
	}
	mkvm_vmx_skip(vcpu);
	return 1;
}

/*
 * An intercepted exception (#AC, #DB): give it to the guest, through us,
 * so that the CPU cannot loop delivering it (CVE-2015-5307 for #AC,
 * CVE-2015-8104 for #DB). Host NMIs were handled by vcpu.c already.
 */
static int mkvm_vmx_exit_exception(struct mkvm_vcpu *vcpu, u32 reason)
{
	u32 intr = mkvm_vmread(VM_EXIT_INTR_INFO);
	u32 type = intr & INTR_INFO_INTR_TYPE_MASK;
	u8 vector = intr & INTR_INFO_VECTOR_MASK;
	u32 info;

	/* NMIs and machine checks went to the host's handlers (vcpu.c). */
	if (type == INTR_TYPE_NMI_INTR || vector == MC_VECTOR)
		return 1;
	if (vector != AC_VECTOR && vector != DB_VECTOR)
		return mkvm_vmx_internal_error(vcpu, reason,
					       KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
	if (vector == DB_VECTOR) {
		/*
		 * A #DB that exits does not update DR6; the qualification
		 * has its B0-B3, BD and BS bits (SDM 28.2.1, Table 28-1).
		 * The guest reads DR6 through MOV DR exits (x86/debugreg.c).
		 */
		vcpu->dr.dr6 = 0xffff0ff0UL |
			       (mkvm_vmread(EXIT_QUALIFICATION) & 0x600f);
	}
	mkvm_stat_inc(vcpu, MKVM_STAT_EXCEPTION);
	/* Same vector, type and error code; ICEBP (INT1) needs its length. */
	info = intr & (INTR_INFO_VECTOR_MASK | INTR_INFO_INTR_TYPE_MASK |
		       INTR_INFO_DELIVER_CODE_MASK | INTR_INFO_VALID_MASK);
	if (info & INTR_INFO_DELIVER_CODE_MASK)
		mkvm_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE,
			     mkvm_vmread(VM_EXIT_INTR_ERROR_CODE));
	if (type == INTR_TYPE_PRIV_SW_EXCEPTION || type == INTR_TYPE_SOFT_EXCEPTION)
		mkvm_vmwrite(VM_ENTRY_INSTRUCTION_LEN,
			     mkvm_vmread(VM_EXIT_INSTRUCTION_LEN));
	mkvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
	return 1;
}

/*
 * MOV to or from a debug register (SDM 28.2.1 Table 28-4: DR number in
 * bits 2:0, direction in bit 4, the general register in bits 11:8),
 * emulated on the guest's own copy (x86/debugreg.c).
 */
static int mkvm_vmx_exit_dr(struct mkvm_vcpu *vcpu)
{
	u64 q = mkvm_vmread(EXIT_QUALIFICATION);
	int vec = mkvm_emulate_mov_dr(vcpu, q & 7, (q >> 8) & 15, !(q & BIT(4)));

	if (vec)
		mkvm_vmx_inject_exception(vcpu, vec, vec == GP_VECTOR, 0, 0);
	else
		mkvm_vmx_skip(vcpu);
	return 1;
}

/* VMCALL (SDM 26.1.3 "unconditionally"): KVM's hypercall ABI. */
static int mkvm_vmx_exit_vmcall(struct mkvm_vcpu *vcpu)
{
	mkvm_emulate_hypercall(vcpu);
	mkvm_vmx_skip(vcpu);
	return 1;
}

/**
 * mkvm_vmx_dump_vmcs() - print the VMCS fields that explain a failed entry
 * @vcpu: the vCPU (VMCS current)
 * @why:  what went wrong, for the first line
 *
 * The VM-instruction error (SDM 31.4) or the failed-entry exit reason
 * (27.8) names the failed check class only; the state those checks look
 * at is printed for the user to compare with SDM 26.2-26.3.
 */
void mkvm_vmx_dump_vmcs(struct mkvm_vcpu *vcpu, const char *why)
{
	static const struct { const char *name; u32 field; } f[] = {
		{ "exit_reason", VM_EXIT_REASON },
		{ "exit_qual", EXIT_QUALIFICATION },
		{ "insn_error", VM_INSTRUCTION_ERROR },
		{ "pin", PIN_BASED_VM_EXEC_CONTROL },
		{ "cpu", CPU_BASED_VM_EXEC_CONTROL },
		{ "cpu2", SECONDARY_VM_EXEC_CONTROL },
		{ "exit_ctl", VM_EXIT_CONTROLS },
		{ "entry_ctl", VM_ENTRY_CONTROLS },
		{ "entry_intr", VM_ENTRY_INTR_INFO_FIELD },
		{ "eptp", EPT_POINTER },
		{ "vpid", VIRTUAL_PROCESSOR_ID },
		{ "cr0", GUEST_CR0 },
		{ "cr0_shadow", CR0_READ_SHADOW },
		{ "cr3", GUEST_CR3 },
		{ "cr4", GUEST_CR4 },
		{ "cr4_shadow", CR4_READ_SHADOW },
		{ "efer", GUEST_IA32_EFER },
		{ "pat", GUEST_IA32_PAT },
		{ "rip", GUEST_RIP },
		{ "rsp", GUEST_RSP },
		{ "rflags", GUEST_RFLAGS },
		{ "dr7", GUEST_DR7 },
		{ "intr_state", GUEST_INTERRUPTIBILITY_INFO },
		{ "activity", GUEST_ACTIVITY_STATE },
		{ "cs_sel", GUEST_CS_SELECTOR }, { "cs_base", GUEST_CS_BASE },
		{ "cs_limit", GUEST_CS_LIMIT }, { "cs_ar", GUEST_CS_AR_BYTES },
		{ "ss_sel", GUEST_SS_SELECTOR }, { "ss_ar", GUEST_SS_AR_BYTES },
		{ "ds_ar", GUEST_DS_AR_BYTES }, { "es_ar", GUEST_ES_AR_BYTES },
		{ "fs_ar", GUEST_FS_AR_BYTES }, { "gs_ar", GUEST_GS_AR_BYTES },
		{ "tr_sel", GUEST_TR_SELECTOR }, { "tr_base", GUEST_TR_BASE },
		{ "tr_limit", GUEST_TR_LIMIT }, { "tr_ar", GUEST_TR_AR_BYTES },
		{ "ldtr_ar", GUEST_LDTR_AR_BYTES },
		{ "gdtr_base", GUEST_GDTR_BASE }, { "gdtr_limit", GUEST_GDTR_LIMIT },
		{ "idtr_base", GUEST_IDTR_BASE }, { "idtr_limit", GUEST_IDTR_LIMIT },
		{ "host_cr0", HOST_CR0 }, { "host_cr3", HOST_CR3 },
		{ "host_cr4", HOST_CR4 }, { "host_efer", HOST_IA32_EFER },
		{ "host_rip", HOST_RIP }, { "host_rsp", HOST_RSP },
		{ "host_tr_base", HOST_TR_BASE }, { "host_gs_base", HOST_GS_BASE },
		{ "host_fs_base", HOST_FS_BASE }, { "host_gdtr", HOST_GDTR_BASE },
		{ "host_idtr", HOST_IDTR_BASE },
	};
	unsigned int i;

	pr_err("vCPU %u: %s; VMCS at %pa:\n", vcpu->id, why,
	       &to_vmx(vcpu)->vmcs_pa);
	for (i = 0; i + 1 < ARRAY_SIZE(f); i += 2)
		pr_err("  %-12s %#llx  %-12s %#llx\n", f[i].name,
		       mkvm_vmread(f[i].field), f[i + 1].name,
		       mkvm_vmread(f[i + 1].field));
	if (i < ARRAY_SIZE(f))
		pr_err("  %-12s %#llx\n", f[i].name, mkvm_vmread(f[i].field));
}

/*
 * Dispatch on the basic exit reason, one function per exit. The controls
 * vcpu.c and hw.c set can produce: external interrupts and NMIs (pin-based
 * controls), exceptions in the bitmap (#AC, #DB, #MC), I/O (all-ones
 * bitmaps), RDMSR/WRMSR (all-ones bitmap), HLT, INVD, RDPMC, MONITOR,
 * MWAIT, CR8 loads and stores, MOV DR, CR0/CR4 writes to host-owned bits,
 * CR3 accesses on CPUs without the TRUE controls, EPT violations and
 * misconfigurations, interrupt- and NMI-window exits (intr.c), and the
 * exits no control can turn off: CPUID, GETSEC, INVD, XSETBV, VMCALL, the
 * VMX instructions, triple faults (SDM Vol. 3C 26.1.2) and machine checks
 * during VM entry. Anything else is an internal error.
 */
static int mkvm_vmx_dispatch(struct mkvm_vcpu *vcpu, u32 reason)
{
	switch ((u16)reason) {
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		return mkvm_vmx_exit_intr(vcpu);
	case EXIT_REASON_EXCEPTION_NMI:
		return mkvm_vmx_exit_exception(vcpu, reason);
	case EXIT_REASON_IO_INSTRUCTION:
		return mkvm_vmx_exit_io(vcpu);
	case EXIT_REASON_EPT_VIOLATION:
		return mkvm_vmx_exit_ept_violation(vcpu);
	case EXIT_REASON_EPT_MISCONFIG:
		return mkvm_vmx_exit_ept_misconfig(vcpu, reason);
	case EXIT_REASON_HLT:
		return mkvm_vmx_exit_hlt(vcpu);
	case EXIT_REASON_INTERRUPT_WINDOW:
		return mkvm_vmx_exit_irq_window(vcpu);
	case EXIT_REASON_NMI_WINDOW:
		return mkvm_vmx_exit_nmi_window(vcpu);
	case EXIT_REASON_CPUID:
		return mkvm_vmx_exit_cpuid(vcpu);
	case EXIT_REASON_MSR_READ:
		return mkvm_vmx_exit_rdmsr(vcpu);
	case EXIT_REASON_MSR_WRITE:
		return mkvm_vmx_exit_wrmsr(vcpu);
	case EXIT_REASON_XSETBV:
		return mkvm_vmx_exit_xsetbv(vcpu);
	case EXIT_REASON_CR_ACCESS:
		return mkvm_vmx_exit_cr(vcpu);
	case EXIT_REASON_INVD:
		return mkvm_vmx_exit_invd(vcpu);
	case EXIT_REASON_DR_ACCESS:
		return mkvm_vmx_exit_dr(vcpu);
	case EXIT_REASON_RDPMC:
		return mkvm_vmx_exit_rdpmc(vcpu);
	case EXIT_REASON_VMCALL:
		return mkvm_vmx_exit_vmcall(vcpu);
	case EXIT_REASON_VMCLEAR:
	case EXIT_REASON_VMLAUNCH:
	case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMRESUME:
	case EXIT_REASON_VMWRITE:
	case EXIT_REASON_VMOFF:
	case EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC:
	case MKVM_EXIT_REASON_GETSEC:
	case EXIT_REASON_MONITOR_INSTRUCTION:
	case EXIT_REASON_MWAIT_INSTRUCTION:
		return mkvm_vmx_exit_ud(vcpu);
	case EXIT_REASON_TRIPLE_FAULT:
		return mkvm_vmx_exit_triple_fault(vcpu);
	default:
		return mkvm_vmx_internal_error(vcpu, reason,
					       KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
	}
}

static int mkvm_vmx_fail_entry(struct mkvm_vcpu *vcpu, u64 reason,
			       const char *why)
{
	if (mkvm_report_failed_entry(vcpu, why))
		mkvm_vmx_dump_vmcs(vcpu, why);
	vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	vcpu->run->fail_entry.hardware_entry_failure_reason = reason;
	vcpu->run->fail_entry.cpu = raw_smp_processor_id();
	return 0;
}

/**
 * mkvm_vmx_handle_exit() - after the world switch, with interrupts on
 * @vcpu:  the vCPU that just left the guest (VMCS current)
 * @entry: what mkvm_vmx_enter_exit() returned
 *
 * The exit tracepoint, a failed entry (VMfail, SDM Vol. 3C 31.4, or a
 * failed guest-state check, 27.8), an event whose delivery the exit
 * interrupted (intr.c), then the dispatch.
 *
 * Return: 1 to re-enter, 0 for userspace (vcpu->run filled), <0 errno.
 */
int mkvm_vmx_handle_exit(struct mkvm_vcpu *vcpu, int entry)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);
	u32 reason = vmx->exit_reason;

	if (!entry && trace_mkvm_exit_enabled())
		trace_mkvm_exit(vcpu->id, MKVM_TRACE_VMX, reason,
				mkvm_vmread(GUEST_RIP),
				mkvm_vmread(EXIT_QUALIFICATION),
				mkvm_vmread(GUEST_PHYSICAL_ADDRESS),
				mkvm_vmread(IDT_VECTORING_INFO_FIELD));
	if (entry < 0) {
		pr_err_ratelimited("VMLAUNCH/VMRESUME faulted on CPU %d\n",
				   raw_smp_processor_id());
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason = -1;
		vcpu->run->fail_entry.cpu = raw_smp_processor_id();
		return 0;
	}
	if (entry) {
		u32 err = mkvm_vmx_insn_error();

		pr_err_ratelimited("vCPU %u: %s failed: VM-instruction error %u\n",
				   vcpu->id, vmx->launched ? "VMRESUME" : "VMLAUNCH",
				   err);
		return mkvm_vmx_fail_entry(vcpu, err,
					   "VM entry failed its control/host-state checks");
	}
	if (reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		return mkvm_vmx_fail_entry(vcpu, reason,
					   "VM entry failed its guest-state checks");
	mkvm_vmx_complete_events(vcpu, reason);
	return mkvm_vmx_dispatch(vcpu, reason);
}
