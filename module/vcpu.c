// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu.c - vCPU file descriptors, the KVM_RUN loop and its scheduling hooks.
 *
 * KVM_CREATE_VCPU returns an anonymous-inode fd. Its mmap area is page 0:
 * struct kvm_run, page 1: the PIO data page (KVM_PIO_PAGE_OFFSET), page 2:
 * the VM's coalesced MMIO ring (KVM_COALESCED_MMIO_PAGE_OFFSET,
 * coalesced.c), as Documentation/virt/kvm/api.rst 4.6 and 5 describe; any
 * other page faults with SIGBUS, as in KVM. Every vCPU ioctl runs under
 * the vCPU mutex, with the vCPU "loaded": a preempt notifier tells the
 * vendor whenever the thread is scheduled in on a CPU or out of it, so
 * per-CPU state (host save area, ASID) always matches the CPU we run on.
 *
 * The run loop (mkvm_vcpu_ioctl_run):
 *   1. finish the previous exit if userspace owed us data (PIO/MMIO read),
 *      even when immediate_exit is set (api.rst: "complete pending
 *      operations");
 *   2. immediate_exit: return -EINTR (exit_reason untouched, as in KVM);
 *   3. the work the kernel wants done before guest mode (xfer.c): a
 *      pending signal ends KVM_RUN with -EINTR and KVM_EXIT_INTR; the
 *      scheduler and task work (TIF_NOTIFY_RESUME) are served in place;
 *   4. enter the guest once (x86/run.c mkvm_vcpu_enter_guest(), which
 *      re-checks that work with interrupts off, so a wakeup cannot be
 *      lost);
 *   5. an exit handled in the kernel loops to 3; anything else returns to
 *      userspace with kvm_run filled in.
 *
 * With an in-kernel irqchip (x86/irq.c) each round first handles INIT/SIPI
 * and sleeps while the vCPU is halted or waits for SIPI; a signal ends the
 * sleep with -EINTR and KVM_EXIT_INTR like any other.
 *
 * Userspace owns the kvm_run page and may write it at any time; only
 * immediate_exit is read from it, once per KVM_RUN.
 *
 * Non-goals for now: KVM_SET_SIGNAL_MASK, KVM_SET_GUEST_DEBUG.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/ratelimit.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "minikvm.h"
#include "arch_ops.h"
#include "compat.h"

/*
 * A failed VM entry is the VMM's doing (bad KVM_SET_SREGS state, mostly)
 * and a loop of KVM_RUN repeats it at will, so the full VMCS/VMCB dump is
 * off by default, as KVM's kvm_intel.dump_invalid_vmcs and
 * kvm_amd.dump_invalid_vmcb, and the one line that replaces it is rate
 * limited.
 */
static bool dump_invalid_state;
module_param(dump_invalid_state, bool, 0644);
MODULE_PARM_DESC(dump_invalid_state,
		 "Print the VMCS/VMCB when a VM entry fails its checks (default: off)");

/**
 * mkvm_report_failed_entry() - say that a VM entry failed, once in a while
 * @vcpu: the vCPU
 * @why:  which checks failed
 *
 * Return: true when the caller should print the VMCS/VMCB now.
 */
bool mkvm_report_failed_entry(struct mkvm_vcpu *vcpu, const char *why)
{
	static DEFINE_RATELIMIT_STATE(rs, 5 * HZ, 3);

	if (!__ratelimit(&rs))
		return false;
	if (!READ_ONCE(dump_invalid_state))
		pr_warn("vCPU %u: %s (minikvm.dump_invalid_state=1 prints the state)\n",
			vcpu->id, why);
	return READ_ONCE(dump_invalid_state);
}

static inline struct mkvm_vcpu *preempt_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct mkvm_vcpu, preempt);
}

static void mkvm_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct mkvm_vcpu *vcpu = preempt_to_vcpu(pn);

	vcpu->cpu = cpu;
	mkvm_ops->vcpu_load(vcpu, cpu);
	mkvm_kvmclock_vcpu_moved(vcpu, cpu);
}

static void mkvm_sched_out(struct preempt_notifier *pn,
			   struct task_struct *next)
{
	struct mkvm_vcpu *vcpu = preempt_to_vcpu(pn);

	mkvm_ops->vcpu_put(vcpu);
	vcpu->cpu = -1;
}

static struct preempt_ops mkvm_preempt_ops = {
	.sched_in = mkvm_sched_in,
	.sched_out = mkvm_sched_out,
};

/* Make the vCPU current on this CPU for the length of an ioctl. */
static void mkvm_vcpu_load(struct mkvm_vcpu *vcpu)
{
	int cpu = get_cpu();

	preempt_notifier_register(&vcpu->preempt);
	vcpu->cpu = cpu;
	mkvm_ops->vcpu_load(vcpu, cpu);
	mkvm_kvmclock_vcpu_moved(vcpu, cpu);
	put_cpu();
}

static void mkvm_vcpu_put(struct mkvm_vcpu *vcpu)
{
	preempt_disable();
	mkvm_ops->vcpu_put(vcpu);
	vcpu->cpu = -1;
	preempt_notifier_unregister(&vcpu->preempt);
	preempt_enable();
}

static void mkvm_kick_ipi(void *unused)
{
	/* Nothing to do: the interrupt itself made the guest exit. */
}

/**
 * mkvm_vcpu_kick_all() - make every vCPU that is in guest mode leave it
 * @vm: the VM
 *
 * A vCPU checks for pending work (TLB flush generation, signals) with
 * interrupts disabled right before entering the guest, so after this
 * returns every vCPU either has left guest mode or will see that work.
 *
 * Context: process context; sends and waits for IPIs.
 */
void mkvm_vcpu_kick_all(struct mkvm *vm)
{
	unsigned int i, n = READ_ONCE(vm->nr_vcpus);
	int me = get_cpu();

	/* Pairs with the entry path's check after disabling interrupts. */
	smp_mb();
	for (i = 0; i < n; i++) {
		int cpu = READ_ONCE(vm->vcpus[i]->cpu);

		if (cpu >= 0 && cpu != me && cpu_online(cpu))
			smp_call_function_single(cpu, mkvm_kick_ipi, NULL, 1);
	}
	put_cpu();
}

/* Deliver the data of a PIO IN that userspace has just completed. */
static void mkvm_complete_pio_in(struct mkvm_vcpu *vcpu)
{
	unsigned int size = vcpu->pending_io_size;
	struct kvm_regs regs;
	u32 data = 0;

	/* The size was fixed at exit time; run->io is userspace's to scribble. */
	memcpy(&data, vcpu->pio_page, size);
	mkvm_ops->get_regs(vcpu, &regs);
	switch (size) {
	case 1:
		regs.rax = (regs.rax & ~0xffULL) | (u8)data;
		break;
	case 2:
		regs.rax = (regs.rax & ~0xffffULL) | (u16)data;
		break;
	default:
		/* A 32-bit register write zero-extends (SDM Vol. 1 3.4.1.1). */
		regs.rax = (u32)data;
		break;
	}
	mkvm_ops->set_regs(vcpu, &regs);
}

static int mkvm_vcpu_ioctl_run(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	if (vcpu->pending_io) {
		mkvm_complete_pio_in(vcpu);
		vcpu->pending_io = false;
	}
	if (vcpu->pending_ins) {
		vcpu->pending_ins = false;
		r = mkvm_complete_string_pio_in(vcpu);
		if (r)
			return r;
	}
	if (vcpu->pending_mmio) {
		mkvm_complete_mmio_read(vcpu);
		vcpu->pending_mmio = false;
	}

	/*
	 * KVM returns -EINTR here without touching exit_reason (it still
	 * names the previous exit); only a signal below says KVM_EXIT_INTR.
	 */
	if (mkvm_run_immediate_exit(run))
		return -EINTR;
	/* An AP before INIT: wait for it, then -EAGAIN (as KVM). */
	if (vcpu->lapic && vcpu->mp_state == KVM_MP_STATE_UNINITIALIZED)
		return mkvm_vcpu_run_uninitialized(vcpu);

	for (;;) {
		if (vcpu->lapic && mkvm_vcpu_wait_runnable(vcpu)) {
			run->exit_reason = KVM_EXIT_INTR;
			r = -EINTR;
			mkvm_stat_inc(vcpu, MKVM_STAT_SIGNAL);
			break;
		}
		/* Signals, rescheduling, task work (xfer.c). */
		if (mkvm_xfer_work_pending()) {
			r = mkvm_xfer_handle_work(vcpu);
			if (r)
				break;
		}
		/* Sleeps (writes guest memory): before the vendor's entry. */
		if (test_and_clear_bit(MKVM_REQ_CLOCK, &vcpu->requests))
			mkvm_kvmclock_update(vcpu);
		vcpu->has_run = true;
		r = mkvm_vcpu_enter_guest(vcpu);
		if (r <= 0)
			break;
		/* The VMM asked for an interrupt window, and it is open. */
		if (mkvm_irq_window_open(vcpu)) {
			r = 0;
			break;
		}
	}
	if (r == 0)
		mkvm_stat_inc(vcpu, MKVM_STAT_USER);
	return r;
}

static long mkvm_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	struct mkvm_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	if (vcpu->vm->mm != current->mm)
		return -EIO;

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	mkvm_vcpu_load(vcpu);

	switch (ioctl) {
	case KVM_RUN:
		r = -EINVAL;
		if (arg)
			break;
		r = mkvm_vcpu_ioctl_run(vcpu);
		mkvm_post_run_save(vcpu);
		break;
	case KVM_GET_REGS: {
		struct kvm_regs regs;

		memset(&regs, 0, sizeof(regs));
		mkvm_ops->get_regs(vcpu, &regs);
		r = copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
		break;
	}
	case KVM_SET_REGS: {
		struct kvm_regs regs;

		r = -EFAULT;
		if (copy_from_user(&regs, argp, sizeof(regs)))
			break;
		mkvm_ops->set_regs(vcpu, &regs);
		r = 0;
		break;
	}
	case KVM_GET_SREGS: {
		struct kvm_sregs sregs;

		memset(&sregs, 0, sizeof(sregs));
		mkvm_ops->get_sregs(vcpu, &sregs);
		r = copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
		break;
	}
	case KVM_SET_SREGS: {
		struct kvm_sregs sregs;

		r = -EFAULT;
		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			break;
		r = mkvm_check_sregs(vcpu, &sregs);
		if (!r)
			mkvm_ops->set_sregs(vcpu, &sregs);
		break;
	}
	case KVM_GET_MSRS:
		r = mkvm_vcpu_msrs_ioctl(vcpu, argp, false);
		break;
	case KVM_SET_MSRS:
		r = mkvm_vcpu_msrs_ioctl(vcpu, argp, true);
		break;
	case KVM_GET_FPU: {
		struct kvm_fpu fpu;

		mkvm_vcpu_get_fpu(vcpu, &fpu);
		r = copy_to_user(argp, &fpu, sizeof(fpu)) ? -EFAULT : 0;
		break;
	}
	case KVM_SET_FPU: {
		struct kvm_fpu fpu;

		r = -EFAULT;
		if (copy_from_user(&fpu, argp, sizeof(fpu)))
			break;
		r = mkvm_vcpu_set_fpu(vcpu, &fpu);
		break;
	}
	case KVM_GET_XSAVE: {
		struct kvm_xsave *xs = kzalloc(sizeof(*xs), GFP_KERNEL);

		r = -ENOMEM;
		if (!xs)
			break;
		mkvm_vcpu_get_xsave(vcpu, xs);
		r = copy_to_user(argp, xs, sizeof(*xs)) ? -EFAULT : 0;
		kfree(xs);
		break;
	}
	case KVM_SET_XSAVE: {
		struct kvm_xsave *xs = memdup_user(argp, sizeof(*xs));

		r = PTR_ERR_OR_ZERO(xs);
		if (r)
			break;
		r = mkvm_vcpu_set_xsave(vcpu, xs);
		kfree(xs);
		break;
	}
	case KVM_GET_XCRS: {
		struct kvm_xcrs x;

		mkvm_vcpu_get_xcrs(vcpu, &x);
		r = copy_to_user(argp, &x, sizeof(x)) ? -EFAULT : 0;
		break;
	}
	case KVM_SET_XCRS: {
		struct kvm_xcrs x;

		r = -EFAULT;
		if (copy_from_user(&x, argp, sizeof(x)))
			break;
		r = mkvm_vcpu_set_xcrs(vcpu, &x);
		break;
	}
	case KVM_GET_DEBUGREGS: {
		struct kvm_debugregs d;

		mkvm_vcpu_get_debugregs(vcpu, &d);
		r = copy_to_user(argp, &d, sizeof(d)) ? -EFAULT : 0;
		break;
	}
	case KVM_SET_DEBUGREGS: {
		struct kvm_debugregs d;

		r = -EFAULT;
		if (copy_from_user(&d, argp, sizeof(d)))
			break;
		r = mkvm_vcpu_set_debugregs(vcpu, &d);
		break;
	}
	case KVM_GET_MP_STATE: {
		struct kvm_mp_state mp = {
			.mp_state = mkvm_vcpu_get_mp_state(vcpu),
		};

		r = copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
		break;
	}
	case KVM_SET_MP_STATE: {
		struct kvm_mp_state mp;

		r = -EFAULT;
		if (copy_from_user(&mp, argp, sizeof(mp)))
			break;
		r = mkvm_vcpu_set_mp_state(vcpu, &mp);
		break;
	}
	case KVM_GET_LAPIC: {
		struct kvm_lapic_state *s;

		r = -ENOMEM;
		s = kzalloc(sizeof(*s), GFP_KERNEL);
		if (!s)
			break;
		r = mkvm_lapic_get_state(vcpu, s);
		if (!r && copy_to_user(argp, s, sizeof(*s)))
			r = -EFAULT;
		kfree(s);
		break;
	}
	case KVM_SET_LAPIC: {
		struct kvm_lapic_state *s;

		r = -EINVAL;
		if (!vcpu->lapic)
			break;
		s = memdup_user(argp, sizeof(*s));
		r = PTR_ERR_OR_ZERO(s);
		if (r)
			break;
		r = mkvm_lapic_set_state(vcpu, s);
		kfree(s);
		break;
	}
	case KVM_SET_CPUID2:
		r = mkvm_vcpu_set_cpuid2(vcpu, argp);
		break;
	case KVM_GET_CPUID2:
		r = mkvm_vcpu_get_cpuid2(vcpu, argp);
		break;
	default:	/* KVM_NMI, KVM_GET_VCPU_EVENTS... (x86/events.c) */
		r = mkvm_events_vcpu_ioctl(vcpu, ioctl, arg);
		break;
	}

	mkvm_vcpu_put(vcpu);
	mutex_unlock(&vcpu->mutex);
	return r;
}

static vm_fault_t mkvm_vcpu_fault(struct vm_fault *vmf)
{
	struct mkvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == KVM_PIO_PAGE_OFFSET)
		page = virt_to_page(vcpu->pio_page);
	else if (vmf->pgoff == KVM_COALESCED_MMIO_PAGE_OFFSET)
		page = virt_to_page(vcpu->vm->coalesced_ring);
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct mkvm_vcpu_vm_ops = {
	.fault = mkvm_vcpu_fault,
};

static int mkvm_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	vma->vm_ops = &mkvm_vcpu_vm_ops;
	return 0;
}

static int mkvm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct mkvm_vcpu *vcpu = filp->private_data;

	/* The vCPU itself lives until the VM goes (KVM does the same). */
	mkvm_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations mkvm_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = mkvm_vcpu_release,
	.unlocked_ioctl = mkvm_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = mkvm_vcpu_mmap,
};

/**
 * mkvm_vcpu_free() - free a vCPU at VM destruction
 * @vcpu: the vCPU; its fd is closed and it cannot run
 */
void mkvm_vcpu_free(struct mkvm_vcpu *vcpu)
{
	mkvm_lapic_free(vcpu);		/* stops its timer first */
	mkvm_debugfs_vcpu_remove(vcpu);
	mkvm_ops->vcpu_free(vcpu);
	mkvm_xfer_free(vcpu);
	mkvm_fpu_free(vcpu);
	kvfree(vcpu->cpuid);
	free_page((unsigned long)vcpu->pio_page);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

/**
 * mkvm_vcpu_create() - KVM_CREATE_VCPU
 * @vm: the VM
 * @id: the vCPU id (APIC ID); below KVM_CAP_MAX_VCPU_ID and unique
 *
 * Context: process context, from a VM ioctl; takes vm->lock.
 * Return: the vCPU fd, -EINVAL for a bad id, -EEXIST for a duplicate,
 * -ENOMEM.
 */
int mkvm_vcpu_create(struct mkvm *vm, unsigned long id)
{
	struct mkvm_vcpu *vcpu;
	unsigned int i;
	int r;

	if (id >= MKVM_MAX_VCPUS)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	vcpu->clock_cpu = -1;
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
	init_waitqueue_head(&vcpu->wq);
	mutex_init(&vcpu->mutex);
	preempt_notifier_init(&vcpu->preempt, &mkvm_preempt_ops);
	r = -ENOMEM;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run || !vcpu->pio_page || mkvm_fpu_alloc(vcpu) ||
	    mkvm_xfer_init(vcpu))
		goto free;

	r = mkvm_ops->vcpu_create(vcpu);
	if (r)
		goto free;
	mkvm_vcpu_msrs_reset(vcpu);
	mkvm_dr_reset(vcpu);
	mkvm_events_vcpu_init(vcpu);

	mutex_lock(&vm->lock);
	r = -EINVAL;
	if (vm->nr_vcpus >= MKVM_MAX_VCPUS ||
	    (vm->max_vcpu_ids && id >= vm->max_vcpu_ids))
		goto unlock;
	r = -EEXIST;
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			goto unlock;
	/*
	 * With KVM_CREATE_IRQCHIP (checked under vm->lock, which it takes
	 * too) every vCPU has a local APIC, and APs wait for INIT/SIPI.
	 */
	if (vm->ioapic) {
		r = mkvm_lapic_create(vcpu);
		if (r)
			goto unlock;
		if (id != 0)
			vcpu->mp_state = KVM_MP_STATE_UNINITIALIZED;
	}

	/* The vCPU fd holds a VM reference, dropped when it is closed. */
	mkvm_vm_get(vm);
	r = anon_inode_getfd("minikvm-vcpu", &mkvm_vcpu_fops, vcpu,
			     O_RDWR | O_CLOEXEC);
	if (r < 0) {
		mkvm_vm_put(vm);
		mkvm_lapic_free(vcpu);
		goto unlock;
	}
	vm->vcpus[vm->nr_vcpus] = vcpu;
	mkvm_debugfs_vcpu_add(vcpu);
	/* Readers (kick) see the pointer before the count. */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
	mutex_unlock(&vm->lock);
	return r;

unlock:
	mutex_unlock(&vm->lock);
	mkvm_ops->vcpu_free(vcpu);
free:
	mkvm_xfer_free(vcpu);
	mkvm_fpu_free(vcpu);
	free_page((unsigned long)vcpu->pio_page);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
	return r;
}
