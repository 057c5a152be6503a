// SPDX-License-Identifier: GPL-2.0
/*
 * x86/lapic.c - the in-kernel local APIC, one per vCPU.
 *
 * Implements Intel SDM Vol. 3A chapter 10 "Advanced Programmable Interrupt
 * Controller (APIC)" (chapter 11 in newer editions) as a guest sees it:
 *   - the xAPIC register page at IA32_APIC_BASE (10.4.1, Table 10-1),
 *     reached through the shared MMIO path (x86/mmio.c), and the x2APIC
 *     MSRs 800h-8FFh (10.12, Table 10-6);
 *   - ID, version, TPR/PPR (10.8.3.1), IRR/ISR/TMR and EOI (10.8.4,
 *     10.8.5; a level-triggered EOI is broadcast to the IOAPIC), LVTs
 *     (10.5.1), spurious vector (10.9), error status register (10.5.3);
 *   - the timer (10.5.4): one-shot, periodic and TSC-deadline on an
 *     hrtimer, with the bus clock at 1 GHz as KVM (APIC_BUS_CYCLE_NS);
 *   - IPIs through the ICR (10.6): fixed, lowest priority, NMI, INIT,
 *     start-up; physical and logical (flat, cluster, x2APIC cluster)
 *     destinations (10.6.2) and the shorthands.
 * KVM_GET_LAPIC/KVM_SET_LAPIC (api.rst 4.57, 4.58) copy the register page
 * as KVM lays it out, TMCCT included.
 *
 * State: the register image (the first KiB of the xAPIC page, which is
 * exactly struct kvm_lapic_state) under @lock. Other vCPUs, the IOAPIC,
 * MSIs and timers set IRR bits and pending INIT/SIPI/NMI under the lock
 * from any context and then kick the vCPU (x86/irq.c); only the vCPU's
 * own thread acknowledges, EOIs, and starts or stops the timer, so timer
 * calls happen outside the lock and never race with each other.
 *
 * LINT0 in virtual-wire mode (ExtINT, 10.5.1) takes the 8259A's INT
 * (x86/pic.c asks mkvm_lapic_accepts_extint()); the vector then comes from
 * the PIC, not from IRR/ISR.
 *
 * Non-goals: APICv/AVIC, LINT1 and LINT0 in other delivery modes (no local
 * NMI source is modelled), the error interrupt, directed EOI, the TDCR
 * taking effect before the next TMICT write, CMCI and thermal/perf
 * events, lowest-priority arbitration beyond "lowest PPR wins".
 */
#include <linux/slab.h>
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "../minikvm.h"
#include "../arch_ops.h"
#include "../compat.h"

/* Register offsets, SDM Vol. 3A Table 10-1. */
#define R_ID		0x20
#define R_LVR		0x30
#define R_TPR		0x80
#define R_APR		0x90
#define R_PPR		0xa0
#define R_EOI		0xb0
#define R_LDR		0xd0
#define R_DFR		0xe0
#define R_SVR		0xf0
#define R_ISR		0x100
#define R_TMR		0x180
#define R_IRR		0x200
#define R_ESR		0x280
#define R_LVT_CMCI	0x2f0
#define R_ICR		0x300
#define R_ICR2		0x310
#define R_LVTT		0x320
#define R_LVTTHM	0x330
#define R_LVTPC		0x340
#define R_LVT0		0x350
#define R_LVT1		0x360
#define R_LVTERR	0x370
#define R_TMICT		0x380
#define R_TMCCT		0x390
#define R_TDCR		0x3e0
#define R_SELF_IPI	0x3f0	/* x2APIC only */

#define LVT_MASKED	BIT(16)
#define LVT_PENDING	BIT(12)
#define LVT_MASK	(LVT_MASKED | LVT_PENDING | 0xff)
#define LINT_MASK	(LVT_MASK | 0x700 | BIT(13) | BIT(14) | BIT(15))
#define LVTT_MODE_SHIFT	17
#define LVTT_ONESHOT	0
#define LVTT_PERIODIC	1
#define LVTT_DEADLINE	2
#define SVR_ENABLE	BIT(8)

/* 0x14: integrated APIC; 6 LVT entries (max LVT index 5), as kvm_amd. */
#define MKVM_APIC_VERSION	(0x14 | (5 << 16))
/* KVM's min_timer_period_us: a periodic timer faster than this is slowed. */
#define MKVM_MIN_PERIOD_NS	200000ULL

/**
 * struct mkvm_lapic - one vCPU's local APIC
 * @vcpu:	   the vCPU
 * @lock:	   protects @regs, @pending_events and @sipi_vector
 * @regs:	   the register image, offsets as Table 10-1
 * @timer:	   the APIC timer; callback in hard-irq context
 * @period_ns:	   periodic mode: the period; written only while the timer
 *		   is stopped
 * @tsc_deadline:  IA32_TSC_DEADLINE, 0 when disarmed
 * @pending_events: MKVM_APIC_EV_INIT / _SIPI, taken by x86/irq.c
 * @sipi_vector:   the vector of the last start-up IPI
 * @nmi_pending:   NMIs waiting for injection (coalesced to one)
 */
struct mkvm_lapic {
	struct mkvm_vcpu *vcpu;
	spinlock_t lock;	/* see @lock above */
	u8 regs[KVM_APIC_REG_SIZE] __aligned(16);
	struct hrtimer timer;
	u64 period_ns;
	u64 tsc_deadline;
	unsigned long pending_events;
	u8 sipi_vector;
	atomic_t nmi_pending;
};

static u32 rd(const struct mkvm_lapic *a, u32 off)
{
	return *(const u32 *)(a->regs + off);
}

static void wr(struct mkvm_lapic *a, u32 off, u32 val)
{
	*(u32 *)(a->regs + off) = val;
}

/* IRR/ISR/TMR: 256 bits as eight 32-bit registers 16 bytes apart. */
static u32 *vec_word(struct mkvm_lapic *a, u32 base, int v)
{
	return (u32 *)(a->regs + base + (v / 32) * 16);
}

static void vec_set(struct mkvm_lapic *a, u32 base, int v)
{
	*vec_word(a, base, v) |= BIT(v % 32);
}

static void vec_clear(struct mkvm_lapic *a, u32 base, int v)
{
	*vec_word(a, base, v) &= ~BIT(v % 32);
}

static bool vec_test(struct mkvm_lapic *a, u32 base, int v)
{
	return *vec_word(a, base, v) & BIT(v % 32);
}

static int vec_highest(const struct mkvm_lapic *a, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = rd(a, base + i * 16);

		if (w)
			return i * 32 + fls(w) - 1;
	}
	return -1;
}

static u64 apic_base(const struct mkvm_lapic *a)
{
	return READ_ONCE(a->vcpu->msrs.apic_base);
}

static bool x2apic_mode(const struct mkvm_lapic *a)
{
	return apic_base(a) & X2APIC_ENABLE;
}

static bool hw_enabled(const struct mkvm_lapic *a)
{
	return apic_base(a) & MSR_IA32_APICBASE_ENABLE;
}

/* Accepts fixed interrupts: hardware- and software-enabled (10.4.3). */
static bool apic_enabled(const struct mkvm_lapic *a)
{
	return hw_enabled(a) && (rd(a, R_SVR) & SVR_ENABLE);
}

static u32 apic_id(const struct mkvm_lapic *a)
{
	return x2apic_mode(a) ? rd(a, R_ID) : rd(a, R_ID) >> 24;
}

/* 10.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
static void update_ppr(struct mkvm_lapic *a)
{
	u32 tpr = rd(a, R_TPR) & 0xff;
	int isrv = vec_highest(a, R_ISR);
	u32 isr_class = isrv < 0 ? 0 : isrv & 0xf0;

	wr(a, R_PPR, (tpr & 0xf0) >= isr_class ? tpr : isr_class);
}

static u32 timer_mode(const struct mkvm_lapic *a)
{
	return (rd(a, R_LVTT) >> LVTT_MODE_SHIFT) & 3;
}

/* 10.5.4 Figure 10-10: TDCR bits 3,1:0; 1011b is divide by 1. */
static u32 timer_divisor(const struct mkvm_lapic *a)
{
	u32 v = rd(a, R_TDCR);
	u32 t = ((v & 3) | ((v & 8) >> 1)) + 1;

	return 1U << (t & 7);	/* never 0: no division by zero anywhere */
}

/* ---- accepting interrupts (any context) ---- */

/*
 * Accept one message for this APIC. Returns 1 when accepted, 0 when
 * dropped (disabled APIC, SMI/ExtINT). The caller kicks the vCPU.
 */
static int lapic_accept(struct mkvm_lapic *a, const struct mkvm_apic_irq *irq)
{
	unsigned long flags;
	int r = 0;

	switch (irq->delivery_mode) {
	case MKVM_APIC_DM_FIXED:
	case MKVM_APIC_DM_LOWEST:
		spin_lock_irqsave(&a->lock, flags);
		if (apic_enabled(a)) {
			vec_set(a, R_IRR, irq->vector);
			if (irq->trig_level)
				vec_set(a, R_TMR, irq->vector);
			else
				vec_clear(a, R_TMR, irq->vector);
			r = 1;
		}
		spin_unlock_irqrestore(&a->lock, flags);
		break;
	case MKVM_APIC_DM_NMI:
		atomic_set(&a->nmi_pending, 1);
		r = 1;
		break;
	case MKVM_APIC_DM_INIT:
		/* INIT level de-assert (level 0, trigger level) is a no-op. */
		if (!irq->trig_level || irq->level) {
			spin_lock_irqsave(&a->lock, flags);
			__set_bit(MKVM_APIC_EV_INIT, &a->pending_events);
			spin_unlock_irqrestore(&a->lock, flags);
			r = 1;
		}
		break;
	case MKVM_APIC_DM_STARTUP:
		spin_lock_irqsave(&a->lock, flags);
		a->sipi_vector = irq->vector;
		__set_bit(MKVM_APIC_EV_SIPI, &a->pending_events);
		spin_unlock_irqrestore(&a->lock, flags);
		r = 1;
		break;
	default:
		/*
		 * SMI: no SMM. ExtINT as a message (IOAPIC, MSI, IPI) is
		 * dropped as in KVM: the 8259 reaches the CPU only through
		 * LINT0 (mkvm_lapic_accepts_extint()).
		 */
		break;
	}
	if (r)
		mkvm_vcpu_kick(a->vcpu);
	return r;
}

/* 10.6.2: does @a's APIC take a message for @irq->dest? */
static bool lapic_match_dest(struct mkvm_lapic *a, struct mkvm_vcpu *src,
			     const struct mkvm_apic_irq *irq)
{
	u32 dest = irq->dest, ldr;

	switch (irq->shorthand) {
	case 1:
		return a->vcpu == src;
	case 2:
		return true;
	case 3:
		return a->vcpu != src;
	}
	if (x2apic_mode(a)) {
		if (dest == 0xffffffff || (dest == 0xff && !irq->logical &&
					   (!src || !x2apic_mode(src->lapic))))
			return true;
		if (!irq->logical)
			return dest == apic_id(a);
		/* x2APIC logical: cluster in 31:16, one bit per APIC below. */
		ldr = rd(a, R_LDR);
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!irq->logical)
		return dest == apic_id(a);
	ldr = rd(a, R_LDR) >> 24;
	if ((rd(a, R_DFR) >> 28) == 0xf)	/* flat model */
		return ldr & dest;
	/* cluster model: cluster in 7:4, member bits in 3:0 */
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);
}

/**
 * mkvm_apic_deliver() - send an interrupt message to the VM's local APICs
 * @vm:  the VM
 * @src: the sending vCPU for IPIs (self and all-but-self shorthands), or
 *       NULL for the IOAPIC and MSIs
 * @irq: the message
 *
 * Lowest-priority messages go to one matching APIC, the one with the
 * lowest PPR (10.6.2.4 leaves the choice to the platform).
 *
 * Context: any; takes the APICs' spinlocks.
 * Return: the number of APICs that took it, -1 when none matched.
 */
int mkvm_apic_deliver(struct mkvm *vm, struct mkvm_vcpu *src,
		      const struct mkvm_apic_irq *irq)
{
	struct mkvm_lapic *best = NULL;
	unsigned int i, n;
	int r = -1;

	/* Pairs with the release in mkvm_vcpu_create(): vcpus[] is filled. */
	n = smp_load_acquire(&vm->nr_vcpus);

	for (i = 0; i < n; i++) {
		struct mkvm_lapic *a = vm->vcpus[i]->lapic;

		if (!a || !lapic_match_dest(a, src, irq))
			continue;
		if (irq->delivery_mode == MKVM_APIC_DM_LOWEST &&
		    !irq->shorthand) {
			if (apic_enabled(a) &&
			    (!best || rd(a, R_PPR) < rd(best, R_PPR)))
				best = a;
			continue;
		}
		if (r < 0)
			r = 0;
		r += lapic_accept(a, irq);
	}
	if (best)
		r = lapic_accept(best, irq);
	return r;
}

/* ---- the timer ---- */

static void timer_fire(struct mkvm_lapic *a)
{
	struct mkvm_apic_irq irq = { .delivery_mode = MKVM_APIC_DM_FIXED };
	u32 lvtt = READ_ONCE(*(u32 *)(a->regs + R_LVTT));

	if (lvtt & LVT_MASKED)
		return;
	irq.vector = lvtt & 0xff;
	lapic_accept(a, &irq);
}

static enum hrtimer_restart mkvm_lapic_timer_fn(struct hrtimer *t)
{
	struct mkvm_lapic *a = container_of(t, struct mkvm_lapic, timer);

	timer_fire(a);
	if (a->period_ns) {
		hrtimer_forward_now(t, ns_to_ktime(a->period_ns));
		return HRTIMER_RESTART;
	}
	return HRTIMER_NORESTART;
}

/* Start the one-shot/periodic timer for @count bus cycles (vCPU thread). */
static void timer_start_count(struct mkvm_lapic *a, u32 count)
{
	u64 ns;

	hrtimer_cancel(&a->timer);
	a->period_ns = 0;
	if (!count || timer_mode(a) == LVTT_DEADLINE)
		return;
	ns = (u64)count * timer_divisor(a);
	if (timer_mode(a) == LVTT_PERIODIC) {
		/* As KVM: a storm of timer exits must not stall the host. */
		ns = max(ns, MKVM_MIN_PERIOD_NS);
		a->period_ns = ns;
	}
	hrtimer_start(&a->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

static void timer_start_deadline(struct mkvm_lapic *a)
{
	u64 now = 0, ns;

	hrtimer_cancel(&a->timer);
	a->period_ns = 0;
	if (!a->tsc_deadline)
		return;
	/* The guest's TSC is the host's plus the vendor's offset. */
	mkvm_ops->get_msr(a->vcpu, MSR_IA32_TSC, &now);
	if (a->tsc_deadline <= now || !tsc_khz) {
		timer_fire(a);
		a->tsc_deadline = 0;
		return;
	}
	ns = mul_u64_u32_div(a->tsc_deadline - now, 1000000, tsc_khz);
	hrtimer_start(&a->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

/* TMCCT (10.5.4): the count left, 0 once a one-shot timer expired. */
static u32 timer_current_count(struct mkvm_lapic *a)
{
	ktime_t rem;

	if (!rd(a, R_TMICT) || timer_mode(a) == LVTT_DEADLINE ||
	    !hrtimer_active(&a->timer))
		return 0;
	rem = hrtimer_get_remaining(&a->timer);
	if (ktime_to_ns(rem) <= 0)
		return 0;
	return min_t(u64, div_u64(ktime_to_ns(rem), timer_divisor(a)),
		     rd(a, R_TMICT));
}

/* ---- register access ---- */

/* Readable registers, by offset >> 4 (SDM Table 10-1 / 10-6). */
static bool reg_readable(struct mkvm_lapic *a, u32 off)
{
	switch (off) {
	case R_ID: case R_LVR: case R_TPR: case R_PPR: case R_LDR:
	case R_SVR: case R_ESR: case R_ICR: case R_LVTT: case R_LVTTHM:
	case R_LVTPC: case R_LVT0: case R_LVT1: case R_LVTERR: case R_TMICT:
	case R_TMCCT: case R_TDCR:
	case R_ISR ... R_IRR + 0x70:
		return !(off & 0xf);
	case R_APR: case R_DFR: case R_ICR2:
		return !x2apic_mode(a);
	default:
		return false;
	}
}

static u32 lapic_read(struct mkvm_lapic *a, u32 off)
{
	unsigned long flags;
	u32 v;

	if (off == R_TMCCT)
		return timer_current_count(a);
	spin_lock_irqsave(&a->lock, flags);
	if (off == R_PPR)
		update_ppr(a);
	v = rd(a, off);
	if (off == R_ICR)
		v &= ~LVT_PENDING;	/* delivery is instantaneous: idle */
	spin_unlock_irqrestore(&a->lock, flags);
	return v;
}

static void lapic_send_ipi(struct mkvm_lapic *a, u32 icr, u32 dest)
{
	struct mkvm_apic_irq irq = {
		.vector = icr & 0xff,
		.delivery_mode = (icr >> 8) & 7,
		.logical = icr & BIT(11),
		.level = icr & BIT(14),
		.trig_level = icr & BIT(15),
		.shorthand = (icr >> 18) & 3,
		.dest = dest,
	};

	mkvm_apic_deliver(a->vcpu->vm, a->vcpu, &irq);
}

static void lapic_eoi(struct mkvm_lapic *a)
{
	unsigned long flags;
	bool level;
	int v;

	spin_lock_irqsave(&a->lock, flags);
	v = vec_highest(a, R_ISR);
	if (v < 0) {
		spin_unlock_irqrestore(&a->lock, flags);
		return;
	}
	vec_clear(a, R_ISR, v);
	level = vec_test(a, R_TMR, v);
	update_ppr(a);
	spin_unlock_irqrestore(&a->lock, flags);
	/*
	 * 10.8.5: a level-triggered vector's EOI goes to the IOAPIC; with a
	 * PIT, edge ones too: its reinjection waits for them (x86/pit.c).
	 */
	if (level || READ_ONCE(a->vcpu->vm->pit))
		mkvm_ioapic_eoi(a->vcpu->vm, v, level);
}

static const u32 lvt_masks[] = {
	[0] = LVT_MASK | (3 << LVTT_MODE_SHIFT),	/* timer */
	[1] = LVT_MASK | 0x700,				/* thermal */
	[2] = LVT_MASK | 0x700,				/* perf */
	[3] = LINT_MASK,				/* LINT0 */
	[4] = LINT_MASK,				/* LINT1 */
	[5] = LVT_MASK,					/* error */
};

/*
 * Write one register. Returns 0, or 1 for a write the CPU refuses (x2APIC
 * #GP). The vCPU's own thread only; timer changes happen after the lock
 * is dropped.
 */
static int lapic_write(struct mkvm_lapic *a, u32 off, u64 val64)
{
	u32 val = val64, old_mode;
	bool x2 = x2apic_mode(a);
	unsigned long flags;
	int i;

	switch (off) {
	case R_ID:
		if (x2)
			return 1;	/* read-only in x2APIC mode */
		spin_lock_irqsave(&a->lock, flags);
		wr(a, R_ID, val & 0xff000000);
		spin_unlock_irqrestore(&a->lock, flags);
		return 0;
	case R_TPR:
		mkvm_lapic_set_tpr(a->vcpu, val & 0xff);
		return 0;
	case R_EOI:
		if (x2 && val)
			return 1;
		lapic_eoi(a);
		return 0;
	case R_LDR:
		if (x2)
			return 1;
		spin_lock_irqsave(&a->lock, flags);
		wr(a, R_LDR, val & 0xff000000);
		spin_unlock_irqrestore(&a->lock, flags);
		return 0;
	case R_DFR:
		if (x2)
			return 1;
		spin_lock_irqsave(&a->lock, flags);
		wr(a, R_DFR, val | 0x0fffffff);
		spin_unlock_irqrestore(&a->lock, flags);
		return 0;
	case R_SVR:
		spin_lock_irqsave(&a->lock, flags);
		wr(a, R_SVR, val & 0x3ff);
		/* 10.4.7.2: software-disabling masks every LVT entry. */
		if (!(val & SVR_ENABLE))
			for (i = 0; i < 6; i++)
				wr(a, R_LVTT + i * 16,
				   rd(a, R_LVTT + i * 16) | LVT_MASKED);
		spin_unlock_irqrestore(&a->lock, flags);
		return 0;
	case R_ESR:
		if (x2 && val)
			return 1;
		wr(a, R_ESR, 0);	/* no errors are ever latched */
		return 0;
	case R_ICR:
		spin_lock_irqsave(&a->lock, flags);
		wr(a, R_ICR, val & ~LVT_PENDING);
		if (x2)
			wr(a, R_ICR2, val64 >> 32);
		spin_unlock_irqrestore(&a->lock, flags);
		lapic_send_ipi(a, val, x2 ? val64 >> 32 : rd(a, R_ICR2) >> 24);
		return 0;
	case R_ICR2:
		if (x2)
			return 1;
		wr(a, R_ICR2, val & 0xff000000);
		return 0;
	case R_LVTT:
		spin_lock_irqsave(&a->lock, flags);
		old_mode = timer_mode(a);
		if (!(rd(a, R_SVR) & SVR_ENABLE))
			val |= LVT_MASKED;
		val &= lvt_masks[0];
		/* Mode 3 is reserved: keep the old mode bits. */
		if (((val >> LVTT_MODE_SHIFT) & 3) == 3)
			val = (val & ~(3 << LVTT_MODE_SHIFT)) |
			      (old_mode << LVTT_MODE_SHIFT);
		wr(a, R_LVTT, val);
		spin_unlock_irqrestore(&a->lock, flags);
		if (timer_mode(a) != old_mode) {
			/* A mode change disarms the timer (as KVM). */
			hrtimer_cancel(&a->timer);
			a->period_ns = 0;
			a->tsc_deadline = 0;
			wr(a, R_TMICT, 0);
		}
		return 0;
	case R_LVTTHM: case R_LVTPC: case R_LVT0: case R_LVT1: case R_LVTERR:
		i = (off - R_LVTT) / 16;
		spin_lock_irqsave(&a->lock, flags);
		if (!(rd(a, R_SVR) & SVR_ENABLE))
			val |= LVT_MASKED;
		wr(a, off, val & lvt_masks[i]);
		spin_unlock_irqrestore(&a->lock, flags);
		return 0;
	case R_TMICT:
		if (timer_mode(a) == LVTT_DEADLINE)
			return 0;	/* ignored in TSC-deadline mode */
		wr(a, R_TMICT, val);
		timer_start_count(a, val);
		return 0;
	case R_TDCR:
		wr(a, R_TDCR, val & 0xb);
		return 0;
	case R_SELF_IPI:
		if (!x2)
			return 1;
		lapic_send_ipi(a, (val & 0xff) | (1 << 18), 0);
		return 0;
	default:
		return 1;
	}
}

/**
 * mkvm_lapic_mmio() - a guest access to the xAPIC page, if it is one
 * @vcpu:  the vCPU
 * @gpa:   the guest-physical address accessed
 * @write: a write
 * @len:   1, 2, 4 or 8 bytes
 * @val:   the data written, or where the data read goes
 *
 * Reads of up to 4 bytes within a register are answered; writes that are
 * not 4 aligned bytes are dropped, as KVM does. With the APIC
 * hardware-disabled or in x2APIC mode the page reads as all-ones and
 * ignores writes (KVM's default "LAPIC MMIO hole" behaviour).
 *
 * Return: true when the access was the APIC's (and is done).
 */
bool mkvm_lapic_mmio(struct mkvm_vcpu *vcpu, u64 gpa, bool write,
		     unsigned int len, u64 *val)
{
	struct mkvm_lapic *a = vcpu->lapic;
	u64 base;
	u32 off, v;

	if (!a)
		return false;
	base = apic_base(a) & ~0xfffULL & GENMASK_ULL(51, 0);
	if (gpa < base || gpa >= base + PAGE_SIZE)
		return false;
	off = gpa - base;
	if (!hw_enabled(a) || x2apic_mode(a)) {
		if (!write)
			*val = len >= 8 ? ~0ULL : BIT_ULL(8 * len) - 1;
		return true;
	}
	if (write) {
		if (len == 4 && !(off & 0xf) && off < KVM_APIC_REG_SIZE)
			lapic_write(a, off, (u32)*val);
		return true;
	}
	*val = 0;
	if ((off & 0xf) + len > 4 || !reg_readable(a, off & ~0xfU))
		return true;
	v = lapic_read(a, off & ~0xfU) >> (8 * (off & 3));
	*val = len == 4 ? v : v & (BIT(8 * len) - 1);
	return true;
}

/**
 * mkvm_lapic_get_msr() - RDMSR of the x2APIC and TSC-deadline MSRs
 * @vcpu: the vCPU
 * @msr:  the MSR
 * @data: the value
 *
 * Return: 0, -EINVAL for #GP (x2APIC off, unreadable register), -ENOENT
 * for an MSR that is not the APIC's.
 */
int mkvm_lapic_get_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *data)
{
	struct mkvm_lapic *a = vcpu->lapic;
	u32 off = (msr - APIC_BASE_MSR) << 4;

	if (msr == MSR_IA32_TSC_DEADLINE) {
		/* Reads 0 without an in-kernel APIC, as in KVM. */
		*data = a && timer_mode(a) == LVTT_DEADLINE ? a->tsc_deadline : 0;
		return 0;
	}
	if (msr < APIC_BASE_MSR || msr > APIC_BASE_MSR + 0xff)
		return -ENOENT;
	if (!a || !x2apic_mode(a) || !reg_readable(a, off))
		return -EINVAL;
	*data = lapic_read(a, off);
	if (off == R_ICR)
		*data |= (u64)rd(a, R_ICR2) << 32;
	return 0;
}

/**
 * mkvm_lapic_set_msr() - WRMSR of the x2APIC and TSC-deadline MSRs
 * @vcpu: the vCPU
 * @msr:  the MSR
 * @data: the value
 * @host: from KVM_SET_MSRS
 *
 * Return: 0, -EINVAL for #GP, -ENOENT for an MSR that is not the APIC's.
 */
int mkvm_lapic_set_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 data, bool host)
{
	struct mkvm_lapic *a = vcpu->lapic;
	u32 off = (msr - APIC_BASE_MSR) << 4;

	if (msr == MSR_IA32_TSC_DEADLINE) {
		/* Ignored outside TSC-deadline mode (10.5.4.1). */
		if (!a || timer_mode(a) != LVTT_DEADLINE)
			return 0;
		a->tsc_deadline = data;
		timer_start_deadline(a);
		return 0;
	}
	if (msr < APIC_BASE_MSR || msr > APIC_BASE_MSR + 0xff)
		return -ENOENT;
	if (!a || !x2apic_mode(a))
		return -EINVAL;
	/* Only the ICR is 64 bits wide; elsewhere bits 63:32 are reserved. */
	if (off != R_ICR && (data >> 32))
		return -EINVAL;
	return lapic_write(a, off, data) ? -EINVAL : 0;
}

/* x2APIC IDs and logical IDs are derived from the vCPU id (10.12.10.2). */
static void lapic_set_x2apic_ids(struct mkvm_lapic *a)
{
	u32 id = a->vcpu->id;

	wr(a, R_ID, id);
	wr(a, R_LDR, ((id >> 4) << 16) | BIT(id & 0xf));
}

/**
 * mkvm_lapic_set_base() - IA32_APIC_BASE changed
 * @vcpu: the vCPU
 * @old:  the previous value (the new one is in vcpu->msrs)
 */
void mkvm_lapic_set_base(struct mkvm_vcpu *vcpu, u64 old)
{
	struct mkvm_lapic *a = vcpu->lapic;
	unsigned long flags;

	if (!a)
		return;
	spin_lock_irqsave(&a->lock, flags);
	if (x2apic_mode(a) && !(old & X2APIC_ENABLE))
		lapic_set_x2apic_ids(a);
	else if (!x2apic_mode(a) && (old & X2APIC_ENABLE))
		wr(a, R_ID, vcpu->id << 24);
	spin_unlock_irqrestore(&a->lock, flags);
}

/* ---- for the injection path (x86/irq.c), vCPU thread ---- */

/**
 * mkvm_lapic_pending_vector() - the vector the APIC would deliver now
 * @vcpu: the vCPU
 *
 * Return: the highest IRR vector whose class is above PPR (10.8.3.1), or
 * -1.
 */
int mkvm_lapic_pending_vector(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *a = vcpu->lapic;
	unsigned long flags;
	int v;

	spin_lock_irqsave(&a->lock, flags);
	v = apic_enabled(a) ? vec_highest(a, R_IRR) : -1;
	update_ppr(a);
	if (v >= 0 && (v & 0xf0) <= rd(a, R_PPR))
		v = -1;
	spin_unlock_irqrestore(&a->lock, flags);
	return v;
}

/**
 * mkvm_lapic_ack() - the vector is being injected: IRR -> ISR
 * @vcpu:   the vCPU
 * @vector: from mkvm_lapic_pending_vector()
 */
void mkvm_lapic_ack(struct mkvm_vcpu *vcpu, int vector)
{
	struct mkvm_lapic *a = vcpu->lapic;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	vec_clear(a, R_IRR, vector);
	vec_set(a, R_ISR, vector);
	update_ppr(a);
	spin_unlock_irqrestore(&a->lock, flags);
}

/** mkvm_lapic_get_tpr() - TPR, for the vendor's CR8 / V_TPR mirror */
u8 mkvm_lapic_get_tpr(struct mkvm_vcpu *vcpu)
{
	return rd(vcpu->lapic, R_TPR);
}

/** mkvm_lapic_set_tpr() - TPR written (MMIO, MSR or CR8) */
void mkvm_lapic_set_tpr(struct mkvm_vcpu *vcpu, u8 tpr)
{
	struct mkvm_lapic *a = vcpu->lapic;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	wr(a, R_TPR, tpr);
	update_ppr(a);
	spin_unlock_irqrestore(&a->lock, flags);
}

/** mkvm_lapic_take_nmi() - consume a pending NMI; true if there was one */
bool mkvm_lapic_take_nmi(struct mkvm_vcpu *vcpu)
{
	return atomic_xchg(&vcpu->lapic->nmi_pending, 0);
}

/** mkvm_lapic_nmi_pending() - is an NMI waiting? */
bool mkvm_lapic_nmi_pending(struct mkvm_vcpu *vcpu)
{
	return atomic_read(&vcpu->lapic->nmi_pending);
}

/**
 * mkvm_lapic_take_events() - consume pending INIT/SIPI
 * @vcpu: the vCPU
 * @sipi: the start-up vector, when MKVM_APIC_EV_SIPI is returned
 *
 * Return: MKVM_APIC_EV_* bits.
 */
unsigned long mkvm_lapic_take_events(struct mkvm_vcpu *vcpu, u8 *sipi)
{
	struct mkvm_lapic *a = vcpu->lapic;
	unsigned long flags, ev;

	spin_lock_irqsave(&a->lock, flags);
	ev = a->pending_events;
	a->pending_events = 0;
	*sipi = a->sipi_vector;
	spin_unlock_irqrestore(&a->lock, flags);
	return ev;
}

/** mkvm_lapic_pend_sipi() - re-arm the last start-up IPI (SET_MP_STATE) */
void mkvm_lapic_pend_sipi(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *a = vcpu->lapic;
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	__set_bit(MKVM_APIC_EV_SIPI, &a->pending_events);
	spin_unlock_irqrestore(&a->lock, flags);
}

/** mkvm_lapic_events_pending() - INIT or SIPI waiting? (lockless peek) */
bool mkvm_lapic_events_pending(struct mkvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->lapic->pending_events);
}

/**
 * mkvm_lapic_accepts_extint() - is LINT0 open to the 8259A's INT?
 * @vcpu: the vCPU, with a local APIC
 *
 * As KVM's kvm_apic_accept_pic_intr(): the APIC is hardware-disabled (the
 * PIC then drives the CPU's INTR pin, SDM 10.4.3), or LVT0 is unmasked
 * with delivery mode ExtINT (10.5.1). A lockless read: the guest's own
 * LVT0 write is followed by an entry, which asks again.
 *
 * Return: true when an ExtINT from the PIC may be injected.
 */
bool mkvm_lapic_accepts_extint(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *a = vcpu->lapic;
	u32 lvt0 = READ_ONCE(*(u32 *)(a->regs + R_LVT0));

	if (!hw_enabled(a))
		return true;
	return !(lvt0 & LVT_MASKED) &&
	       ((lvt0 >> 8) & 7) == MKVM_APIC_DM_EXTINT;
}

/* ---- life cycle and KVM_GET/SET_LAPIC ---- */

/**
 * mkvm_lapic_reset() - the APIC after RESET or INIT (SDM 10.4.7.1)
 * @vcpu: the vCPU
 * @init: INIT rather than creation: pending events are kept
 */
void mkvm_lapic_reset(struct mkvm_vcpu *vcpu, bool init)
{
	struct mkvm_lapic *a = vcpu->lapic;
	unsigned long flags;
	int i;

	hrtimer_cancel(&a->timer);
	a->period_ns = 0;
	a->tsc_deadline = 0;
	spin_lock_irqsave(&a->lock, flags);
	memset(a->regs, 0, sizeof(a->regs));
	if (x2apic_mode(a))
		lapic_set_x2apic_ids(a);
	else
		wr(a, R_ID, vcpu->id << 24);
	wr(a, R_LVR, MKVM_APIC_VERSION);
	for (i = 0; i < 6; i++)
		wr(a, R_LVTT + i * 16, LVT_MASKED);
	/*
	 * KVM's KVM_X86_QUIRK_LINT0_REENABLED: the BSP's LINT0 comes out of
	 * reset as ExtINT, unmasked (virtual wire), so the 8259 reaches it
	 * once a guest programs the PIC (x86/pic.c).
	 */
	if (vcpu->id == 0)
		wr(a, R_LVT0, MKVM_APIC_DM_EXTINT << 8);
	wr(a, R_DFR, 0xffffffff);
	wr(a, R_SVR, 0xff);
	if (!init)
		a->pending_events = 0;
	spin_unlock_irqrestore(&a->lock, flags);
	atomic_set(&a->nmi_pending, 0);
}

/**
 * mkvm_lapic_create() - give a new vCPU its local APIC
 * @vcpu: the vCPU, not yet visible to other threads
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_lapic_create(struct mkvm_vcpu *vcpu)
{
	struct mkvm_lapic *a;

	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	a->vcpu = vcpu;
	spin_lock_init(&a->lock);
	mkvm_hrtimer_setup(&a->timer, mkvm_lapic_timer_fn, CLOCK_MONOTONIC,
			   HRTIMER_MODE_REL_HARD);
	vcpu->lapic = a;
	mkvm_lapic_reset(vcpu, false);
	return 0;
}

/**
 * mkvm_lapic_free() - stop the timer and free the APIC
 * @vcpu: the vCPU, at VM destruction (nothing can send to it any more)
 */
void mkvm_lapic_free(struct mkvm_vcpu *vcpu)
{
	if (!vcpu->lapic)
		return;
	hrtimer_cancel(&vcpu->lapic->timer);
	kfree(vcpu->lapic);
	vcpu->lapic = NULL;
}

/**
 * mkvm_lapic_get_state() - KVM_GET_LAPIC
 * @vcpu: the vCPU (its mutex held)
 * @s:    filled with the register page
 *
 * Return: 0, -EINVAL without an in-kernel APIC.
 */
int mkvm_lapic_get_state(struct mkvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct mkvm_lapic *a = vcpu->lapic;
	unsigned long flags;
	u32 tmcct;

	if (!a)
		return -EINVAL;
	tmcct = timer_current_count(a);
	spin_lock_irqsave(&a->lock, flags);
	update_ppr(a);
	memcpy(s->regs, a->regs, sizeof(s->regs));
	spin_unlock_irqrestore(&a->lock, flags);
	*(u32 *)(s->regs + R_TMCCT) = tmcct;
	/* Without KVM_CAP_X2APIC_API, KVM shows the x2APIC ID in 31:24. */
	if (x2apic_mode(a))
		*(u32 *)(s->regs + R_ID) = vcpu->id << 24;
	return 0;
}

/**
 * mkvm_lapic_set_state() - KVM_SET_LAPIC
 * @vcpu: the vCPU (its mutex held)
 * @s:    the register page from userspace
 *
 * The version stays ours, PPR is recomputed, and the timer restarts from
 * the TMCCT in @s (as KVM's __start_apic_timer(apic, APIC_TMCCT)).
 *
 * Return: 0, -EINVAL without an in-kernel APIC or for an x2APIC ID that
 * is not the vCPU's.
 */
int mkvm_lapic_set_state(struct mkvm_vcpu *vcpu,
			 const struct kvm_lapic_state *s)
{
	struct mkvm_lapic *a = vcpu->lapic;
	unsigned long flags;
	u32 tmcct;

	if (!a)
		return -EINVAL;
	if (x2apic_mode(a) &&
	    (*(const u32 *)(s->regs + R_ID) >> 24) != (vcpu->id & 0xff))
		return -EINVAL;
	hrtimer_cancel(&a->timer);
	a->period_ns = 0;
	a->tsc_deadline = 0;
	spin_lock_irqsave(&a->lock, flags);
	memcpy(a->regs, s->regs, sizeof(a->regs));
	if (x2apic_mode(a))
		lapic_set_x2apic_ids(a);
	wr(a, R_LVR, MKVM_APIC_VERSION);
	wr(a, R_ICR, rd(a, R_ICR) & ~LVT_PENDING);
	if (((rd(a, R_LVTT) >> LVTT_MODE_SHIFT) & 3) == 3)
		wr(a, R_LVTT, rd(a, R_LVTT) & ~(3 << LVTT_MODE_SHIFT));
	update_ppr(a);
	tmcct = rd(a, R_TMCCT);
	wr(a, R_TMCCT, 0);
	spin_unlock_irqrestore(&a->lock, flags);
	if (rd(a, R_TMICT))
		timer_start_count(a, tmcct);
	mkvm_vcpu_kick(vcpu);
	return 0;
}
