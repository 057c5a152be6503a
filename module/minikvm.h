/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minikvm.h - core types shared by the common (vendor-neutral) code.
 *
 * Object model, as in KVM (see Documentation/architecture.md):
 *
 *   /dev/minikvm fd --KVM_CREATE_VM--> VM fd (struct mkvm)
 *
 * Every VM holds one reference on the hardware-enable count (virt.c): the
 * first VM turns VMX/SVM on for every online CPU, the last one turns it off.
 * Every fd (device, VM) holds a module reference through its
 * file_operations' .owner, so rmmod cannot race with an open fd.
 *
 * Locking legend used in kernel-doc below:
 *   [c] constant after creation, no lock needed
 *   [l] protected by mkvm_vm_list_lock
 */
#ifndef MKVM_MINIKVM_H
#define MKVM_MINIKVM_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/fs.h>
#include <linux/printk.h>

#undef pr_fmt
#define pr_fmt(fmt) "minikvm: " fmt

struct mm_struct;
struct dentry;

/**
 * struct mkvm - one virtual machine
 * @mm:		[c] The address space of the process that created the VM.
 *		KVM refuses VM ioctls from any other mm (-EIO) because
 *		guest memory is described by that process's virtual
 *		addresses; we keep the same rule from the start.
 * @list:	[l] Entry in mkvm_vm_list.
 * @id:		[c] Small number for debugfs and messages.
 * @lock:	Serialises VM-wide state changes (memslots, vCPU creation in
 *		later changes). Ioctls take it; nothing takes it in atomic
 *		context.
 */
struct mkvm {
	struct mm_struct *mm;
	struct list_head list;
	unsigned int id;
	struct mutex lock;	/* see @lock above */
};

/* dev.c */
int mkvm_dev_init(void);
void mkvm_dev_exit(void);

/* vm.c */
int mkvm_vm_create(unsigned long type);
extern struct mutex mkvm_vm_list_lock;
extern struct list_head mkvm_vm_list;

/* caps.c */
long mkvm_check_extension(struct mkvm *vm, long cap);

/* virt.c: the hardware-enable reference count */
int mkvm_virt_init(void);
void mkvm_virt_exit(void);
int mkvm_virt_get(void);
void mkvm_virt_put(void);
void mkvm_virt_show(struct seq_file *m);

/* debugfs.c */
void mkvm_debugfs_init(void);
void mkvm_debugfs_exit(void);

#endif /* MKVM_MINIKVM_H */
