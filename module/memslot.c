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
 * address space 0 only, flags KVM_MEM_READONLY and KVM_MEM_LOG_DIRTY_PAGES,
 * and an existing slot may only move or change flags other than READONLY.
 *
 * Dirty logging (api.rst 4.8 KVM_GET_DIRTY_LOG, 4.35): a slot with
 * KVM_MEM_LOG_DIRTY_PAGES has a bitmap, one bit per page. Its pages are
 * mapped read-only in the second-level tables (4 KiB only) until the guest
 * writes: the write faults, mkvm_map_gpa() sets the bit and maps the page
 * writable. KVM_GET_DIRTY_LOG hands the bitmap out, clears it and
 * write-protects exactly the pages that were dirty, flushing every vCPU's
 * TLB before it returns, so no write after the call goes unseen - the
 * semantics of KVM without KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2
 * (virt/kvm/kvm_main.c kvm_get_dirty_log_protect()). Writes minikvm makes
 * itself (mkvm_write_guest(): INS data, kvmclock pages) are logged too.
 * The write-protect works through mmu.c on NPT and EPT alike.
 *
 * With KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled (api.rst 7.18),
 * KVM_GET_DIRTY_LOG only copies the bitmap; KVM_CLEAR_DIRTY_LOG (api.rst
 * 4.117) clears the bits userspace names and write-protects those pages
 * that were dirty. KVM_DIRTY_LOG_INITIALLY_SET starts a slot's log all
 * ones with nothing write-protected: the first clear does that, page by
 * page (kvm_main.c kvm_clear_dirty_log_protect()).
 *
 * Resources (Documentation/security.md): a slot has at most
 * MKVM_MEM_MAX_NR_PAGES pages (KVM's bound), and its per-page state is an
 * xarray filled as pages are pinned, so creating a huge slot over memory
 * that is never touched costs nothing. Long-term pins are charged to the
 * VMM's RLIMIT_MEMLOCK (account_locked_vm(), as VFIO charges its DMA
 * pins; CAP_IPC_LOCK exempts), so a process cannot pin more of the host
 * than it may mlock(): past the limit KVM_RUN fails with ENOMEM and the
 * kernel log says which limit to raise. Pages are unpinned dirty when the
 * slot is writable (the guest may have written them behind the page
 * cache's back).
 *
 * Sleeping: pinning may wait for a userfaultfd handler or a FUSE server
 * for as long as they like, so it runs without @mmu_lock (a mutex every
 * vCPU's faults take); the fault then takes the lock again and keeps the
 * page only if no slot changed meanwhile (@slots_gen), as KVM's
 * mmu_invalidate_seq check. KVM_CLEAR_DIRTY_LOG copies its bitmap in
 * before taking the lock.
 *
 * Non-goals for now: MMU notifiers (pages stay pinned; see
 * Documentation/architecture.md), the dirty ring, 32-bit (compat)
 * KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <linux/io.h>

#include "minikvm.h"
#include "arch_ops.h"
#include "mmu.h"

/* Pins are charged to the VMM's locked_vm this many pages at a time. */
#define MKVM_PIN_CHUNK	512UL

/*
 * Count one more pinned page against the VMM's RLIMIT_MEMLOCK. Charged
 * ahead in chunks, because account_locked_vm() takes the mmap lock for
 * writing; the last pages below the limit are charged one by one.
 */
static int mkvm_account_pin(struct mkvm *vm)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (vm->pinned >= vm->charged) {
		if (!account_locked_vm(vm->mm, MKVM_PIN_CHUNK, true)) {
			vm->charged += MKVM_PIN_CHUNK;
		} else if (!account_locked_vm(vm->mm, 1, true)) {
			vm->charged++;
		} else {
			pr_warn_ratelimited("guest memory pinned by %s[%d] reached RLIMIT_MEMLOCK (%lu KiB): raise it (ulimit -l) or grant CAP_IPC_LOCK\n",
					    current->comm, task_pid_nr(current),
					    vm->charged << (PAGE_SHIFT - 10));
			return -ENOMEM;
		}
	}
	vm->pinned++;
	return 0;
}

/* @n pages were unpinned: give back whole chunks no longer needed. */
static void mkvm_unaccount_pins(struct mkvm *vm, unsigned long n)
{
	unsigned long keep;

	lockdep_assert_held(&vm->mmu_lock);
	vm->pinned -= n;
	keep = round_up(vm->pinned, MKVM_PIN_CHUNK);
	if (vm->charged > keep) {
		account_locked_vm(vm->mm, vm->charged - keep, false);
		vm->charged = keep;
	}
}

/* Unpin every page of the slot; the (now empty) xarray stays for reuse. */
static void mkvm_slot_unpin_all(struct mkvm *vm, struct mkvm_memslot *slot)
{
	bool dirty = !(slot->flags & KVM_MEM_READONLY);
	unsigned long idx, n = 0;
	struct page *page;

	xa_for_each(&slot->pages, idx, page) {
		unpin_user_pages_dirty_lock(&page, 1, dirty);
		n++;
	}
	xa_destroy(&slot->pages);
	mkvm_unaccount_pins(vm, n);
}

static void mkvm_slot_free(struct mkvm *vm, struct mkvm_memslot *slot)
{
	if (slot->npages)
		mkvm_slot_unpin_all(vm, slot);
	kvfree(slot->dirty_bitmap);
	memset(slot, 0, sizeof(*slot));
}

/* Bytes of a slot's dirty bitmap, as KVM sizes it (kvm_dirty_bitmap_bytes()). */
static size_t mkvm_dirty_bitmap_bytes(u64 npages)
{
	return BITS_TO_LONGS(npages) * sizeof(long);
}

/*
 * Make every vCPU drop second-level translations before its next guest
 * access; on return no vCPU still uses a stale one (mkvm_vcpu_kick_all()).
 */
static void mkvm_flush_remote_tlbs(struct mkvm *vm)
{
	lockdep_assert_held(&vm->mmu_lock);
	atomic_inc(&vm->tlb_gen);
	mkvm_vcpu_kick_all(vm);
}

/*
 * Start or stop dirty logging on an existing (or new) slot. Starting
 * write-protects what is mapped already, so the first write to each page
 * after this faults and is logged; the bitmap starts clear, as in KVM
 * without KVM_DIRTY_LOG_INITIALLY_SET. Stopping frees the bitmap; pages
 * become writable again at their next write fault.
 */
static int mkvm_slot_set_logging(struct mkvm *vm, struct mkvm_memslot *slot,
				 u64 npages, bool on)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (!on) {
		kvfree(slot->dirty_bitmap);
		slot->dirty_bitmap = NULL;
		return 0;
	}
	if (slot->dirty_bitmap)
		return 0;
	slot->dirty_bitmap = kvzalloc(mkvm_dirty_bitmap_bytes(npages),
				      GFP_KERNEL_ACCOUNT);
	if (!slot->dirty_bitmap)
		return -ENOMEM;
	if (vm->manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET) {
		/* Every page counts as dirty; KVM_CLEAR_DIRTY_LOG protects. */
		bitmap_set(slot->dirty_bitmap, 0, npages);
		return 0;
	}
	if (slot->npages &&
	    mkvm_mmu_wrprotect(vm->mmu, slot->base_gfn, slot->npages))
		mkvm_flush_remote_tlbs(vm);
	return 0;
}

/*
 * Remove a slot's pages from the guest: unmap, flush every vCPU's TLB, then
 * unpin. Called with vm->mmu_lock held.
 */
static void mkvm_slot_zap(struct mkvm *vm, struct mkvm_memslot *slot)
{
	lockdep_assert_held(&vm->mmu_lock);

	mkvm_ops->unmap_range(vm, slot->base_gfn, slot->npages);
	/* Running vCPUs leave guest mode and see the new generation. */
	mkvm_flush_remote_tlbs(vm);
	mkvm_slot_unpin_all(vm, slot);
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
	if (mem->flags & ~(KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES))
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
	/* KVM's bound: the per-page state of a slot stays addressable. */
	if (npages > MKVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	/* The guest's physical address width is the host's (CPUID 8000_0008). */
	if (mem->guest_phys_addr + mem->memory_size >
	    BIT_ULL(boot_cpu_data.x86_phys_bits))
		return -EINVAL;

	mutex_lock(&vm->lock);
	mutex_lock(&vm->mmu_lock);
	slot = &vm->slots[id];
	/* A fault that pinned without the lock must look again. */
	vm->slots_gen++;

	if (!npages) {
		/* Delete: KVM refuses to delete a slot that does not exist. */
		if (!slot->npages) {
			r = -EINVAL;
			goto out;
		}
		mkvm_slot_zap(vm, slot);
		mkvm_slot_free(vm, slot);
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
		if (gfn == slot->base_gfn && mem->flags == slot->flags)
			goto out;	/* nothing changed */
	}
	if (mkvm_overlaps(vm, id, gfn, npages)) {
		r = -EEXIST;
		goto out;
	}

	if (slot->npages) {
		/*
		 * Flags (dirty logging on or off) and/or a move. The bitmap
		 * survives a move, as in KVM (kvm_prepare_memory_region()).
		 */
		r = mkvm_slot_set_logging(vm, slot, npages,
					  mem->flags & KVM_MEM_LOG_DIRTY_PAGES);
		if (r)
			goto out;
		slot->flags = mem->flags;
		if (gfn != slot->base_gfn) {
			/* The old mappings go, pages are pinned again on demand. */
			mkvm_slot_zap(vm, slot);
			slot->base_gfn = gfn;
		}
		goto out;
	}

	r = mkvm_slot_set_logging(vm, slot, npages,
				  mem->flags & KVM_MEM_LOG_DIRTY_PAGES);
	if (r)
		goto out;

	xa_init(&slot->pages);
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

/*
 * Pin @n pages of the VMM's memory at @hva, long term. Called without
 * mmu_lock: it may sleep as long as userfaultfd or FUSE make it.
 */
static long mkvm_pin_hva(unsigned long hva, unsigned long n, bool writable,
			 struct page **pages)
{
	unsigned int flags = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	struct page *tmp;
	long r;

	/* The _unlocked variant refuses FOLL_LONGTERM on 6.1; _fast takes it. */
	r = pin_user_pages_fast(hva, n, flags, pages);
	if (r == n)
		return 0;
	if (r > 0)
		unpin_user_pages(pages, r);
	if (n > 1)
		return -EFAULT;
	/*
	 * A FOLL_LONGTERM pin faults with the mmap lock held and no way to
	 * drop it, so a page that userfaultfd must supply (another thread's
	 * UFFDIO_COPY) is SIGBUS to it. Fault it in first through the path
	 * that may wait for the userfault, as KVM's hva_to_pfn() does, then
	 * pin what is now present.
	 */
	if (get_user_pages_unlocked(hva, 1, &tmp, flags & FOLL_WRITE) != 1)
		return r < 0 ? r : -EFAULT;
	put_page(tmp);
	r = pin_user_pages_fast(hva, 1, flags, pages);
	if (r == 1)
		return 0;
	return r < 0 ? r : -EFAULT;
}

/*
 * Make pages [@idx, @idx + @n) of @slot pinned. Drops and retakes
 * vm->mmu_lock around the pinning (see the top of this file); returns
 * -EAGAIN when a slot changed meanwhile, so the caller starts over.
 * Pages another vCPU pinned meanwhile are kept and ours dropped.
 *
 * Context: vm->mmu_lock held on entry and on return; may sleep.
 */
static int mkvm_slot_populate(struct mkvm *vm, struct mkvm_memslot *slot,
			      u64 idx, unsigned long n)
{
	bool writable = !(slot->flags & KVM_MEM_READONLY);
	unsigned long hva = slot->userspace_addr + idx * PAGE_SIZE, i;
	u64 gen = vm->slots_gen;
	struct page *one, **pages = &one;
	int r = 0;

	lockdep_assert_held(&vm->mmu_lock);
	if (n > 1) {
		pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL_ACCOUNT);
		if (!pages)
			return -ENOMEM;
	}
	mutex_unlock(&vm->mmu_lock);
	r = mkvm_pin_hva(hva, n, writable, pages);
	mutex_lock(&vm->mmu_lock);
	if (r)
		goto out;
	for (i = 0; i < n; i++) {
		if (r || vm->slots_gen != gen ||
		    xa_load(&slot->pages, idx + i)) {
			unpin_user_page(pages[i]);
			continue;
		}
		r = mkvm_account_pin(vm);
		if (!r) {
			r = xa_err(xa_store(&slot->pages, idx + i, pages[i],
					    GFP_KERNEL_ACCOUNT));
			if (r)
				mkvm_unaccount_pins(vm, 1);
		}
		if (r)
			unpin_user_page(pages[i]);
	}
	if (!r && vm->slots_gen != gen)
		r = -EAGAIN;
out:
	if (n > 1)
		kvfree(pages);
	return r;
}

/*
 * Can the 2 MiB-aligned region around @gfn be one second-level leaf?
 * Yes when: it lies inside @slot; the VMM's addresses for it are 2 MiB
 * aligned too; the page behind @gfn (@page, pinned) belongs to a compound
 * page of at least 2 MiB (a transparent or hugetlbfs huge page), so the
 * other 511 pages are in memory already and pinning them allocates
 * nothing; and, once all are pinned, they are physically contiguous and
 * 2 MiB aligned.
 *
 * Context: vm->mmu_lock held; may drop it (-EAGAIN as above).
 * Return: 1 and @hpa set when it can, 0 when it cannot, or an errno.
 */
static int mkvm_slot_pin_2m(struct mkvm *vm, struct mkvm_memslot *slot,
			    u64 gfn, struct page *page, phys_addr_t *hpa)
{
	u64 first = ALIGN_DOWN(gfn, 512), idx = first - slot->base_gfn, i;
	unsigned long hva = slot->userspace_addr + idx * PAGE_SIZE;
	unsigned long pfn0;
	struct page *p;
	int r;

	lockdep_assert_held(&vm->mmu_lock);
	if (first < slot->base_gfn ||
	    first + 512 > slot->base_gfn + slot->npages ||
	    !IS_ALIGNED(hva, SZ_2M) || !PageCompound(page) ||
	    compound_order(compound_head(page)) < get_order(SZ_2M))
		return 0;
	for (i = 0; i < 512; i++)
		if (!xa_load(&slot->pages, idx + i))
			break;
	if (i < 512) {
		r = mkvm_slot_populate(vm, slot, idx, 512);
		if (r == -EAGAIN || r == -ENOMEM)
			return r;
		if (r)
			return 0;	/* not all there: 4 KiB pages will do */
	}
	p = xa_load(&slot->pages, idx);
	pfn0 = p ? page_to_pfn(p) : 0;
	if (!p || !IS_ALIGNED(pfn0, 512))
		return 0;
	for (i = 1; i < 512; i++) {
		p = xa_load(&slot->pages, idx + i);
		if (!p || page_to_pfn(p) != pfn0 + i)
			return 0;
	}
	*hpa = PFN_PHYS(pfn0);
	return 1;
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
	/* Our own writes are the guest's memory changing too: log them. */
	if (slot && slot->dirty_bitmap)
		set_bit((gpa >> PAGE_SHIFT) - slot->base_gfn,
			slot->dirty_bitmap);
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

	mutex_lock(&vm->mmu_lock);
	for (i = 0; i < MKVM_NR_MEMSLOTS; i++)
		mkvm_slot_free(vm, &vm->slots[i]);
	/* Chunks charged ahead of use go back too. */
	if (vm->charged)
		account_locked_vm(vm->mm, vm->charged, false);
	vm->charged = 0;
	mutex_unlock(&vm->mmu_lock);
}

/**
 * mkvm_map_gpa() - handle a second-level fault (NPF, EPT violation) on RAM
 * @vm:      the VM
 * @gpa:     the faulting guest-physical address
 * @write:   the access was a write
 * @huge_ok: the vendor's tables can hold 2 MiB leaves (NPT always; EPT when
 *	     IA32_VMX_EPT_VPID_CAP bit 16 says so)
 *
 * Pins the page (mkvm_slot_pin()) and maps it in vm->mmu: one 2 MiB leaf
 * when the VMM backs the region with a huge page (mkvm_slot_pin_2m()),
 * else 4 KiB. In a slot with dirty logging a write sets the page's bit and
 * maps it writable; a read maps it read-only unless it is dirty already,
 * so the first write after KVM_GET_DIRTY_LOG faults again; no 2 MiB leaves
 * there, the log is per 4 KiB page.
 *
 * Context: process context of the VM's mm; may sleep; takes vm->mmu_lock.
 * Return: 1 when mapped (re-enter the guest), 0 when @gpa is not RAM or a
 * write hit a read-only slot (the caller treats it as MMIO), or a negative
 * errno (-EFAULT: the VMM's memory cannot be pinned).
 */
int mkvm_map_gpa(struct mkvm *vm, u64 gpa, bool write, bool huge_ok)
{
	u64 gfn = gpa >> PAGE_SHIFT;
	struct mkvm_memslot *slot;
	struct page *page;
	phys_addr_t hpa;
	bool writable;
	int r;

	mutex_lock(&vm->mmu_lock);
again:
	slot = mkvm_gfn_to_slot(vm, gfn);
	if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
		r = 0;
		goto out;
	}
	page = xa_load(&slot->pages, gfn - slot->base_gfn);
	if (!page) {
		r = mkvm_slot_populate(vm, slot, gfn - slot->base_gfn, 1);
		if (r == -EAGAIN)
			goto again;
		if (r)
			goto out;
		page = xa_load(&slot->pages, gfn - slot->base_gfn);
	}
	writable = !(slot->flags & KVM_MEM_READONLY);
	if (slot->dirty_bitmap) {
		if (write)
			set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
		else
			writable = test_bit(gfn - slot->base_gfn,
					    slot->dirty_bitmap);
		huge_ok = false;
	}
	if (huge_ok) {
		r = mkvm_slot_pin_2m(vm, slot, gfn, page, &hpa);
		if (r == -EAGAIN)
			goto again;
		if (r < 0)
			goto out;
		if (r && !mkvm_mmu_map_2m(vm->mmu, ALIGN_DOWN(gpa, SZ_2M), hpa,
					  writable))
			goto out;	/* r == 1: mapped */
	}
	r = mkvm_mmu_map(vm->mmu, gpa & PAGE_MASK, page_to_phys(page),
			 writable);
	if (!r)
		r = 1;
out:
	mutex_unlock(&vm->mmu_lock);
	return r;
}

/**
 * mkvm_get_dirty_log() - KVM_GET_DIRTY_LOG (api.rst 4.8)
 * @vm:  the VM
 * @log: the request, copied from userspace
 *
 * Copies the slot's bitmap (ALIGN(npages, 64) bits) to @log->dirty_bitmap
 * and clears it; the pages that were dirty are write-protected again and
 * every vCPU's TLB flushed before the copy, so a write that lands after
 * the snapshot is in the next one.
 *
 * Context: process context; takes vm->mmu_lock; may sleep.
 * Return: 0; -EINVAL for a bad slot number; -ENOENT when the slot does
 * not exist or does not log; -ENOMEM; -EFAULT from the copy.
 */
int mkvm_get_dirty_log(struct mkvm *vm, struct kvm_dirty_log *log)
{
	u16 id = log->slot & 0xffff, as = log->slot >> 16;
	struct mkvm_memslot *slot;
	unsigned long *snap, w;
	unsigned int bit;
	size_t bytes, i;
	bool flush = false;
	int r = 0;

	if (as || id >= MKVM_NR_MEMSLOTS)
		return -EINVAL;
	mutex_lock(&vm->mmu_lock);
	slot = &vm->slots[id];
	if (!slot->npages || !slot->dirty_bitmap) {
		mutex_unlock(&vm->mmu_lock);
		return -ENOENT;
	}
	bytes = mkvm_dirty_bitmap_bytes(slot->npages);
	snap = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!snap) {
		mutex_unlock(&vm->mmu_lock);
		return -ENOMEM;
	}
	for (i = 0; i < bytes / sizeof(long); i++) {
		if (vm->manual_dirty_log_protect) {
			/* Manual protection: a copy; KVM_CLEAR_DIRTY_LOG clears. */
			snap[i] = READ_ONCE(slot->dirty_bitmap[i]);
			continue;
		}

		/* Faults set bits under mmu_lock too; other writers use set_bit. */
		w = xchg(&slot->dirty_bitmap[i], 0);
		snap[i] = w;
		for_each_set_bit(bit, &w, BITS_PER_LONG)
			flush |= mkvm_mmu_wrprotect(vm->mmu, slot->base_gfn +
						    i * BITS_PER_LONG + bit, 1);
	}
	if (flush)
		mkvm_flush_remote_tlbs(vm);
	mutex_unlock(&vm->mmu_lock);

	if (copy_to_user(log->dirty_bitmap, snap, bytes))
		r = -EFAULT;
	kvfree(snap);
	return r;
}

/**
 * mkvm_clear_dirty_log() - KVM_CLEAR_DIRTY_LOG (api.rst 4.117)
 * @vm:  the VM
 * @log: the request, copied from userspace
 *
 * Clears the bits of @log->dirty_bitmap (page @log->first_page and up,
 * @log->num_pages of them) in the slot's log and write-protects those of
 * the pages that were dirty, flushing every vCPU's TLB before returning.
 * The range rules are KVM's: @first_page a multiple of 64, the range inside
 * the slot, @num_pages a multiple of 64 unless it ends at the slot's end.
 * Works whether or not manual protection is enabled, as in KVM.
 *
 * Context: process context; takes vm->mmu_lock; may sleep.
 * Return: 0; -EINVAL for a bad slot number or range; -ENOENT when the slot
 * does not exist or does not log; -ENOMEM; -EFAULT.
 */
int mkvm_clear_dirty_log(struct mkvm *vm, struct kvm_clear_dirty_log *log)
{
	u16 id = log->slot & 0xffff, as = log->slot >> 16;
	struct mkvm_memslot *slot;
	unsigned long *mask;
	size_t n, i;
	bool flush = false;
	int r = 0;

	if (as || id >= MKVM_NR_MEMSLOTS || (log->first_page & 63))
		return -EINVAL;
	/*
	 * The copy may fault (userfaultfd, FUSE) and wait: it happens before
	 * mmu_lock, sized by the request, and the range is checked against
	 * the slot under the lock afterwards. The bound is KVM's slot size.
	 */
	if (log->num_pages > MKVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	n = BITS_TO_LONGS(log->num_pages);
	mask = kvmalloc_array(max_t(size_t, n, 1), sizeof(long),
			      GFP_KERNEL_ACCOUNT);
	if (!mask)
		return -ENOMEM;
	if (copy_from_user(mask, log->dirty_bitmap, n * sizeof(long))) {
		kvfree(mask);
		return -EFAULT;
	}
	mutex_lock(&vm->mmu_lock);
	slot = &vm->slots[id];
	if (!slot->npages || !slot->dirty_bitmap) {
		r = -ENOENT;
		goto out;
	}
	if (log->first_page > slot->npages ||
	    log->num_pages > slot->npages - log->first_page ||
	    (log->num_pages < slot->npages - log->first_page &&
	     (log->num_pages & 63))) {
		r = -EINVAL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		u64 first = log->first_page + i * BITS_PER_LONG;
		unsigned long *p = &slot->dirty_bitmap[first / BITS_PER_LONG];
		unsigned long m = mask[i], old;
		unsigned int bit;

		if (!m)
			continue;
		/* Only pages that were dirty need protecting again. */
		old = atomic_long_fetch_andnot(m, (atomic_long_t *)p);
		m &= old;
		for_each_set_bit(bit, &m, BITS_PER_LONG)
			flush |= mkvm_mmu_wrprotect(vm->mmu, slot->base_gfn +
						    first + bit, 1);
	}
	if (flush)
		mkvm_flush_remote_tlbs(vm);
out:
	mutex_unlock(&vm->mmu_lock);
	kvfree(mask);
	return r;
}

/**
 * mkvm_enable_manual_dirty_log() - KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
 * @vm:    the VM
 * @flags: args[0]: KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE and/or
 *	   KVM_DIRTY_LOG_INITIALLY_SET, or 0 to go back to automatic
 *
 * Context: process context; takes vm->lock and vm->mmu_lock.
 * Return: 0, or -EINVAL for unknown flags (KVM_DIRTY_LOG_INITIALLY_SET
 * alone too, as in kvm_vm_ioctl_enable_cap_generic()).
 */
int mkvm_enable_manual_dirty_log(struct mkvm *vm, u64 flags)
{
	if (flags & ~MKVM_DIRTY_LOG_MANUAL_CAPS)
		return -EINVAL;
	if (flags == KVM_DIRTY_LOG_INITIALLY_SET)
		return -EINVAL;
	mutex_lock(&vm->lock);
	mutex_lock(&vm->mmu_lock);
	vm->manual_dirty_log_protect = flags;
	mutex_unlock(&vm->mmu_lock);
	mutex_unlock(&vm->lock);
	return 0;
}
