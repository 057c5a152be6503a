// SPDX-License-Identifier: GPL-2.0
/*
 * pit_test - the in-kernel 8254 PIT (KVM_CREATE_PIT2, api.rst 4.27,
 * 4.54-4.56) on /dev/kvm and /dev/minikvm.
 *
 * ioctls: KVM_CREATE_PIT2 needs KVM_CREATE_IRQCHIP first (ENOENT; KVM
 * before 6.6 accepted it), a second PIT is EEXIST, flags other than
 * KVM_PIT_SPEAKER_DUMMY are ignored (KVM does not check them); without a
 * PIT the others are ENXIO; KVM_GET/SET_PIT2 round-trip the channels and
 * flags, and the reset state is KVM's (no mode, count 65536, GATE2 low).
 *
 * Guests (64-bit C, irq_lib.h): GSI 0 is routed to IOAPIC pin 2 as QEMU
 * and kvmtool do, and the guest points pin 2 at its handler;
 *   rate: channel 0 in mode 2 at 100 Hz delivers 20 interrupts in no
 *     less than 19 periods of host time and no more than 30 s (the
 *     emulator is slow), with reinjection on and off;
 *   fast: a count of 2 (the host slows it to KVM's minimum period), the
 *     VM closed with the timer running;
 *   latch: a latched count of channel 0 decreases; Read-Back returns the
 *     status (RW, mode) then the count;
 *   speaker: port 61h reflects GATE2 and the speaker bit, OUT2 rises
 *     when channel 2 counts out, the refresh bit toggles;
 *   hostile: garbage KVM_SET_PIT2 state, then a guest hammering the ports.
 */
#include "mkvm_test.h"
#include "irq_lib.h"

#define VEC		0x50
#define RATE_COUNT	11932		/* 10 ms at 1.193182 MHz */
#define RATE_TICKS	20

enum { PH_RATE, PH_FAST, PH_LATCH, PH_SPEAKER, PH_HOSTILE };

uint64_t ticks;
IRQ_HANDLER(pit_handler, ticks);

uint64_t c1, c2, c3, st, p61[4], out2_seen, refresh_seen;


/* Counter Latch command for channel 0, then LSB and MSB. */
static inline uint16_t latch0(void)
{
	uint16_t lo;

	gl_outb(0x43, 0x00);
	lo = gl_inb(0x40);
	return lo | gl_inb(0x40) << 8;
}

static void GUEST_CODE guest_rate(uint64_t phase)
{
	uint16_t count = phase == PH_RATE ? RATE_COUNT : 2;

	apic_enable();
	ioapic_route(2, VEC, 0);
	GUEST_SYNC(0, 0, 0);
	gl_outb(0x43, 0x34);		/* channel 0, LSB then MSB, mode 2 */
	gl_outb(0x40, count & 0xff);
	gl_outb(0x40, count >> 8);
	if (phase == PH_RATE) {
		while (ticks < RATE_TICKS)
			guest_sti_hlt();
		gl_outb(0x43, 0x30);	/* stop: a new mode waits for its count */
		return;
	}
	/*
	 * Fast: the first tick is in IRR before the STI here, which under
	 * QEMU's nested SVM can leave STI;HLT asleep (lapic_timer_test.c,
	 * spin_until()); with reinjection no later tick would wake it. So
	 * spin with interrupts open, and leave the timer running.
	 */
	asm volatile("sti" ::: "memory");
	while (ticks < RATE_TICKS)
		asm volatile("pause" ::: "memory");
	asm volatile("cli" ::: "memory");
}

static void GUEST_CODE guest_main(uint64_t phase)
{
	uint64_t i;

	switch (phase) {
	case PH_RATE:
	case PH_FAST:
		guest_rate(phase);
		break;
	case PH_LATCH:
		/* Mode 0 from 0xffff: 55 ms before it counts out. */
		gl_outb(0x43, 0x30);
		gl_outb(0x40, 0xff);
		gl_outb(0x40, 0xff);
		c1 = latch0();
		for (i = 0; i < 20000; i++)
			asm volatile("pause");
		c2 = latch0();
		gl_outb(0x43, 0xc2);	/* Read-Back: count and status of 0 */
		st = gl_inb(0x40);
		c3 = gl_inb(0x40);
		c3 |= gl_inb(0x40) << 8;
		break;
	case PH_SPEAKER:
		gl_outb(0x61, 0);
		p61[0] = gl_inb(0x61);
		gl_outb(0x61, 3);
		p61[1] = gl_inb(0x61);
		gl_outb(0x61, 1);	/* GATE2 high, speaker off */
		gl_outb(0x43, 0xb0);	/* channel 2, word, mode 0 */
		gl_outb(0x42, 0xff);
		gl_outb(0x42, 0xff);
		p61[2] = gl_inb(0x61);	/* OUT2 low: 55 ms to go */
		gl_outb(0x42, 0x10);	/* 16 ticks: counts out at once */
		gl_outb(0x42, 0x00);
		for (i = 0; i < 100000000 && !out2_seen; i++)
			out2_seen = !!(gl_inb(0x61) & 0x20);
		p61[3] = gl_inb(0x61);
		for (i = 0; i < 100000000 && refresh_seen != 3; i++)
			refresh_seen |= 1 << ((gl_inb(0x61) >> 4) & 1);
		break;
	case PH_HOSTILE:
		for (i = 0; i < 300; i++) {
			gl_inb(0x40 + i % 4);
			gl_inb(0x61);
			gl_outb(0x43, i * 37);
			gl_outb(0x40 + i % 3, i);
			gl_outb(0x61, i);
		}
		break;
	}
}

FIXTURE(pit) {
	int fd;
	struct gl_vm vm;
	struct gl_vcpu vcpu;
	bool has_vcpu;
};

MKVM_DEV_VARIANTS(pit);

FIXTURE_SETUP(pit)
{
	self->fd = mkvm_open_dev(_metadata, variant->path);
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_MEMORY),
		   GL_CAP(KVM_CAP_IRQCHIP), GL_CAP(KVM_CAP_PIT2),
		   GL_CAP(KVM_CAP_PIT_STATE2), GL_CAP(KVM_CAP_REINJECT_CONTROL),
		   GL_CAP_EMU);
	gl_vm_create(&self->vm, self->fd);
}

FIXTURE_TEARDOWN(pit)
{
	if (self->has_vcpu)
		gl_vcpu_destroy(&self->vcpu);
	if (self->vm.fd > 0)
		gl_vm_destroy(&self->vm);
	close(self->fd);
}

static long create_pit(int vm, uint32_t flags)
{
	struct kvm_pit_config c = { .flags = flags };

	return mkvm_ioctl(vm, KVM_CREATE_PIT2, (unsigned long)&c);
}

/* Irqchip, PIT, GSI 0 -> IOAPIC pin 2, vCPU 0 running @phase. */
static void setup_guest(struct __test_metadata *_metadata,
			FIXTURE_DATA(pit) *self, int phase)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt = {
		.r.nr = 1,
		.e[0] = { .gsi = 0, .type = KVM_IRQ_ROUTING_IRQCHIP,
			  .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = 2 } },
	};

	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, create_pit(self->vm.fd, KVM_PIT_SPEAKER_DUMMY));
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_SET_GSI_ROUTING,
				(unsigned long)&rt));
	gl_vcpu_create(&self->vm, &self->vcpu, 0);
	self->has_vcpu = true;
	gl_vcpu_setup_c(&self->vcpu, guest_main, phase);
	gl_idt_set(&self->vcpu, VEC, pit_handler);
}

TEST_F(pit, create_rules)
{
	struct kvm_pit_state2 s;
	struct kvm_reinject_control rc = { .pit_reinject = 1 };
	long r;

	/* No PIT yet: everything else is ENXIO (EFAULT is checked first). */
	EXPECT_EQ(-ENXIO, mkvm_ioctl(self->vm.fd, KVM_GET_PIT2, (unsigned long)&s));
	EXPECT_EQ(-ENXIO, mkvm_ioctl(self->vm.fd, KVM_SET_PIT2, (unsigned long)&s));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vm.fd, KVM_SET_PIT2, 0));
	EXPECT_EQ(-ENXIO, mkvm_ioctl(self->vm.fd, KVM_REINJECT_CONTROL,
				     (unsigned long)&rc));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vm.fd, KVM_CREATE_PIT2, 0));

	/* Without the in-kernel irqchip: ENOENT (KVM since 6.6). */
	r = create_pit(self->vm.fd, 0);
	if (r == 0 && !mkvm_is_minikvm(variant->path)) {
		TH_LOG("note: this KVM creates a PIT without an irqchip (pre-6.6)");
		return;
	}
	EXPECT_EQ(-ENOENT, r);

	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_CREATE_IRQCHIP, 0));
	/* Flags beyond KVM_PIT_SPEAKER_DUMMY are not checked. */
	EXPECT_EQ(0, create_pit(self->vm.fd, 0xfffffffe));
	EXPECT_EQ(-EEXIST, create_pit(self->vm.fd, KVM_PIT_SPEAKER_DUMMY));
	EXPECT_EQ(-EEXIST, mkvm_ioctl(self->vm.fd, KVM_CREATE_PIT, 0));
	EXPECT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_REINJECT_CONTROL,
				(unsigned long)&rc));
	rc.pit_reinject = 0;
	EXPECT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_REINJECT_CONTROL,
				(unsigned long)&rc));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vm.fd, KVM_GET_PIT2, 0));
}

TEST_F(pit, get_set_round_trip)
{
	struct kvm_pit_state2 s, t;
	struct kvm_pit_state l;
	int i;

	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_CREATE_IRQCHIP, 0));
	ASSERT_EQ(0, create_pit(self->vm.fd, KVM_PIT_SPEAKER_DUMMY));
	memset(&s, 0xaa, sizeof(s));
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_GET_PIT2, (unsigned long)&s));
	/* Reset: no mode, the largest count, GATE high but on channel 2. */
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0xff, s.channels[i].mode);
		EXPECT_EQ(0x10000, s.channels[i].count);
		EXPECT_EQ(i != 2, s.channels[i].gate);
		EXPECT_EQ(0, s.channels[i].count_latched);
	}
	EXPECT_EQ(0, s.flags);
	for (i = 0; i < 9; i++)
		EXPECT_EQ(0, s.reserved[i]);

	memset(&s, 0, sizeof(s));
	s.channels[0] = (struct kvm_pit_channel_state){
		.count = 0x1234, .rw_mode = 3, .read_state = 3,
		.write_state = 3, .mode = 2, .gate = 1,
	};
	s.channels[1] = (struct kvm_pit_channel_state){
		.count = 0, .rw_mode = 1, .read_state = 1, .write_state = 1,
		.mode = 3, .gate = 1, .latched_count = 0x55,
		.count_latched = 1,
	};
	s.channels[2] = (struct kvm_pit_channel_state){
		.count = 100, .rw_mode = 3, .read_state = 4, .write_state = 4,
		.write_latch = 0x12, .mode = 0, .gate = 0,
		.status_latched = 1, .status = 0x30,
	};
	s.flags = KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_SET_PIT2, (unsigned long)&s));
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_GET_PIT2, (unsigned long)&t));
	s.channels[1].count = 0x10000;	/* a 0 count is 65536 */
	for (i = 0; i < 3; i++) {
		/* The load time is the host's clock: not compared. */
		t.channels[i].count_load_time = s.channels[i].count_load_time;
		EXPECT_EQ(0, memcmp(&s.channels[i], &t.channels[i],
				    sizeof(s.channels[i])))
			TH_LOG("channel %d: count %#x mode %u gate %u", i,
			       t.channels[i].count, t.channels[i].mode,
			       t.channels[i].gate);
	}
	EXPECT_EQ(s.flags, t.flags);

	/* The legacy pair sees the same channels and keeps the flags. */
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_GET_PIT, (unsigned long)&l));
	EXPECT_EQ(0x1234, l.channels[0].count);
	l.channels[0].count = 0x100;
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_SET_PIT, (unsigned long)&l));
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_GET_PIT2, (unsigned long)&t));
	EXPECT_EQ(0x100, t.channels[0].count);
	EXPECT_EQ(KVM_PIT_FLAGS_SPEAKER_DATA_ON, t.flags);
}

static void run_rate(struct __test_metadata *_metadata,
		     FIXTURE_DATA(pit) *self, bool reinject)
{
	struct kvm_reinject_control rc = { .pit_reinject = reinject };
	struct gl_ucall uc;
	double t0, dt;

	setup_guest(_metadata, self, PH_RATE);
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_REINJECT_CONTROL,
				(unsigned long)&rc));
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	t0 = now_s();
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	dt = now_s() - t0;
	EXPECT_GE(GUEST_VAR(&self->vm, ticks), RATE_TICKS);
	/* The guest stops counting at 20; one more may slip in. */
	EXPECT_LE(GUEST_VAR(&self->vm, ticks), RATE_TICKS + 1);
	/* 100 Hz: never faster (the first tick comes a period in)... */
	EXPECT_GE(dt, (RATE_TICKS - 1) * 0.01)
		TH_LOG("%d ticks in %.3f s", RATE_TICKS, dt);
	/* ...and not absurdly slower, even in an emulator. */
	EXPECT_LT(dt, 30.0) TH_LOG("%d ticks in %.3f s", RATE_TICKS, dt);
	TH_LOG("%d ticks in %.3f s (%.1f Hz; 100 Hz programmed)",
	       RATE_TICKS, dt, RATE_TICKS / dt);
}

TEST_F(pit, rate_mode2_reinject)
{
	run_rate(_metadata, self, true);
}

TEST_F(pit, rate_mode2_no_reinject)
{
	run_rate(_metadata, self, false);
}

/* A 2-tick period: slowed to the minimum; closed with the timer running. */
TEST_F(pit, fast_then_close)
{
	struct vcpu_thread t;
	bool done;

	setup_guest(_metadata, self, PH_FAST);
	vcpu_thread_start(&t, &self->vcpu);
	done = vcpu_thread_wait(&t, 20);
	if (!done) {
		TH_LOG("stuck after %lu ticks",
		       (unsigned long)GUEST_VAR(&self->vm, ticks));
		ASSERT_TRUE(vcpu_thread_stop(&t, 10));
	}
	ASSERT_TRUE(done);
	EXPECT_EQ(GL_UCALL_DONE, t.result);
	EXPECT_GE(GUEST_VAR(&self->vm, ticks), RATE_TICKS);
}

TEST_F(pit, latch_and_read_back)
{
	struct gl_ucall uc;
	uint64_t a, b, c, s;

	setup_guest(_metadata, self, PH_LATCH);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	a = GUEST_VAR(&self->vm, c1);
	b = GUEST_VAR(&self->vm, c2);
	c = GUEST_VAR(&self->vm, c3);
	s = GUEST_VAR(&self->vm, st);
	TH_LOG("latched %#lx then %#lx, read back %#lx, status %#lx",
	       (unsigned long)a, (unsigned long)b, (unsigned long)c,
	       (unsigned long)s);
	/* Status: RW = LSB then MSB, mode 0, binary; NULL COUNT clear. */
	EXPECT_EQ(0x30, s & 0x7f);
	if (s & 0x80) {
		/* OUT high: 55 ms went by between two port accesses. */
		TH_LOG("note: channel 0 counted out; order not checked");
		return;
	}
	EXPECT_LT(b, a);
	EXPECT_LE(c, b);
}

TEST_F(pit, speaker_port)
{
	struct gl_ucall uc;

	setup_guest(_metadata, self, PH_SPEAKER);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	/* Bit 0: GATE2, bit 1: speaker data, bit 5: OUT2 (unprogrammed: any). */
	EXPECT_EQ(0, GUEST_VAR(&self->vm, p61[0]) & 3);
	EXPECT_EQ(3, GUEST_VAR(&self->vm, p61[1]) & 3);
	EXPECT_EQ(1, GUEST_VAR(&self->vm, p61[2]) & 0x23);
	EXPECT_EQ(1, GUEST_VAR(&self->vm, out2_seen));
	EXPECT_EQ(0x21, GUEST_VAR(&self->vm, p61[3]) & 0x23);
	/* Bit 4 (refresh) toggles. */
	EXPECT_EQ(3, GUEST_VAR(&self->vm, refresh_seen));
}

TEST_F(pit, hostile_state)
{
	struct kvm_pit_state2 s;
	struct gl_ucall uc;
	int i;

	setup_guest(_metadata, self, PH_HOSTILE);
	memset(&s, 0xff, sizeof(s));
	for (i = 0; i < 3; i++)
		s.channels[i].mode = i == 0 ? 2 : 0x37;
	s.channels[0].count = 1;
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_SET_PIT2, (unsigned long)&s));
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_GET_PIT2, (unsigned long)&s));
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_GET_PIT2, (unsigned long)&s));
}

TEST_HARNESS_MAIN
