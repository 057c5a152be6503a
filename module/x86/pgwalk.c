// SPDX-License-Identifier: GPL-2.0
/*
 * x86/pgwalk.c - guest-virtual to guest-physical translation, walking the
 * guest's own page tables in software the way its CPU would.
 *
 * Why: an MMIO access exits (#VMEXIT(NPF), EPT violation) with the
 * guest-physical address only. Without decode assists the hypervisor must
 * read the instruction at CS:RIP itself, and RIP is a virtual address.
 * The walk applies the CPU's checks, so that a translation the guest's
 * tables do not allow becomes the #PF the guest would have seen.
 *
 * Manual references: Intel SDM Vol. 3A chapter 4 "Paging": 4.1.1 (which
 * mode is in use), 4.3 (32-bit paging, Tables 4-4 to 4-6), 4.4 (PAE paging
 * and the PDPTE registers, Tables 4-7 to 4-11), 4.5 (4-level and 5-level
 * paging, Tables 4-12 to 4-20), 4.6 (access rights, SMEP), 4.7 (#PF error
 * code). AMD APM Vol. 2: 5.2 to 5.6 (legacy and long-mode paging, page
 * protection), 8.4.2 (#PF error code).
 *
 * Every paging-structure entry is read from guest memory once, into a
 * local, and everything decided about it comes from that copy: another
 * vCPU rewriting the tables meanwhile cannot make the checks and the
 * resulting address disagree.
 *
 * Non-goals: setting accessed and dirty bits (these walks are the
 * hypervisor's own reads; the guest's access, when it happens, sets them);
 * a TLB (we always see the tables as they are now, which a guest that
 * changes them without invalidating cannot tell from a TLB miss); SMAP and
 * protection keys (instruction fetches are subject to neither); CET
 * shadow-stack pages; HLAT; segmentation (callers pass linear addresses).
 */
#include <linux/errno.h>
#include <linux/bitops.h>
#include <linux/minmax.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "pgwalk.h"

/* Bits of a guest paging-structure entry (SDM Vol. 3A Tables 4-4 to 4-20). */
#define GPTE_P		BIT_ULL(0)
#define GPTE_RW		BIT_ULL(1)
#define GPTE_US		BIT_ULL(2)
#define GPTE_PS		BIT_ULL(7)
#define GPTE_BIT8	BIT_ULL(8)	/* G in leaves; reserved on AMD PML4Es */
#define GPTE_XD		BIT_ULL(63)

#define GUEST_PAGE_SIZE	4096u

/**
 * struct mkvm_walker - one walk in progress
 * @env:	The guest state.
 * @access:	MKVM_WALK_* bits of the access being translated.
 * @fetch_bit:	MKVM_PFERR_FETCH when this mode reports instruction fetches
 *		in the error code (SDM 4.7: CR4.SMEP, or NX usable), else 0.
 * @rights:	R/W and U/S ANDed over the entries that control access: a
 *		page is writable (user) only if every level says so (SDM 4.6).
 * @xd:		Some level had XD set (only possible with EFER.NXE).
 */
struct mkvm_walker {
	const struct mkvm_walk_env *env;
	u32 access;
	u32 fetch_bit;
	u64 rights;
	bool xd;
};

/* Bits @lo..@hi, or none when @lo > @hi (MAXPHYADDR 52 reserves nothing). */
static u64 mkvm_bits(unsigned int lo, unsigned int hi)
{
	if (lo > hi)
		return 0;
	return GENMASK_ULL(hi, lo);
}

static int mkvm_walk_fault(const struct mkvm_walker *w, u32 why, u32 *pfec)
{
	*pfec = why | (w->access & (MKVM_PFERR_WRITE | MKVM_PFERR_USER));
	if (w->access & MKVM_WALK_FETCH)
		*pfec |= w->fetch_bit;
	return -EFAULT;
}

/*
 * One entry of @size (4 or 8) bytes. x86 is little-endian and so is every
 * host this runs on, so the low bytes of @entry are the entry.
 */
static int mkvm_walk_read(const struct mkvm_walker *w, u64 gpa,
			  unsigned int size, u64 *entry)
{
	*entry = 0;
	return w->env->read_gpa(w->env->ctx, gpa, entry, size);
}

/* The access-rights part of SDM 4.6 / APM 5.6, once the leaf is found. */
static int mkvm_walk_check(const struct mkvm_walker *w, u32 *pfec)
{
	const struct mkvm_walk_env *env = w->env;
	bool user_page = w->rights & GPTE_US;
	bool writable = w->rights & GPTE_RW;
	u32 a = w->access;

	if (a & MKVM_WALK_USER) {
		if (!user_page || ((a & MKVM_WALK_WRITE) && !writable))
			return mkvm_walk_fault(w, MKVM_PFERR_PRESENT, pfec);
	} else {
		/* Supervisor writes ignore R/W unless CR0.WP is set. */
		if ((a & MKVM_WALK_WRITE) && !writable &&
		    (env->cr0 & X86_CR0_WP))
			return mkvm_walk_fault(w, MKVM_PFERR_PRESENT, pfec);
		if ((a & MKVM_WALK_FETCH) && user_page &&
		    (env->cr4 & X86_CR4_SMEP))
			return mkvm_walk_fault(w, MKVM_PFERR_PRESENT, pfec);
	}
	if ((a & MKVM_WALK_FETCH) && w->xd)
		return mkvm_walk_fault(w, MKVM_PFERR_PRESENT, pfec);
	return 0;
}

/*
 * 32-bit paging (SDM 4.3): a 1024-entry page directory of 4-byte entries,
 * then a page table or, with CR4.PSE and PDE.PS, a 4 MiB page. The 4 MiB
 * PDE carries physical-address bits 39:32 in bits 20:13 (PSE-36, which
 * every CPU with long mode has), as many as MAXPHYADDR allows; the rest of
 * bits 21:13 are reserved. There is no XD and nothing else is reserved.
 */
static int mkvm_walk32(struct mkvm_walker *w, u32 la, u64 *gpa, u32 *pfec)
{
	const struct mkvm_walk_env *env = w->env;
	u64 pde, pte;
	int r;

	r = mkvm_walk_read(w, (env->cr3 & 0xfffff000u) + (la >> 22) * 4, 4,
			   &pde);
	if (r)
		return r;
	if (!(pde & GPTE_P))
		return mkvm_walk_fault(w, 0, pfec);
	w->rights &= pde;
	if ((pde & GPTE_PS) && (env->cr4 & X86_CR4_PSE)) {
		unsigned int hi = min_t(unsigned int, env->maxphyaddr, 40) - 32;

		if (pde & mkvm_bits(13 + hi, 21))
			return mkvm_walk_fault(w, MKVM_PFERR_PRESENT |
					       MKVM_PFERR_RSVD, pfec);
		*gpa = (pde & 0xffc00000u) |
		       ((pde >> 13) & (BIT_ULL(hi) - 1)) << 32 |
		       (la & 0x3fffffu);
		return mkvm_walk_check(w, pfec);
	}

	r = mkvm_walk_read(w, (pde & 0xfffff000u) + ((la >> 12) & 0x3ff) * 4,
			   4, &pte);
	if (r)
		return r;
	if (!(pte & GPTE_P))
		return mkvm_walk_fault(w, 0, pfec);
	w->rights &= pte;
	*gpa = (pte & 0xfffff000u) | (la & 0xfffu);
	return mkvm_walk_check(w, pfec);
}

/*
 * The 8-byte-entry levels shared by PAE (levels 2..1 below a PDPTE) and
 * 4/5-level paging (levels 4 or 5..1 from CR3), SDM Tables 4-8 to 4-20.
 * Level 3 may map 1 GiB and level 2 2 MiB; PS is reserved above level 3.
 * Reserved: bits 62:M (PAE) or 51:M (long mode), XD without EFER.NXE, the
 * low bits of a large page's frame below its alignment (bit 12 is PAT).
 */
static int mkvm_walk64(struct mkvm_walker *w, u64 la, int levels, u64 table,
		       bool pae, u64 *gpa, u32 *pfec)
{
	const struct mkvm_walk_env *env = w->env;
	unsigned int m = env->maxphyaddr;
	u64 high_rsvd = pae ? mkvm_bits(m, 62) : mkvm_bits(m, 51);
	int level;

	if (!(env->efer & EFER_NX))
		high_rsvd |= GPTE_XD;

	for (level = levels; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (level - 1);
		u64 rsvd = high_rsvd;
		bool leaf = level == 1;
		u64 e;
		int r;

		r = mkvm_walk_read(w, table + ((la >> shift) & 0x1ff) * 8, 8,
				   &e);
		if (r)
			return r;
		if (!(e & GPTE_P))
			return mkvm_walk_fault(w, 0, pfec);

		if (level >= 4) {
			rsvd |= GPTE_PS;
			if (env->flags & MKVM_WALK_ENV_AMD)
				rsvd |= GPTE_BIT8;
		} else if (level >= 2 && (e & GPTE_PS)) {
			if (level == 3 && (env->flags & MKVM_WALK_ENV_NO_1G))
				rsvd |= GPTE_PS;
			rsvd |= mkvm_bits(13, shift - 1);
			leaf = true;
		}
		if (e & rsvd)
			return mkvm_walk_fault(w, MKVM_PFERR_PRESENT |
					       MKVM_PFERR_RSVD, pfec);

		w->rights &= e;
		if (e & GPTE_XD)
			w->xd = true;
		if (leaf) {
			*gpa = (e & mkvm_bits(shift, m - 1)) |
			       (la & mkvm_bits(0, shift - 1));
			return mkvm_walk_check(w, pfec);
		}
		table = e & mkvm_bits(12, m - 1);
	}
	return -EINVAL;	/* not reached: level 1 is always a leaf */
}

/*
 * PAE paging (SDM 4.4): bits 31:30 pick one of four PDPTEs, from the PDPTE
 * registers when the caller has them. A PDPTE has no access rights and
 * reserves bits 2:1, 8:5 and 63:M (XD included).
 */
static int mkvm_walk_pae(struct mkvm_walker *w, u32 la, u64 *gpa, u32 *pfec)
{
	const struct mkvm_walk_env *env = w->env;
	unsigned int m = env->maxphyaddr;
	unsigned int idx = la >> 30;
	u64 pdpte;
	int r;

	if (env->pdptrs) {
		pdpte = env->pdptrs[idx];
	} else {
		r = mkvm_walk_read(w, (env->cr3 & 0xffffffe0u) + idx * 8, 8,
				   &pdpte);
		if (r)
			return r;
	}
	if (!(pdpte & GPTE_P))
		return mkvm_walk_fault(w, 0, pfec);
	if (pdpte & (mkvm_bits(m, 63) | mkvm_bits(5, 8) | mkvm_bits(1, 2)))
		return mkvm_walk_fault(w, MKVM_PFERR_PRESENT | MKVM_PFERR_RSVD,
				       pfec);
	return mkvm_walk64(w, la, 2, pdpte & mkvm_bits(12, m - 1), true, gpa,
			   pfec);
}

/**
 * mkvm_gva_to_gpa() - translate a guest linear address
 * @env:	Guest control registers, MAXPHYADDR and memory access.
 * @gva:	The linear address (segment base already added). Outside
 *		long mode only bits 31:0 count, as on the CPU.
 * @access:	MKVM_WALK_WRITE, MKVM_WALK_USER, MKVM_WALK_FETCH, or 0 for a
 *		supervisor data read. WRITE and FETCH together are invalid.
 * @gpa:	Set to the guest-physical address on success.
 * @pf_error_code: Set to the #PF error code when the result is -EFAULT,
 *		to 0 otherwise.
 *
 * Picks the paging mode from CR0.PG, CR4.PAE, EFER.LMA and CR4.LA57 (SDM
 * Vol. 3A Table 4-1), walks it and applies the access-rights checks: U/S,
 * R/W with CR0.WP, XD with EFER.NXE, SMEP. Accessed and dirty bits are
 * left alone.
 *
 * Return: 0; -EFAULT when the guest would take a #PF (@pf_error_code then
 * holds P, W/R, U/S, RSVD and I/D as SDM 4.7 defines them, and CR2 would
 * be @gva); -EINVAL for a non-canonical @gva in long mode (the guest would
 * take a #GP), an invalid @access, a MAXPHYADDR outside 32..52 or an
 * impossible control-register combination; or the error @env->read_gpa
 * returned for a paging structure it could not read.
 */
int mkvm_gva_to_gpa(const struct mkvm_walk_env *env, u64 gva, u32 access,
		    u64 *gpa, u32 *pf_error_code)
{
	struct mkvm_walker w = {
		.env = env,
		.access = access,
		.rights = GPTE_RW | GPTE_US,
	};
	bool pae = env->cr4 & X86_CR4_PAE;
	bool lma = env->efer & EFER_LMA;
	bool nxe = env->efer & EFER_NX;
	int levels;

	*pf_error_code = 0;
	if (access & ~(MKVM_WALK_WRITE | MKVM_WALK_USER | MKVM_WALK_FETCH) ||
	    ((access & MKVM_WALK_WRITE) && (access & MKVM_WALK_FETCH)))
		return -EINVAL;

	/* Paging off: linear is physical, 32 bits (long mode needs PG). */
	if (!(env->cr0 & X86_CR0_PG)) {
		if (lma)
			return -EINVAL;
		*gpa = (u32)gva;
		return 0;
	}
	if (env->maxphyaddr < 32 || env->maxphyaddr > 52)
		return -EINVAL;

	/*
	 * SDM 4.7: I/D is reported with SMEP, or when NX can be used. AMD
	 * (APM 8.4.2) defines it only for the latter, where the two agree.
	 */
	if ((env->cr4 & X86_CR4_SMEP) || (pae && nxe))
		w.fetch_bit = MKVM_PFERR_FETCH;

	if (!pae) {
		if (lma)
			return -EINVAL;	/* long mode requires PAE */
		return mkvm_walk32(&w, (u32)gva, gpa, pf_error_code);
	}
	if (!lma)
		return mkvm_walk_pae(&w, (u32)gva, gpa, pf_error_code);

	/* Long mode: the address must be canonical (SDM Vol. 1 3.3.7.1). */
	levels = env->cr4 & X86_CR4_LA57 ? 5 : 4;
	if ((u64)sign_extend64(gva, 12 + 9 * levels - 1) != gva)
		return -EINVAL;
	return mkvm_walk64(&w, gva, levels,
			   env->cr3 & mkvm_bits(12, env->maxphyaddr - 1),
			   false, gpa, pf_error_code);
}

/**
 * mkvm_read_gva() - copy guest memory at a linear address
 * @env:	As for mkvm_gva_to_gpa().
 * @gva:	First byte to read.
 * @access:	As for mkvm_gva_to_gpa(); MKVM_WALK_FETCH for instruction
 *		bytes.
 * @buf:	Destination, @len bytes.
 * @len:	How many bytes to read.
 * @done:	Set to how many bytes were copied, even on failure.
 * @pf_error_code: As for mkvm_gva_to_gpa().
 *
 * Translates and reads one 4 KiB page at a time: a read that crosses a
 * page boundary needs both pages' translations, which can differ in
 * anything. On failure the bytes before the failing page are in @buf, so
 * an instruction fetch can still decode an instruction that ends before
 * an unmapped page (the fault then belongs to @gva + *@done, which is what
 * CR2 would hold). Each guest byte is read once; callers must decode the
 * copy and never read the guest again for the same instruction.
 *
 * Return: 0 when all @len bytes were read, else the first error of
 * mkvm_gva_to_gpa() or of @env->read_gpa.
 */
int mkvm_read_gva(const struct mkvm_walk_env *env, u64 gva, u32 access,
		  void *buf, unsigned int len, unsigned int *done,
		  u32 *pf_error_code)
{
	unsigned int n = 0;
	u8 *dst = buf;
	int r = 0;

	*pf_error_code = 0;
	while (n < len) {
		unsigned int left = GUEST_PAGE_SIZE - (gva % GUEST_PAGE_SIZE);
		unsigned int chunk = min_t(unsigned int, len - n, left);
		u64 gpa;

		r = mkvm_gva_to_gpa(env, gva, access, &gpa, pf_error_code);
		if (r)
			break;
		r = env->read_gpa(env->ctx, gpa, dst + n, chunk);
		if (r)
			break;
		n += chunk;
		gva += chunk;
	}
	*done = n;
	return r;
}
