// SPDX-License-Identifier: GPL-2.0
/*
 * hotplug_test - CPUs going offline and online while VMs exist.
 *
 * A CPU that comes online while a VM exists must be switched into VMX/SVM
 * before it can run a vCPU; a CPU going offline must leave it (otherwise
 * INIT would be blocked the next time it is brought up). For minikvm the
 * per-CPU state is read back from debugfs; for both devices, VM creation
 * must keep working throughout and the hardware must be free at the end.
 */
#include "mkvm_test.h"

#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

static int set_cpu1(int online)
{
	int fd = open(CPU1_ONLINE, O_WRONLY), r;

	if (fd < 0)
		return -errno;
	r = write(fd, online ? "1" : "0", 1) == 1 ? 0 : -errno;
	close(fd);
	return r;
}

FIXTURE(dev) {
	int fd;
};

MKVM_DEV_VARIANTS(dev);

FIXTURE_SETUP(dev)
{
	if (access(CPU1_ONLINE, W_OK))
		MKVM_SKIP("needs a second, hot-pluggable CPU (%s)", CPU1_ONLINE);
	self->fd = mkvm_open_dev(_metadata, variant->path);
}

FIXTURE_TEARDOWN(dev)
{
	set_cpu1(1);
	close(self->fd);
}

TEST_F_TIMEOUT(dev, offline_online_with_vm, 120)
{
	bool mk = mkvm_is_minikvm(variant->path);
	int vm, vm2, round;

	vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0) TH_LOG("KVM_CREATE_VM: %s", strerror(-vm));
	if (mk)
		EXPECT_EQ(1, mkvm_debugfs_cpu_on(1));

	for (round = 0; round < 5; round++) {
		ASSERT_EQ(0, set_cpu1(0));
		if (mk)
			EXPECT_EQ(0, mkvm_debugfs_cpu_on(1));
		/* A VM can be created with a CPU offline. */
		vm2 = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
		EXPECT_GE(vm2, 0);
		if (vm2 >= 0)
			close(vm2);

		ASSERT_EQ(0, set_cpu1(1));
		/* Back online with a VM alive: switched on again. */
		if (mk)
			EXPECT_EQ(1, mkvm_debugfs_cpu_on(1));
	}
	close(vm);
	if (mk) {
		EXPECT_EQ(0, mkvm_debugfs_cpu_on(0));
		EXPECT_EQ(0, mkvm_debugfs_cpu_on(1));
	}
}

TEST_F_TIMEOUT(dev, online_after_first_vm, 60)
{
	bool mk = mkvm_is_minikvm(variant->path);
	int vm;

	/* The CPU is offline when the first VM switches everything on. */
	ASSERT_EQ(0, set_cpu1(0));
	vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	if (mk)
		EXPECT_EQ(0, mkvm_debugfs_cpu_on(1));
	ASSERT_EQ(0, set_cpu1(1));
	if (mk)
		EXPECT_EQ(1, mkvm_debugfs_cpu_on(1));
	close(vm);
	if (mk)
		EXPECT_EQ(0, mkvm_debugfs_cpu_on(1));
}

TEST_F_TIMEOUT(dev, offline_without_vm, 60)
{
	int vm;

	ASSERT_EQ(0, set_cpu1(0));
	ASSERT_EQ(0, set_cpu1(1));
	vm = mkvm_ioctl(self->fd, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	close(vm);
}

TEST_HARNESS_MAIN
