// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu_ioctl_test - the vCPU ioctls of issue 3, field by field, with the
 * values and errors stock KVM gives (the reference for /dev/minikvm):
 * KVM_CREATE_VCPU id and count bounds, the mmap of the run page (page 0)
 * and PIO page (page 1), the architectural reset state, KVM_GET/SET_REGS,
 * KVM_GET/SET_SREGS (invalid CR0/CR4/EFER/CS.L/APIC_BASE combinations are
 * EINVAL and change nothing), KVM_GET/SET_FPU (seen by the guest),
 * KVM_GET/SET_MP_STATE without an in-kernel irqchip, KVM_RUN's argument,
 * unknown vCPU ioctls, and a vCPU fd used from another process.
 *
 * minikvm: skipped without KVM_CAP_USER_MEMORY; MP_STATE cases need
 * KVM_CAP_MP_STATE.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include "mkvm_test.h"
#include "guest_lib.h"

GL_DEV_FIXTURE();

TEST_F(dev, create_vcpu_ids)
{
	long max_id = mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION,
				 KVM_CAP_MAX_VCPU_ID);
	long max = mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	long nr = mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	int vm = self->vm.fd, fd;

	ASSERT_GT(nr, 0);
	ASSERT_GE(max, nr);
	/* api.rst: without KVM_CAP_MAX_VCPU_ID the bound is MAX_VCPUS. */
	if (max_id <= 0)
		max_id = max;
	ASSERT_GE(max_id, max);

	EXPECT_EQ(-EEXIST, mkvm_ioctl(vm, KVM_CREATE_VCPU, 0));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_CREATE_VCPU, max_id));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_CREATE_VCPU, 0x7fffffff));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_CREATE_VCPU, (unsigned int)-1));
	fd = mkvm_ioctl(vm, KVM_CREATE_VCPU, max_id - 1);
	EXPECT_GE(fd, 0) TH_LOG("vCPU id %ld: %s", max_id - 1, strerror(-fd));
	if (fd >= 0)
		close(fd);
	/* Closing the fd does not free the id. */
	EXPECT_EQ(-EEXIST, mkvm_ioctl(vm, KVM_CREATE_VCPU, max_id - 1));
}

TEST_F(dev, create_vcpu_count)
{
	long max = mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	long max_id = mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION,
				 KVM_CAP_MAX_VCPU_ID);
	int vm, i, fd;

	if (max > 64)
		MKVM_SKIP("%ld vCPUs (KVM_CAP_MAX_VCPUS) take too long here",
			  max);
	if (max_id <= 0)
		max_id = max;
	vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	for (i = 0; i < max; i++) {
		/* Sparse ids are fine, the count is what is limited. */
		fd = mkvm_ioctl(vm, KVM_CREATE_VCPU, max_id - 1 - i);
		ASSERT_GE(fd, 0) TH_LOG("vCPU %d: %s", i, strerror(-fd));
	}
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_CREATE_VCPU, 0));
	close(vm);
}

TEST_F(dev, mmap_pages)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *pio;
	uint32_t *run_data;

	/* Page 1 alone is the PIO page: what the run page's data_offset names. */
	pio = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->vcpu.fd, page);
	ASSERT_NE(MAP_FAILED, pio);
	pio[0] = 0x5a;
	EXPECT_EQ(0x5a, *((uint8_t *)self->vcpu.run + page));
	munmap(pio, page);

	/* Two mappings of page 0 are the same kvm_run. */
	run_data = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED,
			self->vcpu.fd, 0);
	ASSERT_NE(MAP_FAILED, run_data);
	self->vcpu.run->immediate_exit = 1;
	EXPECT_EQ(1, ((struct kvm_run *)run_data)->immediate_exit);
	self->vcpu.run->immediate_exit = 0;
	munmap(run_data, page);
}

TEST_F(dev, reset_state)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	bool svm = !strcmp(mkvm_cpu_vendor() ?: "", "svm");

	gl_get_sregs(&self->vcpu, &s);
	gl_get_regs(&self->vcpu, &r);

	EXPECT_EQ(0xf000, s.cs.selector);
	EXPECT_EQ(0xffff0000, s.cs.base);
	EXPECT_EQ(0xffff, s.cs.limit);
	/*
	 * Vendor specific in KVM: kvm_amd's init_vmcb() gives CS type 10
	 * (not accessed) and a 16-bit busy TSS (3); kvm_intel 11 and 11.
	 */
	EXPECT_EQ(svm ? 10 : 11, s.cs.type);
	EXPECT_EQ(1, s.cs.present);
	EXPECT_EQ(1, s.cs.s);
	EXPECT_EQ(0, s.cs.db);
	EXPECT_EQ(0, s.cs.l);
	EXPECT_EQ(0, s.ds.selector);
	EXPECT_EQ(0, s.ds.base);
	EXPECT_EQ(0xffff, s.ds.limit);
	EXPECT_EQ(3, s.ds.type);
	EXPECT_EQ(0xffff, s.gdt.limit);
	EXPECT_EQ(0, s.gdt.base);
	EXPECT_EQ(0xffff, s.idt.limit);
	EXPECT_EQ(0xffff, s.tr.limit);
	EXPECT_EQ(svm ? 3 : 11, s.tr.type);
	EXPECT_EQ(0xffff, s.ldt.limit);
	EXPECT_EQ(2, s.ldt.type);
	EXPECT_EQ(0x60000010, s.cr0);
	EXPECT_EQ(0, s.cr2);
	EXPECT_EQ(0, s.cr3);
	EXPECT_EQ(0, s.cr4);
	EXPECT_EQ(0, s.efer);
	/* vCPU 0 is the BSP; the xAPIC is enabled at its default base. */
	EXPECT_EQ(0xfee00900, s.apic_base);
	EXPECT_EQ(0, s.cr8);

	EXPECT_EQ(0xfff0, r.rip);
	EXPECT_EQ(2, r.rflags);
	/* Family/model/stepping: 0x600 until KVM_SET_CPUID2 gives leaf 1. */
	EXPECT_EQ(0x600, r.rdx);
	EXPECT_EQ(0, r.rax);
	EXPECT_EQ(0, r.rsp);
}

TEST_F(dev, regs_round_trip)
{
	struct kvm_regs in, out;
	uint64_t *p = (uint64_t *)&in;
	unsigned int i;

	for (i = 0; i < sizeof(in) / 8; i++)
		p[i] = 0x0101010101010101ULL * (i + 1) + i;
	in.rflags = 0x202 | 0x1 | 0x40;	/* IF, CF, ZF; bit 1 reserved-1 */
	gl_set_regs(&self->vcpu, &in);
	gl_get_regs(&self->vcpu, &out);
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));
}

/* Each bad SREGS is refused and leaves the vCPU as it was. */
TEST_F(dev, sregs_invalid)
{
	struct kvm_sregs good, bad, after;
	int i;

	gl_vcpu_setup(&self->vcpu, GL_MODE_LONG64, GL_CODE_GPA, GL_STACK_GPA);
	gl_get_sregs(&self->vcpu, &good);

	for (i = 0; i < 11; i++) {
		bad = good;
		switch (i) {
		case 0:	/* CR0.PG without CR0.PE */
			bad.cr0 &= ~1ULL;
			bad.efer = 0;
			bad.cs.l = 0;
			break;
		case 1:	/* CR0.NW without CR0.CD */
			bad.cr0 |= 1ULL << 29;
			break;
		case 2:	/* CR0 bits 63:32 */
			bad.cr0 |= 1ULL << 32;
			break;
		case 3:	/* long mode without CR4.PAE */
			bad.cr4 &= ~(1ULL << 5);
			break;
		case 4:	/* EFER.LME + CR0.PG without EFER.LMA */
			bad.efer &= ~(1ULL << 10);
			break;
		case 5:	/* EFER.LMA without paging */
			bad.cr0 &= ~(1ULL << 31);
			break;
		case 6:	/* 64-bit CS outside long mode */
			bad.cr0 &= ~(1ULL << 31);
			bad.efer = 0;
			break;
		case 7:	/* CR4 reserved bit */
			bad.cr4 |= 1ULL << 63;
			break;
		case 8:	/* CR4 bit 31 (reserved) */
			bad.cr4 |= 1ULL << 31;
			break;
		case 9:	/* CR3 beyond any MAXPHYADDR in long mode */
			bad.cr3 = 1ULL << 62;
			break;
		case 10: /* APIC_BASE reserved bit */
			bad.apic_base = 0xfee00001;
			break;
		}
		EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_SREGS,
					      (unsigned long)&bad))
			TH_LOG("case %d accepted", i);
		gl_get_sregs(&self->vcpu, &after);
		EXPECT_EQ(0, memcmp(&good, &after, sizeof(good)))
			TH_LOG("case %d changed state", i);
	}
	/* The good state still goes in. */
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_SREGS,
				(unsigned long)&good));
}

/* Real -> protected -> long mode and back, each a valid SREGS. */
TEST_F(dev, sregs_round_trip)
{
	enum gl_mode modes[] = { GL_MODE_PROT32, GL_MODE_LONG64, GL_MODE_REAL };
	struct kvm_sregs a, b;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		gl_vcpu_setup(&self->vcpu, modes[i], GL_CODE_GPA, GL_STACK_GPA);
		gl_get_sregs(&self->vcpu, &a);
		gl_set_sregs(&self->vcpu, &a);
		gl_get_sregs(&self->vcpu, &b);
		EXPECT_EQ(0, memcmp(&a, &b, sizeof(a))) TH_LOG("mode %d", i);
	}
	EXPECT_EQ(0, b.efer);
	EXPECT_EQ(0, b.cr0 & 1);
}

static uint32_t guest_mxcsr;
static uint64_t guest_xmm0[2];
static uint16_t guest_fcw;

static GUEST_CODE void read_fpu(uint64_t arg)
{
	asm volatile("stmxcsr %0" : "=m"(guest_mxcsr));
	asm volatile("movdqu %%xmm0, %0" : "=m"(guest_xmm0));
	asm volatile("fnstcw %0" : "=m"(guest_fcw));
}

/*
 * KVM_GET/SET_FPU round trip. Not asserted, because kvm_amd 6.1 on an
 * XSAVE host does neither: KVM_GET_FPU reports MXCSR 0 at reset (the
 * guest reads 0x1f80), and values set with KVM_SET_FPU before the guest
 * ever ran are not what the guest sees (XSTATE_BV still says "init").
 * Both are logged.
 */
TEST_F(dev, fpu)
{
	struct kvm_fpu f, g;
	struct gl_ucall uc;
	long r = mkvm_ioctl(self->vcpu.fd, KVM_GET_FPU, (unsigned long)&f);

	ASSERT_EQ(0, r);
	EXPECT_EQ(0x37f, f.fcw);
	EXPECT_EQ(0, f.fsw);
	EXPECT_EQ(0, f.ftwx);
	TH_LOG("reset MXCSR from KVM_GET_FPU: %#x", f.mxcsr);

	f.fcw = 0x27f;
	f.mxcsr = 0x1fa0;
	memset(f.xmm[0], 0, 16);
	memcpy(f.xmm[0], "minikvm-xmm0-ok", 16);
	memcpy(f.fpr[7], "st7-bytes", 10);
	ASSERT_EQ(0, ioctl(self->vcpu.fd, KVM_SET_FPU, &f));
	ASSERT_EQ(0, ioctl(self->vcpu.fd, KVM_GET_FPU, &g));
	EXPECT_EQ(0x27f, g.fcw);
	EXPECT_EQ(0, memcmp(f.xmm[0], g.xmm[0], 16));
	EXPECT_EQ(0, memcmp(f.fpr[7], g.fpr[7], 10));
	TH_LOG("MXCSR set %#x, read back %#x", f.mxcsr, g.mxcsr);

	gl_vcpu_setup_c(&self->vcpu, read_fpu, 0);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	TH_LOG("guest sees FCW %#x MXCSR %#x",
	       *(uint16_t *)gl_hva(&self->vm, (uintptr_t)&guest_fcw),
	       *(uint32_t *)gl_hva(&self->vm, (uintptr_t)&guest_mxcsr));
}

TEST_F(dev, mp_state)
{
	struct kvm_mp_state mp;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_MP_STATE));
	ASSERT_EQ(0, ioctl(self->vcpu.fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	mp.mp_state = KVM_MP_STATE_RUNNABLE;
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_MP_STATE,
				(unsigned long)&mp));
	/* Without an in-kernel LAPIC only RUNNABLE is a valid state. */
	mp.mp_state = KVM_MP_STATE_HALTED;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_MP_STATE,
				      (unsigned long)&mp));
	mp.mp_state = KVM_MP_STATE_INIT_RECEIVED;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_MP_STATE,
				      (unsigned long)&mp));
	mp.mp_state = 99;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_MP_STATE,
				      (unsigned long)&mp));
	ASSERT_EQ(0, ioctl(self->vcpu.fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
}

TEST_F(dev, run_arg_and_unknown_ioctls)
{
	/* KVM_RUN takes no argument. */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_RUN, 1));
	/* x86 kvm_arch_vcpu_ioctl() answers EINVAL, not ENOTTY. */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, _IO(KVMIO, 0xfe), 0));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, _IOW('X', 1, int), 0));
	/* System and VM ioctls are not vCPU ioctls. */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_CREATE_VCPU, 1));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_GET_API_VERSION, 0));
	/* Bad pointers. */
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vcpu.fd, KVM_GET_REGS, 8));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vcpu.fd, KVM_SET_SREGS, 8));
}

TEST_F(dev, vcpu_fd_other_process)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (!pid) {
		struct kvm_regs regs;

		/* A vCPU belongs to the VM creator's mm: EIO. */
		_exit(mkvm_ioctl(self->vcpu.fd, KVM_GET_REGS,
				 (unsigned long)&regs) == -EIO &&
		      mkvm_ioctl(self->vcpu.fd, KVM_RUN, 0) == -EIO ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_HARNESS_MAIN
