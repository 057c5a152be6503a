/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim for <asm/msr-index.h>: the EFER bits only (AMD APM Vol. 2
 * 3.1.7), with the kernel's names. <asm/processor-flags.h> (CR0/CR4 bits)
 * is a UAPI header and comes from the host's linux-libc-dev unchanged.
 */
#ifndef MKVM_SHIM_ASM_MSR_INDEX_H
#define MKVM_SHIM_ASM_MSR_INDEX_H

#define EFER_SCE	(1 << 0)
#define EFER_LME	(1 << 8)
#define EFER_LMA	(1 << 10)
#define EFER_NX		(1 << 11)

#endif
