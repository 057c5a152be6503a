// SPDX-License-Identifier: GPL-2.0
/*
 * memslot_test - KVM_SET_USER_MEMORY_REGION: every field's validation and
 * the slot life cycle (create, move, delete, re-create) between runs of a
 * guest that reads through the slot, on /dev/kvm and /dev/minikvm.
 *
 * The rules are virt/kvm/kvm_main.c's __kvm_set_memory_region(): EINVAL
 * for unknown flags, sizes/GPAs/host addresses not page aligned, slot ids
 * >= KVM_CAP_NR_MEMSLOTS or in an address space that does not exist, a
 * GPA range that wraps, a host range that is not user memory, deleting a
 * slot that does not exist, and changing a slot's size, host address or
 * READONLY flag; EEXIST for overlapping GPA ranges; re-sending a slot
 * unchanged is fine. Host memory is not checked until the guest touches
 * it: a slot over unmapped memory is accepted, and the access makes
 * KVM_RUN fail with EFAULT.
 *
 * minikvm: skipped without KVM_CAP_USER_MEMORY; KVM_MEM_READONLY cases
 * follow KVM_CAP_READONLY_MEM (EINVAL without it); reading a deleted
 * slot's GPA is MMIO and needs the emulator cap (guest_lib.h).
 */
#include <stdio.h>
#include <sys/mman.h>
#include "mkvm_test.h"
#include "guest_lib.h"

GL_DEV_FIXTURE();

#define SLOT_GPA	0x10000000ULL
#define SLOT_SIZE	0x200000ULL

static long set_region(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		       uint64_t size, uint64_t uaddr)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = uaddr,
	};

	return mkvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, (unsigned long)&r);
}

static void *anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A VM with no memory at all: the vCPU's first fetch (reset vector,
 * FFFFFFF0h) reaches no RAM and cannot be emulated, so KVM_RUN reports an
 * internal error (as KVM's emulation failure) instead of retrying forever.
 * (upstream set_memory_region_test's test_zero_memory_regions.)
 */
TEST_F(dev, run_without_memslots)
{
	struct gl_vcpu vcpu;
	int vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
	int r;

	ASSERT_GE(vm, 0);
	vcpu.fd = mkvm_ioctl(vm, KVM_CREATE_VCPU, 0);
	ASSERT_GE(vcpu.fd, 0);
	vcpu.run = mmap(NULL, mkvm_ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 0),
			PROT_READ | PROT_WRITE, MAP_SHARED, vcpu.fd, 0);
	ASSERT_NE(MAP_FAILED, vcpu.run);
	/* KVM's MMU needs pages to fault with; a no-op on minikvm. */
	EXPECT_EQ(0, mkvm_ioctl(vm, KVM_SET_NR_MMU_PAGES, 64));
	r = gl_run(&vcpu);
	ASSERT_EQ(0, r) TH_LOG("KVM_RUN: %s", strerror(-r));
	EXPECT_EQ(KVM_EXIT_INTERNAL_ERROR, vcpu.run->exit_reason)
		TH_LOG("exit %s", gl_exit_name(vcpu.run->exit_reason));
	EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION, vcpu.run->internal.suberror);
	close(vcpu.fd);
	close(vm);
}

TEST_F(dev, invalid_fields)
{
	long nr = mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	uint64_t u = (uintptr_t)anon(0x4000);
	int vm = self->vm.fd;

	ASSERT_NE(0, u);
	ASSERT_GT(nr, 0);
	/* The sanity baseline: this one is fine, then delete it again. */
	ASSERT_EQ(0, set_region(vm, 1, 0, SLOT_GPA, 0x4000, u));
	ASSERT_EQ(0, set_region(vm, 1, 0, SLOT_GPA, 0, u));

	/* flags */
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 1 << 7, SLOT_GPA, 0x4000, u));
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 1u << 31, SLOT_GPA, 0x4000, u));
	/* alignment of size, GPA, host address */
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 0, SLOT_GPA, 0x3000 + 1, u));
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 0, SLOT_GPA + 0x800, 0x4000, u));
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 0, SLOT_GPA, 0x4000, u + 8));
	/* slot ids: past NR_MEMSLOTS, address space 2 */
	EXPECT_EQ(-EINVAL, set_region(vm, nr, 0, SLOT_GPA, 0x4000, u));
	EXPECT_EQ(-EINVAL, set_region(vm, 0xffff, 0, SLOT_GPA, 0x4000, u));
	EXPECT_EQ(-EINVAL, set_region(vm, 2 << 16 | 1, 0, SLOT_GPA, 0x4000, u));
	/* GPA range wrapping past 2^64 */
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 0, -0x2000ULL, 0x4000, u));
	/* host range: kernel addresses, wrapping */
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 0, SLOT_GPA, 0x4000,
				      0xffff888000000000ULL));
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 0, SLOT_GPA, 0x4000,
				      -0x2000ULL));
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 0, SLOT_GPA, 0x4000,
				      0x7ffffffff000ULL));
	/* deleting what does not exist */
	EXPECT_EQ(-EINVAL, set_region(vm, 5, 0, 0, 0, 0));
	EXPECT_EQ(-EINVAL, set_region(vm, nr - 1, 0, SLOT_GPA, 0, u));
	munmap((void *)u, 0x4000);
}

TEST_F(dev, overlap_and_modify)
{
	uint64_t u = (uintptr_t)anon(0x8000), u2 = (uintptr_t)anon(0x8000);
	int vm = self->vm.fd;

	ASSERT_EQ(0, set_region(vm, 1, 0, SLOT_GPA, 0x4000, u));
	/* Overlaps with slot 1 (all, head, tail, inside) and slot 0. */
	EXPECT_EQ(-EEXIST, set_region(vm, 2, 0, SLOT_GPA, 0x4000, u2));
	EXPECT_EQ(-EEXIST, set_region(vm, 2, 0, SLOT_GPA - 0x1000, 0x2000, u2));
	EXPECT_EQ(-EEXIST, set_region(vm, 2, 0, SLOT_GPA + 0x3000, 0x4000, u2));
	EXPECT_EQ(-EEXIST, set_region(vm, 2, 0, SLOT_GPA + 0x1000, 0x1000, u2));
	EXPECT_EQ(-EEXIST, set_region(vm, 2, 0, 0x1000, 0x1000, u2));
	/* Adjacent is fine. */
	EXPECT_EQ(0, set_region(vm, 2, 0, SLOT_GPA + 0x4000, 0x4000, u2));
	/* Moving slot 2 onto slot 1: EEXIST, still where it was. */
	EXPECT_EQ(-EEXIST, set_region(vm, 2, 0, SLOT_GPA + 0x2000, 0x4000, u2));

	/* An existing slot: same again is fine, size/host address are not. */
	EXPECT_EQ(0, set_region(vm, 1, 0, SLOT_GPA, 0x4000, u));
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 0, SLOT_GPA, 0x2000, u));
	EXPECT_EQ(-EINVAL, set_region(vm, 1, 0, SLOT_GPA, 0x4000, u + 0x1000));
	if (gl_has_cap(self->fd, KVM_CAP_READONLY_MEM))
		EXPECT_EQ(-EINVAL, set_region(vm, 1, KVM_MEM_READONLY,
					      SLOT_GPA, 0x4000, u));
	/* The same host memory may back two slots. */
	EXPECT_EQ(0, set_region(vm, 3, 0, SLOT_GPA + 0x100000, 0x4000, u));
}

TEST_F(dev, readonly_flag)
{
	uint64_t u = (uintptr_t)anon(0x4000);
	long r = set_region(self->vm.fd, 1, KVM_MEM_READONLY, SLOT_GPA, 0x4000,
			    u);

	if (gl_has_cap(self->fd, KVM_CAP_READONLY_MEM)) {
		EXPECT_EQ(0, r);
	} else {
		EXPECT_EQ(-EINVAL, r);
	}
}

TEST_F(dev, many_slots)
{
	long nr = mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	int n = nr > 64 ? 64 : nr, i;
	uint8_t *u = anon(n * 0x1000ULL);

	ASSERT_NE(NULL, u);
	/* Slot 0 is taken by the fixture; fill up to 64 or the limit. */
	for (i = 1; i < n; i++)
		ASSERT_EQ(0, set_region(self->vm.fd, i, 0,
					SLOT_GPA + i * 0x2000ULL, 0x1000,
					(uintptr_t)u + i * 0x1000ULL))
			TH_LOG("slot %d of %ld", i, nr);
	TH_LOG("KVM_CAP_NR_MEMSLOTS %ld", nr);
	for (i = 1; i < n; i++)
		ASSERT_EQ(0, set_region(self->vm.fd, i, 0, 0, 0, 0));
}

/* Reads 4 bytes at RSI and sends them to port 0x90, forever. */
GL_GUEST_ASM(reader, 64, "1: mov (%rsi), %eax\n out %eax, $0x90\n jmp 1b\n");

static uint32_t read_at(struct __test_metadata *_metadata,
			struct gl_vcpu *vcpu, uint64_t gpa)
{
	struct kvm_regs regs;

	gl_get_regs(vcpu, &regs);
	regs.rsi = gpa;
	gl_set_regs(vcpu, &regs);
	gl_expect_exit(_metadata, vcpu, KVM_EXIT_IO);
	EXPECT_EQ(0x90, vcpu->run->io.port);
	return *(uint32_t *)gl_pio_data(vcpu);
}

TEST_F(dev, move_delete_recreate)
{
	uint8_t *a = anon(SLOT_SIZE), *b = anon(SLOT_SIZE);
	int vm = self->vm.fd;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	*(uint32_t *)(a + 0x1234) = 0xaaaa1111;
	*(uint32_t *)(b + 0x1234) = 0xbbbb2222;
	gl_load_asm(&self->vcpu, GL_MODE_LONG64, reader, reader_end);

	ASSERT_EQ(0, set_region(vm, 1, 0, SLOT_GPA, SLOT_SIZE, (uintptr_t)a));
	EXPECT_EQ(0xaaaa1111, read_at(_metadata, &self->vcpu,
				      SLOT_GPA + 0x1234));
	/* The guest's own writes land in the host mapping. */
	*(uint32_t *)(a + 0x1234) = 0xaaaa3333;
	EXPECT_EQ(0xaaaa3333, read_at(_metadata, &self->vcpu,
				      SLOT_GPA + 0x1234));

	/* Move: same memory, new GPA. */
	ASSERT_EQ(0, set_region(vm, 1, 0, 2 * SLOT_GPA, SLOT_SIZE,
				(uintptr_t)a));
	EXPECT_EQ(0xaaaa3333, read_at(_metadata, &self->vcpu,
				      2 * SLOT_GPA + 0x1234));

	/* Delete, then the slot id again with other memory at the old GPA. */
	ASSERT_EQ(0, set_region(vm, 1, 0, 2 * SLOT_GPA, 0, (uintptr_t)a));
	ASSERT_EQ(0, set_region(vm, 1, 0, SLOT_GPA, SLOT_SIZE, (uintptr_t)b));
	EXPECT_EQ(0xbbbb2222, read_at(_metadata, &self->vcpu,
				      SLOT_GPA + 0x1234));

	/* A different slot id for the first memory again. */
	ASSERT_EQ(0, set_region(vm, 7, 0, 3 * SLOT_GPA, SLOT_SIZE,
				(uintptr_t)a));
	EXPECT_EQ(0xaaaa3333, read_at(_metadata, &self->vcpu,
				      3 * SLOT_GPA + 0x1234));
	EXPECT_EQ(0xbbbb2222, read_at(_metadata, &self->vcpu,
				      SLOT_GPA + 0x1234));
}

/* After delete, the old GPA is no longer RAM: a read is an MMIO exit. */
TEST_F(dev, deleted_slot_is_mmio)
{
	uint8_t *a = anon(SLOT_SIZE);
	struct kvm_regs regs;

	GL_REQUIRE(self->fd, variant->path, GL_CAP_EMU);
	ASSERT_EQ(0, set_region(self->vm.fd, 1, 0, SLOT_GPA, SLOT_SIZE,
				(uintptr_t)a));
	gl_load_asm(&self->vcpu, GL_MODE_LONG64, reader, reader_end);
	EXPECT_EQ(0, read_at(_metadata, &self->vcpu, SLOT_GPA + 0x1234));
	ASSERT_EQ(0, set_region(self->vm.fd, 1, 0, SLOT_GPA, 0, 0));

	gl_get_regs(&self->vcpu, &regs);
	regs.rsi = SLOT_GPA + 0x1234;
	gl_set_regs(&self->vcpu, &regs);
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(SLOT_GPA + 0x1234, self->vcpu.run->mmio.phys_addr);
	EXPECT_EQ(4, self->vcpu.run->mmio.len);
	EXPECT_EQ(0, self->vcpu.run->mmio.is_write);
}

/* Memory that is not mapped in the host: accepted, then EFAULT on use. */
TEST_F(dev, unmapped_host_memory)
{
	uint8_t *a = anon(SLOT_SIZE);
	int r;

	munmap(a, SLOT_SIZE);
	ASSERT_EQ(0, set_region(self->vm.fd, 1, 0, SLOT_GPA, SLOT_SIZE,
				(uintptr_t)a));
	gl_load_asm(&self->vcpu, GL_MODE_LONG64, reader, reader_end);
	{
		struct kvm_regs regs;

		gl_get_regs(&self->vcpu, &regs);
		regs.rsi = SLOT_GPA;
		gl_set_regs(&self->vcpu, &regs);
	}
	r = gl_run(&self->vcpu);
	EXPECT_EQ(-EFAULT, r) TH_LOG("KVM_RUN: %d, exit %s", r,
				     gl_exit_name(self->vcpu.run->exit_reason));
}

/*
 * Guest RAM backed by a transparent huge page is mapped with one 2 MiB
 * second-level leaf: after the guest writes every 4 KiB page of the slot,
 * KVM's debugfs pages_2m (kvm/<pid>-<vm fd>/pages_2m) and minikvm's
 * (minikvm/vm<N>/mmu) count one more, the data is where the VMM sees it,
 * and deleting the slot removes that leaf again.
 */
static void huge_writer(uint64_t gpa)
{
	uint64_t off;

	for (off = 0; off < SLOT_SIZE; off += 4096)
		*(volatile uint8_t *)(gpa + off) = (uint8_t)(off >> 12) | 1;
}

/* Is the 2 MiB at @addr one huge page? (/proc/self/smaps AnonHugePages) */
static bool is_thp(void *addr)
{
	char line[256];
	unsigned long lo, hi, kb;
	bool in = false, thp = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			thp = kb >= 2048;
	}
	fclose(f);
	return thp;
}

static long pages_2m(int vm_fd, bool mini)
{
	char path[128], key[32], vms[32] = "", line[32];
	long v = -1, x;
	FILE *f;

	if (mini) {
		f = fopen("/sys/kernel/debug/minikvm/vms", "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f))
			strcpy(vms, line);
		fclose(f);
		vms[strcspn(vms, "\n")] = 0;
		snprintf(path, sizeof(path), "/sys/kernel/debug/minikvm/%s/mmu",
			 vms);
	} else {
		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/pages_2m",
			 getpid(), vm_fd);
	}
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (mini) {
		while (fscanf(f, "%31s %ld", key, &x) == 2)
			if (!strcmp(key, "pages_2m"))
				v = x;
	} else if (fscanf(f, "%ld", &x) == 1) {
		v = x;
	}
	fclose(f);
	return v;
}

TEST_F(dev, huge_page_backing)
{
	bool mini = mkvm_is_minikvm(variant->path);
	uint8_t *raw, *mem;
	uint64_t off;
	long before, mapped;

	raw = mmap(NULL, 2 * SLOT_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	mem = (uint8_t *)(((uintptr_t)raw + SLOT_SIZE - 1) & ~(SLOT_SIZE - 1));
	madvise(mem, SLOT_SIZE, MADV_HUGEPAGE);
	mem[0] = 0;
	if (!is_thp(mem))
		MKVM_SKIP("no transparent huge page for the slot (THP off?)");
	before = pages_2m(self->vm.fd, mini);
	if (before < 0)
		MKVM_SKIP("%s: no pages_2m in debugfs", variant->path);

	ASSERT_EQ(0, set_region(self->vm.fd, 1, 0, SLOT_GPA, SLOT_SIZE,
				(uintptr_t)mem));
	gl_vcpu_setup_c(&self->vcpu, huge_writer, SLOT_GPA);
	{
		struct gl_ucall uc;

		gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	}
	for (off = 0; off < SLOT_SIZE; off += 4096)
		ASSERT_EQ((uint8_t)(off >> 12) | 1, mem[off]);
	/* Slot 0 (the guest's code and stack) may be huge-page backed too. */
	mapped = pages_2m(self->vm.fd, mini);
	EXPECT_GE(mapped, before + 1);

	ASSERT_EQ(0, set_region(self->vm.fd, 1, 0, SLOT_GPA, 0, 0));
	/* KVM 6.12 zaps every mapping on a slot deletion: at least one goes. */
	EXPECT_LE(pages_2m(self->vm.fd, mini), mapped - 1);
	munmap(raw, 2 * SLOT_SIZE);
}

TEST_HARNESS_MAIN
