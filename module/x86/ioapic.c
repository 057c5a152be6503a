// SPDX-License-Identifier: GPL-2.0
/*
 * x86/ioapic.c - the in-kernel I/O APIC: 24 pins at FEC00000h.
 *
 * Implements the Intel 82093AA I/O APIC datasheet (order 290566), section
 * 3: the indirect register window (IOREGSEL at +00h, IOWIN at +10h), the
 * ID (00h), version (01h: version 11h, 24 entries) and arbitration (02h)
 * registers, and the redirection table (10h-3Fh, two 32-bit halves per
 * pin: vector, delivery mode, destination mode, delivery status,
 * polarity, remote IRR, trigger mode, mask, destination). Like KVM it also
 * accepts the EOI register of later versions at +40h.
 *
 * Edge pins deliver on a rising edge of the line. Level pins deliver while
 * the line is high and remote IRR is clear, and set remote IRR; the local
 * APIC's EOI of that vector clears it (mkvm_ioapic_eoi()), tells resampling
 * irqfds (eventfd.c), and re-delivers if the line is still high. Every
 * register index from the guest is bounds-checked against the 24 pins.
 *
 * Each pin's line is the OR of its sources (KVM_IRQ_LINE, resampling
 * irqfds), as KVM's irq_source_id. Polarity is not applied: KVM_IRQ_LINE
 * levels are logical, as in KVM.
 *
 * Non-goals: KVM_GET/SET_IRQCHIP, a second IOAPIC, KVM's delayed
 * re-injection of level interrupt storms (each re-delivery here goes
 * through a guest entry, where signals and need_resched are checked).
 */
#include <linux/slab.h>

#include "../minikvm.h"

#define IOREGSEL	0x00
#define IOWIN		0x10
#define IOEOI		0x40
#define IOAPIC_SIZE	0x100

#define RTE_VECTOR	0xffULL
#define RTE_DM_SHIFT	8
#define RTE_LOGICAL	BIT_ULL(11)
#define RTE_STATUS	BIT_ULL(12)
#define RTE_REMOTE_IRR	BIT_ULL(14)
#define RTE_LEVEL	BIT_ULL(15)
#define RTE_MASKED	BIT_ULL(16)
#define RTE_DEST_SHIFT	56
/* Guest-writable bits: everything but delivery status and remote IRR. */
#define RTE_RW		(~(RTE_STATUS | RTE_REMOTE_IRR) & \
			 (GENMASK_ULL(16, 0) | GENMASK_ULL(63, 56)))

/**
 * struct mkvm_ioapic - the VM's I/O APIC
 * @dev:     its window on the MMIO bus
 * @vm:      the VM
 * @lock:    protects everything below
 * @regsel:  IOREGSEL
 * @id:      the ID register
 * @rte:     the redirection table
 * @lines:   per pin, one bit per MKVM_IRQ_SRC_* asserting it
 */
struct mkvm_ioapic {
	struct mkvm_io_dev dev;
	struct mkvm *vm;
	spinlock_t lock;	/* see @lock above */
	u32 regsel;
	u32 id;
	u64 rte[MKVM_IOAPIC_PINS];
	unsigned long lines[MKVM_IOAPIC_PINS];
};

/* Deliver pin @pin's interrupt now. ioapic->lock held. */
static int ioapic_service(struct mkvm_ioapic *io, unsigned int pin)
{
	u64 e = io->rte[pin];
	struct mkvm_apic_irq irq = {
		.vector = e & RTE_VECTOR,
		.delivery_mode = (e >> RTE_DM_SHIFT) & 7,
		.logical = e & RTE_LOGICAL,
		.dest = e >> RTE_DEST_SHIFT,
		.level = true,
		.trig_level = e & RTE_LEVEL,
	};
	int r;

	lockdep_assert_held(&io->lock);
	if (e & RTE_MASKED)
		return 0;
	if ((e & RTE_LEVEL) && (e & RTE_REMOTE_IRR))
		return 0;	/* still in service: coalesced */
	r = mkvm_apic_deliver(io->vm, NULL, &irq);
	/* Remote IRR: accepted by a local APIC, until its EOI. */
	if ((e & RTE_LEVEL) && r > 0)
		io->rte[pin] |= RTE_REMOTE_IRR;
	return r;
}

/**
 * mkvm_ioapic_set_irq() - a source raises or lowers an IOAPIC pin
 * @vm:    the VM
 * @pin:   0-23 (checked)
 * @src:   MKVM_IRQ_SRC_*
 * @level: the source's new level
 *
 * Context: any; takes the IOAPIC lock, then APIC locks.
 * Return: >0 delivered, 0 masked/coalesced/no edge, -1 on a bad pin.
 */
int mkvm_ioapic_set_irq(struct mkvm *vm, unsigned int pin, int src,
			bool level)
{
	struct mkvm_ioapic *io = vm->ioapic;
	unsigned long flags;
	bool was, now;
	int r = 0;

	if (!io || pin >= MKVM_IOAPIC_PINS)
		return -1;
	spin_lock_irqsave(&io->lock, flags);
	was = io->lines[pin];
	if (level)
		__set_bit(src, &io->lines[pin]);
	else
		__clear_bit(src, &io->lines[pin]);
	now = io->lines[pin];
	if (now && (!was || (io->rte[pin] & RTE_LEVEL)))
		r = ioapic_service(io, pin);
	spin_unlock_irqrestore(&io->lock, flags);
	return r;
}

/**
 * mkvm_ioapic_eoi() - a local APIC EOI'd a vector the IOAPIC cares about
 * @vm:     the VM
 * @vector: the vector
 * @level:  its TMR bit was set: level pins' remote IRR clears; an edge
 *	    EOI only tells the PIT (reinjection, x86/pit.c)
 *
 * Context: a vCPU thread, no locks held.
 */
void mkvm_ioapic_eoi(struct mkvm *vm, int vector, bool level)
{
	struct mkvm_ioapic *io = vm->ioapic;
	unsigned long flags;
	unsigned int pin;

	if (!io)
		return;
	for (pin = 0; pin < MKVM_IOAPIC_PINS; pin++) {
		u64 e;

		spin_lock_irqsave(&io->lock, flags);
		e = io->rte[pin];
		if ((e & RTE_VECTOR) == vector && !(e & RTE_LEVEL) && !level) {
			spin_unlock_irqrestore(&io->lock, flags);
			/* KVM's ack notifier for an edge pin: the PIT's. */
			mkvm_pit_ioapic_eoi(vm, pin);
			continue;
		}
		if ((e & RTE_VECTOR) != vector || !(e & RTE_LEVEL) || !level ||
		    !(e & RTE_REMOTE_IRR)) {
			spin_unlock_irqrestore(&io->lock, flags);
			continue;
		}
		io->rte[pin] &= ~RTE_REMOTE_IRR;
		spin_unlock_irqrestore(&io->lock, flags);

		/* Resampling irqfds drop their level here (no lock held). */
		mkvm_irqfd_ack(vm, pin);

		spin_lock_irqsave(&io->lock, flags);
		if (io->lines[pin])
			ioapic_service(io, pin);
		spin_unlock_irqrestore(&io->lock, flags);
	}
}

static u32 ioapic_read_window(struct mkvm_ioapic *io)
{
	u32 sel = io->regsel & 0xff;
	unsigned int pin;

	switch (sel) {
	case 0x00:
		return io->id << 24;
	case 0x01:
		return 0x11 | ((MKVM_IOAPIC_PINS - 1) << 16);
	case 0x02:
		return io->id << 24;	/* arbitration ID = ID */
	default:
		pin = (sel - 0x10) / 2;
		if (sel < 0x10 || pin >= MKVM_IOAPIC_PINS)
			return 0;	/* bounds-checked: reads as 0 */
		return sel & 1 ? io->rte[pin] >> 32 : (u32)io->rte[pin];
	}
}

static void ioapic_write_window(struct mkvm_ioapic *io, u32 val)
{
	u32 sel = io->regsel & 0xff;
	unsigned int pin;
	u64 e;

	if (sel == 0x00) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	pin = (sel - 0x10) / 2;
	if (sel < 0x10 || pin >= MKVM_IOAPIC_PINS)
		return;		/* read-only or out of range: ignored */
	e = io->rte[pin];
	if (sel & 1)
		e = (e & 0xffffffffULL) | (u64)val << 32;
	else
		e = (e & ~0xffffffffULL) | val;
	io->rte[pin] = (e & RTE_RW) | (io->rte[pin] & RTE_REMOTE_IRR);
	/* Edge mode has no remote IRR (82093AA 3.2.4). */
	if (!(io->rte[pin] & RTE_LEVEL))
		io->rte[pin] &= ~RTE_REMOTE_IRR;
	/* Unmasking a level pin whose line is high delivers it now. */
	if (io->lines[pin] && (io->rte[pin] & RTE_LEVEL))
		ioapic_service(io, pin);
}

static int ioapic_mmio_read(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
			    u64 addr, unsigned int len, void *val)
{
	struct mkvm_ioapic *io = container_of(dev, struct mkvm_ioapic, dev);
	u32 off = addr - MKVM_IOAPIC_BASE, v = 0;
	unsigned long flags;

	spin_lock_irqsave(&io->lock, flags);
	switch (off & ~3U) {
	case IOREGSEL:
		v = io->regsel;
		break;
	case IOWIN:
		v = ioapic_read_window(io);
		break;
	}
	spin_unlock_irqrestore(&io->lock, flags);
	v >>= 8 * (off & 3);
	memset(val, 0, len);
	memcpy(val, &v, min(len, 4u));
	return 0;
}

static int ioapic_mmio_write(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
			     u64 addr, unsigned int len, const void *val)
{
	struct mkvm_ioapic *io = container_of(dev, struct mkvm_ioapic, dev);
	u32 off = addr - MKVM_IOAPIC_BASE, v = 0;
	unsigned long flags;

	memcpy(&v, val, min(len, 4u));
	if (off == IOEOI) {
		mkvm_ioapic_eoi(io->vm, v & 0xff, true);
		return 0;
	}
	spin_lock_irqsave(&io->lock, flags);
	if (off == IOREGSEL)
		io->regsel = v;
	else if (off == IOWIN)
		ioapic_write_window(io, v);
	spin_unlock_irqrestore(&io->lock, flags);
	return 0;
}

static const struct mkvm_io_dev_ops ioapic_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
};

/**
 * mkvm_ioapic_create() - the IOAPIC of KVM_CREATE_IRQCHIP
 * @vm:  the VM; vm->irq_lock held
 * @out: the new IOAPIC, for the caller to publish in vm->ioapic
 *
 * All pins start masked (82093AA 3.2.4: mask is 1 after reset).
 *
 * Return: 0 or -ENOMEM/-ENOSPC.
 */
int mkvm_ioapic_create(struct mkvm *vm, struct mkvm_ioapic **out)
{
	struct mkvm_ioapic *io;
	unsigned int i;
	int r;

	io = kzalloc(sizeof(*io), GFP_KERNEL_ACCOUNT);
	if (!io)
		return -ENOMEM;
	io->vm = vm;
	spin_lock_init(&io->lock);
	for (i = 0; i < MKVM_IOAPIC_PINS; i++)
		io->rte[i] = RTE_MASKED;
	io->dev.ops = &ioapic_ops;
	io->dev.addr = MKVM_IOAPIC_BASE;
	io->dev.len = IOAPIC_SIZE;
	r = mkvm_io_bus_register(vm, MKVM_MMIO_BUS, &io->dev);
	if (r) {
		kfree(io);
		return r;
	}
	*out = io;
	return 0;
}

/**
 * mkvm_ioapic_unregister() - take an IOAPIC's window off the MMIO bus
 * @vm: the VM; vm->irq_lock held
 * @io: the IOAPIC
 */
void mkvm_ioapic_unregister(struct mkvm *vm, struct mkvm_ioapic *io)
{
	mkvm_io_bus_unregister(vm, MKVM_MMIO_BUS, &io->dev);
}

/**
 * mkvm_ioapic_destroy() - free the IOAPIC of a dying VM
 * @vm: the VM; no vCPU runs, so the bus array (freed next) is unused
 */
void mkvm_ioapic_destroy(struct mkvm *vm)
{
	kfree(vm->ioapic);
	vm->ioapic = NULL;
}
