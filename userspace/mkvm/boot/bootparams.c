// SPDX-License-Identifier: GPL-2.0
/*
 * bootparams.c - the zero page (struct boot_params) and the e820 map, plus
 * the placement of kernel and initrd in guest RAM.
 *
 * Follows Documentation/x86/boot.rst: the loader copies the setup header
 * from the image into boot_params.hdr, then fills in the "write" fields
 * (type_of_loader, cmd_line_ptr, ramdisk_image/size, heap_end_ptr, ...).
 * Other fields of the zero page follow Documentation/x86/zero-page.rst.
 *
 * Non-goals: EDD, video modes, setup_data chains, EFI memory maps.
 */
#include <string.h>

#include "boot.h"

void guest_mem_layout(struct guest_mem *m, uint64_t ram, uint8_t *hva)
{
	memset(m, 0, sizeof(*m));
	m->ram_size = ram;
	m->nr = 1;
	m->r[0].gpa = 0;
	m->r[0].size = ram < LAYOUT_MMIO_HOLE ? ram : LAYOUT_MMIO_HOLE;
	m->r[0].hva = hva;
	if (ram > LAYOUT_MMIO_HOLE) {
		m->nr = 2;
		m->r[1].gpa = LAYOUT_HIGH_RAM;
		m->r[1].size = ram - LAYOUT_MMIO_HOLE;
		m->r[1].hva = hva ? hva + LAYOUT_MMIO_HOLE : NULL;
	}
}

static int e820_add(struct boot_e820_entry *e, int n, int max, uint64_t addr,
		    uint64_t size, uint32_t type)
{
	if (n >= max || !size)
		return n;
	e[n].addr = addr;
	e[n].size = size;
	e[n].type = type;
	return n + 1;
}

/*
 * The map a PC BIOS would give: low RAM up to the EBDA, the BIOS area
 * (where our ACPI tables live) reserved, RAM from 1 MiB to the 32-bit hole,
 * and whatever is left above 4 GiB.  The VGA/ROM window 0xa0000-0xdffff is
 * left out, as on real hardware.
 */
int e820_build(struct boot_e820_entry *e, int max, uint64_t ram)
{
	uint64_t low_end = ram < LAYOUT_MMIO_HOLE ? ram : LAYOUT_MMIO_HOLE;
	int n = 0;

	n = e820_add(e, n, max, 0, LAYOUT_EBDA, 1 /* E820_RAM */);
	n = e820_add(e, n, max, LAYOUT_EBDA, LAYOUT_LOW_RAM_END - LAYOUT_EBDA, 2);
	n = e820_add(e, n, max, LAYOUT_ACPI, LAYOUT_ACPI_END - LAYOUT_ACPI, 2);
	if (low_end > LAYOUT_KERNEL)
		n = e820_add(e, n, max, LAYOUT_KERNEL, low_end - LAYOUT_KERNEL, 1);
	if (ram > LAYOUT_MMIO_HOLE)
		n = e820_add(e, n, max, LAYOUT_HIGH_RAM, ram - LAYOUT_MMIO_HOLE, 1);
	return n;
}

int boot_layout_plan(struct boot_layout *l, const struct bzimage *bz,
		     uint64_t ram, uint64_t initrd_size)
{
	uint64_t low_end = ram < LAYOUT_MMIO_HOLE ? ram : LAYOUT_MMIO_HOLE;
	uint64_t need = bz->init_size > bz->kernel_size ? bz->init_size :
			bz->kernel_size;
	uint64_t top;

	memset(l, 0, sizeof(*l));
	/*
	 * Load at 1 MiB, like every 64-bit loader: a relocatable kernel
	 * decompresses itself to a suitably aligned address within
	 * [load, load + init_size) (boot.rst: init_size), which must be RAM.
	 */
	l->kernel_addr = LAYOUT_KERNEL;
	l->kernel_end = ALIGN_UP(LAYOUT_KERNEL + need, 4096);
	if (l->kernel_end > low_end)
		return -1;
	if (!initrd_size)
		return 0;
	/*
	 * The initrd goes as high as allowed (initrd_addr_max is the last
	 * byte it may occupy), leaving the kernel room to grow below it.
	 */
	top = low_end;
	if (bz->initrd_addr_max && top > (uint64_t)bz->initrd_addr_max + 1)
		top = (uint64_t)bz->initrd_addr_max + 1;
	if (initrd_size > top)
		return -1;
	l->initrd_addr = ALIGN_DOWN(top - initrd_size, 4096);
	if (l->initrd_addr < l->kernel_end)
		return -1;
	l->initrd_size = initrd_size;
	return 0;
}

int boot_params_build(struct boot_params *bp, const struct bzimage *bz,
		      const struct boot_layout *l, uint64_t ram,
		      uint64_t cmdline_gpa, size_t cmdline_len)
{
	size_t hdr_len = 0x202 + bz->file[0x201] - 0x1f1;

	memset(bp, 0, sizeof(*bp));
	if (hdr_len > sizeof(bp->hdr))
		hdr_len = sizeof(bp->hdr);
	memcpy(&bp->hdr, bz->file + 0x1f1, hdr_len);

	/* cmdline_size excludes the terminating NUL (boot.rst). */
	if (bz->cmdline_size && cmdline_len > bz->cmdline_size)
		return -1;

	bp->hdr.type_of_loader = 0xff;		/* "undefined" loader id */
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;		/* unused by the 64-bit path */
	bp->hdr.code32_start = (uint32_t)l->kernel_addr;
	bp->hdr.cmd_line_ptr = (uint32_t)cmdline_gpa;
	bp->ext_cmd_line_ptr = (uint32_t)(cmdline_gpa >> 32);
	bp->hdr.ramdisk_image = (uint32_t)l->initrd_addr;
	bp->ext_ramdisk_image = (uint32_t)(l->initrd_addr >> 32);
	bp->hdr.ramdisk_size = (uint32_t)l->initrd_size;
	bp->ext_ramdisk_size = (uint32_t)(l->initrd_size >> 32);
	bp->hdr.vid_mode = 0xffff;		/* "normal" */
	/* zero-page.rst 0x070: saves the guest the RSDP scan. */
	bp->acpi_rsdp_addr = LAYOUT_ACPI;
	bp->e820_entries = e820_build(bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE,
				      ram);
	return 0;
}
