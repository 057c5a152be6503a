/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/decode.h - decode the instruction behind an MMIO exit (see decode.c).
 *
 * Pure logic shared by SVM and VMX, compiled unchanged by selftests/unit/.
 */
#ifndef MKVM_X86_DECODE_H
#define MKVM_X86_DECODE_H

#include <linux/types.h>

/* The longest x86 instruction (SDM Vol. 2A 2.3.11, APM Vol. 3 1.1). */
#define MKVM_INSN_MAX_LEN	15

/**
 * enum mkvm_cpu_mode - default operand and address size of the code
 * @MKVM_MODE_16: Real mode, virtual-8086 mode, or a 16-bit code segment.
 * @MKVM_MODE_32: Protected or compatibility mode with CS.D = 1.
 * @MKVM_MODE_64: 64-bit mode (EFER.LMA and CS.L).
 */
enum mkvm_cpu_mode {
	MKVM_MODE_16,
	MKVM_MODE_32,
	MKVM_MODE_64,
};

/**
 * enum mkvm_insn_ext - how a read's memory data becomes the register value
 * @MKVM_EXT_NONE: MOV: same size, no extension.
 * @MKVM_EXT_ZERO: MOVZX: zero-extended to @reg_size.
 * @MKVM_EXT_SIGN: MOVSX, MOVSXD: sign-extended to @reg_size.
 */
enum mkvm_insn_ext {
	MKVM_EXT_NONE,
	MKVM_EXT_ZERO,
	MKVM_EXT_SIGN,
};

/**
 * struct mkvm_insn - a decoded MMIO instruction
 * @len:	Length in bytes, prefixes included, 1..15: RIP advances by
 *		this (IP/EIP wrap at 16/32 bits in 16/32-bit code).
 * @size:	Bytes of memory accessed: 1, 2, 4 or 8.
 * @write:	The instruction stores to memory (an MMIO write); else it
 *		loads from it into @reg.
 * @has_imm:	A write whose data is @imm rather than register @reg.
 * @imm:	The immediate of MOV r/m, imm, already in @size bytes (with
 *		REX.W the imm32 is sign-extended to 64 bits).
 * @reg:	The register operand, in x86 encoding order (0 RAX, 1 RCX,
 *		2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI, 7 RDI, 8..15 R8..R15;
 *		not the order of struct kvm_regs): the source of a write
 *		without @has_imm, the destination of a read. Always 0..15,
 *		0..7 outside 64-bit mode, 0 with @has_imm: safe as an index.
 * @high8:	@reg (0..3) stands for AH, CH, DH or BH: bits 15:8 of it.
 * @reg_size:	Size of the register operand: @size, or for MOVZX, MOVSX
 *		and MOVSXD the wider destination (2, 4 or 8).
 * @ext:	How a read's @size bytes are widened to @reg_size.
 *
 * Keep this across the exit to userspace and complete the read from it:
 * decoding again at completion would read guest memory a second time.
 */
struct mkvm_insn {
	u8 len;
	u8 size;
	bool write;
	bool has_imm;
	u64 imm;
	u8 reg;
	bool high8;
	u8 reg_size;
	enum mkvm_insn_ext ext;
};

/**
 * mkvm_cpu_mode() - the decoding mode of the guest's code segment
 * @cr0_pe:	CR0.PE.
 * @efer_lma:	EFER.LMA.
 * @eflags_vm:	EFLAGS.VM (virtual-8086 mode).
 * @cs_l:	The L bit of CS's descriptor (cached attributes).
 * @cs_d:	The D bit of CS's descriptor.
 *
 * SDM Vol. 1 3.6 and Vol. 3A 5.2.1: 64-bit mode is LMA with CS.L; real and
 * virtual-8086 mode are 16-bit whatever CS.D says; otherwise CS.D picks.
 *
 * Return: the mode to pass to mkvm_decode_mmio().
 */
static inline enum mkvm_cpu_mode mkvm_cpu_mode(bool cr0_pe, bool efer_lma,
					       bool eflags_vm, bool cs_l,
					       bool cs_d)
{
	if (efer_lma && cs_l)
		return MKVM_MODE_64;
	if (!cr0_pe || eflags_vm)
		return MKVM_MODE_16;
	return cs_d ? MKVM_MODE_32 : MKVM_MODE_16;
}

int mkvm_decode_mmio(const u8 *bytes, unsigned int count,
		     enum mkvm_cpu_mode mode, struct mkvm_insn *insn);
u64 mkvm_insn_write_data(const struct mkvm_insn *insn, u64 reg_value);
u64 mkvm_insn_read_result(const struct mkvm_insn *insn, u64 old_value,
			  u64 data);
int mkvm_decode_mov_crdr(const u8 *bytes, unsigned int count,
			 enum mkvm_cpu_mode mode, u8 *op, unsigned int *cr,
			 unsigned int *gpr);

#endif /* MKVM_X86_DECODE_H */
