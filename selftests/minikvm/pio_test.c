// SPDX-License-Identifier: GPL-2.0
/*
 * pio_test - port I/O exits (KVM_EXIT_IO) in real mode, 32-bit protected
 * mode and 64-bit long mode, on /dev/kvm and /dev/minikvm.
 *
 * Every VMM's device model lives behind these exits, so the ABI must be
 * exact: direction, port, size, count, the data in the PIO page (page 1 of
 * the vCPU mapping, io.data_offset == 4096), IN data completed into the
 * guest's registers on the next KVM_RUN with the x86 rules (IN AL/AX keep
 * the rest of EAX, IN EAX in 64-bit mode zero-extends into RAX), and
 * string I/O (INS/OUTS, with and without REP) through the same page with
 * io.count elements per exit, RSI/RDI/RCX advanced as the CPU would.
 * KVM may split a REP string into several exits; the test accepts any
 * split but checks that the elements arrive complete and in order.
 *
 * minikvm: skipped without KVM_CAP_USER_MEMORY (it cannot run guests);
 * the string tests also need GL_CAP_EMULATOR (see guest_lib.h).
 */
#include <sys/mman.h>
#include "mkvm_test.h"
#include "guest_lib.h"

#define D	GL_DATA_GPA
#define SPORT	0x5678		/* string I/O port, above 0xff: needs DX */
#define IPORT	0x3f8		/* single IN port */

/* Shared by all three modes: only 32-bit registers, ES/DS based at 0. */
#define PIO_BODY							\
	"mov $0x11, %al\n out %al, $0x80\n"				\
	"mov $0x2233, %ax\n out %ax, $0x82\n"				\
	"mov $0x44556677, %eax\n out %eax, $0x84\n"			\
	"mov $" GL_XSTR(IPORT) ", %dx\n"				\
	"mov $0x12345678, %eax\n in (%dx), %al\n"			\
	"mov %eax, " GL_XSTR(D) "+0x80\n"				\
	"mov $0x12345678, %eax\n in (%dx), %ax\n"			\
	"mov %eax, " GL_XSTR(D) "+0x84\n"				\
	"in (%dx), %eax\n"						\
	"mov %eax, " GL_XSTR(D) "+0x88\n"				\
	"mov $" GL_XSTR(SPORT) ", %dx\n"				\
	"out %al, (%dx)\n"

#define STRING_BODY							\
	"mov $" GL_XSTR(SPORT) ", %dx\n"				\
	"mov $" GL_XSTR(D) ", %esi\n mov $8, %ecx\n rep outsb\n"	\
	"mov $" GL_XSTR(D) "+0x10, %esi\n mov $4, %ecx\n rep outsw\n"	\
	"mov $" GL_XSTR(D) "+0x20, %esi\n mov $3, %ecx\n rep outsl\n"	\
	"mov $" GL_XSTR(D) "+0x100, %edi\n mov $6, %ecx\n rep insb\n"	\
	"mov $" GL_XSTR(D) "+0x110, %edi\n mov $5, %ecx\n rep insw\n"	\
	"mov $" GL_XSTR(D) "+0x130, %edi\n mov $3, %ecx\n rep insl\n"	\
	"mov $" GL_XSTR(D) "+0x140, %edi\n insb\n"			\
	"mov $" GL_XSTR(D) "+0x30, %esi\n outsw\n"

GL_GUEST_ASM(pio_real, 16, PIO_BODY "hlt\n");
GL_GUEST_ASM(pio_prot32, 32, PIO_BODY "hlt\n");
GL_GUEST_ASM(pio_long64, 64, PIO_BODY
	     "mov $" GL_XSTR(IPORT) ", %dx\n"
	     "mov $-1, %rax\n in (%dx), %eax\n"
	     "hlt\n");
GL_GUEST_ASM(str_real, 16, STRING_BODY "hlt\n");
GL_GUEST_ASM(str_prot32, 32, STRING_BODY "hlt\n");
GL_GUEST_ASM(str_long64, 64, STRING_BODY "hlt\n");

FIXTURE(dev) {
	int fd;
	struct gl_vm vm;
	struct gl_vcpu vcpu;
	uint8_t *data;
};

MKVM_DEV_VARIANTS(dev);

FIXTURE_SETUP(dev)
{
	int i;

	self->fd = mkvm_open_dev(_metadata, variant->path);
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_MEMORY));
	gl_vm_create(&self->vm, self->fd);
	gl_vcpu_create(&self->vm, &self->vcpu, 0);
	self->data = gl_hva(&self->vm, D);
	for (i = 0; i < 0x40; i++)
		self->data[i] = 0x30 + i * 7;
}

FIXTURE_TEARDOWN(dev)
{
	if (self->vm.fd > 0) {
		gl_vcpu_destroy(&self->vcpu);
		gl_vm_destroy(&self->vm);
	}
	close(self->fd);
}

/* One non-string exit; returns the PIO data pointer. */
static void *expect_io(struct __test_metadata *_metadata,
		       struct gl_vcpu *vcpu, int dir, int port, int size)
{
	struct kvm_run *run = vcpu->run;

	gl_expect_exit(_metadata, vcpu, KVM_EXIT_IO);
	EXPECT_EQ(dir, run->io.direction);
	EXPECT_EQ(port, run->io.port);
	EXPECT_EQ(size, run->io.size);
	EXPECT_EQ(1, run->io.count);
	/* The PIO page is page 1 of the vCPU mapping. */
	EXPECT_EQ(4096, run->io.data_offset);
	return gl_pio_data(vcpu);
}

/*
 * A string of @n elements of @size bytes: OUT compares against @bytes,
 * IN supplies @bytes. Returns the number of exits it took.
 */
static int string_io(struct __test_metadata *_metadata,
		     struct gl_vcpu *vcpu, int dir, int size,
		     const uint8_t *bytes, int n)
{
	struct kvm_run *run = vcpu->run;
	int done = 0, exits = 0;

	while (done < n) {
		gl_expect_exit(_metadata, vcpu, KVM_EXIT_IO);
		exits++;
		ASSERT_EQ(dir, run->io.direction);
		ASSERT_EQ(SPORT, run->io.port);
		ASSERT_EQ(size, run->io.size);
		ASSERT_GE(run->io.count, 1);
		ASSERT_LE(run->io.count, n - done)
			TH_LOG("count %u with %d elements left",
			       run->io.count, n - done);
		EXPECT_EQ(4096, run->io.data_offset);
		if (dir == KVM_EXIT_IO_OUT) {
			EXPECT_EQ(0, memcmp(gl_pio_data(vcpu),
					    bytes + done * size,
					    run->io.count * size))
				TH_LOG("OUT data of elements %d..%d", done,
				       done + run->io.count - 1);
		} else {
			memcpy(gl_pio_data(vcpu), bytes + done * size,
			       run->io.count * size);
		}
		done += run->io.count;
	}
	return exits;
}

static void run_pio(struct __test_metadata *_metadata,
		    FIXTURE_DATA(dev) *self, enum gl_mode mode,
		    const uint8_t *start, const uint8_t *end)
{
	struct gl_vcpu *vcpu = &self->vcpu;
	struct kvm_regs regs;
	uint8_t *p;

	gl_load_asm(vcpu, mode, start, end);

	p = expect_io(_metadata, vcpu, KVM_EXIT_IO_OUT, 0x80, 1);
	EXPECT_EQ(0x11, *p);
	p = expect_io(_metadata, vcpu, KVM_EXIT_IO_OUT, 0x82, 2);
	EXPECT_EQ(0x2233, *(uint16_t *)p);
	p = expect_io(_metadata, vcpu, KVM_EXIT_IO_OUT, 0x84, 4);
	EXPECT_EQ(0x44556677, *(uint32_t *)p);

	p = expect_io(_metadata, vcpu, KVM_EXIT_IO_IN, IPORT, 1);
	*p = 0xa1;
	p = expect_io(_metadata, vcpu, KVM_EXIT_IO_IN, IPORT, 2);
	*(uint16_t *)p = 0xb2b1;
	p = expect_io(_metadata, vcpu, KVM_EXIT_IO_IN, IPORT, 4);
	*(uint32_t *)p = 0xc4c3c2c1;
	/* OUT AL, DX: a 16-bit port number from DX. */
	p = expect_io(_metadata, vcpu, KVM_EXIT_IO_OUT, SPORT, 1);
	EXPECT_EQ(0xc1, *p);

	if (mode == GL_MODE_LONG64) {
		p = expect_io(_metadata, vcpu, KVM_EXIT_IO_IN, IPORT, 4);
		*(uint32_t *)p = 0x87654321;
	}
	gl_expect_exit(_metadata, vcpu, KVM_EXIT_HLT);

	/* IN AL / IN AX replace only the low part of EAX. */
	EXPECT_EQ(0x123456a1, *(uint32_t *)(self->data + 0x80));
	EXPECT_EQ(0x1234b2b1, *(uint32_t *)(self->data + 0x84));
	EXPECT_EQ(0xc4c3c2c1, *(uint32_t *)(self->data + 0x88));

	gl_get_regs(vcpu, &regs);
	if (mode == GL_MODE_LONG64) {
		EXPECT_EQ(IPORT, regs.rdx & 0xffff);
		EXPECT_EQ(0x87654321ULL, regs.rax);	/* zero-extended */
	} else {
		EXPECT_EQ(SPORT, regs.rdx & 0xffff);
		EXPECT_EQ(0xc4c3c2c1, regs.rax & 0xffffffff);
	}
	EXPECT_EQ(GL_CODE_GPA + (end - start), regs.rip);
}

static void run_string(struct __test_metadata *_metadata,
		       FIXTURE_DATA(dev) *self, const char *path,
		       enum gl_mode mode, const uint8_t *start,
		       const uint8_t *end)
{
	struct gl_vcpu *vcpu = &self->vcpu;
	uint8_t in_bytes[64];
	struct kvm_regs regs;
	int i, exits[7];

	GL_REQUIRE(self->fd, path, GL_CAP_EMU);
	for (i = 0; i < (int)sizeof(in_bytes); i++)
		in_bytes[i] = 0xc0 ^ (i * 13);
	gl_load_asm(vcpu, mode, start, end);

	exits[0] = string_io(_metadata, vcpu, KVM_EXIT_IO_OUT, 1,
			     self->data, 8);
	exits[1] = string_io(_metadata, vcpu, KVM_EXIT_IO_OUT, 2,
			     self->data + 0x10, 4);
	exits[2] = string_io(_metadata, vcpu, KVM_EXIT_IO_OUT, 4,
			     self->data + 0x20, 3);
	exits[3] = string_io(_metadata, vcpu, KVM_EXIT_IO_IN, 1, in_bytes, 6);
	exits[4] = string_io(_metadata, vcpu, KVM_EXIT_IO_IN, 2,
			     in_bytes + 8, 5);
	exits[5] = string_io(_metadata, vcpu, KVM_EXIT_IO_IN, 4,
			     in_bytes + 20, 3);
	exits[6] = string_io(_metadata, vcpu, KVM_EXIT_IO_IN, 1,
			     in_bytes + 40, 1);
	string_io(_metadata, vcpu, KVM_EXIT_IO_OUT, 2, self->data + 0x30, 1);
	TH_LOG("exits for rep outsb/w/l: %d %d %d, rep insb/w/l: %d %d %d",
	       exits[0], exits[1], exits[2], exits[3], exits[4], exits[5]);
	EXPECT_EQ(1, exits[6]);
	gl_expect_exit(_metadata, vcpu, KVM_EXIT_HLT);

	/* INS stored every element where RDI pointed. */
	EXPECT_EQ(0, memcmp(self->data + 0x100, in_bytes, 6));
	EXPECT_EQ(0, memcmp(self->data + 0x110, in_bytes + 8, 10));
	EXPECT_EQ(0, memcmp(self->data + 0x130, in_bytes + 20, 12));
	EXPECT_EQ(in_bytes[40], self->data[0x140]);
	EXPECT_EQ(0, self->data[0x141]);

	gl_get_regs(vcpu, &regs);
	/* After the last OUTSW: RSI advanced by 2, RCX untouched (0). */
	EXPECT_EQ(D + 0x32, regs.rsi & 0xffff);
	EXPECT_EQ(D + 0x141, regs.rdi & 0xffff);
	EXPECT_EQ(0, regs.rcx & 0xffff);
	EXPECT_EQ(GL_CODE_GPA + (end - start), regs.rip);
}

TEST_F(dev, string_real_mode)
{
	run_string(_metadata, self, variant->path, GL_MODE_REAL, str_real,
		   str_real_end);
}

TEST_F(dev, string_prot32)
{
	run_string(_metadata, self, variant->path, GL_MODE_PROT32, str_prot32,
		   str_prot32_end);
}

TEST_F(dev, string_long64)
{
	run_string(_metadata, self, variant->path, GL_MODE_LONG64, str_long64,
		   str_long64_end);
}

TEST_F(dev, real_mode)
{
	run_pio(_metadata, self, GL_MODE_REAL, pio_real, pio_real_end);
}

TEST_F(dev, prot32)
{
	run_pio(_metadata, self, GL_MODE_PROT32, pio_prot32, pio_prot32_end);
}

TEST_F(dev, long64)
{
	run_pio(_metadata, self, GL_MODE_LONG64, pio_long64, pio_long64_end);
}

/* A long REP INSB that crosses a page: all data lands, in order. */
GL_GUEST_ASM(pio_long_rep, 64,
	"mov $" GL_XSTR(SPORT) ", %dx\n"
	"mov $0x300ff8, %edi\n mov $5000, %ecx\n rep insb\n"
	"hlt\n");

TEST_F(dev, rep_insb_page_cross)
{
	static uint8_t bytes[5000];
	uint8_t *dst = gl_hva(&self->vm, 0x300ff8);
	struct kvm_regs regs;
	int i, exits;

	GL_REQUIRE(self->fd, variant->path, GL_CAP_EMU);
	for (i = 0; i < 5000; i++)
		bytes[i] = i * 31 + (i >> 8);
	gl_load_asm(&self->vcpu, GL_MODE_LONG64, pio_long_rep,
		    pio_long_rep_end);
	exits = string_io(_metadata, &self->vcpu, KVM_EXIT_IO_IN, 1, bytes,
			  5000);
	TH_LOG("5000-byte rep insb took %d exits", exits);
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_HLT);
	EXPECT_EQ(0, memcmp(dst, bytes, 5000));
	gl_get_regs(&self->vcpu, &regs);
	EXPECT_EQ(0, regs.rcx);
	EXPECT_EQ(0x300ff8 + 5000, regs.rdi);
}

/*
 * INS registers move when the data arrives, as in KVM's emulator: during
 * the exit rDI/rCX/RIP still describe the whole instruction, and what
 * userspace leaves in rCX decides how many elements of the batch land
 * (the upstream userspace_io_test relies on both).
 */
GL_GUEST_ASM(pio_ins_regs, 64,
	"mov $" GL_XSTR(SPORT) ", %dx\n"
	"mov $0x300100, %edi\n mov $8, %ecx\n rep insb\n"
	"hlt\n");

TEST_F(dev, ins_registers_at_completion)
{
	uint8_t *dst = gl_hva(&self->vm, 0x300100);
	struct kvm_regs regs, at_exit;
	int i;

	GL_REQUIRE(self->fd, variant->path, GL_CAP_EMU);
	memset(dst, 0, 16);
	gl_load_asm(&self->vcpu, GL_MODE_LONG64, pio_ins_regs,
		    pio_ins_regs_end);
	gl_get_regs(&self->vcpu, &regs);
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_IO);
	ASSERT_EQ(KVM_EXIT_IO_IN, self->vcpu.run->io.direction);
	ASSERT_EQ(8, self->vcpu.run->io.count);
	gl_get_regs(&self->vcpu, &at_exit);
	EXPECT_EQ(8, at_exit.rcx);
	EXPECT_EQ(0x300100, at_exit.rdi);
	EXPECT_LT(at_exit.rip, regs.rip + 16);	/* still on the INS */
	memset(gl_pio_data(&self->vcpu), 0xaa, 8);
	at_exit.rcx = 3;			/* only 3 of the 8 land */
	gl_set_regs(&self->vcpu, &at_exit);
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_HLT);
	gl_get_regs(&self->vcpu, &regs);
	EXPECT_EQ(0, regs.rcx);
	EXPECT_EQ(0x300103, regs.rdi);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(i < 3 ? 0xaa : 0, dst[i]) TH_LOG("byte %d", i);
}

/*
 * A string I/O operand the guest's page tables do not map is the guest's
 * #PF, with CR2 and the error code the CPU would give, and the instruction
 * is not retired (rCX untouched). The guest clears the present bit of the
 * 2 MiB page at 2 GiB itself (its page tables are guest memory). For INS
 * KVM's emulator reads the port before it faults on the write, so
 * /dev/kvm may show KVM_EXIT_IO first; any such exit is answered.
 */
#define PF_GVA	0x80000000UL
extern const char pf_insb[], pf_outsb[];

static void pf_string_guest(uint64_t in)
{
	volatile uint64_t *pd = (volatile uint64_t *)GL_PD_GPA;
	uint64_t la = PF_GVA, cnt = 4;

	pd[PF_GVA >> 21] &= ~1ULL;
	asm volatile("invlpg (%0)" : : "r"(la) : "memory");
	if (in)
		asm volatile("cld\n pf_insb: rep insb" : "+D"(la), "+c"(cnt)
			     : "d"(SPORT) : "memory");
	else
		asm volatile("cld\n pf_outsb: rep outsb" : "+S"(la), "+c"(cnt)
			     : "d"(SPORT) : "memory");
	GUEST_SYNC(cnt, 0, 0);		/* not reached: the #PF is unhandled */
}

static void pf_string(struct __test_metadata *_metadata,
		      FIXTURE_DATA(dev) *self, const char *path, bool in)
{
	struct kvm_sregs sregs;
	struct gl_ucall uc;
	int r, io_exits = 0;

	GL_REQUIRE(self->fd, path, GL_CAP_EMU);
	gl_vcpu_setup_c(&self->vcpu, pf_string_guest, in);
	for (;;) {
		r = gl_run_ucall(&self->vcpu, &uc);
		if (r != GL_UCALL_NONE ||
		    self->vcpu.run->exit_reason != KVM_EXIT_IO)
			break;
		ASSERT_LT(io_exits++, 4);
	}
	ASSERT_EQ(GL_UCALL_UNHANDLED, r)
		TH_LOG("exit %s", gl_exit_name(self->vcpu.run->exit_reason));
	EXPECT_EQ(14, uc.args[0]);
	/* At the instruction: a fault is not retired. */
	EXPECT_EQ((uint64_t)(in ? pf_insb : pf_outsb), uc.args[1]);
	/* Not present; W/R set for the INS write (SDM Vol. 3A 4.7). */
	EXPECT_EQ(in ? 2 : 0, uc.args[2]);
	gl_get_sregs(&self->vcpu, &sregs);
	EXPECT_EQ(PF_GVA, sregs.cr2);
	if (!in)
		EXPECT_EQ(0, io_exits);
}

TEST_F(dev, outs_page_fault)
{
	pf_string(_metadata, self, variant->path, false);
}

TEST_F(dev, ins_page_fault)
{
	pf_string(_metadata, self, variant->path, true);
}

TEST_HARNESS_MAIN
