// SPDX-License-Identifier: GPL-2.0
/*
 * x86/pit.c - the in-kernel 8254 PIT of KVM_CREATE_PIT2: three counters on
 * ports 40h-43h, channel 2's GATE and OUT on port 61h, channel 0's OUT on
 * GSI 0 (api.rst 4.27 "KVM_CREATE_PIT2", 4.28/4.29 "KVM_GET/SET_PIT",
 * 4.54/4.55 "KVM_GET/SET_PIT2", 4.56 "KVM_REINJECT_CONTROL").
 *
 * The counters are pure logic (pit_counter.c: Intel 8254 datasheet, order
 * 231164); this file gives them a clock (ktime_get_ns()), a lock, the
 * I/O ports and an hrtimer. Port 61h (with KVM_PIT_SPEAKER_DUMMY, as KVM)
 * is the PC's "system control port B": bit 0 is GATE2, bit 1 the speaker
 * enable (kept, no sound), bit 4 a refresh toggle every 2^14 ns, bit 5
 * OUT2 - what Linux polls to calibrate the TSC against channel 2.
 *
 * Channel 0's interrupt: an hrtimer fires at each rising edge of OUT0
 * (pit_counter.c computes when) and pulses GSI 0 through the routing
 * table (irq_routing.c) from its hard-irq callback, as an edge, so it
 * reaches whatever GSI 0 is routed to (KVM's default table: PIC input 0
 * and IOAPIC pin 0; QEMU and kvmtool route it to IOAPIC pin 2). A
 * periodic rate faster than KVM's min_timer_period_us (200 us) is slowed
 * down to it, as KVM does, so a guest cannot flood the host.
 *
 * Reinjection (KVM_REINJECT_CONTROL, on by default as in KVM): a guest
 * that was not running when ticks were due still gets every tick. Ticks
 * are counted in @pending; one is delivered only after the guest
 * acknowledged the previous one, so none is lost to coalescing in IRR.
 * The acknowledgment is the EOI of the vector of an IOAPIC pin that GSI
 * 0 routes to (mkvm_ioapic_eoi() -> mkvm_pit_ack(); KVM's ack notifier);
 * the 8259 reports its INTA of IRQ 0 the same way. A backlog tick goes in
 * 100 us after the ack (@catchup), not from the EOI itself: an EOI
 * followed at once by the next interrupt would let a guest slower than
 * the period run nothing but its handler (KVM's ack queues its worker,
 * which leaves the same gap). A tick that no
 * controller accepted (masked, no route) drops the backlog: no ack will
 * come for it, and KVM resets its backlog when the pin is unmasked. With
 * reinjection off, each tick is a pulse and coalesced ticks are lost.
 *
 * Locking: @lock (a spinlock: the I/O bus calls devices under RCU) protects
 * the counters and @flags. The hrtimer callbacks take no lock: @period_ns
 * changes only while the timer is cancelled, and reinjection state is
 * atomic. hrtimer_cancel() is called with @lock held; the callbacks never
 * take it, so that cannot deadlock.
 *
 * Lifetime: the PIT lives until the VM is destroyed, after its fds are all
 * closed: mkvm_pit_destroy() runs before the vCPUs are freed, takes the
 * ports off the bus (a grace period) and cancels both timers, after which
 * nothing can re-arm them: no vCPU runs (only a running vCPU acks, and an
 * ack is what arms @catchup), no ioctl comes, and neither callback arms
 * the other timer.
 *
 * Non-goals: KVM_PIT_FLAGS_HPET_LEGACY beyond silencing channel 0 (there
 * is no HPET), the NMI watchdog route through LVT0 in NMI mode, moving
 * the hrtimer to the CPU of vCPU 0, sound.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../minikvm.h"
#include "../compat.h"
#include "pit_counter.h"

#define PIT_BASE		0x40
#define SPEAKER_PORT		0x61
/* KVM's min_timer_period_us, as for the local APIC timer. */
#define PIT_MIN_PERIOD_NS	200000ULL
/* A guest that never acks: stop counting ticks somewhere. */
#define PIT_MAX_PENDING		1000000
/* Room for the guest to run between an ack and the next backlog tick. */
#define PIT_CATCHUP_NS		100000ULL

/**
 * struct mkvm_pit - the VM's 8254 and what it drives
 * @vm:		[c] the VM
 * @dev:	[c] ports 40h-43h on the PIO bus
 * @speaker:	[c] port 61h, registered with KVM_PIT_SPEAKER_DUMMY
 * @has_speaker: [c] @speaker is registered
 * @lock:	protects @ctr and @flags
 * @ctr:	the three counters
 * @flags:	KVM_PIT_FLAGS_* (HPET_LEGACY, SPEAKER_DATA_ON)
 * @timer:	fires at channel 0's rising OUT edges; hard-irq callback
 * @period_ns:	the timer's period, 0 for one edge; changed only while the
 *		timer is cancelled, under @lock
 * @reinject:	KVM_REINJECT_CONTROL's pit_reinject
 * @pending:	ticks due and not yet delivered (reinjection)
 * @irq_ack:	1 when no delivered tick waits for the guest's ack
 * @catchup:	delivers a backlog tick PIT_CATCHUP_NS after an ack;
 *		hard-irq callback
 */
struct mkvm_pit {
	struct mkvm *vm;
	struct mkvm_io_dev dev;
	struct mkvm_io_dev speaker;
	bool has_speaker;
	spinlock_t lock;	/* see @lock above */
	struct mkvm_pit_counter ctr[3];
	u32 flags;
	struct hrtimer timer;
	u64 period_ns;
	atomic_t reinject;
	atomic_t pending;
	atomic_t irq_ack;
	struct hrtimer catchup;
};

static s64 pit_now(void)
{
	return ktime_get_ns();
}

/* One edge on GSI 0. Any context. Return: > 0 when a controller took it. */
static int pit_pulse(struct mkvm_pit *pit)
{
	int r = mkvm_set_irq(pit->vm, MKVM_IRQ_SRC_PIT, 0, 1);

	mkvm_set_irq(pit->vm, MKVM_IRQ_SRC_PIT, 0, 0);
	return r;
}

/* Deliver one pending tick if the guest acked the last one. Any context. */
static void pit_deliver_pending(struct mkvm_pit *pit)
{
	for (;;) {
		/* Whoever turns irq_ack from 1 to 0 delivers. */
		if (!atomic_xchg(&pit->irq_ack, 0))
			return;
		if (atomic_dec_if_positive(&pit->pending) >= 0) {
			if (pit_pulse(pit) > 0)
				return;	/* until mkvm_pit_ack() */
			/* Nobody took it: no ack will come. Drop the backlog. */
			atomic_set(&pit->pending, 0);
			atomic_set(&pit->irq_ack, 1);
			return;
		}
		atomic_set(&pit->irq_ack, 1);
		/*
		 * A tick counted between our dec and the store above saw
		 * irq_ack 0 and left: look again. Store, full barrier, load,
		 * against the fully ordered atomic_try_cmpxchg() then
		 * atomic_xchg() of pit_timer_fn(): one of us sees the other.
		 */
		smp_mb();
		if (!atomic_read(&pit->pending))
			return;
	}
}

static enum hrtimer_restart pit_timer_fn(struct hrtimer *t)
{
	struct mkvm_pit *pit = container_of(t, struct mkvm_pit, timer);
	u64 period = READ_ONCE(pit->period_ns), ticks = 1;

	/* Periods the host was late for count as ticks (reinjection). */
	if (period)
		ticks = hrtimer_forward_now(t, ns_to_ktime(period));
	if (atomic_read(&pit->reinject)) {
		int old = atomic_read(&pit->pending);

		/* Fully ordered (see pit_deliver_pending()). */
		while (!atomic_try_cmpxchg(&pit->pending, &old,
					   min_t(u64, (u64)old + ticks,
						 PIT_MAX_PENDING)))
			;
		pit_deliver_pending(pit);
	} else {
		pit_pulse(pit);
	}
	return period ? HRTIMER_RESTART : HRTIMER_NORESTART;
}

static enum hrtimer_restart pit_catchup_fn(struct hrtimer *t)
{
	pit_deliver_pending(container_of(t, struct mkvm_pit, catchup));
	return HRTIMER_NORESTART;
}

static void pit_reset_reinject(struct mkvm_pit *pit)
{
	atomic_set(&pit->pending, 0);
	atomic_set(&pit->irq_ack, 1);
}

/* Channel 0 changed: aim the timer at its next rising edge. */
static void pit_arm(struct mkvm_pit *pit, s64 now)
{
	struct mkvm_pit_irq_plan plan;

	lockdep_assert_held(&pit->lock);
	hrtimer_cancel(&pit->timer);
	pit_reset_reinject(pit);
	if (pit->flags & KVM_PIT_FLAGS_HPET_LEGACY)
		return;
	if (!mkvm_pit_irq_plan(&pit->ctr[0], now, &plan))
		return;
	if (plan.period_ns)
		plan.period_ns = max(plan.period_ns, PIT_MIN_PERIOD_NS);
	WRITE_ONCE(pit->period_ns, plan.period_ns);
	hrtimer_start(&pit->timer, ns_to_ktime(plan.first_ns),
		      HRTIMER_MODE_ABS_HARD);
}

/**
 * mkvm_pit_ack() - the guest acknowledged GSI 0's interrupt
 * @vm: the VM
 *
 * Called for the EOI of an IOAPIC pin GSI 0 routes to (x86/ioapic.c), and
 * for the 8259's INTA of IRQ 0. The next pending tick, if any, goes in
 * PIT_CATCHUP_NS later.
 *
 * Context: any; no irqchip lock held.
 */
void mkvm_pit_ack(struct mkvm *vm)
{
	/* Pairs with smp_store_release() in pit_create(). */
	struct mkvm_pit *pit = smp_load_acquire(&vm->pit);

	if (!pit || !atomic_read(&pit->reinject))
		return;
	atomic_set(&pit->irq_ack, 1);
	/* As in pit_deliver_pending(): a tick counted now is seen. */
	smp_mb();
	if (atomic_read(&pit->pending))
		hrtimer_start(&pit->catchup, ns_to_ktime(PIT_CATCHUP_NS),
			      HRTIMER_MODE_REL_HARD);
}

/**
 * mkvm_pit_ioapic_eoi() - an edge-triggered IOAPIC pin's vector was EOI'd
 * @vm:  the VM
 * @pin: the pin
 *
 * Context: a vCPU thread, no irqchip lock held.
 */
void mkvm_pit_ioapic_eoi(struct mkvm *vm, unsigned int pin)
{
	/* A PIT at all? (mkvm_pit_ack() looks again, with acquire.) */
	if (READ_ONCE(vm->pit) && mkvm_gsi_is_ioapic_pin(vm, 0, pin))
		mkvm_pit_ack(vm);
}

static int pit_read(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
		    u64 addr, unsigned int len, void *val)
{
	struct mkvm_pit *pit = container_of(dev, struct mkvm_pit, dev);
	unsigned int port = addr - PIT_BASE;

	memset(val, 0, len);
	/* The control word register cannot be read. */
	if (port == 3)
		return 0;
	spin_lock(&pit->lock);
	*(u8 *)val = mkvm_pit_read(&pit->ctr[port], pit_now());
	spin_unlock(&pit->lock);
	return 0;
}

static int pit_write(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
		     u64 addr, unsigned int len, const void *val)
{
	struct mkvm_pit *pit = container_of(dev, struct mkvm_pit, dev);
	unsigned int port = addr - PIT_BASE;
	u8 v = *(const u8 *)val;	/* the 8254's data bus is 8 bits */
	s64 now = pit_now();

	spin_lock(&pit->lock);
	if (port == 3) {
		mkvm_pit_control(pit->ctr, v, now);
		/* A new mode for counter 0 stops it until its count. */
		if ((v >> 6) == 0 && (v & 0x30))
			pit_arm(pit, now);
	} else if (mkvm_pit_write(&pit->ctr[port], v, now) && port == 0) {
		pit_arm(pit, now);
	}
	spin_unlock(&pit->lock);
	return 0;
}

static const struct mkvm_io_dev_ops pit_ops = {
	.read = pit_read,
	.write = pit_write,
};

static int speaker_read(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
			u64 addr, unsigned int len, void *val)
{
	struct mkvm_pit *pit = container_of(dev, struct mkvm_pit, speaker);
	s64 now = pit_now();
	u8 v;

	if (addr != SPEAKER_PORT)
		return -EOPNOTSUPP;
	/* The DRAM refresh bit toggles every ~15 us; 2^14 ns, as KVM. */
	v = ((now >> 14) & 1) << 4;
	spin_lock(&pit->lock);
	v |= !!(pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON) << 1 |
	     pit->ctr[2].gate | mkvm_pit_out(&pit->ctr[2], now) << 5;
	spin_unlock(&pit->lock);
	memset(val, 0, len);
	*(u8 *)val = v;
	return 0;
}

static int speaker_write(struct mkvm_vcpu *vcpu, struct mkvm_io_dev *dev,
			 u64 addr, unsigned int len, const void *val)
{
	struct mkvm_pit *pit = container_of(dev, struct mkvm_pit, speaker);
	u8 v = *(const u8 *)val;

	if (addr != SPEAKER_PORT)
		return -EOPNOTSUPP;
	spin_lock(&pit->lock);
	if (v & 2)
		pit->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	else
		pit->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	mkvm_pit_set_gate(&pit->ctr[2], v & 1, pit_now());
	spin_unlock(&pit->lock);
	return 0;
}

static const struct mkvm_io_dev_ops speaker_ops = {
	.read = speaker_read,
	.write = speaker_write,
};

/* KVM_CREATE_PIT(2): KVM's order of checks, under vm->lock. */
static int pit_create(struct mkvm *vm, u32 flags)
{
	struct mkvm_pit *pit;
	s64 now = pit_now();
	int i, r;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->pit)
		goto out;
	/* Newer KVM: the PIT needs the in-kernel PIC to drive. */
	r = -ENOENT;
	if (!mkvm_irqchip_in_kernel(vm))
		goto out;
	r = -ENOMEM;
	pit = kzalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	if (!pit)
		goto out;
	pit->vm = vm;
	spin_lock_init(&pit->lock);
	mkvm_hrtimer_setup(&pit->timer, pit_timer_fn, CLOCK_MONOTONIC,
			   HRTIMER_MODE_ABS_HARD);
	mkvm_hrtimer_setup(&pit->catchup, pit_catchup_fn, CLOCK_MONOTONIC,
			   HRTIMER_MODE_REL_HARD);
	for (i = 0; i < 3; i++)
		mkvm_pit_counter_reset(&pit->ctr[i], i != 2, now);
	atomic_set(&pit->reinject, 1);
	pit_reset_reinject(pit);
	/* Four ports each, as KVM registers them (wider accesses included). */
	pit->dev = (struct mkvm_io_dev){ .ops = &pit_ops, .addr = PIT_BASE, .len = 4 };
	pit->speaker = (struct mkvm_io_dev){
		.ops = &speaker_ops, .addr = SPEAKER_PORT, .len = 4
	};

	mutex_lock(&vm->irq_lock);
	r = mkvm_io_bus_register(vm, MKVM_PIO_BUS, &pit->dev);
	if (!r && (flags & KVM_PIT_SPEAKER_DUMMY)) {
		r = mkvm_io_bus_register(vm, MKVM_PIO_BUS, &pit->speaker);
		if (r)
			mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pit->dev);
		else
			pit->has_speaker = true;
	}
	mutex_unlock(&vm->irq_lock);
	if (r) {
		kfree(pit);
		goto out;
	}
	/* Pairs with smp_load_acquire() in the ioctls and mkvm_pit_ack(). */
	smp_store_release(&vm->pit, pit);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/**
 * mkvm_pit_destroy() - take the PIT off the bus, stop its timer, free it
 * @vm: the VM; no fd is open, the vCPUs still exist (the timer callback
 *	delivers to them until it is cancelled)
 */
void mkvm_pit_destroy(struct mkvm *vm)
{
	struct mkvm_pit *pit = vm->pit;

	if (!pit)
		return;
	mutex_lock(&vm->irq_lock);
	mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pit->dev);
	if (pit->has_speaker)
		mkvm_io_bus_unregister(vm, MKVM_PIO_BUS, &pit->speaker);
	mutex_unlock(&vm->irq_lock);
	/* Nothing can re-arm them now; on return no callback runs. */
	hrtimer_cancel(&pit->timer);
	hrtimer_cancel(&pit->catchup);
	vm->pit = NULL;
	kfree(pit);
}

static void pit_get_channels(struct mkvm_pit *pit,
			     struct kvm_pit_channel_state *out)
{
	int i;

	lockdep_assert_held(&pit->lock);
	for (i = 0; i < 3; i++) {
		const struct mkvm_pit_counter *c = &pit->ctr[i];

		out[i] = (struct kvm_pit_channel_state){
			.count = c->count,
			.latched_count = c->latched_count,
			.count_latched = c->count_latched,
			.status_latched = c->status_latched,
			.status = c->status,
			.read_state = c->read_state,
			.write_state = c->write_state,
			.write_latch = c->write_latch,
			.rw_mode = c->rw_mode,
			.mode = c->mode,
			.bcd = c->bcd,
			.gate = c->gate,
			/* When counting would have started, without pauses. */
			.count_load_time = c->start_ns -
					   mkvm_pit_ticks_to_ns(c->base_ticks),
		};
	}
}

/*
 * As KVM: every field is taken as given (a later read or write copes with
 * any value), and each counter restarts with its count from now.
 */
static void pit_set_channels(struct mkvm_pit *pit,
			     const struct kvm_pit_channel_state *in)
{
	s64 now = pit_now();
	int i;

	lockdep_assert_held(&pit->lock);
	for (i = 0; i < 3; i++) {
		struct mkvm_pit_counter *c = &pit->ctr[i];

		*c = (struct mkvm_pit_counter){
			.latched_count = in[i].latched_count,
			.count_latched = in[i].count_latched,
			.status_latched = in[i].status_latched,
			.status = in[i].status,
			.read_state = in[i].read_state,
			.write_state = in[i].write_state,
			.write_latch = in[i].write_latch,
			.rw_mode = in[i].rw_mode,
			.mode = in[i].mode,
			.bcd = !!in[i].bcd,
			.gate = !!in[i].gate,
		};
		mkvm_pit_counter_load(c, in[i].count, now);
		/* Counting as KVM resumes it: no trigger awaited. */
		c->triggered = true;
		c->null_count = false;
	}
	pit_arm(pit, now);
}

static struct mkvm_pit *pit_get(struct mkvm *vm)
{
	/* Pairs with smp_store_release() in pit_create(). */
	return smp_load_acquire(&vm->pit);
}

/**
 * mkvm_pit_ioctl() - KVM_CREATE_PIT(2), KVM_GET/SET_PIT(2), KVM_REINJECT_CONTROL
 * @vm:    the VM
 * @ioctl: one of those
 * @argp:  its argument in userspace
 *
 * Return: as KVM: 0; -EFAULT (always checked first, as KVM copies in
 * first); -EEXIST for a second PIT; -ENOENT without KVM_CREATE_IRQCHIP;
 * -ENXIO for the others without a PIT; -ENOMEM.
 */
long mkvm_pit_ioctl(struct mkvm *vm, unsigned int ioctl, void __user *argp)
{
	union {
		struct kvm_pit_config cfg;
		struct kvm_pit_state s;
		struct kvm_pit_state2 s2;
		struct kvm_reinject_control rc;
	} u;
	struct mkvm_pit *pit;

	switch (ioctl) {
	case KVM_CREATE_PIT:
		return pit_create(vm, KVM_PIT_SPEAKER_DUMMY);
	case KVM_CREATE_PIT2:
		/* KVM looks at KVM_PIT_SPEAKER_DUMMY only: no other check. */
		if (copy_from_user(&u.cfg, argp, sizeof(u.cfg)))
			return -EFAULT;
		return pit_create(vm, u.cfg.flags);
	case KVM_GET_PIT2:
		pit = pit_get(vm);
		if (!pit)
			return -ENXIO;
		memset(&u.s2, 0, sizeof(u.s2));
		spin_lock(&pit->lock);
		pit_get_channels(pit, u.s2.channels);
		u.s2.flags = pit->flags;
		spin_unlock(&pit->lock);
		return copy_to_user(argp, &u.s2, sizeof(u.s2)) ? -EFAULT : 0;
	case KVM_GET_PIT:
		if (copy_from_user(&u.s, argp, sizeof(u.s)))
			return -EFAULT;
		pit = pit_get(vm);
		if (!pit)
			return -ENXIO;
		spin_lock(&pit->lock);
		pit_get_channels(pit, u.s.channels);
		spin_unlock(&pit->lock);
		return copy_to_user(argp, &u.s, sizeof(u.s)) ? -EFAULT : 0;
	case KVM_SET_PIT2:
	case KVM_SET_PIT:
		if (copy_from_user(&u.s2, argp, ioctl == KVM_SET_PIT2 ?
				   sizeof(u.s2) : sizeof(u.s)))
			return -EFAULT;
		pit = pit_get(vm);
		if (!pit)
			return -ENXIO;
		spin_lock(&pit->lock);
		/* KVM_SET_PIT leaves the flags alone. */
		if (ioctl == KVM_SET_PIT2)
			pit->flags = u.s2.flags;
		pit_set_channels(pit, u.s2.channels);
		spin_unlock(&pit->lock);
		return 0;
	case KVM_REINJECT_CONTROL:
		if (copy_from_user(&u.rc, argp, sizeof(u.rc)))
			return -EFAULT;
		pit = pit_get(vm);
		if (!pit)
			return -ENXIO;
		spin_lock(&pit->lock);
		if (u.rc.pit_reinject && !atomic_read(&pit->reinject))
			pit_reset_reinject(pit);
		atomic_set(&pit->reinject, !!u.rc.pit_reinject);
		spin_unlock(&pit->lock);
		return 0;
	default:
		return -ENOTTY;
	}
}
