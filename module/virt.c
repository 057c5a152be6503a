// SPDX-License-Identifier: GPL-2.0
/*
 * virt.c - turning hardware virtualization on and off, on every CPU.
 *
 * VMX (Intel SDM Vol. 3C, 24.7 "Enabling and Entering VMX Operation") and
 * SVM (AMD APM Vol. 2, 15.4 "Enabling SVM") are per-CPU modes. minikvm keeps
 * them on only while at least one VM exists: the first VM switches every
 * online CPU on, the last VM switches them all off again. This is KVM's
 * "virtualization on demand" model (6.1 and, with enable_virt_at_load=0,
 * 6.12+), and it is what lets minikvm and kvm_intel/kvm_amd take turns on
 * one machine: whoever enables first owns the hardware, the other one gets
 * -EBUSY and says so in one line (Documentation/coexistence.md).
 *
 * Around that reference count this file handles everything that can change
 * the set of CPUs or their state under our feet:
 *   - CPU hotplug: a CPU coming online while VMs exist is switched on
 *     before it runs anything of ours; a CPU going offline is switched off.
 *   - reboot: every CPU leaves VMX/SVM before the machine restarts, because
 *     INIT is blocked in VMX root operation (SDM 24.8) and some firmware
 *     hangs otherwise; new VMs are refused from then on.
 *   - suspend/resume: the state does not survive S3, so the boot CPU (the
 *     only one still online then) is switched off and back on.
 *
 * Locking: the CPU-hotplug lock is always taken before mkvm_virt_lock.
 * mkvm_virt_lock protects mkvm_virt_users and every transition of the
 * per-CPU mkvm_cpu_on flags; the flags themselves are only written on their
 * own CPU with interrupts off.
 *
 * Non-goals: sharing the hardware with another hypervisor at the same time
 * (impossible: VMX has one VMXON region per CPU, SVM one host save area);
 * registering the kernel's emergency-reboot virt callback (it has a single
 * slot that kvm_intel/kvm_amd may own; see coexistence.md).
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/syscore_ops.h>
#include <linux/seq_file.h>
#include <linux/smp.h>

#include "minikvm.h"
#include "arch_ops.h"
#include "compat.h"

/* Protects mkvm_virt_users and every mkvm_cpu_on transition (see top). */
static DEFINE_MUTEX(mkvm_virt_lock);
static unsigned int mkvm_virt_users;	/* VMs holding the hardware on */
static bool mkvm_rebooting;		/* set once; no VM after reboot starts */
static DEFINE_PER_CPU(bool, mkvm_cpu_on);
static enum cpuhp_state mkvm_cpuhp_state;

/* Outcome of an on_each_cpu() enable round: the first failure wins. */
struct mkvm_enable_result {
	atomic_t failed;
	int cpu;
	int err;
};

/* Switch the calling CPU on. Interrupts are off. */
static int mkvm_cpu_enable_local(void)
{
	int r;

	if (__this_cpu_read(mkvm_cpu_on))
		return 0;
	r = mkvm_ops->cpu_enable();
	if (!r)
		__this_cpu_write(mkvm_cpu_on, true);
	return r;
}

/* Switch the calling CPU off if we switched it on. Interrupts are off. */
static void mkvm_cpu_disable_local(void)
{
	if (!__this_cpu_read(mkvm_cpu_on))
		return;
	mkvm_ops->cpu_disable();
	__this_cpu_write(mkvm_cpu_on, false);
}

static void mkvm_enable_ipi(void *data)
{
	struct mkvm_enable_result *res = data;
	int r = mkvm_cpu_enable_local();

	if (r && atomic_inc_return(&res->failed) == 1) {
		res->cpu = smp_processor_id();
		res->err = r;
	}
}

static void mkvm_disable_ipi(void *unused)
{
	mkvm_cpu_disable_local();
}

/* Explain a failed enable in one line. Called once per failed VM creation. */
static void mkvm_report_enable_failure(const struct mkvm_enable_result *res)
{
	if (res->err == -EBUSY)
		pr_warn_ratelimited("%s is already in use on CPU %d, likely by %s with a VM open; close that VM (on 6.12+ also load kvm with enable_virt_at_load=0) and retry\n",
				    mkvm_ops->name, res->cpu, mkvm_ops->owner_hint);
	else
		pr_err_ratelimited("could not enable %s on CPU %d (error %d)\n",
				   mkvm_ops->name, res->cpu, res->err);
}

/**
 * mkvm_virt_get() - take a reference on "virtualization is on everywhere"
 *
 * Description: The first reference switches VMX/SVM on for every online CPU. If any CPU
 * fails, every CPU that was switched on in this round is switched off again
 * before returning, so a failure never leaves a partial state behind.
 *
 * Context: process context; takes the CPU-hotplug read lock and
 * mkvm_virt_lock, and sends IPIs.
 * Return: 0, -EBUSY when another hypervisor owns the hardware or the system
 * is rebooting, or another negative errno from the backend.
 */
int mkvm_virt_get(void)
{
	struct mkvm_enable_result res = { .failed = ATOMIC_INIT(0) };
	int r = 0;

	cpus_read_lock();
	mutex_lock(&mkvm_virt_lock);
	if (mkvm_rebooting) {
		r = -EBUSY;
		goto out;
	}
	if (mkvm_virt_users++)
		goto out;

	on_each_cpu(mkvm_enable_ipi, &res, 1);
	if (atomic_read(&res.failed)) {
		/* Roll back the CPUs that did succeed (Bareflank #419). */
		on_each_cpu(mkvm_disable_ipi, NULL, 1);
		mkvm_virt_users--;
		mkvm_report_enable_failure(&res);
		r = res.err;
	}
out:
	mutex_unlock(&mkvm_virt_lock);
	cpus_read_unlock();
	return r;
}

/**
 * mkvm_virt_put() - drop a reference taken by mkvm_virt_get()
 *
 * Description: The last reference switches VMX/SVM off on every online CPU, which lets
 * kvm_intel/kvm_amd (or anything else) use the hardware again.
 *
 * Context: process context; may sleep.
 */
void mkvm_virt_put(void)
{
	cpus_read_lock();
	mutex_lock(&mkvm_virt_lock);
	if (!WARN_ON_ONCE(!mkvm_virt_users) && !--mkvm_virt_users)
		on_each_cpu(mkvm_disable_ipi, NULL, 1);
	mutex_unlock(&mkvm_virt_lock);
	cpus_read_unlock();
}

/*
 * CPU hotplug. Both callbacks run in the hotplug thread bound to @cpu, with
 * the hotplug lock held for writing, so they never race with
 * mkvm_virt_get()/put() (which hold it for reading). Returning an error
 * from the online callback keeps the CPU offline, which is the only safe
 * answer: a CPU that cannot enter VMX/SVM must not run our vCPUs.
 */
static int mkvm_cpu_online(unsigned int cpu)
{
	int r = 0;

	mutex_lock(&mkvm_virt_lock);
	if (mkvm_virt_users && !mkvm_rebooting) {
		local_irq_disable();
		r = mkvm_cpu_enable_local();
		local_irq_enable();
		if (r)
			pr_err("CPU %u cannot enable %s (error %d); keeping it offline\n",
			       cpu, mkvm_ops->name, r);
	}
	mutex_unlock(&mkvm_virt_lock);
	return r;
}

static int mkvm_cpu_offline(unsigned int cpu)
{
	mutex_lock(&mkvm_virt_lock);
	local_irq_disable();
	mkvm_cpu_disable_local();
	local_irq_enable();
	mutex_unlock(&mkvm_virt_lock);
	return 0;
}

/**
 * mkvm_virt_rebooting() - is the machine going down?
 *
 * Description: set before the reboot notifier's IPIs turn VMX/SVM off on each CPU. A
 * vCPU thread that reads false with interrupts disabled cannot have lost
 * VMX/SVM on its CPU yet (that IPI waits for its interrupts), so the
 * world switch that follows is safe; one that reads true must not enter.
 *
 * Return: true once a reboot has started.
 */
bool mkvm_virt_rebooting(void)
{
	return READ_ONCE(mkvm_rebooting);
}

/*
 * Reboot: switch every CPU off while they are all still running normally,
 * and refuse new VMs from now on. Existing vCPUs fail their next KVM_RUN
 * with -EIO (mkvm_virt_rebooting(), checked by both vendors' run loops
 * with interrupts off).
 */
static int mkvm_reboot(struct notifier_block *nb, unsigned long code, void *p)
{
	cpus_read_lock();
	mutex_lock(&mkvm_virt_lock);
	WRITE_ONCE(mkvm_rebooting, true);
	on_each_cpu(mkvm_disable_ipi, NULL, 1);
	mutex_unlock(&mkvm_virt_lock);
	cpus_read_unlock();
	return NOTIFY_OK;
}

static struct notifier_block mkvm_reboot_nb = {
	.notifier_call = mkvm_reboot,
	.priority = 0,
};

/*
 * Suspend/resume. syscore callbacks run on the last online CPU with
 * interrupts disabled, after every task is frozen and every other CPU has
 * gone through mkvm_cpu_offline(). Nothing can change mkvm_virt_users now,
 * and mutex_lock() is not allowed here, so it is read without the lock, as
 * KVM does. The VMXON/EFER.SVME state does not survive S3 (FreeBSD vmm
 * learned this in 2024), hence the explicit off/on.
 */
static int mkvm_suspend(MKVM_SYSCORE_ARGS)
{
	if (mkvm_virt_users)
		mkvm_cpu_disable_local();
	return 0;
}

static void mkvm_resume(MKVM_SYSCORE_ARGS)
{
	if (mkvm_virt_users && mkvm_cpu_enable_local())
		pr_err("could not re-enable %s on resume; VMs will fail to run\n",
		       mkvm_ops->name);
}

MKVM_DEFINE_SYSCORE(mkvm_syscore, mkvm_suspend, mkvm_resume);

/**
 * mkvm_virt_show() - print the per-CPU state for debugfs
 * @m: the seq_file to print into
 */
void mkvm_virt_show(struct seq_file *m)
{
	unsigned int cpu;

	mutex_lock(&mkvm_virt_lock);
	seq_printf(m, "users: %u\nrebooting: %d\n", mkvm_virt_users,
		   mkvm_rebooting);
	for_each_possible_cpu(cpu)
		seq_printf(m, "cpu%u: %s%s\n", cpu,
			   per_cpu(mkvm_cpu_on, cpu) ? "on" : "off",
			   cpu_online(cpu) ? "" : " (offline)");
	mutex_unlock(&mkvm_virt_lock);
}

/**
 * mkvm_virt_init() - register the hotplug, reboot and suspend hooks
 *
 * Description: Virtualization stays off; the first mkvm_virt_get() turns it on.
 * Return: 0 or a negative errno.
 */
int mkvm_virt_init(void)
{
	int r;

	/*
	 * With no users the startup callback does nothing for the CPUs that
	 * are already online; it matters for CPUs that come up later.
	 */
	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "minikvm:online",
			      mkvm_cpu_online, mkvm_cpu_offline);
	if (r < 0)
		return r;
	mkvm_cpuhp_state = r;

	r = register_reboot_notifier(&mkvm_reboot_nb);
	if (r) {
		cpuhp_remove_state(mkvm_cpuhp_state);
		return r;
	}
	mkvm_register_syscore(&mkvm_syscore);
	return 0;
}

/**
 * mkvm_virt_exit() - undo mkvm_virt_init()
 *
 * Every VM fd holds a module reference, so no VM exists at module exit and
 * virtualization is off on every CPU.
 */
void mkvm_virt_exit(void)
{
	mkvm_unregister_syscore(&mkvm_syscore);
	unregister_reboot_notifier(&mkvm_reboot_nb);
	cpuhp_remove_state(mkvm_cpuhp_state);
	WARN_ON_ONCE(mkvm_virt_users);
}
