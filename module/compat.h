/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference minikvm cares about, and nothing
 * else.
 *
 * minikvm builds against Debian's 6.1 (bookworm), 6.12 (bookworm-backports)
 * and 7.x (sid) headers. Code outside this file never tests
 * LINUX_VERSION_CODE; it uses the mkvm_* wrappers below instead, so that a
 * student reading vmx/ or svm/ sees one spelling of each operation.
 *
 * Non-goals: kernels older than 6.1; non-x86 architectures.
 */
#ifndef MKVM_COMPAT_H
#define MKVM_COMPAT_H

#include <linux/version.h>
#include <asm/msr.h>

/*
 * 6.16 renamed the 64-bit MSR accessors rdmsrl()/wrmsrl() to
 * rdmsrq()/wrmsrq() (and the _safe variants alike).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define mkvm_rdmsr(msr, val)		rdmsrq(msr, val)
#define mkvm_wrmsr(msr, val)		wrmsrq(msr, val)
#define mkvm_rdmsr_safe(msr, p)		rdmsrq_safe(msr, p)
#else
#define mkvm_rdmsr(msr, val)		rdmsrl(msr, val)
#define mkvm_wrmsr(msr, val)		wrmsrl(msr, val)
#define mkvm_rdmsr_safe(msr, p)		rdmsrl_safe(msr, p)
#endif

#endif /* MKVM_COMPAT_H */
