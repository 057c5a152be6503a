// SPDX-License-Identifier: GPL-2.0
/*
 * dev.c - /dev/minikvm and its system ioctls.
 *
 * The device answers the "system" ioctls of the KVM ABI
 * (Documentation/virt/kvm/api.rst, section 4) with KVM's numbers, structs
 * and errno conventions, so a program written for /dev/kvm works here:
 *
 *   KVM_GET_API_VERSION     12, the only version there has ever been
 *   KVM_CHECK_EXTENSION     what caps.c says is really implemented
 *   KVM_CREATE_VM           type 0 only; returns a VM fd (vm.c)
 *   KVM_GET_VCPU_MMAP_SIZE  the size of the vCPU mmap area
 *   KVM_GET_SUPPORTED_CPUID the CPUID leaves minikvm can offer (x86/cpuid.c)
 *   KVM_GET_MSR_INDEX_LIST  the MSRs a VMM saves and restores (x86/msr.c)
 *
 * Anything else is refused with -EINVAL, exactly as kvm_dev_ioctl() does;
 * the same goes for a non-zero argument where KVM demands zero.
 *
 * The node is "minikvm", never "kvm" (minor 232 belongs to kvm.ko), with
 * mode 0660; the udev rule in scripts/udev gives it to group kvm.
 *
 * Non-goals: the other x86 system ioctls (KVM_GET_MSR_FEATURE_INDEX_LIST,
 * KVM_GET_EMULATED_CPUID, KVM_X86_GET_MCE_CAP_SUPPORTED): they arrive with
 * the features that need them.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/kvm.h>
#include <linux/fs.h>

#include "minikvm.h"

/*
 * The vCPU fd's mmap area, as KVM's on x86: page 0 is struct kvm_run, page 1
 * the PIO data page (KVM_PIO_PAGE_OFFSET), page 2 the VM's coalesced MMIO
 * ring (KVM_COALESCED_MMIO_PAGE_OFFSET, coalesced.c).
 */
#define MKVM_VCPU_MMAP_PAGES	3

static long mkvm_dev_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		return mkvm_check_extension(NULL, arg);
	case KVM_CREATE_VM:
		return mkvm_vm_create(arg);
	case KVM_GET_SUPPORTED_CPUID:
		if (!mkvm_can_run_guests())
			return -EINVAL;
		return mkvm_get_supported_cpuid((void __user *)arg);
	case KVM_GET_MSR_INDEX_LIST:
		if (!mkvm_can_run_guests())
			return -EINVAL;
		return mkvm_get_msr_index_list((void __user *)arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return MKVM_VCPU_MMAP_PAGES * PAGE_SIZE;
	default:
		return -EINVAL;
	}
}

static const struct file_operations mkvm_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = mkvm_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice mkvm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "minikvm",
	.fops = &mkvm_dev_fops,
	.mode = 0660,
};

/**
 * mkvm_dev_init() - register /dev/minikvm
 *
 * Return: 0 or the negative errno of misc_register().
 */
int mkvm_dev_init(void)
{
	return misc_register(&mkvm_misc);
}

/** mkvm_dev_exit() - unregister /dev/minikvm */
void mkvm_dev_exit(void)
{
	misc_deregister(&mkvm_misc);
}
