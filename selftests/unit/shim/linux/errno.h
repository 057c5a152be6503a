/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/errno.h>: the UAPI errno values, as the kernel uses. */
#ifndef MKVM_SHIM_LINUX_ERRNO_H
#define MKVM_SHIM_LINUX_ERRNO_H

#include <asm/errno.h>

#endif
