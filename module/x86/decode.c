// SPDX-License-Identifier: GPL-2.0
/*
 * x86/decode.c - decode the few instructions guests use for MMIO.
 *
 * Why: an MMIO exit (#VMEXIT(NPF) without decode assists, an EPT
 * violation) gives the guest-physical address and, at best, whether it was
 * a write; it does not say how many bytes, which register, or how long the
 * instruction is. So the bytes at CS:RIP are fetched once (pgwalk.c) and
 * decoded here, enough to perform the access and advance RIP. The address
 * itself comes from the fault, so ModRM, SIB and displacements are only
 * parsed for their length.
 *
 * Supported, in 16-, 32- and 64-bit code, with the 66 (operand size) and
 * 67 (address size) prefixes, segment overrides and REX:
 *   88 /r, 89 /r     MOV r/m, reg           (write)
 *   8A /r, 8B /r     MOV reg, r/m           (read)
 *   C6 /0 ib, C7 /0  MOV r/m, imm           (write)
 *   A0..A3           MOV AL/eAX <-> moffs   (read, write)
 *   0F B6, 0F B7     MOVZX reg, r/m8/r/m16  (read)
 *   0F BE, 0F BF     MOVSX reg, r/m8/r/m16  (read)
 *   63 /r            MOVSXD reg, r/m32      (read; 64-bit mode only)
 * That is what Linux's readX()/writeX() and ioreadX()/iowriteX() compile
 * to (explicit MOVs in arch/x86/include/asm/io.h) and what compilers emit
 * for volatile loads and stores (KVM selftests' guest code).
 *
 * Manual references: Intel SDM Vol. 2A 2.1 (instruction format), 2.1.1
 * (legacy prefixes), 2.1.5 and Tables 2-1..2-3 (ModRM and SIB), 2.2.1
 * (REX, RIP-relative addressing), 3.1.1.1-3.1.1.3 (operand and address
 * size), Vol. 2B MOV, MOVZX, MOVSX/MOVSXD; Vol. 1 3.4.1.1 (writes to 32-bit
 * registers zero-extend in 64-bit mode). AMD APM Vol. 3 chapter 1
 * (instruction encoding), 1.2.7 and 1.8 (REX).
 *
 * The decoder reads the given bytes only, never past @count, and never
 * re-reads guest memory: the caller fetched the bytes once. Another vCPU
 * may have rewritten the instruction between the exit and the fetch
 * (CVE-2010-0306), so what is decoded may not be what faulted: callers
 * check that the direction matches the exit's and that @size bytes at the
 * faulting address stay within what they emulate (an unaligned access
 * can also straddle into the next page).
 *
 * Use, in an NPF/EPT-violation handler (see also x86/pgwalk.c):
 *   mkvm_read_gva(FETCH [| USER at CPL 3], CS.base + RIP, 15 bytes) once;
 *   mkvm_decode_mmio() on the bytes it got: -EINVAL with a fetch fault
 *   means the instruction runs into an unmapped page (inject that #PF,
 *   or #GP when the walk said -EINVAL); -EOPNOTSUPP becomes
 *   KVM_EXIT_INTERNAL_ERROR with the bytes; a write's data is
 *   mkvm_insn_write_data() (little-endian, @size bytes); a read completes
 *   with mkvm_insn_read_result(); then RIP += @len.
 *
 * Non-goals: every other instruction, notably read-modify-write ones
 * (ADD, OR, AND, XCHG, CMPXCHG: the caller reports them as an internal
 * error), CMP/TEST with a memory operand, string instructions and anything
 * with a REP/REPNE prefix (F2, F3; also XACQUIRE/XRELEASE), LOCK (F0),
 * VEX/EVEX/XOP-encoded and SSE/AVX moves, MOVBE, MOVNTI, segment-register
 * moves, and accesses of more than 8 bytes. Register-only forms (ModRM
 * mod = 3) cannot touch memory and are refused.
 */
#include <linux/errno.h>
#include <linux/bitops.h>
#include <linux/minmax.h>

#include "decode.h"

/**
 * struct mkvm_decoder - the state of one decode
 * @bytes:	The instruction bytes.
 * @count:	How many of @bytes there are (at most MKVM_INSN_MAX_LEN).
 * @pos:	Bytes consumed so far.
 */
struct mkvm_decoder {
	const u8 *bytes;
	unsigned int count;
	unsigned int pos;
};

/*
 * Consume @n bytes: -EINVAL when the buffer ends first (the caller may be
 * able to fetch more), -EOPNOTSUPP when the instruction would be longer
 * than 15 bytes (the CPU raises #GP for that; it is nothing we emulate).
 */
static int mkvm_dec_skip(struct mkvm_decoder *d, unsigned int n)
{
	if (d->pos + n > MKVM_INSN_MAX_LEN)
		return -EOPNOTSUPP;
	if (d->pos + n > d->count)
		return -EINVAL;
	d->pos += n;
	return 0;
}

static int mkvm_dec_u8(struct mkvm_decoder *d, u8 *b)
{
	int r = mkvm_dec_skip(d, 1);

	if (!r)
		*b = d->bytes[d->pos - 1];
	return r;
}

/* An @n-byte little-endian immediate (1, 2 or 4 bytes). */
static int mkvm_dec_imm(struct mkvm_decoder *d, unsigned int n, u64 *v)
{
	unsigned int i;
	int r = mkvm_dec_skip(d, n);

	if (r)
		return r;
	*v = 0;
	for (i = 0; i < n; i++)
		*v |= (u64)d->bytes[d->pos - n + i] << (8 * i);
	return 0;
}

/*
 * ModRM, SIB and displacement: their length, and the reg field (without
 * REX.R). SDM Vol. 2A Tables 2-1 (16-bit forms) and 2-2/2-3 (32/64-bit):
 * 16-bit: mod 0 rm 6 is disp16, mod 1 disp8, mod 2 disp16, no SIB.
 * 32/64-bit: rm 4 brings a SIB; mod 0 rm 5 (RIP-relative in 64-bit mode)
 * and SIB base 5 with mod 0 are disp32; mod 1 disp8, mod 2 disp32. REX.B
 * does not change these special cases.
 */
static int mkvm_dec_modrm(struct mkvm_decoder *d, unsigned int addr_size,
			  u8 *reg)
{
	unsigned int mod, rm, disp;
	u8 modrm, sib;
	int r;

	r = mkvm_dec_u8(d, &modrm);
	if (r)
		return r;
	mod = modrm >> 6;
	rm = modrm & 7;
	*reg = (modrm >> 3) & 7;
	/* A register operand: this instruction cannot have caused MMIO. */
	if (mod == 3)
		return -EOPNOTSUPP;

	if (addr_size == 2) {
		if (mod == 0)
			disp = rm == 6 ? 2 : 0;
		else
			disp = mod == 1 ? 1 : 2;
		return mkvm_dec_skip(d, disp);
	}

	disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (rm == 4) {
		r = mkvm_dec_u8(d, &sib);
		if (r)
			return r;
		if (mod == 0 && (sib & 7) == 5)
			disp = 4;
	} else if (mod == 0 && rm == 5) {
		disp = 4;
	}
	return mkvm_dec_skip(d, disp);
}

/* ES, CS, SS, DS, FS, GS overrides: the fault already has the address. */
static bool mkvm_is_segment_prefix(u8 b)
{
	return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e ||
	       b == 0x64 || b == 0x65;
}

/**
 * mkvm_decode_mmio() - decode one MOV-class instruction
 * @bytes:	The instruction bytes fetched at CS:RIP.
 * @count:	How many bytes @bytes holds; only these are read (more than
 *		15 are never needed).
 * @mode:	The code's default operand/address size (mkvm_cpu_mode()).
 * @insn:	Filled in on success; unspecified otherwise.
 *
 * Return: 0; -EINVAL when @bytes ends before the instruction does (a
 * fetch that stopped at an unmapped page may be retried or turned into
 * the #PF), or @mode is invalid; -EOPNOTSUPP for anything not listed at
 * the top of decode.c, including instructions longer than 15 bytes.
 */
int mkvm_decode_mmio(const u8 *bytes, unsigned int count,
		     enum mkvm_cpu_mode mode, struct mkvm_insn *insn)
{
	struct mkvm_decoder d = {
		.bytes = bytes,
		.count = min_t(unsigned int, count, MKVM_INSN_MAX_LEN),
	};
	bool opsize_prefix = false, adsize_prefix = false;
	unsigned int op_size, addr_size;
	u8 op, rex = 0, reg = 0;
	u64 imm;
	int r;

	if (mode != MKVM_MODE_16 && mode != MKVM_MODE_32 &&
	    mode != MKVM_MODE_64)
		return -EINVAL;
	*insn = (struct mkvm_insn){ 0 };

	/*
	 * Legacy prefixes in any order and number. A REX prefix counts only
	 * right before the opcode (SDM 2.2.1): one followed by another
	 * prefix is ignored. 40..4F are INC/DEC outside 64-bit mode.
	 */
	for (;;) {
		r = mkvm_dec_u8(&d, &op);
		if (r)
			return r;
		if (op == 0xf0 || op == 0xf2 || op == 0xf3)
			return -EOPNOTSUPP;	/* LOCK, REPNE, REP */
		if (op == 0x66) {
			opsize_prefix = true;
		} else if (op == 0x67) {
			adsize_prefix = true;
		} else if (mode == MKVM_MODE_64 && (op & 0xf0) == 0x40) {
			rex = op;
			continue;
		} else if (!mkvm_is_segment_prefix(op)) {
			break;
		}
		rex = 0;
	}

	/* SDM Vol. 1 3.6.1 / Vol. 2A 3.1.1.2: effective sizes. */
	switch (mode) {
	case MKVM_MODE_16:
		op_size = opsize_prefix ? 4 : 2;
		addr_size = adsize_prefix ? 4 : 2;
		break;
	case MKVM_MODE_32:
		op_size = opsize_prefix ? 2 : 4;
		addr_size = adsize_prefix ? 2 : 4;
		break;
	default:
		op_size = rex & 0x08 ? 8 : opsize_prefix ? 2 : 4;
		addr_size = adsize_prefix ? 4 : 8;
		break;
	}

	switch (op) {
	case 0x88:		/* MOV r/m8, r8 */
	case 0x89:		/* MOV r/m, r */
	case 0x8a:		/* MOV r8, r/m8 */
	case 0x8b:		/* MOV r, r/m */
		r = mkvm_dec_modrm(&d, addr_size, &reg);
		if (r)
			return r;
		insn->write = op <= 0x89;
		insn->size = op & 1 ? op_size : 1;
		break;
	case 0xc6:		/* MOV r/m8, imm8 */
	case 0xc7:		/* MOV r/m, imm16/32 */
		r = mkvm_dec_modrm(&d, addr_size, &reg);
		if (r)
			return r;
		/* /0 only (REX.R does not extend an opcode extension). */
		if (reg)
			return -EOPNOTSUPP;
		insn->write = true;
		insn->has_imm = true;
		insn->size = op == 0xc6 ? 1 : op_size;
		r = mkvm_dec_imm(&d, min_t(unsigned int, insn->size, 4), &imm);
		if (r)
			return r;
		if (insn->size == 8)
			imm = sign_extend64(imm, 31);
		insn->imm = imm;
		break;
	case 0xa0:		/* MOV AL, moffs8 */
	case 0xa1:		/* MOV eAX, moffs */
	case 0xa2:		/* MOV moffs8, AL */
	case 0xa3:		/* MOV moffs, eAX */
		/* The offset is as wide as the address; REX.B does not apply. */
		r = mkvm_dec_skip(&d, addr_size);
		if (r)
			return r;
		insn->write = op >= 0xa2;
		insn->size = op & 1 ? op_size : 1;
		reg = 0;
		rex &= ~0x05;	/* no REX.R/REX.B register here */
		break;
	case 0x63:		/* MOVSXD r, r/m32 (ARPL outside 64-bit) */
		if (mode != MKVM_MODE_64)
			return -EOPNOTSUPP;
		r = mkvm_dec_modrm(&d, addr_size, &reg);
		if (r)
			return r;
		/* Without REX.W it is a plain 16/32-bit load (SDM MOVSXD). */
		insn->size = min_t(unsigned int, op_size, 4);
		insn->reg_size = op_size;
		if (op_size == 8)
			insn->ext = MKVM_EXT_SIGN;
		break;
	case 0x0f:
		r = mkvm_dec_u8(&d, &op);
		if (r)
			return r;
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return -EOPNOTSUPP;
		r = mkvm_dec_modrm(&d, addr_size, &reg);
		if (r)
			return r;
		/* MOVZX/MOVSX: 8- or 16-bit memory into a 16/32/64-bit reg. */
		insn->size = op & 1 ? 2 : 1;
		insn->reg_size = op_size;
		insn->ext = op >= 0xbe ? MKVM_EXT_SIGN : MKVM_EXT_ZERO;
		break;
	default:
		return -EOPNOTSUPP;
	}

	if (!insn->reg_size)
		insn->reg_size = insn->size;
	insn->reg = reg | (rex & 0x04 ? 8 : 0);
	/*
	 * Byte registers 4..7 are AH, CH, DH, BH unless a REX prefix is
	 * present, which makes them SPL, BPL, SIL, DIL (SDM 3.7.2.1).
	 */
	if (insn->reg_size == 1 && !rex && insn->reg >= 4 && !insn->has_imm) {
		insn->reg -= 4;
		insn->high8 = true;
	}
	if (insn->has_imm)
		insn->reg = 0;
	insn->len = d.pos;
	return 0;
}

static u64 mkvm_size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : BIT_ULL(8 * size) - 1;
}

/**
 * mkvm_insn_write_data() - the data an MMIO write stores
 * @insn:	A decoded write.
 * @reg_value:	The current value of register @insn->reg (ignored for an
 *		immediate).
 *
 * Return: the @insn->size bytes to write, in the low bits.
 */
u64 mkvm_insn_write_data(const struct mkvm_insn *insn, u64 reg_value)
{
	u64 v;

	if (insn->has_imm)
		v = insn->imm;
	else if (insn->high8)
		v = reg_value >> 8;
	else
		v = reg_value;
	return v & mkvm_size_mask(insn->size);
}

/**
 * mkvm_insn_read_result() - the register's new value after an MMIO read
 * @insn:	A decoded read.
 * @old_value:	The current value of register @insn->reg.
 * @data:	The bytes read, in the low @insn->size bytes (higher bits
 *		are ignored).
 *
 * Applies the extension, then the architectural rule for writing a
 * register of @insn->reg_size: 8- and 16-bit writes keep the other bits
 * (AH..BH are bits 15:8); a 32-bit write zero-extends to 64 bits (SDM
 * Vol. 1 3.4.1.1; outside 64-bit mode the upper half is not visible and
 * hardware clears it too); a 64-bit write replaces the register.
 *
 * Return: the value to store in register @insn->reg.
 */
u64 mkvm_insn_read_result(const struct mkvm_insn *insn, u64 old_value,
			  u64 data)
{
	u64 v = data & mkvm_size_mask(insn->size);

	if (insn->ext == MKVM_EXT_SIGN && insn->size < 8)
		v = sign_extend64(v, 8 * insn->size - 1);

	switch (insn->reg_size) {
	case 1:
		if (insn->high8)
			return (old_value & ~0xff00ULL) | (v & 0xff) << 8;
		return (old_value & ~0xffULL) | (v & 0xff);
	case 2:
		return (old_value & ~0xffffULL) | (v & 0xffff);
	case 4:
		return v & 0xffffffffULL;
	default:
		return v;
	}
}

/**
 * mkvm_decode_mov_crdr() - decode MOV to/from a control or debug register
 * @bytes: the instruction bytes at CS:RIP
 * @count: how many of them could be read
 * @mode:  the code segment's mode (mkvm_cpu_mode())
 * @op:    set to the second opcode byte: 20h (MOV r, CRn), 21h (MOV r,
 *         DRn), 22h (MOV CRn, r) or 23h (MOV DRn, r)
 * @cr:    set to the control or debug register, REX.R included (0-15)
 * @gpr:   set to the general register, REX.B included (0-15)
 *
 * SDM Vol. 2B "MOV - Move to/from Control Registers" and "... Debug
 * Registers": 0F 20-23 /r, where ModRM.mod is ignored (the operand is
 * always a register) and legacy prefixes change nothing. For exits that
 * do not say which registers (SVM without DecodeAssists, APM Vol. 2
 * 15.33).
 *
 * Return: the instruction's length, or -EINVAL if the bytes are not one
 * of these four instructions.
 */
int mkvm_decode_mov_crdr(const u8 *bytes, unsigned int count,
			 enum mkvm_cpu_mode mode, u8 *op, unsigned int *cr,
			 unsigned int *gpr)
{
	unsigned int i, rex = 0;

	for (i = 0; i < count && i < MKVM_INSN_MAX_LEN; i++) {
		switch (bytes[i]) {
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64:
		case 0x65: case 0x66: case 0x67: case 0xf0: case 0xf2:
		case 0xf3:
			rex = 0;	/* REX counts only right before 0F */
			continue;
		}
		if (mode == MKVM_MODE_64 && (bytes[i] & 0xf0) == 0x40) {
			rex = bytes[i];
			continue;
		}
		break;
	}
	if (i + 3 > count || i + 3 > MKVM_INSN_MAX_LEN || bytes[i] != 0x0f ||
	    bytes[i + 1] < 0x20 || bytes[i + 1] > 0x23)
		return -EINVAL;
	*op = bytes[i + 1];
	*cr = ((bytes[i + 2] >> 3) & 7) | (rex & 4 ? 8 : 0);
	*gpr = (bytes[i + 2] & 7) | (rex & 1 ? 8 : 0);
	return i + 3;
}
