// SPDX-License-Identifier: GPL-2.0
/*
 * i8259_test.c - module/x86/i8259.c, the 8259A pair, driven through its
 * ports and pins as a guest and the GSI routes would: the initialisation
 * sequence (and the inert chip before it), edge versus level (ELCR),
 * priorities, the rotation commands, the cascade and special fully nested
 * mode, automatic EOI, special mask mode, poll, reading IRR/ISR, and the
 * spurious IRQ 7/15.
 */
#include "../../module/x86/i8259.h"
#include "unit.h"

#define MBASE	0x20	/* master vector base used by these tests */
#define SBASE	0x28

static struct mkvm_8259_pair P;

static void out(u16 port, u8 val)
{
	CHECKF(mkvm_8259_write(&P, port, val), "port %#x", port);
}

static u8 in(u16 port)
{
	u8 v = 0xee;

	CHECKF(mkvm_8259_read(&P, port, &v), "port %#x", port);
	return v;
}

static int line(unsigned int pin, bool level)
{
	return mkvm_8259_set_irq(&P, pin, 0, level);
}

/* An edge: up and down again. */
static int pulse(unsigned int pin)
{
	int r = line(pin, true);

	line(pin, false);
	return r;
}

static void init_chip(u16 port, u8 base, u8 icw3, u8 icw4)
{
	out(port, 0x11);		/* ICW1: edge, cascade, IC4 */
	out(port + 1, base);		/* ICW2 */
	out(port + 1, icw3);		/* ICW3 */
	out(port + 1, icw4);		/* ICW4: 8086 mode + extras */
}

/* Both chips as Linux's init_8259A() programs them, all unmasked. */
static void init_pair(u8 m_icw4, u8 s_icw4)
{
	mkvm_8259_init(&P);
	init_chip(0x20, MBASE, 0x04, m_icw4);
	init_chip(0xa0, SBASE, 0x02, s_icw4);
}

static void eoi(u16 port)
{
	out(port, 0x20);		/* OCW2: non-specific EOI */
}

static void test_init_sequence(void)
{
	t_begin("init: before ICW1 the chip reads and masks but asserts nothing");
	mkvm_8259_init(&P);
	CHECK(in(0x21) == 0 && in(0xa1) == 0);
	/* Linux's probe_8259A(): mask the slave, write and read back. */
	out(0xa1, 0xff);
	out(0x21, 0xfb);
	CHECK(in(0x21) == 0xfb);
	CHECK(in(0xa1) == 0xff);
	out(0x21, 0);
	CHECK(line(1, true) == 1);
	CHECK(!P.output);
	CHECK(in(0x20) & 0x02);		/* the request is latched in IRR... */
	/* ...but ICW1 resets the edge sense: it is gone. */
	out(0x20, 0x11);
	CHECK(!(in(0x20) & 0x02));
	CHECK(P.chip[0].init_state == 1);
	line(1, false);
	line(1, true);
	CHECK(!P.output);		/* mid-sequence: still nothing */
	out(0x21, MBASE | 5);		/* ICW2: T2-T0 ignored */
	CHECK(P.chip[0].irq_base == MBASE);
	CHECK(P.chip[0].init_state == 2);
	out(0x21, 0x04);		/* ICW3 */
	CHECK(P.chip[0].init_state == 3);
	CHECK(!P.output);
	out(0x21, 0x01);		/* ICW4 */
	CHECK(P.chip[0].init_state == 0);
	CHECK(P.output);
	CHECK(mkvm_8259_intack(&P) == MBASE + 1);
	t_end();

	t_begin("init: ICW1 clears IMR, ISR, rotation, special mask, RIS");
	init_pair(0x01, 0x01);
	out(0x21, 0x55);
	pulse(0);
	mkvm_8259_intack(&P);
	out(0x20, 0xc3);		/* set priority */
	out(0x20, 0x6b);		/* special mask on, read ISR */
	out(0x20, 0x11);
	CHECK(in(0x21) == 0);
	CHECK(P.chip[0].isr == 0 && P.chip[0].priority_add == 0);
	CHECK(!P.chip[0].special_mask && !P.chip[0].read_reg_select);
	t_end();

	t_begin("init: without IC4 there is no ICW4 and AEOI/SFNM are cleared");
	init_pair(0x13, 0x01);		/* AEOI + SFNM */
	CHECK(P.chip[0].auto_eoi && P.chip[0].special_fully_nested_mode);
	out(0x20, 0x10);
	out(0x21, MBASE);
	out(0x21, 0x04);
	CHECK(P.chip[0].init_state == 0);
	CHECK(!P.chip[0].auto_eoi && !P.chip[0].special_fully_nested_mode);
	out(0x21, 0xfe);		/* now OCW1 */
	CHECK(in(0x21) == 0xfe);
	t_end();

	t_begin("init: single mode (SNGL) skips ICW3");
	mkvm_8259_init(&P);
	out(0x20, 0x13);
	out(0x21, 0x40);
	CHECK(P.chip[0].init_state == 3);
	out(0x21, 0x03);		/* ICW4 with AEOI */
	CHECK(P.chip[0].init_state == 0 && P.chip[0].auto_eoi);
	t_end();
}

static void test_edge_level(void)
{
	t_begin("edge: one request per rising edge, consumed by INTA");
	init_pair(0x01, 0x01);
	CHECK(line(3, true) == 1);
	CHECK(P.output);
	CHECK(mkvm_8259_intack(&P) == MBASE + 3);
	CHECK(P.chip[0].isr == 0x08 && P.chip[0].irr == 0);
	CHECK(!P.output);		/* in service */
	eoi(0x20);
	CHECK(P.chip[0].isr == 0);
	CHECK(!P.output);		/* still high: no new edge */
	line(3, false);
	line(3, true);
	CHECK(P.output);
	t_end();

	t_begin("edge: a second edge before INTA coalesces; IMR reports -1");
	init_pair(0x01, 0x01);
	CHECK(pulse(4) == 1);
	CHECK(pulse(4) == 0);
	out(0x21, 0x10);
	CHECK(!P.output);
	CHECK(pulse(4) == -1);
	out(0x21, 0x00);
	CHECK(P.output);
	CHECK(mkvm_8259_intack(&P) == MBASE + 4);
	eoi(0x20);
	CHECK(!P.output);		/* three edges, one interrupt */
	t_end();

	t_begin("edge: sources are OR-ed on a pin");
	init_pair(0x01, 0x01);
	CHECK(mkvm_8259_set_irq(&P, 5, 0, true) == 1);
	mkvm_8259_intack(&P);
	eoi(0x20);
	CHECK(mkvm_8259_set_irq(&P, 5, 1, true) == 1);
	CHECK(!P.output);		/* the pin never went low */
	mkvm_8259_set_irq(&P, 5, 0, false);
	mkvm_8259_set_irq(&P, 5, 1, false);
	mkvm_8259_set_irq(&P, 5, 1, true);
	CHECK(P.output);
	t_end();

	t_begin("level (ELCR): IRR follows the line; re-asserts after EOI");
	init_pair(0x01, 0x01);
	out(0x4d0, 0xff);
	CHECK(in(0x4d0) == 0xf8);	/* IRQ 0-2 are always edge */
	out(0x4d1, 0xff);
	CHECK(in(0x4d1) == 0xde);	/* IRQ 8 and 13 too */
	out(0x4d0, 0x08);
	line(3, true);
	CHECK(mkvm_8259_intack(&P) == MBASE + 3);
	CHECK(P.chip[0].irr & 0x08);	/* not consumed */
	CHECK(!P.output);
	eoi(0x20);
	CHECK(P.output);		/* still high: again */
	CHECK(mkvm_8259_intack(&P) == MBASE + 3);
	line(3, false);
	CHECK(!(P.chip[0].irr & 0x08));
	eoi(0x20);
	CHECK(!P.output);
	t_end();
}

static void test_priority_rotation(void)
{
	t_begin("priority: fully nested, lower waits for EOI, higher nests");
	init_pair(0x01, 0x01);
	pulse(5);
	pulse(3);
	CHECK(mkvm_8259_intack(&P) == MBASE + 3);
	CHECK(!P.output);		/* 5 waits behind 3 */
	pulse(1);
	CHECK(P.output);		/* 1 beats 3 */
	CHECK(mkvm_8259_intack(&P) == MBASE + 1);
	CHECK(P.chip[0].isr == 0x0a);
	eoi(0x20);			/* ends 1, the highest */
	CHECK(P.chip[0].isr == 0x08);
	CHECK(!P.output);
	eoi(0x20);
	CHECK(P.output);
	CHECK(mkvm_8259_intack(&P) == MBASE + 5);
	t_end();

	t_begin("priority: specific EOI ends the level named");
	init_pair(0x01, 0x01);
	pulse(6);
	mkvm_8259_intack(&P);
	pulse(2 + 2);
	mkvm_8259_intack(&P);
	CHECK(P.chip[0].isr == 0x50);
	out(0x20, 0x60 | 6);
	CHECK(P.chip[0].isr == 0x10);
	t_end();

	t_begin("rotation: set priority makes level L the lowest");
	init_pair(0x01, 0x01);
	out(0x20, 0xc0 | 4);		/* 5 highest ... 4 lowest */
	pulse(3);
	pulse(6);
	CHECK(mkvm_8259_intack(&P) == MBASE + 6);
	out(0x20, 0x20);
	CHECK(mkvm_8259_intack(&P) == MBASE + 3);
	t_end();

	t_begin("rotation: on non-specific EOI the ended level goes last");
	init_pair(0x01, 0x01);
	pulse(3);
	pulse(5);
	CHECK(mkvm_8259_intack(&P) == MBASE + 3);
	out(0x20, 0xa0);		/* rotate on non-specific EOI */
	CHECK(P.chip[0].priority_add == 4);
	pulse(3);
	CHECK(mkvm_8259_intack(&P) == MBASE + 5);	/* 3 is last now */
	t_end();

	t_begin("rotation: on specific EOI");
	init_pair(0x01, 0x01);
	pulse(1);
	mkvm_8259_intack(&P);
	out(0x20, 0xe0 | 1);
	CHECK(P.chip[0].isr == 0 && P.chip[0].priority_add == 2);
	pulse(1);
	pulse(7);
	CHECK(mkvm_8259_intack(&P) == MBASE + 7);
	t_end();

	t_begin("AEOI: nothing stays in service; rotate in AEOI mode");
	init_pair(0x03, 0x01);
	pulse(3);
	pulse(5);
	CHECK(mkvm_8259_intack(&P) == MBASE + 3);
	CHECK(P.chip[0].isr == 0);
	CHECK(P.output);		/* 5 follows without an EOI */
	out(0x20, 0x80);		/* set rotate in AEOI */
	CHECK(mkvm_8259_intack(&P) == MBASE + 5);
	CHECK(P.chip[0].priority_add == 6);
	pulse(5);
	pulse(7);
	CHECK(mkvm_8259_intack(&P) == MBASE + 7);
	out(0x20, 0x00);		/* clear rotate in AEOI */
	CHECK(mkvm_8259_intack(&P) == MBASE + 5);
	CHECK(P.chip[0].priority_add == 0);
	t_end();
}

static void test_cascade(void)
{
	t_begin("cascade: a slave pin arrives with the slave's vector");
	init_pair(0x01, 0x01);
	CHECK(pulse(10) == 1);
	CHECK(P.output);
	CHECK(mkvm_8259_intack(&P) == SBASE + 2);
	CHECK(P.chip[0].isr == 0x04 && P.chip[1].isr == 0x04);
	t_end();

	t_begin("cascade: fully nested, IR2 in service blocks the slave");
	pulse(9);			/* higher on the slave */
	CHECK(!P.output);
	eoi(0xa0);
	CHECK(!P.output);		/* the master's IR2 is still in service */
	eoi(0x20);
	CHECK(P.output);
	CHECK(mkvm_8259_intack(&P) == SBASE + 1);
	t_end();

	t_begin("cascade: special fully nested lets a higher slave pin in");
	init_pair(0x11, 0x01);
	pulse(11);
	CHECK(mkvm_8259_intack(&P) == SBASE + 3);
	pulse(12);
	CHECK(!P.output);		/* lower than the slave's 3 */
	pulse(9);
	CHECK(P.output);
	CHECK(mkvm_8259_intack(&P) == SBASE + 1);
	pulse(3);
	CHECK(!P.output);		/* IR2 still blocks the master's 3 */
	t_end();

	t_begin("cascade: master priority over the slave, slave masked");
	init_pair(0x01, 0x01);
	pulse(12);
	pulse(1);
	CHECK(mkvm_8259_intack(&P) == MBASE + 1);
	eoi(0x20);
	out(0xa1, 0x10);		/* mask slave IR4 */
	CHECK(!P.output);
	out(0xa1, 0x00);
	CHECK(mkvm_8259_intack(&P) == SBASE + 4);
	CHECK(pulse(13) == 1);
	out(0x21, 0x04);		/* mask the cascade */
	CHECK(pulse(14) == 1);		/* the slave's IMR allows it */
	eoi(0xa0);
	eoi(0x20);
	CHECK(!P.output);
	t_end();

	t_begin("cascade: an uninitialised slave asserts nothing");
	mkvm_8259_init(&P);
	init_chip(0x20, MBASE, 0x04, 0x01);
	pulse(10);
	CHECK(!P.output);
	t_end();
}

static void test_special_mask_poll_read(void)
{
	t_begin("special mask: masking the level in service opens the others");
	init_pair(0x01, 0x01);
	pulse(3);
	CHECK(mkvm_8259_intack(&P) == MBASE + 3);
	pulse(5);
	CHECK(!P.output);
	out(0x21, 0x08);		/* mask 3 ... */
	CHECK(!P.output);
	out(0x20, 0x68);		/* ... special mask mode on */
	CHECK(P.output);
	CHECK(mkvm_8259_intack(&P) == MBASE + 5);
	eoi(0x20);			/* ends 5, not the masked 3 */
	CHECK(P.chip[0].isr == 0x08);
	out(0x20, 0x48);		/* special mask mode off */
	pulse(6);
	CHECK(!P.output);
	t_end();

	t_begin("poll: the poll word, acknowledged as INTA; 0 without request");
	init_pair(0x01, 0x01);
	pulse(6);
	out(0x20, 0x0c);
	CHECK(in(0x20) == (0x80 | 6));
	CHECK(P.chip[0].isr == 0x40 && !P.chip[0].irr);
	CHECK(!P.chip[0].poll);
	out(0x20, 0x0c);
	CHECK(in(0x21) == 0);		/* either port; nothing pending */
	CHECK(in(0x21) == 0);		/* poll is over: IMR again */
	out(0x21, 0xff);
	pulse(11);
	out(0xa0, 0x0c);
	CHECK(in(0xa0) == (0x80 | 3));	/* the slave polled on its own */
	t_end();

	t_begin("OCW3: read IRR or ISR");
	init_pair(0x01, 0x01);
	pulse(2 + 5);
	pulse(4);
	mkvm_8259_intack(&P);
	CHECK(in(0x20) == 0x80);	/* IRR by default */
	out(0x20, 0x0b);
	CHECK(in(0x20) == 0x10);	/* ISR */
	CHECK(in(0x20) == 0x10);	/* sticky */
	out(0x20, 0x08);		/* RR=0: no change */
	CHECK(in(0x20) == 0x10);
	out(0x20, 0x0a);
	CHECK(in(0x20) == 0x80);
	t_end();
}

static void test_spurious(void)
{
	t_begin("spurious: a request gone before INTA is IR7 with no ISR bit");
	init_pair(0x01, 0x01);
	out(0x4d0, 0x20);
	line(5, true);
	CHECK(P.output);
	line(5, false);
	CHECK(mkvm_8259_intack(&P) == MBASE + 7);
	CHECK(P.chip[0].isr == 0);
	t_end();

	t_begin("spurious: IR2 with nothing on the slave is IRQ 15");
	init_pair(0x01, 0x01);
	line(2, true);			/* a GSI 2 route, not the slave */
	CHECK(mkvm_8259_intack(&P) == SBASE + 7);
	CHECK(P.chip[0].isr == 0x04 && P.chip[1].isr == 0);
	t_end();

	t_begin("bad pins, sources and ports are refused");
	init_pair(0x01, 0x01);
	CHECK(mkvm_8259_set_irq(&P, 16, 0, true) == -1);
	CHECK(mkvm_8259_set_irq(&P, 1, 8, true) == -1);
	CHECK(!P.output);
	{
		u8 v;

		CHECK(!mkvm_8259_write(&P, 0x22, 0));
		CHECK(!mkvm_8259_read(&P, 0x4d2, &v));
	}
	/* Any loaded state is safe: a vector base wraps, rotation masks. */
	P.chip[0].irq_base = 0xfc;
	P.chip[0].priority_add = 0xff;
	pulse(6);
	CHECK(mkvm_8259_intack(&P) == (u8)(0xfc + 6));
	t_end();
}

void i8259_tests(void)
{
	test_init_sequence();
	test_edge_level();
	test_priority_rotation();
	test_cascade();
	test_special_mask_poll_read();
	test_spurious();
}
