// SPDX-License-Identifier: GPL-2.0
/*
 * eventfd.c - KVM_IOEVENTFD and KVM_IRQFD: eventfds wired to the guest
 * without a trip through userspace (Documentation/virt/kvm/api.rst 4.59
 * "KVM_IOEVENTFD", 4.75 "KVM_IRQFD"; Documentation/interrupts.md).
 *
 * ioeventfd: a device on the in-kernel I/O bus (iobus.c). A guest write
 * that matches its address, length (0: any) and optionally its data
 * signals the eventfd from the exit handler, and the guest continues
 * without a userspace exit. Reads are never taken.
 *
 * irqfd: a wait-queue entry on the eventfd. A write to it wakes the entry
 * (in the writer's context, under the eventfd's wait-queue lock,
 * interrupts off); the callback consumes the count and raises the GSI
 * through the routing table right there - every step of the delivery
 * path takes only spinlocks. With KVM_IRQFD_FLAG_RESAMPLE the GSI stays
 * asserted (level) until the guest EOIs it at the IOAPIC; then it is
 * de-asserted and the resample eventfd signalled, so the VMM can check its
 * device and re-trigger (mkvm_irqfd_ack()).
 *
 * Lifetime: each irqfd holds a reference on its eventfd context, so the
 * context outlives a close() of the fd; the entry leaves the wait queue on
 * KVM_IRQFD deassign, VM destruction, or when the last reference to the
 * eventfd's file goes (EPOLLHUP, as KVM: otherwise a process could pile up
 * irqfds without bound, each one walked by the EOI path with interrupts
 * off). The EPOLLHUP callback runs under the eventfd's wait-queue lock,
 * where the entry cannot leave that queue, so it only unlinks the irqfd
 * from the VM and queues the rest on mkvm_irqfd_wq; VM destruction
 * flushes that queue. eventfd_ctx_remove_wait_queue() takes the wait-queue
 * lock, so no wakeup callback runs on return.
 *
 * vm->irqfds is an RCU list: changes hold vm->irqfd_lock (those from
 * ioctls irq_lock as well), since the EPOLLHUP callback may unlink an
 * entry at any time, under the eventfd's wait-queue lock. The EOI path
 * (mkvm_irqfd_ack()) only reads it, under RCU, because it signals
 * resample eventfds, taking their wait-queue locks: under irqfd_lock that
 * would be the reverse order of EPOLLHUP's. So an irqfd and its resample
 * eventfd reference are freed a grace period after it left the list.
 *
 * Non-goals: irq bypass (posted interrupts).
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "minikvm.h"
#include "compat.h"

/* ---- ioeventfd ---- */

/**
 * struct mkvm_ioeventfd - one KVM_IOEVENTFD registration
 * @dev:	on the PIO or MMIO bus
 * @list:	in vm->ioeventfds
 * @eventfd:	signalled on a matching write
 * @bus:	which bus
 * @datamatch:	the value that must be written, unless @wildcard
 * @wildcard:	any value
 */
struct mkvm_ioeventfd {
	struct mkvm_io_dev dev;
	struct list_head list;
	struct eventfd_ctx *eventfd;
	enum mkvm_bus bus;
	u64 datamatch;
	bool wildcard;
};

static int mkvm_ioeventfd_write(struct mkvm_vcpu *vcpu,
				struct mkvm_io_dev *dev, u64 addr,
				unsigned int len, const void *val)
{
	struct mkvm_ioeventfd *p = container_of(dev, struct mkvm_ioeventfd,
						dev);
	u64 v = 0;

	/* api.rst: with len 0 any write to the address matches. */
	if (p->dev.len) {
		if (len != p->dev.len)
			return -EOPNOTSUPP;
		if (!p->wildcard) {
			memcpy(&v, val, min(len, 8u));
			if (v != p->datamatch)
				return -EOPNOTSUPP;
		}
	}
	mkvm_eventfd_signal(p->eventfd);
	return 0;
}

static const struct mkvm_io_dev_ops mkvm_ioeventfd_ops = {
	.write = mkvm_ioeventfd_write,
};

#define MKVM_IOEVENTFD_FLAGS	(KVM_IOEVENTFD_FLAG_DATAMATCH |	\
				 KVM_IOEVENTFD_FLAG_PIO |		\
				 KVM_IOEVENTFD_FLAG_DEASSIGN)

static bool mkvm_ioeventfd_same(const struct mkvm_ioeventfd *p,
				const struct kvm_ioeventfd *a, enum mkvm_bus bus)
{
	bool wild = !(a->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);

	/* KVM's deassign: same bus, address, length, and datamatch. */
	return p->bus == bus && p->dev.addr == a->addr &&
	       p->dev.len == a->len && p->wildcard == wild &&
	       (wild || p->datamatch == a->datamatch);
}

static bool mkvm_ioeventfd_collides(struct mkvm *vm,
				    const struct mkvm_ioeventfd *n)
{
	struct mkvm_ioeventfd *p;

	/* KVM's ioeventfd_check_collision(). */
	list_for_each_entry(p, &vm->ioeventfds, list)
		if (p->bus == n->bus && p->dev.addr == n->dev.addr &&
		    (!p->dev.len || !n->dev.len ||
		     (p->dev.len == n->dev.len &&
		      (p->wildcard || n->wildcard ||
		       p->datamatch == n->datamatch))))
			return true;
	return false;
}

/**
 * mkvm_ioeventfd() - KVM_IOEVENTFD
 * @vm:   the VM
 * @args: copied from userspace
 *
 * Return: 0; -EINVAL for a bad length, flag or range, -EBADF for a
 * descriptor that is not an eventfd, -EEXIST for an overlapping
 * registration, -ENOENT to deassign what is not there, -ENOSPC, -ENOMEM.
 */
int mkvm_ioeventfd(struct mkvm *vm, const struct kvm_ioeventfd *args)
{
	enum mkvm_bus bus = args->flags & KVM_IOEVENTFD_FLAG_PIO ?
			    MKVM_PIO_BUS : MKVM_MMIO_BUS;
	struct mkvm_ioeventfd *p, *tmp;
	struct eventfd_ctx *ctx;
	int r;

	switch (args->len) {
	case 0: case 1: case 2: case 4: case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	if (args->flags & ~MKVM_IOEVENTFD_FLAGS)
		return -EINVAL;
	/* Any length cannot be combined with a value to match. */
	if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);

	mutex_lock(&vm->irq_lock);
	if (args->flags & KVM_IOEVENTFD_FLAG_DEASSIGN) {
		r = -ENOENT;
		list_for_each_entry_safe(p, tmp, &vm->ioeventfds, list) {
			if (p->eventfd != ctx || !mkvm_ioeventfd_same(p, args, bus))
				continue;
			list_del(&p->list);
			mkvm_io_bus_unregister(vm, bus, &p->dev);
			eventfd_ctx_put(p->eventfd);
			kfree(p);
			r = 0;
			break;
		}
		goto out;
	}

	r = -ENOMEM;
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		goto out;
	p->dev.ops = &mkvm_ioeventfd_ops;
	p->dev.addr = args->addr;
	p->dev.len = args->len;
	p->bus = bus;
	p->wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	/*
	 * Compared with the guest's value zero-extended from @len bytes, as
	 * KVM's ioeventfd_in_range(): a datamatch with bits beyond @len never
	 * matches.
	 */
	p->datamatch = args->datamatch;
	/*
	 * Complete before publishing: a vCPU may find @p on the bus the
	 * moment mkvm_io_bus_register() returns, without taking irq_lock.
	 */
	p->eventfd = ctx;
	r = -EEXIST;
	if (mkvm_ioeventfd_collides(vm, p))
		goto free;
	r = mkvm_io_bus_register(vm, bus, &p->dev);
	if (r)
		goto free;
	list_add_tail(&p->list, &vm->ioeventfds);
	mutex_unlock(&vm->irq_lock);
	return 0;
free:
	kfree(p);
out:
	mutex_unlock(&vm->irq_lock);
	eventfd_ctx_put(ctx);
	return r;
}

/* ---- irqfd ---- */

/* Where irqfds whose eventfd was closed are freed (mkvm_irqfd_wakeup()). */
static struct workqueue_struct *mkvm_irqfd_wq;

/**
 * struct mkvm_irqfd - one KVM_IRQFD registration
 * @vm:		the VM
 * @list:	in vm->irqfds
 * @eventfd:	the trigger
 * @resamplefd:	signalled when the guest EOIs the level interrupt, or NULL
 * @gsi:	the GSI raised
 * @wait:	our entry on @eventfd's wait queue
 * @pt:		for vfs_poll() to hand us that wait queue
 * @shutdown:	frees it after its eventfd was closed
 * @rcu:	the last of it goes a grace period after it left @list
 * @active:	on vm->irqfds (under vm->irqfd_lock)
 */
struct mkvm_irqfd {
	struct mkvm *vm;
	struct list_head list;
	struct eventfd_ctx *eventfd;
	struct eventfd_ctx *resamplefd;
	u32 gsi;
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct shutdown;
	struct rcu_head rcu;
	bool active;
};

/* Take @irqfd off vm->irqfds; false if something else did first. */
static bool mkvm_irqfd_unlink(struct mkvm_irqfd *irqfd)
{
	lockdep_assert_held(&irqfd->vm->irqfd_lock);
	if (!irqfd->active)
		return false;
	irqfd->active = false;
	list_del_rcu(&irqfd->list);
	irqfd->vm->nr_irqfds--;
	return true;
}

static void mkvm_irqfd_inject(struct mkvm_irqfd *irqfd)
{
	if (irqfd->resamplefd) {
		/* Held until the guest's EOI (mkvm_irqfd_ack()). */
		mkvm_set_irq(irqfd->vm, MKVM_IRQ_SRC_RESAMPLE, irqfd->gsi, true);
	} else {
		/* An edge: assert and release, as KVM's irqfd_inject(). */
		mkvm_set_irq(irqfd->vm, MKVM_IRQ_SRC_USER, irqfd->gsi, true);
		mkvm_set_irq(irqfd->vm, MKVM_IRQ_SRC_USER, irqfd->gsi, false);
	}
}

/* Called with the eventfd's wait-queue lock held, interrupts off. */
static int mkvm_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct mkvm_irqfd *irqfd = container_of(wait, struct mkvm_irqfd, wait);
	__poll_t flags = key_to_poll(key);
	u64 cnt;

	if (flags & EPOLLIN) {
		/* Consume the count: one write, one interrupt. */
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		mkvm_irqfd_inject(irqfd);
	}
	if (flags & EPOLLHUP) {
		struct mkvm *vm = irqfd->vm;
		unsigned long f;

		/* The eventfd's file is gone: so is the irqfd (see the top). */
		spin_lock_irqsave(&vm->irqfd_lock, f);
		if (mkvm_irqfd_unlink(irqfd))
			queue_work(mkvm_irqfd_wq, &irqfd->shutdown);
		spin_unlock_irqrestore(&vm->irqfd_lock, f);
	}
	return 0;
}

static void mkvm_irqfd_ptable_queue(struct file *file, wait_queue_head_t *wqh,
				    poll_table *pt)
{
	struct mkvm_irqfd *irqfd = container_of(pt, struct mkvm_irqfd, pt);

	add_wait_queue_priority(wqh, &irqfd->wait);
}

/* After a grace period: no mkvm_irqfd_ack() can still see @irqfd. */
static void mkvm_irqfd_free_rcu(struct rcu_head *rcu)
{
	struct mkvm_irqfd *irqfd = container_of(rcu, struct mkvm_irqfd, rcu);

	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	kfree(irqfd);
}

/* Free an irqfd that is off vm->irqfds already. */
static void mkvm_irqfd_free(struct mkvm_irqfd *irqfd)
{
	u64 cnt;

	/* Takes the wait-queue lock: no wakeup is running on return. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	/* Do not leave the line asserted by a dead irqfd. */
	if (irqfd->resamplefd)
		mkvm_set_irq(irqfd->vm, MKVM_IRQ_SRC_RESAMPLE, irqfd->gsi,
			     false);
	eventfd_ctx_put(irqfd->eventfd);
	call_rcu(&irqfd->rcu, mkvm_irqfd_free_rcu);
}

static void mkvm_irqfd_shutdown(struct work_struct *work)
{
	mkvm_irqfd_free(container_of(work, struct mkvm_irqfd, shutdown));
}

static int mkvm_irqfd_deassign(struct mkvm *vm, const struct kvm_irqfd *args)
{
	struct mkvm_irqfd *irqfd, *tmp, *found = NULL;
	struct eventfd_ctx *ctx;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&vm->irq_lock);
	spin_lock_irq(&vm->irqfd_lock);
	list_for_each_entry_safe(irqfd, tmp, &vm->irqfds, list) {
		if (irqfd->eventfd == ctx && irqfd->gsi == args->gsi) {
			mkvm_irqfd_unlink(irqfd);
			found = irqfd;
			break;
		}
	}
	spin_unlock_irq(&vm->irqfd_lock);
	mutex_unlock(&vm->irq_lock);
	if (found)
		mkvm_irqfd_free(found);
	eventfd_ctx_put(ctx);
	/* KVM answers 0 even when nothing was assigned. */
	return 0;
}

#define MKVM_IRQFD_FLAGS	(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE)

/**
 * mkvm_irqfd() - KVM_IRQFD
 * @vm:   the VM
 * @args: copied from userspace
 *
 * Return: 0; -EINVAL for unknown flags or without KVM_CREATE_IRQCHIP,
 * -EBADF for a descriptor that is not an eventfd, -EBUSY when the eventfd
 * already is an irqfd of this VM, -ENOMEM.
 */
int mkvm_irqfd(struct mkvm *vm, const struct kvm_irqfd *args)
{
	struct mkvm_irqfd *irqfd, *p;
	struct file *file;
	__poll_t events;
	int r;

	if (args->flags & ~MKVM_IRQFD_FLAGS)
		return -EINVAL;
	if (args->flags & KVM_IRQFD_FLAG_DEASSIGN)
		return mkvm_irqfd_deassign(vm, args);
	if (!mkvm_irqchip_in_kernel(vm))
		return -EINVAL;

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->vm = vm;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->list);
	INIT_WORK(&irqfd->shutdown, mkvm_irqfd_shutdown);

	file = fget(args->fd);
	r = -EBADF;
	if (!file)
		goto free;
	irqfd->eventfd = eventfd_ctx_fileget(file);
	if (IS_ERR(irqfd->eventfd)) {
		r = PTR_ERR(irqfd->eventfd);
		irqfd->eventfd = NULL;
		goto put_file;
	}
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		irqfd->resamplefd = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(irqfd->resamplefd)) {
			r = PTR_ERR(irqfd->resamplefd);
			irqfd->resamplefd = NULL;
			goto put_ctx;
		}
	}
	init_waitqueue_func_entry(&irqfd->wait, mkvm_irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, mkvm_irqfd_ptable_queue);

	mutex_lock(&vm->irq_lock);
	r = -EBUSY;
	spin_lock_irq(&vm->irqfd_lock);
	list_for_each_entry(p, &vm->irqfds, list) {
		if (p->eventfd == irqfd->eventfd) {
			spin_unlock_irq(&vm->irqfd_lock);
			goto unlock;
		}
	}
	irqfd->active = true;
	list_add_tail_rcu(&irqfd->list, &vm->irqfds);
	vm->nr_irqfds++;
	spin_unlock_irq(&vm->irqfd_lock);
	/*
	 * Queue on the eventfd; a count written before KVM_IRQFD is an
	 * interrupt too (KVM injects it right away).
	 */
	events = vfs_poll(file, &irqfd->pt);
	/*
	 * The count stays; the next write's wakeup consumes it with its own.
	 * Injected before irq_lock is dropped: from then on a concurrent
	 * KVM_IRQFD deassign may free @irqfd (mkvm_set_irq() only takes
	 * spinlocks and RCU, so it may run under the mutex).
	 */
	if (events & EPOLLIN)
		mkvm_irqfd_inject(irqfd);
	mutex_unlock(&vm->irq_lock);
	fput(file);
	return 0;

unlock:
	mutex_unlock(&vm->irq_lock);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
put_ctx:
	eventfd_ctx_put(irqfd->eventfd);
put_file:
	fput(file);
free:
	kfree(irqfd);
	return r;
}

/**
 * mkvm_irqfd_ack() - the guest EOI'd a level interrupt on an IOAPIC pin
 * @vm:  the VM
 * @pin: the IOAPIC pin whose remote IRR just cleared
 *
 * Every resampling irqfd whose GSI routes to @pin drops its level and
 * signals its resample eventfd (api.rst 4.75).
 *
 * Context: any; called without the IOAPIC lock.
 */
void mkvm_irqfd_ack(struct mkvm *vm, unsigned int pin)
{
	struct mkvm_irqfd *irqfd;

	rcu_read_lock();
	list_for_each_entry_rcu(irqfd, &vm->irqfds, list) {
		if (!irqfd->resamplefd ||
		    !mkvm_gsi_is_ioapic_pin(vm, irqfd->gsi, pin))
			continue;
		mkvm_set_irq(vm, MKVM_IRQ_SRC_RESAMPLE, irqfd->gsi, false);
		mkvm_eventfd_signal(irqfd->resamplefd);
	}
	rcu_read_unlock();
}

/**
 * mkvm_eventfds_destroy() - drop every irqfd and ioeventfd of a dying VM
 * @vm: the VM; no vCPU runs any more
 */
void mkvm_eventfds_destroy(struct mkvm *vm)
{
	struct mkvm_ioeventfd *p, *ptmp;
	struct mkvm_irqfd *irqfd;

	mutex_lock(&vm->irq_lock);
	list_for_each_entry_safe(p, ptmp, &vm->ioeventfds, list) {
		list_del(&p->list);
		mkvm_io_bus_unregister(vm, p->bus, &p->dev);
		eventfd_ctx_put(p->eventfd);
		kfree(p);
	}
	mutex_unlock(&vm->irq_lock);
	/*
	 * One at a time under irqfd_lock: an EPOLLHUP may unlink any entry
	 * meanwhile and queue it instead; the flush waits for those.
	 */
	for (;;) {
		spin_lock_irq(&vm->irqfd_lock);
		irqfd = list_first_entry_or_null(&vm->irqfds, struct mkvm_irqfd,
						 list);
		if (irqfd)
			mkvm_irqfd_unlink(irqfd);
		spin_unlock_irq(&vm->irqfd_lock);
		if (!irqfd)
			break;
		mkvm_irqfd_free(irqfd);
	}
	flush_workqueue(mkvm_irqfd_wq);
}

/**
 * mkvm_eventfd_init() - create the queue closed irqfds are freed on
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_eventfd_init(void)
{
	mkvm_irqfd_wq = alloc_workqueue("minikvm-irqfd", 0, 0);
	return mkvm_irqfd_wq ? 0 : -ENOMEM;
}

/** mkvm_eventfd_exit() - destroy it; no VM exists any more */
void mkvm_eventfd_exit(void)
{
	destroy_workqueue(mkvm_irqfd_wq);
	/* mkvm_irqfd_free_rcu() is module code. */
	rcu_barrier();
}
