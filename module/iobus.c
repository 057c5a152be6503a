// SPDX-License-Identifier: GPL-2.0
/*
 * iobus.c - the in-kernel I/O bus: devices that answer a guest's port I/O
 * or MMIO access inside the kernel, before it would become a KVM_EXIT_IO or
 * KVM_EXIT_MMIO for userspace.
 *
 * Two buses per VM (port I/O, MMIO), as KVM's kvm_io_bus. Each is an
 * array of ranges replaced as a whole under vm->irq_lock and read under
 * RCU from the exit path, so a lookup takes no lock and registration never
 * waits for a running vCPU longer than one grace period. Several devices
 * may cover the same address (ioeventfds with different datamatch values,
 * an ioeventfd inside a coalesced zone): they are asked in order until one
 * accepts the access. The order is KVM's (kvm_io_bus_register_dev() keeps
 * its array sorted): by first address, ranges starting together by their
 * end, ties in registration order. So an ioeventfd inside a coalesced zone
 * comes after the zone, which takes the write into its ring, and one at the
 * zone's first address comes before it.
 *
 * Users: ioeventfds (eventfd.c), coalesced MMIO/PIO zones (coalesced.c),
 * the IOAPIC's MMIO window (x86/ioapic.c) and the inert PIC ports
 * (x86/pic.c). The local APIC's page is per vCPU and checked before the bus
 * (x86/mmio.c).
 *
 * Non-goals: KVM's binary search (the buses here hold a handful of
 * devices; a linear walk asks every device that covers the access, where
 * KVM's search can miss one of several nested ranges), INS from in-kernel
 * devices.
 */
#include <linux/slab.h>
#include <linux/rcupdate.h>

#include "minikvm.h"

static bool mkvm_io_dev_hit(const struct mkvm_io_dev *d, u64 addr,
			    unsigned int len)
{
	/* A zero-length device matches accesses that start at its address. */
	if (!d->len)
		return addr == d->addr;
	return addr >= d->addr && addr + len <= d->addr + d->len;
}

/*
 * Does @new go before @old? KVM's kvm_io_bus_cmp(old, new) > 0: @old starts
 * at or after @new and ends after it (a zero-length @new: starts after it).
 */
static bool mkvm_io_dev_before(const struct mkvm_io_dev *new,
			       const struct mkvm_io_dev *old)
{
	if (old->addr < new->addr)
		return false;
	if (!new->len)
		return old->addr > new->addr;
	return old->addr + old->len > new->addr + new->len;
}

static struct mkvm_io_bus *mkvm_bus(struct mkvm *vm, enum mkvm_bus bus)
{
	return rcu_dereference_protected(vm->buses[bus],
					 lockdep_is_held(&vm->irq_lock));
}

/**
 * mkvm_io_bus_register() - add a device to one of the VM's buses
 * @vm:  the VM
 * @bus: MKVM_PIO_BUS or MKVM_MMIO_BUS
 * @dev: the device; stays registered until mkvm_io_bus_unregister()
 *
 * Context: process context, vm->irq_lock held.
 * Return: 0, -ENOSPC past MKVM_MAX_BUS_DEVS devices, -ENOMEM.
 */
int mkvm_io_bus_register(struct mkvm *vm, enum mkvm_bus bus,
			 struct mkvm_io_dev *dev)
{
	struct mkvm_io_bus *old, *new;
	unsigned int n, i;

	lockdep_assert_held(&vm->irq_lock);
	old = mkvm_bus(vm, bus);
	n = old ? old->n : 0;
	if (n >= MKVM_MAX_BUS_DEVS)
		return -ENOSPC;
	new = kmalloc(struct_size(new, devs, n + 1), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	for (i = 0; i < n && !mkvm_io_dev_before(dev, old->devs[i]); i++)
		new->devs[i] = old->devs[i];
	new->devs[i] = dev;
	for (; i < n; i++)
		new->devs[i + 1] = old->devs[i];
	new->n = n + 1;
	rcu_assign_pointer(vm->buses[bus], new);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/**
 * mkvm_io_bus_unregister() - remove a device; no vCPU uses it on return
 * @vm:  the VM
 * @bus: the bus it was registered on
 * @dev: the device
 *
 * Removal never fails: the shorter array is built in place of the old one
 * (it fits), and a grace period passes before returning, so the caller may
 * free @dev.
 *
 * Context: process context, vm->irq_lock held; sleeps.
 */
void mkvm_io_bus_unregister(struct mkvm *vm, enum mkvm_bus bus,
			    struct mkvm_io_dev *dev)
{
	struct mkvm_io_bus *old, *new;
	unsigned int i, j;

	lockdep_assert_held(&vm->irq_lock);
	old = mkvm_bus(vm, bus);
	if (!old)
		return;
	new = kmalloc(struct_size(new, devs, old->n), GFP_KERNEL_ACCOUNT);
	if (!new) {
		/* Fall back to waiting for readers and editing in place. */
		for (i = 0, j = 0; i < old->n; i++)
			if (old->devs[i] != dev)
				WRITE_ONCE(old->devs[j++], old->devs[i]);
		WRITE_ONCE(old->n, j);
		synchronize_rcu_expedited();
		return;
	}
	for (i = 0, j = 0; i < old->n; i++)
		if (old->devs[i] != dev)
			new->devs[j++] = old->devs[i];
	new->n = j;
	rcu_assign_pointer(vm->buses[bus], new);
	/*
	 * Expedited, as KVM's kvm_io_bus_unregister_dev(): a VMM deassigns
	 * its ioeventfds one by one (virtio resets, teardown), and a normal
	 * grace period each made that take seconds.
	 */
	synchronize_rcu_expedited();
	kfree(old);
}

/**
 * mkvm_io_bus_write() - offer a guest write to the in-kernel devices
 * @vcpu: the vCPU that wrote
 * @bus:  which bus
 * @addr: port or guest-physical address
 * @len:  1, 2, 4 or 8
 * @val:  the bytes written
 *
 * Context: any; the devices' handlers do not sleep.
 * Return: 0 when a device took it, -EOPNOTSUPP when userspace must.
 */
int mkvm_io_bus_write(struct mkvm_vcpu *vcpu, enum mkvm_bus bus, u64 addr,
		      unsigned int len, const void *val)
{
	struct mkvm_io_bus *b;
	int r = -EOPNOTSUPP;
	unsigned int i;

	rcu_read_lock();
	b = rcu_dereference(vcpu->vm->buses[bus]);
	for (i = 0; b && i < READ_ONCE(b->n); i++) {
		struct mkvm_io_dev *d = READ_ONCE(b->devs[i]);

		if (mkvm_io_dev_hit(d, addr, len) && d->ops->write &&
		    !d->ops->write(vcpu, d, addr, len, val)) {
			r = 0;
			break;
		}
	}
	rcu_read_unlock();
	return r;
}

/**
 * mkvm_io_bus_read() - offer a guest read to the in-kernel devices
 * @vcpu: the vCPU that read
 * @bus:  which bus
 * @addr: port or guest-physical address
 * @len:  1, 2, 4 or 8
 * @val:  filled with @len bytes when a device answers
 *
 * Return: 0 when a device answered, -EOPNOTSUPP when userspace must.
 */
int mkvm_io_bus_read(struct mkvm_vcpu *vcpu, enum mkvm_bus bus, u64 addr,
		     unsigned int len, void *val)
{
	struct mkvm_io_bus *b;
	int r = -EOPNOTSUPP;
	unsigned int i;

	rcu_read_lock();
	b = rcu_dereference(vcpu->vm->buses[bus]);
	for (i = 0; b && i < READ_ONCE(b->n); i++) {
		struct mkvm_io_dev *d = READ_ONCE(b->devs[i]);

		if (mkvm_io_dev_hit(d, addr, len) && d->ops->read &&
		    !d->ops->read(vcpu, d, addr, len, val)) {
			r = 0;
			break;
		}
	}
	rcu_read_unlock();
	return r;
}

/**
 * mkvm_io_bus_destroy() - free the bus arrays at VM destruction
 * @vm: the VM; every device has been unregistered or is freed by its owner
 */
void mkvm_io_bus_destroy(struct mkvm *vm)
{
	int i;

	for (i = 0; i < MKVM_NR_BUSES; i++)
		kfree(rcu_dereference_protected(vm->buses[i], 1));
}
