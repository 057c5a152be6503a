/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/bitops.h>: sign_extend64() as the kernel has it. */
#ifndef MKVM_SHIM_LINUX_BITOPS_H
#define MKVM_SHIM_LINUX_BITOPS_H

#include <linux/types.h>
#include <linux/bits.h>

/* @index: 0-based bit index of the sign bit (include/linux/bitops.h). */
static inline s64 sign_extend64(u64 value, int index)
{
	int shift = 63 - index;

	return (s64)(value << shift) >> shift;
}

#endif
