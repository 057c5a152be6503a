// SPDX-License-Identifier: GPL-2.0
/*
 * unit.c - host unit tests for mkvm's pure parts: bzImage parser, e820 and
 * boot_params, kernel/initrd placement, ACPI tables (the MADT is what
 * describes CPUs and the IOAPIC; mkvm has no MP table), page tables/GDT,
 * the virtqueue walker against hostile descriptors, the virtio-mmio transport
 * against a misbehaving driver, the CLI, and the cpio writer.
 *
 * No KVM needed: guest memory is a plain buffer.  Prints one line per failed
 * check and ends with "N passed, N failed"; exit status 1 if any failed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "../boot/boot.h"
#include "../cli.h"
#include "../dev/virtio.h"
#include "../initramfs.h"

int passed, failed;
void test_p9(void);

#define CHECK(c) do {							\
	if (c) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: %s\n", __func__, __LINE__, #c);	\
	}								\
} while (0)

/* ---- stubs for what the tested files call into ---------------------- */
int mkvm_verbose;
static int quiet_errors = 1;

void mkvm_err(const char *fmt, ...)
{
	va_list ap;

	if (quiet_errors)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void mkvm_usage_err(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

int vm_irqfd(struct vm *vm, int efd, uint32_t gsi) { (void)vm; (void)efd; (void)gsi; return 0; }
int vm_ioeventfd(struct vm *vm, int efd, uint64_t a, uint32_t l, uint64_t d)
{ (void)vm; (void)efd; (void)a; (void)l; (void)d; return 0; }
int io_add(struct io_handler *h, uint32_t ev) { (void)h; (void)ev; return 0; }

/* ---- bzImage ----------------------------------------------------------- */
static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }

#define IMG_SIZE	0x8000

static uint8_t *fake_bzimage(void)
{
	uint8_t *f = calloc(1, IMG_SIZE);

	f[0x1f1] = 4;				/* setup_sects */
	put32(f + 0x1f4, (IMG_SIZE - 5 * 512) / 16);	/* syssize */
	put16(f + 0x1fe, 0xaa55);
	f[0x201] = 0x6a;			/* header ends at 0x26c */
	memcpy(f + 0x202, "HdrS", 4);
	put16(f + 0x206, 0x020f);
	put16(f + 0x20e, 0x100);		/* version string at 0x300 */
	strcpy((char *)f + 0x300, "6.1.0-test (me@example) #1 SMP");
	f[0x211] = LOADED_HIGH;
	put32(f + 0x22c, 0x7fffffff);		/* initrd_addr_max */
	put32(f + 0x238, 2047);			/* cmdline_size */
	put16(f + 0x236, XLF_KERNEL_64);
	put32(f + 0x260, 16 << 20);		/* init_size */
	return f;
}

static int parse(const uint8_t *f, size_t n, struct bzimage *bz, char *err)
{
	return bzimage_parse(bz, f, n, err, 128);
}

static void test_bzimage(void)
{
	struct bzimage bz;
	char err[128];
	uint8_t *f = fake_bzimage();

	CHECK(parse(f, IMG_SIZE, &bz, err) == 0);
	CHECK(bz.setup_size == 5 * 512);
	CHECK(bz.kernel == f + 5 * 512);
	CHECK(bz.kernel_size == IMG_SIZE - 5 * 512);
	CHECK(bz.protocol == 0x020f);
	CHECK(bz.init_size == 16 << 20);
	CHECK(bz.cmdline_size == 2047);
	CHECK(!strcmp(bz.version, "6.1.0-test (me@example) #1 SMP"));

	CHECK(parse(f, 0x200, &bz, err) == -1 && strstr(err, "too small"));
	f[0x1fe] = 0;
	CHECK(parse(f, IMG_SIZE, &bz, err) == -1 && strstr(err, "signature"));
	f[0x1fe] = 0x55;
	f[0x202] = 'X';
	CHECK(parse(f, IMG_SIZE, &bz, err) == -1 && strstr(err, "HdrS"));
	f[0x202] = 'H';
	put16(f + 0x206, 0x0209);
	CHECK(parse(f, IMG_SIZE, &bz, err) == -1 && strstr(err, "too old"));
	put16(f + 0x206, 0x020f);
	put16(f + 0x236, 0);
	CHECK(parse(f, IMG_SIZE, &bz, err) == -1 && strstr(err, "64-bit"));
	put16(f + 0x236, XLF_KERNEL_64);
	f[0x211] = 0;
	CHECK(parse(f, IMG_SIZE, &bz, err) == -1 && strstr(err, "zImage"));
	f[0x211] = LOADED_HIGH;
	put32(f + 0x1f4, IMG_SIZE);		/* syssize past EOF */
	CHECK(parse(f, IMG_SIZE, &bz, err) == -1 && strstr(err, "truncated"));
	put32(f + 0x1f4, 16);
	f[0x1f1] = 0xff;			/* setup longer than the file */
	CHECK(parse(f, IMG_SIZE, &bz, err) == -1);
	f[0x1f1] = 0;				/* 0 means 4 */
	CHECK(parse(f, IMG_SIZE, &bz, err) == 0 && bz.setup_size == 5 * 512);
	f[0x201] = 0x10;			/* header too short for 2.12 */
	CHECK(parse(f, IMG_SIZE, &bz, err) == -1);
	free(f);
}

/* A real kernel, when the machine has one (Debian's linux-image). */
static void test_real_bzimage(void)
{
	FILE *p = popen("ls /boot/vmlinuz-* 2>/dev/null | head -1", "r");
	char path[256] = "", err[128];
	struct bzimage bz;
	uint8_t *buf;
	struct stat st;
	FILE *f;

	if (p) {
		if (!fgets(path, sizeof(path), p))
			path[0] = 0;
		pclose(p);
	}
	path[strcspn(path, "\n")] = 0;
	if (!path[0] || stat(path, &st) || !(f = fopen(path, "rb"))) {
		printf("skip: no readable /boot/vmlinuz-*\n");
		return;
	}
	buf = malloc(st.st_size);
	CHECK(fread(buf, 1, st.st_size, f) == (size_t)st.st_size);
	fclose(f);
	CHECK(parse(buf, st.st_size, &bz, err) == 0);
	CHECK(bz.version[0] != 0 && strchr(bz.version, ' '));
	CHECK(bz.init_size >= bz.kernel_size);
	free(buf);
}

/* ---- e820, layout, boot_params ------------------------------------------ */
static int e820_sane(const struct boot_e820_entry *e, int n)
{
	for (int i = 1; i < n; i++)
		if (e[i].addr < e[i - 1].addr + e[i - 1].size)
			return 0;
	return 1;
}

static void test_e820(void)
{
	struct boot_e820_entry e[16];
	struct guest_mem m;
	int n;

	n = e820_build(e, 16, 512 * MiB);
	CHECK(n == 4);
	CHECK(e[0].addr == 0 && e[0].size == LAYOUT_EBDA && e[0].type == 1);
	CHECK(e[1].type == 2 && e[2].type == 2 && e[2].addr == LAYOUT_ACPI);
	CHECK(e[3].addr == 1 * MiB && e[3].addr + e[3].size == 512 * MiB &&
	      e[3].type == 1);
	CHECK(e820_sane(e, n));

	n = e820_build(e, 16, 5 * GiB);
	CHECK(n == 5);
	CHECK(e[3].addr + e[3].size == LAYOUT_MMIO_HOLE);
	CHECK(e[4].addr == 4 * GiB && e[4].size == 2 * GiB && e[4].type == 1);
	CHECK(e820_sane(e, n));
	CHECK(e820_build(e, 2, 5 * GiB) == 2);	/* capacity respected */

	guest_mem_layout(&m, 512 * MiB, NULL);
	CHECK(m.nr == 1 && m.r[0].size == 512 * MiB);
	guest_mem_layout(&m, 5 * GiB, (uint8_t *)0x10000000);
	CHECK(m.nr == 2 && m.r[0].size == 3 * GiB && m.r[1].gpa == 4 * GiB &&
	      m.r[1].size == 2 * GiB &&
	      m.r[1].hva == (uint8_t *)0x10000000 + 3 * GiB);
}

static void test_layout_and_params(void)
{
	uint8_t *f = fake_bzimage();
	struct boot_layout l;
	struct boot_params *bp = calloc(1, sizeof(*bp));
	struct bzimage bz;
	char err[128];

	CHECK(parse(f, IMG_SIZE, &bz, err) == 0);
	CHECK(boot_layout_plan(&l, &bz, 128 * MiB, 0) == 0);
	CHECK(l.kernel_addr == LAYOUT_KERNEL && l.kernel_end >= LAYOUT_KERNEL + (16 << 20));
	CHECK(l.initrd_size == 0);
	CHECK(boot_layout_plan(&l, &bz, 128 * MiB, 5 * MiB + 3) == 0);
	CHECK(l.initrd_addr % 4096 == 0 && l.initrd_addr >= l.kernel_end);
	CHECK(l.initrd_addr + l.initrd_size <= 128 * MiB);
	/* Too little memory for init_size, or for the initrd. */
	CHECK(boot_layout_plan(&l, &bz, 16 * MiB, 0) == -1);
	CHECK(boot_layout_plan(&l, &bz, 64 * MiB, 60 * MiB) == -1);
	/* initrd_addr_max caps the placement even with lots of RAM. */
	put32(f + 0x22c, 0x37ffffff);
	CHECK(parse(f, IMG_SIZE, &bz, err) == 0);
	CHECK(boot_layout_plan(&l, &bz, 2 * GiB, MiB) == 0);
	CHECK(l.initrd_addr + l.initrd_size <= 0x38000000ULL);

	CHECK(boot_params_build(bp, &bz, &l, 2 * GiB, LAYOUT_CMDLINE, 100) == 0);
	CHECK(bp->hdr.boot_flag == 0xaa55 && bp->hdr.header == 0x53726448);
	CHECK(bp->hdr.type_of_loader == 0xff);
	CHECK(bp->hdr.loadflags & CAN_USE_HEAP);
	CHECK(bp->hdr.cmd_line_ptr == LAYOUT_CMDLINE);
	CHECK(bp->hdr.ramdisk_image == l.initrd_addr && bp->hdr.ramdisk_size == MiB);
	CHECK(bp->acpi_rsdp_addr == LAYOUT_ACPI);
	CHECK(bp->e820_entries == 4);
	CHECK(boot_params_build(bp, &bz, &l, 2 * GiB, LAYOUT_CMDLINE, 4096) == -1);
	free(bp);
	free(f);
}

/* ---- ACPI ---------------------------------------------------------------- */
static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int count_str(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s);
	int c = 0;

	for (size_t i = 0; i + l <= n; i++)
		if (!memcmp(p + i, s, l))
			c++;
	return c;
}

static void test_acpi(void)
{
	static uint8_t buf[0x20000];
	const uint64_t gpa = LAYOUT_ACPI;
	struct acpi_config cfg = { .ncpus = 2, .nvirtio = 3 };
	uint8_t *xsdt, *fadt, *madt, *dsdt;
	long len;
	int lapics = 0, ioapics = 0;

	for (int i = 0; i < 3; i++) {
		cfg.virtio[i].base = LAYOUT_VIRTIO_MMIO + i * 0x1000;
		cfg.virtio[i].size = 0x200;
		cfg.virtio[i].gsi = 16 + i;
	}
	len = acpi_build(buf, gpa, sizeof(buf), &cfg);
	CHECK(len > 0 && len < (long)(LAYOUT_ACPI_END - LAYOUT_ACPI));
	CHECK(!memcmp(buf, "RSD PTR ", 8));
	CHECK(acpi_checksum(buf, 20) == 0 && acpi_checksum(buf, 36) == 0);
	CHECK(buf[15] == 2);
	xsdt = buf + (rd64(buf + 24) - gpa);
	CHECK(!memcmp(xsdt, "XSDT", 4) && acpi_checksum(xsdt, rd32(xsdt + 4)) == 0);
	CHECK(rd32(xsdt + 4) == 36 + 16);
	fadt = buf + (rd64(xsdt + 36) - gpa);
	madt = buf + (rd64(xsdt + 44) - gpa);
	CHECK(!memcmp(fadt, "FACP", 4) && rd32(fadt + 4) == 276 && fadt[8] == 6);
	CHECK(acpi_checksum(fadt, 276) == 0);
	CHECK(rd32(fadt + 112) & (1u << 20));		/* HW_REDUCED_ACPI */
	CHECK(fadt[244] == 1 && rd64(fadt + 248) == MKVM_CTL_SLEEP_CTL);
	CHECK(rd64(fadt + 120) == MKVM_CTL_RESET && fadt[128] == MKVM_CTL_RESET_VALUE);
	dsdt = buf + (rd64(fadt + 140) - gpa);
	CHECK(rd32(fadt + 40) == rd64(fadt + 140));
	CHECK(!memcmp(dsdt, "DSDT", 4) && acpi_checksum(dsdt, rd32(dsdt + 4)) == 0);
	CHECK(count_str(dsdt, rd32(dsdt + 4), "LNRO0005") == 3);
	CHECK(count_str(dsdt, rd32(dsdt + 4), "PNP0501") == 1);
	CHECK(count_str(dsdt, rd32(dsdt + 4), "_S5_") == 1);
	/* The Scope's PkgLength covers exactly the devices before _S5_. */
	{
		const uint8_t *s = dsdt + 36;
		uint32_t pl;

		CHECK(s[0] == 0x10);
		CHECK((s[1] >> 6) == 1);		/* 2-byte PkgLength */
		pl = (s[1] & 0xf) | s[2] << 4;
		CHECK(s + 1 + pl == dsdt + rd32(dsdt + 4) - 13);
	}
	CHECK(!memcmp(madt, "APIC", 4) && acpi_checksum(madt, rd32(madt + 4)) == 0);
	CHECK(rd32(madt + 36) == LAYOUT_LAPIC);
	for (uint32_t off = 44; off < rd32(madt + 4); off += madt[off + 1]) {
		if (madt[off] == 0) {
			CHECK(madt[off + 3] == lapics && (rd32(madt + off + 4) & 1));
			lapics++;
		} else if (madt[off] == 1) {
			CHECK(rd32(madt + off + 4) == LAYOUT_IOAPIC);
			CHECK(rd32(madt + off + 8) == 0);
			ioapics++;
		}
		if (!madt[off + 1])
			break;
	}
	CHECK(lapics == 2 && ioapics == 1);

	cfg.ncpus = MKVM_MAX_CPUS;
	cfg.nvirtio = MKVM_MAX_VIRTIO;
	for (int i = 0; i < MKVM_MAX_VIRTIO; i++)
		cfg.virtio[i] = cfg.virtio[0];
	len = acpi_build(buf, gpa, sizeof(buf), &cfg);
	CHECK(len > 0 && len < (long)(LAYOUT_ACPI_END - LAYOUT_ACPI));
	dsdt = buf + (rd64(buf + 24) - gpa);	/* XSDT, then FADT -> DSDT */
	fadt = buf + (rd64(dsdt + 36) - gpa);
	dsdt = buf + (rd64(fadt + 140) - gpa);
	CHECK(acpi_checksum(dsdt, rd32(dsdt + 4)) == 0);
	CHECK(count_str(dsdt, rd32(dsdt + 4), "LNRO0005") == MKVM_MAX_VIRTIO);
	cfg.ncpus = 0;
	CHECK(acpi_build(buf, gpa, sizeof(buf), &cfg) == -1);
	cfg.ncpus = MKVM_MAX_CPUS + 1;
	CHECK(acpi_build(buf, gpa, sizeof(buf), &cfg) == -1);
	cfg.ncpus = 1;
	CHECK(acpi_build(buf, gpa, 100, &cfg) == -1);
}

/* ---- page tables, GDT ------------------------------------------------- */
static void test_pagetables(void)
{
	uint8_t *low = calloc(1, 0x20000);
	uint64_t e;

	pagetables_build(low);
	gdt_build(low);
	memcpy(&e, low + LAYOUT_PML4, 8);
	CHECK(e == (LAYOUT_PDPT | 3));
	memcpy(&e, low + LAYOUT_PDPT + 3 * 8, 8);
	CHECK(e == ((LAYOUT_PD + 3 * 4096) | 3));
	memcpy(&e, low + LAYOUT_PD + 5 * 8, 8);
	CHECK(e == (5 * 2 * MiB | 0x83));
	memcpy(&e, low + LAYOUT_PD + 3 * 4096 + 511 * 8, 8);
	CHECK(e == ((4 * GiB - 2 * MiB) | 0x83));
	memcpy(&e, low + LAYOUT_GDT + BOOT_CS, 8);
	CHECK(e == 0x00af9b000000ffffULL);
	memcpy(&e, low + LAYOUT_GDT + BOOT_DS, 8);
	CHECK(e == 0x00cf93000000ffffULL);
	free(low);
}

/* ---- virtqueues ----------------------------------------------------------- */
#define RAM	(1 * MiB)
static uint8_t *ram;
static struct guest_mem gm;

enum { DESC = 0x1000, AVAIL = 0x2000, USED = 0x3000, NUM = 8 };

static struct vring_desc *D(int i) { return (struct vring_desc *)(ram + DESC) + i; }
static struct vring_avail *A(void) { return (struct vring_avail *)(ram + AVAIL); }
static struct vring_used *U(void) { return (struct vring_used *)(ram + USED); }

static void q_init(struct virtq *q)
{
	const char *why;

	memset(ram, 0, RAM);
	virtq_reset(q);
	q->num = NUM;
	q->desc_gpa = DESC;
	q->avail_gpa = AVAIL;
	q->used_gpa = USED;
	CHECK(virtq_enable(q, &gm, &why) == 0);
}

static void desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	D(i)->addr = addr;
	D(i)->len = len;
	D(i)->flags = flags;
	D(i)->next = next;
}

static void offer(uint16_t head)
{
	A()->ring[A()->idx % NUM] = head;
	A()->idx++;
}

static int pop_why(struct virtq *q, struct virtq_chain *c, const char *want)
{
	const char *why = NULL;
	int r = virtq_pop(q, &gm, c, &why);

	if (r == -1 && want && (!why || !strstr(why, want))) {
		printf("  reason was '%s', wanted '%s'\n", why ? why : "(none)", want);
		return -2;
	}
	return r;
}

static void test_virtq(void)
{
	static struct virtq_chain c;
	struct virtq q;
	const char *why;
	char buf[64];

	ram = calloc(1, RAM);
	guest_mem_layout(&gm, RAM, ram);

	/* Normal: empty, then a 3-descriptor chain, then push. */
	q_init(&q);
	CHECK(pop_why(&q, &c, NULL) == 0);
	desc(0, 0x10000, 16, VRING_DESC_F_NEXT, 1);
	desc(1, 0x20000, 512, VRING_DESC_F_NEXT, 2);
	desc(2, 0x30000, 1, VRING_DESC_F_WRITE, 0);
	offer(0);
	CHECK(pop_why(&q, &c, NULL) == 1);
	CHECK(c.head == 0 && c.nr_out == 2 && c.nr_in == 1);
	CHECK(c.out_len == 528 && c.in_len == 1);
	CHECK(c.out[1].iov_base == ram + 0x20000 && c.in[0].iov_base == ram + 0x30000);
	CHECK(pop_why(&q, &c, NULL) == 0);
	virtq_push(&q, 0, 1);
	CHECK(U()->idx == 1 && U()->ring[0].id == 0 && U()->ring[0].len == 1);

	/* A chain as long as the queue is fine... */
	q_init(&q);
	for (int i = 0; i < NUM; i++)
		desc(i, 0x10000 + i * 16, 16, i < NUM - 1 ? VRING_DESC_F_NEXT : 0, i + 1);
	offer(0);
	CHECK(pop_why(&q, &c, NULL) == 1 && c.nr_out == NUM);

	/* ...a loop is not. */
	q_init(&q);
	desc(0, 0x10000, 16, VRING_DESC_F_NEXT, 1);
	desc(1, 0x10000, 16, VRING_DESC_F_NEXT, 0);
	offer(0);
	CHECK(pop_why(&q, &c, "loop") == -1);
	q_init(&q);
	desc(3, 0x10000, 16, VRING_DESC_F_NEXT, 3);	/* self loop */
	offer(3);
	CHECK(pop_why(&q, &c, "loop") == -1);

	/* Addresses outside RAM, huge lengths, wrap-around. */
	q_init(&q);
	desc(0, RAM, 16, 0, 0);
	offer(0);
	CHECK(pop_why(&q, &c, "outside") == -1);
	q_init(&q);
	desc(0, 0x10000, 0xffffffff, VRING_DESC_F_WRITE, 0);
	offer(0);
	CHECK(pop_why(&q, &c, NULL) == -1);
	q_init(&q);
	desc(0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
	offer(0);
	CHECK(pop_why(&q, &c, "outside") == -1);
	q_init(&q);
	desc(0, RAM - 8, 16, 0, 0);			/* straddles the end */
	offer(0);
	CHECK(pop_why(&q, &c, "outside") == -1);
	/* The same large buffer many times: total size cap. */
	{
		uint8_t *big = calloc(1, 256 * MiB + 4096);
		struct guest_mem bm;
		struct virtq bq;

		guest_mem_layout(&bm, 256 * MiB, big);
		virtq_reset(&bq);
		bq.num = NUM;
		bq.desc_gpa = DESC;
		bq.avail_gpa = AVAIL;
		bq.used_gpa = USED;
		CHECK(virtq_enable(&bq, &bm, &why) == 0);
		for (int i = 0; i < 4; i++) {
			struct vring_desc *d = (struct vring_desc *)(big + DESC) + i;

			d->addr = 0;
			d->len = 128 * MiB;
			d->flags = i < 3 ? VRING_DESC_F_NEXT : 0;
			d->next = i + 1;
		}
		((struct vring_avail *)(big + AVAIL))->ring[0] = 0;
		((struct vring_avail *)(big + AVAIL))->idx = 1;
		CHECK(virtq_pop(&bq, &bm, &c, &why) == -1 && strstr(why, "too large"));
		free(big);
	}

	/* Bad indices. */
	q_init(&q);
	offer(NUM);					/* head out of range */
	CHECK(pop_why(&q, &c, "out of range") == -1);
	q_init(&q);
	desc(0, 0x10000, 16, VRING_DESC_F_NEXT, NUM + 5);
	offer(0);
	CHECK(pop_why(&q, &c, "next") == -1);
	q_init(&q);
	A()->idx = NUM + 1;				/* claims 9 of 8 entries */
	CHECK(pop_why(&q, &c, "ran ahead") == -1);

	/* Ordering and flags. */
	q_init(&q);
	desc(0, 0x10000, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	desc(1, 0x20000, 16, 0, 0);
	offer(0);
	CHECK(pop_why(&q, &c, "after a writable") == -1);
	q_init(&q);
	desc(0, 0x10000, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	CHECK(pop_why(&q, &c, "indirect") == -1);

	/* Queue setup checks. */
	virtq_reset(&q);
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	q.num = 3;
	CHECK(virtq_enable(&q, &gm, &why) == -1);
	q.num = 0;
	CHECK(virtq_enable(&q, &gm, &why) == -1);
	q.num = 512;
	CHECK(virtq_enable(&q, &gm, &why) == -1);
	q.num = 8;
	q.desc_gpa = DESC + 8;
	CHECK(virtq_enable(&q, &gm, &why) == -1 && strstr(why, "misaligned"));
	q.desc_gpa = RAM - 64;
	CHECK(virtq_enable(&q, &gm, &why) == -1 && strstr(why, "outside"));
	q.desc_gpa = DESC;
	q.used_gpa = USED + 2;
	CHECK(virtq_enable(&q, &gm, &why) == -1);

	/* Index wrap-around at 65535 -> 0 keeps working. */
	q_init(&q);
	q.last_avail = 0xffff;
	A()->idx = 0xffff;
	desc(0, 0x10000, 16, 0, 0);
	offer(0);
	CHECK(A()->idx == 0);
	CHECK(pop_why(&q, &c, NULL) == 1 && q.last_avail == 0);

	/* iov helpers */
	{
		struct iovec v[3] = {
			{ ram + 0x100, 4 }, { ram + 0x200, 4 }, { ram + 0x300, 4 },
		};
		struct iovec s[3];
		int n;

		memcpy(ram + 0x100, "abcd", 4);
		memcpy(ram + 0x200, "efgh", 4);
		memcpy(ram + 0x300, "ijkl", 4);
		CHECK(iov_to_buf(v, 3, 2, buf, 7) == 7 && !memcmp(buf, "cdefghi", 7));
		CHECK(iov_to_buf(v, 3, 10, buf, 7) == 2);
		CHECK(iov_from_buf(v, 3, 3, "XYZ", 3) == 3 && !memcmp(ram + 0x200, "YZgh", 4));
		n = iov_slice(v, 3, 3, 6, s, 3);
		CHECK(n == 3 && s[0].iov_len == 1 && s[1].iov_len == 4 && s[2].iov_len == 1);
		CHECK(iov_slice(v, 3, 0, 12, s, 2) == -1);
	}
}

/* ---- virtio-mmio transport with a misbehaving driver ------------------- */
static int notified;

static void t_notify(struct virtio_dev *d, int q) { (void)d; (void)q; notified++; }

static const struct virtio_dev_ops t_ops = {
	.name = "test", .device_id = 4, .nqueues = 1, .notify = t_notify,
};

static uint32_t mr(struct virtio_dev *d, uint32_t off)
{
	uint32_t v = 0;

	virtio_mmio_access(d, off, (uint8_t *)&v, 4, false);
	return v;
}

static void mw(struct virtio_dev *d, uint32_t off, uint32_t v)
{
	virtio_mmio_access(d, off, (uint8_t *)&v, 4, true);
}

static void test_virtio_mmio(void)
{
	static struct vm vm;
	static struct virtio_dev d;

	guest_mem_layout(&vm.mem, RAM, ram);
	CHECK(virtio_mmio_add(&vm, &d, &t_ops, 0, NULL) == 0);
	CHECK(mr(&d, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976);
	CHECK(mr(&d, VIRTIO_MMIO_VERSION) == 2);
	CHECK(mr(&d, VIRTIO_MMIO_DEVICE_ID) == 4);
	mw(&d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK(mr(&d, VIRTIO_MMIO_DEVICE_FEATURES) == 1);	/* VERSION_1 */

	/* Features we did not offer: FEATURES_OK does not stick. */
	mw(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mw(&d, VIRTIO_MMIO_DRIVER_FEATURES, 1 << 28);
	mw(&d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(mr(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK));
	/* Legacy (no VERSION_1) refused too. */
	mw(&d, VIRTIO_MMIO_STATUS, 0);
	mw(&d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(mr(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK));

	/* Proper negotiation. */
	mw(&d, VIRTIO_MMIO_STATUS, 0);
	mw(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mw(&d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mw(&d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(mr(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);

	/* Nonexistent queue: QueueNumMax 0, writes ignored. */
	mw(&d, VIRTIO_MMIO_QUEUE_SEL, 7);
	CHECK(mr(&d, VIRTIO_MMIO_QUEUE_NUM_MAX) == 0);
	mw(&d, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(mr(&d, VIRTIO_MMIO_QUEUE_READY) == 0);

	/* Queue size above the maximum: device broken, not crashed. */
	mw(&d, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK(mr(&d, VIRTIO_MMIO_QUEUE_NUM_MAX) == VIRTQ_NUM_MAX);
	mw(&d, VIRTIO_MMIO_QUEUE_NUM, 100000);
	mw(&d, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(d.broken && mr(&d, VIRTIO_MMIO_QUEUE_READY) == 0);
	CHECK(mr(&d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK(mr(&d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	mw(&d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	CHECK(mr(&d, VIRTIO_MMIO_INTERRUPT_STATUS) == 0);

	/* Reset recovers; rings outside RAM break it again. */
	mw(&d, VIRTIO_MMIO_STATUS, 0);
	CHECK(!d.broken && mr(&d, VIRTIO_MMIO_STATUS) == 0);
	mw(&d, VIRTIO_MMIO_QUEUE_NUM, 8);
	mw(&d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
	mw(&d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x100);		/* 1 TiB */
	mw(&d, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(d.broken);

	/* A working queue; notify only reaches the device once DRIVER_OK. */
	mw(&d, VIRTIO_MMIO_STATUS, 0);
	mw(&d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mw(&d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mw(&d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_FEATURES_OK);
	mw(&d, VIRTIO_MMIO_QUEUE_NUM, 8);
	mw(&d, VIRTIO_MMIO_QUEUE_DESC_LOW, DESC);
	mw(&d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL);
	mw(&d, VIRTIO_MMIO_QUEUE_USED_LOW, USED);
	mw(&d, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(!d.broken && mr(&d, VIRTIO_MMIO_QUEUE_READY) == 1);
	/* Live queue registers are read-only. */
	mw(&d, VIRTIO_MMIO_QUEUE_NUM, 256);
	CHECK(d.vq[0].num == 8);
	mw(&d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(notified == 0);
	mw(&d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_FEATURES_OK |
	   VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK(notified == 1);		/* DRIVER_OK serves the early kick */
	mw(&d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	mw(&d, VIRTIO_MMIO_QUEUE_NOTIFY, 5);			/* no such queue */
	CHECK(notified == 2);
	/* Odd-sized register accesses are ignored, reads give 0. */
	{
		uint8_t b = 0xaa;

		virtio_mmio_access(&d, VIRTIO_MMIO_MAGIC_VALUE, &b, 1, false);
		CHECK(b == 0);
	}
	/* A hostile chain through virtio_pop: broken, not crashed. */
	memset(ram + DESC, 0, 0x3000);
	desc(0, 0x10000, 16, VRING_DESC_F_NEXT, 0);
	offer(0);
	{
		static struct virtq_chain c;

		CHECK(virtio_pop(&d, 0, &c) == 0 && d.broken);
		CHECK(virtio_pop(&d, 0, &c) == 0);
	}
}

/* ---- CLI --------------------------------------------------------------- */
static int cli(struct mkvm_opts *o, const char *line)
{
	static char store[1024];
	char *argv[64], err[256];
	int argc = 0;

	snprintf(store, sizeof(store), "%s", line);
	for (char *t = strtok(store, " "); t && argc < 63; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return cli_parse(argc, argv, o, err, sizeof(err));
}

static void test_cli(void)
{
	struct mkvm_opts o;
	uint64_t v;

	CHECK(parse_size("512M", &v) == 0 && v == 512 * MiB);
	CHECK(parse_size("1G", &v) == 0 && v == GiB);
	CHECK(parse_size("2GiB", &v) == 0 && v == 2 * GiB);
	CHECK(parse_size("64", &v) == 0 && v == 64 * MiB);
	CHECK(parse_size("65536k", &v) == 0 && v == 64 * MiB);
	CHECK(parse_size("12Q", &v) == -1);
	CHECK(parse_size("", &v) == -1);
	CHECK(parse_size("-5M", &v) == -1);
	CHECK(parse_size("99999999999999999999G", &v) == -1);
	CHECK(parse_size("99999999999T", &v) == -1);

	CHECK(cli(&o, "mkvm run --kernel K -- /bin/sh -c x") == 0);
	CHECK(!strcmp(o.kernel, "K") && o.cmd && !strcmp(o.cmd[0], "/bin/sh") &&
	      !strcmp(o.cmd[2], "x") && !o.cmd[3]);
	CHECK(o.mem == 512 * MiB && o.cpus == 1);
	CHECK(cli(&o, "mkvm run -k K -m 1G -c 4 -d a.img -d b.img,ro -t 30 -q") == 0);
	CHECK(o.mem == GiB && o.cpus == 4 && o.ndisks == 2 && !o.disks[0].ro &&
	      o.disks[1].ro && !strcmp(o.disks[1].path, "b.img") &&
	      o.timeout == 30 && o.quiet && !o.cmd);
	CHECK(cli(&o, "mkvm run -k K --net tap") == 0 && o.net && !o.net_ifname);
	CHECK(cli(&o, "mkvm run -k K --net tap=t0,bridge=br0") == 0 &&
	      !strcmp(o.net_ifname, "t0") && !strcmp(o.net_bridge, "br0"));
	CHECK(cli(&o, "mkvm run -k K --net user") == 0 && o.net && o.net_user &&
	      o.nfwd == 0);
	CHECK(cli(&o, "mkvm run -k K --net user,hostfwd=tcp::2222-:22,"
		  "hostfwd=udp:127.0.0.1:53-10.0.2.16:5353") == 0 && o.nfwd == 2 &&
	      !o.fwd[0].udp && o.fwd[0].host_port == 2222 &&
	      o.fwd[0].host_addr.s_addr == 0 && o.fwd[0].guest_port == 22 &&
	      o.fwd[0].guest_addr.s_addr == htonl(0x0a00020f) &&
	      o.fwd[1].udp && o.fwd[1].host_addr.s_addr == htonl(0x7f000001) &&
	      o.fwd[1].guest_addr.s_addr == htonl(0x0a000210) &&
	      o.fwd[1].guest_port == 5353);
	CHECK(cli(&o, "mkvm run -k K --net user,hostfwd=tcp::0-:22") == -1);
	CHECK(cli(&o, "mkvm run -k K --net user,hostfwd=tcp::99999-:22") == -1);
	CHECK(cli(&o, "mkvm run -k K --net user,hostfwd=sctp::1-:2") == -1);
	CHECK(cli(&o, "mkvm run -k K --net user,hostfwd=tcp:1.2.3:1-:2") == -1);
	CHECK(cli(&o, "mkvm run -k K --net user,hostfwd=tcp::1-:") == -1);
	CHECK(cli(&o, "mkvm run -k K --net user,hostfwd=tcp::1:2") == -1);
	CHECK(cli(&o, "mkvm run -k K --net user,bridge=br0") == -1);
	CHECK(cli(&o, "mkvm run -k K --net user --net tap") == -1);
	CHECK(cli(&o, "mkvm run -k K --net bogus") == -1);
	CHECK(cli(&o, "mkvm run -k K --net tap,bridge=") == -1);
	CHECK(cli(&o, "mkvm run -k K --mem 16M") == -1);
	CHECK(cli(&o, "mkvm run -k K --mem lots") == -1);
	CHECK(cli(&o, "mkvm run -k K --cpus 0") == -1);
	CHECK(cli(&o, "mkvm run -k K --cpus 65") == -1);
	CHECK(cli(&o, "mkvm run -k K --timeout 0") == -1);
	CHECK(cli(&o, "mkvm run -k K --bogus") == -1);
	CHECK(cli(&o, "mkvm run --kernel") == -1);
	CHECK(cli(&o, "mkvm run -c 2") == -1);			/* no kernel */
	CHECK(cli(&o, "mkvm run -k K stray") == -1);
	CHECK(cli(&o, "mkvm frobnicate") == -1);
	CHECK(cli(&o, "mkvm") == -1);
	CHECK(cli(&o, "mkvm run -k K -m 100M") == 0 && o.mem == 100 * MiB);
	CHECK(cli(&o, "mkvm run -k K -m 101M") == 0 && o.mem == 102 * MiB);

	/* Shares: tags, mount points, limits. */
	CHECK(cli(&o, "mkvm run -k K --share /a --share /b,ro --share /c,tag=x") == 0);
	CHECK(o.nshares == 3 && !strcmp(o.shares[0].tag, "share") &&
	      !strcmp(o.shares[0].mnt, "/share") && !o.shares[0].ro &&
	      !strcmp(o.shares[1].tag, "share1") &&
	      !strcmp(o.shares[1].mnt, "/mnt/share1") && o.shares[1].ro &&
	      !strcmp(o.shares[2].tag, "x") && !strcmp(o.shares[2].mnt, "/mnt/x"));
	CHECK(cli(&o, "mkvm run -k K --rw /out --root / -e A=1 --cwd /w") == 0);
	CHECK(o.nshares == 2 && !strcmp(o.shares[0].tag, "mkvm-root") &&
	      !strcmp(o.shares[0].mnt, "/") && o.shares[0].ro &&
	      !strcmp(o.shares[0].path, "/") &&
	      !strcmp(o.shares[1].mnt, "/out") && !o.shares[1].ro &&
	      !strcmp(o.shares[1].tag, "mkvm-rw0") && o.nenv == 1 &&
	      !strcmp(o.cwd, "/w"));
	CHECK(cli(&o, "mkvm run -k K --rw /out/") == 0 &&
	      !strcmp(o.shares[0].mnt, "/out"));
	CHECK(cli(&o, "mkvm run -k K --share /a,tag=a/b") == -1);
	CHECK(cli(&o, "mkvm run -k K --share /a,tag=") == -1);
	CHECK(cli(&o, "mkvm run -k K --share /a,tag=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") == -1);
	CHECK(cli(&o, "mkvm run -k K --share /a,rx") == -1);
	CHECK(cli(&o, "mkvm run -k K --share /a,tag=t --share /b,tag=t") == -1);
	CHECK(cli(&o, "mkvm run -k K --share /a --copy /b") == -1);
	CHECK(cli(&o, "mkvm run -k K --share /a,tag=t --copy /b") == 0);
	CHECK(cli(&o, "mkvm run -k K --share a --share b --share c --share d --share e") == -1);
	CHECK(cli(&o, "mkvm run -k K --root / --root /") == -1);
	CHECK(cli(&o, "mkvm run -k K --rw /") == -1);
	CHECK(cli(&o, "mkvm run -k K --cwd rel") == -1);
	CHECK(cli(&o, "mkvm run -k K --env NOEQ") == -1);
	CHECK(cli(&o, "mkvm run -k K --env =v") == -1);
	/* console + rng + 4 disks + net + 2 shares > 8 GSIs */
	CHECK(cli(&o, "mkvm run -k K -d a -d b -d c -d d --net tap --share /a --share /b") == -1);
	CHECK(strstr(cli_kconfig, "CONFIG_9P_FS=y\n") &&
	      strstr(cli_kconfig, "CONFIG_NET_9P_VIRTIO=y\n") &&
	      strstr(cli_kconfig, "CONFIG_OVERLAY_FS=y\n") &&
	      strstr(cli_kconfig, "CONFIG_VIRTIO_MMIO=y\n"));
}

/* ---- cpio ----------------------------------------------------------------- */
static void test_cpio(void)
{
	char dir[] = "/tmp/mkvm-unit.XXXXXX", path[1024];
	struct cpio c;
	FILE *f;
	int n;

	cpio_init(&c);
	cpio_dir(&c, "dev", 0755);
	cpio_file(&c, "hello", 0644, "hi!", 3);
	cpio_trailer(&c);
	CHECK(!c.failed && c.len % 4 == 0);
	CHECK(!memcmp(c.buf, "070701", 6));
	CHECK(!memcmp(c.buf + 110, "dev", 4));
	/* Second header starts 4-aligned after name "dev\0" (110+4=114->116). */
	CHECK(!memcmp(c.buf + 116, "070701", 6));
	CHECK(!memcmp(c.buf + 116 + 54, "00000003", 8));	/* filesize */
	CHECK(!memcmp(c.buf + 116 + 110, "hello", 6));
	CHECK(!memcmp(c.buf + 116 + 116 + 4 - 4, "hi!", 3) ||
	      count_str(c.buf, c.len, "hi!") == 1);
	CHECK(count_str(c.buf, c.len, "TRAILER!!!") == 1);
	free(c.buf);

	/* Module resolution: dependencies first, each once, '-' == '_'. */
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	f = fopen(path, "w");
	fprintf(f, "kernel/a/virtio_ring.ko:\n"
		   "kernel/a/virtio.ko: kernel/a/virtio_ring.ko\n"
		   "kernel/a/virtio_mmio.ko: kernel/a/virtio.ko kernel/a/virtio_ring.ko\n"
		   "kernel/b/virtio-rng.ko.xz: kernel/a/virtio.ko kernel/a/virtio_ring.ko\n"
		   "kernel/c/unrelated.ko:\n");
	fclose(f);
	snprintf(path, sizeof(path), "mkdir -p %s/kernel/a %s/kernel/b && "
		 "touch %s/kernel/a/virtio_ring.ko %s/kernel/a/virtio.ko "
		 "%s/kernel/a/virtio_mmio.ko %s/kernel/b/virtio-rng.ko.xz",
		 dir, dir, dir, dir, dir, dir);
	CHECK(system(path) == 0);
	cpio_init(&c);
	n = cpio_add_virtio_modules(&c, dir, false);
	if (n != 4)
		printf("  modules added: %d\n", n);
	CHECK(n == 4);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/00-virtio_ring.ko") == 1);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/01-virtio.ko") == 1);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/02-virtio_mmio.ko") == 1);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/03-virtio_rng.ko.xz") == 1);
	CHECK(count_str(c.buf, c.len, "unrelated") == 0);
	free(c.buf);
	cpio_init(&c);
	CHECK(cpio_add_virtio_modules(&c, "/nonexistent", false) == -1);
	free(c.buf);

	/* With fs: the 9p client and overlayfs, dependencies first. */
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	f = fopen(path, "a");
	fputs("kernel/n/9pnet.ko:\nkernel/n/9pnet_virtio.ko: kernel/n/9pnet.ko "
	      "kernel/a/virtio.ko\nkernel/f/9p.ko: kernel/n/9pnet.ko\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "mkdir -p %s/kernel/n %s/kernel/f && "
		 "touch %s/kernel/n/9pnet.ko %s/kernel/n/9pnet_virtio.ko "
		 "%s/kernel/f/9p.ko", dir, dir, dir, dir, dir);
	CHECK(system(path) == 0);
	cpio_init(&c);
	n = cpio_add_virtio_modules(&c, dir, true);
	CHECK(n == 7);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/04-9pnet.ko") == 1);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/05-9pnet_virtio.ko") == 1);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/06-9p.ko") == 1);
	free(c.buf);

	/* A built tree: modules.order and .modinfo depends=. */
	snprintf(path, sizeof(path), "mkdir -p %s/tree/drivers/virtio %s/tree/fs "
		 "&& cd %s/tree && "
		 "printf 'drivers/virtio/virtio.o\\ndrivers/virtio/virtio_ring.o\\n"
		 "drivers/virtio/virtio_mmio.o\\nfs/overlay.o\\n' > modules.order && "
		 "printf 'x\\0depends=\\0' > drivers/virtio/virtio_ring.ko && "
		 "printf 'x\\0depends=virtio_ring\\0' > drivers/virtio/virtio.ko && "
		 "printf 'x\\0depends=virtio,virtio_ring\\0y' > drivers/virtio/virtio_mmio.ko && "
		 "printf 'depends=' > fs/overlay.ko", dir, dir, dir);
	CHECK(system(path) == 0);
	snprintf(path, sizeof(path), "%s/tree", dir);
	cpio_init(&c);
	n = cpio_add_tree_modules(&c, path, false);
	CHECK(n == 3);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/00-virtio_ring.ko") == 1);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/01-virtio.ko") == 1);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/02-virtio_mmio.ko") == 1);
	CHECK(count_str(c.buf, c.len, "overlay") == 0);
	free(c.buf);
	cpio_init(&c);
	CHECK(cpio_add_tree_modules(&c, path, true) == 4);
	CHECK(count_str(c.buf, c.len, "mkvm/modules/03-overlay.ko") == 1);
	free(c.buf);
	cpio_init(&c);
	CHECK(cpio_add_tree_modules(&c, "/nonexistent", true) == -1);
	free(c.buf);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK(system(path) == 0);
}

int main(void)
{
	test_bzimage();
	test_real_bzimage();
	test_e820();
	test_layout_and_params();
	test_acpi();
	test_pagetables();
	test_virtq();
	test_virtio_mmio();
	test_cli();
	test_cpio();
	test_p9();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
