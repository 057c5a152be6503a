/* SPDX-License-Identifier: GPL-2.0 */
/*
 * irq.h - the in-kernel irqchip, I/O bus and eventfds: types and entry
 * points shared by iobus.c, eventfd.c, irq_routing.c, x86/lapic.c,
 * x86/ioapic.c, x86/pic.c and x86/irq.c. Documentation/interrupts.md
 * walks through how they fit together.
 *
 * Lock order (outer first):
 *   vm->irq_lock (mutex: bus, routing and irqfd changes)
 *   -> eventfd wait-queue lock (irqfd wakeups run under it)
 *   -> vm->irqfd_lock (irqfd list changes, also from an eventfd's EPOLLHUP)
 *   -> ioapic->lock -> lapic->lock
 *   -> vcpu->wq lock (wakeups).
 * The EOI path walks the irqfd list under RCU, never irqfd_lock: it signals
 * resample eventfds, whose wait-queue locks come before irqfd_lock.
 * Every spinlock here is taken with interrupts disabled (hrtimer
 * callbacks and eventfd wakeups run in hard-irq context).
 *
 * The PIT's lock (x86/pit.c) is a leaf: nothing above is taken under it.
 *
 * Non-goals: the kernel's own irqbypass/posted interrupts, KVM_GET/SET_IRQCHIP
 * of the IOAPIC.
 */
#ifndef MKVM_IRQ_H
#define MKVM_IRQ_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/hrtimer.h>
#include <linux/rcupdate.h>
#include <linux/kvm.h>

struct mkvm;
struct mkvm_vcpu;
struct mkvm_lapic;
struct mkvm_ioapic;
struct mkvm_pic;

/* ---- iobus.c: devices consulted before a PIO/MMIO exit ---- */

enum mkvm_bus { MKVM_PIO_BUS, MKVM_MMIO_BUS, MKVM_NR_BUSES };

#define MKVM_MAX_BUS_DEVS	1000	/* KVM's NR_IOBUS_DEVS */

struct mkvm_io_dev;

/**
 * struct mkvm_io_dev_ops - an in-kernel device on a bus
 * @read:  Fill @val (@len bytes) and return 0, or -EOPNOTSUPP to let the
 *         next device (or userspace) have the access. May not sleep.
 * @write: Consume @val and return 0, or -EOPNOTSUPP. May not sleep.
 */
struct mkvm_io_dev_ops {
	int (*read)(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev, u64 addr,
		    unsigned int len, void *val);
	int (*write)(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
		     u64 addr, unsigned int len, const void *val);
};

/**
 * struct mkvm_io_dev - one registered range
 * @ops:  its handlers
 * @addr: first port or guest-physical address
 * @len:  length in bytes; 0 matches accesses starting exactly at @addr
 */
struct mkvm_io_dev {
	const struct mkvm_io_dev_ops *ops;
	u64 addr;
	u32 len;
};

/**
 * struct mkvm_io_bus - an RCU-replaced array of devices
 * @rcu:  for freeing the previous array
 * @n:    number of devices
 * @devs: the devices, in the order they are asked (iobus.c)
 */
struct mkvm_io_bus {
	struct rcu_head rcu;
	unsigned int n;
	struct mkvm_io_dev *devs[];
};

int mkvm_io_bus_register(struct mkvm *vm, enum mkvm_bus bus,
			 struct mkvm_io_dev *dev);
void mkvm_io_bus_unregister(struct mkvm *vm, enum mkvm_bus bus,
			    struct mkvm_io_dev *dev);
int mkvm_io_bus_write(struct mkvm_vcpu *vcpu, enum mkvm_bus bus, u64 addr,
		      unsigned int len, const void *val);
int mkvm_io_bus_read(struct mkvm_vcpu *vcpu, enum mkvm_bus bus, u64 addr,
		     unsigned int len, void *val);
void mkvm_io_bus_destroy(struct mkvm *vm);

/* ---- eventfd.c: KVM_IOEVENTFD and KVM_IRQFD ---- */

int mkvm_ioeventfd(struct mkvm *vm, const struct kvm_ioeventfd *args);
int mkvm_irqfd(struct mkvm *vm, const struct kvm_irqfd *args);
void mkvm_eventfds_destroy(struct mkvm *vm);
int mkvm_eventfd_init(void);
void mkvm_eventfd_exit(void);
void mkvm_irqfd_ack(struct mkvm *vm, unsigned int ioapic_pin);

/* ---- irq_routing.c: GSIs, KVM_IRQ_LINE, KVM_SIGNAL_MSI ---- */

#define MKVM_MAX_IRQ_ROUTES	4096	/* KVM_MAX_IRQ_ROUTES */

/* Level sources OR-ed on a pin, as KVM's irq_source_id. */
#define MKVM_IRQ_SRC_USER	0
#define MKVM_IRQ_SRC_RESAMPLE	1
#define MKVM_IRQ_SRC_PIT	2

/**
 * struct mkvm_irq_routing - one KVM_SET_GSI_ROUTING table
 * @rcu:     for freeing it after a replacement
 * @nr:      entries
 * @entries: copied from userspace and validated
 */
struct mkvm_irq_routing {
	struct rcu_head rcu;
	u32 nr;
	struct kvm_irq_routing_entry entries[];
};

int mkvm_set_gsi_routing(struct mkvm *vm, struct kvm_irq_routing __user *argp);
int mkvm_routing_default(struct mkvm *vm);
void mkvm_routing_destroy(struct mkvm *vm);
int mkvm_set_irq(struct mkvm *vm, int src, u32 gsi, bool level);
int mkvm_signal_msi(struct mkvm *vm, const struct kvm_msi *msi);
bool mkvm_gsi_is_ioapic_pin(struct mkvm *vm, u32 gsi, unsigned int pin);

/* ---- x86/lapic.c: the local APIC of each vCPU ---- */

#define MKVM_APIC_DM_FIXED	0
#define MKVM_APIC_DM_LOWEST	1
#define MKVM_APIC_DM_SMI	2
#define MKVM_APIC_DM_NMI	4
#define MKVM_APIC_DM_INIT	5
#define MKVM_APIC_DM_STARTUP	6
#define MKVM_APIC_DM_EXTINT	7

/**
 * struct mkvm_apic_irq - one interrupt message (IPI, IOAPIC, MSI)
 * @dest:	   destination APIC ID or logical mask
 * @vector:	   the vector (SIPI: the start page)
 * @delivery_mode: MKVM_APIC_DM_*
 * @logical:	   logical rather than physical destination
 * @shorthand:	   ICR bits 19:18 (0: none, 1: self, 2: all, 3: all but self)
 * @level:	   assert (INIT de-assert has it clear)
 * @trig_level:	   level-triggered (sets TMR, EOI goes to the IOAPIC)
 */
struct mkvm_apic_irq {
	u32 dest;
	u8 vector;
	u8 delivery_mode;
	bool logical;
	u8 shorthand;
	bool level;
	bool trig_level;
};

int mkvm_lapic_create(struct mkvm_vcpu *vcpu);
void mkvm_lapic_free(struct mkvm_vcpu *vcpu);
void mkvm_lapic_reset(struct mkvm_vcpu *vcpu, bool init);
int mkvm_apic_deliver(struct mkvm *vm, struct mkvm_vcpu *src,
		      const struct mkvm_apic_irq *irq);
bool mkvm_lapic_mmio(struct mkvm_vcpu *vcpu, u64 gpa, bool write,
		     unsigned int len, u64 *val);
int mkvm_lapic_get_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *data);
int mkvm_lapic_set_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 data, bool host);
void mkvm_lapic_set_base(struct mkvm_vcpu *vcpu, u64 old);
int mkvm_lapic_pending_vector(struct mkvm_vcpu *vcpu);
void mkvm_lapic_ack(struct mkvm_vcpu *vcpu, int vector);
u8 mkvm_lapic_get_tpr(struct mkvm_vcpu *vcpu);
void mkvm_lapic_set_tpr(struct mkvm_vcpu *vcpu, u8 tpr);
bool mkvm_lapic_take_nmi(struct mkvm_vcpu *vcpu);
bool mkvm_lapic_nmi_pending(struct mkvm_vcpu *vcpu);
unsigned long mkvm_lapic_take_events(struct mkvm_vcpu *vcpu, u8 *sipi);
bool mkvm_lapic_events_pending(struct mkvm_vcpu *vcpu);
bool mkvm_lapic_accepts_extint(struct mkvm_vcpu *vcpu);
void mkvm_lapic_pend_sipi(struct mkvm_vcpu *vcpu);
int mkvm_lapic_get_state(struct mkvm_vcpu *vcpu, struct kvm_lapic_state *s);
int mkvm_lapic_set_state(struct mkvm_vcpu *vcpu,
			 const struct kvm_lapic_state *s);

/* Bits of mkvm_lapic_take_events(). */
#define MKVM_APIC_EV_INIT	0
#define MKVM_APIC_EV_SIPI	1

/* ---- x86/ioapic.c ---- */

#define MKVM_IOAPIC_PINS	24
#define MKVM_IOAPIC_BASE	0xfec00000ULL

int mkvm_ioapic_create(struct mkvm *vm, struct mkvm_ioapic **out);
void mkvm_ioapic_unregister(struct mkvm *vm, struct mkvm_ioapic *io);
void mkvm_ioapic_destroy(struct mkvm *vm);
int mkvm_ioapic_set_irq(struct mkvm *vm, unsigned int pin, int src,
			bool level);
void mkvm_ioapic_eoi(struct mkvm *vm, int vector, bool level);

/* ---- x86/pic.c: the 8259A pair (state machine in x86/i8259.c) ---- */

int mkvm_pic_create(struct mkvm *vm);
void mkvm_pic_destroy(struct mkvm *vm);
int mkvm_pic_set_irq(struct mkvm *vm, unsigned int pin, int src, bool level);
bool mkvm_pic_has_extint(struct mkvm_vcpu *vcpu);
u8 mkvm_pic_read_irq(struct mkvm *vm);
void mkvm_pic_get_set_state(struct mkvm *vm, unsigned int chip,
			    struct kvm_pic_state *s, bool set);

/* ---- x86/pit.c: the 8254 (KVM_CREATE_PIT2) ---- */

long mkvm_pit_ioctl(struct mkvm *vm, unsigned int ioctl, void __user *argp);
void mkvm_pit_destroy(struct mkvm *vm);
void mkvm_pit_ack(struct mkvm *vm);
void mkvm_pit_ioapic_eoi(struct mkvm *vm, unsigned int pin);

/* ---- x86/irq.c: delivery into the vCPU, halt, INIT/SIPI ---- */

/* vcpu->mode */
#define MKVM_OUTSIDE_GUEST	0
#define MKVM_IN_GUEST		1

/* vcpu->requests bits */
#define MKVM_REQ_EVENT		0

int mkvm_create_irqchip(struct mkvm *vm);
long mkvm_irqchip_state_ioctl(struct mkvm *vm, unsigned int ioctl,
			      struct kvm_irqchip __user *argp);
void mkvm_irqchip_destroy(struct mkvm *vm);
void mkvm_vcpu_kick(struct mkvm_vcpu *vcpu);
void mkvm_inject_pending(struct mkvm_vcpu *vcpu);
bool mkvm_entry_must_abort(struct mkvm_vcpu *vcpu);
int mkvm_vcpu_halt(struct mkvm_vcpu *vcpu);
int mkvm_vcpu_wait_runnable(struct mkvm_vcpu *vcpu);
int mkvm_vcpu_run_uninitialized(struct mkvm_vcpu *vcpu);
int mkvm_vcpu_get_mp_state(struct mkvm_vcpu *vcpu);
int mkvm_vcpu_set_mp_state(struct mkvm_vcpu *vcpu,
			   const struct kvm_mp_state *state);

#endif /* MKVM_IRQ_H */
