// SPDX-License-Identifier: GPL-2.0
/*
 * pvclock_test.c - module/x86/pvclock.h: the kvmclock multiplier and shift
 * for TSC rates from 1 MHz to 10 GHz keep mul normalised, the shift in the
 * ABI's s8, and convert one second, one day and a short delta to
 * nanoseconds within 2^-30 of the exact value (what a guest computing
 * time = system_time + scale(delta) sees).
 */
#include <math.h>

#include <linux/types.h>
#include "../../module/x86/pvclock.h"
#include "unit.h"

/* The guest's computation with a 128-bit product, as Linux does it. */
static u64 guest_scale(u64 delta, u32 mul, s8 shift)
{
	delta = shift < 0 ? delta >> -shift : delta << shift;
	return (u64)(((unsigned __int128)delta * mul) >> 32);
}

static void check_rate(u64 hz)
{
	const u64 deltas[] = { 1000, hz, hz * 86400, hz / 3 };
	unsigned int i;
	u32 mul;
	s8 shift;

	t_begin("pvclock scale for %llu Hz", (unsigned long long)hz);
	mkvm_pvclock_scale(hz, &mul, &shift);
	CHECKF(mul >= (1u << 31), "mul %#x not normalised", mul);
	CHECK(shift > -32 && shift < 32);
	for (i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
		u64 d = deltas[i];
		long double exact = (long double)d * 1e9L / (long double)hz;
		u64 got = mkvm_pvclock_delta_ns(d, mul, shift);

		CHECKF(got == guest_scale(d, mul, shift),
		       "delta %llu: %llu vs guest %llu", (unsigned long long)d,
		       (unsigned long long)got,
		       (unsigned long long)guest_scale(d, mul, shift));
		CHECKF(fabsl((long double)got - exact) <= exact / (1u << 30) + 2,
		       "delta %llu: %llu ns, exact %.1Lf", (unsigned long long)d,
		       (unsigned long long)got, exact);
	}
	t_end();
}

void pvclock_tests(void)
{
	const u64 rates[] = { 1000000, 999999999, 1000000000, 1000000001,
			      1999999999, 2000000000, 2100000000, 2893202000,
			      3700000000ULL, 4294967295ULL, 4294967296ULL,
			      10000000000ULL };
	unsigned int i;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		check_rate(rates[i]);
}
