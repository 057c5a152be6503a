/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/minmax.h>: min_t()/max_t() without the type checks. */
#ifndef MKVM_SHIM_LINUX_MINMAX_H
#define MKVM_SHIM_LINUX_MINMAX_H

#define min_t(type, x, y) ({ type __x = (x), __y = (y); __x < __y ? __x : __y; })
#define max_t(type, x, y) ({ type __x = (x), __y = (y); __x > __y ? __x : __y; })

#endif
