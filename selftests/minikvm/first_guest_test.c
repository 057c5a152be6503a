// SPDX-License-Identifier: GPL-2.0
/*
 * first_guest_test - the smallest guest that proves KVM_RUN works end to end.
 *
 * A real-mode guest (set up through KVM_SET_SREGS/KVM_SET_REGS) does
 *	mov $0x42, %al;  out %al, $0x10     -> KVM_EXIT_IO out, data 0x42
 *	in $0x11, %al                       -> KVM_EXIT_IO in; userspace answers 0x99
 *	out %al, $0x12                      -> the answer arrived in AL
 *	mov $0x1234, %bx; mov %bl, (0x2000) -> a store through nested paging
 *	hlt                                 -> KVM_EXIT_HLT (no in-kernel irqchip)
 * and the host checks every exit, the memory, and RIP/RAX afterwards. It
 * runs on /dev/kvm and /dev/minikvm; minikvm is skipped where its backend
 * cannot run guests yet (no KVM_CAP_USER_MEMORY).
 */
#include <sys/mman.h>
#include "mkvm_test.h"

static const unsigned char guest_code[] = {
	0xb0, 0x42,			/* mov $0x42, %al */
	0xe6, 0x10,			/* out %al, $0x10 */
	0xe4, 0x11,			/* in $0x11, %al */
	0xe6, 0x12,			/* out %al, $0x12 */
	0xbb, 0x34, 0x12,		/* mov $0x1234, %bx */
	0x88, 0x1e, 0x00, 0x20,		/* mov %bl, (0x2000) */
	0xf4,				/* hlt */
};

#define MEM_SIZE	0x10000

FIXTURE(dev) {
	int fd, vm, vcpu;
	unsigned char *mem;
	struct kvm_run *run;
	long run_size;
};

MKVM_DEV_VARIANTS(dev);

FIXTURE_SETUP(dev)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = MEM_SIZE,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	self->fd = mkvm_open_dev(_metadata, variant->path);
	if (mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0)
		MKVM_SKIP("%s cannot run guests on this CPU yet", variant->path);
	self->vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
	ASSERT_GE(self->vm, 0);

	self->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	memcpy(self->mem, guest_code, sizeof(guest_code));
	region.userspace_addr = (unsigned long)self->mem;
	ASSERT_EQ(0, mkvm_ioctl(self->vm, KVM_SET_USER_MEMORY_REGION,
				(unsigned long)&region));

	self->vcpu = mkvm_ioctl(self->vm, KVM_CREATE_VCPU, 0);
	ASSERT_GE(self->vcpu, 0);
	self->run_size = mkvm_ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_GT(self->run_size, 0);
	self->run = mmap(NULL, self->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->vcpu, 0);
	ASSERT_NE(MAP_FAILED, self->run);

	/* Architectural reset state: real mode, CS F000 based at FFFF0000. */
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_GET_SREGS,
				(unsigned long)&sregs));
	EXPECT_EQ(0xf000, sregs.cs.selector);
	EXPECT_EQ(0xffff0000, sregs.cs.base);
	EXPECT_EQ(0x60000010, sregs.cr0);
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_GET_REGS,
				(unsigned long)&regs));
	EXPECT_EQ(0xfff0, regs.rip);
	EXPECT_EQ(2, regs.rflags);

	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_SET_SREGS,
				(unsigned long)&sregs));
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_SET_REGS,
				(unsigned long)&regs));
}

FIXTURE_TEARDOWN(dev)
{
	/* The run mapping holds the vCPU file (and so the VM) alive. */
	munmap(self->run, self->run_size);
	munmap(self->mem, MEM_SIZE);
	close(self->vcpu);
	close(self->vm);
	close(self->fd);
}

static unsigned char *pio_data(struct kvm_run *run)
{
	return (unsigned char *)run + run->io.data_offset;
}

static void expect_io(struct __test_metadata *_metadata, struct kvm_run *run,
		      int dir, int port)
{
	ASSERT_EQ(KVM_EXIT_IO, run->exit_reason);
	EXPECT_EQ(dir, run->io.direction);
	EXPECT_EQ(port, run->io.port);
	EXPECT_EQ(1, run->io.size);
	EXPECT_EQ(1, run->io.count);
}

TEST_F(dev, pio_mem_hlt)
{
	struct kvm_regs regs;

	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_RUN, 0));
	expect_io(_metadata, self->run, KVM_EXIT_IO_OUT, 0x10);
	EXPECT_EQ(0x42, *pio_data(self->run));

	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_RUN, 0));
	expect_io(_metadata, self->run, KVM_EXIT_IO_IN, 0x11);
	*pio_data(self->run) = 0x99;

	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_RUN, 0));
	expect_io(_metadata, self->run, KVM_EXIT_IO_OUT, 0x12);
	EXPECT_EQ(0x99, *pio_data(self->run));

	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_RUN, 0));
	ASSERT_EQ(KVM_EXIT_HLT, self->run->exit_reason);
	EXPECT_EQ(0x34, self->mem[0x2000]);

	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_GET_REGS, (unsigned long)&regs));
	EXPECT_EQ(sizeof(guest_code), regs.rip);
	EXPECT_EQ(0x99, regs.rax & 0xff);
	EXPECT_EQ(0x1234, regs.rbx);
}

TEST_F(dev, immediate_exit_completes_pio_in)
{
	struct kvm_regs regs;

	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_RUN, 0));	/* out 0x10 */
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_RUN, 0));	/* in 0x11 */
	expect_io(_metadata, self->run, KVM_EXIT_IO_IN, 0x11);
	*pio_data(self->run) = 0x77;

	/*
	 * Pending I/O completes, then -EINTR. KVM (6.1 and 6.12) leaves
	 * exit_reason as it was; only a signal sets KVM_EXIT_INTR.
	 */
	self->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, mkvm_ioctl(self->vcpu, KVM_RUN, 0));
	EXPECT_EQ(KVM_EXIT_IO, self->run->exit_reason);
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_GET_REGS, (unsigned long)&regs));
	EXPECT_EQ(0x77, regs.rax & 0xff);
	EXPECT_EQ(6, regs.rip);

	self->run->immediate_exit = 0;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_RUN, 0));
	expect_io(_metadata, self->run, KVM_EXIT_IO_OUT, 0x12);
	EXPECT_EQ(0x77, *pio_data(self->run));
}

/*
 * At 0x100: mov $0x4abcdef0, %eax; mov $7, %ecx; cpuid; hlt.
 * The leaf is invented, so the answer can only come from our table.
 */
static const unsigned char cpuid_code[] = {
	0x66, 0xb8, 0xf0, 0xde, 0xbc, 0x4a,	/* mov $0x4abcdef0, %eax */
	0x66, 0xb9, 0x07, 0x00, 0x00, 0x00,	/* mov $7, %ecx */
	0x0f, 0xa2,				/* cpuid */
	0xf4,					/* hlt */
};

TEST_F(dev, cpuid_from_table)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[2];
	} c = { .hdr.nent = 2 };
	struct kvm_regs regs;

	/* For ECX=7 the indexed entry must be chosen, not the plain one. */
	c.e[0] = (struct kvm_cpuid_entry2){ .function = 0x4abcdef0,
		.index = 7, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		.eax = 0x55, .ebx = 0x66, .ecx = 0x77, .edx = 0x88 };
	c.e[1] = (struct kvm_cpuid_entry2){ .function = 0x4abcdef0,
		.index = 3, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		.eax = 0x11, .ebx = 0x22, .ecx = 0x33, .edx = 0x44 };
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_SET_CPUID2, (unsigned long)&c));

	memcpy(self->mem + 0x100, cpuid_code, sizeof(cpuid_code));
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_GET_REGS, (unsigned long)&regs));
	regs.rip = 0x100;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_SET_REGS, (unsigned long)&regs));

	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_RUN, 0));
	ASSERT_EQ(KVM_EXIT_HLT, self->run->exit_reason);
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_GET_REGS, (unsigned long)&regs));
	EXPECT_EQ(0x55, regs.rax);
	EXPECT_EQ(0x66, regs.rbx);
	EXPECT_EQ(0x77, regs.rcx);
	EXPECT_EQ(0x88, regs.rdx);
	EXPECT_EQ(0x100 + sizeof(cpuid_code), regs.rip);

	/* KVM_GET_CPUID2 gives the table back; too small a buffer: E2BIG. */
	memset(&c, 0, sizeof(c));
	c.hdr.nent = 1;
	EXPECT_EQ(-E2BIG, mkvm_ioctl(self->vcpu, KVM_GET_CPUID2,
				     (unsigned long)&c));
	EXPECT_EQ(1, c.hdr.nent);	/* KVM writes nent back only on success */
	c.hdr.nent = 2;
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu, KVM_GET_CPUID2, (unsigned long)&c));
	EXPECT_EQ(0x55, c.e[0].eax);
}

TEST_F(dev, supported_cpuid)
{
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[256];
	} c = { .hdr.nent = 256 };
	bool leaf1 = false;
	unsigned int i;

	ASSERT_EQ(0, mkvm_ioctl(self->fd, KVM_GET_SUPPORTED_CPUID,
				(unsigned long)&c));
	ASSERT_GT(c.hdr.nent, 1);
	for (i = 0; i < c.hdr.nent; i++) {
		if (c.e[i].function == 1)
			leaf1 = true;
		/*
		 * KVM offers nested VMX/SVM and leaves the hypervisor bit to
		 * userspace; minikvm offers no nesting and sets the bit.
		 */
		if (!mkvm_is_minikvm(variant->path))
			continue;
		if (c.e[i].function == 1) {
			EXPECT_TRUE(c.e[i].ecx & (1u << 31));
			EXPECT_FALSE(c.e[i].ecx & (1u << 5)) TH_LOG("VMX offered");
		}
		if (c.e[i].function == 0x80000001)
			EXPECT_FALSE(c.e[i].ecx & (1u << 2)) TH_LOG("SVM offered");
	}
	EXPECT_TRUE(leaf1);
	/* Too small a buffer. */
	c.hdr.nent = 1;
	EXPECT_EQ(-E2BIG, mkvm_ioctl(self->fd, KVM_GET_SUPPORTED_CPUID,
				     (unsigned long)&c));
}

TEST_F(dev, msrs_host_and_guest)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[5];
	} m = { .hdr.nmsrs = 5 };
	/* rdmsr(LSTAR); out %al,$0x21; mov $0xdeadbeef,%ecx; rdmsr; hlt */
	static const unsigned char code[] = {
		0x66, 0xb9, 0x82, 0x00, 0x00, 0xc0,	/* mov $0xc0000082, %ecx */
		0x0f, 0x32,				/* rdmsr */
		0xe6, 0x21,				/* out %al, $0x21 */
		0x66, 0xb9, 0xef, 0xbe, 0xad, 0xde,	/* mov $0xdeadbeef, %ecx */
		0x0f, 0x32,				/* rdmsr: #GP */
		0xf4,
	};
	/* #GP handler (IVT entry 13 -> 0000:0300): out %al,$0x20 with 0xab. */
	static const unsigned char gp_handler[] = {
		0xb0, 0xab, 0xe6, 0x20, 0xf4,
	};
	struct kvm_regs regs;

	m.e[0] = (struct kvm_msr_entry){ .index = 0xc0000082,	/* LSTAR */
					 .data = 0xffffffff81000042ULL };
	m.e[1] = (struct kvm_msr_entry){ .index = 0x277,	/* PAT */
					 .data = 0x0007040600070406ULL };
	m.e[2] = (struct kvm_msr_entry){ .index = 0xc0000081,	/* STAR */
					 .data = 0x0023001000000000ULL };
	m.e[3] = (struct kvm_msr_entry){ .index = 0x2ff,	/* MTRRdefType */
					 .data = 0xc06 };
	m.e[4] = (struct kvm_msr_entry){ .index = 0x174,	/* SYSENTER_CS */
					 .data = 0x10 };
	ASSERT_EQ(5, mkvm_ioctl(self->vcpu, KVM_SET_MSRS, (unsigned long)&m));
	memset(m.e, 0, sizeof(m.e));
	m.e[0].index = 0xc0000082;
	m.e[1].index = 0x277;
	m.e[2].index = 0xc0000081;
	m.e[3].index = 0x2ff;
	m.e[4].index = 0x174;
	ASSERT_EQ(5, mkvm_ioctl(self->vcpu, KVM_GET_MSRS, (unsigned long)&m));
	EXPECT_EQ(0xffffffff81000042ULL, m.e[0].data);
	EXPECT_EQ(0x0007040600070406ULL, m.e[1].data);
	EXPECT_EQ(0x0023001000000000ULL, m.e[2].data);
	EXPECT_EQ(0xc06, m.e[3].data);
	EXPECT_EQ(0x10, m.e[4].data);

	/* Processing stops at the first refusal: the count says where. */
	m.hdr.nmsrs = 2;
	m.e[0] = (struct kvm_msr_entry){ .index = 0x174, .data = 0x8 };
	m.e[1] = (struct kvm_msr_entry){ .index = 0xc0000082,
					 .data = 0x0000800000000000ULL };
	EXPECT_EQ(1, mkvm_ioctl(self->vcpu, KVM_SET_MSRS, (unsigned long)&m))
		TH_LOG("a non-canonical LSTAR must be refused");
	m.hdr.nmsrs = 1;
	m.e[0] = (struct kvm_msr_entry){ .index = 0xdeadbeef };
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu, KVM_GET_MSRS, (unsigned long)&m));

	/* The guest reads the same value, and #GP on an unknown MSR. */
	memcpy(self->mem + 0x200, code, sizeof(code));
	memcpy(self->mem + 0x300, gp_handler, sizeof(gp_handler));
	self->mem[13 * 4 + 0] = 0x00;	/* IVT[13] = 0000:0300 */
	self->mem[13 * 4 + 1] = 0x03;
	self->mem[13 * 4 + 2] = 0x00;
	self->mem[13 * 4 + 3] = 0x00;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_GET_REGS, (unsigned long)&regs));
	regs.rip = 0x200;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_SET_REGS, (unsigned long)&regs));

	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_RUN, 0));
	expect_io(_metadata, self->run, KVM_EXIT_IO_OUT, 0x21);
	EXPECT_EQ(0x42, *pio_data(self->run));
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_GET_REGS, (unsigned long)&regs));
	EXPECT_EQ(0xffffffff, regs.rdx);

	ASSERT_EQ(0, mkvm_ioctl(self->vcpu, KVM_RUN, 0));
	expect_io(_metadata, self->run, KVM_EXIT_IO_OUT, 0x20);
	EXPECT_EQ(0xab, *pio_data(self->run)) TH_LOG("no #GP for an unknown MSR");
}

TEST_HARNESS_MAIN
