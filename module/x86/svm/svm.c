// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm/svm.c - the AMD SVM backend's entry point: is SVM usable here,
 * what does it offer, and the struct mkvm_arch_ops that common code calls.
 *
 * Manual references: AMD64 APM Vol. 2, 15.4 "Enabling SVM" (CPUID and
 * VM_CR.SVMDIS), 15.30.1 "VM_CR MSR"; APM Vol. 3, Appendix E.4.10 (CPUID
 * 8000_000Ah feature bits).
 *
 * The companion file for Intel is x86/vmx/vmx.c.
 *
 * Non-goals: SEV/SEV-ES/SNP, AVIC, nested SVM.
 */
#include <linux/bits.h>
#include <linux/seq_file.h>
#include <asm/processor.h>
#include <asm/msr-index.h>

#include "../../minikvm.h"
#include "../../arch_ops.h"
#include "../../compat.h"
#include "../pgwalk.h"
#include "svm.h"

/* CPUID 8000_0001h:ECX.SVM[bit 2] (APM Vol. 3, E.4.2). */
#define MKVM_CPUID_80000001_ECX_SVM	BIT(2)
/* VM_CR bits (APM 15.30.1): LOCK (bit 3), SVMDIS (bit 4). */
#define MKVM_VM_CR_LOCK			BIT_ULL(3)
#define MKVM_VM_CR_SVMDIS		BIT_ULL(4)

/* CPUID 8000_000Ah:EDX feature bits (APM Vol. 3, E.4.10). */
static const char * const mkvm_svm_feature_names[] = {
	[0] = "npt",		[1] = "lbr_virt",	[2] = "svm_lock",
	[3] = "nrip_save",	[4] = "tsc_rate",	[5] = "vmcb_clean",
	[6] = "flush_by_asid",	[7] = "decode_assists",	[10] = "pause_filter",
	[12] = "pause_threshold", [13] = "avic",	[15] = "v_vmsave_vmload",
	[16] = "vgif",
};

struct mkvm_svm_caps mkvm_svm_caps;

/**
 * mkvm_svm_probe() - does this CPU advertise SVM at all?
 *
 * Return: true when CPUID 8000_0001h:ECX.SVM is set.
 */
bool mkvm_svm_probe(void)
{
	if (boot_cpu_data.x86_vendor != X86_VENDOR_AMD &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_HYGON)
		return false;
	if (cpuid_eax(0x80000000) < 0x8000000a)
		return false;
	return cpuid_ecx(0x80000001) & MKVM_CPUID_80000001_ECX_SVM;
}

static int mkvm_svm_hardware_setup(void)
{
	struct mkvm_svm_caps *c = &mkvm_svm_caps;
	u64 vm_cr;
	int r;

	/*
	 * VM_CR.SVMDIS makes EFER.SVME writes #GP. With VM_CR.LOCK it is
	 * the firmware's decision; without LOCK it could be cleared, but
	 * overriding a firmware choice is not ours to do (APM 15.30.1).
	 */
	if (mkvm_rdmsr_safe(MSR_VM_CR, &vm_cr)) {
		pr_info("SVM unusable: VM_CR cannot be read\n");
		return -ENODEV;
	}
	if (vm_cr & MKVM_VM_CR_SVMDIS) {
		pr_info("SVM unusable: disabled in the firmware (VM_CR=%#llx%s); enable SVM/AMD-V in the BIOS setup\n",
			vm_cr, vm_cr & MKVM_VM_CR_LOCK ? ", locked" : "");
		return -ENODEV;
	}

	c->revision = cpuid_eax(0x8000000a) & 0xff;
	c->nr_asids = cpuid_ebx(0x8000000a);
	c->features = cpuid_edx(0x8000000a);

	r = mkvm_svm_alloc_hsave_areas();
	if (r)
		return r;

	pr_info("SVM revision %u, %u ASIDs, NPT %s, NRIP-save %s, decode assists %s\n",
		c->revision, c->nr_asids,
		c->features & BIT(0) ? "yes" : "no",
		c->features & BIT(3) ? "yes" : "no",
		c->features & BIT(7) ? "yes" : "no");
	return 0;
}

static void mkvm_svm_hardware_unsetup(void)
{
	mkvm_svm_free_hsave_areas();
}

static bool mkvm_svm_cpu_in_use(void)
{
	u64 efer;

	mkvm_rdmsr(MSR_EFER, efer);
	return efer & EFER_SVME;
}

static void mkvm_svm_show_caps(struct seq_file *m)
{
	const struct mkvm_svm_caps *c = &mkvm_svm_caps;
	unsigned int i;

	seq_printf(m, "vendor: svm\nrevision: %u\nasids: %u\nfeatures: %#x\n",
		   c->revision, c->nr_asids, c->features);
	for (i = 0; i < ARRAY_SIZE(mkvm_svm_feature_names); i++)
		if (mkvm_svm_feature_names[i])
			seq_printf(m, "%s: %s\n", mkvm_svm_feature_names[i],
				   c->features & BIT(i) ? "yes" : "no");
}

const struct mkvm_arch_ops mkvm_svm_ops = {
	.name = "svm",
	.owner_hint = "kvm_amd",
	.walk_flags = MKVM_WALK_ENV_AMD,
	.hardware_setup = mkvm_svm_hardware_setup,
	.hardware_unsetup = mkvm_svm_hardware_unsetup,
	.cpu_enable = mkvm_svm_cpu_enable,
	.cpu_disable = mkvm_svm_cpu_disable,
	.cpu_in_use = mkvm_svm_cpu_in_use,
	.show_caps = mkvm_svm_show_caps,
	.vm_init = mkvm_svm_vm_init,
	.vm_destroy = mkvm_svm_vm_destroy,
	.unmap_range = mkvm_svm_unmap_range,
	.vcpu_create = mkvm_svm_vcpu_create,
	.vcpu_free = mkvm_svm_vcpu_free,
	.vcpu_load = mkvm_svm_vcpu_load,
	.vcpu_put = mkvm_svm_vcpu_put,
	.load_dr6 = false,
	.prepare_switch = mkvm_svm_prepare_switch,
	.enter_exit = mkvm_svm_enter_exit,
	.handle_exit_irqoff = mkvm_svm_handle_exit_irqoff,
	.handle_exit = mkvm_svm_handle_exit,
	.read_gpr = mkvm_svm_read_gpr,
	.write_gpr = mkvm_svm_write_gpr,
	.skip_insn = mkvm_svm_skip_insn,
	.get_regs = mkvm_svm_get_regs,
	.set_regs = mkvm_svm_set_regs,
	.get_sregs = mkvm_svm_get_sregs,
	.set_sregs = mkvm_svm_set_sregs,
	.get_msr = mkvm_svm_get_msr,
	.set_msr = mkvm_svm_set_msr,
	.tsc_offset = mkvm_svm_tsc_offset,
	.queue_exception = mkvm_svm_inject_exception,
	.vcpu_reset = mkvm_svm_vcpu_reset,
	.irq_allowed = mkvm_svm_irq_allowed,
	.inject_irq = mkvm_svm_inject_irq,
	.enable_irq_window = mkvm_svm_enable_irq_window,
	.nmi_allowed = mkvm_svm_nmi_allowed,
	.inject_nmi = mkvm_svm_inject_nmi,
	.enable_nmi_window = mkvm_svm_enable_nmi_window,
	.get_event = mkvm_svm_get_event,
	.set_event = mkvm_svm_set_event,
	.get_shadow = mkvm_svm_get_shadow,
	.set_shadow = mkvm_svm_set_shadow,
	.set_nmi_mask = mkvm_svm_set_nmi_mask,
};
