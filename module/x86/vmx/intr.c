// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx/intr.c - putting interrupts and NMIs into a VMX guest.
 *
 * Intel SDM Vol. 3C (2023+ numbering):
 *   25.8.3 "VM-Entry Controls for Event Injection" and 27.6 "Event
 *          Injection": the VM-entry interruption-information field makes
 *          VM entry deliver an external interrupt, NMI or exception through
 *          the guest's IDT as the first thing the guest sees, as if it had
 *          happened at the current RIP. VM exit clears its valid bit
 *          (28.2.1 ff.), so nothing stale is injected twice;
 *   25.4.2 "Guest Non-Register State": the interruptibility state -
 *          blocking by STI, by MOV SS, by NMI. Entry checks (27.3.1.5)
 *          refuse an external interrupt with STI/MOV SS blocking set and,
 *          with virtual NMIs, an NMI with blocking by NMI set;
 *   25.6.2 "Processor-Based VM-Execution Controls", 27.7.5/27.7.6:
 *          "interrupt-window exiting" exits before the first instruction
 *          at which RFLAGS.IF=1 and nothing blocks interrupts (exit reason
 *          7); "NMI-window exiting" exits as soon as there is no virtual-NMI
 *          blocking (exit reason 8). The latter requires "virtual NMIs"
 *          (25.6.1), with which the CPU tracks the guest's "NMI handler
 *          running until IRET" state in the blocking-by-NMI bit for us;
 *   28.2.4 "Information for VM Exits During Event Delivery": an exit in the
 *          middle of delivering an event (an EPT violation on the IDT or
 *          the stack, a physical interrupt) reports the event in the
 *          IDT-vectoring information field; it is injected again, with its
 *          error code and, for software interrupts and exceptions (INT n,
 *          INT3, INTO), the instruction length VM entry needs to push the
 *          right return address (27.6.1.1);
 *   28.2.3 / Table 28-7: a fault during an IRET that unblocked NMIs
 *          (bit 12 of the exit interruption information, or of the EPT
 *          violation's exit qualification) leaves NMIs unblocked: the
 *          blocking is set again before the next entry, or the IRET,
 *          re-executed, would run with NMIs open.
 *
 * vmx.c insists on "virtual NMIs" and both window exits before it lets
 * VMX run guests (every CPU with unrestricted guest has them): without
 * them a guest NMI handler's IRET cannot be observed, and there is no
 * fallback worth having.
 *
 * What to inject and when is decided in x86/irq.c (arch_ops.h). Physical
 * interrupts stay the host's: "external-interrupt exiting" is on and
 * "acknowledge interrupt on exit" off, so an interrupt that arrives in
 * the guest exits and the host takes it through its own IDT as soon as
 * vcpu.c enables interrupts again; a kick (x86/irq.c) is such an
 * interrupt.
 *
 * The companion for AMD is x86/svm/intr.c.
 *
 * Non-goals: APIC virtualization, posted interrupts, TPR shadow (CR8
 * accesses exit and go to the local APIC's TPR, exit.c), the VMX
 * preemption timer, double-fault promotion of an exception that exits
 * during the delivery of another one.
 */
#include <asm/processor-flags.h>
#include <asm/traps.h>
#include <asm/debugreg.h>

#include "../../arch_ops.h"
#include "vmx.h"

/* EPT-violation exit qualification: NMI unblocking due to IRET (Table 28-7). */
#define EPT_Q_NMI_UNBLOCK	BIT(12)

static bool vmx_in_shadow(u32 state)
{
	return state & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
}

static bool vmx_event_queued(void)
{
	return mkvm_vmread(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK;
}

static void vmx_set_cpu_ctl(u32 bits, bool on)
{
	u32 ctl = mkvm_vmread(CPU_BASED_VM_EXEC_CONTROL);
	u32 new = on ? ctl | bits : ctl & ~bits;

	if (new != ctl)
		mkvm_vmwrite(CPU_BASED_VM_EXEC_CONTROL, new);
}

/**
 * mkvm_vmx_irq_allowed() - can an external interrupt be injected now?
 * @vcpu: the vCPU (VMCS current)
 *
 * Return: RFLAGS.IF set, no STI/MOV SS blocking, nothing queued in the
 * VM-entry interruption-information field.
 */
bool mkvm_vmx_irq_allowed(struct mkvm_vcpu *vcpu)
{
	return (mkvm_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !vmx_in_shadow(mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO)) &&
	       !vmx_event_queued();
}

/**
 * mkvm_vmx_inject_irq() - VM-entry injection of an external interrupt
 * @vcpu:   the vCPU (VMCS current)
 * @vector: the vector the local APIC just moved to ISR
 *
 * Type 0, no error code (SDM 25.8.3, Table 25-17).
 */
void mkvm_vmx_inject_irq(struct mkvm_vcpu *vcpu, u8 vector)
{
	mkvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD,
		     vector | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK);
}

/**
 * mkvm_vmx_enable_irq_window() - "interrupt-window exiting" on
 * @vcpu: the vCPU (VMCS current)
 *
 * The exit comes before the first guest instruction that could take an
 * interrupt (SDM 27.7.5); mkvm_vmx_exit_irq_window() turns it off.
 */
void mkvm_vmx_enable_irq_window(struct mkvm_vcpu *vcpu)
{
	vmx_set_cpu_ctl(CPU_BASED_INTR_WINDOW_EXITING, true);
}

/**
 * mkvm_vmx_exit_irq_window() - exit reason 7: the window is open
 * @vcpu: the vCPU (VMCS current)
 *
 * Return: 1 (re-enter; mkvm_inject_pending() now injects).
 */
int mkvm_vmx_exit_irq_window(struct mkvm_vcpu *vcpu)
{
	vmx_set_cpu_ctl(CPU_BASED_INTR_WINDOW_EXITING, false);
	return 1;
}

/**
 * mkvm_vmx_nmi_allowed() - no NMI handler running, no shadow, nothing queued
 * @vcpu: the vCPU (VMCS current)
 *
 * With virtual NMIs the CPU keeps "an NMI handler runs" in the
 * blocking-by-NMI bit (SDM 25.4.2, 27.7.1); vcpu->nmi_masked mirrors it.
 *
 * Return: true when an NMI can be injected at the next entry.
 */
bool mkvm_vmx_nmi_allowed(struct mkvm_vcpu *vcpu)
{
	u32 state = mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO);

	return !vcpu->nmi_masked && !(state & GUEST_INTR_STATE_NMI) &&
	       !vmx_in_shadow(state) && !vmx_event_queued();
}

/**
 * mkvm_vmx_inject_nmi() - VM-entry injection of an NMI (type 2, vector 2)
 * @vcpu: the vCPU (VMCS current)
 *
 * Delivering it sets virtual-NMI blocking until the guest's IRET
 * (SDM 27.6.1.2 with "virtual NMIs").
 */
void mkvm_vmx_inject_nmi(struct mkvm_vcpu *vcpu)
{
	mkvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD,
		     X86_TRAP_NMI | INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK);
	vcpu->nmi_masked = true;
}

/**
 * mkvm_vmx_enable_nmi_window() - "NMI-window exiting" on
 * @vcpu: the vCPU (VMCS current)
 *
 * The exit comes when neither virtual-NMI blocking nor MOV SS blocking
 * remains (SDM 27.7.6), i.e. right after the handler's IRET, or after the
 * event already queued has been delivered.
 */
void mkvm_vmx_enable_nmi_window(struct mkvm_vcpu *vcpu)
{
	vmx_set_cpu_ctl(CPU_BASED_NMI_WINDOW_EXITING, true);
}

/**
 * mkvm_vmx_exit_nmi_window() - exit reason 8: an NMI can go in
 * @vcpu: the vCPU (VMCS current)
 *
 * Return: 1.
 */
int mkvm_vmx_exit_nmi_window(struct mkvm_vcpu *vcpu)
{
	vmx_set_cpu_ctl(CPU_BASED_NMI_WINDOW_EXITING, false);
	vcpu->nmi_masked = false;
	return 1;
}

/*
 * An IRET that had unblocked NMIs faulted into an exit (bit 12 of the exit
 * interruption information for an exception, of the qualification for an
 * EPT violation; undefined when the exit also reports IDT vectoring, or
 * for #DF - SDM 28.2.2, 28.2.3): block NMIs again, the IRET re-executes.
 */
static void vmx_recover_nmi_blocking(u32 reason)
{
	bool unblocked = false;
	u32 intr;

	switch ((u16)reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		intr = mkvm_vmread(VM_EXIT_INTR_INFO);
		unblocked = (intr & INTR_INFO_VALID_MASK) &&
			    (intr & INTR_INFO_UNBLOCK_NMI) &&
			    (intr & INTR_INFO_VECTOR_MASK) != DF_VECTOR;
		break;
	case EXIT_REASON_EPT_VIOLATION:
		unblocked = mkvm_vmread(EXIT_QUALIFICATION) & EPT_Q_NMI_UNBLOCK;
		break;
	}
	if (unblocked)
		mkvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
			     mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO) |
			     GUEST_INTR_STATE_NMI);
}

/**
 * mkvm_vmx_complete_events() - after every exit: IDT vectoring, NMI state
 * @vcpu:   the vCPU (VMCS current)
 * @reason: the exit reason (not a failed entry)
 *
 * An event whose delivery the exit interrupted goes back into the VM-entry
 * interruption-information field (SDM 28.2.4, 27.6), with its error code
 * and, for software interrupts/exceptions, its instruction length. An NMI
 * whose delivery was interrupted left no virtual-NMI blocking behind, and
 * VM entry refuses to inject an NMI with the bit set (27.3.1.5): it is
 * cleared. vcpu->nmi_masked then follows the blocking-by-NMI bit.
 */
void mkvm_vmx_complete_events(struct mkvm_vcpu *vcpu, u32 reason)
{
	u32 idt = mkvm_vmread(IDT_VECTORING_INFO_FIELD);
	u32 type = idt & VECTORING_INFO_TYPE_MASK;
	u32 state;

	if (!(idt & VECTORING_INFO_VALID_MASK)) {
		vmx_recover_nmi_blocking(reason);
		vcpu->nmi_masked = mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO) &
				   GUEST_INTR_STATE_NMI;
		return;
	}
	if (idt & VECTORING_INFO_DELIVER_CODE_MASK)
		mkvm_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE,
			     mkvm_vmread(IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		mkvm_vmwrite(VM_ENTRY_INSTRUCTION_LEN,
			     mkvm_vmread(VM_EXIT_INSTRUCTION_LEN));
	if (type == INTR_TYPE_NMI_INTR) {
		state = mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO);
		if (state & GUEST_INTR_STATE_NMI)
			mkvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
				     state & ~GUEST_INTR_STATE_NMI);
		vcpu->nmi_masked = true;
	} else {
		vcpu->nmi_masked = mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO) &
				   GUEST_INTR_STATE_NMI;
	}
	mkvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD,
		     idt & (VECTORING_INFO_VECTOR_MASK | VECTORING_INFO_TYPE_MASK |
			    VECTORING_INFO_DELIVER_CODE_MASK |
			    VECTORING_INFO_VALID_MASK));
}

/**
 * mkvm_vmx_get_event() - the event in the VM-entry interruption information
 * @vcpu: the vCPU (VMCS current)
 * @ev:   filled; MKVM_EVENT_NONE when its valid bit is clear
 *
 * Types (SDM 25.8.3, Table 25-17): INT3/INTO (software exception, 6) are
 * exceptions, INT n (4) and ICEBP (5) MKVM_EVENT_SOFT.
 */
void mkvm_vmx_get_event(struct mkvm_vcpu *vcpu, struct mkvm_event *ev)
{
	u32 info = mkvm_vmread(VM_ENTRY_INTR_INFO_FIELD);

	memset(ev, 0, sizeof(*ev));
	if (!(info & INTR_INFO_VALID_MASK))
		return;
	ev->vector = info & INTR_INFO_VECTOR_MASK;
	switch (info & INTR_INFO_INTR_TYPE_MASK) {
	case INTR_TYPE_EXT_INTR:
		ev->type = MKVM_EVENT_INTR;
		break;
	case INTR_TYPE_NMI_INTR:
		ev->type = MKVM_EVENT_NMI;
		break;
	case INTR_TYPE_HARD_EXCEPTION:
	case INTR_TYPE_SOFT_EXCEPTION:
		ev->type = MKVM_EVENT_EXCEPTION;
		ev->has_error = info & INTR_INFO_DELIVER_CODE_MASK;
		if (ev->has_error)
			ev->error = mkvm_vmread(VM_ENTRY_EXCEPTION_ERROR_CODE);
		break;
	default:
		ev->type = MKVM_EVENT_SOFT;
		break;
	}
}

/**
 * mkvm_vmx_set_event() - replace the event in the VM-entry interruption
 * information
 * @vcpu: the vCPU (VMCS current)
 * @ev:   MKVM_EVENT_NONE, _NMI or _EXCEPTION
 *
 * An NMI: VM entry refuses one with blocking by NMI set (27.3.1.5), so the
 * bit is cleared; delivery sets it again. An exception: type 3 (hardware);
 * the error code is dropped in real mode (26.2.1.3 allows none there) and
 * cut to 16 bits, which is all the field takes (as KVM). A #DB injected
 * with RFLAGS.TF and an STI/MOV SS shadow needs pending-debug BS (DR_STEP,
 * bit 14) set or
 * entry fails its checks (26.3.1.5).
 */
void mkvm_vmx_set_event(struct mkvm_vcpu *vcpu, const struct mkvm_event *ev)
{
	u32 info = ev->vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;
	u32 state = mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO);

	mkvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	switch (ev->type) {
	case MKVM_EVENT_NMI:
		mkvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
			     state & ~GUEST_INTR_STATE_NMI);
		mkvm_vmx_inject_nmi(vcpu);
		break;
	case MKVM_EVENT_EXCEPTION:
		if (ev->has_error && (mkvm_vmx_get_cr0() & X86_CR0_PE)) {
			info |= INTR_INFO_DELIVER_CODE_MASK;
			mkvm_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE,
				     (u16)ev->error);
		}
		if (ev->vector == DB_VECTOR && vmx_in_shadow(state) &&
		    (mkvm_vmread(GUEST_RFLAGS) & X86_EFLAGS_TF))
			mkvm_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS,
				     mkvm_vmread(GUEST_PENDING_DBG_EXCEPTIONS) |
				     DR_STEP);
		mkvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
		break;
	}
}

/**
 * mkvm_vmx_get_shadow() - blocking by STI / MOV SS (SDM 25.4.2)
 * @vcpu: the vCPU (VMCS current)
 *
 * Return: KVM_X86_SHADOW_INT_* bits.
 */
u8 mkvm_vmx_get_shadow(struct mkvm_vcpu *vcpu)
{
	u32 state = mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO);
	u8 mask = 0;

	if (state & GUEST_INTR_STATE_STI)
		mask |= KVM_X86_SHADOW_INT_STI;
	if (state & GUEST_INTR_STATE_MOV_SS)
		mask |= KVM_X86_SHADOW_INT_MOV_SS;
	return mask;
}

/**
 * mkvm_vmx_set_shadow() - set blocking by STI or MOV SS
 * @vcpu: the vCPU (VMCS current)
 * @mask: KVM_X86_SHADOW_INT_* bits
 *
 * VM entry refuses both at once (26.3.1.5): MOV SS wins, as in KVM.
 */
void mkvm_vmx_set_shadow(struct mkvm_vcpu *vcpu, u8 mask)
{
	u32 state = mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO);

	state &= ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	if (mask & KVM_X86_SHADOW_INT_MOV_SS)
		state |= GUEST_INTR_STATE_MOV_SS;
	else if (mask & KVM_X86_SHADOW_INT_STI)
		state |= GUEST_INTR_STATE_STI;
	mkvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO, state);
}

/**
 * mkvm_vmx_set_nmi_mask() - set or clear blocking by NMI
 * @vcpu:   the vCPU (VMCS current)
 * @masked: NMIs blocked until the guest's next IRET
 *
 * With virtual NMIs the bit is the CPU's own record of "in an NMI
 * handler" (SDM 25.4.2); vcpu->nmi_masked mirrors it.
 */
void mkvm_vmx_set_nmi_mask(struct mkvm_vcpu *vcpu, bool masked)
{
	u32 state = mkvm_vmread(GUEST_INTERRUPTIBILITY_INFO);

	if (masked)
		state |= GUEST_INTR_STATE_NMI;
	else
		state &= ~GUEST_INTR_STATE_NMI;
	mkvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO, state);
	vcpu->nmi_masked = masked;
}
