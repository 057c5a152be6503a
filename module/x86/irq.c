// SPDX-License-Identifier: GPL-2.0
/*
 * x86/irq.c - getting interrupts into a vCPU: KVM_CREATE_IRQCHIP, kicks,
 * the pre-entry injection decision, HLT in the kernel, INIT/SIPI and the
 * MP state (api.rst 4.24 "KVM_CREATE_IRQCHIP", 4.38/4.39 "KVM_GET/SET_
 * MP_STATE").
 *
 * Vendor-neutral: what to inject and when is decided here, from the local
 * APIC (x86/lapic.c) and the 8259A behind its LINT0 (x86/pic.c); how is the
 * vendor's (arch_ops.h: irq_allowed,
 * inject_irq, enable_irq_window, the NMI trio and vcpu_reset). SDM Vol. 3A
 * 6.9 "Priority among simultaneous exceptions and interrupts" gives the
 * order: INIT/SIPI first (they are handled outside the guest), then NMI,
 * then maskable interrupts (RFLAGS.IF, STI/MOV SS shadow, SDM 6.8.3):
 * the PIC's ExtINT before the APIC's vectors, as KVM's
 * kvm_cpu_get_interrupt(), with its vector from the interrupt acknowledge
 * at injection time.
 *
 * Kicks: whoever makes something deliverable for a vCPU (an IPI, the
 * IOAPIC, an MSI, the APIC timer, an irqfd) calls mkvm_vcpu_kick(): it sets
 * MKVM_REQ_EVENT, wakes the vCPU if it sleeps in HLT, and sends an IPI to
 * the CPU it runs on if it is in guest mode, which forces a #VMEXIT
 * (physical interrupts are intercepted). The entry path sets vcpu->mode =
 * MKVM_IN_GUEST with interrupts off, then checks MKVM_REQ_EVENT after a
 * full barrier (mkvm_entry_must_abort()); the kicker sets the bit, then
 * checks the mode after a barrier. One of the two always sees the other,
 * so no interrupt waits for an unrelated exit.
 *
 * HLT with an in-kernel irqchip: the vendor's exit handler calls
 * mkvm_vcpu_halt(); KVM_RUN then sleeps in mkvm_vcpu_wait_runnable() until
 * an interrupt the guest can take, an NMI, INIT/SIPI, or a signal.
 * Application processors (vCPU id != 0) start in KVM_MP_STATE_UNINITIALIZED
 * and sleep the same way until INIT then start-up IPI (SDM 8.4.4 "MP
 * Initialization Example").
 *
 * KVM_GET/SET_IRQCHIP (api.rst 4.26, 4.27) are here too: they dispatch by
 * chip id; the PIC's two chips are x86/pic.c's.
 *
 * Non-goals: SMIs, the IOAPIC's KVM_GET/SET_IRQCHIP, KVM_MP_STATE_AP_RESET_HOLD
 * (SEV-ES), latching INIT in special modes.
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/smp.h>
#include <linux/wait.h>
/* 6.3+: smp_send_reschedule() traces through trace_ipi_send_cpu(). */
#include <trace/events/ipi.h>

#include "../minikvm.h"
#include "../arch_ops.h"

/**
 * mkvm_create_irqchip() - KVM_CREATE_IRQCHIP: IOAPIC, PIC, routing
 * @vm: the VM
 *
 * Every vCPU created afterwards gets a local APIC.
 *
 * Context: process context; takes vm->lock then vm->irq_lock.
 * Return: 0, -EEXIST when it exists already, -EINVAL once vCPUs exist
 * (KVM's answers), -ENOMEM.
 */
int mkvm_create_irqchip(struct mkvm *vm)
{
	struct mkvm_ioapic *io = NULL;
	int r;

	/* KVM_CAP_IRQCHIP is 0 there: refuse as KVM does without it. */
	if (!mkvm_can_run_irqchip())
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->ioapic)
		goto out;
	r = -EINVAL;
	if (vm->nr_vcpus)
		goto out;
	mutex_lock(&vm->irq_lock);
	r = mkvm_ioapic_create(vm, &io);
	if (r)
		goto unlock;
	r = mkvm_pic_create(vm);
	if (r)
		goto free_ioapic;
	mutex_unlock(&vm->irq_lock);
	r = mkvm_routing_default(vm);
	if (r) {
		mutex_lock(&vm->irq_lock);
		mkvm_pic_destroy(vm);	/* unregisters its ports */
		goto free_ioapic;
	}
	/* Everything is in place before anyone sees the irqchip. */
	smp_store_release(&vm->ioapic, io);
out:
	mutex_unlock(&vm->lock);
	return r;

free_ioapic:
	/* Off the bus (a grace period passes) before it is freed. */
	mkvm_ioapic_unregister(vm, io);
	kfree(io);
unlock:
	mutex_unlock(&vm->irq_lock);
	mutex_unlock(&vm->lock);
	return r;
}

/**
 * mkvm_irqchip_state_ioctl() - KVM_GET_IRQCHIP / KVM_SET_IRQCHIP
 * @vm:    the VM
 * @ioctl: which of the two
 * @argp:  struct kvm_irqchip in userspace
 *
 * As KVM: the whole struct is copied in first, the rest of the union comes
 * back as it went in (GET), and a loaded PIC state is taken as it is.
 *
 * Return: 0; -EFAULT; -ENXIO without KVM_CREATE_IRQCHIP; -EINVAL for a
 * chip id other than the two PICs (the IOAPIC's state is not offered).
 */
long mkvm_irqchip_state_ioctl(struct mkvm *vm, unsigned int ioctl,
			      struct kvm_irqchip __user *argp)
{
	struct kvm_irqchip *chip;
	long r;

	chip = memdup_user(argp, sizeof(*chip));
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	r = -ENXIO;
	if (!mkvm_irqchip_in_kernel(vm))
		goto out;
	r = -EINVAL;
	if (chip->chip_id != KVM_IRQCHIP_PIC_MASTER &&
	    chip->chip_id != KVM_IRQCHIP_PIC_SLAVE)
		goto out;
	r = 0;
	mkvm_pic_get_set_state(vm, chip->chip_id, &chip->chip.pic,
			       ioctl == KVM_SET_IRQCHIP);
	if (ioctl == KVM_GET_IRQCHIP && copy_to_user(argp, chip, sizeof(*chip)))
		r = -EFAULT;
out:
	kfree(chip);
	return r;
}

/**
 * mkvm_irqchip_destroy() - free IOAPIC, PIC, routing and the I/O bus
 * @vm: the VM; eventfds and vCPUs are gone
 */
void mkvm_irqchip_destroy(struct mkvm *vm)
{
	mkvm_ioapic_destroy(vm);
	mutex_lock(&vm->irq_lock);
	mkvm_pic_destroy(vm);
	mutex_unlock(&vm->irq_lock);
	mkvm_routing_destroy(vm);
	mkvm_io_bus_destroy(vm);
}

/**
 * mkvm_vcpu_kick() - make the vCPU re-evaluate its pending interrupts
 * @vcpu: the vCPU
 *
 * Context: any, including hard-irq context with interrupts off.
 */
void mkvm_vcpu_kick(struct mkvm_vcpu *vcpu)
{
	int cpu, me;

	set_bit(MKVM_REQ_EVENT, &vcpu->requests);
	/* Pairs with mkvm_entry_must_abort(). */
	smp_mb__after_atomic();
	wake_up_interruptible(&vcpu->wq);
	me = get_cpu();
	cpu = READ_ONCE(vcpu->cpu);
	if (READ_ONCE(vcpu->mode) == MKVM_IN_GUEST && cpu != me && cpu >= 0 &&
	    cpu_online(cpu))
		smp_send_reschedule(cpu);	/* #VMEXIT(INTR) there */
	put_cpu();
}

/**
 * mkvm_entry_must_abort() - last check before VMRUN/VMLAUNCH
 * @vcpu: the vCPU, interrupts disabled
 *
 * Return: true when a kick arrived since mkvm_inject_pending() and the
 * entry must be retried (vcpu->mode is back to outside).
 */
bool mkvm_entry_must_abort(struct mkvm_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->mode, MKVM_IN_GUEST);
	/* Mode store before the request load; pairs with mkvm_vcpu_kick(). */
	smp_mb();
	if (test_bit(MKVM_REQ_EVENT, &vcpu->requests)) {
		WRITE_ONCE(vcpu->mode, MKVM_OUTSIDE_GUEST);
		return true;
	}
	return false;
}

/**
 * mkvm_inject_pending() - queue the highest-priority deliverable event
 * @vcpu: the vCPU, loaded, about to enter the guest
 *
 * An NMI before a maskable interrupt (SDM 6.9); what cannot be delivered
 * now asks the vendor for an exit as soon as it can (interrupt window).
 */
void mkvm_inject_pending(struct mkvm_vcpu *vcpu)
{
	int v;

	if (vcpu->lapic) {
		clear_bit(MKVM_REQ_EVENT, &vcpu->requests);
		/* Clear before reading the APIC: a later kick sets it again. */
		smp_mb__after_atomic();
	}

	/* The VMM's interrupt was accepted already (x86/events.c). */
	mkvm_inject_user_events(vcpu);
	/* NMIs from the APIC and from KVM_NMI alike. */
	if (mkvm_nmi_pending(vcpu)) {
		if (mkvm_ops->nmi_allowed(vcpu)) {
			mkvm_nmi_take(vcpu);
			mkvm_ops->inject_nmi(vcpu);
		} else {
			mkvm_ops->enable_nmi_window(vcpu);
		}
	}
	if (!vcpu->lapic)
		return;
	/* ExtINT bypasses IRR/ISR/PPR (SDM 10.8.1): the PIC names the vector. */
	if (mkvm_pic_has_extint(vcpu)) {
		if (mkvm_ops->irq_allowed(vcpu))
			mkvm_ops->inject_irq(vcpu, mkvm_pic_read_irq(vcpu->vm));
		else
			mkvm_ops->enable_irq_window(vcpu);
		return;
	}
	v = mkvm_lapic_pending_vector(vcpu);
	if (v < 0)
		return;
	if (mkvm_ops->irq_allowed(vcpu)) {
		mkvm_lapic_ack(vcpu, v);
		mkvm_ops->inject_irq(vcpu, v);
	} else {
		mkvm_ops->enable_irq_window(vcpu);
	}
}

/**
 * mkvm_vcpu_halt() - the guest executed HLT (RIP already past it)
 * @vcpu: the vCPU
 *
 * Return: 1 (sleep in the kernel) with an in-kernel APIC, else 0 with
 * KVM_EXIT_HLT for userspace.
 */
int mkvm_vcpu_halt(struct mkvm_vcpu *vcpu)
{
	if (!vcpu->lapic) {
		vcpu->run->exit_reason = KVM_EXIT_HLT;
		return 0;
	}
	vcpu->mp_state = KVM_MP_STATE_HALTED;
	return 1;
}

/* Is there a reason to leave HLT / wait-for-SIPI? */
static bool mkvm_vcpu_has_events(struct mkvm_vcpu *vcpu)
{
	if (mkvm_lapic_events_pending(vcpu))
		return true;
	if (vcpu->mp_state != KVM_MP_STATE_HALTED &&
	    vcpu->mp_state != KVM_MP_STATE_RUNNABLE)
		return false;	/* only INIT/SIPI wake an AP */
	if (mkvm_nmi_pending(vcpu))
		return true;
	return (mkvm_pic_has_extint(vcpu) ||
		mkvm_lapic_pending_vector(vcpu) >= 0 ||
		vcpu->irq_queued >= 0) && mkvm_ops->irq_allowed(vcpu);
}

/* INIT (SDM 8.4.1): reset the CPU and APIC; an AP then waits for SIPI. */
static void mkvm_vcpu_do_init(struct mkvm_vcpu *vcpu)
{
	mkvm_ops->vcpu_reset(vcpu);
	mkvm_dr_reset(vcpu);
	mkvm_lapic_reset(vcpu, true);
	vcpu->nmi_masked = false;
	vcpu->irq_queued = -1;
	atomic_set(&vcpu->nmi_pending, 0);
	vcpu->pending_io = false;
	vcpu->pending_ins = false;
	vcpu->pending_mmio = false;
	vcpu->mp_state = vcpu->id == 0 ? KVM_MP_STATE_RUNNABLE :
					 KVM_MP_STATE_INIT_RECEIVED;
}

/* Start-up IPI (SDM 8.4.4.1): real mode at vector << 12, CS = vector << 8. */
static void mkvm_vcpu_do_sipi(struct mkvm_vcpu *vcpu, u8 vector)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	mkvm_ops->get_sregs(vcpu, &sregs);
	sregs.cs.selector = vector << 8;
	sregs.cs.base = (u64)vector << 12;
	mkvm_ops->set_sregs(vcpu, &sregs);
	mkvm_ops->get_regs(vcpu, &regs);
	regs.rip = 0;
	mkvm_ops->set_regs(vcpu, &regs);
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
}

static void mkvm_vcpu_accept_events(struct mkvm_vcpu *vcpu)
{
	unsigned long ev;
	u8 sipi;

	ev = mkvm_lapic_take_events(vcpu, &sipi);
	if (ev & BIT(MKVM_APIC_EV_INIT))
		mkvm_vcpu_do_init(vcpu);
	if ((ev & BIT(MKVM_APIC_EV_SIPI)) &&
	    vcpu->mp_state == KVM_MP_STATE_INIT_RECEIVED)
		mkvm_vcpu_do_sipi(vcpu, sipi);
}

/**
 * mkvm_vcpu_run_uninitialized() - KVM_RUN on an AP that has seen no INIT
 * @vcpu: the vCPU (its mutex held), in KVM_MP_STATE_UNINITIALIZED
 *
 * As KVM: sleep until INIT or SIPI arrives, take it, and return -EAGAIN
 * so that the VMM calls KVM_RUN again (now in INIT_RECEIVED or RUNNABLE).
 *
 * Return: -EAGAIN, or -EINTR with KVM_EXIT_INTR on a signal.
 */
int mkvm_vcpu_run_uninitialized(struct mkvm_vcpu *vcpu)
{
	int r = wait_event_interruptible(vcpu->wq,
					 mkvm_lapic_events_pending(vcpu));

	if (!r)
		mkvm_vcpu_accept_events(vcpu);
	if (r || signal_pending(current)) {
		vcpu->run->exit_reason = KVM_EXIT_INTR;
		return -EINTR;
	}
	return -EAGAIN;
}

/**
 * mkvm_vcpu_wait_runnable() - handle INIT/SIPI, sleep while halted
 * @vcpu: the vCPU (its mutex held), with an in-kernel APIC
 *
 * Return: 0 when the vCPU may enter the guest, -EINTR on a signal.
 */
int mkvm_vcpu_wait_runnable(struct mkvm_vcpu *vcpu)
{
	for (;;) {
		mkvm_vcpu_accept_events(vcpu);
		if (vcpu->mp_state == KVM_MP_STATE_HALTED &&
		    mkvm_vcpu_has_events(vcpu))
			vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
		if (vcpu->mp_state == KVM_MP_STATE_RUNNABLE)
			return 0;
		if (wait_event_interruptible(vcpu->wq,
					     mkvm_vcpu_has_events(vcpu)))
			return -EINTR;
	}
}

/**
 * mkvm_vcpu_get_mp_state() - KVM_GET_MP_STATE
 * @vcpu: the vCPU
 *
 * Return: the KVM_MP_STATE_*; always RUNNABLE without an in-kernel APIC.
 */
int mkvm_vcpu_get_mp_state(struct mkvm_vcpu *vcpu)
{
	return vcpu->lapic ? vcpu->mp_state : KVM_MP_STATE_RUNNABLE;
}

/**
 * mkvm_vcpu_set_mp_state() - KVM_SET_MP_STATE
 * @vcpu:  the vCPU (its mutex held)
 * @state: the requested state
 *
 * Return: 0; -EINVAL for states other than RUNNABLE without an in-kernel
 * APIC, and for states KVM does not accept on x86.
 */
int mkvm_vcpu_set_mp_state(struct mkvm_vcpu *vcpu,
			   const struct kvm_mp_state *state)
{
	switch (state->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
		return 0;
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_HALTED:
	case KVM_MP_STATE_INIT_RECEIVED:
		if (!vcpu->lapic)
			return -EINVAL;
		vcpu->mp_state = state->mp_state;
		return 0;
	case KVM_MP_STATE_SIPI_RECEIVED:
		if (!vcpu->lapic)
			return -EINVAL;
		/* KVM: INIT_RECEIVED with the start-up IPI pending. */
		vcpu->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		mkvm_lapic_pend_sipi(vcpu);
		return 0;
	default:
		return -EINVAL;
	}
}
