// SPDX-License-Identifier: GPL-2.0
/*
 * x86/events.c - the vCPU's event state as the VMM sees it, and the
 * start-up ioctls that only check and keep a value.
 *
 * Documentation/virt/kvm/api.rst:
 *   4.16 KVM_INTERRUPT, 4.64 KVM_NMI: an external interrupt (only for a VMM
 *        with its own interrupt controller) or an NMI for the next entry;
 *   4.31/4.32 KVM_GET/SET_VCPU_EVENTS: the event being injected, the
 *        STI/MOV SS shadow, NMI pending/masked, for saving and restoring
 *        a vCPU;
 *   5 "The kvm_run structure": request_interrupt_window,
 *        KVM_EXIT_IRQ_WINDOW_OPEN, ready_for_interrupt_injection, if_flag,
 *        cr8 and apic_base, the protocol by which such a VMM injects;
 *   4.36 KVM_SET_TSS_ADDR, 4.40 KVM_SET_IDENTITY_MAP_ADDR, 4.55/4.56
 *        KVM_SET/GET_TSC_KHZ.
 * The CPU side: SDM Vol. 3A 6.7-6.9 (NMI blocking, interrupt shadows,
 * priority among events); the vendors' injection fields (APM Vol. 2 15.20
 * EVENTINJ, SDM Vol. 3C 25.8.3) are reached through arch_ops.h.
 *
 * Where an event lives: the one the next entry delivers is in the vendor's
 * injection field (it is also where an event whose delivery an exit
 * interrupted is put back), so KVM_GET_VCPU_EVENTS reads it there. An
 * external interrupt from the VMM waits in vcpu->irq_queued until the
 * guest can take it, and NMIs from the VMM in vcpu->nmi_pending; both go
 * in through the same path as the local APIC's (x86/irq.c).
 *
 * As KVM without KVM_CAP_EXCEPTION_PAYLOAD: every exception is
 * "injected" (minikvm has no "pending" exceptions: an exit handler writes
 * the injection field at once), #BP and #OF are not reported (the ABI has
 * no instruction length for them; RIP still points at INT3/INTO, which
 * re-executes), nor software interrupts.
 *
 * Non-goals: SMM (KVM_VCPUEVENT_VALID_SMM with smm or pending set is
 * refused, as by a KVM built without SMM), exception payloads and triple
 * fault events (their caps are not offered), the SIPI vector (ignored),
 * KVM's TSC catch-up mode (a rate above the host's tolerance is refused
 * here, where KVM without TSC scaling would let the guest TSC run at the
 * host's rate and step it forward at every entry), the VM-wide
 * KVM_SET_TSC_KHZ. TSS and identity-map addresses are kept but unused:
 * minikvm requires unrestricted guest (VMX) or runs real mode natively
 * (SVM), so there is no vm86 real-mode emulation that would need them.
 */
#include <linux/uaccess.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>
#include <asm/tsc.h>

#include "../minikvm.h"
#include "../arch_ops.h"

#define MKVM_NR_INTERRUPTS	256	/* KVM_NR_INTERRUPTS */
#define MKVM_TSC_PPM		250	/* KVM's tsc_tolerance_ppm default */

/**
 * mkvm_events_vcpu_init() - event state of a new vCPU
 * @vcpu: the vCPU, not yet visible
 */
void mkvm_events_vcpu_init(struct mkvm_vcpu *vcpu)
{
	vcpu->irq_queued = -1;
	atomic_set(&vcpu->nmi_pending, 0);
	/* KVM starts every vCPU at the host rate (default_tsc_khz). */
	vcpu->tsc_khz = tsc_khz;
}

/**
 * mkvm_nmi_pending() - is an NMI waiting, from the VMM or the local APIC?
 * @vcpu: the vCPU
 *
 * Return: true when one is.
 */
bool mkvm_nmi_pending(struct mkvm_vcpu *vcpu)
{
	return atomic_read(&vcpu->nmi_pending) ||
	       (vcpu->lapic && mkvm_lapic_nmi_pending(vcpu));
}

/**
 * mkvm_nmi_take() - consume one pending NMI, the VMM's first
 * @vcpu: the vCPU
 */
void mkvm_nmi_take(struct mkvm_vcpu *vcpu)
{
	if (atomic_read(&vcpu->nmi_pending))
		atomic_dec(&vcpu->nmi_pending);
	else if (vcpu->lapic)
		mkvm_lapic_take_nmi(vcpu);
}

/*
 * How many NMIs from the VMM may wait, as KVM's process_nmi(): one being
 * handled and one latched (SDM Vol. 3A 6.7.1), so two unless NMIs are
 * blocked or one is queued for injection already.
 */
static void mkvm_nmi_set_pending(struct mkvm_vcpu *vcpu, unsigned int n)
{
	struct mkvm_event ev;
	unsigned int limit = 2;

	mkvm_ops->get_event(vcpu, &ev);
	if (vcpu->nmi_masked || ev.type == MKVM_EVENT_NMI)
		limit = 1;
	atomic_set(&vcpu->nmi_pending, min(n, limit));
}

/* The guest can take an external interrupt and the VMM may give one. */
static bool mkvm_ready_for_irq(struct mkvm_vcpu *vcpu)
{
	return vcpu->irq_queued < 0 && mkvm_ops->irq_allowed(vcpu);
}

/* A VMM with its own interrupt controller asked for an interrupt window. */
static bool mkvm_window_requested(struct mkvm_vcpu *vcpu)
{
	return !mkvm_irqchip_in_kernel(vcpu->vm) &&
	       READ_ONCE(vcpu->run->request_interrupt_window);
}

/**
 * mkvm_inject_user_events() - the VMM's interrupt, before anything else
 * @vcpu: the vCPU, about to enter the guest (mkvm_inject_pending())
 *
 * An interrupt from KVM_INTERRUPT or KVM_SET_VCPU_EVENTS goes in as soon as
 * the guest can take it. KVM writes it into the injection field even with
 * RFLAGS.IF clear (userspace was to check ready_for_interrupt_injection),
 * which VMX entry would refuse (SDM 26.2.1.3): minikvm waits for the
 * interrupt window instead. Without one pending, an interrupt window
 * requested through kvm_run is opened.
 */
void mkvm_inject_user_events(struct mkvm_vcpu *vcpu)
{
	if (vcpu->irq_queued >= 0) {
		if (mkvm_ops->irq_allowed(vcpu)) {
			mkvm_ops->inject_irq(vcpu, vcpu->irq_queued);
			vcpu->irq_queued = -1;
		} else {
			mkvm_ops->enable_irq_window(vcpu);
		}
	} else if (mkvm_window_requested(vcpu)) {
		mkvm_ops->enable_irq_window(vcpu);
	}
}

/**
 * mkvm_irq_window_open() - end KVM_RUN with KVM_EXIT_IRQ_WINDOW_OPEN?
 * @vcpu: the vCPU, after an exit handled in the kernel
 *
 * As KVM's vcpu_run(): when the VMM asked for the window and the guest can
 * now take an interrupt.
 *
 * Return: true with run->exit_reason set.
 */
bool mkvm_irq_window_open(struct mkvm_vcpu *vcpu)
{
	if (!mkvm_window_requested(vcpu) || !mkvm_ready_for_irq(vcpu))
		return false;
	vcpu->run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
	return true;
}

/**
 * mkvm_post_run_save() - the kvm_run fields KVM fills on every return
 * @vcpu: the vCPU, loaded, at the end of KVM_RUN
 *
 * KVM's post_kvm_run_save(): if_flag, cr8, apic_base and
 * ready_for_interrupt_injection (always 1 with the in-kernel irqchip).
 */
void mkvm_post_run_save(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;

	mkvm_ops->get_regs(vcpu, &regs);
	run->if_flag = !!(regs.rflags & X86_EFLAGS_IF);
	run->apic_base = vcpu->msrs.apic_base;
	if (vcpu->lapic) {
		run->cr8 = mkvm_lapic_get_tpr(vcpu) >> 4;
	} else {
		struct kvm_sregs sregs;

		mkvm_ops->get_sregs(vcpu, &sregs);
		run->cr8 = sregs.cr8;
	}
	run->ready_for_interrupt_injection =
		mkvm_irqchip_in_kernel(vcpu->vm) || mkvm_ready_for_irq(vcpu);
}

static void mkvm_get_vcpu_events(struct mkvm_vcpu *vcpu,
				 struct kvm_vcpu_events *e)
{
	struct mkvm_event ev;

	memset(e, 0, sizeof(*e));
	mkvm_ops->get_event(vcpu, &ev);
	if (ev.type == MKVM_EVENT_EXCEPTION) {
		e->exception.injected = ev.vector != X86_TRAP_BP &&
					ev.vector != X86_TRAP_OF;
		e->exception.nr = ev.vector;
		e->exception.has_error_code = ev.has_error;
		e->exception.error_code = ev.error;
	}
	if (ev.type == MKVM_EVENT_INTR) {
		e->interrupt.injected = 1;
		e->interrupt.nr = ev.vector;
	} else if (vcpu->irq_queued >= 0) {
		e->interrupt.injected = 1;
		e->interrupt.nr = vcpu->irq_queued;
	} else if (ev.type == MKVM_EVENT_SOFT) {
		e->interrupt.nr = ev.vector;	/* KVM: nr, not injected */
	}
	e->interrupt.shadow = mkvm_ops->get_shadow(vcpu);
	e->nmi.injected = ev.type == MKVM_EVENT_NMI;
	e->nmi.pending = mkvm_nmi_pending(vcpu);
	e->nmi.masked = vcpu->nmi_masked;
	e->flags = KVM_VCPUEVENT_VALID_NMI_PENDING |
		   KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
}

#define MKVM_VCPUEVENT_FLAGS						\
	(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
	 KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM |		\
	 KVM_VCPUEVENT_VALID_PAYLOAD | KVM_VCPUEVENT_VALID_TRIPLE_FAULT)

/*
 * KVM_SET_VCPU_EVENTS. Everything is checked before anything changes
 * (KVM refuses SMM and triple-fault state only after applying the rest;
 * the errno is the same).
 */
static int mkvm_set_vcpu_events(struct mkvm_vcpu *vcpu,
				const struct kvm_vcpu_events *e)
{
	struct mkvm_event ev = { .type = MKVM_EVENT_NONE };
	bool smm = e->flags & KVM_VCPUEVENT_VALID_SMM;
	unsigned int nmis;

	if (e->flags & ~MKVM_VCPUEVENT_FLAGS)
		return -EINVAL;
	/* Needs KVM_CAP_EXCEPTION_PAYLOAD, which cannot be enabled here. */
	if (e->flags & KVM_VCPUEVENT_VALID_PAYLOAD)
		return -EINVAL;
	/* exception.pending is ignored without it, as in KVM. */
	if (e->exception.injected &&
	    (e->exception.nr > 31 || e->exception.nr == X86_TRAP_NMI))
		return -EINVAL;
	/* KVM: INIT is latched while in SMM; not from INIT_RECEIVED. */
	if (smm && (e->smi.smm || e->smi.pending) &&
	    vcpu->mp_state == KVM_MP_STATE_INIT_RECEIVED)
		return -EINVAL;
	/* No SMM (KVM_CAP_X86_SMM is 0): KVM built without it says so. */
	if (smm && (e->smi.smm || e->smi.pending || e->smi.smm_inside_nmi))
		return -EINVAL;
	/* KVM_CAP_X86_TRIPLE_FAULT_EVENT is not offered. */
	if (e->flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT)
		return -EINVAL;

	nmis = atomic_read(&vcpu->nmi_pending);
	if (e->flags & KVM_VCPUEVENT_VALID_NMI_PENDING) {
		nmis = e->nmi.pending;
		if (vcpu->lapic)
			mkvm_lapic_take_nmi(vcpu);
	}
	/* The mask first: an injected NMI masks NMIs when it goes in. */
	mkvm_ops->set_nmi_mask(vcpu, e->nmi.masked);
	if (e->exception.injected) {
		ev.type = MKVM_EVENT_EXCEPTION;
		ev.vector = e->exception.nr;
		ev.has_error = e->exception.has_error_code;
		ev.error = e->exception.error_code;
		/* One field: the NMI is delivered after the exception. */
		nmis += e->nmi.injected;
	} else if (e->nmi.injected) {
		ev.type = MKVM_EVENT_NMI;
	}
	mkvm_ops->set_event(vcpu, &ev);
	mkvm_nmi_set_pending(vcpu, nmis);
	/* KVM reports no soft interrupts and re-executes them: drop one. */
	vcpu->irq_queued = e->interrupt.injected && !e->interrupt.soft ?
			   e->interrupt.nr : -1;
	if (e->flags & KVM_VCPUEVENT_VALID_SHADOW)
		mkvm_ops->set_shadow(vcpu, e->interrupt.shadow);
	if (vcpu->lapic)
		mkvm_vcpu_kick(vcpu);	/* re-evaluate, as KVM_REQ_EVENT */
	return 0;
}

/*
 * KVM_SET_TSC_KHZ as KVM's kvm_set_tsc_khz() without TSC scaling: the rate
 * is recorded first (KVM_GET_TSC_KHZ reports it even when refused), then
 * accepted only within the tolerance of the host's rate.
 */
static int mkvm_set_tsc_khz(struct mkvm_vcpu *vcpu, u32 khz)
{
	u32 lo, hi;

	if (!khz)
		khz = tsc_khz;
	if (!khz)
		return -EINVAL;	/* the host TSC was not calibrated */
	vcpu->tsc_khz = khz;
	lo = div_u64((u64)tsc_khz * (1000000 - MKVM_TSC_PPM), 1000000);
	hi = div_u64((u64)tsc_khz * (1000000 + MKVM_TSC_PPM), 1000000);
	return khz >= lo && khz <= hi ? 0 : -EINVAL;
}

/**
 * mkvm_events_vcpu_ioctl() - the vCPU ioctls of this file
 * @vcpu:  the vCPU, loaded, its mutex held
 * @ioctl: KVM_NMI, KVM_INTERRUPT, KVM_GET/SET_VCPU_EVENTS,
 *	   KVM_GET/SET_TSC_KHZ or KVM_KVMCLOCK_CTRL
 * @arg:   the ioctl's argument
 *
 * Return: 0, the TSC rate for KVM_GET_TSC_KHZ, or KVM's errno: -EFAULT;
 * -EINVAL for an interrupt vector above 255, unknown or unsupported
 * event flags and bad exception vectors, a TSC rate out of tolerance, or
 * KVM_KVMCLOCK_CTRL before the guest enabled kvmclock; -ENXIO for
 * KVM_INTERRUPT with the in-kernel irqchip.
 */
long mkvm_events_vcpu_ioctl(struct mkvm_vcpu *vcpu, unsigned int ioctl,
			    unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	struct kvm_vcpu_events e;

	lockdep_assert_held(&vcpu->mutex);
	switch (ioctl) {
	case KVM_NMI:
		mkvm_nmi_set_pending(vcpu, atomic_read(&vcpu->nmi_pending) + 1);
		return 0;
	case KVM_INTERRUPT: {
		struct kvm_interrupt irq;

		if (copy_from_user(&irq, argp, sizeof(irq)))
			return -EFAULT;
		if (irq.irq >= MKVM_NR_INTERRUPTS)
			return -EINVAL;
		/* The irqchip (so the 8259) is in the kernel: KVM says */
		if (mkvm_irqchip_in_kernel(vcpu->vm))
			return -ENXIO;
		vcpu->irq_queued = irq.irq;
		return 0;
	}
	case KVM_GET_VCPU_EVENTS:
		mkvm_get_vcpu_events(vcpu, &e);
		return copy_to_user(argp, &e, sizeof(e)) ? -EFAULT : 0;
	case KVM_SET_VCPU_EVENTS:
		if (copy_from_user(&e, argp, sizeof(e)))
			return -EFAULT;
		return mkvm_set_vcpu_events(vcpu, &e);
	case KVM_SET_TSC_KHZ:
		return mkvm_set_tsc_khz(vcpu, (u32)arg);
	case KVM_GET_TSC_KHZ:
		return vcpu->tsc_khz;
	case KVM_KVMCLOCK_CTRL:
		return mkvm_kvmclock_ctrl(vcpu);
	default:
		return -EINVAL;	/* kvm_arch_vcpu_ioctl()'s answer */
	}
}

/**
 * mkvm_events_vm_ioctl() - KVM_SET_TSS_ADDR, KVM_SET_IDENTITY_MAP_ADDR
 * @vm:    the VM
 * @ioctl: which
 * @arg:   the TSS address, or a pointer to the u64 identity-map address
 *
 * Context: process context; takes vm->lock.
 * Return: 0; -EINVAL for a TSS whose three pages would not fit below
 * 4 GiB, or an identity map set once vCPUs exist (KVM checks that before
 * reading the argument); -EFAULT.
 */
long mkvm_events_vm_ioctl(struct mkvm *vm, unsigned int ioctl,
			  unsigned long arg)
{
	long r;
	u64 a;

	if (ioctl == KVM_SET_TSS_ADDR) {
		if (arg > (unsigned int)(-3 * PAGE_SIZE))
			return -EINVAL;
		WRITE_ONCE(vm->tss_addr, arg);
		return 0;
	}
	mutex_lock(&vm->lock);
	r = -EINVAL;
	if (vm->nr_vcpus)
		goto out;
	r = -EFAULT;
	if (copy_from_user(&a, (void __user *)arg, sizeof(a)))
		goto out;
	vm->identity_map_addr = a;
	r = 0;
out:
	mutex_unlock(&vm->lock);
	return r;
}
