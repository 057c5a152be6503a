/* SPDX-License-Identifier: GPL-2.0 */
/*
 * boot.h - the pieces of the direct 64-bit Linux boot: bzImage parsing,
 * boot_params/e820, ACPI tables, page tables/GDT.  All of it works on plain
 * buffers so that the host unit tests can exercise it without KVM.
 */
#ifndef MKVM_BOOT_H
#define MKVM_BOOT_H

#include <asm/bootparam.h>
#include "../mkvm.h"

struct bzimage {
	const uint8_t *file;	/* whole image */
	size_t file_size;
	size_t setup_size;	/* (setup_sects + 1) * 512 */
	const uint8_t *kernel;	/* protected-mode part: loaded at 1 MiB */
	size_t kernel_size;
	uint16_t protocol;	/* hdr.version */
	uint32_t init_size;	/* memory the kernel needs from its load addr */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint64_t pref_address;
	char version[128];	/* kernel_version string, "" if absent */
};

/* 0 or -1 with a one-line reason in err (size errlen). */
int bzimage_parse(struct bzimage *bz, const uint8_t *file, size_t size,
		  char *err, size_t errlen);

/* e820 */
int e820_build(struct boot_e820_entry *e, int max, uint64_t ram);

struct boot_layout {
	uint64_t kernel_addr;	/* where the protected-mode kernel goes */
	uint64_t kernel_end;	/* kernel_addr + max(init_size, size) */
	uint64_t initrd_addr;
	uint64_t initrd_size;
};

/* Place kernel and initrd in `ram` bytes.  -1 when they do not fit. */
int boot_layout_plan(struct boot_layout *l, const struct bzimage *bz,
		     uint64_t ram, uint64_t initrd_size);

/* Fill the zero page: setup header copy, loader fields, cmdline, e820. */
int boot_params_build(struct boot_params *bp, const struct bzimage *bz,
		      const struct boot_layout *l, uint64_t ram,
		      uint64_t cmdline_gpa, size_t cmdline_len);

/* ACPI: RSDP at LAYOUT_ACPI, tables following it. */
struct acpi_virtio_dev {
	uint64_t base;
	uint32_t size;
	uint32_t gsi;
};

struct acpi_config {
	int ncpus;
	int nvirtio;
	struct acpi_virtio_dev virtio[MKVM_MAX_VIRTIO];
};

/*
 * Write the tables into buf (guest address `gpa`, capacity `cap`).  Returns
 * the number of bytes used, or -1 when they do not fit.
 */
long acpi_build(uint8_t *buf, uint64_t gpa, size_t cap,
		const struct acpi_config *cfg);
uint8_t acpi_checksum(const uint8_t *p, size_t len);

/* Page tables (identity, 0-4 GiB, 2 MiB pages) and GDT, written into guest
 * memory at their LAYOUT_ addresses.  `low` points at guest address 0. */
void pagetables_build(uint8_t *low);
void gdt_build(uint8_t *low);
/* GDT descriptor -> struct kvm_segment fields, exported for tests. */
uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit);

#define BOOT_CS		0x10	/* __BOOT_CS in the kernel */
#define BOOT_DS		0x18	/* __BOOT_DS */
#define BOOT_TSS	0x20

#endif
