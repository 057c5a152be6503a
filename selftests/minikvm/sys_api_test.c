// SPDX-License-Identifier: GPL-2.0
/*
 * sys_api_test - the system ioctls and the VM fd's life cycle, on /dev/kvm
 * and /dev/minikvm alike.
 *
 * Covers: KVM_GET_API_VERSION, KVM_CHECK_EXTENSION (minikvm reports only
 * what it implements), KVM_GET_VCPU_MMAP_SIZE, refusal of unknown ioctls
 * (EINVAL on the system fd, ENOTTY on a VM fd, as kvm_main.c does), of bad
 * VM types (EINVAL), of a VM fd used from another process (EIO), VM fds
 * outliving the device fd, 100 create/destroy cycles, many VMs at once, and
 * several processes creating VMs concurrently.
 */
#include <sys/wait.h>
#include "mkvm_test.h"

/*
 * Every cap minikvm may answer non-zero for today. A cap joins this list in
 * the change that implements it (module/caps.c).
 */
static const long mkvm_implemented_caps[] = {
	KVM_CAP_CHECK_EXTENSION_VM,
	/* Guest execution (SVM so far): memslots, vCPUs, KVM_RUN. */
	KVM_CAP_USER_MEMORY,
	KVM_CAP_DESTROY_MEMORY_REGION_WORKS,
	KVM_CAP_JOIN_MEMORY_REGIONS_WORKS,
	KVM_CAP_IMMEDIATE_EXIT,
	KVM_CAP_EXT_CPUID,
	KVM_CAP_READONLY_MEM,
	KVM_CAP_MP_STATE,
	KVM_CAP_DEBUGREGS,
	KVM_CAP_COALESCED_MMIO,
	KVM_CAP_COALESCED_PIO,
	KVM_CAP_NR_MEMSLOTS,
	KVM_CAP_NR_VCPUS,
	KVM_CAP_MAX_VCPUS,
	KVM_CAP_MAX_VCPU_ID,
	KVM_CAP_ENABLE_CAP_VM,
	/* KVM_CLEAR_DIRTY_LOG, manual protection (memslot.c, dirty_log_test). */
	KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
	/* Extended state (x86/xsave.c). */
	KVM_CAP_XSAVE,
	KVM_CAP_XCRS,
	/* kvmclock and KVM_GET/SET_CLOCK (x86/kvmclock.c). */
	KVM_CAP_ADJUST_CLOCK,
	/* In-kernel irqchip and eventfds (issue 5). */
	KVM_CAP_IRQCHIP,
	KVM_CAP_IOEVENTFD,
	KVM_CAP_IOEVENTFD_ANY_LENGTH,
	KVM_CAP_IRQFD,
	KVM_CAP_IRQFD_RESAMPLE,
	KVM_CAP_IRQ_ROUTING,
	KVM_CAP_SIGNAL_MSI,
	KVM_CAP_IRQ_INJECT_STATUS,
	KVM_CAP_TSC_DEADLINE_TIMER,
	/* Start-up VM and vCPU ioctls (x86/events.c, machine_ioctl_test). */
	KVM_CAP_SET_TSS_ADDR,
	KVM_CAP_SET_IDENTITY_MAP_ADDR,
	KVM_CAP_USER_NMI,
	KVM_CAP_VCPU_EVENTS,
	KVM_CAP_GET_TSC_KHZ,
	KVM_CAP_KVMCLOCK_CTRL,
	KVM_CAP_HLT,
	KVM_CAP_INTERNAL_ERROR_DATA,
	/* The 8254 (x86/pit.c, pit_test). */
	KVM_CAP_PIT,
	KVM_CAP_PIT2,
	KVM_CAP_PIT_STATE2,
	KVM_CAP_REINJECT_CONTROL,
};

FIXTURE(dev) {
	int fd;
};

MKVM_DEV_VARIANTS(dev);

FIXTURE_SETUP(dev)
{
	self->fd = mkvm_open_dev(_metadata, variant->path);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, api_version)
{
	EXPECT_EQ(12, mkvm_ioctl(self->fd, KVM_GET_API_VERSION, 0));
	/* KVM insists on a zero argument. */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->fd, KVM_GET_API_VERSION, 1));
}

TEST_F(dev, check_extension)
{
	long cap, r;
	size_t i;

	/* Both devices answer KVM_CHECK_EXTENSION on VM fds too. */
	EXPECT_GT(mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION,
			     KVM_CAP_CHECK_EXTENSION_VM), 0);
	/* Nonsense caps are simply "no". */
	EXPECT_EQ(0, mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, -1L));
	EXPECT_EQ(0, mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, 1L << 30));

	if (!mkvm_is_minikvm(variant->path))
		return;

	/* minikvm must not claim anything it does not implement. */
	for (cap = 0; cap < 1024; cap++) {
		bool allowed = false;

		for (i = 0; i < sizeof(mkvm_implemented_caps) /
				sizeof(mkvm_implemented_caps[0]); i++)
			allowed |= mkvm_implemented_caps[i] == cap;
		r = mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, cap);
		EXPECT_GE(r, 0);
		if (!allowed)
			EXPECT_EQ(0, r) TH_LOG("cap %ld claimed (%ld)", cap, r);
	}
}

TEST_F(dev, vcpu_mmap_size)
{
	long page = sysconf(_SC_PAGESIZE);
	long size = mkvm_ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	/* At least kvm_run plus the PIO page, in whole pages. */
	EXPECT_GE(size, 2 * page);
	EXPECT_EQ(0, size % page);
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 1));
}

TEST_F(dev, unknown_system_ioctls)
{
	/* kvm_dev_ioctl() answers EINVAL to anything it does not know. */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->fd, _IO(KVMIO, 0xfe), 0));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->fd, _IOW('X', 1, int), 0));
	/* vCPU and VM ioctls are not system ioctls. */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->fd, KVM_RUN, 0));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->fd, KVM_CREATE_VCPU, 0));
}

TEST_F(dev, bad_vm_types)
{
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->fd, KVM_CREATE_VM, 0xff));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->fd, KVM_CREATE_VM, 0x7fffffff));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->fd, KVM_CREATE_VM, ~0UL));
}

TEST_F(dev, vm_fd_ioctls)
{
	int vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);

	ASSERT_GE(vm, 0) TH_LOG("KVM_CREATE_VM: %s", strerror(-vm));
	EXPECT_EQ(1, mkvm_ioctl(vm, KVM_CHECK_EXTENSION,
				KVM_CAP_CHECK_EXTENSION_VM));
	/* kvm_arch_vm_ioctl() answers ENOTTY to what it does not know. */
	EXPECT_EQ(-ENOTTY, mkvm_ioctl(vm, _IO(KVMIO, 0xfe), 0));
	EXPECT_EQ(-ENOTTY, mkvm_ioctl(vm, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(-ENOTTY, mkvm_ioctl(vm, _IOW('X', 1, int), 0));
	close(vm);
}

/* KVM_ENABLE_CAP on a VM fd: KVM_CAP_MAX_VCPU_ID (api.rst 7.18). */
TEST_F(dev, enable_cap_max_vcpu_id)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MAX_VCPU_ID };
	long max;
	int vm, vcpu;

	if (mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_ENABLE_CAP_VM) <= 0)
		MKVM_SKIP("%s: no KVM_CAP_ENABLE_CAP_VM", variant->path);
	vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	max = mkvm_ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	ASSERT_GT(max, 2);
	cap.args[0] = max + 1;			/* beyond what the device has */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap));
	cap.args[0] = 2;
	cap.flags = 1;				/* no flags defined */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap));
	cap.flags = 0;
	EXPECT_EQ(0, mkvm_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap));
	EXPECT_EQ(0, mkvm_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap));
	cap.args[0] = 3;			/* a different value: once only */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap));
	cap.cap = 0x7fffffff;			/* not a cap */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap));
	EXPECT_EQ(-EINVAL, mkvm_ioctl(vm, KVM_CREATE_VCPU, 2));
	vcpu = mkvm_ioctl(vm, KVM_CREATE_VCPU, 1);
	EXPECT_GE(vcpu, 0);
	if (vcpu >= 0)
		close(vcpu);
	close(vm);
}

TEST_F(dev, vm_fd_outlives_device_fd)
{
	int vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);

	ASSERT_GE(vm, 0);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(1, mkvm_ioctl(vm, KVM_CHECK_EXTENSION,
				KVM_CAP_CHECK_EXTENSION_VM));
	close(vm);
}

TEST_F(dev, vm_fd_other_process)
{
	int vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
	int status;
	pid_t pid;

	ASSERT_GE(vm, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* A VM belongs to its creator's mm: KVM says EIO. */
		_exit(mkvm_ioctl(vm, KVM_CHECK_EXTENSION,
				 KVM_CAP_CHECK_EXTENSION_VM) == -EIO ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(vm);
}

/* kvm_intel under Bochs needs ~1 s per cycle; the 30 s default is too short. */
TEST_F_TIMEOUT(dev, create_destroy_100, 300)
{
	int i, vm, n = mkvm_rounds(variant->path, 100);

	for (i = 0; i < n; i++) {
		vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
		ASSERT_GE(vm, 0) TH_LOG("round %d: %s", i, strerror(-vm));
		close(vm);
	}
	/* The last close switched virtualization off again. */
	if (mkvm_is_minikvm(variant->path) && mkvm_debugfs_users() >= 0)
		EXPECT_EQ(0, mkvm_debugfs_users());
}

TEST_F(dev, many_vms_at_once)
{
	int vms[32], i, n = mkvm_rounds(variant->path, 32);

	for (i = 0; i < n; i++) {
		vms[i] = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
		ASSERT_GE(vms[i], 0) TH_LOG("VM %d: %s", i, strerror(-vms[i]));
	}
	if (mkvm_is_minikvm(variant->path) && mkvm_debugfs_users() >= 0)
		EXPECT_EQ(32, mkvm_debugfs_users());
	for (i = 0; i < n; i++)
		close(vms[i]);
}

TEST_F_TIMEOUT(dev, concurrent_processes, 120)
{
	const int nproc = 6, rounds = mkvm_rounds(variant->path, 40);
	int i, status, failed = 0;

	for (i = 0; i < nproc; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (!pid) {
			int fd = open(variant->path, O_RDWR), r, vm;

			for (r = 0; fd >= 0 && r < rounds; r++) {
				vm = ioctl(fd, KVM_CREATE_VM, 0);
				if (vm < 0)
					_exit(1);
				close(vm);
			}
			_exit(fd < 0 ? 2 : 0);
		}
	}
	for (i = 0; i < nproc; i++) {
		ASSERT_GT(wait(&status), 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	EXPECT_EQ(0, failed);
}

TEST_HARNESS_MAIN
