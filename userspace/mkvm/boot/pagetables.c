// SPDX-License-Identifier: GPL-2.0
/*
 * pagetables.c - the page tables and GDT the 64-bit entry point needs.
 *
 * boot.rst, "64-bit BOOT PROTOCOL": the CPU must be in long mode with paging
 * on, the loaded kernel, zero page and command line identity mapped, a GDT
 * with __BOOT_CS (0x10, 64-bit code) and __BOOT_DS (0x18, flat data), and
 * interrupts off.  We identity map 0-4 GiB with 2 MiB pages, which covers all
 * of that; the kernel builds its own tables right away.
 *
 * Non-goals: 5-level paging, mapping RAM above 4 GiB (the kernel does it).
 */
#include <string.h>

#include "boot.h"

#define PTE_P	(1ULL << 0)
#define PTE_RW	(1ULL << 1)
#define PTE_PS	(1ULL << 7)

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);	/* x86 host: little endian like the guest */
}

void pagetables_build(uint8_t *low)
{
	memset(low + LAYOUT_PML4, 0, 4096 * 6);
	put64(low + LAYOUT_PML4, LAYOUT_PDPT | PTE_P | PTE_RW);
	for (int i = 0; i < 4; i++) {
		uint64_t pd = LAYOUT_PD + i * 4096ULL;

		put64(low + LAYOUT_PDPT + i * 8, pd | PTE_P | PTE_RW);
		for (int j = 0; j < 512; j++) {
			uint64_t addr = ((uint64_t)i << 30) | ((uint64_t)j << 21);

			put64(low + pd + j * 8, addr | PTE_P | PTE_RW | PTE_PS);
		}
	}
}

/* Same layout as the kernel's GDT_ENTRY(flags, base, limit). */
uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000) << 32) |
	       ((uint64_t)(flags & 0xf0ff) << 40) |
	       ((uint64_t)(limit & 0x000f0000) << 32) |
	       ((uint64_t)(base & 0x00ffffff) << 16) |
	       (uint64_t)(limit & 0x0000ffff);
}

void gdt_build(uint8_t *low)
{
	uint8_t *g = low + LAYOUT_GDT;

	memset(g, 0, 8 * 5);
	put64(g + BOOT_CS, gdt_entry(0xa09b, 0, 0xfffff)); /* G L P S code */
	put64(g + BOOT_DS, gdt_entry(0xc093, 0, 0xfffff)); /* G D P S data */
	put64(g + BOOT_TSS, gdt_entry(0x808b, 0, 0xfffff)); /* busy TSS */
}
