// SPDX-License-Identifier: GPL-2.0
/*
 * pit_test.c - module/x86/pit_counter.c, the 8254's counters: each mode's
 * count sequence and OUT as functions of elapsed clock ticks (Intel 8254
 * datasheet, order 231164, "Mode Definitions"), GATE per mode, the
 * Counter Latch and Read-Back commands (status byte, latch precedence, a
 * second latch ignored), LSB/MSB/word access, BCD, the largest count, and
 * when channel 0's interrupt (a rising OUT edge) is due.
 *
 * Counters are driven the way a guest drives them: a control word to 43h
 * and count bytes to 40h-42h, at times given in ticks (at(k) is the first
 * nanosecond at which k ticks have passed since time 0).
 */
#include <linux/types.h>
#include "../../module/x86/pit_counter.h"
#include "unit.h"

static s64 at(u64 ticks)
{
	return mkvm_pit_ticks_to_ns(ticks);
}

/*
 * @k ticks after an event at tick @t0 that (re)started counting: at(t0)
 * is rounded up to a nanosecond, so at(t0 + k) may fall a hair short.
 */
static s64 since(u64 t0, u64 k)
{
	return at(t0) + mkvm_pit_ticks_to_ns(k);
}

/* Control word for counter @ch, then its count as @rw says, at tick @t. */
static void program(struct mkvm_pit_counter *ctr, int ch, int mode, int rw,
		    int bcd, u16 count, u64 t)
{
	mkvm_pit_control(ctr, ch << 6 | rw << 4 | mode << 1 | bcd, at(t));
	if (rw & 1)
		mkvm_pit_write(&ctr[ch], count & 0xff, at(t));
	if (rw & 2)
		mkvm_pit_write(&ctr[ch], count >> 8, at(t));
}

static void reset(struct mkvm_pit_counter *ctr)
{
	int i;

	for (i = 0; i < 3; i++)
		mkvm_pit_counter_reset(&ctr[i], i != 2, 0);
}

/* The 16-bit count as a guest reads it: Counter Latch, LSB, MSB. */
static u16 latched_ns(struct mkvm_pit_counter *ctr, int ch, s64 ns)
{
	u16 lo;

	mkvm_pit_control(ctr, ch << 6, ns);
	lo = mkvm_pit_read(&ctr[ch], ns);
	return lo | mkvm_pit_read(&ctr[ch], ns) << 8;
}

static u16 latched(struct mkvm_pit_counter *ctr, int ch, u64 t)
{
	return latched_ns(ctr, ch, at(t));
}

static bool out(struct mkvm_pit_counter *ctr, int ch, u64 t)
{
	return mkvm_pit_out(&ctr[ch], at(t));
}

static bool out_ns(struct mkvm_pit_counter *ctr, int ch, s64 ns)
{
	return mkvm_pit_out(&ctr[ch], ns);
}

static void test_conversions(void)
{
	u64 k;

	t_begin("pit: ns <-> ticks");
	CHECK(mkvm_pit_ns_to_ticks(1000000000ULL) == MKVM_PIT_HZ);
	CHECK(mkvm_pit_ns_to_ticks(837) == 0 && mkvm_pit_ns_to_ticks(839) == 1);
	/* A year of uptime does not overflow. */
	CHECK(mkvm_pit_ns_to_ticks(86400ULL * 365 * 1000000000ULL) ==
	      86400ULL * 365 * MKVM_PIT_HZ);
	for (k = 0; k < 5000000; k += 997)
		CHECKF(mkvm_pit_ns_to_ticks(at(k)) == k &&
		       (!k || mkvm_pit_ns_to_ticks(at(k) - 1) == k - 1),
		       "k=%llu", (unsigned long long)k);
	t_end();
}

static void test_reset(void)
{
	struct mkvm_pit_counter ctr[3];
	struct mkvm_pit_irq_plan p;

	t_begin("pit: reset state (KVM's: no mode, count 2^16)");
	reset(ctr);
	CHECK(ctr[0].mode == MKVM_PIT_MODE_NONE && ctr[0].count == 0x10000);
	CHECK(ctr[0].gate && ctr[1].gate && !ctr[2].gate);
	CHECK(out(ctr, 0, 100));
	CHECK(!mkvm_pit_irq_plan(&ctr[0], at(5), &p));
	t_end();
}

static void test_mode0(void)
{
	struct mkvm_pit_counter ctr[3];
	struct mkvm_pit_irq_plan p;

	t_begin("pit: mode 0, interrupt on terminal count");
	reset(ctr);
	mkvm_pit_control(ctr, 0x30, at(0));
	CHECK(!out(ctr, 0, 0));		/* low after the control word */
	mkvm_pit_write(&ctr[0], 100, at(0));
	CHECK(!out(ctr, 0, 0));		/* one byte of two: not loaded */
	CHECK(!mkvm_pit_irq_plan(&ctr[0], at(0), &p));
	mkvm_pit_write(&ctr[0], 0, at(10));	/* N = 100 from tick 10 */
	CHECK(latched(ctr, 0, 10) == 100);
	CHECK(latched(ctr, 0, 60) == 50);
	CHECK(latched(ctr, 0, 109) == 1 && !out(ctr, 0, 109));
	CHECK(latched(ctr, 0, 110) == 0 && out(ctr, 0, 110));
	CHECK(latched(ctr, 0, 111) == 0xffff && out(ctr, 0, 111));
	CHECK(out(ctr, 0, 70000));	/* stays high; the count wraps on */
	CHECK(latched(ctr, 0, 110 + 65536) == 0);
	CHECK(mkvm_pit_irq_plan(&ctr[0], at(50), &p));
	CHECK(p.first_ns == at(110) && p.period_ns == 0);
	CHECK(!mkvm_pit_irq_plan(&ctr[0], at(110), &p));
	t_end();

	t_begin("pit: mode 0, GATE low pauses counting");
	reset(ctr);
	program(ctr, 2, 0, 3, 0, 100, 0);	/* channel 2: GATE low */
	CHECK(latched(ctr, 2, 500) == 100);
	mkvm_pit_set_gate(&ctr[2], 1, at(500));
	CHECK(latched_ns(ctr, 2, since(500, 30)) == 70);
	mkvm_pit_set_gate(&ctr[2], 0, since(500, 30));
	CHECK(latched(ctr, 2, 9000) == 70 && !out(ctr, 2, 9000));
	mkvm_pit_set_gate(&ctr[2], 1, at(9000));
	CHECK(latched_ns(ctr, 2, since(9000, 69)) == 1);
	CHECK(!out_ns(ctr, 2, since(9000, 69)) && out_ns(ctr, 2, since(9000, 70)));
	CHECK(mkvm_pit_irq_plan(&ctr[2], at(9000), &p));
	CHECK(p.first_ns == since(9000, 70));
	t_end();
}

static void test_mode1(void)
{
	struct mkvm_pit_counter ctr[3];
	struct mkvm_pit_irq_plan p;

	t_begin("pit: mode 1, hardware retriggerable one-shot");
	reset(ctr);
	program(ctr, 2, 1, 3, 0, 50, 0);
	CHECK(out(ctr, 2, 10) && !mkvm_pit_irq_plan(&ctr[2], at(10), &p));
	CHECK(ctr[2].null_count);	/* waits for its trigger */
	mkvm_pit_set_gate(&ctr[2], 1, at(100));
	CHECK(!ctr[2].null_count);
	CHECK(!out(ctr, 2, 100) && latched(ctr, 2, 100) == 50);
	CHECK(latched_ns(ctr, 2, since(100, 25)) == 25);
	CHECK(!out_ns(ctr, 2, since(100, 49)) && out_ns(ctr, 2, since(100, 50)));
	/* Retrigger while counting: the one-shot starts over. */
	mkvm_pit_set_gate(&ctr[2], 0, at(200));
	CHECK(out(ctr, 2, 200));
	mkvm_pit_set_gate(&ctr[2], 1, at(300));
	CHECK(!out(ctr, 2, 330));
	mkvm_pit_set_gate(&ctr[2], 0, at(330));
	mkvm_pit_set_gate(&ctr[2], 1, at(340));
	CHECK(!out_ns(ctr, 2, since(340, 49)) && out_ns(ctr, 2, since(340, 50)));
	CHECK(mkvm_pit_irq_plan(&ctr[2], at(340), &p) &&
	      p.first_ns == since(340, 50));
	t_end();
}

static void test_mode2(void)
{
	struct mkvm_pit_counter ctr[3];
	struct mkvm_pit_irq_plan p;
	u64 d;
	bool ok = true;

	t_begin("pit: mode 2, rate generator");
	reset(ctr);
	program(ctr, 0, 2, 3, 0, 10, 0);
	for (d = 0; d < 40; d++) {
		u16 want = 10 - d % 10;

		ok &= CHECKF(latched(ctr, 0, d) == want, "d=%llu: %u",
			     (unsigned long long)d, latched(ctr, 0, d));
		ok &= CHECKF(out(ctr, 0, d) == (d % 10 != 9), "out d=%llu",
			     (unsigned long long)d);
	}
	CHECK(mkvm_pit_irq_plan(&ctr[0], at(0), &p));
	CHECK(p.first_ns == at(10) && p.period_ns == (u64)at(10));
	CHECK(mkvm_pit_irq_plan(&ctr[0], at(15), &p) && p.first_ns == at(20));
	/* 11x is mode 2 too (status shows M = 2). */
	mkvm_pit_control(ctr, 0x3c, at(50));
	CHECK(ctr[0].mode == 2);
	t_end();

	t_begin("pit: mode 2, GATE low forces OUT high, rising edge reloads");
	reset(ctr);
	mkvm_pit_set_gate(&ctr[2], 1, 0);
	program(ctr, 2, 2, 3, 0, 10, 0);
	mkvm_pit_set_gate(&ctr[2], 0, at(19));	/* OUT was low here */
	CHECK(out(ctr, 2, 19) && out(ctr, 2, 500));
	CHECK(!mkvm_pit_irq_plan(&ctr[2], at(500), &p));
	mkvm_pit_set_gate(&ctr[2], 1, at(1000));
	CHECK(latched(ctr, 2, 1000) == 10 && latched_ns(ctr, 2, since(1000, 3)) == 7);
	CHECK(!out_ns(ctr, 2, since(1000, 9)) && out_ns(ctr, 2, since(1000, 10)));
	t_end();
}

static void test_mode3(void)
{
	/* Even: N, N-2, ... 2 twice; odd: N, N-1, N-3 ... 2; N, N-3 ... 2. */
	static const u16 even[] = { 10, 8, 6, 4, 2, 10, 8, 6, 4, 2 };
	static const u16 odd[] = { 7, 6, 4, 2, 7, 4, 2 };
	struct mkvm_pit_counter ctr[3];
	struct mkvm_pit_irq_plan p;
	u64 d;

	t_begin("pit: mode 3, square wave, even count");
	reset(ctr);
	program(ctr, 0, 3, 3, 0, 10, 0);
	for (d = 0; d < 30; d++) {
		CHECKF(latched(ctr, 0, d) == even[d % 10], "d=%llu: %u",
		       (unsigned long long)d, latched(ctr, 0, d));
		CHECKF(out(ctr, 0, d) == (d % 10 < 5), "out d=%llu",
		       (unsigned long long)d);
	}
	CHECK(mkvm_pit_irq_plan(&ctr[0], at(3), &p) && p.first_ns == at(10));
	CHECK(p.period_ns == (u64)at(10));
	t_end();

	t_begin("pit: mode 3, square wave, odd count");
	reset(ctr);
	program(ctr, 0, 7, 3, 0, 7, 0);		/* 111: mode 3 */
	CHECK(ctr[0].mode == 3);
	for (d = 0; d < 21; d++) {
		CHECKF(latched(ctr, 0, d) == odd[d % 7], "d=%llu: %u",
		       (unsigned long long)d, latched(ctr, 0, d));
		/* High for (N + 1) / 2 ticks, low for (N - 1) / 2. */
		CHECKF(out(ctr, 0, d) == (d % 7 < 4), "out d=%llu",
		       (unsigned long long)d);
	}
	t_end();
}

static void test_mode45(void)
{
	struct mkvm_pit_counter ctr[3];
	struct mkvm_pit_irq_plan p;

	t_begin("pit: mode 4, software triggered strobe");
	reset(ctr);
	program(ctr, 0, 4, 3, 0, 20, 0);
	CHECK(out(ctr, 0, 0) && out(ctr, 0, 19));
	CHECK(!out(ctr, 0, 20) && out(ctr, 0, 21));
	CHECK(latched(ctr, 0, 20) == 0 && latched(ctr, 0, 22) == 0xfffe);
	CHECK(mkvm_pit_irq_plan(&ctr[0], at(0), &p) && p.first_ns == at(21));
	CHECK(!p.period_ns && !mkvm_pit_irq_plan(&ctr[0], at(21), &p));
	t_end();

	t_begin("pit: mode 5, hardware triggered strobe");
	reset(ctr);
	program(ctr, 2, 5, 3, 0, 20, 0);
	CHECK(out(ctr, 2, 100) && !mkvm_pit_irq_plan(&ctr[2], at(100), &p));
	mkvm_pit_set_gate(&ctr[2], 1, at(100));
	CHECK(out_ns(ctr, 2, since(100, 19)) && !out_ns(ctr, 2, since(100, 20)));
	CHECK(out_ns(ctr, 2, since(100, 21)));
	CHECK(latched_ns(ctr, 2, since(100, 10)) == 10);
	t_end();
}

static void test_latch(void)
{
	struct mkvm_pit_counter ctr[3];

	t_begin("pit: Counter Latch holds the count; a second latch is ignored");
	reset(ctr);
	program(ctr, 0, 2, 3, 0, 1000, 0);
	mkvm_pit_control(ctr, 0x00, at(100));
	mkvm_pit_control(ctr, 0x00, at(200));
	CHECK(mkvm_pit_read(&ctr[0], at(500)) == (900 & 0xff));
	CHECK(mkvm_pit_read(&ctr[0], at(600)) == 900 >> 8);
	/* Read out: live reads again, LSB then MSB. */
	CHECK(mkvm_pit_read(&ctr[0], at(700)) == (300 & 0xff));
	CHECK(mkvm_pit_read(&ctr[0], at(700)) == 300 >> 8);
	t_end();

	t_begin("pit: latch in LSB-only and MSB-only modes is one byte");
	reset(ctr);
	program(ctr, 1, 2, 1, 0, 200, 0);
	mkvm_pit_control(ctr, 0x40, at(50));
	CHECK(mkvm_pit_read(&ctr[1], at(60)) == 150);
	CHECK(mkvm_pit_read(&ctr[1], at(60)) == 140);	/* live again */
	program(ctr, 1, 2, 2, 0, 0x3000, 100);
	mkvm_pit_control(ctr, 0x40, at(100 + 0x100));
	CHECK(mkvm_pit_read(&ctr[1], at(5000)) == 0x2f);
	CHECK(ctr[1].count_latched == 0);
	t_end();
}

static void test_readback(void)
{
	struct mkvm_pit_counter ctr[3];
	u8 st;

	t_begin("pit: Read-Back status and count, status first");
	reset(ctr);
	mkvm_pit_control(ctr, 0x34, at(0));	/* ch 0, word, mode 2 */
	mkvm_pit_control(ctr, 0xe2, at(0));	/* status only, counter 0 */
	st = mkvm_pit_read(&ctr[0], at(0));
	CHECKF(st == (0x80 | 0x40 | 0x30 | 2 << 1), "status %#x", st);
	mkvm_pit_write(&ctr[0], 100, at(0));
	mkvm_pit_write(&ctr[0], 0, at(0));
	mkvm_pit_control(ctr, 0xc2, at(99));	/* count and status */
	st = mkvm_pit_read(&ctr[0], at(150));
	CHECKF(st == (0x30 | 2 << 1), "status %#x (OUT low at N-1)", st);
	CHECK(mkvm_pit_read(&ctr[0], at(150)) == 1);
	CHECK(mkvm_pit_read(&ctr[0], at(150)) == 0);
	t_end();

	t_begin("pit: Read-Back of several counters, count only, BCD in status");
	reset(ctr);
	program(ctr, 0, 0, 3, 0, 1000, 0);
	program(ctr, 1, 3, 3, 1, 0x0500, 0);
	mkvm_pit_control(ctr, 0xda, at(10));	/* count of 0 and 2 */
	CHECK(ctr[0].count_latched && !ctr[1].count_latched);
	CHECK(!ctr[0].status_latched);
	mkvm_pit_control(ctr, 0xec, at(10));	/* status of 1 and 2 */
	CHECK(mkvm_pit_read(&ctr[1], at(10)) == (0x80 | 0x30 | 3 << 1 | 1));
	CHECK(mkvm_pit_read(&ctr[0], at(20)) == (990 & 0xff));
	t_end();
}

static void test_access(void)
{
	struct mkvm_pit_counter ctr[3];

	t_begin("pit: LSB only, MSB only, LSB then MSB");
	reset(ctr);
	mkvm_pit_control(ctr, 0x14, at(0));	/* LSB only, mode 2 */
	CHECK(mkvm_pit_write(&ctr[0], 0x34, at(0)) && ctr[0].count == 0x34);
	mkvm_pit_control(ctr, 0x24, at(0));	/* MSB only */
	CHECK(mkvm_pit_write(&ctr[0], 0x12, at(0)) && ctr[0].count == 0x1200);
	CHECK(mkvm_pit_read(&ctr[0], at(0)) == 0x12);
	CHECK(mkvm_pit_read(&ctr[0], at(0x100)) == 0x11);
	mkvm_pit_control(ctr, 0x34, at(0));	/* word */
	CHECK(!mkvm_pit_write(&ctr[0], 0x78, at(0)));
	CHECK(mkvm_pit_write(&ctr[0], 0x56, at(0)) && ctr[0].count == 0x5678);
	/* Live word reads alternate LSB, MSB. */
	CHECK(mkvm_pit_read(&ctr[0], at(8)) == 0x70);
	CHECK(mkvm_pit_read(&ctr[0], at(8)) == 0x56);
	CHECK(mkvm_pit_read(&ctr[0], at(8)) == 0x70);
	t_end();

	t_begin("pit: a written 0 is the largest count");
	reset(ctr);
	program(ctr, 0, 2, 3, 0, 0, 0);
	CHECK(ctr[0].count == 0x10000);
	CHECK(latched(ctr, 0, 0) == 0 && latched(ctr, 0, 1) == 0xffff);
	t_end();
}

static void test_bcd(void)
{
	struct mkvm_pit_counter ctr[3];
	struct mkvm_pit_irq_plan p;

	t_begin("pit: BCD counting");
	reset(ctr);
	program(ctr, 0, 2, 3, 1, 0x0100, 0);	/* 100 */
	CHECK(ctr[0].count == 100);
	CHECK(latched(ctr, 0, 0) == 0x0100 && latched(ctr, 0, 1) == 0x0099);
	CHECK(latched(ctr, 0, 10) == 0x0090 && latched(ctr, 0, 99) == 0x0001);
	CHECK(mkvm_pit_irq_plan(&ctr[0], at(0), &p) && p.first_ns == at(100));
	program(ctr, 0, 0, 3, 1, 0, 1000);	/* 0 is 10000 in BCD */
	CHECK(ctr[0].count == 10000);
	CHECK(latched_ns(ctr, 0, since(1000, 1)) == 0x9999);
	program(ctr, 0, 0, 1, 1, 0x05, 2000);	/* wraps to 9999 */
	CHECK(latched_ns(ctr, 0, since(2000, 6)) == 0x9999);
	CHECK(out_ns(ctr, 0, since(2000, 6)));
	t_end();
}

void pit_tests(void)
{
	test_conversions();
	test_reset();
	test_mode0();
	test_mode1();
	test_mode2();
	test_mode3();
	test_mode45();
	test_latch();
	test_readback();
	test_access();
	test_bcd();
}
