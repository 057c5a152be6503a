// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_test - a process holding the device, and a guest, that try to
 * reach what is not theirs (issue 18). Each case reproduced a hole in
 * minikvm before its fix; each runs on /dev/kvm (the reference) too.
 *
 *  - ioeventfd_publish_race: a vCPU writes a port in a loop while another
 *    thread assigns and deassigns an ioeventfd on it. minikvm published
 *    the ioeventfd on its I/O bus before setting its eventfd: a host NULL
 *    dereference within a second.
 *  - irqfd_assign_deassign_race: KVM_IRQFD assign of an eventfd with a
 *    count pending, against deassign from another thread. minikvm
 *    injected that count after dropping its lock, into an irqfd the
 *    deassign could free (a use-after-free KASAN shows).
 *  - host_watchpoint: the VMM thread has a perf hardware watchpoint armed.
 *    minikvm let the guest read the host's DR0-DR3 (the watchpoint's
 *    address), the guest's own DR writes went to the physical registers,
 *    and the host's watchpoint did not fire after the guest ran.
 *  - guest_debugregs: MOV DR semantics (aliases, #GP, DR6's fixed bits,
 *    values set with KVM_SET_DEBUGREGS seen by the guest).
 *  - svm_vmx_instructions: VMMCALL/VMCALL answer KVM's hypercall ABI;
 *    the other SVM (or VMX) instructions raise #UD. minikvm handled the
 *    SVM ones as XSETBV.
 *  - rdpmc_and_cr4: RDPMC cannot read the host's counters (minikvm: #GP,
 *    it offers no PMU); CR4.PKE cannot be set (no WRPKRU into the VMM
 *    thread's PKRU); ordinary CR4 writes (PGE off and on, as Linux flushes
 *    its TLB) still work.
 *  - huge_slot: a 1 TiB memslot over PROT_NONE memory. minikvm allocated
 *    a pointer per page up front (2 GiB of host memory for the ioctl, or a
 *    kvcalloc() past INT_MAX); KVM's bound (KVM_MEM_MAX_NR_PAGES) too.
 *  - irqfd_closed_eventfd: an irqfd goes when its eventfd is closed
 *    (EPOLLHUP), as in KVM; minikvm kept it, and its eventfd, until
 *    deassign, without bound (minikvm's debugfs count).
 *  - pins_memlock: minikvm pins guest memory long-term, so the pins count
 *    against RLIMIT_MEMLOCK (KVM pins nothing and runs the guest).
 *  - uffd_fault_blocks_nobody: a vCPU faults on a userfaultfd page that
 *    nobody serves yet; another vCPU's fault on ordinary memory must still
 *    go through. minikvm pinned under its mmu_lock (a mutex every fault
 *    takes), so the second vCPU waited for the userfault too. (A memslot
 *    change does wait on KVM as well: it synchronizes SRCU, which the
 *    stuck vCPU holds.)
 *  - failed_entry_log: KVM_RUN in a loop on state that fails VM entry
 *    (64-bit CS with D set). minikvm printed the whole VMCB/VMCS each time.
 *  - lme_before_paging: a real-mode guest with EFER.LME set and CR4.PAE
 *    clear (legal: the step before a 64-bit boot turns paging on) exits
 *    to the host a few hundred times. Not a minikvm hole: QEMU 7.2's
 *    nested SVM restored the host's CR0 before its CR4 at #VMEXIT and
 *    dropped it in this state, leaving the L1 host CPU running with paging
 *    off, on both devices. The test QEMU carries the fix
 *    (scripts/qemu/0003-*.patch); the fuzzer found it as an RCU stall.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <poll.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>

#include "mkvm_test.h"
#include "irq_lib.h"

#define PORT		0x1234
#define RACE_SECS	3.0

/*
 * Run @insn with RAX in/out and RCX = 0 (RDPMC's counter, INVLPGA's ASID);
 * returns the exception vector, or 0.
 */
#define GUEST_SAFE(insn, rax) ({					\
	uint64_t __vec, __rcx = 0;					\
	asm volatile("lea 1f(%%rip), %%r10\n\t"				\
		     "xor %%r11d, %%r11d\n\t"				\
		     insn "\n\t"					\
		     "1: xor %%r10d, %%r10d\n\t"			\
		     "mov %%r11, %[vec]"				\
		     : [vec] "=r"(__vec), "+a"(rax), "+c"(__rcx)	\
		     : : "rdx", "r10", "r11", "memory");			\
	__vec;								\
})

#define RDDR(n) ({ uint64_t __v; asm volatile("mov %%dr" #n ", %0" : "=r"(__v)); __v; })
#define WRDR(n, v) asm volatile("mov %0, %%dr" #n : : "r"((uint64_t)(v)) : "memory")

GL_DEV_FIXTURE();

/* ---- ioeventfd published before it was complete ---- */

static void GUEST_CODE guest_port_loop(uint64_t arg)
{
	uint8_t v = 7;

	for (;;)
		asm volatile("outb %%al, %%dx" : : "a"(v), "d"(PORT));
}

struct spin_vcpu {
	struct gl_vcpu *vcpu;
	volatile int stop;
	long exits;
	int err;
};

static void *spin_vcpu_fn(void *arg)
{
	struct spin_vcpu *s = arg;

	while (!s->stop) {
		int r = gl_run(s->vcpu);

		if (r == -EINTR)
			continue;
		if (r || s->vcpu->run->exit_reason != KVM_EXIT_IO) {
			s->err = r ? r : -(int)s->vcpu->run->exit_reason - 1000;
			break;
		}
		s->exits++;
	}
	return NULL;
}

TEST_F(dev, ioeventfd_publish_race)
{
	struct kvm_ioeventfd a = {
		.addr = PORT, .len = 1, .datamatch = 7,
		.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	struct spin_vcpu s = { .vcpu = &self->vcpu };
	long regs = 0;
	pthread_t t;
	double end;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_IOEVENTFD));
	a.fd = eventfd(0, EFD_NONBLOCK);
	ASSERT_GE(a.fd, 0);
	gl_vcpu_setup_c(&self->vcpu, guest_port_loop, 0);
	signal(SIGUSR1, vcpu_thread_sigusr1);
	ASSERT_EQ(0, pthread_create(&t, NULL, spin_vcpu_fn, &s));
	/* Every assignment is a window: the vCPU's next write matches it. */
	for (end = now_s() + RACE_SECS; now_s() < end && !s.err; regs++) {
		a.flags &= ~KVM_IOEVENTFD_FLAG_DEASSIGN;
		ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_IOEVENTFD, (unsigned long)&a));
		a.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
		ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_IOEVENTFD, (unsigned long)&a));
	}
	s.stop = 1;
	while (pthread_tryjoin_np(t, NULL)) {
		pthread_kill(t, SIGUSR1);
		usleep(1000);
	}
	TH_LOG("%ld registrations, %ld port exits", regs, s.exits);
	EXPECT_EQ(0, s.err);
	/* The guest ran: some of its writes exited between registrations. */
	EXPECT_GT(s.exits, 0);
	close(a.fd);
}

/* ---- irqfd injected after its lock was dropped ---- */

struct deassigner {
	int vm_fd, efd;
	volatile int stop;
	long n;
};

static void *deassign_fn(void *arg)
{
	struct deassigner *d = arg;
	struct kvm_irqfd f = {
		.fd = d->efd, .gsi = 5, .flags = KVM_IRQFD_FLAG_DEASSIGN,
	};

	while (!d->stop) {
		ioctl(d->vm_fd, KVM_IRQFD, &f);
		d->n++;
	}
	return NULL;
}

TEST_F(dev, irqfd_assign_deassign_race)
{
	struct deassigner d = { .vm_fd = self->vm.fd };
	struct kvm_irqfd f = { .gsi = 5 };
	long assigned = 0, busy = 0;
	pthread_t t;
	double end;
	long r;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_IRQFD));
	/* The irqchip needs to come before vCPUs on KVM: a fresh VM. */
	gl_vcpu_destroy(&self->vcpu);
	gl_vm_destroy(&self->vm);
	gl_vm_create(&self->vm, self->fd);
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_CREATE_IRQCHIP, 0));
	gl_vcpu_create(&self->vm, &self->vcpu, 0);
	d.vm_fd = self->vm.fd;
	d.efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_GE(d.efd, 0);
	f.fd = d.efd;
	ASSERT_EQ(0, pthread_create(&t, NULL, deassign_fn, &d));
	for (end = now_s() + RACE_SECS; now_s() < end; ) {
		/* A count pending at assign time is injected right away. */
		ASSERT_EQ(8, write(d.efd, &(uint64_t){ 1 }, 8));
		r = mkvm_ioctl(self->vm.fd, KVM_IRQFD, (unsigned long)&f);
		if (r == -EBUSY)
			busy++;
		else
			ASSERT_EQ(0, r);
		assigned++;
	}
	d.stop = 1;
	pthread_join(t, NULL);
	TH_LOG("%ld assigns (%ld busy), %ld deassigns", assigned, busy, d.n);
	close(d.efd);
}

/* ---- the host's hardware breakpoints ---- */

static volatile uint64_t host_watched;
uint64_t guest_scratch;

static void GUEST_CODE guest_debugregs_probe(uint64_t arg)
{
	/* What the guest finds: the reset values, never the host's. */
	GUEST_SYNC(RDDR(0) | RDDR(1) | RDDR(2) | RDDR(3), RDDR(7), 0);
	/*
	 * Its own breakpoint on a guest address (write, 8 bytes), not
	 * enabled: Debian's QEMU 7.2 segfaults when a nested guest runs with
	 * a DR7 breakpoint enabled, on /dev/kvm as well (testing.md).
	 */
	WRDR(0, 0x12345000);
	WRDR(7, 0x400 | (1 << 16) | (2 << 18));
	GUEST_SYNC(RDDR(0), RDDR(7), 0);
	/* Still its own after an exit to userspace and back. */
	GUEST_SYNC(RDDR(0), RDDR(7), 0);
}

static int watch_host(struct __test_metadata *_metadata)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(a),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = (uintptr_t)&host_watched,
		.bp_len = HW_BREAKPOINT_LEN_8,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	int fd = syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);

	if (fd < 0)
		MKVM_SKIP("no hardware breakpoint for this thread: %s",
			  strerror(errno));
	return fd;
}

static uint64_t hits(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return ~0ULL;
	return n;
}

TEST_F(dev, host_watchpoint)
{
	struct kvm_debugregs d;
	struct gl_ucall uc;
	int wfd;

	wfd = watch_host(_metadata);
	host_watched++;
	if (hits(wfd) != 1)
		MKVM_SKIP("this machine's hardware breakpoints do not fire");

	gl_vcpu_setup_c(&self->vcpu, guest_debugregs_probe, 0);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]) TH_LOG("the guest read a host DR0-3");
	EXPECT_EQ(0x400, uc.args[1]);
	host_watched++;
	EXPECT_EQ(2, hits(wfd)) TH_LOG("the host's watchpoint is gone");

	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(0x12345000, uc.args[0]);
	EXPECT_EQ(0x400 | (1 << 16) | (2 << 18), uc.args[1]);
	/* The guest has written its own DR0/DR7; the host's must still fire. */
	host_watched++;
	EXPECT_EQ(3, hits(wfd)) TH_LOG("the host's watchpoint is gone");

	if (gl_has_cap(self->fd, KVM_CAP_DEBUGREGS)) {
		ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_GET_DEBUGREGS,
					(unsigned long)&d));
		EXPECT_EQ(0x12345000, d.db[0]);
		EXPECT_EQ(1 << 16, d.dr7 & (3 << 16));
	}
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(0x12345000, uc.args[0]);
	host_watched++;
	EXPECT_EQ(4, hits(wfd));
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	close(wfd);
}

static void GUEST_CODE guest_debugregs_rules(uint64_t arg)
{
	uint64_t v, vec;

	/* DR4/DR5 are DR6/DR7 while CR4.DE is clear. */
	WRDR(7, 0x400);
	v = 0;
	vec = GUEST_SAFE("mov %%dr5, %%rax", v);
	GUEST_ASSERT_EQ(vec, 0);
	GUEST_ASSERT_EQ(v, 0x400);
	/* The upper half of DR7 is reserved: #GP. */
	v = 1ULL << 32;
	GUEST_ASSERT_EQ(GUEST_SAFE("mov %%rax, %%dr7", v), 13);
	/* DR6 keeps its fixed bits; the breakpoint status bits are writable. */
	WRDR(6, 0);
	vec = RDDR(6);
	GUEST_SYNC(vec, RDDR(0), 0);
}

TEST_F(dev, guest_debugregs)
{
	struct kvm_debugregs d = { .db = { 1, 2, 3, 4 }, .dr6 = 0xffff0ff0,
				   .dr7 = 0x400 };
	struct gl_ucall uc;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_DEBUGREGS));
	gl_vcpu_setup_c(&self->vcpu, guest_debugregs_rules, 0);
	/* KVM_SET_DEBUGREGS: flags and the upper halves are checked. */
	d.flags = 1;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_DEBUGREGS, (unsigned long)&d));
	d.flags = 0;
	d.dr7 = 1ULL << 32;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_DEBUGREGS, (unsigned long)&d));
	d.dr7 = 0x400;
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_DEBUGREGS, (unsigned long)&d));
	memset(&d, 0, sizeof(d));
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_GET_DEBUGREGS, (unsigned long)&d));
	EXPECT_EQ(3, d.db[2]);

	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(0xffff0ff0, uc.args[0]) TH_LOG("DR6 %#lx", (unsigned long)uc.args[0]);
	/* DR0 as KVM_SET_DEBUGREGS left it. */
	EXPECT_EQ(1, uc.args[1]);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
}

/* ---- SVM and VMX instructions ---- */

static void GUEST_CODE guest_virt_insns(uint64_t svm)
{
	uint64_t v;

	/* An unknown hypercall: -KVM_ENOSYS (-1000) in RAX, no fault. */
	v = 0x4321;
	if (svm)
		GUEST_ASSERT_EQ(GUEST_SAFE("vmmcall", v), 0);
	else
		GUEST_ASSERT_EQ(GUEST_SAFE("vmcall", v), 0);
	GUEST_ASSERT_EQ(v, (uint64_t)-1000);
	if (svm) {
		v = 0;
		GUEST_ASSERT_EQ(GUEST_SAFE("vmrun", v), 6);
		GUEST_ASSERT_EQ(GUEST_SAFE("vmload", v), 6);
		GUEST_ASSERT_EQ(GUEST_SAFE("vmsave", v), 6);
		GUEST_ASSERT_EQ(GUEST_SAFE("stgi", v), 6);
		GUEST_ASSERT_EQ(GUEST_SAFE("clgi", v), 6);
		GUEST_ASSERT_EQ(GUEST_SAFE("skinit", v), 6);
		GUEST_ASSERT_EQ(GUEST_SAFE("invlpga %%rax, %%ecx", v), 6);
	} else {
		v = 0;
		GUEST_ASSERT_EQ(GUEST_SAFE("vmxoff", v), 6);
		GUEST_ASSERT_EQ(GUEST_SAFE("vmptrst (%%rax)", v), 6);
	}
	GUEST_DONE();
}

TEST_F(dev, svm_vmx_instructions)
{
	const char *vendor = mkvm_cpu_vendor();
	struct gl_ucall uc;

	if (!vendor)
		MKVM_SKIP("neither SVM nor VMX");
	gl_vcpu_setup_c(&self->vcpu, guest_virt_insns, !strcmp(vendor, "svm"));
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
}

/* ---- RDPMC and CR4 ---- */

static void GUEST_CODE guest_pmc_cr4(uint64_t arg)
{
	uint64_t cr4, v = 0, vec;

	vec = GUEST_SAFE("rdpmc", v);
	GUEST_SYNC(vec, v, 0);

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	/* Linux's global TLB flush: PGE off and on again. */
	v = cr4 & ~(1ULL << 7);
	GUEST_ASSERT_EQ(GUEST_SAFE("mov %%rax, %%cr4", v), 0);
	v = cr4 | (1ULL << 7);
	GUEST_ASSERT_EQ(GUEST_SAFE("mov %%rax, %%cr4", v), 0);
	asm volatile("mov %%cr4, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, cr4 | (1ULL << 7));
	/* CR4.PKE (bit 22): the guest's CPUID has no PKU, so #GP. */
	v = cr4 | (1ULL << 22);
	GUEST_ASSERT_EQ(GUEST_SAFE("mov %%rax, %%cr4", v), 13);
	/* In long mode PAE cannot be cleared: #GP. */
	v = cr4 & ~(1ULL << 5);
	GUEST_ASSERT_EQ(GUEST_SAFE("mov %%rax, %%cr4", v), 13);
	GUEST_DONE();
}

TEST_F(dev, rdpmc_and_cr4)
{
	struct gl_ucall uc;

	gl_vcpu_setup_c(&self->vcpu, guest_pmc_cr4, 0);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	TH_LOG("RDPMC: vector %lu, value %#lx", (unsigned long)uc.args[0],
	       (unsigned long)uc.args[1]);
	if (mkvm_is_minikvm(variant->path)) {
		EXPECT_EQ(13, uc.args[0]) TH_LOG("RDPMC must be #GP: no PMU");
	} else {
		/* KVM's virtual PMU may answer; never with a #UD. */
		EXPECT_TRUE(uc.args[0] == 13 || uc.args[0] == 0);
	}
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
}

/* ---- resources ---- */

static long mem_available_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

TEST_F(dev, huge_slot)
{
	struct kvm_userspace_memory_region r = {
		.slot = 1, .guest_phys_addr = 1ULL << 32,
	};
	uint32_t regs[4];
	uint64_t size;
	long before, after;
	void *p;

	/*
	 * 1 TiB, or what the host's physical address width allows (minikvm
	 * refuses guest addresses beyond it; Bochs' Broadwell has 39 bits).
	 */
	asm volatile("cpuid" : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]),
		     "=d"(regs[3]) : "a"(0x80000008), "c"(0));
	size = 1ULL << ((regs[0] & 0xff) < 40 ? (regs[0] & 0xff) : 40);

	p = mmap(NULL, size, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		MKVM_SKIP("no 1 TiB of address space: %s", strerror(errno));
	/* KVM_MEM_MAX_NR_PAGES: 2^31 pages and more are refused. */
	r.userspace_addr = (uintptr_t)p;
	r.memory_size = 1ULL << (31 + 12);
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm.fd, KVM_SET_USER_MEMORY_REGION,
				      (unsigned long)&r));
	/* All of it above 4 GiB: at most 1 TiB - 4 GiB. */
	r.memory_size = size - (1ULL << 32);
	before = mem_available_kib();
	r.guest_phys_addr = 1ULL << 32;
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_SET_USER_MEMORY_REGION,
				(unsigned long)&r));
	after = mem_available_kib();
	TH_LOG("a %llu GiB slot took %ld MiB of host memory",
	       (unsigned long long)(r.memory_size >> 30), (before - after) / 1024);
	/* Nothing is pinned or mapped until the guest touches a page. */
	if (mkvm_is_minikvm(variant->path))
		EXPECT_LT(before - after, 32 * 1024);
	r.memory_size = 0;
	EXPECT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_SET_USER_MEMORY_REGION,
				(unsigned long)&r));
	munmap(p, size);
}

/* minikvm's debugfs line "NAME value" for the newest VM, or -1. */
static long vm_resource(const char *name)
{
	char path[128], line[128], vm[32] = "";
	long v = -1, n;
	FILE *f = fopen("/sys/kernel/debug/minikvm/vms", "r");

	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "%31s", vm);
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/sys/kernel/debug/minikvm/%s/resources", vm);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char key[64];

		if (sscanf(line, "%63s %ld", key, &n) == 2 && !strcmp(key, name))
			v = n;
	}
	if (f)
		fclose(f);
	return v;
}

TEST_F(dev, irqfd_closed_eventfd)
{
	struct kvm_irqfd f = { .gsi = 7 };
	double end;
	int i;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_IRQFD));
	gl_vcpu_destroy(&self->vcpu);
	gl_vm_destroy(&self->vm);
	gl_vm_create(&self->vm, self->fd);
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_CREATE_IRQCHIP, 0));
	gl_vcpu_create(&self->vm, &self->vcpu, 0);
	/*
	 * Hundreds of assign-and-close, bounded in time (the KASAN kernel
	 * beside a busy emulator does a few per second): each irqfd must
	 * go with its fd.
	 */
	for (end = now_s() + 8, i = 0; i < 1000 && (i < 20 || now_s() < end); i++) {
		f.fd = eventfd(0, 0);
		ASSERT_GE(f.fd, 0);
		ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_IRQFD, (unsigned long)&f));
		close(f.fd);
	}
	if (!mkvm_is_minikvm(variant->path))
		return;		/* KVM frees them alike; nothing to count */
	for (end = now_s() + 5; now_s() < end && vm_resource("irqfds"); )
		usleep(10000);
	EXPECT_EQ(0, vm_resource("irqfds"));
}

static void GUEST_CODE guest_touch(uint64_t base)
{
	uint64_t i;

	for (i = 0; i < (16 << 20); i += 4096)
		*(volatile uint64_t *)(base + i) = i;
	GUEST_DONE();
}

TEST_F(dev, pins_memlock)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[2];
	struct rlimit lim = { 1 << 20, 1 << 20 };
	struct gl_ucall uc;
	int r;

	gl_add_slot(&self->vm, 1, 1ULL << 30, 16 << 20, 0);
	/* As an unprivileged VMM: no CAP_IPC_LOCK, a 1 MiB memlock limit. */
	ASSERT_EQ(0, syscall(SYS_capget, &h, c));
	c[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	ASSERT_EQ(0, syscall(SYS_capset, &h, c));
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &lim));
	gl_vcpu_setup_c(&self->vcpu, guest_touch, 1ULL << 30);
	r = gl_run_ucall(&self->vcpu, &uc);
	if (mkvm_is_minikvm(variant->path)) {
		/* Pinning 16 MiB and more is past the limit. */
		EXPECT_EQ(-ENOMEM, r);
	} else {
		EXPECT_EQ(GL_UCALL_DONE, r);
	}
}

/* Records in the kernel log since @fd was opened (mkvm_kmsg_open()). */
static int kmsg_count(int fd)
{
	char rec[2048];
	int n = 0;
	ssize_t r;

	for (;;) {
		r = read(fd, rec, sizeof(rec));
		if (r < 0 && errno == EPIPE)
			continue;
		if (r <= 0)
			break;
		n++;
	}
	return n;
}

TEST_F(dev, failed_entry_log)
{
	struct kvm_sregs sregs;
	int i, fd, lines, fails = 0;

	gl_vcpu_setup_c(&self->vcpu, guest_touch, 0);
	gl_get_sregs(&self->vcpu, &sregs);
	/* CS.L and CS.D together: VM entry refuses it on both vendors. */
	sregs.cs.db = 1;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_SREGS, (unsigned long)&sregs));
	fd = mkvm_kmsg_open();
	ASSERT_GE(fd, 0);
	for (i = 0; i < 300; i++) {
		int r = gl_run(&self->vcpu);

		if (r || self->vcpu.run->exit_reason == KVM_EXIT_FAIL_ENTRY ||
		    self->vcpu.run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			fails++;
	}
	lines = kmsg_count(fd);
	close(fd);
	TH_LOG("300 failed entries, %d kernel log records", lines);
	EXPECT_EQ(300, fails);
	EXPECT_LT(lines, 30);
}

static void GUEST_CODE guest_touch_one(uint64_t base)
{
	*(volatile uint64_t *)base = 1;
	GUEST_DONE();
}

/* The second vCPU's stack, away from the first one's (GL_CSTACK_GPA). */
#define VCPU1_STACK	0x300000

TEST_F(dev, uffd_fault_blocks_nobody)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zero = { .mode = 0 };
	struct kvm_userspace_memory_region r = {
		.slot = 1, .guest_phys_addr = 1ULL << 30, .memory_size = 1 << 20,
	};
	struct vcpu_thread t0, t1;
	struct gl_vcpu vcpu1;
	struct kvm_regs regs;
	struct pollfd pfd;
	struct uffd_msg msg;
	void *mem;
	int uffd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		MKVM_SKIP("no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	madvise(mem, 1 << 20, MADV_NOHUGEPAGE);
	reg.range.start = (uintptr_t)mem;
	reg.range.len = 1 << 20;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	r.userspace_addr = (uintptr_t)mem;
	ASSERT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_SET_USER_MEMORY_REGION,
				(unsigned long)&r));
	/* Ordinary memory for the second vCPU, in a slot of its own. */
	gl_add_slot(&self->vm, 2, 2ULL << 30, 1 << 20, 0);
	gl_vcpu_create(&self->vm, &vcpu1, 1);

	gl_vcpu_setup_c(&self->vcpu, guest_touch_one, 1ULL << 30);
	vcpu_thread_start(&t0, &self->vcpu);
	/* The first vCPU's fault reaches userfaultfd and waits there. */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000)) TH_LOG("no userfault from the vCPU");
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* Meanwhile the second vCPU faults on ordinary memory: no waiting. */
	gl_vcpu_setup_c(&vcpu1, guest_touch_one, 2ULL << 30);
	gl_get_regs(&vcpu1, &regs);
	regs.rsp = VCPU1_STACK;
	gl_set_regs(&vcpu1, &regs);
	vcpu_thread_start(&t1, &vcpu1);
	EXPECT_TRUE(vcpu_thread_wait(&t1, 5)) TH_LOG("vCPU 1 waited for vCPU 0's userfault");

	/* Serve the fault; everything finishes. */
	zero.range.start = msg.arg.pagefault.address & ~4095ULL;
	zero.range.len = 4096;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zero));
	ASSERT_TRUE(vcpu_thread_wait(&t0, 10));
	EXPECT_EQ(GL_UCALL_DONE, t0.result);
	if (!t1.done)
		ASSERT_TRUE(vcpu_thread_wait(&t1, 10));
	EXPECT_EQ(GL_UCALL_DONE, t1.result);
	gl_vcpu_destroy(&vcpu1);
	close(uffd);
}



/* ---- modes ---- */

/* Real mode: OUT to PORT 200 times, then HLT. */
GL_GUEST_ASM(lme_out_loop, 16,
	"mov $200, %cx\n"
	"1: mov $" GL_XSTR(PORT) ", %dx\n"
	"out %al, %dx\n"
	"loop 1b\n"
	"hlt\n");

TEST_F(dev, lme_before_paging)
{
	struct kvm_sregs sregs;
	int i, r;

	gl_load_asm(&self->vcpu, GL_MODE_REAL, lme_out_loop, lme_out_loop_end);
	gl_get_sregs(&self->vcpu, &sregs);
	sregs.efer |= 1ULL << 8;		/* EFER.LME; CR0.PG and CR4.PAE clear */
	gl_set_sregs(&self->vcpu, &sregs);
	for (i = 0; i < 200; i++) {
		r = gl_run(&self->vcpu);
		ASSERT_EQ(0, r);
		ASSERT_EQ(KVM_EXIT_IO, self->vcpu.run->exit_reason)
			TH_LOG("exit %u after %d OUTs", self->vcpu.run->exit_reason, i);
		ASSERT_EQ(PORT, self->vcpu.run->io.port);
	}
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_HLT);
	gl_get_sregs(&self->vcpu, &sregs);
	EXPECT_TRUE(sregs.efer & (1ULL << 8));
	EXPECT_FALSE(sregs.cr0 & 0x80000001ULL);
}

TEST_HARNESS_MAIN
