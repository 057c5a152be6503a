// SPDX-License-Identifier: GPL-2.0
/*
 * coalesced.c - coalesced MMIO and PIO: guest writes that land in a ring
 * shared with userspace instead of exiting (Documentation/virt/kvm/api.rst
 * 4.116 KVM_(UN)REGISTER_COALESCED_MMIO, KVM_CAP_COALESCED_MMIO and
 * KVM_CAP_COALESCED_PIO; the ring's page is described in api.rst 4.6,
 * KVM_GET_VCPU_MMAP_SIZE).
 *
 * A VMM registers zones (guest-physical ranges, or port ranges with
 * pio = 1) where a write may be deferred: a device register whose writes
 * matter only when the device is next read or another register is
 * written. Each zone is a device on the VM's MMIO or PIO bus (iobus.c).
 * A guest write that falls entirely inside a zone is appended to the VM's
 * ring (struct kvm_coalesced_mmio_ring, one page, KVM_COALESCED_MMIO_MAX
 * entries) and the guest goes on without leaving KVM_RUN; userspace drains
 * the ring whenever KVM_RUN returns, before it handles the exit, so the
 * device sees the writes in order. Reads are never deferred: the zone has
 * no read handler and a read exits as usual. A full ring declines the
 * write, which then exits to userspace like any other, as in KVM.
 *
 * The ring protocol (KVM's): entries [first, last) are full; the kernel
 * produces at @last and userspace consumes at @first; one entry always
 * stays free, so first == last means empty. Every vCPU of the VM writes
 * the same ring, so producers are serialised by vm->ring_lock, and the
 * entry is written before @last moves (smp_wmb(), which pairs with the
 * consumer's read barrier between reading @last and the entry).
 *
 * Trust: the ring page is mapped writable into the VMM (vcpu.c's mmap
 * fault handler hands it out at KVM_COALESCED_MMIO_PAGE_OFFSET of every
 * vCPU fd), so @first and @last are whatever a hostile process last wrote.
 * Each is read once per write; only @last indexes the ring, and a value
 * out of range declines the write (an ordinary exit), as KVM does.
 *
 * Zones are added and removed under vm->irq_lock like every bus device;
 * vCPUs find them under RCU, and a zone is freed only after the grace
 * period mkvm_io_bus_unregister() waits for, so a zone can go while vCPUs
 * write to it.
 *
 * Non-goals: a ring per zone or per vCPU (KVM has one per VM), coalescing
 * string writes (REP OUTS to a PIO zone is coalesced element by element
 * through x86/pio.c; MOVS to MMIO is not emulated at all).
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/kvm.h>

#include "minikvm.h"

/**
 * struct mkvm_coalesced_zone - one KVM_REGISTER_COALESCED_MMIO zone
 * @dev:  its device on the MMIO or PIO bus
 * @list: [irq_lock] in vm->coalesced_zones
 * @zone: [c] as userspace registered it (addr, size, pio)
 */
struct mkvm_coalesced_zone {
	struct mkvm_io_dev dev;
	struct list_head list;
	struct kvm_coalesced_mmio_zone zone;
};

/*
 * Is [@addr, @addr + @len) entirely inside @z? KVM's
 * coalesced_mmio_in_range(): a range that wraps is never inside, nor is
 * anything when the zone's own end wraps.
 */
static bool mkvm_zone_covers(const struct kvm_coalesced_mmio_zone *z,
			     u64 addr, u32 len)
{
	return addr + len >= addr && addr >= z->addr &&
	       addr + len <= z->addr + z->size;
}

static int mkvm_coalesced_write(struct mkvm_vcpu *vcpu,
				struct mkvm_io_dev *dev, u64 addr,
				unsigned int len, const void *val)
{
	struct mkvm_coalesced_zone *z =
		container_of(dev, struct mkvm_coalesced_zone, dev);
	struct mkvm *vm = vcpu->vm;
	struct kvm_coalesced_mmio_ring *ring = vm->coalesced_ring;
	struct kvm_coalesced_mmio *e;
	u32 first, last;

	/* The bus matched the range; a size-0 zone still takes nothing. */
	if (!mkvm_zone_covers(&z->zone, addr, len) ||
	    len > sizeof(e->data))
		return -EOPNOTSUPP;

	spin_lock(&vm->ring_lock);
	first = READ_ONCE(ring->first);
	last = READ_ONCE(ring->last);
	/*
	 * @last is the index and must be in range. Full when the entry after
	 * it is @first (whatever @first holds, it only decides "room or
	 * not"). This is today's KVM; 6.1 computed (first - last - 1) %
	 * KVM_COALESCED_MMIO_MAX in u32, which wraps to "full" at 85 entries
	 * when @first is 0 (fixed in 6.12 by commit 92f6d4130497, "KVM:
	 * Fix coalesced_mmio_has_room() to avoid premature userspace exit").
	 */
	if (last >= KVM_COALESCED_MMIO_MAX ||
	    (last + 1) % KVM_COALESCED_MMIO_MAX == first) {
		spin_unlock(&vm->ring_lock);
		return -EOPNOTSUPP;
	}
	e = &ring->coalesced_mmio[last];
	e->phys_addr = addr;
	e->len = len;
	e->pio = z->zone.pio;
	memset(e->data, 0, sizeof(e->data));
	memcpy(e->data, val, len);
	/* The entry is complete before userspace can see it. */
	smp_wmb();
	WRITE_ONCE(ring->last, (last + 1) % KVM_COALESCED_MMIO_MAX);
	spin_unlock(&vm->ring_lock);
	return 0;
}

static const struct mkvm_io_dev_ops mkvm_coalesced_ops = {
	.write = mkvm_coalesced_write,
};

static enum mkvm_bus mkvm_zone_bus(const struct kvm_coalesced_mmio_zone *z)
{
	return z->pio ? MKVM_PIO_BUS : MKVM_MMIO_BUS;
}

/*
 * KVM_REGISTER_COALESCED_MMIO. As in KVM, zones may overlap each other and
 * any other device: the bus order decides (iobus.c).
 */
static int mkvm_coalesced_register(struct mkvm *vm,
				   const struct kvm_coalesced_mmio_zone *zone)
{
	struct mkvm_coalesced_zone *z;
	int r;

	z = kzalloc(sizeof(*z), GFP_KERNEL_ACCOUNT);
	if (!z)
		return -ENOMEM;
	z->zone = *zone;
	z->dev.ops = &mkvm_coalesced_ops;
	z->dev.addr = zone->addr;
	z->dev.len = zone->size;

	mutex_lock(&vm->irq_lock);
	r = mkvm_io_bus_register(vm, mkvm_zone_bus(zone), &z->dev);
	if (!r)
		list_add_tail(&z->list, &vm->coalesced_zones);
	mutex_unlock(&vm->irq_lock);
	if (r)
		kfree(z);
	return r;
}

/*
 * KVM_UNREGISTER_COALESCED_MMIO removes every zone of the same kind that
 * contains the given range, whole; a range that only overlaps a zone, or
 * matches none, removes nothing and still succeeds (KVM's
 * kvm_vm_ioctl_unregister_coalesced_mmio()). KVM compares with the size as
 * an int, so a size of 2 GiB or more matches nothing.
 */
static int mkvm_coalesced_unregister(struct mkvm *vm,
				     const struct kvm_coalesced_mmio_zone *zone)
{
	struct mkvm_coalesced_zone *z, *tmp;

	if (zone->size > INT_MAX)
		return 0;
	mutex_lock(&vm->irq_lock);
	list_for_each_entry_safe(z, tmp, &vm->coalesced_zones, list) {
		if (z->zone.pio != zone->pio ||
		    !mkvm_zone_covers(&z->zone, zone->addr, zone->size))
			continue;
		list_del(&z->list);
		/* Waits for a grace period: no vCPU still writes to @z. */
		mkvm_io_bus_unregister(vm, mkvm_zone_bus(&z->zone), &z->dev);
		kfree(z);
	}
	mutex_unlock(&vm->irq_lock);
	return 0;
}

/**
 * mkvm_coalesced_ioctl() - KVM_REGISTER/UNREGISTER_COALESCED_MMIO
 * @vm:    the VM
 * @ioctl: which of the two
 * @argp:  struct kvm_coalesced_mmio_zone in userspace
 *
 * Context: process context; takes vm->irq_lock.
 * Return: 0; -EFAULT; -EINVAL when pio is neither 0 nor 1; for register
 * -ENOSPC when the bus is full (MKVM_MAX_BUS_DEVS), -ENOMEM.
 */
long mkvm_coalesced_ioctl(struct mkvm *vm, unsigned int ioctl,
			  void __user *argp)
{
	struct kvm_coalesced_mmio_zone zone;

	if (copy_from_user(&zone, argp, sizeof(zone)))
		return -EFAULT;
	if (zone.pio > 1)
		return -EINVAL;
	if (ioctl == KVM_REGISTER_COALESCED_MMIO)
		return mkvm_coalesced_register(vm, &zone);
	return mkvm_coalesced_unregister(vm, &zone);
}

/**
 * mkvm_coalesced_init() - the VM's ring page, at VM creation
 * @vm: the VM being created
 *
 * Allocated up front, as KVM does, so every vCPU's mmap finds it.
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_coalesced_init(struct mkvm *vm)
{
	spin_lock_init(&vm->ring_lock);
	INIT_LIST_HEAD(&vm->coalesced_zones);
	vm->coalesced_ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return vm->coalesced_ring ? 0 : -ENOMEM;
}

/**
 * mkvm_coalesced_destroy() - free the zones and the ring
 * @vm: the VM; no vCPU runs and no fd is open (so nothing maps the ring)
 *
 * Also undoes a partial mkvm_coalesced_init().
 */
void mkvm_coalesced_destroy(struct mkvm *vm)
{
	struct mkvm_coalesced_zone *z, *tmp;

	/* The bus arrays go with the irqchip (mkvm_io_bus_destroy()). */
	list_for_each_entry_safe(z, tmp, &vm->coalesced_zones, list)
		kfree(z);
	free_page((unsigned long)vm->coalesced_ring);
}
