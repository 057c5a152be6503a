// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx/vmx.c - the Intel VMX backend's entry point: is VMX usable here,
 * what does it offer, and the struct mkvm_arch_ops that common code calls.
 *
 * Manual references: Intel SDM Vol. 3C, 24.6 "Discovering Support for VMX",
 * 24.7 "Enabling and Entering VMX Operation" (IA32_FEATURE_CONTROL), and
 * Appendix A "VMX Capability Reporting Facility".
 *
 * The companion file for AMD is x86/svm/svm.c.
 *
 * Non-goals: CPUs without the "true" capability MSRs or with a VMXON
 * region larger than a page; 32-bit hosts.
 */
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/seq_file.h>
#include <asm/processor.h>
#include <asm/msr-index.h>
#include <asm/tlbflush.h>

#include "../../minikvm.h"
#include "../../arch_ops.h"
#include "../../compat.h"
#include "vmx.h"

/* CPUID.1:ECX.VMX[bit 5] (SDM 24.6). */
#define MKVM_CPUID1_ECX_VMX		BIT(5)

/* IA32_VMX_BASIC fields (SDM A.1). */
#define MKVM_VMX_BASIC_REVISION		GENMASK_ULL(30, 0)
#define MKVM_VMX_BASIC_SIZE		GENMASK_ULL(44, 32)
#define MKVM_VMX_BASIC_32BIT_PA		BIT_ULL(48)
#define MKVM_VMX_BASIC_MEMTYPE		GENMASK_ULL(53, 50)
#define MKVM_VMX_BASIC_TRUE_CTLS	BIT_ULL(55)
#define MKVM_VMX_MEMTYPE_WB		6

/* IA32_VMX_PROCBASED_CTLS, allowed-1 half: "activate secondary controls". */
#define MKVM_VMX_PROCBASED_SECONDARY	BIT_ULL(31 + 32)

/* IA32_VMX_PROCBASED_CTLS2 allowed-1 bits we report (SDM 25.6.2, A.3.3). */
#define MKVM_VMX_SEC_EPT		BIT_ULL(1 + 32)
#define MKVM_VMX_SEC_VPID		BIT_ULL(5 + 32)
#define MKVM_VMX_SEC_UNRESTRICTED	BIT_ULL(7 + 32)

struct mkvm_vmx_caps mkvm_vmx_caps;

/**
 * mkvm_vmx_probe() - does this CPU advertise VMX at all?
 *
 * Return: true when CPUID.1:ECX.VMX is set.
 */
bool mkvm_vmx_probe(void)
{
	return boot_cpu_data.x86_vendor == X86_VENDOR_INTEL &&
	       (cpuid_ecx(1) & MKVM_CPUID1_ECX_VMX);
}

/*
 * Firmware has the last word on VMX: IA32_FEATURE_CONTROL must be locked
 * with "enable VMX outside SMX" set, otherwise VMXON raises #GP (SDM 24.7).
 * Linux locks the MSR at boot; if it is locked with VMX off, only a
 * firmware setting can change that.
 */
static int mkvm_vmx_check_feature_control(void)
{
	u64 fc;

	if (mkvm_rdmsr_safe(MSR_IA32_FEAT_CTL, &fc)) {
		pr_info("VMX unusable: IA32_FEATURE_CONTROL cannot be read\n");
		return -ENODEV;
	}
	if (!(fc & FEAT_CTL_LOCKED)) {
		pr_info("VMX unusable: IA32_FEATURE_CONTROL is not locked (%#llx)\n",
			fc);
		return -ENODEV;
	}
	if (!(fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_info("VMX unusable: disabled in the firmware (IA32_FEATURE_CONTROL=%#llx); enable VT-x in the BIOS setup\n",
			fc);
		return -ENODEV;
	}
	return 0;
}

static int mkvm_vmx_read_caps(void)
{
	struct mkvm_vmx_caps *c = &mkvm_vmx_caps;
	u64 procbased;

	if (mkvm_rdmsr_safe(MSR_IA32_VMX_BASIC, &c->basic) ||
	    mkvm_rdmsr_safe(MSR_IA32_VMX_CR0_FIXED0, &c->cr0_fixed0) ||
	    mkvm_rdmsr_safe(MSR_IA32_VMX_CR0_FIXED1, &c->cr0_fixed1) ||
	    mkvm_rdmsr_safe(MSR_IA32_VMX_CR4_FIXED0, &c->cr4_fixed0) ||
	    mkvm_rdmsr_safe(MSR_IA32_VMX_CR4_FIXED1, &c->cr4_fixed1) ||
	    mkvm_rdmsr_safe(MSR_IA32_VMX_PROCBASED_CTLS, &procbased)) {
		pr_info("VMX unusable: a capability MSR cannot be read\n");
		return -ENODEV;
	}
	c->revision_id = c->basic & MKVM_VMX_BASIC_REVISION;

	/* We allocate exactly one page per region and rely on WB (SDM A.1). */
	if (FIELD_GET(MKVM_VMX_BASIC_SIZE, c->basic) > PAGE_SIZE ||
	    (c->basic & MKVM_VMX_BASIC_32BIT_PA) ||
	    FIELD_GET(MKVM_VMX_BASIC_MEMTYPE, c->basic) != MKVM_VMX_MEMTYPE_WB) {
		pr_info("VMX unusable: unsupported IA32_VMX_BASIC %#llx\n",
			c->basic);
		return -ENODEV;
	}

	/* Secondary controls and EPT/VPID caps are optional MSRs (SDM A.3.3). */
	c->procbased2 = 0;
	c->ept_vpid = 0;
	if (procbased & MKVM_VMX_PROCBASED_SECONDARY) {
		mkvm_rdmsr_safe(MSR_IA32_VMX_PROCBASED_CTLS2, &c->procbased2);
		if (c->procbased2 & (MKVM_VMX_SEC_EPT | MKVM_VMX_SEC_VPID))
			mkvm_rdmsr_safe(MSR_IA32_VMX_EPT_VPID_CAP, &c->ept_vpid);
	}
	return 0;
}

static int mkvm_vmx_hardware_setup(void)
{
	const struct mkvm_vmx_caps *c = &mkvm_vmx_caps;
	int r;

	if (!mkvm_cr4_shadow_usable()) {
		pr_info("VMX unusable: this kernel lets only kvm_intel change CR4.VMXE (see Documentation/coexistence.md)\n");
		return -ENODEV;
	}
	r = mkvm_vmx_check_feature_control();
	if (r)
		return r;
	r = mkvm_vmx_read_caps();
	if (r)
		return r;
	r = mkvm_vmx_alloc_vmxon_regions();
	if (r)
		return r;

	pr_info("VMX revision %#x, EPT %s, VPID %s, unrestricted guest %s\n",
		c->revision_id,
		c->procbased2 & MKVM_VMX_SEC_EPT ? "yes" : "no",
		c->procbased2 & MKVM_VMX_SEC_VPID ? "yes" : "no",
		c->procbased2 & MKVM_VMX_SEC_UNRESTRICTED ? "yes" : "no");
	return 0;
}

static void mkvm_vmx_hardware_unsetup(void)
{
	mkvm_vmx_free_vmxon_regions();
}

static bool mkvm_vmx_cpu_in_use(void)
{
	return mkvm_cr4_read_shadow() & X86_CR4_VMXE;
}

static void mkvm_vmx_show_caps(struct seq_file *m)
{
	const struct mkvm_vmx_caps *c = &mkvm_vmx_caps;

	seq_printf(m, "vendor: vmx\nrevision_id: %#x\nvmx_basic: %#llx\n",
		   c->revision_id, c->basic);
	seq_printf(m, "true_controls: %s\n",
		   c->basic & MKVM_VMX_BASIC_TRUE_CTLS ? "yes" : "no");
	seq_printf(m, "ept: %s\nvpid: %s\nunrestricted_guest: %s\n",
		   c->procbased2 & MKVM_VMX_SEC_EPT ? "yes" : "no",
		   c->procbased2 & MKVM_VMX_SEC_VPID ? "yes" : "no",
		   c->procbased2 & MKVM_VMX_SEC_UNRESTRICTED ? "yes" : "no");
	seq_printf(m, "ept_vpid_cap: %#llx\n", c->ept_vpid);
}

const struct mkvm_arch_ops mkvm_vmx_ops = {
	.name = "vmx",
	.owner_hint = "kvm_intel",
	.hardware_setup = mkvm_vmx_hardware_setup,
	.hardware_unsetup = mkvm_vmx_hardware_unsetup,
	.cpu_enable = mkvm_vmx_cpu_enable,
	.cpu_disable = mkvm_vmx_cpu_disable,
	.cpu_in_use = mkvm_vmx_cpu_in_use,
	.show_caps = mkvm_vmx_show_caps,
};
