// SPDX-License-Identifier: GPL-2.0
/*
 * x86/i8259.c - the two cascaded 8259A interrupt controllers of a PC, as a
 * state machine without locks or kernel objects (x86/pic.c wraps it).
 *
 * Implements the Intel 8259A datasheet (order 231468): "Interrupt
 * Sequence" (the IRR/ISR/IMR and the INTA cycle that hands out the vector
 * and sets the ISR bit), "Initialization Command Words" ICW1-ICW4 (Figure
 * 6: ICW1 resets the chip, then ICW2 the vector base T7-T3, ICW3 unless
 * SNGL, ICW4 if IC4), "Operation Command Words" OCW1 (IMR), OCW2 (EOI,
 * specific EOI, rotation) and OCW3 (read IRR/ISR, poll, special mask
 * mode), and "Operation of the 8259A": fully nested and special fully
 * nested mode, automatic EOI and rotation in AEOI mode, specific and
 * automatic rotation, special mask mode, poll command, cascade mode, and
 * the default IR7 (the spurious interrupt). Edge versus level comes from
 * the PIIX/ICH edge/level control registers (ELCR, ports 4D0h/4D1h), as on
 * every PC since the PCI era and in KVM: IRQ 0, 1, 2, 8 and 13 are always
 * edge (KVM's elcr_mask).
 *
 * Choices where the datasheet leaves room, and why:
 *  - The slave's INT drives the master's IR2 as a level (IRR2 follows it):
 *    an edge-latched IR2 can lose a slave request raised while IR2 is
 *    being acknowledged, or leave a stale one that turns into IRQ 15.
 *  - A chip asserts INT only once an ICW1 was written and the ICW
 *    sequence is complete: the state at power-up is undefined on the
 *    real part, and minikvm keeps its PIC inert until a guest programs it.
 *    Reads and OCW1 work from the start (IMR 0, as KVM), so a guest's
 *    probe finds the chip.
 *  - ICW1 also clears ISR and a pending poll (a re-initialised chip has
 *    nothing in service); LTIM and ADI are ignored (the ELCR decides the
 *    trigger mode; interval is an 8080 detail), as are ICW3's cascade
 *    identities and ICW4's buffered and microprocessor modes: the wiring
 *    is fixed, master IR2 to slave INT.
 *  - The poll command returns the datasheet's poll word (bit 7 = request,
 *    2:0 = level) and acknowledges like INTA; 0 when nothing is pending.
 *
 * Non-goals: 8080/8085 mode (3-byte CALL), buffered mode, more than one
 * slave, the 8259's own level-triggered mode (LTIM) apart from the ELCR.
 */
#include <linux/types.h>

#include "i8259.h"

/* Port numbers (PC/AT, PIIX ELCR). */
#define PORT_MASTER	0x20
#define PORT_SLAVE	0xa0
#define PORT_ELCR	0x4d0

/* ICW1 and OCW3 bits (datasheet Figures 6 and 8). */
#define ICW1_IC4	0x01
#define ICW1_SNGL	0x02
#define ICW1_SEL	0x10	/* A0=0, D4=1: this is ICW1 */
#define OCW3_SEL	0x08	/* A0=0, D4=0, D3=1: OCW3, else OCW2 */
#define OCW3_RIS	0x01
#define OCW3_RR		0x02
#define OCW3_P		0x04
#define OCW3_SMM	0x20
#define OCW3_ESMM	0x40
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10
#define POLL_REQUEST	0x80

static u8 bit8(unsigned int irq)
{
	return (u8)(1u << (irq & 7));
}

/*
 * The priority (0 = highest) of the best level set in @mask, given the
 * rotation; 8 for none.
 */
static unsigned int get_priority(const struct mkvm_8259 *c, u8 mask)
{
	unsigned int p;

	if (!mask)
		return 8;
	for (p = 0; !(mask & bit8(p + c->priority_add)); p++)
		;
	return p;
}

/*
 * The IR level chip @idx would interrupt with now, or -1: the best
 * unmasked request must beat the best level in service (fully nested
 * mode). Special mask mode: masked levels in service do not block. Special
 * fully nested mode (master): the slave may interrupt while IR2 is in
 * service (datasheet "Special Fully Nested Mode").
 */
static int chip_get_irq(const struct mkvm_8259_pair *p, unsigned int idx)
{
	const struct mkvm_8259 *c = &p->chip[idx];
	unsigned int prio, cur, irq;
	u8 inservice = c->isr;

	prio = get_priority(c, c->irr & ~c->imr);
	if (prio == 8)
		return -1;
	if (c->special_mask)
		inservice &= ~c->imr;
	cur = get_priority(c, inservice);
	irq = (prio + c->priority_add) & 7;
	if (prio < cur)
		return irq;
	if (prio == cur && idx == 0 && irq == MKVM_8259_CASCADE &&
	    c->special_fully_nested_mode)
		return irq;
	return -1;
}

/* Does the chip drive its INT output? */
static bool chip_int(const struct mkvm_8259_pair *p, unsigned int idx)
{
	const struct mkvm_8259 *c = &p->chip[idx];

	return c->programmed && !c->init_state && chip_get_irq(p, idx) >= 0;
}

/**
 * mkvm_8259_update() - recompute the cascade input and the INT output
 * @p: the pair
 *
 * Called after every change; the owner (x86/pic.c) also calls it after
 * loading a state.
 */
void mkvm_8259_update(struct mkvm_8259_pair *p)
{
	struct mkvm_8259 *m = &p->chip[0];
	u8 b = bit8(MKVM_8259_CASCADE);

	if (chip_int(p, 1) || p->lines[MKVM_8259_CASCADE]) {
		m->irr |= b;
		m->last_irr |= b;
	} else {
		m->irr &= ~b;
		m->last_irr &= ~b;
	}
	p->output = chip_int(p, 0);
}

/**
 * mkvm_8259_init() - the state KVM_CREATE_IRQCHIP gives the pair
 * @p: the pair
 *
 * Everything zero (IMR too, as KVM's), edge everywhere, not programmed.
 */
void mkvm_8259_init(struct mkvm_8259_pair *p)
{
	*p = (struct mkvm_8259_pair){};
	p->chip[0].elcr_mask = 0xf8;
	p->chip[1].elcr_mask = 0xde;
}

/*
 * A chip input changed to @level (KVM's pic_set_irq1()). Edge: IRR is
 * set on a rising edge and stays set until acknowledged. Level (ELCR):
 * IRR follows the input. Returns 1 for a new request, 0 when it merged
 * with one already pending, -1 when masked.
 */
static int chip_set_input(struct mkvm_8259 *c, unsigned int irq, bool level)
{
	u8 b = bit8(irq);
	int ret = 1;

	if (c->elcr & b) {
		if (level) {
			ret = !(c->irr & b);
			c->irr |= b;
			c->last_irr |= b;
		} else {
			c->irr &= ~b;
			c->last_irr &= ~b;
		}
	} else if (level) {
		if (!(c->last_irr & b)) {
			ret = !(c->irr & b);
			c->irr |= b;
		}
		c->last_irr |= b;
	} else {
		c->last_irr &= ~b;
	}
	return (c->imr & b) ? -1 : ret;
}

/**
 * mkvm_8259_set_irq() - a source raises or lowers pin @pin
 * @p:     the pair
 * @pin:   0-15 (8-15 are the slave's IR0-7)
 * @src:   the source, 0-7 (MKVM_IRQ_SRC_*); the pin's input is their OR
 * @level: the source's new level
 *
 * Return: as KVM's kvm_pic_set_irq(): 1 a new request, 0 coalesced, -1
 * masked in the IMR or a bad pin.
 */
int mkvm_8259_set_irq(struct mkvm_8259_pair *p, unsigned int pin,
		      unsigned int src, bool level)
{
	struct mkvm_8259 *c;
	int ret;

	if (pin >= MKVM_8259_PINS || src >= 8)
		return -1;
	if (level)
		p->lines[pin] |= bit8(src);
	else
		p->lines[pin] &= ~bit8(src);
	c = &p->chip[pin >> 3];
	if (pin == MKVM_8259_CASCADE)	/* mkvm_8259_update() drives IR2 */
		ret = (c->imr & bit8(pin)) ? -1 : 1;
	else
		ret = chip_set_input(c, pin & 7, p->lines[pin]);
	mkvm_8259_update(p);
	return ret;
}

/* The INTA cycle on one chip for level @irq: into service, AEOI. */
static void chip_intack(struct mkvm_8259 *c, unsigned int irq)
{
	u8 b = bit8(irq);

	c->isr |= b;
	if (!(c->elcr & b))
		c->irr &= ~b;	/* edge: the request is consumed */
	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (irq + 1) & 7;
		c->isr &= ~b;
	}
}

/**
 * mkvm_8259_intack() - the CPU's interrupt acknowledge: the vector
 * @p: the pair
 *
 * The master's best request goes into service; for IR2 the slave's does
 * too and its vector is used. With no request (it went away since INT
 * rose) the chip answers with its IR7 vector and sets no ISR bit: the
 * spurious IRQ 7, or 15 when the master acknowledged IR2 and the slave
 * has nothing.
 *
 * Return: the vector.
 */
u8 mkvm_8259_intack(struct mkvm_8259_pair *p)
{
	struct mkvm_8259 *m = &p->chip[0], *s = &p->chip[1];
	int irq = chip_int(p, 0) ? chip_get_irq(p, 0) : -1, irq2;
	unsigned int vec;

	if (irq < 0) {
		vec = m->irq_base + 7;
	} else if (irq == MKVM_8259_CASCADE) {
		chip_intack(m, irq);
		irq2 = chip_int(p, 1) ? chip_get_irq(p, 1) : -1;
		if (irq2 >= 0)
			chip_intack(s, irq2);
		else
			irq2 = 7;
		vec = s->irq_base + irq2;
	} else {
		chip_intack(m, irq);
		vec = m->irq_base + irq;
	}
	mkvm_8259_update(p);
	return vec & 0xff;
}

/* OCW3 P=1, then a read: the poll word, acknowledged like INTA. */
static u8 chip_poll(struct mkvm_8259_pair *p, unsigned int idx)
{
	struct mkvm_8259 *c = &p->chip[idx];
	int irq = chip_get_irq(p, idx);

	c->poll = 0;
	if (irq < 0)
		return 0;
	chip_intack(c, irq);
	mkvm_8259_update(p);
	return POLL_REQUEST | irq;
}

/* ICW1: start the initialisation sequence (datasheet "Initialization"). */
static void chip_icw1(struct mkvm_8259 *c, u8 val)
{
	c->init4 = val & ICW1_IC4;
	c->single = val & ICW1_SNGL;
	c->last_irr = 0;		/* edge sense reset */
	c->irr &= c->elcr;
	c->imr = 0;
	c->isr = 0;
	c->priority_add = 0;		/* IR7 lowest */
	c->special_mask = 0;
	c->read_reg_select = 0;	/* status read: IRR */
	c->poll = 0;
	if (!c->init4) {		/* ICW4 functions cleared */
		c->special_fully_nested_mode = 0;
		c->auto_eoi = 0;
	}
	c->init_state = 1;
	c->programmed = true;
}

/* OCW2 (datasheet Figure 8): EOI and rotation commands, R SL EOI. */
static void chip_ocw2(struct mkvm_8259 *c, u8 val)
{
	unsigned int cmd = val >> 5, irq, prio;
	u8 inservice = c->isr;

	switch (cmd) {
	case 0:		/* rotate in AEOI mode: clear */
	case 4:		/* rotate in AEOI mode: set */
		c->rotate_on_auto_eoi = cmd >> 2;
		break;
	case 1:		/* non-specific EOI */
	case 5:		/* rotate on non-specific EOI */
		/* Special mask mode: a masked level is not the one to end. */
		if (c->special_mask)
			inservice &= ~c->imr;
		prio = get_priority(c, inservice);
		if (prio == 8)
			break;
		irq = (prio + c->priority_add) & 7;
		c->isr &= ~bit8(irq);
		if (cmd == 5)
			c->priority_add = (irq + 1) & 7;
		break;
	case 3:		/* specific EOI */
		c->isr &= ~bit8(val);
		break;
	case 6:		/* set priority: level val&7 becomes the lowest */
		c->priority_add = (val + 1) & 7;
		break;
	case 7:		/* rotate on specific EOI */
		c->isr &= ~bit8(val);
		c->priority_add = (val + 1) & 7;
		break;
	default:	/* 2: no operation */
		break;
	}
}

static void chip_ocw3(struct mkvm_8259 *c, u8 val)
{
	if (val & OCW3_P)
		c->poll = 1;
	if (val & OCW3_RR)
		c->read_reg_select = val & OCW3_RIS;
	if (val & OCW3_ESMM)
		c->special_mask = !!(val & OCW3_SMM);
}

/* A write to the odd port: OCW1, or the next ICW of the sequence. */
static void chip_write_odd(struct mkvm_8259 *c, u8 val)
{
	switch (c->init_state) {
	case 1:		/* ICW2 */
		c->irq_base = val & 0xf8;
		c->init_state = !c->single ? 2 : c->init4 ? 3 : 0;
		break;
	case 2:		/* ICW3: the wiring is fixed */
		c->init_state = c->init4 ? 3 : 0;
		break;
	case 3:		/* ICW4 */
		c->special_fully_nested_mode = !!(val & ICW4_SFNM);
		c->auto_eoi = !!(val & ICW4_AEOI);
		c->init_state = 0;
		break;
	default:	/* OCW1 (a bad loaded init_state ends here too) */
		c->imr = val;
		c->init_state = 0;
		break;
	}
}

/**
 * mkvm_8259_write() - a guest OUT to one of the pair's ports
 * @p:    the pair
 * @port: 20h, 21h, A0h, A1h, 4D0h or 4D1h
 * @val:  the byte
 *
 * Return: false for a port that is not the pair's.
 */
bool mkvm_8259_write(struct mkvm_8259_pair *p, u16 port, u8 val)
{
	struct mkvm_8259 *c;

	switch (port) {
	case PORT_MASTER:
	case PORT_MASTER + 1:
	case PORT_SLAVE:
	case PORT_SLAVE + 1:
		c = &p->chip[port >= PORT_SLAVE];
		if (port & 1)
			chip_write_odd(c, val);
		else if (val & ICW1_SEL)
			chip_icw1(c, val);
		else if (val & OCW3_SEL)
			chip_ocw3(c, val);
		else
			chip_ocw2(c, val);
		break;
	case PORT_ELCR:
	case PORT_ELCR + 1:
		c = &p->chip[port & 1];
		c->elcr = val & c->elcr_mask;
		break;
	default:
		return false;
	}
	mkvm_8259_update(p);
	return true;
}

/**
 * mkvm_8259_read() - a guest IN from one of the pair's ports
 * @p:    the pair
 * @port: 20h, 21h, A0h, A1h, 4D0h or 4D1h
 * @val:  the byte read
 *
 * After a poll command either port of that chip returns the poll word;
 * otherwise the even port gives IRR or ISR (OCW3 RIS), the odd one IMR.
 *
 * Return: false for a port that is not the pair's.
 */
bool mkvm_8259_read(struct mkvm_8259_pair *p, u16 port, u8 *val)
{
	struct mkvm_8259 *c;

	switch (port) {
	case PORT_MASTER:
	case PORT_MASTER + 1:
	case PORT_SLAVE:
	case PORT_SLAVE + 1:
		c = &p->chip[port >= PORT_SLAVE];
		if (c->poll)
			*val = chip_poll(p, port >= PORT_SLAVE);
		else if (port & 1)
			*val = c->imr;
		else
			*val = c->read_reg_select ? c->isr : c->irr;
		return true;
	case PORT_ELCR:
	case PORT_ELCR + 1:
		*val = p->chip[port & 1].elcr;
		return true;
	default:
		return false;
	}
}
