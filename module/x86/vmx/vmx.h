/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmx.h - state shared between the files of the Intel VMX backend.
 *
 * Manual references: Intel SDM Vol. 3C, Appendix A "VMX Capability
 * Reporting Facility".
 */
#ifndef MKVM_VMX_H
#define MKVM_VMX_H

#include <linux/types.h>

/**
 * struct mkvm_vmx_caps - what the VMX capability MSRs said at load time
 * @basic:	IA32_VMX_BASIC (SDM A.1): revision id, region size, memory type.
 * @revision_id: Bits 30:0 of @basic; written at the start of every VMXON
 *		region and VMCS (SDM 24.2, 25.11.5).
 * @cr0_fixed0:	CR0 bits that must be 1 in VMX operation (SDM A.7).
 * @cr0_fixed1:	CR0 bits that may be 1 in VMX operation.
 * @cr4_fixed0:	CR4 bits that must be 1 in VMX operation (SDM A.8).
 * @cr4_fixed1:	CR4 bits that may be 1 in VMX operation.
 * @procbased2:	IA32_VMX_PROCBASED_CTLS2 (SDM A.3.3), 0 if absent.
 * @ept_vpid:	IA32_VMX_EPT_VPID_CAP (SDM A.10), 0 if absent.
 */
struct mkvm_vmx_caps {
	u64 basic;
	u32 revision_id;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
	u64 procbased2;
	u64 ept_vpid;
};

extern struct mkvm_vmx_caps mkvm_vmx_caps;

int mkvm_vmx_alloc_vmxon_regions(void);
void mkvm_vmx_free_vmxon_regions(void);
int mkvm_vmx_cpu_enable(void);
void mkvm_vmx_cpu_disable(void);

#endif /* MKVM_VMX_H */
