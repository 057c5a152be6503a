// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm/intr.c - putting interrupts and NMIs into an SVM guest.
 *
 * AMD APM Vol. 2:
 *   15.20 "Event Injection": EVENTINJ in the VMCB makes VMRUN deliver an
 *         interrupt, NMI or exception as the first thing the guest sees,
 *         through its IDT, as if it had happened at the current RIP;
 *   15.21 "Interrupt and LDT Handling": with V_INTR_MASKING the guest's
 *         RFLAGS.IF and TPR gate only virtual interrupts. Setting V_IRQ
 *         (with V_IGN_TPR, highest priority) and intercepting VINTR
 *         gives a #VMEXIT(VINTR) exactly when the guest could take an
 *         interrupt - the "interrupt window" (15.21.4);
 *   15.7.2 "EXITINTINFO": an exit in the middle of delivering an event
 *         (a nested page fault on the IDT or the stack, an intercepted
 *         interrupt) reports the event here; it is re-queued in EVENTINJ
 *         or it would be lost.
 * The guest's STI/MOV SS shadow is INT_STATE bit 0 (15.21.5); skipping an
 * emulated instruction ends it (see exit.c).
 *
 * NMIs: SVM without vNMI does not track "NMI blocked until IRET", so we
 * do: injecting an NMI sets vcpu->nmi_masked and intercepts IRET; on that
 * exit the IRET has not executed yet, so the mask lifts only once RIP has
 * moved past it (as kvm_amd).
 *
 * The companion for Intel will be x86/vmx/intr.c.
 *
 * Non-goals: AVIC, vNMI, re-injecting software interrupts (INT n, INT3,
 * INTO are re-executed instead: RIP still points at the instruction).
 */
#include <asm/processor-flags.h>
#include <asm/traps.h>

#include "../../arch_ops.h"
#include "svm.h"

static void svm_set_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void svm_clr_intercept(struct vmcb *vmcb, unsigned int bit)
{
	vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

static bool svm_in_shadow(const struct vmcb *vmcb)
{
	return vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK;
}

static bool svm_event_queued(const struct vmcb *vmcb)
{
	return vmcb->control.event_inj & SVM_EVTINJ_VALID;
}

/**
 * mkvm_svm_irq_allowed() - can EVENTINJ take an external interrupt now?
 * @vcpu: the vCPU
 *
 * Return: RFLAGS.IF set, no interrupt shadow, EVENTINJ free.
 */
bool mkvm_svm_irq_allowed(struct mkvm_vcpu *vcpu)
{
	const struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	return (vmcb->save.rflags & X86_EFLAGS_IF) && !svm_in_shadow(vmcb) &&
	       !svm_event_queued(vmcb);
}

/**
 * mkvm_svm_inject_irq() - EVENTINJ type INTR (APM 15.20)
 * @vcpu:   the vCPU
 * @vector: the vector the local APIC just moved to ISR
 */
void mkvm_svm_inject_irq(struct mkvm_vcpu *vcpu, u8 vector)
{
	to_svm(vcpu)->vmcb->control.event_inj = vector | SVM_EVTINJ_TYPE_INTR |
						SVM_EVTINJ_VALID;
}

/**
 * mkvm_svm_enable_irq_window() - V_IRQ + VINTR intercept (APM 15.21.4)
 * @vcpu: the vCPU
 *
 * The virtual interrupt is never taken: the intercept fires first, and
 * mkvm_svm_exit_vintr() withdraws it.
 */
void mkvm_svm_enable_irq_window(struct mkvm_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->control.int_ctl |= V_IRQ_MASK | (0xf << V_INTR_PRIO_SHIFT) |
				 V_IGN_TPR_MASK;
	vmcb->control.int_vector = 0;
	svm_set_intercept(vmcb, INTERCEPT_VINTR);
}

/**
 * mkvm_svm_exit_vintr() - #VMEXIT(VINTR): the window is open
 * @vcpu: the vCPU
 *
 * Return: 1 (re-enter; mkvm_inject_pending() now injects).
 */
int mkvm_svm_exit_vintr(struct mkvm_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->control.int_ctl &= ~(V_IRQ_MASK | V_INTR_PRIO_MASK |
				   V_IGN_TPR_MASK);
	svm_clr_intercept(vmcb, INTERCEPT_VINTR);
	return 1;
}

/**
 * mkvm_svm_nmi_allowed() - no NMI handler running, nothing queued
 * @vcpu: the vCPU
 *
 * Return: true when an NMI can go into EVENTINJ now.
 */
bool mkvm_svm_nmi_allowed(struct mkvm_vcpu *vcpu)
{
	const struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	return !vcpu->nmi_masked && !svm_in_shadow(vmcb) &&
	       !svm_event_queued(vmcb);
}

/**
 * mkvm_svm_inject_nmi() - EVENTINJ type NMI, and watch for its IRET
 * @vcpu: the vCPU
 */
void mkvm_svm_inject_nmi(struct mkvm_vcpu *vcpu)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);

	svm->vmcb->control.event_inj = X86_TRAP_NMI | SVM_EVTINJ_TYPE_NMI |
				       SVM_EVTINJ_VALID;
	vcpu->nmi_masked = true;
	svm->awaiting_iret = false;
	svm_set_intercept(svm->vmcb, INTERCEPT_IRET);
}

/**
 * mkvm_svm_enable_nmi_window() - exit when an NMI may be injectable
 * @vcpu: the vCPU
 *
 * While the handler runs: the IRET intercept, unless that IRET has
 * exited already and is about to execute - intercepting it again would
 * exit on it forever; the mask then lifts at the next exit after it
 * (mkvm_svm_complete_events()). Blocked only by a shadow or a queued
 * event: the next interrupt window is close enough.
 */
void mkvm_svm_enable_nmi_window(struct mkvm_vcpu *vcpu)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	if (vcpu->nmi_masked) {
		if (!svm->awaiting_iret)
			svm_set_intercept(vmcb, INTERCEPT_IRET);
	} else {
		mkvm_svm_enable_irq_window(vcpu);
	}
}

/**
 * mkvm_svm_exit_iret() - #VMEXIT(IRET): the NMI handler is returning
 * @vcpu: the vCPU
 *
 * The intercept is checked before IRET executes (APM 15.9): remember
 * where it is and unmask once RIP has moved on (mkvm_svm_complete_events).
 *
 * Return: 1.
 */
int mkvm_svm_exit_iret(struct mkvm_vcpu *vcpu)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);

	svm_clr_intercept(svm->vmcb, INTERCEPT_IRET);
	svm->awaiting_iret = true;
	svm->nmi_iret_rip = svm->vmcb->save.rip;
	return 1;
}

/**
 * mkvm_svm_complete_events() - after every exit: EXITINTINFO, NMI unmask
 * @vcpu: the vCPU
 *
 * An event whose delivery the exit interrupted goes back into EVENTINJ
 * (APM 15.7.2), except software interrupts, which are re-executed.
 */
void mkvm_svm_complete_events(struct mkvm_vcpu *vcpu)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	u32 ii = c->exit_int_info;
	u32 type = ii & SVM_EXITINTINFO_TYPE_MASK;
	u8 vector = ii & SVM_EXITINTINFO_VEC_MASK;

	if (svm->awaiting_iret && svm->vmcb->save.rip != svm->nmi_iret_rip) {
		svm->awaiting_iret = false;
		vcpu->nmi_masked = false;
	}
	c->event_inj = 0;
	if (!(ii & SVM_EXITINTINFO_VALID))
		return;
	if (type == SVM_EXITINTINFO_TYPE_SOFT ||
	    (type == SVM_EXITINTINFO_TYPE_EXEPT &&
	     (vector == BP_VECTOR || vector == OF_VECTOR)))
		return;
	c->event_inj = ii & (SVM_EVTINJ_VEC_MASK | SVM_EVTINJ_TYPE_MASK |
			     SVM_EVTINJ_VALID | SVM_EVTINJ_VALID_ERR);
	c->event_inj_err = c->exit_int_info_err;
}

/**
 * mkvm_svm_get_event() - the event in EVENTINJ (APM 15.20)
 * @vcpu: the vCPU
 * @ev:   filled; MKVM_EVENT_NONE when EVENTINJ.V is clear
 */
void mkvm_svm_get_event(struct mkvm_vcpu *vcpu, struct mkvm_event *ev)
{
	const struct vmcb_control_area *c = &to_svm(vcpu)->vmcb->control;
	u32 inj = c->event_inj;

	memset(ev, 0, sizeof(*ev));
	if (!(inj & SVM_EVTINJ_VALID))
		return;
	ev->vector = inj & SVM_EVTINJ_VEC_MASK;
	switch (inj & SVM_EVTINJ_TYPE_MASK) {
	case SVM_EVTINJ_TYPE_INTR:
		ev->type = MKVM_EVENT_INTR;
		break;
	case SVM_EVTINJ_TYPE_NMI:
		ev->type = MKVM_EVENT_NMI;
		break;
	case SVM_EVTINJ_TYPE_EXEPT:
		ev->type = MKVM_EVENT_EXCEPTION;
		ev->has_error = inj & SVM_EVTINJ_VALID_ERR;
		ev->error = c->event_inj_err;
		break;
	default:
		ev->type = MKVM_EVENT_SOFT;
		break;
	}
}

/**
 * mkvm_svm_set_event() - replace the event in EVENTINJ
 * @vcpu: the vCPU
 * @ev:   MKVM_EVENT_NONE, _NMI or _EXCEPTION
 *
 * An NMI goes in as mkvm_svm_inject_nmi() puts it (masking NMIs and
 * watching for the handler's IRET); an exception as a hardware exception,
 * without its error code in real mode, where none is pushed (as KVM's
 * kvm_inject_exception()).
 */
void mkvm_svm_set_event(struct mkvm_vcpu *vcpu, const struct mkvm_event *ev)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	bool has_error = ev->has_error && (vmcb->save.cr0 & X86_CR0_PE);

	vmcb->control.event_inj = 0;
	switch (ev->type) {
	case MKVM_EVENT_NMI:
		mkvm_svm_inject_nmi(vcpu);
		break;
	case MKVM_EVENT_EXCEPTION:
		vmcb->control.event_inj = ev->vector | SVM_EVTINJ_TYPE_EXEPT |
					  SVM_EVTINJ_VALID |
					  (has_error ? SVM_EVTINJ_VALID_ERR : 0);
		vmcb->control.event_inj_err = ev->error;
		break;
	}
}

/**
 * mkvm_svm_get_shadow() - INT_STATE's interrupt shadow (APM 15.21.5)
 * @vcpu: the vCPU
 *
 * SVM does not say whether STI or MOV SS caused it; report both, as KVM.
 *
 * Return: KVM_X86_SHADOW_INT_* bits.
 */
u8 mkvm_svm_get_shadow(struct mkvm_vcpu *vcpu)
{
	return svm_in_shadow(to_svm(vcpu)->vmcb) ?
	       KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI : 0;
}

/**
 * mkvm_svm_set_shadow() - set or end the interrupt shadow
 * @vcpu: the vCPU
 * @mask: KVM_X86_SHADOW_INT_* bits; any bit sets the shadow
 */
void mkvm_svm_set_shadow(struct mkvm_vcpu *vcpu, u8 mask)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if (mask)
		vmcb->control.int_state |= SVM_INTERRUPT_SHADOW_MASK;
	else
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
}

/**
 * mkvm_svm_set_nmi_mask() - NMIs blocked as inside an NMI handler, or not
 * @vcpu:   the vCPU
 * @masked: block them until the guest's next IRET
 *
 * SVM has no such state of its own (no vNMI): masked means the IRET
 * intercept, as after mkvm_svm_inject_nmi(); unmasked drops it.
 */
void mkvm_svm_set_nmi_mask(struct mkvm_vcpu *vcpu, bool masked)
{
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);

	vcpu->nmi_masked = masked;
	svm->awaiting_iret = false;
	if (masked)
		svm_set_intercept(svm->vmcb, INTERCEPT_IRET);
	else
		svm_clr_intercept(svm->vmcb, INTERCEPT_IRET);
}
