// SPDX-License-Identifier: GPL-2.0
/*
 * x86/pit_counter.c - the counters of an Intel 8254 programmable interval
 * timer as pure logic: what a counter reads and what its OUT pin is at a
 * given time, and how control words, count writes, reads and GATE change
 * that. x86/pit.c puts three of them on ports 40h-43h and 61h.
 *
 * Implements the Intel 8254 datasheet (order 231164): "Control Word
 * Format" (SC, RW, M, BCD), "Write Operations" (LSB, MSB, LSB then MSB;
 * a written 0 is the largest count, 2^16 binary or 10^4 BCD), "Read
 * Operations" (a live read, the Counter Latch Command, the Read-Back
 * Command with its status byte: OUT, NULL COUNT, RW, M, BCD; a latched
 * status is read before a latched count; a second latch before the first
 * is read is ignored), "Mode Definitions" (modes 0-5, OUT per mode, the
 * count sequence of mode 3 for odd and even counts) and the GATE table
 * (modes 0/4: low pauses counting; modes 2/3: low stops counting and
 * forces OUT high, a rising edge reloads; modes 1/5: a rising edge
 * triggers).
 *
 * Why pure: nothing here reads a clock, takes a lock or sleeps, so each
 * mode's count sequence and OUT are unit-tested on the host
 * (selftests/unit/pit_test.c) as functions of elapsed time. The state is
 * a start time and the clock ticks counted before it; the count and OUT
 * are computed from the ticks elapsed, never stepped.
 *
 * Simplifications, as in KVM's i8254.c: a count takes effect when its
 * last byte is written (the datasheet loads it on the next CLK edge, and
 * modes 2 and 3 only at the end of the current period); a count written
 * in mode 1 or 5 waits for the next trigger; writing the first byte of a
 * two-byte count in mode 0 does not stop the counter.
 *
 * Non-goals: counting CLK edges one by one (OUT pulses shorter than the
 * caller's time resolution are computed, never seen), invalid BCD digits
 * (each nibble counts at face value), the 8253's differences.
 */
#include "pit_counter.h"

#define NSEC_PER_S	1000000000ULL

/** mkvm_pit_ns_to_ticks() - whole clock ticks in @ns nanoseconds */
u64 mkvm_pit_ns_to_ticks(u64 ns)
{
	/* Split so that no product overflows 64 bits for any @ns. */
	return ns / NSEC_PER_S * MKVM_PIT_HZ +
	       ns % NSEC_PER_S * MKVM_PIT_HZ / NSEC_PER_S;
}

/** mkvm_pit_ticks_to_ns() - nanoseconds until @ticks ticks have passed */
u64 mkvm_pit_ticks_to_ns(u64 ticks)
{
	/* Rounded up: at the returned time the tick count has been reached. */
	return ticks / MKVM_PIT_HZ * NSEC_PER_S +
	       (ticks % MKVM_PIT_HZ * NSEC_PER_S + MKVM_PIT_HZ - 1) / MKVM_PIT_HZ;
}

/* The count wraps at 2^16 binary and 10^4 BCD. */
static u32 modulus(const struct mkvm_pit_counter *c)
{
	return c->bcd ? 10000 : 0x10000;
}

static u16 to_bcd(u32 v)
{
	return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
	       (v / 1000 % 10) << 12;
}

static u32 from_bcd(u32 v)
{
	return (v & 0xf) + (v >> 4 & 0xf) * 10 + (v >> 8 & 0xf) * 100 +
	       (v >> 12 & 0xf) * 1000;
}

/* From a number below modulus() to what the counter's register reads. */
static u16 to_reg(const struct mkvm_pit_counter *c, u32 v)
{
	v %= modulus(c);
	return c->bcd ? to_bcd(v) : v;
}

static bool valid_mode(const struct mkvm_pit_counter *c)
{
	return c->mode <= 5;
}

static bool triggered_mode(const struct mkvm_pit_counter *c)
{
	return c->mode == 1 || c->mode == 5;
}

/* Does the counting element hold the count (rather than @hold)? */
static bool has_count(const struct mkvm_pit_counter *c)
{
	if (!c->loaded || !valid_mode(c))
		return false;
	return !triggered_mode(c) || c->triggered;
}

/* Does it count now? GATE pauses modes 0, 2, 3 and 4. */
static bool running(const struct mkvm_pit_counter *c)
{
	return has_count(c) && (triggered_mode(c) || c->gate);
}

/**
 * mkvm_pit_elapsed() - clock ticks counted since the count was loaded
 * @c:   the counter
 * @now: the time, in the same clock as every other call
 *
 * Return: ticks (GATE pauses excluded); 0 when nothing counts.
 */
u64 mkvm_pit_elapsed(const struct mkvm_pit_counter *c, s64 now)
{
	if (!running(c))
		return c->base_ticks;
	if (now < c->start_ns)
		return c->base_ticks;
	return c->base_ticks + mkvm_pit_ns_to_ticks(now - c->start_ns);
}

/* Keep the ticks counted so far and restart the clock at @now. */
static void fold(struct mkvm_pit_counter *c, s64 now)
{
	c->base_ticks = mkvm_pit_elapsed(c, now);
	c->start_ns = now;
}

static void restart(struct mkvm_pit_counter *c, s64 now)
{
	c->base_ticks = 0;
	c->start_ns = now;
}

/* Mode 3 counts by two: OUT high for (N + 1) / 2 ticks, low for N / 2. */
static u32 mode3_value(u32 n, u64 d)
{
	u32 p = d % n, half = (n + 1) / 2;

	if (!(n & 1))
		return p < n / 2 ? n - 2 * p : n - 2 * (p - n / 2);
	/* Odd: N, N-1, N-3, ... 2; then N, N-3, N-5, ... 2. */
	if (p < half)
		return p ? n + 1 - 2 * p : n;
	p -= half;
	return p ? n - 1 - 2 * p : n;
}

/**
 * mkvm_pit_read_counter() - the counting element now
 * @c:   the counter
 * @now: the time
 *
 * Return: the value a read (or a latch) sees, BCD-encoded with @c->bcd.
 */
u16 mkvm_pit_read_counter(const struct mkvm_pit_counter *c, s64 now)
{
	u32 n = c->count;
	u64 d;

	if (!has_count(c))
		return c->hold;
	d = mkvm_pit_elapsed(c, now);
	switch (c->mode) {
	case 2:
		return to_reg(c, n - d % n);
	case 3:
		return to_reg(c, mode3_value(n, d));
	default:
		/* Modes 0, 1, 4, 5 wrap around and go on counting. */
		return to_reg(c, n + modulus(c) - d % modulus(c));
	}
}

/**
 * mkvm_pit_out() - the counter's OUT pin now
 * @c:   the counter
 * @now: the time
 *
 * Return: the level of OUT.
 */
bool mkvm_pit_out(const struct mkvm_pit_counter *c, s64 now)
{
	u32 n = c->count;
	u64 d;

	/* After a control word: low in mode 0, high in the others. */
	if (!c->loaded || !valid_mode(c))
		return c->mode != 0;
	d = mkvm_pit_elapsed(c, now);
	switch (c->mode) {
	case 0:
		return d >= n;
	case 1:
		return !c->triggered || d >= n;
	case 2:
		return !c->gate || d % n != n - 1;
	case 3:
		return !c->gate || d % n < (n + 1) / 2;
	case 4:
		return d != n;
	default:
		return !c->triggered || d != n;
	}
}

/**
 * mkvm_pit_counter_load() - a complete count was written
 * @c:   the counter
 * @n:   the count as a number (0 and anything above the modulus: largest)
 * @now: the time
 */
void mkvm_pit_counter_load(struct mkvm_pit_counter *c, u32 n, s64 now)
{
	c->hold = mkvm_pit_read_counter(c, now);
	if (!n || n > modulus(c))
		n = modulus(c);
	c->count = n;
	c->loaded = true;
	/* Modes 1 and 5 wait for a trigger before the count is used. */
	c->triggered = false;
	c->null_count = triggered_mode(c);
	restart(c, now);
}

/**
 * mkvm_pit_counter_reset() - power-on state, as KVM's: no mode, count 2^16
 * @c:    the counter
 * @gate: its GATE input
 * @now:  the time
 */
void mkvm_pit_counter_reset(struct mkvm_pit_counter *c, bool gate, s64 now)
{
	*c = (struct mkvm_pit_counter){ .mode = MKVM_PIT_MODE_NONE, .gate = gate };
	mkvm_pit_counter_load(c, 0, now);
	c->hold = 0;
}

/**
 * mkvm_pit_set_gate() - GATE changes level
 * @c:    the counter
 * @gate: the new level
 * @now:  the time
 */
void mkvm_pit_set_gate(struct mkvm_pit_counter *c, bool gate, s64 now)
{
	if (c->gate == gate)
		return;
	fold(c, now);		/* modes 0, 4: a pause keeps the ticks */
	c->gate = gate;
	if (!gate || !c->loaded)
		return;
	switch (c->mode) {
	case 1:
	case 5:
		c->triggered = true;
		c->null_count = false;
		restart(c, now);
		break;
	case 2:
	case 3:
		restart(c, now);	/* reload and count again */
		break;
	}
}

static void latch_count(struct mkvm_pit_counter *c, s64 now)
{
	if (c->count_latched)
		return;		/* the first latch stands until read */
	c->latched_count = mkvm_pit_read_counter(c, now);
	c->count_latched = c->rw_mode;
}

static void latch_status(struct mkvm_pit_counter *c, s64 now)
{
	if (c->status_latched)
		return;
	c->status = mkvm_pit_out(c, now) << 7 | c->null_count << 6 |
		    (c->rw_mode & 3) << 4 | (c->mode & 7) << 1 | (c->bcd & 1);
	c->status_latched = 1;
}

/**
 * mkvm_pit_control() - a write to the control word register (43h)
 * @ctr: the three counters
 * @val: the control word: a mode, a Counter Latch or a Read-Back command
 * @now: the time
 */
void mkvm_pit_control(struct mkvm_pit_counter ctr[3], u8 val, s64 now)
{
	struct mkvm_pit_counter *c;
	unsigned int i, rw;

	if ((val >> 6) == 3) {
		/* Read-Back: COUNT (bit 5) and STATUS (bit 4) are active low. */
		for (i = 0; i < 3; i++) {
			if (!(val & (2 << i)))
				continue;
			if (!(val & 0x20))
				latch_count(&ctr[i], now);
			if (!(val & 0x10))
				latch_status(&ctr[i], now);
		}
		return;
	}
	c = &ctr[val >> 6];
	rw = (val >> 4) & 3;
	if (!rw) {
		latch_count(c, now);
		return;
	}
	/* A new mode: the counter stops until its count is written. */
	c->hold = mkvm_pit_read_counter(c, now);
	c->rw_mode = rw;
	c->read_state = rw;
	c->write_state = rw;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* 11x is mode 2 or 3 */
	c->bcd = val & 1;
	c->loaded = false;
	c->triggered = false;
	c->null_count = true;
}

/**
 * mkvm_pit_write() - a write to a counter's port (40h-42h)
 * @c:   the counter
 * @val: the byte
 * @now: the time
 *
 * Return: true when the write completed a count (the caller reprograms
 * whatever follows OUT).
 */
bool mkvm_pit_write(struct mkvm_pit_counter *c, u8 val, s64 now)
{
	u32 n;

	switch (c->write_state) {
	case MKVM_PIT_RW_MSB:
		n = val << 8;
		break;
	case MKVM_PIT_RW_WORD0:
		c->write_latch = val;
		c->write_state = MKVM_PIT_RW_WORD1;
		return false;
	case MKVM_PIT_RW_WORD1:
		n = c->write_latch | val << 8;
		c->write_state = MKVM_PIT_RW_WORD0;
		break;
	default:
		n = val;
		break;
	}
	mkvm_pit_counter_load(c, c->bcd ? from_bcd(n) : n, now);
	return true;
}

/**
 * mkvm_pit_read() - a read of a counter's port (40h-42h)
 * @c:   the counter
 * @now: the time
 *
 * Return: the byte: a latched status, a latched count byte, or a byte of
 * the live count, in that order of preference.
 */
u8 mkvm_pit_read(struct mkvm_pit_counter *c, s64 now)
{
	u16 v;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	switch (c->count_latched) {
	case 0:
		break;
	case MKVM_PIT_RW_MSB:
		c->count_latched = 0;
		return c->latched_count >> 8;
	case MKVM_PIT_RW_WORD0:
		c->count_latched = MKVM_PIT_RW_MSB;
		return c->latched_count & 0xff;
	default:
		c->count_latched = 0;
		return c->latched_count & 0xff;
	}
	v = mkvm_pit_read_counter(c, now);
	switch (c->read_state) {
	case MKVM_PIT_RW_MSB:
		return v >> 8;
	case MKVM_PIT_RW_WORD0:
		c->read_state = MKVM_PIT_RW_WORD1;
		return v & 0xff;
	case MKVM_PIT_RW_WORD1:
		c->read_state = MKVM_PIT_RW_WORD0;
		return v >> 8;
	default:
		return v & 0xff;
	}
}

/**
 * mkvm_pit_irq_plan() - when does OUT rise next (the edge IRQ 0 sees)?
 * @c:    the counter
 * @now:  the time
 * @plan: filled when there is an edge to come
 *
 * Mode 0 and 1 rise once, at terminal count; modes 4 and 5 rise once,
 * after their one-tick strobe; modes 2 and 3 rise every N ticks.
 *
 * Return: false when no rising edge is due (not counting, or a one-shot
 * that already fired).
 */
bool mkvm_pit_irq_plan(const struct mkvm_pit_counter *c, s64 now,
		       struct mkvm_pit_irq_plan *plan)
{
	u64 n = c->count, d, edge;

	if (!running(c))
		return false;
	d = mkvm_pit_elapsed(c, now);
	plan->period_ns = 0;
	switch (c->mode) {
	case 0:
	case 1:
		edge = n;
		break;
	case 4:
	case 5:
		edge = n + 1;
		break;
	default:
		edge = (d / n + 1) * n;
		plan->period_ns = mkvm_pit_ticks_to_ns(n);
		break;
	}
	if (edge <= d)
		return false;
	plan->first_ns = c->start_ns + mkvm_pit_ticks_to_ns(edge - c->base_ticks);
	return true;
}
