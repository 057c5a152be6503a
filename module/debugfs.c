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
 *   vm<N>/mmu
 *        how many 4 KiB and 2 MiB second-level leaves the VM has (KVM's
 *        pages_4k / pages_2m).
 *   vm<N>/vcpu<M>/stats
 *        the vCPU's event counters (enum mkvm_stat), "name value" per
 *        line; the selftests read them to check, e.g., that a guest's OUTs
 *        were counted as I/O exits.
 *
 * Directories come and go with their VM and vCPU. debugfs_remove() waits
 * for readers that are inside a show function (debugfs file proxies), so
 * a vCPU is never freed under a reader.
 *
 * Non-goals: a stable interface (debugfs never is); KVM's binary stats fd
 * (KVM_GET_STATS_FD).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "minikvm.h"
#include "arch_ops.h"
#include "mmu.h"

static struct dentry *mkvm_debugfs_dir;

static const char * const mkvm_stat_names[MKVM_STAT_NR] = {
	[MKVM_STAT_EXITS] = "exits",
	[MKVM_STAT_USER] = "user_exits",
	[MKVM_STAT_SIGNAL] = "signal_exits",
	[MKVM_STAT_IRQ] = "irq_exits",
	[MKVM_STAT_IO] = "io_exits",
	[MKVM_STAT_MMIO] = "mmio_exits",
	[MKVM_STAT_PF] = "pf_mapped",
	[MKVM_STAT_CPUID] = "cpuid_exits",
	[MKVM_STAT_MSR] = "msr_exits",
	[MKVM_STAT_HLT] = "hlt_exits",
	[MKVM_STAT_EXCEPTION] = "exceptions_injected",
};

static int mkvm_vcpu_stats_show(struct seq_file *m, void *unused)
{
	struct mkvm_vcpu *vcpu = m->private;
	int i;

	for (i = 0; i < MKVM_STAT_NR; i++)
		seq_printf(m, "%s %llu\n", mkvm_stat_names[i],
			   READ_ONCE(vcpu->stat[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mkvm_vcpu_stats);

static int mkvm_vm_mmu_show(struct seq_file *m, void *unused)
{
	struct mkvm *vm = m->private;

	/* Racy snapshots of counters kept under vm->mmu_lock. */
	seq_printf(m, "pages_4k %llu\npages_2m %llu\n",
		   READ_ONCE(vm->mmu->pages_4k), READ_ONCE(vm->mmu->pages_2m));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mkvm_vm_mmu);

/* What a VMM holds of the host through this VM (Documentation/security.md). */
static int mkvm_vm_resources_show(struct seq_file *m, void *unused)
{
	struct mkvm *vm = m->private;

	seq_printf(m, "irqfds %u\npinned_pages %lu\nlocked_vm_pages %lu\n",
		   READ_ONCE(vm->nr_irqfds), READ_ONCE(vm->pinned),
		   READ_ONCE(vm->charged));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mkvm_vm_resources);

/**
 * mkvm_debugfs_vm_add() - create minikvm/vm<id>/
 * @vm: the new VM, not yet visible to userspace
 */
void mkvm_debugfs_vm_add(struct mkvm *vm)
{
	char name[16];

	snprintf(name, sizeof(name), "vm%u", vm->id);
	vm->debugfs = debugfs_create_dir(name, mkvm_debugfs_dir);
	if (vm->mmu)
		debugfs_create_file("mmu", 0444, vm->debugfs, vm,
				    &mkvm_vm_mmu_fops);
	debugfs_create_file("resources", 0444, vm->debugfs, vm,
			    &mkvm_vm_resources_fops);
}

/**
 * mkvm_debugfs_vm_remove() - remove it, with everything below
 * @vm: the VM being destroyed (its vCPUs are gone)
 */
void mkvm_debugfs_vm_remove(struct mkvm *vm)
{
	debugfs_remove_recursive(vm->debugfs);
	vm->debugfs = NULL;
}

/**
 * mkvm_debugfs_vcpu_add() - create vm<id>/vcpu<n>/stats
 * @vcpu: the new vCPU
 */
void mkvm_debugfs_vcpu_add(struct mkvm_vcpu *vcpu)
{
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	vcpu->debugfs = debugfs_create_dir(name, vcpu->vm->debugfs);
	debugfs_create_file("stats", 0444, vcpu->debugfs, vcpu,
			    &mkvm_vcpu_stats_fops);
}

/**
 * mkvm_debugfs_vcpu_remove() - remove it; waits for readers
 * @vcpu: the vCPU about to be freed
 */
void mkvm_debugfs_vcpu_remove(struct mkvm_vcpu *vcpu)
{
	debugfs_remove_recursive(vcpu->debugfs);
	vcpu->debugfs = NULL;
}

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
