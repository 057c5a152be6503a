// SPDX-License-Identifier: GPL-2.0
/*
 * acpi.c - the ACPI tables that describe the machine to the guest:
 * RSDP -> XSDT -> { FADT -> DSDT, MADT }.
 *
 * Why ACPI and not (only) an MP table: a stock distro kernel has
 * CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES off (Debian 6.1 does), so the only way
 * it discovers virtio-mmio devices is an ACPI device with _HID "LNRO0005"
 * (drivers/virtio/virtio_mmio.c).  And the FADT's HW_REDUCED_ACPI flag makes
 * Linux skip the PIT and the 8259 PIC entirely (arch/x86/kernel/acpi/boot.c,
 * acpi_reduced_hw_init), which is what minikvm needs: it has LAPIC + IOAPIC
 * only.  The MADT describes the vCPUs' local APICs and the IOAPIC, so SMP
 * guests come up.
 *
 * Field offsets are those of the ACPI 6.x specification (5.2 "ACPI System
 * Description Tables"); the AML encoding is chapter 20 ("ACPI Machine
 * Language Specification").
 *
 * Non-goals: _PRT/PCI, power buttons, sleep states other than S5, SRAT/NUMA.
 */
#include <string.h>

#include "boot.h"

#define OEM_ID		"MKVM  "
#define OEM_TABLE	"MKVMBOOT"

static void w16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void w32(uint8_t *p, uint32_t v) { w16(p, v); w16(p + 2, v >> 16); }
static void w64(uint8_t *p, uint64_t v) { w32(p, v); w32(p + 4, v >> 32); }

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* 36-byte System Description Table header (spec 5.2.6). */
static void sdt_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	w32(t + 4, len);
	t[8] = rev;
	t[9] = 0;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE, 8);
	w32(t + 24, 1);
	memcpy(t + 28, "MKVM", 4);
	w32(t + 32, 1);
}

static void sdt_finish(uint8_t *t)
{
	uint32_t len = t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24;

	t[9] = 0;
	t[9] = (uint8_t)(0 - acpi_checksum(t, len));
}

/* Generic Address Structure (spec 5.2.3.2), system I/O space. */
static void gas_io(uint8_t *p, uint16_t port, uint8_t bits)
{
	p[0] = 1;		/* SystemIO */
	p[1] = bits;
	p[2] = 0;
	p[3] = 1;		/* byte access */
	w64(p + 4, port);
}

#define FADT_LEN	276	/* revision 6 */

static uint32_t build_fadt(uint8_t *t, uint64_t dsdt)
{
	memset(t, 0, FADT_LEN);
	sdt_header(t, "FACP", FADT_LEN, 6);
	w32(t + 40, (uint32_t)dsdt);			/* DSDT */
	/*
	 * IAPC_BOOT_ARCH (5.2.9.3): no VGA (bit 2), no MSI (3), no ASPM
	 * control (4), no CMOS RTC (5).  Bit 1 (8042) is clear: Linux then
	 * skips the i8042 probe; the keyboard-controller reset still works.
	 */
	w16(t + 109, 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5);
	/*
	 * Flags (5.2.9, table 5.10): RESET_REG_SUP (10), HW_REDUCED_ACPI
	 * (20); power/sleep buttons are "control methods" (4, 5), i.e. absent.
	 */
	w32(t + 112, 1 << 4 | 1 << 5 | 1 << 10 | 1 << 20);
	gas_io(t + 116, MKVM_CTL_RESET, 8);		/* RESET_REG */
	t[128] = MKVM_CTL_RESET_VALUE;			/* RESET_VALUE */
	t[131] = 0;					/* FADT minor version */
	w64(t + 140, dsdt);				/* X_DSDT */
	gas_io(t + 244, MKVM_CTL_SLEEP_CTL, 8);		/* SLEEP_CONTROL_REG */
	gas_io(t + 256, MKVM_CTL_SLEEP_STS, 8);		/* SLEEP_STATUS_REG */
	memcpy(t + 268, "MKVMMKVM", 8);			/* hypervisor vendor */
	sdt_finish(t);
	return FADT_LEN;
}

static uint32_t build_madt(uint8_t *t, int ncpus)
{
	uint32_t off = 44;

	memset(t, 0, 44);
	w32(t + 36, (uint32_t)LAYOUT_LAPIC);
	w32(t + 40, 0);		/* no PCAT_COMPAT: there is no 8259 to mask */
	for (int i = 0; i < ncpus; i++) {
		uint8_t *e = t + off;

		e[0] = 0;	/* Processor Local APIC */
		e[1] = 8;
		e[2] = i;	/* ACPI processor UID */
		e[3] = i;	/* APIC ID: KVM gives vCPU i APIC ID i */
		w32(e + 4, 1);	/* enabled */
		off += 8;
	}
	{
		uint8_t *e = t + off;

		e[0] = 1;	/* I/O APIC */
		e[1] = 12;
		e[2] = 0;	/* KVM's IOAPIC resets to ID 0 */
		e[3] = 0;
		w32(e + 4, (uint32_t)LAYOUT_IOAPIC);
		w32(e + 8, 0);	/* GSI base: pin n is GSI n */
		off += 12;
	}
	sdt_header(t, "APIC", off, 5);
	sdt_finish(t);
	return off;
}

/*
 * AML PkgLength (spec 20.2.4): `len` is the length of what follows the
 * PkgLength; the encoded value includes the PkgLength bytes themselves.
 */
static size_t aml_pkglen(uint8_t *p, size_t len)
{
	if (len + 1 < 0x40) {
		p[0] = len + 1;
		return 1;
	}
	if (len + 2 < 0x1000) {
		len += 2;
		p[0] = 1 << 6 | (len & 0xf);
		p[1] = len >> 4;
		return 2;
	}
	len += 3;
	p[0] = 2 << 6 | (len & 0xf);
	p[1] = len >> 4;
	p[2] = len >> 12;
	return 3;
}

/* Name(_S5_, Package() { 5, 5 }): SLP_TYPa/b written on poweroff. */
static size_t aml_s5(uint8_t *p)
{
	static const uint8_t s5[] = {
		0x08, '\\', '_', 'S', '5', '_',	/* NameOp \_S5_ */
		0x12, 0x06, 0x02,		/* PackageOp, len 6, 2 elems */
		0x0a, 0x05, 0x0a, 0x05,		/* BytePrefix 5, BytePrefix 5 */
	};

	memcpy(p, s5, sizeof(s5));
	return sizeof(s5);
}

/*
 * Device(VRnn) { Name(_HID, "LNRO0005") Name(_UID, n)
 *   Name(_CRS, ResourceTemplate() { Memory32Fixed(ReadWrite, base, size)
 *     Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive) { gsi } }) }
 * Edge/high because the interrupt is an irqfd: KVM pulses the IOAPIC pin.
 */
static size_t aml_virtio_dev(uint8_t *p, int idx, const struct acpi_virtio_dev *d)
{
	uint8_t body[64], res[32];
	size_t n = 0, r = 0, out = 0;

	/* Resource template (spec 6.4.3.4 and 6.4.3.6). */
	res[r++] = 0x86; res[r++] = 9; res[r++] = 0;	/* Memory32Fixed */
	res[r++] = 1;					/* read-write */
	w32(res + r, (uint32_t)d->base); r += 4;
	w32(res + r, d->size); r += 4;
	res[r++] = 0x89; res[r++] = 6; res[r++] = 0;	/* Extended Interrupt */
	res[r++] = 0x03;			/* consumer, edge, high, excl. */
	res[r++] = 1;
	w32(res + r, d->gsi); r += 4;
	res[r++] = 0x79; res[r++] = 0;			/* End tag */

	memcpy(body + n, "VR", 2);
	body[n + 2] = '0' + idx / 10;
	body[n + 3] = '0' + idx % 10;
	n += 4;
	body[n++] = 0x08; memcpy(body + n, "_HID", 4); n += 4;
	body[n++] = 0x0d; memcpy(body + n, "LNRO0005", 9); n += 9;
	body[n++] = 0x08; memcpy(body + n, "_UID", 4); n += 4;
	body[n++] = 0x0a; body[n++] = idx;
	body[n++] = 0x08; memcpy(body + n, "_CRS", 4); n += 4;
	body[n++] = 0x11;				/* BufferOp */
	n += aml_pkglen(body + n, 2 + r);
	body[n++] = 0x0a; body[n++] = r;		/* BufferSize */
	memcpy(body + n, res, r); n += r;

	p[out++] = 0x5b; p[out++] = 0x82;		/* DeviceOp */
	out += aml_pkglen(p + out, n);
	memcpy(p + out, body, n);
	return out + n;
}

/*
 * Device(COM1) { Name(_HID, "PNP0501") Name(_UID, 0) Name(_CRS,
 *   ResourceTemplate() { IO(Decode16, 0x3f8, 0x3f8, 1, 8)
 *   Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive) { 4 } }) }
 * Needed because a hardware-reduced platform has no legacy ISA IRQs: the
 * UART's IRQ 4 only gets an IOAPIC mapping through this _CRS (8250_pnp).
 */
static size_t aml_com1(uint8_t *p)
{
	uint8_t body[64];
	size_t n = 0, out = 0;
	static const uint8_t res[] = {
		0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,	/* IO */
		0x89, 0x06, 0x00, 0x03, 0x01,			/* Interrupt */
		MKVM_SERIAL_GSI, 0, 0, 0,
		0x79, 0x00,					/* End tag */
	};

	memcpy(body + n, "COM1", 4); n += 4;
	body[n++] = 0x08; memcpy(body + n, "_HID", 4); n += 4;
	body[n++] = 0x0d; memcpy(body + n, "PNP0501", 8); n += 8;
	body[n++] = 0x08; memcpy(body + n, "_UID", 4); n += 4;
	body[n++] = 0x00;					/* ZeroOp */
	body[n++] = 0x08; memcpy(body + n, "_CRS", 4); n += 4;
	body[n++] = 0x11;					/* BufferOp */
	n += aml_pkglen(body + n, 2 + sizeof(res));
	body[n++] = 0x0a; body[n++] = sizeof(res);
	memcpy(body + n, res, sizeof(res)); n += sizeof(res);

	p[out++] = 0x5b; p[out++] = 0x82;			/* DeviceOp */
	out += aml_pkglen(p + out, n);
	memcpy(p + out, body, n);
	return out + n;
}

static uint32_t build_dsdt(uint8_t *t, const struct acpi_config *cfg)
{
	uint8_t devs[MKVM_MAX_VIRTIO * 80 + 80];
	size_t dn = 0, off = 36;

	dn += aml_com1(devs);
	for (int i = 0; i < cfg->nvirtio; i++)
		dn += aml_virtio_dev(devs + dn, i, &cfg->virtio[i]);
	if (dn) {
		t[off++] = 0x10;			/* ScopeOp */
		off += aml_pkglen(t + off, 5 + dn);
		memcpy(t + off, "\\_SB_", 5);
		off += 5;
		memcpy(t + off, devs, dn);
		off += dn;
	}
	off += aml_s5(t + off);
	sdt_header(t, "DSDT", off, 2);
	sdt_finish(t);
	return off;
}

long acpi_build(uint8_t *buf, uint64_t gpa, size_t cap,
		const struct acpi_config *cfg)
{
	size_t rsdp = 0, xsdt = 64, fadt, madt, dsdt, end;
	size_t need = 64 + 64 + FADT_LEN + 16 + 44 + 8 * cfg->ncpus + 12 +
		      16 + 36 + 16 + MKVM_MAX_VIRTIO * 80 + 80 + 32 + 16;

	if (cfg->ncpus < 1 || cfg->ncpus > MKVM_MAX_CPUS ||
	    cfg->nvirtio < 0 || cfg->nvirtio > MKVM_MAX_VIRTIO || cap < need)
		return -1;
	memset(buf, 0, need);

	fadt = xsdt + 64;
	madt = ALIGN_UP(fadt + FADT_LEN, 16);
	dsdt = ALIGN_UP(madt + build_madt(buf + madt, cfg->ncpus), 16);
	end = dsdt + build_dsdt(buf + dsdt, cfg);
	build_fadt(buf + fadt, gpa + dsdt);

	/* XSDT: two 64-bit entries. */
	sdt_header(buf + xsdt, "XSDT", 36 + 16, 1);
	w64(buf + xsdt + 36, gpa + fadt);
	w64(buf + xsdt + 44, gpa + madt);
	sdt_finish(buf + xsdt);

	/* RSDP, ACPI 2.0+ (spec 5.2.5.3). */
	memcpy(buf + rsdp, "RSD PTR ", 8);
	memcpy(buf + rsdp + 9, OEM_ID, 6);
	buf[rsdp + 15] = 2;			/* revision */
	w32(buf + rsdp + 16, 0);		/* no RSDT */
	w32(buf + rsdp + 20, 36);
	w64(buf + rsdp + 24, gpa + xsdt);
	buf[rsdp + 8] = (uint8_t)(0 - acpi_checksum(buf + rsdp, 20));
	buf[rsdp + 32] = (uint8_t)(0 - acpi_checksum(buf + rsdp, 36));
	return (long)end;
}
