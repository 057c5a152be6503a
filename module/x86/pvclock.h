/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86/pvclock.h - the fixed-point arithmetic of the paravirtual clock
 * (kvmclock, see kvmclock.c).
 *
 * A guest turns a TSC delta into nanoseconds with a 32.32 fixed-point
 * multiplier and a power-of-two pre-shift, both chosen by the hypervisor
 * (Linux: arch/x86/include/asm/pvclock.h, pvclock_scale_delta()):
 *
 *	ns = ((shift >= 0 ? delta << shift : delta >> -shift) * mul) >> 32
 *
 * Pure logic, so selftests/unit/ compiles it for the host unchanged.
 * Non-goals: TSC scaling (the guest TSC always runs at the host's rate).
 */
#ifndef MKVM_X86_PVCLOCK_H
#define MKVM_X86_PVCLOCK_H

#include <linux/types.h>

#define MKVM_NSEC_PER_SEC	1000000000ULL

/**
 * mkvm_pvclock_scale() - the multiplier and shift for a TSC of @hz
 * @hz:    TSC ticks per second (> 0)
 * @mul:   32.32 fixed-point multiplier, normalised to [2^31, 2^32) so it
 *         keeps 31 significant bits
 * @shift: pre-shift of the TSC delta (negative for TSCs above 2 GHz)
 *
 * The wanted ratio is 10^9 / @hz nanoseconds per tick. Written as
 * num / den with num = 10^9 * 2^32 (< 2^62), each step below doubles or
 * halves the ratio and moves @shift the other way, so that
 * mul * 2^shift / 2^32 stays 10^9 / @hz. Doubling prefers num (exact)
 * while it fits in 64 bits, then halves den (drops one low bit of a
 * number above 2^31: a relative error under 2^-31).
 */
static inline void mkvm_pvclock_scale(u64 hz, u32 *mul, s8 *shift)
{
	u64 num = MKVM_NSEC_PER_SEC << 32, den = hz;
	int s = 0;

	while (num / den >= (1ULL << 32)) {	/* slow TSC: pre-shift left */
		den <<= 1;
		s++;
	}
	while (num / den < (1ULL << 31)) {	/* fast TSC: pre-shift right */
		if (num < (1ULL << 63))
			num <<= 1;
		else
			den >>= 1;
		s--;
	}
	*mul = (u32)(num / den);
	*shift = (s8)s;
}

/**
 * mkvm_pvclock_delta_ns() - what the guest computes from a TSC delta
 * @delta: TSC ticks since the published tsc_timestamp
 * @mul:   multiplier from mkvm_pvclock_scale()
 * @shift: shift from mkvm_pvclock_scale()
 *
 * (delta * mul) >> 32 without 128-bit arithmetic: split delta into its
 * high and low 32 bits; the high half's product is already in units of
 * 2^32. Exact, like the guest's mul_u64_u32_shr().
 *
 * Return: nanoseconds.
 */
static inline u64 mkvm_pvclock_delta_ns(u64 delta, u32 mul, s8 shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (delta >> 32) * mul + (((delta & 0xffffffffULL) * mul) >> 32);
}

#endif /* MKVM_X86_PVCLOCK_H */
