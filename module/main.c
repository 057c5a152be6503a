// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - module load and unload: pick the vendor backend, check that the
 * hardware and firmware allow virtualization, register the CPU hooks and
 * finally the /dev/minikvm device.
 *
 * Loading does not turn VMX/SVM on; the first VM does (virt.c). So loading
 * minikvm next to kvm_intel/kvm_amd is always fine, and only creating VMs
 * on both at the same time is refused (Documentation/coexistence.md).
 *
 * Manual references: Intel SDM Vol. 3C 24.6 and AMD APM Vol. 2 15.4 for
 * how each vendor is detected (implemented in x86/vmx/vmx.c and
 * x86/svm/svm.c).
 *
 * Non-goals: automatic loading by CPU modalias (minikvm is opt-in), more
 * than one backend per boot.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/smp.h>

#include "minikvm.h"
#include "arch_ops.h"

const struct mkvm_arch_ops *mkvm_ops;

static int __init mkvm_init(void)
{
	bool in_use;
	int r;

	if (mkvm_vmx_probe()) {
		mkvm_ops = &mkvm_vmx_ops;
	} else if (mkvm_svm_probe()) {
		mkvm_ops = &mkvm_svm_ops;
	} else {
		pr_err("no hardware virtualization: this CPU has neither VMX nor SVM\n");
		return -ENODEV;
	}

	/* Prints its own one-line reason on failure. */
	r = mkvm_ops->hardware_setup();
	if (r)
		return r;
	mkvm_xsave_init();
	mkvm_kvmclock_ok = mkvm_kvmclock_setup();

	r = mkvm_eventfd_init();
	if (r)
		goto unsetup;
	r = mkvm_virt_init();
	if (r)
		goto eventfd;

	mkvm_debugfs_init();

	/* Last: once the device exists, userspace can create VMs. */
	r = mkvm_dev_init();
	if (r)
		goto debugfs;

	/*
	 * Not an error: the owner may let go before the first VM is made.
	 * But on 6.12+ kvm_amd/kvm_intel keep the hardware for as long as
	 * they are loaded (kvm.enable_virt_at_load=1), and users deserve to
	 * know now rather than at KVM_CREATE_VM.
	 */
	preempt_disable();
	in_use = mkvm_ops->cpu_in_use();
	preempt_enable();
	if (in_use)
		pr_notice("%s is in use by another hypervisor (likely %s); VM creation will fail with EBUSY until it lets go\n",
			  mkvm_ops->name, mkvm_ops->owner_hint);
	pr_info("ready: /dev/minikvm (%s)\n", mkvm_ops->name);
	return 0;

debugfs:
	mkvm_debugfs_exit();
	mkvm_virt_exit();
eventfd:
	mkvm_eventfd_exit();
unsetup:
	mkvm_ops->hardware_unsetup();
	return r;
}

static void __exit mkvm_exit(void)
{
	/* Every fd pins the module, so no VM exists any more. */
	mkvm_dev_exit();
	mkvm_debugfs_exit();
	mkvm_virt_exit();
	mkvm_eventfd_exit();
	mkvm_ops->hardware_unsetup();
}

module_init(mkvm_init);
module_exit(mkvm_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The minikvm developers");
MODULE_DESCRIPTION("Small x86 hypervisor (VMX/SVM) speaking a subset of the KVM ABI on /dev/minikvm");
