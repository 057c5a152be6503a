// SPDX-License-Identifier: GPL-2.0
/*
 * vm.c - the VM object and its file descriptor.
 *
 * KVM_CREATE_VM returns an anonymous-inode fd whose private data is a
 * struct mkvm. Creating it takes a reference on "virtualization on" (virt.c)
 * and closing the last reference to the fd drops it, so VMX/SVM is on
 * exactly while some VM exists. The fd's file_operations name this module
 * as owner, so the module cannot be unloaded while a VM fd is open.
 *
 * As in KVM (virt/kvm/kvm_main.c), a VM belongs to the mm that created it:
 * ioctls from another process (e.g. after fork) fail with -EIO, because
 * guest memory will be described by the creator's virtual addresses.
 *
 * VM ioctls today: KVM_CHECK_EXTENSION, KVM_SET_USER_MEMORY_REGION
 * (memslot.c), KVM_CREATE_VCPU (vcpu.c), KVM_CREATE_IRQCHIP (x86/irq.c),
 * KVM_IRQ_LINE(_STATUS), KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI
 * (irq_routing.c), KVM_GET/SET_IRQCHIP (x86/irq.c), KVM_IRQFD and KVM_IOEVENTFD (eventfd.c),
 * KVM_SET_NR_MMU_PAGES (accepted, nothing to limit), KVM_GET/SET_CLOCK
 * (x86/kvmclock.c), KVM_ENABLE_CAP (KVM_CAP_MAX_VCPU_ID),
 * KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG (memslot.c), KVM_CREATE_PIT(2),
 * KVM_GET/SET_PIT(2), KVM_REINJECT_CONTROL (x86/pit.c),
 * KVM_(UN)REGISTER_COALESCED_MMIO (coalesced.c). Everything
 * else is -ENOTTY, as in kvm_arch_vm_ioctl() on x86.
 *
 * Lifetime: struct mkvm is reference counted. The VM fd holds one
 * reference and every vCPU fd another, so a VMM may close the VM fd first;
 * the last close frees vCPUs, second-level tables and pinned memory, and
 * drops the hardware-enable reference.
 *
 * Non-goals: VM types other than 0 (KVM_X86_DEFAULT_VM).
 */
#include <linux/anon_inodes.h>
#include <asm/msr.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/idr.h>
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <linux/preempt.h>

#include "arch_ops.h"

#include "minikvm.h"

/* Protects mkvm_vm_list and every struct mkvm's @list entry. */
DEFINE_MUTEX(mkvm_vm_list_lock);
LIST_HEAD(mkvm_vm_list);
static DEFINE_IDA(mkvm_vm_ida);

static void mkvm_vm_destroy(struct kref *kref)
{
	struct mkvm *vm = container_of(kref, struct mkvm, users);
	unsigned int i;

	mutex_lock(&mkvm_vm_list_lock);
	list_del(&vm->list);
	mutex_unlock(&mkvm_vm_list_lock);

	/*
	 * Every fd is closed: no vCPU runs, nobody can reach the VM. This
	 * runs from the last fd's release, whose module reference is still
	 * held, so the module cannot go away underneath.
	 */
	/* Eventfds first: their wakeups may still deliver to vCPUs. */
	mkvm_eventfds_destroy(vm);
	/* Its timer delivers to vCPUs: stopped before they go. */
	mkvm_pit_destroy(vm);
	for (i = 0; i < vm->nr_vcpus; i++)
		mkvm_vcpu_free(vm->vcpus[i]);
	mkvm_coalesced_destroy(vm);
	mkvm_debugfs_vm_remove(vm);
	mkvm_irqchip_destroy(vm);
	if (mkvm_ops->vm_destroy)
		mkvm_ops->vm_destroy(vm);
	mkvm_memslots_destroy(vm);
	preempt_notifier_dec();

	ida_free(&mkvm_vm_ida, vm->id);
	mmdrop(vm->mm);
	kfree(vm);
	mkvm_virt_put();
}

/** mkvm_vm_get() - take a reference on a VM (each vCPU fd holds one) */
void mkvm_vm_get(struct mkvm *vm)
{
	kref_get(&vm->users);
}

/** mkvm_vm_put() - drop a reference; the last one destroys the VM */
void mkvm_vm_put(struct mkvm *vm)
{
	kref_put(&vm->users, mkvm_vm_destroy);
}

static int mkvm_vm_release(struct inode *inode, struct file *filp)
{
	mkvm_vm_put(filp->private_data);
	return 0;
}

/* The interrupt ioctls (api.rst 4.24, 4.25, 4.52, 4.59, 4.71, 4.75). */
static long mkvm_vm_ioctl_irq(struct mkvm *vm, unsigned int ioctl,
			      void __user *argp)
{
	switch (ioctl) {
	case KVM_CREATE_IRQCHIP:
		return mkvm_create_irqchip(vm);
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return mkvm_irqchip_state_ioctl(vm, ioctl, argp);
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS: {
		struct kvm_irq_level l;
		int r;

		if (copy_from_user(&l, argp, sizeof(l)))
			return -EFAULT;
		if (!mkvm_irqchip_in_kernel(vm))
			return -ENXIO;
		r = mkvm_set_irq(vm, MKVM_IRQ_SRC_USER, l.irq, l.level);
		if (ioctl == KVM_IRQ_LINE)
			return 0;
		l.status = r;
		return copy_to_user(argp, &l, sizeof(l)) ? -EFAULT : 0;
	}
	case KVM_SET_GSI_ROUTING:
		if (!mkvm_irqchip_in_kernel(vm))
			return -EINVAL;
		return mkvm_set_gsi_routing(vm, argp);
	case KVM_SIGNAL_MSI: {
		struct kvm_msi msi;

		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		if (!mkvm_irqchip_in_kernel(vm))
			return -EINVAL;
		return mkvm_signal_msi(vm, &msi);
	}
	case KVM_IRQFD: {
		struct kvm_irqfd a;

		if (copy_from_user(&a, argp, sizeof(a)))
			return -EFAULT;
		return mkvm_irqfd(vm, &a);
	}
	case KVM_CREATE_PIT:
	case KVM_CREATE_PIT2:
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_REINJECT_CONTROL:
		return mkvm_pit_ioctl(vm, ioctl, argp);
	case KVM_IOEVENTFD: {
		struct kvm_ioeventfd a;

		if (copy_from_user(&a, argp, sizeof(a)))
			return -EFAULT;
		return mkvm_ioeventfd(vm, &a);
	}
	default:
		return -ENOTTY;
	}
}

/*
 * KVM_ENABLE_CAP on a VM fd (api.rst 4.37, 7.x). Two caps are offered:
 * KVM_CAP_MAX_VCPU_ID (7.18), a lower limit on vCPU ids, settable once
 * (setting the same value again is fine, as in KVM), and
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (7.18 too, memslot.c). Anything else,
 * or any flag, is -EINVAL like KVM's kvm_vm_ioctl_enable_cap().
 */
static long mkvm_vm_enable_cap(struct mkvm *vm,
			       struct kvm_enable_cap __user *argp)
{
	struct kvm_enable_cap cap;
	long r = -EINVAL;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (!cap.flags && cap.cap == KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
		return mkvm_enable_manual_dirty_log(vm, cap.args[0]);
	if (cap.flags || cap.cap != KVM_CAP_MAX_VCPU_ID ||
	    cap.args[0] > MKVM_MAX_VCPUS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->max_vcpu_ids == cap.args[0] || !vm->max_vcpu_ids) {
		vm->max_vcpu_ids = cap.args[0];
		r = 0;
	}
	mutex_unlock(&vm->lock);
	return r;
}

static long mkvm_vm_ioctl(struct file *filp, unsigned int ioctl,
			  unsigned long arg)
{
	struct mkvm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CHECK_EXTENSION:
		return mkvm_check_extension(vm, arg);
	case KVM_SET_USER_MEMORY_REGION:
	case KVM_CREATE_VCPU:
	case KVM_CREATE_IRQCHIP:
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
	case KVM_SET_GSI_ROUTING:
	case KVM_SIGNAL_MSI:
	case KVM_IRQFD:
	case KVM_IOEVENTFD:
	case KVM_CREATE_PIT:
	case KVM_CREATE_PIT2:
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_REINJECT_CONTROL:
	case KVM_SET_NR_MMU_PAGES:
	case KVM_GET_CLOCK:
	case KVM_SET_CLOCK:
	case KVM_ENABLE_CAP:
	case KVM_GET_DIRTY_LOG:
	case KVM_CLEAR_DIRTY_LOG:
	case KVM_SET_TSS_ADDR:
	case KVM_SET_IDENTITY_MAP_ADDR:
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO:
		/* Only where the backend can run guests (mkvm_can_run_guests()). */
		if (!mkvm_can_run_guests())
			return -ENOTTY;
		break;
	default:
		return -ENOTTY;
	}

	switch (ioctl) {
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region mem;

		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return mkvm_set_memory_region(vm, &mem);
	}
	case KVM_CREATE_VCPU:
		return mkvm_vcpu_create(vm, arg);
	case KVM_SET_TSS_ADDR:
	case KVM_SET_IDENTITY_MAP_ADDR:
		return mkvm_events_vm_ioctl(vm, ioctl, arg);
	case KVM_SET_NR_MMU_PAGES:
		/*
		 * A cap on shadow-MMU pages. minikvm has no shadow MMU (NPT/EPT
		 * tables are sized by the memslots), so there is nothing to cap;
		 * KVM's floor (KVM_MIN_ALLOC_MMU_PAGES, 64) is still checked.
		 */
		return arg < 64 ? -EINVAL : 0;
	case KVM_GET_CLOCK:
	case KVM_SET_CLOCK:
		return mkvm_kvmclock_ioctl(vm, ioctl, argp);
	case KVM_ENABLE_CAP:
		return mkvm_vm_enable_cap(vm, argp);
	case KVM_GET_DIRTY_LOG: {
		struct kvm_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return mkvm_get_dirty_log(vm, &log);
	}
	case KVM_CLEAR_DIRTY_LOG: {
		struct kvm_clear_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return mkvm_clear_dirty_log(vm, &log);
	}
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO:
		return mkvm_coalesced_ioctl(vm, ioctl, argp);
	default:
		return mkvm_vm_ioctl_irq(vm, ioctl, argp);
	}
}

static const struct file_operations mkvm_vm_fops = {
	.owner = THIS_MODULE,
	.release = mkvm_vm_release,
	.unlocked_ioctl = mkvm_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * mkvm_vm_create() - KVM_CREATE_VM
 * @type: the ioctl argument; only 0 (KVM_X86_DEFAULT_VM) is accepted
 *
 * Context: process context, from the /dev/minikvm ioctl.
 * Return: a new VM fd, -EINVAL for an unknown type, -EBUSY when another
 * hypervisor owns the hardware, -ENOMEM, or -EMFILE and friends from fd
 * allocation.
 */
int mkvm_vm_create(unsigned long type)
{
	struct mkvm *vm;
	int r, fd;

	if (type)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	r = mkvm_coalesced_init(vm);
	if (r)
		goto free_vm;

	r = ida_alloc(&mkvm_vm_ida, GFP_KERNEL);
	if (r < 0)
		goto free_vm;
	vm->id = r;

	kref_init(&vm->users);
	mutex_init(&vm->lock);
	mutex_init(&vm->mmu_lock);
	mutex_init(&vm->irq_lock);
	spin_lock_init(&vm->irqfd_lock);
	INIT_LIST_HEAD(&vm->irqfds);
	INIT_LIST_HEAD(&vm->ioeventfds);
	mkvm_kvmclock_vm_init(vm);
	vm->tsc_base = rdtsc();
	mmgrab(current->mm);
	vm->mm = current->mm;

	r = mkvm_virt_get();
	if (r)
		goto drop_mm;
	/* A backend without guest execution yet (VMX today) has no vm_init. */
	r = mkvm_ops->vm_init ? mkvm_ops->vm_init(vm) : 0;
	if (r)
		goto virt_put;
	/* Our vCPUs use preempt notifiers; this enables the scheduler hook. */
	preempt_notifier_inc();
	mkvm_debugfs_vm_add(vm);

	mutex_lock(&mkvm_vm_list_lock);
	list_add_tail(&vm->list, &mkvm_vm_list);
	mutex_unlock(&mkvm_vm_list_lock);

	/*
	 * From here on the fd owns the VM: if this fails, nothing else
	 * references it yet, so drop the only reference by hand.
	 */
	fd = anon_inode_getfd("minikvm-vm", &mkvm_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		mkvm_vm_put(vm);
	return fd;

virt_put:
	mkvm_virt_put();
drop_mm:
	mmdrop(vm->mm);
	ida_free(&mkvm_vm_ida, vm->id);
free_vm:
	mkvm_coalesced_destroy(vm);
	kfree(vm);
	return r;
}
