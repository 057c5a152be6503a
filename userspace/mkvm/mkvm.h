/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mkvm.h - definitions shared by every part of mkvm: the guest-physical
 * memory layout, the guest memory accessor and the error helpers.
 *
 * Non-goals: this header knows nothing about KVM file descriptors; code that
 * must also build into the host unit tests (parsers, table builders, the
 * virtqueue walker) includes only this file.
 */
#ifndef MKVM_H
#define MKVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KiB		(1024ULL)
#define MiB		(1024ULL * KiB)
#define GiB		(1024ULL * MiB)
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

/*
 * Guest-physical layout.  Everything mkvm writes for the boot lives below
 * 1 MiB, where the boot protocol (Documentation/x86/boot.rst, "64-bit boot
 * protocol") lets the loader put the zero page and the command line, and
 * where the kernel never loads itself.
 */
#define LAYOUT_GDT		0x0500ULL	/* 5 descriptors */
#define LAYOUT_ZERO_PAGE	0x7000ULL	/* struct boot_params */
#define LAYOUT_PML4		0x9000ULL
#define LAYOUT_PDPT		0xa000ULL
#define LAYOUT_PD		0xb000ULL	/* 4 pages: identity map 0-4 GiB */
#define LAYOUT_CMDLINE		0x20000ULL
#define LAYOUT_CMDLINE_MAX	0x10000ULL
#define LAYOUT_EBDA		0x9fc00ULL	/* conventional end of low RAM */
#define LAYOUT_LOW_RAM_END	0xa0000ULL
#define LAYOUT_ACPI		0xe0000ULL	/* RSDP + tables, BIOS area */
#define LAYOUT_ACPI_END		0x100000ULL
#define LAYOUT_KERNEL		0x100000ULL	/* 1 MiB: protected-mode kernel */
#define LAYOUT_MMIO_HOLE	0xc0000000ULL	/* 3 GiB: 32-bit device hole */
#define LAYOUT_HIGH_RAM		0x100000000ULL	/* RAM above the hole */
#define LAYOUT_VIRTIO_MMIO	0xd0000000ULL	/* virtio-mmio windows */
#define LAYOUT_VIRTIO_STRIDE	0x1000ULL
#define LAYOUT_IOAPIC		0xfec00000ULL
#define LAYOUT_LAPIC		0xfee00000ULL

#define MKVM_MAX_VIRTIO		8
#define MKVM_VIRTIO_GSI_BASE	16	/* IOAPIC pins 16..23: no ISA user */
#define MKVM_SERIAL_GSI		4	/* COM1 */
#define MKVM_MAX_CPUS		64
#define MKVM_MIN_MEM		(64 * MiB)
#define MKVM_MAX_MEM		(256 * GiB)

/*
 * mkvm's own I/O ports ("control block").  The guest init writes CMD's exit
 * status to CTL_EXIT; ACPI (FADT) points the sleep-control and reset
 * registers here so that poweroff and reboot of a hardware-reduced ACPI
 * guest end the VM.  Range chosen clear of every legacy PC device.
 */
#define MKVM_CTL_PORT		0x0600
#define MKVM_CTL_EXIT		(MKVM_CTL_PORT + 0)	/* 32-bit write */
#define MKVM_CTL_SLEEP_CTL	(MKVM_CTL_PORT + 4)	/* ACPI SLEEP_CONTROL */
#define MKVM_CTL_SLEEP_STS	(MKVM_CTL_PORT + 5)	/* ACPI SLEEP_STATUS */
#define MKVM_CTL_RESET		(MKVM_CTL_PORT + 6)	/* ACPI RESET_REG */
#define MKVM_CTL_RESET_VALUE	0x01
#define MKVM_CTL_SIZE		8

/* Guest memory: up to two slots, below and above the 32-bit hole. */
struct mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	int nr;
	struct mem_region r[2];
	uint64_t ram_size;	/* total RAM, both slots */
};

/*
 * Translate [gpa, gpa + len) to a host pointer, or NULL when any byte of it
 * is outside guest RAM.  This is the only way devices touch guest memory,
 * so every address a guest hands us is checked here, overflow included.
 */
static inline void *gpa_ptr(const struct guest_mem *m, uint64_t gpa,
			    uint64_t len)
{
	for (int i = 0; i < m->nr; i++) {
		const struct mem_region *r = &m->r[i];

		if (gpa < r->gpa)
			continue;
		if (gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

/* Lay out `ram` bytes as slots (no host memory involved: unit-testable). */
void guest_mem_layout(struct guest_mem *m, uint64_t ram, uint8_t *hva);

/* "mkvm: ..." on stderr. */
void mkvm_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same, then exit(2): for bad input detected before the VM runs. */
void mkvm_usage_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

extern int mkvm_verbose;
#define mkvm_dbg(...)	do { if (mkvm_verbose) mkvm_err(__VA_ARGS__); } while (0)

#endif
