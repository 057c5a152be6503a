// SPDX-License-Identifier: GPL-2.0
/*
 * mmu.c - building and tearing down second-level page tables.
 *
 * The trees have the IA-32e shape (Intel SDM Vol. 3A 4.5; AMD APM Vol. 2
 * 5.3 and 15.25 "Nested Paging"): four levels, 9 bits of the guest
 * physical address per level, 4 KiB leaves at level 1 and 2 MiB leaves at
 * level 2 (the page-size bit, SDM Vol. 3C 29.3.2 Table 29-4 for EPT, APM
 * Vol. 2 15.25.4 for NPT, which uses the long-mode PDE format). Entries
 * are encoded by the vendor (struct mkvm_mmu_fmt), so this file serves
 * NPT and EPT alike.
 *
 * Tables are allocated on demand when a leaf is mapped and freed only when
 * the whole tree goes (VM destruction); unmapping clears leaves. That keeps
 * the code short and the guest's working set of tables small; a VM that
 * keeps moving slots wastes at most one table per 2 MiB it ever touched.
 *
 * A 2 MiB leaf is installed only where no level-1 table exists yet (the
 * guest's first touch of that 2 MiB is the fault that maps it, see
 * memslot.c mkvm_slot_pin_2m()), so a leaf never replaces live 4 KiB
 * mappings and no split/merge logic is needed. Unmapping any part of a
 * 2 MiB leaf removes the whole leaf: the rest faults back in.
 *
 * Dirty logging (memslot.c) needs write-protection rather than
 * accessed/dirty bits: mkvm_mmu_wrprotect() rewrites a 4 KiB leaf without
 * its write permission through the vendor's own @leaf encoder (NPT: R/W
 * bit 1, APM Vol. 2 15.25.5; EPT: W bit 1, SDM Vol. 3C 29.3.2), so the next
 * guest write faults and is logged; neither vendor needs a hook for it.
 *
 * Non-goals: 1 GiB leaves, accessed/dirty bits (EPT A/D, SDM 29.3.5),
 * freeing empty tables early, re-merging 4 KiB leaves into 2 MiB leaves
 * once dirty logging stops.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/io.h>

#include "mmu.h"

#define MKVM_MMU_LEVELS		4
#define MKVM_MMU_ENTRIES	512

static unsigned int mkvm_mmu_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (MKVM_MMU_ENTRIES - 1);
}

/**
 * mkvm_mmu_init() - allocate an empty tree
 * @mmu: the tree
 * @fmt: the vendor's entry format
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_mmu_init(struct mkvm_mmu *mmu, const struct mkvm_mmu_fmt *fmt)
{
	mmu->fmt = fmt;
	mmu->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!mmu->root)
		return -ENOMEM;
	mmu->root_pa = virt_to_phys(mmu->root);
	return 0;
}

static void mkvm_mmu_free_table(const struct mkvm_mmu_fmt *fmt, u64 *table,
				int level)
{
	int i;

	if (level > 1) {
		for (i = 0; i < MKVM_MMU_ENTRIES; i++)
			if (fmt->present(table[i]) &&
			    !(level == 2 && fmt->is_huge(table[i])))
				mkvm_mmu_free_table(fmt,
						    phys_to_virt(table[i] & fmt->addr_mask),
						    level - 1);
	}
	free_page((unsigned long)table);
}

/**
 * mkvm_mmu_free() - free the whole tree (not the pages it maps)
 * @mmu: the tree; no vCPU may be using it
 */
void mkvm_mmu_free(struct mkvm_mmu *mmu)
{
	if (mmu->root)
		mkvm_mmu_free_table(mmu->fmt, mmu->root, MKVM_MMU_LEVELS);
	mmu->root = NULL;
}

/*
 * The table at level @to for @gpa (1: the page table, 2: the page
 * directory), allocated on the way when @alloc; NULL if absent, on
 * allocation failure, or when a 2 MiB leaf covers @gpa (*@huge then points
 * at it).
 */
static u64 *mkvm_mmu_walk(struct mkvm_mmu *mmu, u64 gpa, int to, bool alloc,
			  u64 **huge)
{
	u64 *table = mmu->root;
	int level;

	*huge = NULL;
	for (level = MKVM_MMU_LEVELS; level > to; level--) {
		u64 *entry = &table[mkvm_mmu_index(gpa, level)];

		if (level == 2 && mmu->fmt->present(*entry) &&
		    mmu->fmt->is_huge(*entry)) {
			*huge = entry;
			return NULL;
		}
		if (!mmu->fmt->present(*entry)) {
			u64 *next;

			if (!alloc)
				return NULL;
			next = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
			if (!next)
				return NULL;
			/*
			 * The table is complete (all zero) before it becomes
			 * reachable; the hardware walks concurrently.
			 */
			WRITE_ONCE(*entry, mmu->fmt->table(virt_to_phys(next)));
		}
		table = phys_to_virt(*entry & mmu->fmt->addr_mask);
	}
	return table;
}

/**
 * mkvm_mmu_map() - map one 4 KiB guest page
 * @mmu:      the tree
 * @gpa:      guest physical address (page aligned)
 * @hpa:      host physical address of the backing page
 * @writable: whether guest writes are allowed (false for read-only slots)
 *
 * Context: struct mkvm's mmu_lock held; may sleep (allocates).
 * Return: 0, -ENOMEM, or -EEXIST when a 2 MiB leaf already covers @gpa
 * (a fault there is a permission fault, which callers handle before).
 */
int mkvm_mmu_map(struct mkvm_mmu *mmu, u64 gpa, phys_addr_t hpa,
		 bool writable)
{
	u64 *huge, *pt = mkvm_mmu_walk(mmu, gpa, 1, true, &huge);
	u64 *e;

	if (!pt)
		return huge ? -EEXIST : -ENOMEM;
	e = &pt[mkvm_mmu_index(gpa, 1)];
	if (!mmu->fmt->present(*e))
		mmu->pages_4k++;
	WRITE_ONCE(*e, mmu->fmt->leaf(hpa, writable));
	return 0;
}

/**
 * mkvm_mmu_map_2m() - map one 2 MiB guest region with a single leaf
 * @mmu:      the tree
 * @gpa:      guest physical address, 2 MiB aligned
 * @hpa:      host physical address of 2 MiB of contiguous backing, aligned
 * @writable: whether guest writes are allowed
 *
 * Context: struct mkvm's mmu_lock held; may sleep (allocates).
 * Return: 0, -ENOMEM, or -EEXIST when 4 KiB mappings exist there already
 * (the caller then maps 4 KiB as before).
 */
int mkvm_mmu_map_2m(struct mkvm_mmu *mmu, u64 gpa, phys_addr_t hpa,
		    bool writable)
{
	u64 *huge, *pd = mkvm_mmu_walk(mmu, gpa, 2, true, &huge);
	u64 *e;

	if (!pd)
		return -ENOMEM;
	e = &pd[mkvm_mmu_index(gpa, 2)];
	/* A 2 MiB leaf: another vCPU was first. A table: 4 KiB leaves live. */
	if (mmu->fmt->present(*e))
		return huge || mmu->fmt->is_huge(*e) ? 0 : -EEXIST;
	mmu->pages_2m++;
	WRITE_ONCE(*e, mmu->fmt->huge_leaf(hpa, writable));
	return 0;
}

/*
 * No page table under @gpa: nothing is mapped in its 2 MiB, go to the
 * next. A slot may span a TiB (page by page took minutes), hence the
 * reschedule point every GiB.
 */
static u64 mkvm_mmu_skip_2m(u64 gpa)
{
	gpa = ALIGN_DOWN(gpa, PAGE_SIZE * MKVM_MMU_HUGE_PAGES) +
	      PAGE_SIZE * MKVM_MMU_HUGE_PAGES;
	if (IS_ALIGNED(gpa, SZ_1G))
		cond_resched();
	return gpa;
}

/**
 * mkvm_mmu_unmap() - remove the leaves of a range of guest frames
 * @mmu:    the tree
 * @gfn:    first guest frame
 * @npages: number of frames
 *
 * The caller must flush every vCPU's TLB before the pages may be reused.
 *
 * Context: struct mkvm's mmu_lock held.
 */
void mkvm_mmu_unmap(struct mkvm_mmu *mmu, u64 gfn, u64 npages)
{
	u64 gpa = gfn << PAGE_SHIFT, end = (gfn + npages) << PAGE_SHIFT;

	while (gpa < end) {
		u64 *huge, *pt = mkvm_mmu_walk(mmu, gpa, 1, false, &huge);

		if (huge) {
			WRITE_ONCE(*huge, 0);
			mmu->pages_2m--;
			gpa = ALIGN_DOWN(gpa, PAGE_SIZE * MKVM_MMU_HUGE_PAGES) +
			      PAGE_SIZE * MKVM_MMU_HUGE_PAGES;
			continue;
		}
		if (!pt) {
			gpa = mkvm_mmu_skip_2m(gpa);
			continue;
		}
		if (mmu->fmt->present(pt[mkvm_mmu_index(gpa, 1)])) {
			WRITE_ONCE(pt[mkvm_mmu_index(gpa, 1)], 0);
			mmu->pages_4k--;
		}
		gpa += PAGE_SIZE;
	}
}

/**
 * mkvm_mmu_wrprotect() - take write permission away from guest frames
 * @mmu:    the tree
 * @gfn:    first guest frame
 * @npages: number of frames
 *
 * Every 4 KiB leaf in the range is rewritten read-only; a 2 MiB leaf that
 * overlaps the range is removed instead (a write-protected huge leaf would
 * log 512 pages for one write), so those frames fault back in as 4 KiB
 * leaves. The caller must flush every vCPU's TLB before relying on it.
 *
 * Context: struct mkvm's mmu_lock held.
 * Return: true when any entry changed (a TLB flush is needed).
 */
bool mkvm_mmu_wrprotect(struct mkvm_mmu *mmu, u64 gfn, u64 npages)
{
	u64 gpa = gfn << PAGE_SHIFT, end = (gfn + npages) << PAGE_SHIFT;
	const struct mkvm_mmu_fmt *fmt = mmu->fmt;
	bool changed = false;

	while (gpa < end) {
		u64 *huge, *pt = mkvm_mmu_walk(mmu, gpa, 1, false, &huge);
		u64 *e, ro;

		if (huge) {
			WRITE_ONCE(*huge, 0);
			mmu->pages_2m--;
			changed = true;
			gpa = ALIGN_DOWN(gpa, PAGE_SIZE * MKVM_MMU_HUGE_PAGES) +
			      PAGE_SIZE * MKVM_MMU_HUGE_PAGES;
			continue;
		}
		if (!pt) {
			gpa = mkvm_mmu_skip_2m(gpa);
			continue;
		}
		e = &pt[mkvm_mmu_index(gpa, 1)];
		if (fmt->present(*e)) {
			ro = fmt->leaf(*e & fmt->addr_mask, false);
			if (ro != *e) {
				WRITE_ONCE(*e, ro);
				changed = true;
			}
		}
		gpa += PAGE_SIZE;
	}
	return changed;
}
