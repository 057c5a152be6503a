// SPDX-License-Identifier: GPL-2.0
/*
 * pgwalk_test.c - module/x86/pgwalk.c against page tables built in a fake
 * guest memory: every paging mode and page size, not-present at each
 * level, reserved bits, the access-rights rules (U/S, R/W with CR0.WP,
 * XD with EFER.NXE, SMEP), PAE PDPTEs and PDPTE registers, canonical
 * addresses, and page-crossing reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "../../module/x86/pgwalk.h"
#include "unit.h"

#define MEM_SIZE	(32u << 20)	/* fake guest RAM: 0 .. 32 MiB */
#define TABLES_START	0x100000u	/* page tables from 1 MiB up */

#define P	(1ULL << 0)
#define RW	(1ULL << 1)
#define US	(1ULL << 2)
#define PS	(1ULL << 7)
#define XD	(1ULL << 63)

#define PF_P	MKVM_PFERR_PRESENT
#define PF_W	MKVM_PFERR_WRITE
#define PF_U	MKVM_PFERR_USER
#define PF_R	MKVM_PFERR_RSVD
#define PF_I	MKVM_PFERR_FETCH

#define A_R	0u
#define A_W	MKVM_WALK_WRITE
#define A_U	MKVM_WALK_USER
#define A_X	MKVM_WALK_FETCH

struct fake_mem {
	unsigned char *mem;
	u64 next;		/* bump allocator for tables */
	unsigned int reads;	/* read_gpa calls */
	unsigned int bad_reads;	/* calls crossing a 4 KiB page, or len 0 */
};

static struct fake_mem fm;

static int fake_read(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	struct fake_mem *m = ctx;

	m->reads++;
	if (!len || (gpa & 0xfff) + len > 4096)
		m->bad_reads++;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -ENOENT;
	memcpy(buf, m->mem + gpa, len);
	return 0;
}

static void mem_reset(void)
{
	if (!fm.mem)
		fm.mem = calloc(1, MEM_SIZE);
	memset(fm.mem, 0, MEM_SIZE);
	fm.next = TABLES_START;
	fm.reads = 0;
	fm.bad_reads = 0;
}

static u64 alloc_table(void)
{
	u64 pa = fm.next;

	fm.next += 4096;
	return pa;
}

static u64 rd64(u64 gpa)
{
	u64 v;

	memcpy(&v, fm.mem + gpa, 8);
	return v;
}

static void wr64(u64 gpa, u64 v)
{
	memcpy(fm.mem + gpa, &v, 8);
}

static u32 rd32(u64 gpa)
{
	u32 v;

	memcpy(&v, fm.mem + gpa, 4);
	return v;
}

static void wr32(u64 gpa, u32 v)
{
	memcpy(fm.mem + gpa, &v, 4);
}

/*
 * 8-byte-entry tables: the entry for @gva at @level (levels counted as in
 * the SDM: 1 = PTE), creating P|RW|US tables above it as needed. @top is
 * the level CR3 (or a PAE PDPTE) points at.
 */
static u64 entry64(u64 root, int top, u64 gva, int level)
{
	u64 table = root;
	int l;

	for (l = top; l > level; l--) {
		u64 ea = table + ((gva >> (12 + 9 * (l - 1))) & 0x1ff) * 8;
		u64 e = rd64(ea);

		if (!(e & P)) {
			e = alloc_table() | P | RW | US;
			wr64(ea, e);
		}
		table = e & 0x000ffffffffff000ULL;
	}
	return table + ((gva >> (12 + 9 * (level - 1))) & 0x1ff) * 8;
}

/* Map @gva to @pa with a leaf at @level (1: 4K, 2: 2M, 3: 1G). */
static u64 map64(u64 root, int top, u64 gva, u64 pa, int level, u64 flags)
{
	u64 ea = entry64(root, top, gva, level);

	wr64(ea, pa | flags | (level > 1 ? PS : 0));
	return ea;
}

/* PAE: the PDPT at @cr3 (32-byte aligned), then a 2-level tree. */
static u64 pae_pdpte(u64 cr3, u32 gva)
{
	return cr3 + (gva >> 30) * 8;
}

static u64 map_pae(u64 cr3, u32 gva, u64 pa, int level, u64 flags)
{
	u64 pa_pdpte = pae_pdpte(cr3, gva);
	u64 pdpte = rd64(pa_pdpte);

	if (!(pdpte & P)) {
		pdpte = alloc_table() | P;
		wr64(pa_pdpte, pdpte);
	}
	return map64(pdpte & 0x000ffffffffff000ULL, 2, gva, pa, level, flags);
}

/* 32-bit paging: 4-byte entries; @big maps a 4 MiB page (PDE.PS). */
static u64 map32(u64 cr3, u32 gva, u32 pde_or_pa, bool big, u32 flags)
{
	u64 pde_addr = cr3 + (gva >> 22) * 4;
	u32 pde = rd32(pde_addr);
	u64 pte_addr;

	if (big) {
		wr32(pde_addr, pde_or_pa | flags | (u32)PS);
		return pde_addr;
	}
	if (!(pde & P)) {
		pde = (u32)alloc_table() | P | RW | US;
		wr32(pde_addr, pde);
	}
	pte_addr = (pde & 0xfffff000u) + ((gva >> 12) & 0x3ff) * 4;
	wr32(pte_addr, pde_or_pa | flags);
	return pte_addr;
}

static struct mkvm_walk_env env_none(void)
{
	return (struct mkvm_walk_env){
		.cr0 = X86_CR0_PE, .maxphyaddr = 36,
		.read_gpa = fake_read, .ctx = &fm,
	};
}

static struct mkvm_walk_env env_32(u64 cr3)
{
	return (struct mkvm_walk_env){
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP, .cr3 = cr3,
		.cr4 = X86_CR4_PSE, .maxphyaddr = 36,
		.read_gpa = fake_read, .ctx = &fm,
	};
}

static struct mkvm_walk_env env_pae(u64 cr3)
{
	return (struct mkvm_walk_env){
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP, .cr3 = cr3,
		.cr4 = X86_CR4_PAE, .efer = EFER_NX, .maxphyaddr = 36,
		.read_gpa = fake_read, .ctx = &fm,
	};
}

static struct mkvm_walk_env env_long(u64 cr3)
{
	return (struct mkvm_walk_env){
		.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP, .cr3 = cr3,
		.cr4 = X86_CR4_PAE, .efer = EFER_LME | EFER_LMA | EFER_NX,
		.maxphyaddr = 46, .read_gpa = fake_read, .ctx = &fm,
	};
}

/* One case: translate and expect @want_gpa. */
static void ok_case(const char *name, const struct mkvm_walk_env *env,
		    u64 gva, u32 access, u64 want_gpa)
{
	u64 gpa = ~0ULL;
	u32 pfec = ~0u;
	int r;

	t_begin("pgwalk: %s", name);
	fm.bad_reads = 0;
	r = mkvm_gva_to_gpa(env, gva, access, &gpa, &pfec);
	CHECKF(r == 0, "gva %#llx access %#x: r = %d (pfec %#x)",
	       (unsigned long long)gva, access, r, pfec);
	CHECKF(gpa == want_gpa, "gpa %#llx, want %#llx",
	       (unsigned long long)gpa, (unsigned long long)want_gpa);
	CHECK(pfec == 0);
	CHECK(fm.bad_reads == 0);
	t_end();
}

/* One case: expect -EFAULT with @want_pfec. */
static void pf_case(const char *name, const struct mkvm_walk_env *env,
		    u64 gva, u32 access, u32 want_pfec)
{
	u64 gpa = 0;
	u32 pfec = ~0u;
	int r;

	t_begin("pgwalk: %s", name);
	r = mkvm_gva_to_gpa(env, gva, access, &gpa, &pfec);
	CHECKF(r == -EFAULT, "gva %#llx access %#x: r = %d, want -EFAULT",
	       (unsigned long long)gva, access, r);
	CHECKF(pfec == want_pfec, "pfec %#x, want %#x", pfec, want_pfec);
	t_end();
}

/* One case: expect the error @want (not a #PF). */
static void err_case(const char *name, const struct mkvm_walk_env *env,
		     u64 gva, u32 access, int want)
{
	u64 gpa = 0;
	u32 pfec = ~0u;
	int r;

	t_begin("pgwalk: %s", name);
	r = mkvm_gva_to_gpa(env, gva, access, &gpa, &pfec);
	CHECKF(r == want, "r = %d, want %d", r, want);
	CHECK(pfec == 0);
	t_end();
}

static void test_no_paging(void)
{
	struct mkvm_walk_env env = env_none();

	mem_reset();
	ok_case("paging off: linear is physical", &env, 0xb8000, A_R, 0xb8000);
	ok_case("paging off: 32-bit linear wraps", &env, 0x100001234ULL, A_W,
		0x1234);
	ok_case("paging off: user fetch, no checks", &env, 0xfffffff0,
		A_X | A_U, 0xfffffff0);
	t_begin("pgwalk: paging off reads no tables");
	CHECK(fm.reads == 0);
	t_end();
	env.efer = EFER_LMA;
	err_case("paging off with EFER.LMA is impossible", &env, 0, A_R,
		 -EINVAL);
}

static void test_32bit(void)
{
	u64 cr3 = 0x10000;	/* page directory */
	struct mkvm_walk_env env = env_32(cr3);
	u64 pte, pde;

	mem_reset();
	map32(cr3, 0x00401000, 0x00abc000, false, P | RW | US);
	map32(cr3, 0xc0000000, 0x01c00000, true, P | RW);	/* 4 MiB */
	ok_case("32-bit: 4K page", &env, 0x00401234, A_R, 0x00abc234);
	ok_case("32-bit: 4K page, user write", &env, 0x00401ffc, A_W | A_U,
		0x00abcffc);
	ok_case("32-bit: 4M page (CR4.PSE)", &env, 0xc0123456, A_W,
		0x01d23456);
	ok_case("32-bit: linear address is bits 31:0", &env, 0x7c0123456ULL,
		A_R, 0x01d23456);

	t_begin("pgwalk: 32-bit: 4-byte entries, one read per level");
	fm.reads = 0;
	{
		u64 gpa;
		u32 pfec;

		CHECK(!mkvm_gva_to_gpa(&env, 0x00401000, A_R, &gpa, &pfec));
	}
	CHECKF(fm.reads == 2, "reads %u", fm.reads);
	t_end();

	/* Without CR4.PSE, PDE.PS is ignored: the PDE points at a table. */
	pde = cr3 + (0x00800000 >> 22) * 4;
	wr32(pde, 0x00c00000 | P | RW | US | PS);
	wr32(0x00c00000 + 5 * 4, 0x00777000 | P | RW | US);
	env.cr4 = 0;
	ok_case("32-bit: PS ignored without CR4.PSE", &env, 0x00805010, A_R,
		0x00777010);
	env.cr4 = X86_CR4_PSE;
	ok_case("32-bit: same PDE with CR4.PSE maps 4M", &env, 0x00805010,
		A_R, 0x00c05010);

	/* PSE-36: PDE bits 20:13 are physical-address bits 39:32. */
	wr32(pde, 0x00400000 | (0xfu << 13) | P | RW | PS);
	ok_case("32-bit: PSE-36, MAXPHYADDR 36", &env, 0x00812345, A_R,
		0xf00412345ULL);
	wr32(pde, 0x00400000 | (0x1fu << 13) | P | RW | PS);
	pf_case("32-bit: PSE-36 bit above MAXPHYADDR 36 is RSVD", &env,
		0x00812345, A_R, PF_P | PF_R);
	env.maxphyaddr = 40;
	wr32(pde, 0x00400000 | (0xffu << 13) | P | RW | PS);
	ok_case("32-bit: PSE-36, MAXPHYADDR 40", &env, 0x00812345, A_R,
		0xff00412345ULL);
	env.maxphyaddr = 46;
	wr32(pde, 0x00400000 | (1u << 21) | P | RW | PS);
	pf_case("32-bit: 4M PDE bit 21 is always RSVD", &env, 0x00812345,
		A_W | A_U, PF_P | PF_R | PF_W | PF_U);
	env.maxphyaddr = 32;
	wr32(pde, 0x00400000 | (1u << 13) | P | RW | PS);
	pf_case("32-bit: MAXPHYADDR 32 reserves bits 21:13", &env, 0x00812345,
		A_R, PF_P | PF_R);
	env.maxphyaddr = 36;

	/* Not present at each level. */
	pf_case("32-bit: PDE not present", &env, 0x40000000, A_R, 0);
	pf_case("32-bit: PDE not present, user write", &env, 0x40000000,
		A_W | A_U, PF_W | PF_U);
	pf_case("32-bit: PTE not present", &env, 0x00402000, A_W, PF_W);

	/* Access rights. */
	pte = map32(cr3, 0x00403000, 0x00111000, false, P | US);	/* RO */
	pf_case("32-bit: user write to read-only page", &env, 0x00403000,
		A_W | A_U, PF_P | PF_W | PF_U);
	pf_case("32-bit: supervisor write, CR0.WP=1", &env, 0x00403000, A_W,
		PF_P | PF_W);
	env.cr0 &= ~X86_CR0_WP;
	ok_case("32-bit: supervisor write, CR0.WP=0", &env, 0x00403000, A_W,
		0x00111000);
	env.cr0 |= X86_CR0_WP;
	ok_case("32-bit: user read of read-only page", &env, 0x00403004,
		A_R | A_U, 0x00111004);
	wr32(pte, 0x00111000 | P | RW);					/* supervisor */
	pf_case("32-bit: user read of supervisor page", &env, 0x00403000,
		A_U, PF_P | PF_U);
	ok_case("32-bit: supervisor fetch, no NX in 32-bit paging", &env,
		0x00403000, A_X, 0x00111000);
	/* U/S=0 in the PDE makes every page under it supervisor. */
	wr32(pte, 0x00111000 | P | RW | US);
	pde = cr3 + (0x00403000 >> 22) * 4;
	wr32(pde, rd32(pde) & ~(u32)US);
	pf_case("32-bit: PDE U/S=0 overrides PTE U/S=1", &env, 0x00403000,
		A_U, PF_P | PF_U);
	wr32(pde, rd32(pde) | US);
	pf_case("32-bit: user fetch not present: no I/D without SMEP/NX",
		&env, 0x40000000, A_X | A_U, PF_U);
	env.cr4 |= X86_CR4_SMEP;
	pf_case("32-bit: SMEP: supervisor fetch from user page", &env,
		0x00403000, A_X, PF_P | PF_I);
	ok_case("32-bit: SMEP: supervisor read of user page (no SMAP)", &env,
		0x00403000, A_R, 0x00111000);
	ok_case("32-bit: SMEP: user fetch of user page", &env, 0x00403000,
		A_X | A_U, 0x00111000);
	pf_case("32-bit: SMEP reports I/D on not-present fetch", &env,
		0x40000000, A_X, PF_I);
}

static void test_pae(void)
{
	u64 cr3 = 0x10020;	/* 32-byte aligned, not page aligned */
	struct mkvm_walk_env env = env_pae(cr3);
	u64 pdptrs[4];
	u64 e;

	mem_reset();
	map_pae(cr3, 0x80001000, 0x123456000ULL, 1, P | RW | US);
	map_pae(cr3, 0x80400000, 0x0fe00000, 2, P | RW);
	ok_case("PAE: 4K page above 4 GiB", &env, 0x80001abc, A_R,
		0x123456abcULL);
	ok_case("PAE: 2M page", &env, 0x805fffff, A_W, 0x0fffffff);
	ok_case("PAE: linear address is bits 31:0", &env, 0xf80001abcULL, A_R,
		0x123456abcULL);
	env.cr4 |= X86_CR4_PSE;	/* PSE does not matter in PAE paging */
	ok_case("PAE: CR4.PSE changes nothing", &env, 0x80400010, A_R,
		0x0fe00010);
	env.cr4 &= ~X86_CR4_PSE;

	pf_case("PAE: PDPTE not present", &env, 0x00001000, A_R, 0);
	pf_case("PAE: PDPTE not present, fetch: I/D with NXE", &env,
		0x00001000, A_X, PF_I);
	env.efer = 0;
	pf_case("PAE: not present, fetch: no I/D without NXE", &env,
		0x00001000, A_X, 0);
	env.efer = EFER_NX;
	pf_case("PAE: PDE not present", &env, 0x80800000, A_W, PF_W);
	pf_case("PAE: PTE not present", &env, 0x80002000, A_U, PF_U);

	e = rd64(pae_pdpte(cr3, 0x80001000));
	wr64(pae_pdpte(cr3, 0x80001000), e | RW);
	pf_case("PAE: PDPTE bit 1 is RSVD", &env, 0x80001000, A_R,
		PF_P | PF_R);
	wr64(pae_pdpte(cr3, 0x80001000), e | (1ULL << 5));
	pf_case("PAE: PDPTE bit 5 is RSVD", &env, 0x80001000, A_R,
		PF_P | PF_R);
	wr64(pae_pdpte(cr3, 0x80001000), e | XD);
	pf_case("PAE: PDPTE XD is RSVD even with NXE", &env, 0x80001000, A_R,
		PF_P | PF_R);
	wr64(pae_pdpte(cr3, 0x80001000), e | (1ULL << 36));
	pf_case("PAE: PDPTE bit MAXPHYADDR is RSVD", &env, 0x80001000, A_R,
		PF_P | PF_R);
	wr64(pae_pdpte(cr3, 0x80001000), e | (1ULL << 3) | (1ULL << 4) |
	     (1ULL << 9));
	ok_case("PAE: PDPTE PWT/PCD/ignored bits are fine", &env, 0x80001000,
		A_R, 0x123456000ULL);
	wr64(pae_pdpte(cr3, 0x80001000), e);

	/* The PDPTE registers win over memory. */
	memcpy(pdptrs, fm.mem + cr3, sizeof(pdptrs));
	env.pdptrs = pdptrs;
	wr64(pae_pdpte(cr3, 0x80001000), 0);
	ok_case("PAE: PDPTE registers used, memory ignored", &env, 0x80001000,
		A_R, 0x123456000ULL);
	pdptrs[2] = 0;
	wr64(pae_pdpte(cr3, 0x80001000), e);
	pf_case("PAE: not-present PDPTE register", &env, 0x80001000, A_R, 0);
	pdptrs[2] = e;
	env.pdptrs = NULL;

	/* PDE/PTE reserved bits: 62:M, XD without NXE, 2M frame 20:13. */
	e = map_pae(cr3, 0x80003000, 0x00333000, 1, P | RW | US);
	wr64(e, 0x00333000 | P | RW | US | (1ULL << 62));
	pf_case("PAE: PTE bit 62 is RSVD (not ignored as in long mode)",
		&env, 0x80003000, A_R, PF_P | PF_R);
	wr64(e, 0x00333000 | P | RW | US | (1ULL << 36));
	pf_case("PAE: PTE bit MAXPHYADDR is RSVD", &env, 0x80003000, A_W,
		PF_P | PF_R | PF_W);
	wr64(e, 0x00333000 | P | RW | US | XD);
	ok_case("PAE: XD page, data read", &env, 0x80003000, A_R, 0x00333000);
	pf_case("PAE: XD page, fetch", &env, 0x80003000, A_X, PF_P | PF_I);
	pf_case("PAE: XD page, user fetch", &env, 0x80003000, A_X | A_U,
		PF_P | PF_I | PF_U);
	env.efer = 0;
	pf_case("PAE: XD without EFER.NXE is RSVD", &env, 0x80003000, A_R,
		PF_P | PF_R);
	env.efer = EFER_NX;
	wr64(e, 0x00333000 | P | RW | US | (1ULL << 7) | (1ULL << 8));
	ok_case("PAE: PTE PAT and G bits are not reserved", &env, 0x80003000,
		A_R, 0x00333000);
	e = map_pae(cr3, 0x80400000, 0x0fe00000, 2, P | RW);
	wr64(e, rd64(e) | (1ULL << 13));
	pf_case("PAE: 2M PDE bit 13 is RSVD", &env, 0x80400000, A_R,
		PF_P | PF_R);
	wr64(e, (rd64(e) & ~(1ULL << 13)) | (1ULL << 12));
	ok_case("PAE: 2M PDE bit 12 is PAT", &env, 0x80400000, A_R,
		0x0fe00000);
}

static void test_long(void)
{
	u64 cr3 = 0x20000;
	struct mkvm_walk_env env = env_long(cr3 | 0x123);	/* PCID bits */
	u64 e;
	int level;

	mem_reset();
	map64(cr3, 4, 0x0000000000401000ULL, 0x0000000000abc000ULL, 1,
	      P | RW | US);
	map64(cr3, 4, 0xffffffff80200000ULL, 0x0000000001000000ULL, 2, P | RW);
	map64(cr3, 4, 0xffff888000000000ULL, 0x0000000040000000ULL, 3, P | RW);
	map64(cr3, 4, 0x00007ffffffff000ULL, 0x00003ffffffff000ULL, 1,
	      P | RW | US);
	ok_case("long: 4K page", &env, 0x401234, A_R, 0xabc234);
	ok_case("long: 2M page, kernel text address", &env,
		0xffffffff802fffffULL, A_X, 0x10fffff);
	ok_case("long: 1G page, direct map", &env, 0xffff8880200f00d0ULL, A_W,
		0x600f00d0);
	ok_case("long: top of user space, PA at MAXPHYADDR 46 limit", &env,
		0x00007fffffffffffULL, A_U | A_W, 0x00003fffffffffffULL);

	t_begin("pgwalk: long: one 8-byte read per level");
	fm.reads = 0;
	{
		u64 gpa;
		u32 pfec;

		CHECK(!mkvm_gva_to_gpa(&env, 0x401000, A_R, &gpa, &pfec));
	}
	CHECKF(fm.reads == 4, "reads %u", fm.reads);
	t_end();

	t_begin("pgwalk: long: accessed/dirty bits are never written");
	{
		unsigned char *copy = malloc(0x10000);
		u64 gpa;
		u32 pfec;

		memcpy(copy, fm.mem + TABLES_START, 0x10000);
		mkvm_gva_to_gpa(&env, 0x401000, A_W, &gpa, &pfec);
		mkvm_gva_to_gpa(&env, 0xffffffff80200000ULL, A_W, &gpa, &pfec);
		CHECK(!memcmp(copy, fm.mem + TABLES_START, 0x10000));
		free(copy);
	}
	t_end();

	err_case("long: non-canonical (bit 47 set, 63:48 clear)", &env,
		 0x0000800000000000ULL, A_R, -EINVAL);
	err_case("long: non-canonical (63:48 set, bit 47 clear)", &env,
		 0xffff7fffffffffffULL, A_X, -EINVAL);
	t_begin("pgwalk: long: non-canonical reads no tables");
	fm.reads = 0;
	{
		u64 gpa;
		u32 pfec;

		mkvm_gva_to_gpa(&env, 0x8000000000000000ULL, A_R, &gpa, &pfec);
	}
	CHECK(fm.reads == 0);
	t_end();

	/* Not present at each level, for the 4K mapping. */
	for (level = 4; level >= 1; level--) {
		char name[64];
		u64 ea = entry64(cr3, 4, 0x401000, level);

		e = rd64(ea);
		wr64(ea, e & ~P);
		snprintf(name, sizeof(name), "long: level %d not present",
			 level);
		pf_case(name, &env, 0x401000, A_W | A_U, PF_W | PF_U);
		snprintf(name, sizeof(name),
			 "long: level %d not present, fetch: I/D", level);
		pf_case(name, &env, 0x401000, A_X, PF_I);
		wr64(ea, e | XD);
		env.efer &= ~EFER_NX;
		snprintf(name, sizeof(name), "long: level %d XD without NXE",
			 level);
		pf_case(name, &env, 0x401000, A_R, PF_P | PF_R);
		env.efer |= EFER_NX;
		snprintf(name, sizeof(name), "long: level %d XD, fetch", level);
		pf_case(name, &env, 0x401000, A_X, PF_P | PF_I);
		wr64(ea, e | (1ULL << 46));
		snprintf(name, sizeof(name),
			 "long: level %d bit MAXPHYADDR is RSVD", level);
		pf_case(name, &env, 0x401000, A_R, PF_P | PF_R);
		wr64(ea, e | (1ULL << 51));
		snprintf(name, sizeof(name), "long: level %d bit 51 is RSVD",
			 level);
		pf_case(name, &env, 0x401000, A_R, PF_P | PF_R);
		wr64(ea, e | (0x7ffULL << 52));
		snprintf(name, sizeof(name),
			 "long: level %d bits 62:52 ignored", level);
		ok_case(name, &env, 0x401000, A_R, 0xabc000);
		wr64(ea, e & ~RW);
		snprintf(name, sizeof(name),
			 "long: level %d R/W=0: supervisor write, WP", level);
		pf_case(name, &env, 0x401000, A_W, PF_P | PF_W);
		env.cr0 &= ~X86_CR0_WP;
		snprintf(name, sizeof(name),
			 "long: level %d R/W=0: supervisor write, no WP",
			 level);
		ok_case(name, &env, 0x401000, A_W, 0xabc000);
		snprintf(name, sizeof(name),
			 "long: level %d R/W=0: user write ignores WP", level);
		pf_case(name, &env, 0x401000, A_W | A_U, PF_P | PF_W | PF_U);
		env.cr0 |= X86_CR0_WP;
		wr64(ea, e & ~US);
		snprintf(name, sizeof(name), "long: level %d U/S=0: user read",
			 level);
		pf_case(name, &env, 0x401000, A_U, PF_P | PF_U);
		snprintf(name, sizeof(name),
			 "long: level %d U/S=0: supervisor read", level);
		ok_case(name, &env, 0x401000, A_R, 0xabc000);
		wr64(ea, e);
	}

	/* PS: reserved in the PML4E; 1G and 2M frames' low bits. */
	e = rd64(entry64(cr3, 4, 0x401000, 4));
	wr64(entry64(cr3, 4, 0x401000, 4), e | PS);
	pf_case("long: PML4E.PS is RSVD", &env, 0x401000, A_R, PF_P | PF_R);
	wr64(entry64(cr3, 4, 0x401000, 4), e | (1ULL << 8));
	ok_case("long: PML4E bit 8 ignored on Intel", &env, 0x401000, A_R,
		0xabc000);
	env.flags = MKVM_WALK_ENV_AMD;
	pf_case("long: PML4E bit 8 RSVD on AMD", &env, 0x401000, A_R,
		PF_P | PF_R);
	env.flags = 0;
	wr64(entry64(cr3, 4, 0x401000, 4), e);
	e = entry64(cr3, 4, 0xffff888000000000ULL, 3);
	wr64(e, rd64(e) | (1ULL << 29));
	pf_case("long: 1G PDPTE bit 29 is RSVD", &env, 0xffff888000000000ULL,
		A_R, PF_P | PF_R);
	wr64(e, (rd64(e) & ~(1ULL << 29)) | (1ULL << 13));
	pf_case("long: 1G PDPTE bit 13 is RSVD", &env, 0xffff888000000000ULL,
		A_R, PF_P | PF_R);
	wr64(e, (rd64(e) & ~(1ULL << 13)) | (1ULL << 12));
	ok_case("long: 1G PDPTE bit 12 is PAT", &env, 0xffff888000000123ULL,
		A_R, 0x40000123);
	env.flags = MKVM_WALK_ENV_NO_1G;
	pf_case("long: 1G page without 1G support is RSVD", &env,
		0xffff888000000000ULL, A_R, PF_P | PF_R);
	env.flags = 0;
	e = entry64(cr3, 4, 0xffffffff80200000ULL, 2);
	wr64(e, rd64(e) | (1ULL << 20));
	pf_case("long: 2M PDE bit 20 is RSVD", &env, 0xffffffff80200000ULL,
		A_X, PF_P | PF_R | PF_I);
	wr64(e, rd64(e) & ~(1ULL << 20));

	/* SMEP, and NX in one upper level only. */
	env.cr4 |= X86_CR4_SMEP;
	pf_case("long: SMEP: supervisor fetch from user page", &env, 0x401000,
		A_X, PF_P | PF_I);
	ok_case("long: SMEP: supervisor read of user page", &env, 0x401000,
		A_R, 0xabc000);
	ok_case("long: SMEP: supervisor fetch from supervisor page", &env,
		0xffffffff80200000ULL, A_X, 0x1000000);
	env.cr4 &= ~X86_CR4_SMEP;
	pf_case("long: user access to supervisor 2M page", &env,
		0xffffffff80200000ULL, A_U, PF_P | PF_U);

	/* MAXPHYADDR 52: no reserved address bits left; bit 51 is address. */
	env.maxphyaddr = 52;
	e = entry64(cr3, 4, 0x401000, 1);
	wr64(e, rd64(e) | (1ULL << 51));
	ok_case("long: MAXPHYADDR 52: bit 51 is an address bit", &env,
		0x401008, A_R, (1ULL << 51) | 0xabc008);
	env.maxphyaddr = 46;
	pf_case("long: ... and RSVD with MAXPHYADDR 46", &env, 0x401008, A_R,
		PF_P | PF_R);
	wr64(e, rd64(e) & ~(1ULL << 51));

	/* Page tables outside guest RAM: the callback's error, not a #PF. */
	env.cr3 = 0x7f000000;
	err_case("long: CR3 outside RAM: read_gpa error passed through", &env,
		 0x401000, A_R, -ENOENT);
	env.cr3 = cr3;
	e = entry64(cr3, 4, 0x401000, 2);
	wr64(e, (rd64(e) & 0xfff) | 0x3ff00000000ULL);
	err_case("long: PDE pointing outside RAM", &env, 0x401000, A_R,
		 -ENOENT);
}

static void test_5level(void)
{
	u64 cr3 = 0x30000;
	struct mkvm_walk_env env = env_long(cr3);

	mem_reset();
	env.cr4 |= X86_CR4_LA57;
	map64(cr3, 5, 0x00ff800000401000ULL, 0x00000000abc000ULL, 1,
	      P | RW | US);
	map64(cr3, 5, 0xff11000000000000ULL, 0x00000080000000ULL, 3, P | RW);
	ok_case("5-level: 4K page above 2^47", &env, 0x00ff800000401234ULL,
		A_U, 0xabc234);
	ok_case("5-level: 1G page, high half", &env, 0xff11000000012345ULL,
		A_R, 0x80012345);
	err_case("5-level: non-canonical at bit 56", &env,
		 0x0100000000000000ULL, A_R, -EINVAL);
	env.cr4 &= ~X86_CR4_LA57;
	err_case("4-level: same address non-canonical", &env,
		 0x00ff800000401234ULL, A_R, -EINVAL);
	env.cr4 |= X86_CR4_LA57;
	{
		u64 e = entry64(cr3, 5, 0x00ff800000401000ULL, 5);

		wr64(e, rd64(e) | PS);
		pf_case("5-level: PML5E.PS is RSVD", &env,
			0x00ff800000401000ULL, A_R, PF_P | PF_R);
		wr64(e, rd64(e) & ~PS);
		wr64(e, rd64(e) & ~P);
		pf_case("5-level: PML5E not present", &env,
			0x00ff800000401000ULL, A_W, PF_W);
	}
}

static void test_invalid(void)
{
	struct mkvm_walk_env env = env_long(0x20000);

	mem_reset();
	err_case("invalid: write and fetch together", &env, 0, A_W | A_X,
		 -EINVAL);
	err_case("invalid: unknown access bit", &env, 0, 1u << 7, -EINVAL);
	env.maxphyaddr = 31;
	err_case("invalid: MAXPHYADDR 31", &env, 0, A_R, -EINVAL);
	env.maxphyaddr = 53;
	err_case("invalid: MAXPHYADDR 53", &env, 0, A_R, -EINVAL);
	env.maxphyaddr = 46;
	env.cr4 = 0;
	err_case("invalid: EFER.LMA without CR4.PAE", &env, 0, A_R, -EINVAL);
}

/* Read a guest buffer that straddles pages mapped far apart. */
static void test_read_gva(void)
{
	u64 cr3 = 0x20000;
	struct mkvm_walk_env env = env_long(cr3);
	unsigned char buf[32];
	unsigned int done, i;
	u32 pfec;
	int r;

	mem_reset();
	map64(cr3, 4, 0x7000, 0x500000, 1, P | RW | US);
	map64(cr3, 4, 0x8000, 0x300000, 1, P | RW | US);
	for (i = 0; i < 8; i++)
		fm.mem[0x500ff8 + i] = 0xa0 + i;
	for (i = 0; i < 16; i++)
		fm.mem[0x300000 + i] = 0xb0 + i;

	t_begin("pgwalk: read_gva across a page boundary");
	fm.bad_reads = 0;
	memset(buf, 0, sizeof(buf));
	r = mkvm_read_gva(&env, 0x7ff8, A_X, buf, 15, &done, &pfec);
	CHECK(r == 0);
	CHECK(done == 15);
	CHECK(pfec == 0);
	CHECK(buf[0] == 0xa0 && buf[7] == 0xa7);
	CHECK(buf[8] == 0xb0 && buf[14] == 0xb6);
	CHECK(fm.bad_reads == 0);
	t_end();

	t_begin("pgwalk: read_gva stops at a not-present second page");
	r = mkvm_read_gva(&env, 0x8ffa, A_X | A_U, buf, 15, &done, &pfec);
	CHECK(r == -EFAULT);
	CHECK(done == 6);
	CHECK(pfec == (PF_U | PF_I));
	t_end();

	t_begin("pgwalk: read_gva fails at once on a not-present first page");
	r = mkvm_read_gva(&env, 0x6ff0, A_R, buf, 15, &done, &pfec);
	CHECK(r == -EFAULT);
	CHECK(done == 0);
	CHECK(pfec == 0);
	t_end();

	t_begin("pgwalk: read_gva of zero bytes");
	r = mkvm_read_gva(&env, 0x6ff0, A_R, buf, 0, &done, &pfec);
	CHECK(r == 0 && done == 0);
	t_end();

	/* Long mode: running into the non-canonical hole is a #GP. */
	map64(cr3, 4, 0x00007ffffffff000ULL, 0x600000, 1, P | RW | US);
	t_begin("pgwalk: read_gva into non-canonical space");
	r = mkvm_read_gva(&env, 0x00007ffffffffffcULL, A_X, buf, 15, &done,
			  &pfec);
	CHECK(r == -EINVAL);
	CHECK(done == 4);
	t_end();

	/* Outside long mode the linear address wraps at 4 GiB. */
	env = env_32(0x10000);
	map32(0x10000, 0xfffff000, 0x00200000, false, P | RW);
	map32(0x10000, 0x00000000, 0x00201000, false, P | RW);
	fm.mem[0x200ffe] = 0x5a;
	fm.mem[0x200fff] = 0x5b;
	fm.mem[0x201000] = 0x5c;
	fm.mem[0x201001] = 0x5d;
	t_begin("pgwalk: read_gva wraps at 4 GiB outside long mode");
	memset(buf, 0, sizeof(buf));
	r = mkvm_read_gva(&env, 0xfffffffe, A_X, buf, 4, &done, &pfec);
	CHECK(r == 0 && done == 4);
	CHECK(buf[0] == 0x5a && buf[1] == 0x5b);
	CHECK(buf[2] == 0x5c && buf[3] == 0x5d);
	t_end();

	/* The data page outside RAM: the callback's error, done stays. */
	env = env_long(cr3);
	map64(cr3, 4, 0x9000, 0x7fff000, 1, P | RW | US);
	t_begin("pgwalk: read_gva: data page outside RAM");
	r = mkvm_read_gva(&env, 0x8ff0, A_R, buf, 32, &done, &pfec);
	CHECK(r == -ENOENT);
	CHECK(done == 16);
	CHECK(pfec == 0);
	t_end();
}

/*
 * Random tables: whatever the guest writes, the walk terminates, never
 * reads across a page, and either fails cleanly or returns an address
 * below 2^MAXPHYADDR.
 */
static void test_fuzz(void)
{
	static const int modes[] = { 32, 36, 64, 57 };
	static const u32 accesses[] = {
		A_R, A_W, A_U, A_W | A_U, A_X, A_X | A_U,
	};
	unsigned int iter, bad = 0, ok = 0, pf = 0;
	u64 seed = 0x9e3779b97f4a7c15ULL;

	mem_reset();
	t_begin("pgwalk: 200000 walks over random tables");
	for (iter = 0; iter < 200000; iter++) {
		struct mkvm_walk_env env;
		u64 gva, gpa, x;
		u32 pfec;
		unsigned int i;
		int r, mode = modes[iter % 4];

		/* Every 64 walks, refill 64 KiB of "tables" at random. */
		if (iter % 64 == 0) {
			for (i = 0; i < 0x10000 / 8; i++) {
				seed ^= seed << 13;
				seed ^= seed >> 7;
				seed ^= seed << 17;
				x = seed;
				/* Point half the entries inside the 64 KiB. */
				if (x & (1ULL << 40))
					x = (x & 0xfff0000000000fffULL) |
					    TABLES_START | (x & 0xf000);
				wr64(TABLES_START + i * 8, x);
			}
		}
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		gva = seed;
		env = mode == 32 ? env_32(TABLES_START) :
		      mode == 36 ? env_pae(TABLES_START) :
				   env_long(TABLES_START);
		if (mode == 57)
			env.cr4 |= X86_CR4_LA57;
		if (mode >= 64)
			gva = (u64)((int64_t)(gva << 15) >> 15);
		env.cr4 |= (seed >> 60) & 1 ? X86_CR4_SMEP : 0;
		env.efer &= (seed >> 61) & 1 ? ~0ULL : ~(u64)EFER_NX;
		env.maxphyaddr = 36 + (seed >> 56) % 17;
		fm.bad_reads = 0;
		r = mkvm_gva_to_gpa(&env, gva, accesses[(seed >> 40) % 6], &gpa,
				    &pfec);
		if (fm.bad_reads ||
		    (r == 0 && (gpa >> env.maxphyaddr)) ||
		    (r == 0 && pfec) ||
		    (r == -EFAULT && (pfec & ~0x1fu)) ||
		    (r && r != -EFAULT && r != -ENOENT && r != -EINVAL))
			bad++;
		ok += r == 0;
		pf += r == -EFAULT;
	}
	CHECKF(bad == 0, "%u bad walks", bad);
	CHECKF(ok > 100 && pf > 100, "ok %u, #PF %u: tables too one-sided",
	       ok, pf);
	t_end();
}

void pgwalk_tests(void)
{
	test_no_paging();
	test_32bit();
	test_pae();
	test_long();
	test_5level();
	test_invalid();
	test_read_gva();
	test_fuzz();
}
