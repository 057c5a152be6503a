// SPDX-License-Identifier: GPL-2.0
/*
 * coexist_test - minikvm and the stock kvm_amd/kvm_intel take turns.
 *
 * Only one hypervisor can own VMX/SVM on a CPU. Both minikvm and KVM turn
 * it on with their first VM and off with their last, and both refuse with
 * EBUSY while the other holds it. Checked in both orders, with minikvm's
 * one-line dmesg hint, and that closing the owner's VM frees the hardware.
 *
 * Needs both devices; on 6.12+ kvm.ko must be loaded with
 * enable_virt_at_load=0 (the guest init does that; modload.sh covers =1).
 */
#include "mkvm_test.h"

FIXTURE(both) {
	int kvm, mkvm;
};

FIXTURE_SETUP(both)
{
	/* Both at once: no reference half to leave out here. */
	self->kvm = mkvm_open_path(_metadata, KVM_DEV);
	self->mkvm = mkvm_open_path(_metadata, MINIKVM_DEV);
}

FIXTURE_TEARDOWN(both)
{
	close(self->kvm);
	close(self->mkvm);
}

TEST_F(both, kvm_first)
{
	int kmsg = mkvm_kmsg_open();
	int kvm_vm, vm;
	char hint[64];

	kvm_vm = mkvm_ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_GE(kvm_vm, 0) TH_LOG("KVM_CREATE_VM on %s: %s", KVM_DEV,
				    strerror(-kvm_vm));

	EXPECT_EQ(-EBUSY, mkvm_ioctl(self->mkvm, KVM_CREATE_VM, 0));
	snprintf(hint, sizeof(hint), "minikvm: %s is already in use",
		 mkvm_cpu_vendor() ? mkvm_cpu_vendor() : "");
	if (kmsg >= 0)
		EXPECT_TRUE(mkvm_kmsg_find(kmsg, hint))
			TH_LOG("no \"%s\" line in dmesg", hint);

	/* Still refused while the KVM VM lives, every time. */
	EXPECT_EQ(-EBUSY, mkvm_ioctl(self->mkvm, KVM_CREATE_VM, 0));

	close(kvm_vm);
	vm = mkvm_ioctl(self->mkvm, KVM_CREATE_VM, 0);
	EXPECT_GE(vm, 0) TH_LOG("after KVM let go: %s", strerror(-vm));
	if (vm >= 0)
		close(vm);
	if (kmsg >= 0)
		close(kmsg);
}

TEST_F(both, minikvm_first)
{
	int mkvm_vm, vm;
	long r;

	mkvm_vm = mkvm_ioctl(self->mkvm, KVM_CREATE_VM, 0);
	ASSERT_GE(mkvm_vm, 0) TH_LOG("KVM_CREATE_VM on %s: %s", MINIKVM_DEV,
				     strerror(-mkvm_vm));

	/*
	 * KVM's own enable path sees CR4.VMXE / EFER.SVME and backs off:
	 * 6.1 answers EBUSY; 6.12 reworked the enable path and answers EIO.
	 * Either way the stock KVM refuses and leaves our hardware alone.
	 */
	r = mkvm_ioctl(self->kvm, KVM_CREATE_VM, 0);
	EXPECT_TRUE(r == -EBUSY || r == -EIO) TH_LOG("KVM answered %ld", r);
	if (r >= 0)
		close(r);

	close(mkvm_vm);
	vm = mkvm_ioctl(self->kvm, KVM_CREATE_VM, 0);
	EXPECT_GE(vm, 0) TH_LOG("after minikvm let go: %s", strerror(-vm));
	if (vm >= 0)
		close(vm);
}

/* Half the rounds are stock KVM VMs: ~1 s each under Bochs. */
TEST_F_TIMEOUT(both, alternate_50, 300)
{
	int i, vm, n = 2 * mkvm_rounds(KVM_DEV, 25);

	/* Hand the hardware back and forth; neither side may get stuck. */
	for (i = 0; i < n; i++) {
		int dev = i % 2 ? self->kvm : self->mkvm;

		vm = mkvm_ioctl(dev, KVM_CREATE_VM, 0);
		ASSERT_GE(vm, 0) TH_LOG("round %d: %s", i, strerror(-vm));
		close(vm);
	}
}

TEST_HARNESS_MAIN
