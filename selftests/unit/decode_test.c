// SPDX-License-Identifier: GPL-2.0
/*
 * decode_test.c - module/x86/decode.c: a table of (bytes, mode) -> result
 * made by the assembler (decode_table.txt), hand-made prefix and REX
 * corner cases, refusals, every truncation of every valid vector, the
 * register-update helpers, and a random-bytes run. Every decode reads its
 * bytes from the end of a page followed by a PROT_NONE page, so reading
 * one byte past the count given faults.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "../../module/x86/decode.h"
#include "unit.h"

#define M16	MKVM_MODE_16
#define M32	MKVM_MODE_32
#define M64	MKVM_MODE_64

/* Bytes and their count, from one list. */
#define B(...)	{ __VA_ARGS__ }, sizeof((u8[]){ __VA_ARGS__ })

#define RD(sz, r, rsz, e) \
	{ .size = (sz), .reg = (r), .reg_size = (rsz), .ext = MKVM_EXT_##e }
#define RDH(r)	{ .size = 1, .reg = (r), .reg_size = 1, .high8 = true }
#define WR(sz, r) { .write = true, .size = (sz), .reg = (r), .reg_size = (sz) }
#define WRH(r)	{ .write = true, .size = 1, .reg = (r), .reg_size = 1, \
		  .high8 = true }
#define WI(sz, i) { .write = true, .has_imm = true, .size = (sz), \
		    .reg_size = (sz), .imm = (i) }

struct vec {
	enum mkvm_cpu_mode mode;
	const char *name;
	u8 bytes[MKVM_INSN_MAX_LEN];
	unsigned int n;
	struct mkvm_insn want;	/* .len is n */
};

static const struct vec table[] = {
#include "decode_table.inc"
};

/*
 * Hand-made: prefix interplay the assembler will not emit, and the
 * longest instructions.
 */
static const struct vec hand[] = {
	/* REX counts only right before the opcode. */
	{ M64, "REX.W then 66: REX ignored, 16-bit",
	  B(0x48, 0x66, 0x89, 0x07), WR(2, 0) },
	{ M64, "66 then REX.W: REX.W wins, 64-bit",
	  B(0x66, 0x48, 0x89, 0x07), WR(8, 0) },
	{ M64, "REX.B then REX.W: only the last REX",
	  B(0x41, 0x48, 0x89, 0x07), WR(8, 0) },
	{ M64, "REX.R then REX: only the last REX (no R)",
	  B(0x44, 0x40, 0x89, 0x07), WR(4, 0) },
	{ M64, "REX.R then ES: REX ignored",
	  B(0x44, 0x26, 0x89, 0x07), WR(4, 0) },
	{ M64, "REX then segment prefix: AH again",
	  B(0x40, 0x2e, 0x88, 0x27), WRH(0) },
	{ M64, "REX.W on a byte store: SPL, still 1 byte",
	  B(0x48, 0x88, 0x27), WR(1, 4) },
	{ M64, "REX.R on a byte load: R12B",
	  B(0x44, 0x8a, 0x27), RD(1, 12, 1, NONE) },
	{ M64, "66 on a byte store: ignored",
	  B(0x66, 0x88, 0x07), WR(1, 0) },
	{ M64, "66 on MOV r/m8, imm8: ignored",
	  B(0x66, 0xc6, 0x07, 0x12), WI(1, 0x12) },
	{ M64, "REX.W 66 C7: imm32 sign-extended to 64",
	  B(0x66, 0x48, 0xc7, 0x07, 0x00, 0x00, 0x00, 0x80),
	  WI(8, 0xffffffff80000000ULL) },
	{ M64, "REX.R on C7 /0: opcode extension, not a register",
	  B(0x44, 0xc7, 0x07, 0x01, 0x00, 0x00, 0x00), WI(4, 1) },
	{ M64, "REX.B mod 0 rm 5: still RIP-relative (disp32)",
	  B(0x41, 0x8b, 0x05, 0x00, 0x00, 0x00, 0x00), RD(4, 0, 4, NONE) },
	{ M64, "REX.B SIB base 5 mod 0: still disp32, no base",
	  B(0x41, 0x8b, 0x04, 0x25, 0x44, 0x33, 0x22, 0x11),
	  RD(4, 0, 4, NONE) },
	{ M64, "67 RIP-relative: EIP-relative, disp32",
	  B(0x67, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00), RD(4, 0, 4, NONE) },
	{ M64, "REX.W A0: byte moffs load, REX.W ignored for size",
	  B(0x48, 0xa0, 1, 2, 3, 4, 5, 6, 7, 8), RD(1, 0, 1, NONE) },
	{ M64, "REX.RB A1: no register extension on moffs",
	  B(0x45, 0xa1, 1, 2, 3, 4, 5, 6, 7, 8), RD(4, 0, 4, NONE) },
	{ M64, "REX A2: AL (REX does not matter for reg 0)",
	  B(0x40, 0xa2, 1, 2, 3, 4, 5, 6, 7, 8), WR(1, 0) },
	{ M64, "67 REX.W A1: RAX from a 32-bit moffs",
	  B(0x67, 0x48, 0xa1, 0x44, 0x33, 0x22, 0x11), RD(8, 0, 8, NONE) },
	{ M64, "66 67 A3: AX to a 32-bit moffs",
	  B(0x66, 0x67, 0xa3, 0x44, 0x33, 0x22, 0x11), WR(2, 0) },
	{ M64, "DS override (ignored in 64-bit mode)",
	  B(0x3e, 0x89, 0x10), WR(4, 2) },
	{ M64, "MOVSXD without REX.W: a 32-bit load",
	  B(0x63, 0x07), RD(4, 0, 4, NONE) },
	{ M64, "MOVSXD with 66: a 16-bit load",
	  B(0x66, 0x63, 0x07), RD(2, 0, 2, NONE) },
	{ M64, "MOVSXD REX.W 66: sign-extends 32 to 64",
	  B(0x66, 0x48, 0x63, 0x07), RD(4, 0, 8, SIGN) },
	{ M64, "MOVZX r16, r/m16 (66 0F B7)",
	  B(0x66, 0x0f, 0xb7, 0x07), RD(2, 0, 2, ZERO) },
	{ M64, "MOVSX REX.WRB r15, r/m8",
	  B(0x4d, 0x0f, 0xbe, 0x3f), RD(1, 15, 8, SIGN) },
	{ M64, "repeated prefixes",
	  B(0x66, 0x66, 0x2e, 0x2e, 0x67, 0x67, 0x89, 0x07), WR(2, 0) },
	{ M64, "15 bytes: the longest legal MOV",
	  B(0x64, 0x2e, 0x67, 0x48, 0xc7, 0x84, 0x24,
	    0x44, 0x33, 0x22, 0x11, 0x78, 0x56, 0x34, 0x12),
	  WI(8, 0x12345678) },
	{ M64, "15 bytes: 10 prefixes and a moffs32 load",
	  B(0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x67,
	    0xa1, 0x44, 0x33, 0x22, 0x11), RD(4, 0, 4, NONE) },
	{ M32, "66 67 in 32-bit: 16-bit data, 16-bit address",
	  B(0x66, 0x67, 0x89, 0x47, 0x10), WR(2, 0) },
	{ M32, "67 A1: moffs16",
	  B(0x67, 0xa1, 0x34, 0x12), RD(4, 0, 4, NONE) },
	{ M32, "16-bit addressing mod 2: disp16",
	  B(0x67, 0x8b, 0x87, 0x34, 0x12), RD(4, 0, 4, NONE) },
	{ M32, "ESI/EDI byte regs are DH/BH without REX (reg 6, 7)",
	  B(0x88, 0x3e), WRH(3) },
	{ M16, "66 67 in 16-bit: 32-bit data and address, SIB",
	  B(0x66, 0x67, 0x89, 0x04, 0x24), WR(4, 0) },
	{ M16, "66 on MOVZX in 16-bit: r32",
	  B(0x66, 0x0f, 0xbe, 0x47, 0x10), RD(1, 0, 4, SIGN) },
	{ M16, "67 with mod 0 rm 5: disp32 in 16-bit code",
	  B(0x67, 0x8a, 0x05, 0x00, 0x80, 0x0b, 0x00), RD(1, 0, 1, NONE) },
	{ M16, "mod 0 rm 5 without 67: (%di), no displacement",
	  B(0x8a, 0x05), RD(1, 0, 1, NONE) },
	{ M16, "MOV r/m16, imm16 with disp16: 6 bytes",
	  B(0xc7, 0x86, 0x00, 0x10, 0xcd, 0xab), WI(2, 0xabcd) },
	{ M16, "66 C7 imm32",
	  B(0x66, 0xc7, 0x06, 0x00, 0x10, 0x78, 0x56, 0x34, 0x12),
	  WI(4, 0x12345678) },
};

/* Refused (or truncated) byte sequences, and why. */
struct bad {
	enum mkvm_cpu_mode mode;
	const char *name;
	u8 bytes[MKVM_INSN_MAX_LEN];
	unsigned int n;
	int want;
};

static const struct bad bads[] = {
	{ M64, "REP prefix (F3) on MOV: XRELEASE", B(0xf3, 0x89, 0x07),
	  -EOPNOTSUPP },
	{ M64, "REPNE prefix (F2)", B(0xf2, 0x89, 0x07), -EOPNOTSUPP },
	{ M64, "LOCK prefix", B(0xf0, 0x89, 0x07), -EOPNOTSUPP },
	{ M64, "REP MOVSD", B(0xf3, 0xa5), -EOPNOTSUPP },
	{ M64, "MOVSD (string)", B(0xa5), -EOPNOTSUPP },
	{ M64, "STOSB (string)", B(0xaa), -EOPNOTSUPP },
	{ M64, "register form 89 C0 (mod 3)", B(0x89, 0xc0), -EOPNOTSUPP },
	{ M64, "register form 8B C0 (mod 3)", B(0x8b, 0xc0), -EOPNOTSUPP },
	{ M64, "register form C7 C0 imm32", B(0xc7, 0xc0, 1, 0, 0, 0),
	  -EOPNOTSUPP },
	{ M64, "XABORT (C6 F8)", B(0xc6, 0xf8, 0x00), -EOPNOTSUPP },
	{ M64, "XBEGIN (C7 F8)", B(0xc7, 0xf8, 0, 0, 0, 0), -EOPNOTSUPP },
	{ M64, "C7 /1 (not MOV)", B(0xc7, 0x4f, 0x10, 1, 0, 0, 0),
	  -EOPNOTSUPP },
	{ M64, "C6 /7 (not MOV)", B(0xc6, 0x3f, 0x01), -EOPNOTSUPP },
	{ M64, "MOVZX register form", B(0x0f, 0xb6, 0xc0), -EOPNOTSUPP },
	{ M64, "ADD r/m, r (read-modify-write)", B(0x01, 0x07),
	  -EOPNOTSUPP },
	{ M64, "OR r/m, imm8 (read-modify-write)", B(0x83, 0x0f, 0x01),
	  -EOPNOTSUPP },
	{ M64, "XCHG r/m, r", B(0x87, 0x07), -EOPNOTSUPP },
	{ M64, "TEST r/m, r", B(0x85, 0x07), -EOPNOTSUPP },
	{ M64, "CMP r, r/m", B(0x3b, 0x07), -EOPNOTSUPP },
	{ M64, "INC r/m", B(0xff, 0x07), -EOPNOTSUPP },
	{ M64, "MOV r/m, Sreg", B(0x8c, 0x07), -EOPNOTSUPP },
	{ M64, "MOV Sreg, r/m", B(0x8e, 0x17), -EOPNOTSUPP },
	{ M64, "MOVNTI", B(0x0f, 0xc3, 0x07), -EOPNOTSUPP },
	{ M64, "MOVUPS (SSE)", B(0x0f, 0x10, 0x07), -EOPNOTSUPP },
	{ M64, "CMPXCHG", B(0x0f, 0xb1, 0x0f), -EOPNOTSUPP },
	{ M64, "VEX-encoded VMOVDQU", B(0xc5, 0xfe, 0x6f, 0x07),
	  -EOPNOTSUPP },
	{ M64, "EVEX prefix", B(0x62, 0xf1, 0x7c, 0x48, 0x10, 0x07),
	  -EOPNOTSUPP },
	{ M64, "MOVBE", B(0x0f, 0x38, 0xf0, 0x07), -EOPNOTSUPP },
	{ M64, "16 bytes: 11 prefixes, longest legal body", B(0x2e, 0x2e,
	  0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x67, 0xa1, 0x44,
	  0x33, 0x22), -EOPNOTSUPP },
	{ M64, "15 prefixes", B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	  0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66), -EOPNOTSUPP },
	{ M64, "nothing", { 0 }, 0, -EINVAL },
	{ M64, "a lone REX", B(0x48), -EINVAL },
	{ M64, "a lone 0F", B(0x0f), -EINVAL },
	{ M64, "prefixes only", B(0x66, 0x67, 0x2e), -EINVAL },
	{ M32, "ARPL (63) outside 64-bit mode", B(0x63, 0x07), -EOPNOTSUPP },
	{ M32, "INC ECX (41) is not REX outside 64-bit mode",
	  B(0x41, 0x89, 0x07), -EOPNOTSUPP },
	{ M32, "LES (C4 with mod != 3)", B(0xc4, 0x07), -EOPNOTSUPP },
	{ M16, "ARPL in 16-bit", B(0x63, 0x07), -EOPNOTSUPP },
	{ M16, "DEC AX (48) in 16-bit", B(0x48, 0x8b, 0x07), -EOPNOTSUPP },
	{ M16, "REP in 16-bit", B(0xf3, 0x8b, 0x07), -EOPNOTSUPP },
};

static bool insn_eq(const struct mkvm_insn *a, const struct mkvm_insn *b)
{
	return a->len == b->len && a->size == b->size &&
	       a->write == b->write && a->has_imm == b->has_imm &&
	       a->imm == b->imm && a->reg == b->reg &&
	       a->high8 == b->high8 && a->reg_size == b->reg_size &&
	       a->ext == b->ext;
}

static void describe(char *s, size_t n, const struct mkvm_insn *i)
{
	snprintf(s, n,
		 "len %u size %u %s imm%s %#llx reg %u%s reg_size %u ext %d",
		 i->len, i->size, i->write ? "write" : "read",
		 i->has_imm ? "+" : "-", (unsigned long long)i->imm, i->reg,
		 i->high8 ? "(high8)" : "", i->reg_size, i->ext);
}

/* Decode @n bytes placed right before the guard page. */
static int decode_at_guard(const u8 *bytes, unsigned int n,
			   enum mkvm_cpu_mode mode, struct mkvm_insn *insn)
{
	unsigned char *p = guard_tail(n);

	memcpy(p, bytes, n);
	return mkvm_decode_mmio(p, n, mode, insn);
}

/*
 * A valid vector: exact decode; every shorter count is -EINVAL (and reads
 * nothing past it); trailing bytes change nothing.
 */
static void check_vec(const char *kind, const struct vec *v)
{
	static const char *const mode_name[] = { "16", "32", "64" };
	struct mkvm_insn want = v->want, got;
	u8 padded[MKVM_INSN_MAX_LEN];
	char a[160], b[160];
	unsigned int k;
	int r;

	want.len = v->n;
	t_begin("decode %s %s-bit: %s", kind, mode_name[v->mode], v->name);
	memset(&got, 0xa5, sizeof(got));
	r = decode_at_guard(v->bytes, v->n, v->mode, &got);
	CHECKF(r == 0, "r = %d", r);
	if (r == 0 && !insn_eq(&got, &want)) {
		describe(a, sizeof(a), &got);
		describe(b, sizeof(b), &want);
		CHECKF(false, "got  %s\n          want %s", a, b);
	}
	for (k = 0; k < v->n; k++) {
		r = decode_at_guard(v->bytes, k, v->mode, &got);
		CHECKF(r == -EINVAL, "truncated to %u of %u bytes: r = %d", k,
		       v->n, r);
	}
	memset(padded, 0x90, sizeof(padded));
	memcpy(padded, v->bytes, v->n);
	r = decode_at_guard(padded, MKVM_INSN_MAX_LEN, v->mode, &got);
	CHECKF(r == 0 && insn_eq(&got, &want),
	       "with trailing bytes: r = %d len %u", r, got.len);
	/* More than 15 bytes on offer: never needed, never a problem. */
	r = mkvm_decode_mmio(padded, 1000, v->mode, &got);
	CHECKF(r == 0 && insn_eq(&got, &want), "count 1000: r = %d", r);
	t_end();
}

/* Segment-override prefixes in front change only the length. */
static void check_seg_prefixes(const struct vec *v)
{
	static const u8 segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	u8 buf[MKVM_INSN_MAX_LEN + 8];
	struct mkvm_insn want = v->want, got;
	unsigned int k, i;
	int r;

	t_begin("decode seg-prefixed: %s", v->name);
	for (k = 1; k <= 6; k++) {
		for (i = 0; i < k; i++)
			buf[i] = segs[(i + v->n) % 6];
		memcpy(buf + k, v->bytes, v->n);
		want.len = v->n + k;
		if (v->n + k > MKVM_INSN_MAX_LEN) {
			r = decode_at_guard(buf, MKVM_INSN_MAX_LEN, v->mode,
					    &got);
			CHECKF(r == -EOPNOTSUPP, "%u bytes: r = %d", v->n + k,
			       r);
			continue;
		}
		r = decode_at_guard(buf, v->n + k, v->mode, &got);
		CHECKF(r == 0 && insn_eq(&got, &want),
		       "%u prefixes: r = %d len %u", k, r, got.len);
	}
	t_end();
}

static void check_bad(const struct bad *b)
{
	struct mkvm_insn got;
	int r;

	t_begin("decode refuses: %s", b->name);
	r = decode_at_guard(b->bytes, b->n, b->mode, &got);
	CHECKF(r == b->want, "r = %d, want %d", r, b->want);
	t_end();
}

static void test_modes(void)
{
	struct mkvm_insn got;
	u8 bytes[] = { 0x89, 0x07 };

	t_begin("decode: invalid mode is -EINVAL");
	CHECK(mkvm_decode_mmio(bytes, 2, (enum mkvm_cpu_mode)3, &got) ==
	      -EINVAL);
	CHECK(mkvm_decode_mmio(bytes, 2, (enum mkvm_cpu_mode)-1, &got) ==
	      -EINVAL);
	t_end();

	t_begin("decode: mkvm_cpu_mode()");
	/* cr0_pe, efer_lma, eflags_vm, cs_l, cs_d */
	CHECK(mkvm_cpu_mode(false, false, false, false, false) == M16);
	CHECK(mkvm_cpu_mode(false, false, false, false, true) == M16);
	CHECK(mkvm_cpu_mode(true, false, true, false, true) == M16);
	CHECK(mkvm_cpu_mode(true, false, false, false, false) == M16);
	CHECK(mkvm_cpu_mode(true, false, false, false, true) == M32);
	CHECK(mkvm_cpu_mode(true, false, false, true, false) == M16);
	CHECK(mkvm_cpu_mode(true, true, false, true, false) == M64);
	CHECK(mkvm_cpu_mode(true, true, false, false, true) == M32);
	CHECK(mkvm_cpu_mode(true, true, false, false, false) == M16);
	t_end();
}

/* Decode, then apply the helpers, as an MMIO completion would. */
static u64 read_result(const u8 *bytes, unsigned int n,
		       enum mkvm_cpu_mode mode, u64 old, u64 data)
{
	struct mkvm_insn insn;

	if (mkvm_decode_mmio(bytes, n, mode, &insn) || insn.write)
		return 0xbadbadbadULL;
	return mkvm_insn_read_result(&insn, old, data);
}

static u64 write_data(const u8 *bytes, unsigned int n,
		      enum mkvm_cpu_mode mode, u64 reg)
{
	struct mkvm_insn insn;

	if (mkvm_decode_mmio(bytes, n, mode, &insn) || !insn.write)
		return 0xbadbadbadULL;
	return mkvm_insn_write_data(&insn, reg);
}

#define RR(mode, old, data, ...) \
	read_result((const u8[]){ __VA_ARGS__ }, \
		    sizeof((const u8[]){ __VA_ARGS__ }), mode, old, data)
#define WD(mode, reg, ...) \
	write_data((const u8[]){ __VA_ARGS__ }, \
		   sizeof((const u8[]){ __VA_ARGS__ }), mode, reg)

static void test_helpers(void)
{
	const u64 old = 0x1122334455667788ULL;
	const u64 data = 0xf0e0d0c0b0a09080ULL;	/* garbage above size */

	t_begin("decode: read results (MOV)");
	/* mov (%rdi),%eax: 32-bit destination zero-extends */
	CHECK(RR(M64, old, data, 0x8b, 0x07) == 0xb0a09080ULL);
	/* mov (%rdi),%rax */
	CHECK(RR(M64, old, data, 0x48, 0x8b, 0x07) == data);
	/* mov (%rdi),%ax: the other 48 bits stay */
	CHECK(RR(M64, old, data, 0x66, 0x8b, 0x07) == 0x1122334455669080ULL);
	/* mov (%rdi),%al */
	CHECK(RR(M64, old, data, 0x8a, 0x07) == 0x1122334455667780ULL);
	/* mov (%rdi),%ah */
	CHECK(RR(M64, old, data, 0x8a, 0x27) == 0x1122334455668088ULL);
	/* mov (%rdi),%bh: same rule, register 3 */
	CHECK(RR(M64, old, data, 0x8a, 0x3f) == 0x1122334455668088ULL);
	/* mov (%rdi),%spl: REX makes reg 4 the low byte of RSP */
	CHECK(RR(M64, old, data, 0x40, 0x8a, 0x27) == 0x1122334455667780ULL);
	/* 32-bit code, mov (%eax),%eax: upper half cleared as hardware does */
	CHECK(RR(M32, old, data, 0x8b, 0x00) == 0xb0a09080ULL);
	/* 16-bit code, mov (%bx),%ax */
	CHECK(RR(M16, old, data, 0x8b, 0x07) == 0x1122334455669080ULL);
	/* moffs: movabs 0x..,%al */
	CHECK(RR(M64, old, 0x42, 0xa0, 1, 2, 3, 4, 5, 6, 7, 8) ==
	      0x1122334455667742ULL);
	t_end();

	t_begin("decode: read results (MOVZX, MOVSX, MOVSXD)");
	/* movzbl (%rdi),%eax */
	CHECK(RR(M64, old, data, 0x0f, 0xb6, 0x07) == 0x80);
	/* movzbw (%rdi),%ax: 16-bit destination keeps bits 63:16 */
	CHECK(RR(M64, old, data, 0x66, 0x0f, 0xb6, 0x07) ==
	      0x1122334455660080ULL);
	/* movzwq (%rdi),%rax */
	CHECK(RR(M64, old, data, 0x48, 0x0f, 0xb7, 0x07) == 0x9080);
	/* movsbq (%rdi),%rax */
	CHECK(RR(M64, old, data, 0x48, 0x0f, 0xbe, 0x07) ==
	      0xffffffffffffff80ULL);
	/* movsbl (%rdi),%eax: sign to 32, then zero to 64 */
	CHECK(RR(M64, old, data, 0x0f, 0xbe, 0x07) == 0xffffff80ULL);
	/* movsbw (%rdi),%ax */
	CHECK(RR(M64, old, data, 0x66, 0x0f, 0xbe, 0x07) ==
	      0x112233445566ff80ULL);
	/* movswq (%rdi),%rax */
	CHECK(RR(M64, old, data, 0x48, 0x0f, 0xbf, 0x07) ==
	      0xffffffffffff9080ULL);
	/* movswl, positive value */
	CHECK(RR(M64, old, 0x7fff, 0x0f, 0xbf, 0x07) == 0x7fff);
	/* movslq (%rdi),%rax */
	CHECK(RR(M64, old, data, 0x48, 0x63, 0x07) == 0xffffffffb0a09080ULL);
	CHECK(RR(M64, old, 0x7fffffff, 0x48, 0x63, 0x07) == 0x7fffffff);
	/* movsxd without REX.W: a 32-bit load */
	CHECK(RR(M64, old, data, 0x63, 0x07) == 0xb0a09080ULL);
	/* 16-bit code: movsbw (%si),%ax */
	CHECK(RR(M16, old, 0xfe, 0x0f, 0xbe, 0x04) == 0x112233445566fffeULL);
	t_end();

	t_begin("decode: write data");
	/* mov %esi,(%rdi) */
	CHECK(WD(M64, old, 0x89, 0x37) == 0x55667788ULL);
	/* mov %rsi,(%rdi) */
	CHECK(WD(M64, old, 0x48, 0x89, 0x37) == old);
	/* mov %si,(%rdi) */
	CHECK(WD(M64, old, 0x66, 0x89, 0x37) == 0x7788);
	/* mov %ah,(%rdi): bits 15:8 */
	CHECK(WD(M64, old, 0x88, 0x27) == 0x77);
	/* mov %spl,(%rdi) */
	CHECK(WD(M64, old, 0x40, 0x88, 0x27) == 0x88);
	/* movq $-2,(%rdi): register ignored */
	CHECK(WD(M64, old, 0x48, 0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff) ==
	      0xfffffffffffffffeULL);
	/* movl $0xdeadbeef,(%rdi) */
	CHECK(WD(M64, old, 0xc7, 0x07, 0xef, 0xbe, 0xad, 0xde) ==
	      0xdeadbeefULL);
	/* movw $0xbeef,(%rdi) */
	CHECK(WD(M64, old, 0x66, 0xc7, 0x07, 0xef, 0xbe) == 0xbeef);
	/* movb $0x5a,(%rdi) */
	CHECK(WD(M64, old, 0xc6, 0x07, 0x5a) == 0x5a);
	/* mov %eax,moffs */
	CHECK(WD(M32, old, 0xa3, 1, 2, 3, 4) == 0x55667788ULL);
	t_end();
}

/*
 * Random bytes, biased towards prefixes and the opcodes we know: never a
 * crash or a read past the count, and the result is self-consistent: a
 * success decodes the same from exactly its length, and one byte less is
 * -EINVAL.
 */
static int crdr(enum mkvm_cpu_mode m, unsigned int n, const u8 *b,
		u8 *op, unsigned int *cr, unsigned int *gpr)
{
	return mkvm_decode_mov_crdr(b, n, m, op, cr, gpr);
}

static void test_mov_crdr(void)
{
	unsigned int cr, gpr;
	u8 op;

	t_begin("decode: MOV CR/DR (SVM without DecodeAssists)");
	/* mov %dr7,%rax */
	CHECK(crdr(MKVM_MODE_64, 3, (const u8[]){ 0x0f, 0x21, 0xf8 }, &op, &cr, &gpr) == 3);
	CHECK(op == 0x21 && cr == 7 && gpr == 0);
	/* mov %r9,%dr0: REX.B */
	CHECK(crdr(MKVM_MODE_64, 4, (const u8[]){ 0x41, 0x0f, 0x23, 0xc1 }, &op, &cr, &gpr) == 4);
	CHECK(op == 0x23 && cr == 0 && gpr == 9);
	/* mov %rax,%cr4 */
	CHECK(crdr(MKVM_MODE_64, 3, (const u8[]){ 0x0f, 0x22, 0xe0 }, &op, &cr, &gpr) == 3);
	CHECK(op == 0x22 && cr == 4 && gpr == 0);
	/* REX.R: CR12 / DR12, for the caller to refuse with #UD */
	CHECK(crdr(MKVM_MODE_64, 4, (const u8[]){ 0x44, 0x0f, 0x22, 0xe0 }, &op, &cr, &gpr) == 4);
	CHECK(cr == 12);
	/* 32-bit code: 0x44 is INC %esp, not REX */
	CHECK(crdr(MKVM_MODE_32, 4, (const u8[]){ 0x44, 0x0f, 0x22, 0xe0 }, &op, &cr, &gpr) < 0);
	/* ModRM.mod is ignored: mod=00 still names a register */
	CHECK(crdr(MKVM_MODE_32, 3, (const u8[]){ 0x0f, 0x23, 0x3b }, &op, &cr, &gpr) == 3);
	CHECK(op == 0x23 && cr == 7 && gpr == 3);
	/* a legacy prefix, then the instruction */
	CHECK(crdr(MKVM_MODE_16, 4, (const u8[]){ 0x66, 0x0f, 0x21, 0xc1 }, &op, &cr, &gpr) == 4);
	/* truncated, or not a MOV CR/DR at all */
	CHECK(crdr(MKVM_MODE_64, 2, (const u8[]){ 0x0f, 0x21, 0xf8 }, &op, &cr, &gpr) < 0);
	CHECK(crdr(MKVM_MODE_64, 3, (const u8[]){ 0x0f, 0x01, 0xd9 }, &op, &cr, &gpr) < 0);
	CHECK(crdr(MKVM_MODE_64, 0, (const u8[]){ 0 }, &op, &cr, &gpr) < 0);
	/* fifteen prefixes leave no room */
	CHECK(crdr(MKVM_MODE_64, 15, (const u8[]){ 0x66, 0x66, 0x66, 0x66, 0x66,
		   0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0f, 0x21 },
		   &op, &cr, &gpr) < 0);
	t_end();
}

static void test_fuzz(void)
{
	static const u8 alphabet[] = {
		0x66, 0x67, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65, 0xf0, 0xf2,
		0xf3, 0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f, 0x88, 0x89, 0x8a,
		0x8b, 0xc6, 0xc7, 0xa0, 0xa1, 0xa2, 0xa3, 0x0f, 0xb6, 0xb7,
		0xbe, 0xbf, 0x63, 0x04, 0x05, 0x24, 0x25, 0x44, 0x84, 0x00,
	};
	unsigned int iter, bad = 0, ok = 0;
	u64 seed = 0x2545f4914f6cdd1dULL;

	t_begin("decode: 1000000 random byte strings");
	for (iter = 0; iter < 1000000; iter++) {
		u8 bytes[MKVM_INSN_MAX_LEN];
		struct mkvm_insn a, b;
		enum mkvm_cpu_mode mode = iter % 3;
		unsigned int n, i;
		int r;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		n = seed % 16;
		for (i = 0; i < MKVM_INSN_MAX_LEN; i++) {
			u64 x = seed >> (4 * i);

			bytes[i] = (x & 3) ? alphabet[(x >> 2) % sizeof(alphabet)]
					   : (u8)(seed >> (i + 3) * 3);
		}
		r = decode_at_guard(bytes, n, mode, &a);
		if (r != 0 && r != -EINVAL && r != -EOPNOTSUPP) {
			bad++;
			continue;
		}
		if (r)
			continue;
		ok++;
		if (a.len == 0 || a.len > n ||
		    (a.size != 1 && a.size != 2 && a.size != 4 &&
		     a.size != 8) ||
		    a.reg > (mode == M64 ? 15 : 7) ||
		    (a.high8 && (a.reg > 3 || a.size != 1)) ||
		    (a.has_imm && (!a.write || a.reg)) ||
		    (a.size == 8 && mode != M64) ||
		    a.reg_size < a.size ||
		    decode_at_guard(bytes, a.len, mode, &b) ||
		    !insn_eq(&a, &b) ||
		    decode_at_guard(bytes, a.len - 1, mode, &b) != -EINVAL)
			bad++;
	}
	CHECKF(bad == 0, "%u inconsistent results", bad);
	CHECKF(ok > 10000, "only %u successful decodes", ok);
	t_end();
}

void decode_tests(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		check_vec("table", &table[i]);
	for (i = 0; i < sizeof(hand) / sizeof(hand[0]); i++)
		check_vec("hand", &hand[i]);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i += 7)
		check_seg_prefixes(&table[i]);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		check_bad(&bads[i]);
	test_modes();
	test_helpers();
	test_mov_crdr();
	test_fuzz();
}
