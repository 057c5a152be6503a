// SPDX-License-Identifier: GPL-2.0
/*
 * memslot.c - guest physical memory: KVM_SET_USER_MEMORY_REGION.
 *
 * A memslot says "guest frames [base_gfn, base_gfn + npages) are the VMM's
 * virtual memory at userspace_addr". Nothing is mapped for the guest when
 * a slot is created: the first guest access to a page faults (nested page
 * fault on SVM, EPT violation on VMX), and the fault handler pins that one
 * host page (pin_user_pages_fast() with FOLL_LONGTERM, so it can neither
 * move nor be swapped while the hardware may access it) and maps it in the
 * second-level page tables. Deleting or moving a slot first removes its
 * mappings, makes every vCPU flush its TLB, and only then unpins the pages:
 * the guest must never reach a page the VMM may already reuse.
 *
 * Validation follows virt/kvm/kvm_main.c (__kvm_set_memory_region) and
 * Documentation/virt/kvm/api.rst 4.35: page-aligned addresses and sizes,
 * no wrap-around, no overlap (EEXIST), id below KVM_CAP_NR_MEMSLOTS,
 * address space 0 only, flags 0 or KVM_MEM_READONLY, and an existing slot
 * may only move or change flags other than READONLY.
 *
 * Non-goals for now: dirty logging (KVM_MEM_LOG_DIRTY_PAGES is refused),
 * MMU notifiers (pages stay pinned; see Documentation/architecture.md),
 * 2 MiB mappings.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "minikvm.h"
#include "arch_ops.h"

/* Unpin every page of the slot; the (now empty) array stays for reuse. */
static void mkvm_slot_unpin_all(struct mkvm_memslot *slot)
{
	u64 i;

	if (!slot->pages)
		return;
	for (i = 0; i < slot->npages; i++) {
		if (slot->pages[i])
			unpin_user_page(slot->pages[i]);
		slot->pages[i] = NULL;
	}
}

static void mkvm_slot_free(struct mkvm_memslot *slot)
{
	mkvm_slot_unpin_all(slot);
	kvfree(slot->pages);
	memset(slot, 0, sizeof(*slot));
}

/*
 * Remove a slot's pages from the guest: unmap, flush every vCPU's TLB, then
 * unpin. Called with vm->mmu_lock held.
 */
static void mkvm_slot_zap(struct mkvm *vm, struct mkvm_memslot *slot)
{
	lockdep_assert_held(&vm->mmu_lock);

	mkvm_ops->unmap_range(vm, slot->base_gfn, slot->npages);
	atomic_inc(&vm->tlb_gen);
	/* Running vCPUs leave guest mode and see the new generation. */
	mkvm_vcpu_kick_all(vm);
	mkvm_slot_unpin_all(slot);
}

static bool mkvm_overlaps(struct mkvm *vm, int id, u64 gfn, u64 npages)
{
	int i;

	for (i = 0; i < MKVM_NR_MEMSLOTS; i++) {
		struct mkvm_memslot *s = &vm->slots[i];

		if (i == id || !s->npages)
			continue;
		if (gfn < s->base_gfn + s->npages && s->base_gfn < gfn + npages)
			return true;
	}
	return false;
}

/**
 * mkvm_set_memory_region() - KVM_SET_USER_MEMORY_REGION
 * @vm:  the VM
 * @mem: the region, already copied from userspace
 *
 * Context: takes vm->lock and vm->mmu_lock.
 * Return: 0, -EINVAL for malformed requests, -EEXIST for an overlap,
 * -ENOMEM.
 */
int mkvm_set_memory_region(struct mkvm *vm,
			   const struct kvm_userspace_memory_region *mem)
{
	u16 id = mem->slot & 0xffff, as = mem->slot >> 16;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	u64 gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	struct mkvm_memslot *slot;
	int r = 0;

	if (as || id >= MKVM_NR_MEMSLOTS)
		return -EINVAL;
	/* Writes to a read-only slot become KVM_EXIT_MMIO (x86/mmio.c). */
	if (mem->flags & ~KVM_MEM_READONLY)
		return -EINVAL;
	if (!PAGE_ALIGNED(mem->memory_size) ||
	    !PAGE_ALIGNED(mem->guest_phys_addr) ||
	    !PAGE_ALIGNED(mem->userspace_addr))
		return -EINVAL;
	/* No wrap-around in either address space (KVM checks the same). */
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr ||
	    mem->userspace_addr + mem->memory_size < mem->userspace_addr)
		return -EINVAL;
	if (mem->memory_size &&
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	/* The guest's physical address width is the host's (CPUID 8000_0008). */
	if (mem->guest_phys_addr + mem->memory_size >
	    BIT_ULL(boot_cpu_data.x86_phys_bits))
		return -EINVAL;

	mutex_lock(&vm->lock);
	mutex_lock(&vm->mmu_lock);
	slot = &vm->slots[id];

	if (!npages) {
		/* Delete: KVM refuses to delete a slot that does not exist. */
		if (!slot->npages) {
			r = -EINVAL;
			goto out;
		}
		mkvm_slot_zap(vm, slot);
		mkvm_slot_free(slot);
		goto out;
	}

	if (slot->npages) {
		/* Existing slot: only a move or a flags change (not READONLY). */
		if (npages != slot->npages ||
		    mem->userspace_addr != slot->userspace_addr ||
		    ((mem->flags ^ slot->flags) & KVM_MEM_READONLY)) {
			r = -EINVAL;
			goto out;
		}
		if (gfn == slot->base_gfn)
			goto out;	/* nothing that matters changed */
	}
	if (mkvm_overlaps(vm, id, gfn, npages)) {
		r = -EEXIST;
		goto out;
	}

	if (slot->npages) {
		/* Move: the old mappings go, pages are pinned again on demand. */
		mkvm_slot_zap(vm, slot);
		slot->base_gfn = gfn;
		goto out;
	}

	slot->pages = kvcalloc(npages, sizeof(*slot->pages),
			       GFP_KERNEL_ACCOUNT);
	if (!slot->pages) {
		r = -ENOMEM;
		goto out;
	}
	slot->base_gfn = gfn;
	slot->npages = npages;
	slot->userspace_addr = mem->userspace_addr;
	slot->flags = mem->flags;
out:
	mutex_unlock(&vm->mmu_lock);
	mutex_unlock(&vm->lock);
	return r;
}

/**
 * mkvm_gfn_to_slot() - the slot holding a guest frame, or NULL
 * @vm:  the VM
 * @gfn: guest frame number
 *
 * Context: vm->mmu_lock held.
 * Return: the slot or NULL (the address is MMIO).
 */
struct mkvm_memslot *mkvm_gfn_to_slot(struct mkvm *vm, u64 gfn)
{
	int i;

	lockdep_assert_held(&vm->mmu_lock);
	for (i = 0; i < MKVM_NR_MEMSLOTS; i++) {
		struct mkvm_memslot *s = &vm->slots[i];

		if (s->npages && gfn >= s->base_gfn &&
		    gfn < s->base_gfn + s->npages)
			return s;
	}
	return NULL;
}

/**
 * mkvm_slot_pin() - pin the host page behind a guest frame
 * @vm:    the VM
 * @slot:  the slot holding @gfn
 * @gfn:   the guest frame
 * @write: unused for now: writable slots are always pinned writable, so
 *	   copy-on-write is broken once, before the guest can see the page
 * @page:  the pinned page
 *
 * The pin lasts until the slot is deleted, moved, or the VM destroyed.
 * VM_IO/VM_PFNMAP memory cannot be pinned with FOLL_LONGTERM, so such
 * slots fail here with -EFAULT, which KVM_RUN reports to userspace.
 *
 * Context: vm->mmu_lock held; current->mm is the VM's mm. May sleep.
 * Return: 0 or a negative errno.
 */
int mkvm_slot_pin(struct mkvm *vm, struct mkvm_memslot *slot, u64 gfn,
		  bool write, struct page **page)
{
	u64 idx = gfn - slot->base_gfn;
	unsigned long hva = slot->userspace_addr + (idx << PAGE_SHIFT);
	unsigned int flags = FOLL_LONGTERM;
	long n;

	lockdep_assert_held(&vm->mmu_lock);
	if (slot->pages[idx]) {
		*page = slot->pages[idx];
		return 0;
	}
	if (!(slot->flags & KVM_MEM_READONLY))
		flags |= FOLL_WRITE;
	/* The _unlocked variant refuses FOLL_LONGTERM on 6.1; _fast takes it. */
	n = pin_user_pages_fast(hva, 1, flags, page);
	if (n != 1) {
		/*
		 * A FOLL_LONGTERM pin faults with the mmap lock held and no
		 * way to drop it, so a page that userfaultfd must supply
		 * (another thread's UFFDIO_COPY) is SIGBUS to it. Fault it in
		 * first through the path that may wait for the userfault, as
		 * KVM's hva_to_pfn() does, then pin what is now present.
		 */
		struct page *tmp;

		if (get_user_pages_unlocked(hva, 1, &tmp, flags & FOLL_WRITE) != 1)
			return n < 0 ? n : -EFAULT;
		put_page(tmp);
		n = pin_user_pages_fast(hva, 1, flags, page);
		if (n != 1)
			return n < 0 ? n : -EFAULT;
	}
	slot->pages[idx] = *page;
	return 0;
}

/**
 * mkvm_slot_pin_2m() - pin a whole 2 MiB guest region backed by a huge page
 * @vm:   the VM
 * @slot: the slot holding @gfn
 * @gfn:  the faulting guest frame, already pinned by mkvm_slot_pin()
 * @hpa:  the host physical address of the 2 MiB region, on success
 *
 * The second-level tables can map the 2 MiB-aligned region around @gfn
 * with one leaf when: the region lies inside @slot; the VMM's addresses
 * for it are 2 MiB aligned too; and the page behind @gfn belongs to a
 * compound page of at least 2 MiB (a transparent or hugetlbfs huge page),
 * so the other 511 pages are already in memory - pinning them allocates
 * nothing. They are pinned here (into slot->pages, so deletion unpins them
 * as any other) and must be physically contiguous and 2 MiB aligned.
 *
 * Context: vm->mmu_lock held; current->mm is the VM's mm. May sleep.
 * Return: true when the region can be mapped as one 2 MiB leaf.
 */
bool mkvm_slot_pin_2m(struct mkvm *vm, struct mkvm_memslot *slot, u64 gfn,
		      phys_addr_t *hpa)
{
	u64 first = ALIGN_DOWN(gfn, 512), idx = first - slot->base_gfn, i;
	unsigned long hva = slot->userspace_addr + idx * PAGE_SIZE;
	struct page *page = slot->pages[gfn - slot->base_gfn], *p;
	unsigned long pfn0;

	lockdep_assert_held(&vm->mmu_lock);
	if (first < slot->base_gfn ||
	    first + 512 > slot->base_gfn + slot->npages ||
	    !IS_ALIGNED(hva, SZ_2M) || !page || !PageCompound(page) ||
	    compound_order(compound_head(page)) < get_order(SZ_2M))
		return false;
	for (i = 0; i < 512; i++)
		if (mkvm_slot_pin(vm, slot, first + i, false, &p))
			return false;
	pfn0 = page_to_pfn(slot->pages[idx]);
	if (!IS_ALIGNED(pfn0, 512))
		return false;
	for (i = 1; i < 512; i++)
		if (page_to_pfn(slot->pages[idx + i]) != pfn0 + i)
			return false;
	*hpa = PFN_PHYS(pfn0);
	return true;
}

/**
 * mkvm_read_guest() - copy guest-physical memory (within one slot)
 * @vm:  the VM
 * @gpa: guest physical address
 * @buf: destination
 * @len: bytes; the range must not cross a page
 *
 * Reads through the VMM's own mapping, so it works whether or not the
 * page is pinned yet. Used to fetch instruction bytes and page-table
 * entries, each exactly once.
 *
 * Context: process context of the VM's mm; may sleep; takes vm->mmu_lock.
 * Return: 0, -EFAULT when @gpa is not RAM or the copy faults, -EINVAL for a
 * page-crossing request.
 */
int mkvm_read_guest(struct mkvm *vm, u64 gpa, void *buf, unsigned int len)
{
	struct mkvm_memslot *slot;
	unsigned long hva;

	if (!len || (gpa & ~PAGE_MASK) + len > PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&vm->mmu_lock);
	slot = mkvm_gfn_to_slot(vm, gpa >> PAGE_SHIFT);
	hva = slot ? slot->userspace_addr +
		     ((gpa >> PAGE_SHIFT) - slot->base_gfn) * PAGE_SIZE +
		     (gpa & ~PAGE_MASK) : 0;
	mutex_unlock(&vm->mmu_lock);
	if (!slot)
		return -EFAULT;
	return copy_from_user(buf, (void __user *)hva, len) ? -EFAULT : 0;
}

/**
 * mkvm_write_guest() - copy into guest-physical RAM (within one page)
 * @vm:  the VM
 * @gpa: guest physical address
 * @buf: source
 * @len: bytes; the range must not cross a page
 *
 * Context: process context of the VM's mm; may sleep; takes vm->mmu_lock.
 * Return: 0, -EFAULT when @gpa is not writable RAM, -EINVAL when crossing.
 */
int mkvm_write_guest(struct mkvm *vm, u64 gpa, const void *buf,
		     unsigned int len)
{
	struct mkvm_memslot *slot;
	unsigned long hva;

	if (!len || (gpa & ~PAGE_MASK) + len > PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&vm->mmu_lock);
	slot = mkvm_gfn_to_slot(vm, gpa >> PAGE_SHIFT);
	if (slot && (slot->flags & KVM_MEM_READONLY))
		slot = NULL;
	hva = slot ? slot->userspace_addr +
		     ((gpa >> PAGE_SHIFT) - slot->base_gfn) * PAGE_SIZE +
		     (gpa & ~PAGE_MASK) : 0;
	mutex_unlock(&vm->mmu_lock);
	if (!slot)
		return -EFAULT;
	return copy_to_user((void __user *)hva, buf, len) ? -EFAULT : 0;
}

/**
 * mkvm_memslots_destroy() - unpin everything at VM destruction
 * @vm: the VM; no vCPU can run any more
 */
void mkvm_memslots_destroy(struct mkvm *vm)
{
	int i;

	for (i = 0; i < MKVM_NR_MEMSLOTS; i++)
		mkvm_slot_free(&vm->slots[i]);
}
