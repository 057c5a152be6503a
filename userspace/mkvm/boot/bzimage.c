// SPDX-License-Identifier: GPL-2.0
/*
 * bzimage.c - parse and validate a Linux x86 bzImage header.
 *
 * The rules come from the kernel's Documentation/x86/boot.rst ("The Linux/x86
 * Boot Protocol"): the real-mode header sits at offset 0x1f1, "HdrS" at 0x202
 * marks protocol >= 2.00, and the protected-mode kernel starts after
 * (setup_sects + 1) sectors.  mkvm enters the kernel through its 64-bit entry
 * point, which needs protocol >= 2.12 (xloadflags XLF_KERNEL_64).
 *
 * Non-goals: zImage (non-LOADED_HIGH) kernels, the 16-bit setup code, ELF
 * vmlinux files, EFI handover.
 */
#include <stdio.h>
#include <string.h>

#include "boot.h"

static uint16_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int bzimage_parse(struct bzimage *bz, const uint8_t *f, size_t size,
		  char *err, size_t errlen)
{
	size_t setup_sects, hdr_end;
	uint16_t vofs;

	memset(bz, 0, sizeof(*bz));
	/* Protocol 2.12 fields reach 0x268 (init_size at 0x260). */
	if (size < 0x268)
		FAIL("not a bzImage (file too small)");
	if (rd16(f + 0x1fe) != 0xaa55)
		FAIL("not a bzImage (no boot sector signature)");
	if (memcmp(f + 0x202, "HdrS", 4))
		FAIL("not a bzImage (no HdrS header)");
	bz->protocol = rd16(f + 0x206);
	if (bz->protocol < 0x020c)
		FAIL("boot protocol %u.%02u too old (need 2.12 for the 64-bit entry)",
		     bz->protocol >> 8, bz->protocol & 0xff);
	if (!(f[0x211] & LOADED_HIGH))
		FAIL("not a bzImage (zImage kernels are not supported)");
	if (!(rd16(f + 0x236) & XLF_KERNEL_64))
		FAIL("kernel has no 64-bit entry point (XLF_KERNEL_64)");

	/* "If setup_sects is 0, the real value is 4" (boot.rst). */
	setup_sects = f[0x1f1] ? f[0x1f1] : 4;
	bz->setup_size = (setup_sects + 1) * 512;
	/* The setup header ends at 0x202 + the byte at 0x201 (boot.rst). */
	hdr_end = 0x202 + f[0x201];
	if (hdr_end > bz->setup_size || hdr_end < 0x268)
		FAIL("not a bzImage (bad setup header length)");
	if (bz->setup_size >= size)
		FAIL("not a bzImage (truncated after the setup code)");

	bz->file = f;
	bz->file_size = size;
	bz->kernel = f + bz->setup_size;
	bz->kernel_size = size - bz->setup_size;
	/* syssize counts 16-byte paragraphs of the protected-mode code. */
	if ((uint64_t)rd32(f + 0x1f4) * 16 > bz->kernel_size)
		FAIL("bzImage truncated (syssize larger than the file)");
	bz->initrd_addr_max = rd32(f + 0x22c);
	bz->cmdline_size = rd32(f + 0x238);
	bz->pref_address = rd64(f + 0x258);
	bz->init_size = rd32(f + 0x260);
	if (bz->init_size < bz->kernel_size)
		FAIL("not a bzImage (init_size smaller than the kernel)");

	vofs = rd16(f + 0x20e);
	if (vofs && (size_t)vofs + 0x200 < bz->setup_size) {
		const char *s = (const char *)f + vofs + 0x200;
		size_t max = bz->setup_size - ((size_t)vofs + 0x200);
		size_t n = strnlen(s, max < sizeof(bz->version) ? max :
				   sizeof(bz->version) - 1);

		memcpy(bz->version, s, n);
		bz->version[n] = 0;
	}
	return 0;
}
