// SPDX-License-Identifier: GPL-2.0
/*
 * x86/pic.c - the 8259A pair of KVM_CREATE_IRQCHIP: ports, locking,
 * delivery to the BSP's LINT0, and KVM_GET/SET_IRQCHIP for its two chips.
 *
 * The chips themselves are the pure state machine of x86/i8259.c (Intel
 * 8259A datasheet, order 231468); this file puts it on the PIO bus (20h-21h,
 * A0h-A1h, ELCR 4D0h-4D1h), feeds it from GSI routes to
 * KVM_IRQCHIP_PIC_MASTER/SLAVE (irq_routing.c) and connects its INT output
 * to the CPU. That connection is the local APIC's LINT0 in virtual-wire
 * mode (Intel SDM Vol. 3A 10.5.1 "Local Vector Table": delivery mode
 * ExtINT, "the processor ... responds to the interrupt as if it
 * originated in an externally connected (8259A-compatible) interrupt
 * controller", and MultiProcessor Specification 1.4 3.6.2.2 "Virtual Wire
 * Mode"), or the CPU's INTR pin directly when the APIC is hardware-disabled
 * (SDM 10.4.3). As KVM's kvm_apic_accept_pic_intr(): LVT0 unmasked with
 * delivery mode ExtINT, or IA32_APIC_BASE.EN clear. Only the BSP (vCPU id
 * 0) is wired: virtual-wire mode programs only its LINT0, and a second
 * vCPU acknowledging the same INT would hand the guest a spurious IRQ 7.
 *
 * An ExtINT bypasses the APIC's IRR, ISR and TPR (SDM 10.8.1); x86/irq.c
 * gives it precedence over the APIC's own vectors, as KVM, and takes the
 * vector from the PIC's interrupt acknowledge (mkvm_pic_read_irq()) only
 * when it injects: an interrupt that went away meanwhile becomes the
 * spurious IR7 vector, as on hardware.
 *
 * The PIC stays inert until a guest programs it: INT is held low until an
 * ICW1 sequence completes (i8259.c). Linux's probe_8259A() (an IMR write
 * and read-back) finds the chip, as on KVM; kernels booted by mkvm never
 * probe, since its FADT sets HW_REDUCED_ACPI and Linux then uses the null
 * legacy PIC without touching the ports.
 *
 * Locking: @lock (a spinlock, interrupts off: irqfd wakeups raise pins in
 * hard-irq context) protects the pair. It nests inside the eventfd
 * wait-queue lock and takes no other lock; kicks happen after it is
 * dropped.
 *
 * Non-goals: ack notifiers (a resampling irqfd on a PIC-only route is not
 * resampled at the PIC's EOI), more than the BSP taking ExtINT, KVM's
 * "pic: non byte read/write" messages.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../minikvm.h"
#include "i8259.h"

/**
 * struct mkvm_pic - the in-kernel 8259A pair
 * @master: I/O bus device for 20h-21h
 * @slave:  A0h-A1h
 * @elcr:   4D0h-4D1h
 * @vm:     the VM
 * @lock:   protects @pair
 * @pair:   the two chips (i8259.c)
 */
struct mkvm_pic {
	struct mkvm_io_dev master;
	struct mkvm_io_dev slave;
	struct mkvm_io_dev elcr;
	struct mkvm *vm;
	spinlock_t lock;	/* see @lock above */
	struct mkvm_8259_pair pair;
};

/* The vCPU whose LINT0 the PIC drives: the BSP, id 0. */
static struct mkvm_vcpu *pic_bsp(struct mkvm *vm)
{
	/* Pairs with the release in mkvm_vcpu_create(): vcpus[] is filled. */
	unsigned int i, n = smp_load_acquire(&vm->nr_vcpus);

	for (i = 0; i < n; i++)
		if (vm->vcpus[i]->id == 0)
			return vm->vcpus[i];
	return NULL;
}

/* After the lock is dropped: if INT rose, wake the BSP to take it. */
static void pic_kick(struct mkvm_pic *pic, bool was, bool now)
{
	struct mkvm_vcpu *bsp;

	if (!now || was)
		return;
	bsp = pic_bsp(pic->vm);
	if (bsp && bsp->lapic && mkvm_lapic_accepts_extint(bsp))
		mkvm_vcpu_kick(bsp);
}

static struct mkvm_pic *dev_to_pic(struct mkvm_io_dev *dev)
{
	if (dev->addr == 0x20)
		return container_of(dev, struct mkvm_pic, master);
	if (dev->addr == 0xa0)
		return container_of(dev, struct mkvm_pic, slave);
	return container_of(dev, struct mkvm_pic, elcr);
}

static int pic_read(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
		    u64 addr, unsigned int len, void *val)
{
	struct mkvm_pic *pic = dev_to_pic(dev);
	unsigned long flags;
	bool was, now;

	/* KVM: a wider access reads as zeros. */
	memset(val, 0, len);
	if (len != 1)
		return 0;
	spin_lock_irqsave(&pic->lock, flags);
	was = pic->pair.output;
	mkvm_8259_read(&pic->pair, addr, val);	/* a poll acknowledges */
	now = pic->pair.output;
	spin_unlock_irqrestore(&pic->lock, flags);
	pic_kick(pic, was, now);
	return 0;
}

static int pic_write(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
		     u64 addr, unsigned int len, const void *val)
{
	struct mkvm_pic *pic = dev_to_pic(dev);
	unsigned long flags;
	bool was, now;

	if (len != 1)
		return 0;	/* KVM drops wider writes too */
	spin_lock_irqsave(&pic->lock, flags);
	was = pic->pair.output;
	mkvm_8259_write(&pic->pair, addr, *(const u8 *)val);
	now = pic->pair.output;
	spin_unlock_irqrestore(&pic->lock, flags);
	pic_kick(pic, was, now);
	return 0;
}

static const struct mkvm_io_dev_ops pic_ops = {
	.read = pic_read,
	.write = pic_write,
};

/**
 * mkvm_pic_set_irq() - a GSI route to the PIC raises or lowers a pin
 * @vm:    the VM
 * @pin:   0-15 (slave pins are 8-15)
 * @src:   MKVM_IRQ_SRC_*
 * @level: the source's new level
 *
 * Context: any; takes the PIC lock.
 * Return: 1 a new request, 0 coalesced, -1 masked or no PIC.
 */
int mkvm_pic_set_irq(struct mkvm *vm, unsigned int pin, int src, bool level)
{
	struct mkvm_pic *pic = READ_ONCE(vm->pic);
	unsigned long flags;
	bool was, now;
	int r;

	if (!pic)
		return -1;
	spin_lock_irqsave(&pic->lock, flags);
	was = pic->pair.output;
	r = mkvm_8259_set_irq(&pic->pair, pin, src, level);
	now = pic->pair.output;
	spin_unlock_irqrestore(&pic->lock, flags);
	pic_kick(pic, was, now);
	return r;
}

/**
 * mkvm_pic_has_extint() - does the PIC interrupt this vCPU through LINT0?
 * @vcpu: the vCPU, with a local APIC
 *
 * A lockless look at INT; mkvm_pic_read_irq() decides under the lock.
 *
 * Return: true when the vCPU is the BSP, accepts ExtINT and INT is high.
 */
bool mkvm_pic_has_extint(struct mkvm_vcpu *vcpu)
{
	struct mkvm_pic *pic = READ_ONCE(vcpu->vm->pic);

	return pic && vcpu->id == 0 && READ_ONCE(pic->pair.output) &&
	       mkvm_lapic_accepts_extint(vcpu);
}

/**
 * mkvm_pic_read_irq() - the interrupt acknowledge cycle
 * @vm: the VM, which has a PIC
 *
 * Context: the vCPU thread injecting the ExtINT.
 * Return: the vector (the IR7 vector when the request went away).
 */
u8 mkvm_pic_read_irq(struct mkvm *vm)
{
	struct mkvm_pic *pic = vm->pic;
	unsigned long flags;
	bool was, now, irq0;
	u8 v;

	spin_lock_irqsave(&pic->lock, flags);
	was = pic->pair.output;
	v = mkvm_8259_intack(&pic->pair);
	now = pic->pair.output;
	irq0 = v == pic->pair.chip[0].irq_base;
	spin_unlock_irqrestore(&pic->lock, flags);
	pic_kick(pic, was, now);
	/*
	 * The INTA of IRQ 0 is the PIT's acknowledgment, as the IOAPIC's EOI
	 * is (KVM's ack notifier on the PIC): its next reinjected tick may go.
	 */
	if (irq0)
		mkvm_pit_ack(vm);
	return v;
}

/* KVM_GET/SET_IRQCHIP copy exactly the fields of struct kvm_pic_state. */
static void pic_get_chip(const struct mkvm_8259 *c, struct kvm_pic_state *s)
{
	*s = (struct kvm_pic_state){
		.last_irr = c->last_irr, .irr = c->irr, .imr = c->imr,
		.isr = c->isr, .priority_add = c->priority_add,
		.irq_base = c->irq_base, .read_reg_select = c->read_reg_select,
		.poll = c->poll, .special_mask = c->special_mask,
		.init_state = c->init_state, .auto_eoi = c->auto_eoi,
		.rotate_on_auto_eoi = c->rotate_on_auto_eoi,
		.special_fully_nested_mode = c->special_fully_nested_mode,
		.init4 = c->init4, .elcr = c->elcr, .elcr_mask = c->elcr_mask,
	};
}

static void pic_set_chip(struct mkvm_8259 *c, const struct kvm_pic_state *s)
{
	c->last_irr = s->last_irr;
	c->irr = s->irr;
	c->imr = s->imr;
	c->isr = s->isr;
	c->priority_add = s->priority_add;
	c->irq_base = s->irq_base;
	c->read_reg_select = s->read_reg_select;
	c->poll = s->poll;
	c->special_mask = s->special_mask;
	c->init_state = s->init_state;
	c->auto_eoi = s->auto_eoi;
	c->rotate_on_auto_eoi = s->rotate_on_auto_eoi;
	c->special_fully_nested_mode = s->special_fully_nested_mode;
	c->init4 = s->init4;
	c->elcr = s->elcr;
	c->elcr_mask = s->elcr_mask;
	/* A state loaded by the VMM is a programmed chip (migration). */
	c->single = false;
	c->programmed = true;
}

/**
 * mkvm_pic_get_set_state() - KVM_GET/SET_IRQCHIP of a PIC chip
 * @vm:   the VM, which has a PIC
 * @chip: KVM_IRQCHIP_PIC_MASTER or _SLAVE (checked by the caller)
 * @s:    filled in (get) or loaded (set)
 * @set:  load rather than save
 *
 * As KVM, a loaded state is taken as it is (any value is safe here) and
 * the output is re-evaluated.
 */
void mkvm_pic_get_set_state(struct mkvm *vm, unsigned int chip,
			    struct kvm_pic_state *s, bool set)
{
	struct mkvm_pic *pic = vm->pic;
	struct mkvm_8259 *c = &pic->pair.chip[chip == KVM_IRQCHIP_PIC_SLAVE];
	unsigned long flags;
	bool was, now;

	spin_lock_irqsave(&pic->lock, flags);
	was = pic->pair.output;
	if (set) {
		pic_set_chip(c, s);
		mkvm_8259_update(&pic->pair);
	} else {
		pic_get_chip(c, s);
	}
	now = pic->pair.output;
	spin_unlock_irqrestore(&pic->lock, flags);
	pic_kick(pic, was, now);
}

/**
 * mkvm_pic_create() - the 8259A pair, on the PIO bus
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
	pic->vm = vm;
	spin_lock_init(&pic->lock);
	mkvm_8259_init(&pic->pair);
	pic->master = (struct mkvm_io_dev){ .ops = &pic_ops, .addr = 0x20, .len = 2 };
	pic->slave = (struct mkvm_io_dev){ .ops = &pic_ops, .addr = 0xa0, .len = 2 };
	pic->elcr = (struct mkvm_io_dev){ .ops = &pic_ops, .addr = 0x4d0, .len = 2 };
	r = mkvm_io_bus_register(vm, MKVM_PIO_BUS, &pic->master);
	if (r)
		goto free;
	r = mkvm_io_bus_register(vm, MKVM_PIO_BUS, &pic->slave);
	if (r)
		goto unreg_master;
	r = mkvm_io_bus_register(vm, MKVM_PIO_BUS, &pic->elcr);
	if (r)
		goto unreg_slave;
	WRITE_ONCE(vm->pic, pic);
	return 0;
unreg_slave:
	mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pic->slave);
unreg_master:
	mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pic->master);
free:
	kfree(pic);
	return r;
}

/**
 * mkvm_pic_destroy() - take the ports off the bus and free the pair
 * @vm: the VM; vm->irq_lock held. Either creation failed before anyone
 *	saw the PIC, or the VM is dying (no vCPU, no eventfd left).
 */
void mkvm_pic_destroy(struct mkvm *vm)
{
	struct mkvm_pic *pic = vm->pic;

	lockdep_assert_held(&vm->irq_lock);
	if (!pic)
		return;
	mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pic->master);
	mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pic->slave);
	mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pic->elcr);
	WRITE_ONCE(vm->pic, NULL);
	kfree(pic);
}
