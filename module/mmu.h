/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmu.h - second-level (guest-physical to host-physical) page tables,
 * shared by NPT (AMD) and EPT (Intel).
 *
 * Both are 4-level radix trees of 512 8-byte entries with the same shape
 * as x86-64 paging; they differ only in the bits of an entry. The vendor
 * supplies those through struct mkvm_mmu_fmt; mmu.c does the walking,
 * allocation and freeing once for both (Jailhouse's paging.c is the model).
 */
#ifndef MKVM_MMU_H
#define MKVM_MMU_H

#include <linux/types.h>

/**
 * struct mkvm_mmu_fmt - how a vendor encodes second-level entries
 * @table:	Entry pointing at a next-level table at host physical @pa.
 * @leaf:	4 KiB leaf mapping @pa, writable or not, executable.
 * @huge_leaf:	2 MiB leaf (a level-2 entry with the page-size bit) mapping
 *		the 2 MiB-aligned @pa.
 * @present:	Whether an entry maps or points at anything.
 * @is_huge:	Whether a present level-2 entry is a 2 MiB leaf.
 * @addr_mask:	The physical-address bits of an entry.
 */
struct mkvm_mmu_fmt {
	u64 (*table)(phys_addr_t pa);
	u64 (*leaf)(phys_addr_t pa, bool writable);
	u64 (*huge_leaf)(phys_addr_t pa, bool writable);
	bool (*present)(u64 entry);
	bool (*is_huge)(u64 entry);
	u64 addr_mask;
};

/**
 * struct mkvm_mmu - one second-level page-table tree
 * @fmt:	The vendor's entry format.
 * @root:	Top-level table (PML4), NULL until mkvm_mmu_init().
 * @root_pa:	Its physical address: nCR3 / the EPTP address bits.
 * @pages_4k:	Number of 4 KiB leaves present (debugfs; KVM's pages_4k).
 * @pages_2m:	Number of 2 MiB leaves present (KVM's pages_2m).
 *
 * Changed only under struct mkvm's mmu_lock.
 */
struct mkvm_mmu {
	const struct mkvm_mmu_fmt *fmt;
	u64 *root;
	phys_addr_t root_pa;
	u64 pages_4k;
	u64 pages_2m;
};

#define MKVM_MMU_HUGE_PAGES	512	/* 4 KiB pages in a 2 MiB leaf */

int mkvm_mmu_init(struct mkvm_mmu *mmu, const struct mkvm_mmu_fmt *fmt);
void mkvm_mmu_free(struct mkvm_mmu *mmu);
int mkvm_mmu_map(struct mkvm_mmu *mmu, u64 gpa, phys_addr_t hpa,
		 bool writable);
int mkvm_mmu_map_2m(struct mkvm_mmu *mmu, u64 gpa, phys_addr_t hpa,
		    bool writable);
void mkvm_mmu_unmap(struct mkvm_mmu *mmu, u64 gfn, u64 npages);
bool mkvm_mmu_wrprotect(struct mkvm_mmu *mmu, u64 gfn, u64 npages);

#endif /* MKVM_MMU_H */
