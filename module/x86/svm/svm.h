/* SPDX-License-Identifier: GPL-2.0 */
/*
 * svm.h - state shared between the files of the AMD SVM backend.
 *
 * Manual references: AMD64 APM Vol. 2, 15.4 "Enabling SVM" and
 * Vol. 3, Appendix E.4.10 "Function 8000_000Ah - SVM Revision and Feature
 * Identification".
 */
#ifndef MKVM_SVM_H
#define MKVM_SVM_H

#include <linux/types.h>

/**
 * struct mkvm_svm_caps - what CPUID 8000_000Ah said at load time
 * @revision:	SVM revision number (EAX[7:0]).
 * @nr_asids:	Number of address space identifiers (EBX); ASID 0 is the host.
 * @features:	Feature bits (EDX): NPT, NRIP-save, decode assists, clean
 *		bits, flush-by-ASID... The emulated EPYC of our test machine
 *		has NPT but none of the others, so code must check each one.
 */
struct mkvm_svm_caps {
	u32 revision;
	u32 nr_asids;
	u32 features;
};

extern struct mkvm_svm_caps mkvm_svm_caps;

int mkvm_svm_alloc_hsave_areas(void);
void mkvm_svm_free_hsave_areas(void);
int mkvm_svm_cpu_enable(void);
void mkvm_svm_cpu_disable(void);

#endif /* MKVM_SVM_H */
