// SPDX-License-Identifier: GPL-2.0
/*
 * machine_ioctl_test - the VM and vCPU ioctls every VMM issues at start-up
 * or to save and restore a vCPU (issue 15), on /dev/kvm and /dev/minikvm:
 *
 *  - tss_identity: KVM_SET_TSS_ADDR's upper bound, KVM_SET_IDENTITY_MAP_ADDR
 *    before vCPUs (and EINVAL after them, checked before the argument);
 *  - caps: the caps of these ioctls; KVM_CAP_NR_VCPUS <= online CPUs and
 *    <= KVM_CAP_MAX_VCPUS, and exactly KVM_CAP_MAX_VCPUS vCPUs can be made;
 *  - nmi / nmi_irqchip: KVM_NMI runs the guest's NMI handler, twice for
 *    two (one in service, one latched), and KVM_SET_VCPU_EVENTS' pending
 *    NMI too; with the in-kernel irqchip KVM_INTERRUPT is ENXIO;
 *  - nmi_masked: nmi.masked from KVM_SET_VCPU_EVENTS holds a KVM_NMI back
 *    until the guest executes an IRET;
 *  - interrupt_window: without an irqchip, request_interrupt_window gives
 *    KVM_EXIT_IRQ_WINDOW_OPEN once the guest sets IF, if_flag and
 *    ready_for_interrupt_injection follow, and KVM_INTERRUPT's vector (and
 *    one from KVM_SET_VCPU_EVENTS) reaches the guest's handler;
 *  - exception: an exception injected with KVM_SET_VCPU_EVENTS reaches the
 *    guest's #GP handler with its error code; GET round-trips it;
 *  - events_bad: unknown and unsupported flags, bad exception vectors;
 *  - shadow: the interrupt shadow round-trips;
 *  - tsc_khz: KVM_GET/SET_TSC_KHZ and the tolerance without TSC scaling;
 *  - kvmclock_ctrl: EINVAL until kvmclock is enabled, then
 *    PVCLOCK_GUEST_STOPPED in the guest's record.
 */
#include "mkvm_test.h"
#include "irq_lib.h"

GL_DEV_FIXTURE();

#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define PVCLOCK_GUEST_STOPPED	2
#define SPIN_MAX		20000000ULL

uint64_t mi_nmis, mi_irqs40, mi_irqs41, mi_gp_count, mi_gp_error;

/* Handlers: count; #GP also keeps its error code and pops it. */
asm(".pushsection .text\n"
    "mi_nmi_handler:\n"
    "lock incq mi_nmis(%rip)\n"
    "iretq\n"
    "mi_irq40_handler:\n"
    "lock incq mi_irqs40(%rip)\n"
    "iretq\n"
    "mi_irq41_handler:\n"
    "lock incq mi_irqs41(%rip)\n"
    "iretq\n"
    "mi_gp_handler:\n"
    "push %rax\n"
    "mov 8(%rsp), %rax\n"
    "mov %rax, mi_gp_error(%rip)\n"
    "lock incq mi_gp_count(%rip)\n"
    "pop %rax\n"
    "add $8, %rsp\n"
    "iretq\n"
    ".popsection\n");
extern const uint8_t mi_nmi_handler[], mi_irq40_handler[], mi_irq41_handler[],
	mi_gp_handler[];

struct gl_pvti mi_pvti __attribute__((aligned(64)));

/* Wait (boundedly) until *@p reaches @want; return what it is. */
static GUEST_CODE uint64_t spin_for(volatile uint64_t *p, uint64_t want,
				     uint64_t max)
{
	uint64_t i;

	for (i = 0; i < max && *p < want; i++)
		asm volatile("pause" ::: "memory");
	return *p;
}

/* IRETQ to the next instruction: ends NMI blocking (SDM 6.7.1). */
static GUEST_CODE void self_iret(void)
{
	asm volatile("sub $128, %%rsp\n\t"	/* the red zone */
		     "mov %%rsp, %%rax\n\t"
		     "mov %%ss, %%ecx\n\t"
		     "push %%rcx\n\t"
		     "push %%rax\n\t"
		     "pushfq\n\t"
		     "mov %%cs, %%ecx\n\t"
		     "push %%rcx\n\t"
		     "lea 1f(%%rip), %%rax\n\t"
		     "push %%rax\n\t"
		     "iretq\n"
		     "1: add $128, %%rsp"
		     ::: "rax", "rcx", "memory");
}

static void GUEST_CODE guest_nmi(uint64_t arg)
{
	GUEST_SYNC(0, 0, 0);
	GUEST_SYNC(spin_for(&mi_nmis, 1, SPIN_MAX), 0, 0);
	GUEST_SYNC(spin_for(&mi_nmis, 2, SPIN_MAX), 0, 0);
	GUEST_SYNC(spin_for(&mi_nmis, 3, SPIN_MAX), 0, 0);
	GUEST_DONE();
}

static void GUEST_CODE guest_nmi_masked(uint64_t arg)
{
	GUEST_SYNC(0, 0, 0);
	GUEST_SYNC(spin_for(&mi_nmis, 1, SPIN_MAX / 10), 0, 0);
	self_iret();
	GUEST_SYNC(0, 0, 0);
	GUEST_SYNC(spin_for(&mi_nmis, 1, SPIN_MAX), 0, 0);
	GUEST_DONE();
}

static void GUEST_CODE guest_intr(uint64_t arg)
{
	GUEST_SYNC(0, 0, 0);
	asm volatile("sti; nop" ::: "memory");
	GUEST_SYNC(spin_for(&mi_irqs40, 1, SPIN_MAX), mi_irqs41, 0);
	GUEST_SYNC(spin_for(&mi_irqs41, 1, SPIN_MAX), mi_irqs40, 0);
	asm volatile("cli" ::: "memory");
	GUEST_DONE();
}

static void GUEST_CODE guest_exc(uint64_t arg)
{
	GUEST_SYNC(0, 0, 0);
	GUEST_SYNC(mi_gp_count, mi_gp_error, 0);
	GUEST_DONE();
}

static void GUEST_CODE guest_sync_twice(uint64_t arg)
{
	GUEST_SYNC(0, 0, 0);
	GUEST_SYNC(0, 0, 0);
	GUEST_DONE();
}

static void get_events(struct __test_metadata *_metadata,
		       struct gl_vcpu *vcpu, struct kvm_vcpu_events *e)
{
	memset(e, 0xaa, sizeof(*e));
	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS,
				(unsigned long)e));
}

static void setup_nmi_guest(struct gl_vcpu *vcpu, void (*fn)(uint64_t))
{
	gl_vcpu_setup_c(vcpu, fn, 0);
	gl_idt_set(vcpu, 2, mi_nmi_handler);
}

TEST_F(dev, tss_identity)
{
	struct gl_vm vm2;
	uint64_t addr = 0xfffbc000;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_SET_TSS_ADDR),
		   GL_CAP(KVM_CAP_SET_IDENTITY_MAP_ADDR));
	/* Three pages must fit below 4 GiB: 0xffffd000 is the last base. */
	EXPECT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_SET_TSS_ADDR, 0xfffbd000));
	EXPECT_EQ(0, mkvm_ioctl(self->vm.fd, KVM_SET_TSS_ADDR, 0xffffd000));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm.fd, KVM_SET_TSS_ADDR, 0xffffd001));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm.fd, KVM_SET_TSS_ADDR,
				      0x100000000UL));
	/* vCPU 0 exists: EINVAL, before the argument is even read. */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm.fd, KVM_SET_IDENTITY_MAP_ADDR,
				      (unsigned long)&addr));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm.fd, KVM_SET_IDENTITY_MAP_ADDR, 8));

	gl_vm_create(&vm2, self->fd);
	EXPECT_EQ(0, mkvm_ioctl(vm2.fd, KVM_SET_IDENTITY_MAP_ADDR,
				(unsigned long)&addr));
	EXPECT_EQ(0, mkvm_ioctl(vm2.fd, KVM_SET_IDENTITY_MAP_ADDR,
				(unsigned long)&addr));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(vm2.fd, KVM_SET_IDENTITY_MAP_ADDR, 8));
	EXPECT_EQ(0, mkvm_ioctl(vm2.fd, KVM_SET_TSS_ADDR, 0xfffbd000));
	gl_vm_destroy(&vm2);
}

TEST_F(dev, caps)
{
	static const long caps[] = {
		KVM_CAP_SET_TSS_ADDR, KVM_CAP_SET_IDENTITY_MAP_ADDR,
		KVM_CAP_HLT, KVM_CAP_INTERNAL_ERROR_DATA, KVM_CAP_USER_NMI,
		KVM_CAP_VCPU_EVENTS, KVM_CAP_GET_TSC_KHZ,
		KVM_CAP_KVMCLOCK_CTRL,
	};
	long nr = mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	long max = mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct gl_vm vm2;
	int fds[64];
	long i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		EXPECT_EQ(1, mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, caps[i]))
			TH_LOG("cap %ld", caps[i]);
	EXPECT_GE(nr, 1);
	EXPECT_LE(nr, online);
	EXPECT_LE(nr, max);
	/* The VM fd answers the same. */
	EXPECT_EQ(max, mkvm_ioctl(self->vm.fd, KVM_CHECK_EXTENSION,
				  KVM_CAP_MAX_VCPUS));
	if (max > 64) {
		TH_LOG("%s: KVM_CAP_MAX_VCPUS %ld, not creating them all",
		       variant->path, max);
		return;
	}
	/* KVM_CREATE_VCPU takes exactly KVM_CAP_MAX_VCPUS of them. */
	gl_vm_create(&vm2, self->fd);
	for (i = 0; i < max; i++) {
		fds[i] = ioctl(vm2.fd, KVM_CREATE_VCPU, i);
		ASSERT_GE(fds[i], 0) TH_LOG("vCPU %ld: %s", i, strerror(errno));
	}
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm2.fd, KVM_CREATE_VCPU, max));
	for (i = 0; i < max; i++)
		close(fds[i]);
	gl_vm_destroy(&vm2);
}

/* KVM_NMI twice: both handled; then the pending NMI of SET_VCPU_EVENTS. */
static void nmi_sequence(struct __test_metadata *_metadata,
			 struct gl_vcpu *vcpu, const char *path)
{
	struct kvm_vcpu_events e;
	struct gl_ucall uc;

	setup_nmi_guest(vcpu, guest_nmi);
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);
	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_NMI, 0));
	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_NMI, 0));
	get_events(_metadata, vcpu, &e);
	/*
	 * 6.1 reports "an NMI is pending" (1), as minikvm does; KVM since 6.4
	 * (virtual NMIs) reports how many: 2 on Debian's 6.12.
	 */
	if (mkvm_is_minikvm(path)) {
		EXPECT_EQ(1, e.nmi.pending);
	} else {
		EXPECT_TRUE(e.nmi.pending == 1 || e.nmi.pending == 2);
	}
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_GE(uc.args[0], 1);
	/* One was latched behind the first: it arrives too. */
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(2, uc.args[0]);

	get_events(_metadata, vcpu, &e);
	EXPECT_EQ(0, e.nmi.pending);
	EXPECT_EQ(0, e.nmi.injected);
	EXPECT_EQ(0, e.nmi.masked);
	memset(&e, 0, sizeof(e));
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	e.nmi.pending = 1;
	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS,
				(unsigned long)&e));
	get_events(_metadata, vcpu, &e);
	EXPECT_EQ(1, e.nmi.pending);
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(3, uc.args[0]);
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_DONE);
	EXPECT_EQ(3, GUEST_VAR(vcpu->vm, mi_nmis));
}

TEST_F(dev, nmi)
{
	struct kvm_interrupt irq = { .irq = 256 };

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_NMI),
		   GL_CAP(KVM_CAP_VCPU_EVENTS));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_INTERRUPT,
				      (unsigned long)&irq));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vcpu.fd, KVM_INTERRUPT, 8));
	nmi_sequence(_metadata, &self->vcpu, variant->path);
}

TEST_F(dev, nmi_irqchip)
{
	struct kvm_interrupt irq = { .irq = 0x40 };
	struct gl_vcpu vcpu;
	struct gl_vm vm2;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_NMI),
		   GL_CAP(KVM_CAP_VCPU_EVENTS), GL_CAP(KVM_CAP_IRQCHIP));
	gl_vm_create(&vm2, self->fd);
	ASSERT_EQ(0, mkvm_ioctl(vm2.fd, KVM_CREATE_IRQCHIP, 0));
	gl_vcpu_create(&vm2, &vcpu, 0);
	/* The vector check comes first; then "the 8259 is in the kernel". */
	EXPECT_EQ(-ENXIO, mkvm_ioctl(vcpu.fd, KVM_INTERRUPT,
				     (unsigned long)&irq));
	irq.irq = 300;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vcpu.fd, KVM_INTERRUPT,
				      (unsigned long)&irq));
	nmi_sequence(_metadata, &vcpu, variant->path);
	gl_vcpu_destroy(&vcpu);
	gl_vm_destroy(&vm2);
}

TEST_F(dev, nmi_masked)
{
	struct kvm_vcpu_events e;
	struct gl_ucall uc;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_NMI),
		   GL_CAP(KVM_CAP_VCPU_EVENTS));
	setup_nmi_guest(&self->vcpu, guest_nmi_masked);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);

	memset(&e, 0, sizeof(e));
	e.nmi.masked = 1;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS,
				(unsigned long)&e));
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_NMI, 0));
	get_events(_metadata, &self->vcpu, &e);
	EXPECT_EQ(1, e.nmi.masked);
	EXPECT_EQ(1, e.nmi.pending);
	/* Blocked, across exits and entries, until an IRET. */
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	get_events(_metadata, &self->vcpu, &e);
	EXPECT_EQ(0, e.nmi.masked);
	EXPECT_EQ(0, e.nmi.pending);
}

TEST_F(dev, interrupt_window)
{
	struct kvm_interrupt irq = { .irq = 0x40 };
	struct gl_vcpu *vcpu = &self->vcpu;
	struct kvm_run *run = vcpu->run;
	struct kvm_vcpu_events e;
	struct gl_ucall uc;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_VCPU_EVENTS));
	gl_vcpu_setup_c(vcpu, guest_intr, 0);
	gl_idt_set(vcpu, 0x40, mi_irq40_handler);
	gl_idt_set(vcpu, 0x41, mi_irq41_handler);

	/* IF=0: not ready. */
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(0, run->if_flag);
	EXPECT_EQ(0, run->ready_for_interrupt_injection);

	/* The window opens after the guest's STI. */
	run->request_interrupt_window = 1;
	gl_expect_exit(_metadata, vcpu, KVM_EXIT_IRQ_WINDOW_OPEN);
	EXPECT_EQ(1, run->if_flag);
	EXPECT_EQ(1, run->ready_for_interrupt_injection);
	run->request_interrupt_window = 0;

	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_INTERRUPT, (unsigned long)&irq));
	get_events(_metadata, vcpu, &e);
	EXPECT_EQ(1, e.interrupt.injected);
	EXPECT_EQ(0x40, e.interrupt.nr);
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	get_events(_metadata, vcpu, &e);
	EXPECT_EQ(0, e.interrupt.injected);

	/* The same through KVM_SET_VCPU_EVENTS. */
	memset(&e, 0, sizeof(e));
	e.interrupt.injected = 1;
	e.interrupt.nr = 0x41;
	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS,
				(unsigned long)&e));
	get_events(_metadata, vcpu, &e);
	EXPECT_EQ(1, e.interrupt.injected);
	EXPECT_EQ(0x41, e.interrupt.nr);
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_DONE);
	EXPECT_EQ(1, GUEST_VAR(&self->vm, mi_irqs40));
	EXPECT_EQ(1, GUEST_VAR(&self->vm, mi_irqs41));
}

TEST_F(dev, exception)
{
	struct gl_vcpu *vcpu = &self->vcpu;
	struct kvm_vcpu_events e;
	struct gl_ucall uc;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_VCPU_EVENTS));
	gl_vcpu_setup_c(vcpu, guest_exc, 0);
	gl_idt_set(vcpu, 13, mi_gp_handler);
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);

	get_events(_metadata, vcpu, &e);
	EXPECT_EQ(0, e.exception.injected);
	EXPECT_EQ(0, e.exception.pending);
	EXPECT_EQ(0, e.interrupt.injected);
	EXPECT_EQ(0, e.nmi.injected);
	EXPECT_EQ(0, e.nmi.pending);
	EXPECT_EQ(0, e.smi.smm);
	EXPECT_EQ(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		  KVM_VCPUEVENT_VALID_SMM, e.flags);

	memset(&e, 0, sizeof(e));
	e.exception.injected = 1;
	e.exception.nr = 13;
	e.exception.has_error_code = 1;
	e.exception.error_code = 0x1234;
	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS,
				(unsigned long)&e));
	get_events(_metadata, vcpu, &e);
	EXPECT_EQ(1, e.exception.injected);
	EXPECT_EQ(13, e.exception.nr);
	EXPECT_EQ(1, e.exception.has_error_code);
	EXPECT_EQ(0x1234, e.exception.error_code);

	/* The handler sees it, error code and all, once. */
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(0x1234, uc.args[1]);
	get_events(_metadata, vcpu, &e);
	EXPECT_EQ(0, e.exception.injected);
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_DONE);
	EXPECT_EQ(1, GUEST_VAR(&self->vm, mi_gp_count));
}

TEST_F(dev, events_bad)
{
	struct kvm_vcpu_events e, before, after;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_VCPU_EVENTS));
	get_events(_metadata, &self->vcpu, &before);

	memset(&e, 0, sizeof(e));
	e.flags = 0x80;				/* no such flag */
	e.nmi.pending = 1;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS,
				      (unsigned long)&e));
	/* Needs KVM_CAP_EXCEPTION_PAYLOAD enabled first. */
	e.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS,
				      (unsigned long)&e));
	memset(&e, 0, sizeof(e));
	e.exception.injected = 1;
	e.exception.nr = 2;			/* NMI is not an exception */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS,
				      (unsigned long)&e));
	e.exception.nr = 32;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS,
				      (unsigned long)&e));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS, 8));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vcpu.fd, KVM_GET_VCPU_EVENTS, 8));
	/* Nothing changed. */
	get_events(_metadata, &self->vcpu, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));

	/* Valid SMM state that says "not in SMM" is fine. */
	memset(&e, 0, sizeof(e));
	e.flags = KVM_VCPUEVENT_VALID_SMM;
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS,
				(unsigned long)&e));
	/* A GET result goes back in as it is. */
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS,
				(unsigned long)&after));
}

TEST_F(dev, shadow)
{
	struct kvm_vcpu_events e;
	struct kvm_regs regs;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_VCPU_EVENTS));
	gl_vcpu_setup_c(&self->vcpu, guest_sync_twice, 0);
	/* VMX refuses an STI shadow with IF=0: set IF. */
	gl_get_regs(&self->vcpu, &regs);
	regs.rflags |= 0x200;
	gl_set_regs(&self->vcpu, &regs);

	memset(&e, 0, sizeof(e));
	e.flags = KVM_VCPUEVENT_VALID_SHADOW;
	e.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS,
				(unsigned long)&e));
	get_events(_metadata, &self->vcpu, &e);
	EXPECT_TRUE(e.interrupt.shadow & KVM_X86_SHADOW_INT_STI);
	/* Without the flag the shadow is left alone. */
	memset(&e, 0, sizeof(e));
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS,
				(unsigned long)&e));
	get_events(_metadata, &self->vcpu, &e);
	EXPECT_NE(0, e.interrupt.shadow);
	e.flags = KVM_VCPUEVENT_VALID_SHADOW;
	e.interrupt.shadow = 0;
	ASSERT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_VCPU_EVENTS,
				(unsigned long)&e));
	get_events(_metadata, &self->vcpu, &e);
	EXPECT_EQ(0, e.interrupt.shadow);
}

TEST_F(dev, tsc_khz)
{
	long khz, far;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_GET_TSC_KHZ));
	khz = mkvm_ioctl(self->vcpu.fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_GT(khz, 0);
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_TSC_KHZ, khz));
	/* 100 ppm off is within KVM's 250 ppm: taken as it is. */
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_TSC_KHZ,
				khz - khz / 10000));
	EXPECT_EQ(khz - khz / 10000,
		  mkvm_ioctl(self->vcpu.fd, KVM_GET_TSC_KHZ, 0));
	/* 0: the host's rate. */
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_TSC_KHZ, 0));
	EXPECT_EQ(khz, mkvm_ioctl(self->vcpu.fd, KVM_GET_TSC_KHZ, 0));
	if (gl_has_cap(self->fd, KVM_CAP_TSC_CONTROL)) {
		TH_LOG("%s scales the TSC: any rate goes", variant->path);
		return;
	}
	/* Slower than the host without scaling: refused, yet reported. */
	far = khz / 2;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vcpu.fd, KVM_SET_TSC_KHZ, far));
	EXPECT_EQ(far, mkvm_ioctl(self->vcpu.fd, KVM_GET_TSC_KHZ, 0));
}

TEST_F(dev, kvmclock_ctrl)
{
	struct gl_vcpu *vcpu = &self->vcpu;
	uint64_t gpa = (uint64_t)&mi_pvti;
	struct gl_ucall uc;

	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_KVMCLOCK_CTRL));
	ASSERT_EQ(0, gl_set_supported_cpuid(vcpu));
	gl_vcpu_setup_c(vcpu, guest_sync_twice, 0);
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));

	ASSERT_EQ(1, gl_set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, gpa | 1));
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_NE(0, GUEST_VAR(&self->vm, mi_pvti.version));
	EXPECT_EQ(0, GUEST_VAR(&self->vm, mi_pvti.flags) &
		     PVCLOCK_GUEST_STOPPED);
	EXPECT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));
	gl_expect_ucall(_metadata, vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(PVCLOCK_GUEST_STOPPED, GUEST_VAR(&self->vm, mi_pvti.flags) &
		  PVCLOCK_GUEST_STOPPED);

	ASSERT_EQ(1, gl_set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));
}

TEST_HARNESS_MAIN
