// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_test - KVM_EXIT_MMIO for accesses to GPAs without a memslot and for
 * writes to a KVM_MEM_READONLY slot, from a 64-bit guest, on /dev/kvm and
 * /dev/minikvm.
 *
 * Covers every width (1, 2, 4, 8 bytes) for MOV loads and stores, the
 * zero- and sign-extending loads (MOVZX, MOVSX, MOVSXD) whose result the
 * guest checks itself, read data completed on the next KVM_RUN (also
 * when that KVM_RUN has immediate_exit set), phys_addr/len/is_write, and
 * a read-only slot: reads come from memory without an exit, writes exit
 * as MMIO and leave the memory as it was.
 *
 * minikvm: skipped without KVM_CAP_USER_MEMORY and without the emulator
 * cap (KVM_CAP_READONLY_MEM, see guest_lib.h).
 */
#include <sys/mman.h>
#include "mkvm_test.h"
#include "guest_lib.h"

#define MMIO_GPA	0xc0000000ULL	/* no slot: MMIO */
#define RO_GPA		0x20000000ULL	/* read-only slot */

GL_DEV_FIXTURE();

static GUEST_CODE void mmio_guest(uint64_t arg)
{
	volatile uint8_t *p = (volatile uint8_t *)MMIO_GPA;
	uint64_t v;

	/* Stores of each width. */
	asm volatile("movb $0x12, (%0)" : : "r"(p + 1) : "memory");
	asm volatile("movw $0x3456, (%0)" : : "r"(p + 2) : "memory");
	asm volatile("movl $0x789abcde, (%0)" : : "r"(p + 4) : "memory");
	v = 0x0123456789abcdefULL;
	asm volatile("movq %1, (%0)" : : "r"(p + 8), "r"(v) : "memory");

	/* Loads of each width: the upper bits follow the x86 rules. */
	v = -1ULL;
	asm volatile("movb (%1), %b0" : "+q"(v) : "r"(p + 0x10));
	GUEST_ASSERT_EQ(v, 0xffffffffffffffa1ULL);
	asm volatile("movw (%1), %w0" : "+r"(v) : "r"(p + 0x12));
	GUEST_ASSERT_EQ(v, 0xffffffffffffb2b1ULL);
	asm volatile("movl (%1), %k0" : "+r"(v) : "r"(p + 0x14));
	GUEST_ASSERT_EQ(v, 0xc4c3c2c1ULL);
	asm volatile("movq (%1), %0" : "=r"(v) : "r"(p + 0x18));
	GUEST_ASSERT_EQ(v, 0xd8d7d6d5d4d3d2d1ULL);

	/* Extending loads. */
	asm volatile("movzbl (%1), %k0" : "=r"(v) : "r"(p + 0x20));
	GUEST_ASSERT_EQ(v, 0x80);
	asm volatile("movzwq (%1), %0" : "=r"(v) : "r"(p + 0x22));
	GUEST_ASSERT_EQ(v, 0x8001);
	asm volatile("movsbq (%1), %0" : "=r"(v) : "r"(p + 0x24));
	GUEST_ASSERT_EQ(v, 0xffffffffffffff80ULL);
	asm volatile("movswq (%1), %0" : "=r"(v) : "r"(p + 0x26));
	GUEST_ASSERT_EQ(v, 0xffffffffffff8001ULL);
	asm volatile("movslq (%1), %0" : "=r"(v) : "r"(p + 0x28));
	GUEST_ASSERT_EQ(v, 0xffffffff80000001ULL);
	asm volatile("movsbw (%1), %w0" : "=r"(v) : "r"(p + 0x2c));
	GUEST_ASSERT_EQ(v & 0xffff, 0xff80);
}

struct access {
	uint64_t off;
	int len;
	bool write;
	uint64_t data;
};

static const struct access script[] = {
	{ 0x01, 1, true, 0x12 },
	{ 0x02, 2, true, 0x3456 },
	{ 0x04, 4, true, 0x789abcde },
	{ 0x08, 8, true, 0x0123456789abcdefULL },
	{ 0x10, 1, false, 0xa1 },
	{ 0x12, 2, false, 0xb2b1 },
	{ 0x14, 4, false, 0xc4c3c2c1 },
	{ 0x18, 8, false, 0xd8d7d6d5d4d3d2d1ULL },
	{ 0x20, 1, false, 0x80 },
	{ 0x22, 2, false, 0x8001 },
	{ 0x24, 1, false, 0x80 },
	{ 0x26, 2, false, 0x8001 },
	{ 0x28, 4, false, 0x80000001 },
	{ 0x2c, 1, false, 0x80 },
};

TEST_F(dev, widths_and_extension)
{
	struct kvm_run *run = self->vcpu.run;
	struct gl_ucall uc;
	unsigned int i;

	GL_REQUIRE(self->fd, variant->path, GL_CAP_EMU);
	gl_vcpu_setup_c(&self->vcpu, mmio_guest, 0);
	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		const struct access *a = &script[i];
		uint64_t data = 0;

		gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_MMIO);
		EXPECT_EQ(MMIO_GPA + a->off, run->mmio.phys_addr)
			TH_LOG("access %u", i);
		ASSERT_EQ(a->len, run->mmio.len) TH_LOG("access %u", i);
		ASSERT_EQ(a->write, run->mmio.is_write) TH_LOG("access %u", i);
		if (a->write) {
			memcpy(&data, run->mmio.data, a->len);
			EXPECT_EQ(a->data, data) TH_LOG("access %u", i);
		} else {
			memcpy(run->mmio.data, &a->data, a->len);
		}
	}
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
}

/* Loads a value from MMIO into RAX, then halts. */
GL_GUEST_ASM(mmio_load, 64,
	     "mov $" GL_XSTR(MMIO_GPA) ", %esi\n"
	     "mov (%rsi), %rax\n"
	     "hlt\n");

TEST_F(dev, immediate_exit_completes_read)
{
	struct gl_vcpu *vcpu = &self->vcpu;
	struct kvm_regs regs;
	uint64_t v = 0x1122334455667788ULL;

	GL_REQUIRE(self->fd, variant->path, GL_CAP_EMU,
		   GL_CAP(KVM_CAP_IMMEDIATE_EXIT));
	gl_load_asm(vcpu, GL_MODE_LONG64, mmio_load, mmio_load_end);
	gl_expect_exit(_metadata, vcpu, KVM_EXIT_MMIO);
	ASSERT_EQ(8, vcpu->run->mmio.len);
	ASSERT_EQ(0, vcpu->run->mmio.is_write);
	memcpy(vcpu->run->mmio.data, &v, 8);
	vcpu->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, gl_run(vcpu));
	gl_get_regs(vcpu, &regs);
	EXPECT_EQ(v, regs.rax);
	EXPECT_EQ(GL_CODE_GPA + 8, regs.rip);	/* 5-byte mov + 3-byte mov */
	vcpu->run->immediate_exit = 0;
	gl_expect_exit(_metadata, vcpu, KVM_EXIT_HLT);
}

static GUEST_CODE void ro_guest(uint64_t arg)
{
	volatile uint32_t *ro = (volatile uint32_t *)RO_GPA;

	GUEST_ASSERT_EQ(ro[0x10], 0x600dcafe);
	ro[0x10] = 0xbadbad;
	GUEST_ASSERT_EQ(ro[0x10], 0x600dcafe);
	*(volatile uint8_t *)(RO_GPA + 0x1003) = 0x77;
}

TEST_F(dev, readonly_slot)
{
	struct kvm_run *run = self->vcpu.run;
	struct gl_ucall uc;
	uint32_t *mem;

	GL_REQUIRE(self->fd, variant->path, GL_CAP_EMU);
	mem = gl_add_slot(&self->vm, 1, RO_GPA, 0x4000, KVM_MEM_READONLY);
	mem[0x10] = 0x600dcafe;
	gl_vcpu_setup_c(&self->vcpu, ro_guest, 0);

	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(RO_GPA + 0x40, run->mmio.phys_addr);
	EXPECT_EQ(4, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(0xbadbad, *(uint32_t *)run->mmio.data);

	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(RO_GPA + 0x1003, run->mmio.phys_addr);
	EXPECT_EQ(1, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(0x77, run->mmio.data[0]);

	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	EXPECT_EQ(0x600dcafe, mem[0x10]);
	EXPECT_EQ(0, ((uint8_t *)mem)[0x1003]);
}

TEST_HARNESS_MAIN
