// SPDX-License-Identifier: GPL-2.0
/*
 * xfer.c - the work the kernel wants done before a task enters guest mode.
 *
 * A task in KVM_RUN may not return to user mode for a long time, but the
 * kernel queues work for "the next return to user mode": a pending signal
 * (TIF_SIGPENDING, TIF_NOTIFY_SIGNAL), rescheduling (TIF_NEED_RESCHED) and
 * TIF_NOTIFY_RESUME - task work such as a deferred fput or the mm_cid
 * compaction that 6.12 queues every 100 ms, rseq updates, memcg reclaim.
 * The generic entry code exports xfer_to_guest_mode_handle_work() for
 * hypervisors to do exactly that work in place before each entry
 * (kernel/entry/kvm.c, kernel/entry/virt.c from 6.17): it schedules, runs
 * the resume work and returns -EINTR for a signal, which KVM_RUN reports
 * as KVM_EXIT_INTR. minikvm calls it from the run loop, and each vendor
 * re-checks xfer_to_guest_mode_work_pending() with interrupts off right
 * before VMRUN/VMLAUNCH so that nothing raised meanwhile is lost.
 *
 * Until 6.17 the function takes KVM's struct kvm_vcpu, and on a signal
 * writes vcpu->run->exit_reason and bumps vcpu->stat.signal_exits (the
 * inline kvm_handle_signal_exit()); nothing else of the vCPU is touched on
 * x86 (arch_xfer_to_guest_mode_handle_work() is empty there). minikvm
 * therefore gives each vCPU a zeroed struct kvm_vcpu, laid out by the same
 * <linux/kvm_host.h> the running kernel was built with, whose run pointer
 * is our kvm_run page. From 6.17 the signal bookkeeping is the caller's
 * and no such object is needed.
 *
 * On a kernel without the export (CONFIG_KVM off), signals and
 * rescheduling are handled here by hand and task work waits for the next
 * exit to userspace.
 *
 * Non-goals: CONFIG_VIRT_XFER_TO_GUEST_WORK-less architectures.
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>

#if defined(MKVM_HAVE_ENTRY_VIRT)
#include <linux/entry-virt.h>
#elif defined(MKVM_HAVE_ENTRY_KVM)
#include <linux/kvm_host.h>
#include <linux/entry-kvm.h>
#endif

#include "minikvm.h"

/**
 * mkvm_xfer_init() - prepare a vCPU for mkvm_xfer_handle_work()
 * @vcpu: the new vCPU (its run page allocated)
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_xfer_init(struct mkvm_vcpu *vcpu)
{
#if !defined(MKVM_HAVE_ENTRY_VIRT) && defined(MKVM_HAVE_ENTRY_KVM)
	struct kvm_vcpu *kv = kzalloc(sizeof(*kv), GFP_KERNEL_ACCOUNT);

	if (!kv)
		return -ENOMEM;
	kv->run = vcpu->run;
	vcpu->xfer = kv;
#endif
	return 0;
}

/** mkvm_xfer_free() - undo mkvm_xfer_init() @vcpu: the vCPU */
void mkvm_xfer_free(struct mkvm_vcpu *vcpu)
{
	kfree(vcpu->xfer);
	vcpu->xfer = NULL;
}

/**
 * mkvm_xfer_work_pending() - is there work to do before entering?
 *
 * Context: interrupts disabled (the last check before entry) or enabled
 * (a racy early check; the disabled one decides).
 * Return: true when mkvm_xfer_handle_work() must run first.
 */
bool mkvm_xfer_work_pending(void)
{
#if defined(MKVM_HAVE_ENTRY_VIRT) || defined(MKVM_HAVE_ENTRY_KVM)
	return __xfer_to_guest_mode_work_pending();
#else
	return signal_pending(current) || need_resched();
#endif
}

/**
 * mkvm_xfer_handle_work() - do it
 * @vcpu: the vCPU about to enter
 *
 * Context: process context, preemption and interrupts enabled; may sleep.
 * Return: 0 to go on, -EINTR when a signal is pending (run->exit_reason
 * is then KVM_EXIT_INTR).
 */
int mkvm_xfer_handle_work(struct mkvm_vcpu *vcpu)
{
	int r;

#if defined(MKVM_HAVE_ENTRY_VIRT)
	r = xfer_to_guest_mode_handle_work();
#elif defined(MKVM_HAVE_ENTRY_KVM)
	r = xfer_to_guest_mode_handle_work(vcpu->xfer);
#else
	r = signal_pending(current) ? -EINTR : 0;
	if (!r)
		cond_resched();
#endif
	if (r == -EINTR) {
		vcpu->run->exit_reason = KVM_EXIT_INTR;
		mkvm_stat_inc(vcpu, MKVM_STAT_SIGNAL);
	}
	return r;
}
