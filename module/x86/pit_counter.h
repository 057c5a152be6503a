/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/pit_counter.h - one 8254 counter as pure logic (see pit_counter.c).
 *
 * Shared by x86/pit.c and compiled unchanged by selftests/unit/. Time is
 * a signed nanosecond timestamp passed in by the caller (ktime_get_ns()
 * in the kernel); nothing here reads a clock, takes a lock or sleeps.
 */
#ifndef MKVM_X86_PIT_COUNTER_H
#define MKVM_X86_PIT_COUNTER_H

#include <linux/types.h>

/* The 8254's input clock on a PC: 14.31818 MHz / 12 (Linux's PIT_TICK_RATE). */
#define MKVM_PIT_HZ		1193182ULL

/* Read/write states: which byte of the count comes next (KVM's values). */
#define MKVM_PIT_RW_LSB		1
#define MKVM_PIT_RW_MSB		2
#define MKVM_PIT_RW_WORD0	3	/* LSB, then MSB */
#define MKVM_PIT_RW_WORD1	4	/* the MSB of a word */

/* A mode outside 0-5: the counter was never programmed (KVM's reset value). */
#define MKVM_PIT_MODE_NONE	0xff

/**
 * struct mkvm_pit_counter - one counter of the 8254 (datasheet section
 * "Operational Description")
 * @count:	 The initial count N as a number: 1..65536 binary, 1..10000
 *		 BCD (a written 0 is the largest count).
 * @latched_count: The output latch after a Counter Latch or Read-Back
 *		 command, in the register format (BCD-encoded with @bcd).
 * @count_latched: 0, or the MKVM_PIT_RW_* state of the latch's bytes
 *		 still to be read.
 * @status_latched: A Read-Back status byte waits in @status.
 * @status:	 The latched status byte (OUT, NULL COUNT, RW, M, BCD).
 * @read_state:	 MKVM_PIT_RW_*: the next byte a read of the count returns.
 * @write_state: MKVM_PIT_RW_*: the next byte a write loads.
 * @write_latch: The LSB of a two-byte count, until its MSB arrives.
 * @rw_mode:	 RW1:RW0 of the last control word (1 LSB, 2 MSB, 3 both).
 * @mode:	 0-5, or MKVM_PIT_MODE_NONE.
 * @bcd:	 Count in BCD.
 * @gate:	 The GATE input.
 * @loaded:	 A count was written after the last control word; counting
 *		 (or, in modes 1 and 5, waiting for a trigger) goes on.
 * @triggered:	 Modes 1 and 5: a rising GATE edge started the count.
 * @null_count:	 The status's NULL COUNT bit: a count was written (or a
 *		 control word) and has not reached the counting element.
 * @hold:	 What the counting element reads while nothing counts (after
 *		 a control word, or before a trigger), register format.
 * @start_ns:	 When counting last (re)started.
 * @base_ticks:	 Clock ticks counted before @start_ns (a GATE pause in
 *		 modes 0 and 4 keeps them).
 *
 * The first twelve members are those of KVM's struct kvm_pit_channel_state.
 */
struct mkvm_pit_counter {
	u32 count;
	u16 latched_count;
	u8 count_latched;
	u8 status_latched;
	u8 status;
	u8 read_state;
	u8 write_state;
	u8 write_latch;
	u8 rw_mode;
	u8 mode;
	u8 bcd;
	u8 gate;
	bool loaded;
	bool triggered;
	bool null_count;
	u16 hold;
	s64 start_ns;
	u64 base_ticks;
};

/**
 * struct mkvm_pit_irq_plan - when OUT next rises (channel 0's interrupt)
 * @first_ns:	The first rising edge, absolute.
 * @period_ns:	Then every @period_ns (modes 2 and 3), or 0 for one edge.
 */
struct mkvm_pit_irq_plan {
	s64 first_ns;
	u64 period_ns;
};

u64 mkvm_pit_ns_to_ticks(u64 ns);
u64 mkvm_pit_ticks_to_ns(u64 ticks);

void mkvm_pit_counter_reset(struct mkvm_pit_counter *c, bool gate, s64 now);
void mkvm_pit_counter_load(struct mkvm_pit_counter *c, u32 n, s64 now);
u64 mkvm_pit_elapsed(const struct mkvm_pit_counter *c, s64 now);
u16 mkvm_pit_read_counter(const struct mkvm_pit_counter *c, s64 now);
bool mkvm_pit_out(const struct mkvm_pit_counter *c, s64 now);
void mkvm_pit_set_gate(struct mkvm_pit_counter *c, bool gate, s64 now);
void mkvm_pit_control(struct mkvm_pit_counter ctr[3], u8 val, s64 now);
bool mkvm_pit_write(struct mkvm_pit_counter *c, u8 val, s64 now);
u8 mkvm_pit_read(struct mkvm_pit_counter *c, s64 now);
bool mkvm_pit_irq_plan(const struct mkvm_pit_counter *c, s64 now,
		       struct mkvm_pit_irq_plan *plan);

#endif /* MKVM_X86_PIT_COUNTER_H */
