/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/i8259.h - the 8259A pair as a pure state machine (see i8259.c).
 *
 * No locks, no kernel objects: x86/pic.c wraps it with a spinlock, the
 * I/O bus and the vCPUs; selftests/unit/ compiles i8259.c unchanged.
 */
#ifndef MKVM_X86_I8259_H
#define MKVM_X86_I8259_H

#include <linux/types.h>

#define MKVM_8259_PINS		16	/* master IR0-7 = 0-7, slave IR0-7 = 8-15 */
#define MKVM_8259_CASCADE	2	/* the master input the slave's INT drives */

/**
 * struct mkvm_8259 - one 8259A (the fields of KVM's struct kvm_pic_state)
 * @last_irr:	 The input levels last seen, for edge detection.
 * @irr:	 Interrupt request register.
 * @imr:	 Interrupt mask register (OCW1).
 * @isr:	 In-service register.
 * @priority_add: The IR level that has the highest priority (rotation).
 * @irq_base:	 Vector of IR0 (ICW2 bits 7:3).
 * @read_reg_select: OCW3 RIS: reads of the even port give ISR, not IRR.
 * @poll:	 OCW3 P: the next read is a poll (an interrupt acknowledge).
 * @special_mask: OCW3 special mask mode.
 * @init_state:	 0 ready; 1, 2, 3: ICW2, ICW3, ICW4 expected next.
 * @auto_eoi:	 ICW4 AEOI.
 * @rotate_on_auto_eoi: OCW2 "set rotate in automatic EOI mode".
 * @special_fully_nested_mode: ICW4 SFNM.
 * @init4:	 ICW1 IC4: an ICW4 follows.
 * @elcr:	 Edge/level control register (1 = level), ports 4D0h/4D1h.
 * @elcr_mask:	 ELCR bits that may be set (IRQ 0-2, 8, 13 are always edge).
 * @single:	 ICW1 SNGL: no ICW3 (the cascade wiring stays as it is).
 * @programmed:	 An ICW1 was written (or KVM_SET_IRQCHIP loaded a state):
 *		 until then the chip asserts nothing on its INT output.
 */
struct mkvm_8259 {
	u8 last_irr;
	u8 irr;
	u8 imr;
	u8 isr;
	u8 priority_add;
	u8 irq_base;
	u8 read_reg_select;
	u8 poll;
	u8 special_mask;
	u8 init_state;
	u8 auto_eoi;
	u8 rotate_on_auto_eoi;
	u8 special_fully_nested_mode;
	u8 init4;
	u8 elcr;
	u8 elcr_mask;
	bool single;
	bool programmed;
};

/**
 * struct mkvm_8259_pair - master and slave, cascaded on master IR2
 * @chip:   [0] master (20h-21h, ELCR 4D0h), [1] slave (A0h-A1h, ELCR 4D1h)
 * @lines:  per pin, one bit per source (MKVM_IRQ_SRC_*) driving it high
 * @output: the master's INT output, to the CPU (LINT0 as ExtINT)
 */
struct mkvm_8259_pair {
	struct mkvm_8259 chip[2];
	u8 lines[MKVM_8259_PINS];
	bool output;
};

void mkvm_8259_init(struct mkvm_8259_pair *p);
int mkvm_8259_set_irq(struct mkvm_8259_pair *p, unsigned int pin,
		      unsigned int src, bool level);
bool mkvm_8259_write(struct mkvm_8259_pair *p, u16 port, u8 val);
bool mkvm_8259_read(struct mkvm_8259_pair *p, u16 port, u8 *val);
u8 mkvm_8259_intack(struct mkvm_8259_pair *p);
void mkvm_8259_update(struct mkvm_8259_pair *p);

#endif /* MKVM_X86_I8259_H */
