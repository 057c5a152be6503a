// SPDX-License-Identifier: GPL-2.0
/*
 * x86/pic.c - the 8259A pair of KVM_CREATE_IRQCHIP, present but inert.
 *
 * KVM_CREATE_IRQCHIP creates a PIC as well as the IOAPIC, so with an
 * in-kernel irqchip the VMM never sees the 8259 ports (20h-21h, A0h-A1h).
 * minikvm claims them too, but models no 8259: reads return FFh and
 * writes are dropped. A guest that probes the PIC the way Linux does
 * (probe_8259A(): write a mask to the IMR at 21h, read it back) sees a
 * mismatch and concludes there is no PIC ("Using NULL legacy PIC"), then
 * uses the IOAPIC and local APICs. GSI routes to the PIC are accepted
 * (KVM's default table has them) and do nothing (irq_routing.c).
 *
 * Spec for what is *not* done: Intel 8259A datasheet (order 231468).
 *
 * Non-goals: ICW/OCW programming, ExtINT delivery through LINT0, ELCR,
 * the PIT; guests that need a working 8259 (DOS, some firmware) do not
 * run with the in-kernel irqchip.
 */
#include <linux/slab.h>

#include "../minikvm.h"

/**
 * struct mkvm_pic - the two claimed port ranges
 * @master: 20h-21h
 * @slave:  A0h-A1h
 */
struct mkvm_pic {
	struct mkvm_io_dev master;
	struct mkvm_io_dev slave;
};

static int pic_read(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
		    u64 addr, unsigned int len, void *val)
{
	memset(val, 0xff, len);
	return 0;
}

static int pic_write(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
		     u64 addr, unsigned int len, const void *val)
{
	return 0;
}

static const struct mkvm_io_dev_ops pic_ops = {
	.read = pic_read,
	.write = pic_write,
};

/**
 * mkvm_pic_create() - claim the 8259 ports
 * @vm: the VM; vm->irq_lock held
 *
 * Return: 0, -ENOMEM or -ENOSPC.
 */
int mkvm_pic_create(struct mkvm *vm)
{
	struct mkvm_pic *pic;
	int r;

	lockdep_assert_held(&vm->irq_lock);
	pic = kzalloc(sizeof(*pic), GFP_KERNEL_ACCOUNT);
	if (!pic)
		return -ENOMEM;
	pic->master = (struct mkvm_io_dev){ .ops = &pic_ops, .addr = 0x20, .len = 2 };
	pic->slave = (struct mkvm_io_dev){ .ops = &pic_ops, .addr = 0xa0, .len = 2 };
	r = mkvm_io_bus_register(vm, MKVM_PIO_BUS, &pic->master);
	if (r)
		goto free;
	r = mkvm_io_bus_register(vm, MKVM_PIO_BUS, &pic->slave);
	if (r) {
		mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pic->master);
		goto free;
	}
	vm->pic = pic;
	return 0;
free:
	kfree(pic);
	return r;
}

/**
 * mkvm_pic_destroy() - take the ports off the bus and free them
 * @vm: the VM; vm->irq_lock held
 */
void mkvm_pic_destroy(struct mkvm *vm)
{
	struct mkvm_pic *pic = vm->pic;

	lockdep_assert_held(&vm->irq_lock);
	if (!pic)
		return;
	mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pic->master);
	mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pic->slave);
	kfree(pic);
	vm->pic = NULL;
}
