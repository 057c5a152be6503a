// SPDX-License-Identifier: GPL-2.0
/*
 * pic_test - the in-kernel 8259A pair of KVM_CREATE_IRQCHIP on /dev/kvm and
 * /dev/minikvm: a guest programs both chips (ICW1-ICW4 with its own vector
 * bases, OCW1, the ELCR), puts its APIC's LINT0 in virtual-wire mode
 * (ExtINT, unmasked), and the host raises GSIs with KVM_IRQ_LINE through
 * the default routing (GSI n -> PIC pin n and IOAPIC pin n; the IOAPIC
 * pins stay masked). Checked:
 *  - an edge on IRQ 5 reaches the handler of vector base+5 once, also when
 *    the guest had IF=0 (interrupt window) and when it sleeps in HLT and
 *    the edge comes from another thread (the kick);
 *  - a line held high on an edge pin interrupts once;
 *  - a level pin on the slave (ELCR) arrives with the slave's vector
 *    through the cascade, stays in IRR while high, interrupts again when
 *    the guest unmasks it, and not after the line went low;
 *  - KVM_GET_IRQCHIP shows what the guest programmed, KVM_SET_IRQCHIP
 *    changes what it reads; the reset state; bad chip ids (EINVAL), bad
 *    pointers (EFAULT) and no irqchip (ENXIO).
 */
#include "mkvm_test.h"
#include "irq_lib.h"

#define MBASE		0x30	/* the guest's master vector base */
#define SBASE		0x38	/* and the slave's */
#define IRQ_EDGE	5
#define IRQ_LEVEL	10	/* slave IR2 */
#define M_IMR		((uint8_t)~((1 << IRQ_EDGE) | (1 << 2)))
#define S_IMR		((uint8_t)~(1 << (IRQ_LEVEL - 8)))
#define LVT_EXTINT	(7 << 8)

uint64_t n_edge, n_level, n_spur7, n_spur15;

/* Edge: count, non-specific EOI to the master. */
asm(".pushsection .text\n"
    "edge_handler:\n"
    "push %rax\n"
    "lock incq n_edge(%rip)\n"
    "mov $0x20, %al\n"
    "out %al, $0x20\n"
    "pop %rax\n"
    "iretq\n"
    /* Level: count, mask the pin (as Linux's mask_and_ack), EOI both. */
    "level_handler:\n"
    "push %rax\n"
    "lock incq n_level(%rip)\n"
    "in $0xa1, %al\n"
    "or $4, %al\n"
    "out %al, $0xa1\n"
    "mov $0x20, %al\n"
    "out %al, $0xa0\n"
    "out %al, $0x20\n"
    "pop %rax\n"
    "iretq\n"
    /* Spurious IRQ 7: no EOI; IRQ 15: the master's IR2 is in service. */
    "spur7_handler:\n"
    "lock incq n_spur7(%rip)\n"
    "iretq\n"
    "spur15_handler:\n"
    "push %rax\n"
    "lock incq n_spur15(%rip)\n"
    "mov $0x20, %al\n"
    "out %al, $0x20\n"
    "pop %rax\n"
    "iretq\n"
    ".popsection\n");
extern const uint8_t edge_handler[], level_handler[], spur7_handler[],
	spur15_handler[];


/* Let interrupts in for a moment, a few hundred times, until *@n >= @want. */
static inline void open_window(volatile uint64_t *n, uint64_t want)
{
	int i;

	for (i = 0; i < 300 && *n < want; i++)
		asm volatile("sti; nop; cli" ::: "memory");
}

static void GUEST_CODE guest_main(uint64_t arg)
{
	/* Datasheet order: ICW1 (edge, cascade, IC4), ICW2-4 (8086 mode). */
	gl_outb(0x20, 0x11);
	gl_outb(0x21, MBASE);
	gl_outb(0x21, 1 << 2);		/* the slave is on IR2 */
	gl_outb(0x21, 0x01);
	gl_outb(0xa0, 0x11);
	gl_outb(0xa1, SBASE);
	gl_outb(0xa1, 2);			/* slave identity 2 */
	gl_outb(0xa1, 0x01);
	gl_outb(0x4d1, 1 << (IRQ_LEVEL - 8));
	gl_outb(0x21, M_IMR);
	gl_outb(0xa1, S_IMR);
	GUEST_ASSERT_EQ(M_IMR, gl_inb(0x21));
	GUEST_ASSERT_EQ(1 << (IRQ_LEVEL - 8), gl_inb(0x4d1));
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT0, LVT_EXTINT);

	/* 1: an edge arrives while IF=0; it waits for the window. */
	GUEST_SYNC(1, 0, 0);
	GUEST_ASSERT_EQ(0, n_edge);
	open_window(&n_edge, 1);
	GUEST_ASSERT_EQ(1, n_edge);

	/* 2: the slave's level pin, through the cascade. */
	GUEST_SYNC(2, 0, 0);
	open_window(&n_level, 1);
	GUEST_ASSERT_EQ(1, n_level);	/* the handler masked it */
	gl_outb(0xa0, 0x0a);		/* OCW3: read IRR */
	GUEST_ASSERT_EQ(1 << 2, gl_inb(0xa0) & (1 << 2));
	gl_outb(0xa1, S_IMR);		/* still high: again */
	open_window(&n_level, 2);
	GUEST_ASSERT_EQ(2, n_level);

	/* 3: the line went low: unmasking brings nothing. */
	GUEST_SYNC(3, 0, 0);
	GUEST_ASSERT_EQ(0, gl_inb(0xa0) & (1 << 2));
	gl_outb(0xa1, S_IMR);
	open_window(&n_level, 3);
	GUEST_ASSERT_EQ(2, n_level);

	/* 4: an edge line held high interrupts once. */
	GUEST_SYNC(4, 0, 0);
	open_window(&n_edge, 3);
	GUEST_ASSERT_EQ(2, n_edge);

	/* 5: the host changed the IMR with KVM_SET_IRQCHIP. */
	GUEST_SYNC(5, gl_inb(0x21), 0);

	/* 6: asleep in HLT; another thread's edge wakes the vCPU. */
	GUEST_SYNC(6, gl_inb(0x21), 0);
	while (n_edge < 3)
		guest_sti_hlt();
	GUEST_ASSERT_EQ(0, n_spur7);
	GUEST_ASSERT_EQ(0, n_spur15);
}

FIXTURE(pic) {
	int fd;
	struct gl_vm vm;
	struct gl_vcpu vcpu;
};

MKVM_DEV_VARIANTS(pic);

FIXTURE_SETUP(pic)
{
	self->fd = mkvm_open_dev(_metadata, variant->path);
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_MEMORY),
		   GL_CAP(KVM_CAP_IRQCHIP), GL_CAP_EMU);
	gl_vm_create(&self->vm, self->fd);
}

FIXTURE_TEARDOWN(pic)
{
	if (self->vm.fd > 0) {
		if (self->vcpu.fd > 0)
			gl_vcpu_destroy(&self->vcpu);
		gl_vm_destroy(&self->vm);
	}
	close(self->fd);
}

static void irq_line(int vm, int gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	ioctl(vm, KVM_IRQ_LINE, &l);
}

static int get_chip(int vm, int id, struct kvm_irqchip *c)
{
	memset(c, 0, sizeof(*c));
	c->chip_id = id;
	return mkvm_ioctl(vm, KVM_GET_IRQCHIP, (unsigned long)c);
}

TEST_F(pic, extint_delivery)
{
	struct vcpu_thread t;
	struct kvm_irqchip c;
	struct gl_ucall uc;
	struct gl_vcpu *v = &self->vcpu;
	int vm = self->vm.fd;

	ASSERT_EQ(0, mkvm_ioctl(vm, KVM_CREATE_IRQCHIP, 0));
	gl_vcpu_create(&self->vm, v, 0);
	gl_vcpu_setup_c(v, guest_main, 0);
	gl_idt_set(v, MBASE + IRQ_EDGE, edge_handler);
	gl_idt_set(v, SBASE + IRQ_LEVEL - 8, level_handler);
	gl_idt_set(v, MBASE + 7, spur7_handler);
	gl_idt_set(v, SBASE + 7, spur15_handler);

	gl_expect_ucall(_metadata, v, &uc, GL_UCALL_SYNC);
	ASSERT_EQ(1, uc.args[0]);
	/* What the guest programmed, as KVM_GET_IRQCHIP shows it. */
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c));
	EXPECT_EQ(MBASE, c.chip.pic.irq_base);
	EXPECT_EQ(M_IMR, c.chip.pic.imr);
	EXPECT_EQ(0, c.chip.pic.init_state);
	EXPECT_EQ(1, c.chip.pic.init4);
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &c));
	EXPECT_EQ(SBASE, c.chip.pic.irq_base);
	EXPECT_EQ(S_IMR, c.chip.pic.imr);
	EXPECT_EQ(1 << (IRQ_LEVEL - 8), c.chip.pic.elcr);
	irq_line(vm, IRQ_EDGE, 1);
	irq_line(vm, IRQ_EDGE, 0);

	gl_expect_ucall(_metadata, v, &uc, GL_UCALL_SYNC);
	ASSERT_EQ(2, uc.args[0]);
	irq_line(vm, IRQ_LEVEL, 1);

	gl_expect_ucall(_metadata, v, &uc, GL_UCALL_SYNC);
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_EQ(2, GUEST_VAR(&self->vm, n_level));
	irq_line(vm, IRQ_LEVEL, 0);

	gl_expect_ucall(_metadata, v, &uc, GL_UCALL_SYNC);
	ASSERT_EQ(4, uc.args[0]);
	irq_line(vm, IRQ_EDGE, 1);

	gl_expect_ucall(_metadata, v, &uc, GL_UCALL_SYNC);
	ASSERT_EQ(5, uc.args[0]);
	EXPECT_EQ(M_IMR, uc.args[1]);
	irq_line(vm, IRQ_EDGE, 0);
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c));
	c.chip.pic.imr |= 0x80;
	ASSERT_EQ(0, mkvm_ioctl(vm, KVM_SET_IRQCHIP, (unsigned long)&c));
	/* The guest reads the new IMR at its next SYNC. */
	gl_expect_ucall(_metadata, v, &uc, GL_UCALL_SYNC);
	ASSERT_EQ(6, uc.args[0]);
	EXPECT_EQ(M_IMR | 0x80, uc.args[1]);

	vcpu_thread_start(&t, v);
	usleep(100000);			/* let it sleep in HLT */
	irq_line(vm, IRQ_EDGE, 1);
	irq_line(vm, IRQ_EDGE, 0);
	ASSERT_TRUE(vcpu_thread_wait(&t, 20)) {
		vcpu_thread_stop(&t, 10);
	}
	if (t.result == GL_UCALL_ABORT)
		TH_LOG("guest assertion failed at line %lu: %#lx != %#lx",
		       (unsigned long)t.uc.args[0],
		       (unsigned long)t.uc.args[1],
		       (unsigned long)t.uc.args[2]);
	EXPECT_EQ(GL_UCALL_DONE, t.result);
	EXPECT_EQ(3, GUEST_VAR(&self->vm, n_edge));
}

/* KVM_SET_IRQCHIP on a chip the guest never programmed: it reads the IMR. */
TEST_F(pic, set_irqchip_seen_by_guest)
{
	/* in al, 0xa1; out 0x80, al; hlt */
	static const uint8_t code[] = { 0xe4, 0xa1, 0xe6, 0x80, 0xf4 };
	struct kvm_irqchip c;
	int vm = self->vm.fd;
	uint8_t v = 0;

	ASSERT_EQ(0, mkvm_ioctl(vm, KVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &c));
	c.chip.pic.imr = 0xa5;
	c.chip.pic.irq_base = 0x70;
	ASSERT_EQ(0, mkvm_ioctl(vm, KVM_SET_IRQCHIP, (unsigned long)&c));
	gl_vcpu_create(&self->vm, &self->vcpu, 0);
	gl_load_asm(&self->vcpu, GL_MODE_LONG64, code, code + sizeof(code));
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_IO);
	EXPECT_EQ(0x80, self->vcpu.run->io.port);
	memcpy(&v, gl_pio_data(&self->vcpu), 1);
	EXPECT_EQ(0xa5, v);
}

TEST_F(pic, irqchip_ioctls)
{
	struct kvm_pic_state s;
	struct kvm_irqchip c, d;
	int vm = self->vm.fd;

	/* No in-kernel irqchip: ENXIO, as KVM. */
	EXPECT_EQ(-ENXIO, get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c));
	EXPECT_EQ(-ENXIO, mkvm_ioctl(vm, KVM_SET_IRQCHIP, (unsigned long)&c));
	ASSERT_EQ(0, mkvm_ioctl(vm, KVM_CREATE_IRQCHIP, 0));

	/* The reset state. */
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c));
	EXPECT_EQ(0xf8, c.chip.pic.elcr_mask);
	EXPECT_EQ(0, c.chip.pic.imr);
	EXPECT_EQ(0, c.chip.pic.irq_base);
	EXPECT_EQ(0, c.chip.pic.init_state);
	ASSERT_EQ(0, get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &c));
	EXPECT_EQ(0xde, c.chip.pic.elcr_mask);

	/* Bad chip ids and pointers. */
	EXPECT_EQ(-EINVAL, get_chip(vm, 3, &c));
	EXPECT_EQ(-EINVAL, get_chip(vm, -1, &c));
	c.chip_id = 3;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_SET_IRQCHIP, (unsigned long)&c));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(vm, KVM_GET_IRQCHIP, 0));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(vm, KVM_SET_IRQCHIP, 8));

	/* A round trip of every field; the rest of the union is left alone. */
	s = (struct kvm_pic_state){
		.last_irr = 0x12, .irr = 0x10, .imr = 0xa5, .isr = 0x40,
		.priority_add = 3, .irq_base = 0x70, .read_reg_select = 1,
		.poll = 0, .special_mask = 1, .init_state = 0, .auto_eoi = 1,
		.rotate_on_auto_eoi = 1, .special_fully_nested_mode = 1,
		.init4 = 1, .elcr = 0x04, .elcr_mask = 0xde,
	};
	memset(&c, 0, sizeof(c));
	c.chip_id = KVM_IRQCHIP_PIC_SLAVE;
	c.chip.pic = s;
	ASSERT_EQ(0, mkvm_ioctl(vm, KVM_SET_IRQCHIP, (unsigned long)&c));
	memset(&d, 0x5a, sizeof(d));
	d.chip_id = KVM_IRQCHIP_PIC_SLAVE;
	ASSERT_EQ(0, mkvm_ioctl(vm, KVM_GET_IRQCHIP, (unsigned long)&d));
	EXPECT_EQ(0, memcmp(&s, &d.chip.pic, sizeof(s)));
	EXPECT_EQ(0x5a, ((uint8_t *)&d.chip)[sizeof(s)]);
	EXPECT_EQ(0x5a, ((uint8_t *)&d.chip)[sizeof(d.chip) - 1]);
}

TEST_HARNESS_MAIN
