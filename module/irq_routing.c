// SPDX-License-Identifier: GPL-2.0
/*
 * irq_routing.c - GSIs: from a line number to the interrupt controller
 * input or MSI message it stands for (api.rst 4.52 "KVM_SET_GSI_ROUTING",
 * 4.25 "KVM_IRQ_LINE", 4.71 "KVM_SIGNAL_MSI").
 *
 * KVM_CREATE_IRQCHIP installs KVM's default table: GSI n goes to IOAPIC
 * pin n (n < 24) and, for n < 16, to the 8259 input n as well (x86/pic.c;
 * a guest uses one of the two, the other has the pin masked).
 * KVM_SET_GSI_ROUTING replaces the whole table; readers (KVM_IRQ_LINE,
 * irqfd wakeups in hard-irq context) use RCU, so a replacement never
 * waits for them beyond a grace period.
 *
 * An MSI is decoded as the x86 MSI format (Intel SDM Vol. 3A 11.11.1,
 * "Message Address Register Format", 11.11.2 "Message Data Register
 * Format") into an APIC message for x86/lapic.c.
 *
 * Non-goals: KVM_MSI_VALID_DEVID (ARM ITS), s390/Hyper-V/Xen route types,
 * extended destination IDs (bits 11:5 of the address), the line status of
 * KVM_IRQ_LINE_STATUS beyond "delivered or not".
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "minikvm.h"

static struct mkvm_irq_routing *mkvm_routing(struct mkvm *vm)
{
	return rcu_dereference_protected(vm->routing,
					 lockdep_is_held(&vm->irq_lock));
}

/* KVM's setup_routing_entry() rules, one entry. */
static int mkvm_check_route(const struct kvm_irq_routing_entry *e)
{
	if (e->gsi >= MKVM_MAX_IRQ_ROUTES || e->flags)
		return -EINVAL;
	switch (e->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		switch (e->u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_MASTER:
		case KVM_IRQCHIP_PIC_SLAVE:
			return e->u.irqchip.pin < 8 ? 0 : -EINVAL;
		case KVM_IRQCHIP_IOAPIC:
			return e->u.irqchip.pin < MKVM_IOAPIC_PINS ? 0 : -EINVAL;
		default:
			return -EINVAL;
		}
	case KVM_IRQ_ROUTING_MSI:
		return 0;
	default:
		return -EINVAL;
	}
}

static int mkvm_routing_install(struct mkvm *vm, struct mkvm_irq_routing *new)
{
	struct mkvm_irq_routing *old;
	u32 i, j;

	for (i = 0; i < new->nr; i++) {
		const struct kvm_irq_routing_entry *e = &new->entries[i];
		int r = mkvm_check_route(e);

		if (r)
			return r;
		/*
		 * One entry per irqchip per GSI; an MSI GSI has nothing else
		 * (KVM: "Allow only one to one mapping between GSI and
		 * non-irqchip routing").
		 */
		for (j = 0; j < i; j++) {
			const struct kvm_irq_routing_entry *o = &new->entries[j];

			if (o->gsi != e->gsi)
				continue;
			if (o->type != KVM_IRQ_ROUTING_IRQCHIP ||
			    e->type != KVM_IRQ_ROUTING_IRQCHIP ||
			    o->u.irqchip.irqchip == e->u.irqchip.irqchip)
				return -EINVAL;
		}
	}
	mutex_lock(&vm->irq_lock);
	old = mkvm_routing(vm);
	rcu_assign_pointer(vm->routing, new);
	mutex_unlock(&vm->irq_lock);
	synchronize_rcu();
	kvfree(old);
	return 0;
}

/**
 * mkvm_set_gsi_routing() - KVM_SET_GSI_ROUTING
 * @vm:   the VM (its irqchip exists)
 * @argp: struct kvm_irq_routing in userspace
 *
 * Return: 0, -EINVAL for more than MKVM_MAX_IRQ_ROUTES entries, flags, or
 * an entry KVM would refuse, -EFAULT, -ENOMEM.
 */
int mkvm_set_gsi_routing(struct mkvm *vm, struct kvm_irq_routing __user *argp)
{
	struct mkvm_irq_routing *new;
	struct kvm_irq_routing hdr;
	int r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nr > MKVM_MAX_IRQ_ROUTES || hdr.flags)
		return -EINVAL;
	new = kvzalloc(struct_size(new, entries, hdr.nr), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->nr = hdr.nr;
	if (copy_from_user(new->entries, argp->entries,
			   hdr.nr * sizeof(new->entries[0]))) {
		kvfree(new);
		return -EFAULT;
	}
	r = mkvm_routing_install(vm, new);
	if (r)
		kvfree(new);
	return r;
}

/**
 * mkvm_routing_default() - KVM's default table (GSI n -> PIC n, IOAPIC n)
 * @vm: the VM, from KVM_CREATE_IRQCHIP
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_routing_default(struct mkvm *vm)
{
	struct mkvm_irq_routing *t;
	u32 gsi, n = 0;
	int r;

	t = kvzalloc(struct_size(t, entries, MKVM_IOAPIC_PINS + 16),
		     GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	for (gsi = 0; gsi < MKVM_IOAPIC_PINS; gsi++) {
		struct kvm_irq_routing_entry *e;

		if (gsi < 16) {
			e = &t->entries[n++];
			e->gsi = gsi;
			e->type = KVM_IRQ_ROUTING_IRQCHIP;
			e->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
							 KVM_IRQCHIP_PIC_SLAVE;
			e->u.irqchip.pin = gsi % 8;
		}
		e = &t->entries[n++];
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = gsi;
	}
	t->nr = n;
	r = mkvm_routing_install(vm, t);
	if (r)
		kvfree(t);
	return r;
}

/** mkvm_routing_destroy() - free the table of a dying VM */
void mkvm_routing_destroy(struct mkvm *vm)
{
	kvfree(rcu_dereference_protected(vm->routing, 1));
}

/* SDM Vol. 3A 11.11.1-2: address FEEx_xxxx, data vector/mode/trigger. */
static int mkvm_deliver_msi(struct mkvm *vm, u32 addr_lo, u32 data)
{
	struct mkvm_apic_irq irq = {
		.dest = (addr_lo >> 12) & 0xff,
		.logical = addr_lo & BIT(2),
		.vector = data & 0xff,
		.delivery_mode = (data >> 8) & 7,
		.level = true,
		.trig_level = data & BIT(15),
	};

	return mkvm_apic_deliver(vm, NULL, &irq);
}

/**
 * mkvm_set_irq() - raise or lower a GSI
 * @vm:    the VM
 * @src:   MKVM_IRQ_SRC_*: each source's level is kept apart and OR-ed
 * @gsi:   the GSI
 * @level: asserted or not; an MSI route fires on assert only
 *
 * Context: any; takes only spinlocks (irqfd wakeups call it in hard-irq
 * context).
 * Return: like KVM's kvm_set_irq(): the sum over the GSI's routes that
 * were not masked (each 1 delivered, 0 coalesced), -1 when every route
 * was masked or there is none.
 */
int mkvm_set_irq(struct mkvm *vm, int src, u32 gsi, bool level)
{
	struct mkvm_irq_routing *t;
	int r = -1, ret;
	u32 i;

	rcu_read_lock();
	t = rcu_dereference(vm->routing);
	for (i = 0; t && i < t->nr; i++) {
		const struct kvm_irq_routing_entry *e = &t->entries[i];

		if (e->gsi != gsi)
			continue;
		if (e->type == KVM_IRQ_ROUTING_MSI) {
			if (!level)
				continue;
			ret = mkvm_deliver_msi(vm, e->u.msi.address_lo,
					       e->u.msi.data);
		} else if (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			ret = mkvm_ioapic_set_irq(vm, e->u.irqchip.pin, src,
						  level);
		} else {
			ret = mkvm_pic_set_irq(vm, e->u.irqchip.pin +
					       (e->u.irqchip.irqchip ==
						KVM_IRQCHIP_PIC_SLAVE ? 8 : 0),
					       src, level);
		}
		if (ret >= 0)
			r = max(r, 0) + ret;
	}
	rcu_read_unlock();
	return r;
}

/**
 * mkvm_gsi_is_ioapic_pin() - does @gsi route to IOAPIC pin @pin?
 * @vm:  the VM
 * @gsi: the GSI
 * @pin: the pin
 *
 * Return: true when the routing table has that entry.
 */
bool mkvm_gsi_is_ioapic_pin(struct mkvm *vm, u32 gsi, unsigned int pin)
{
	struct mkvm_irq_routing *t;
	bool hit = false;
	u32 i;

	rcu_read_lock();
	t = rcu_dereference(vm->routing);
	for (i = 0; t && i < t->nr && !hit; i++) {
		const struct kvm_irq_routing_entry *e = &t->entries[i];

		hit = e->gsi == gsi && e->type == KVM_IRQ_ROUTING_IRQCHIP &&
		      e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC &&
		      e->u.irqchip.pin == pin;
	}
	rcu_read_unlock();
	return hit;
}

/**
 * mkvm_signal_msi() - KVM_SIGNAL_MSI
 * @vm:  the VM (its irqchip exists)
 * @msi: copied from userspace
 *
 * Return: the number of vCPUs it was delivered to, or -1 (KVM returns -1
 * too, which userspace sees as EPERM) when no APIC matched; -EINVAL for
 * flags.
 */
int mkvm_signal_msi(struct mkvm *vm, const struct kvm_msi *msi)
{
	/* KVM accepts (and on x86 ignores) a device ID. */
	if (msi->flags & ~KVM_MSI_VALID_DEVID)
		return -EINVAL;
	return mkvm_deliver_msi(vm, msi->address_lo, msi->data);
}
