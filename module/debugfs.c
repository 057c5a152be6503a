// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/minikvm/: what the module sees, for people
 * and for the selftests.
 *
 *   hw   the backend's capabilities, then the hardware-enable count and
 *        each CPU's state ("cpu1: on"). The CPU-hotplug selftest reads it
 *        to check that a CPU coming online while a VM exists is switched
 *        on, and that the last VM switches every CPU off.
 *   vms  one line per live VM.
 *
 * Non-goals: a stable interface (debugfs never is); per-vCPU files arrive
 * with vCPUs.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "minikvm.h"
#include "arch_ops.h"

static struct dentry *mkvm_debugfs_dir;

static int mkvm_hw_show(struct seq_file *m, void *unused)
{
	mkvm_ops->show_caps(m);
	mkvm_virt_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mkvm_hw);

static int mkvm_vms_show(struct seq_file *m, void *unused)
{
	struct mkvm *vm;

	mutex_lock(&mkvm_vm_list_lock);
	list_for_each_entry(vm, &mkvm_vm_list, list)
		seq_printf(m, "vm%u\n", vm->id);
	mutex_unlock(&mkvm_vm_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mkvm_vms);

/**
 * mkvm_debugfs_init() - create /sys/kernel/debug/minikvm
 *
 * debugfs failures are deliberately ignored: the module works without it.
 */
void mkvm_debugfs_init(void)
{
	mkvm_debugfs_dir = debugfs_create_dir("minikvm", NULL);
	debugfs_create_file("hw", 0444, mkvm_debugfs_dir, NULL, &mkvm_hw_fops);
	debugfs_create_file("vms", 0444, mkvm_debugfs_dir, NULL,
			    &mkvm_vms_fops);
}

/** mkvm_debugfs_exit() - remove /sys/kernel/debug/minikvm */
void mkvm_debugfs_exit(void)
{
	debugfs_remove_recursive(mkvm_debugfs_dir);
}
