/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/pgwalk.h - translate a guest-virtual address through the guest's own
 * page tables, as the guest's CPU would (see pgwalk.c).
 *
 * Pure logic shared by SVM and VMX: guest memory is reached only through a
 * callback, so selftests/unit/ compiles pgwalk.c unchanged for the host.
 */
#ifndef MKVM_X86_PGWALK_H
#define MKVM_X86_PGWALK_H

#include <linux/types.h>
#include <linux/bits.h>

/*
 * #PF error code bits (SDM Vol. 3A 4.7, APM Vol. 2 8.4.2). The access
 * flags below use the same positions, so that the error code of a fault is
 * the access plus P or RSVD.
 */
#define MKVM_PFERR_PRESENT	BIT(0)	/* P: 0 not present, 1 protection */
#define MKVM_PFERR_WRITE	BIT(1)	/* W/R: the access was a write */
#define MKVM_PFERR_USER		BIT(2)	/* U/S: the access was user mode */
#define MKVM_PFERR_RSVD		BIT(3)	/* RSVD: a reserved bit was set */
#define MKVM_PFERR_FETCH	BIT(4)	/* I/D: instruction fetch */

/* What the access is, for mkvm_gva_to_gpa()'s @access (a data read is 0). */
#define MKVM_WALK_WRITE		MKVM_PFERR_WRITE
#define MKVM_WALK_USER		MKVM_PFERR_USER	/* CPL 3 (not an implicit access) */
#define MKVM_WALK_FETCH		MKVM_PFERR_FETCH

/* struct mkvm_walk_env @flags: the guest CPU model's paging details. */
/*
 * AMD: bit 8 of a PML4E/PML5E is reserved (APM Vol. 2 5.3.3); Intel
 * ignores it (SDM Vol. 3A Table 4-15).
 */
#define MKVM_WALK_ENV_AMD	BIT(0)
/* No 1 GiB pages (CPUID 8000_0001h:EDX[26] clear): PDPTE.PS is reserved. */
#define MKVM_WALK_ENV_NO_1G	BIT(1)

/**
 * struct mkvm_walk_env - the guest state a page walk depends on
 * @cr0:	Guest CR0 (PG, WP).
 * @cr3:	Guest CR3: the root table (PCID and other low bits ignored).
 * @cr4:	Guest CR4 (PSE, PAE, LA57, SMEP).
 * @efer:	Guest EFER (LMA selects 4/5-level paging, NX enables XD).
 * @maxphyaddr:	The guest's MAXPHYADDR (CPUID 8000_0008h:EAX[7:0]), 32..52:
 *		entry bits at and above it (below 52) are reserved.
 * @flags:	MKVM_WALK_ENV_* bits.
 * @pdptrs:	PAE paging only: the four PDPTE registers, where the CPU
 *		keeps them (SDM Vol. 3A 4.4.1; VMX with EPT: the VMCS
 *		GUEST_PDPTRn fields), or NULL to read the PDPTE from memory at
 *		CR3 on every walk (SVM with nested paging, as KVM does there).
 * @read_gpa:	Copies @len bytes of guest-physical memory at @gpa to @buf,
 *		never crossing a 4 KiB boundary; returns 0 or a negative
 *		errno (no RAM there, the VM is being torn down...).
 * @ctx:	Passed to @read_gpa.
 */
struct mkvm_walk_env {
	u64 cr0, cr3, cr4, efer;
	unsigned int maxphyaddr;
	u32 flags;
	const u64 *pdptrs;
	int (*read_gpa)(void *ctx, u64 gpa, void *buf, unsigned int len);
	void *ctx;
};

int mkvm_gva_to_gpa(const struct mkvm_walk_env *env, u64 gva, u32 access,
		    u64 *gpa, u32 *pf_error_code);
int mkvm_read_gva(const struct mkvm_walk_env *env, u64 gva, u32 access,
		  void *buf, unsigned int len, unsigned int *done,
		  u32 *pf_error_code);

#endif /* MKVM_X86_PGWALK_H */
