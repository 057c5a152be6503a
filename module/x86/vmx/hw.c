// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx/hw.c - VMXON and VMXOFF on one CPU.
 *
 * Entering VMX root operation (Intel SDM Vol. 3C, 24.7 "Enabling and
 * Entering VMX Operation", and 24.11.5 "VMXON Region"):
 *   1. CR4.VMXE must be 1, and CR0/CR4 must respect the fixed-bit MSRs
 *      (SDM 24.8 "Restrictions on VMX Operation", A.7, A.8);
 *   2. IA32_FEATURE_CONTROL must be locked with "VMX outside SMX" set
 *      (checked once at load, in vmx.c);
 *   3. VMXON takes the physical address of a 4 KiB-aligned region whose
 *      first 32 bits hold the VMCS revision identifier.
 * VMXON can fail three ways, and each is checked: #UD/#GP (caught by the
 * exception table: e.g. someone cleared CR4.VMXE), VMfailInvalid (CF=1: a
 * bad region pointer) and VMfailValid (ZF=1: already in VMX operation -
 * which cannot happen here because CR4.VMXE was clear, but is checked
 * anyway, SDM 31.4 "VM Instruction Error Numbers", error 15).
 *
 * The companion file for AMD is x86/svm/hw.c.
 *
 * Non-goals: SMX/TXT (VMXON inside SMX), and programming
 * IA32_FEATURE_CONTROL ourselves (Linux locks it at boot, see
 * arch/x86/kernel/cpu/feat_ctl.c).
 */
#include <linux/percpu.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <asm/asm.h>
#include <asm/tlbflush.h>
#include <asm/special_insns.h>
#include <asm/processor-flags.h>

#include "../../minikvm.h"
#include "../../compat.h"
#include "vmx.h"

/* One VMXON region per possible CPU, allocated at load (never in an IPI). */
static DEFINE_PER_CPU(struct page *, mkvm_vmxon_region);

/**
 * mkvm_vmx_alloc_vmxon_regions() - allocate and stamp the VMXON regions
 *
 * Return: 0 or -ENOMEM (nothing stays allocated on failure).
 */
int mkvm_vmx_alloc_vmxon_regions(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page;

		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			mkvm_vmx_free_vmxon_regions();
			return -ENOMEM;
		}
		/* SDM 24.11.5: bits 30:0 = revision id, bit 31 = 0. */
		*(u32 *)page_address(page) = mkvm_vmx_caps.revision_id;
		per_cpu(mkvm_vmxon_region, cpu) = page;
	}
	return 0;
}

/** mkvm_vmx_free_vmxon_regions() - free what the allocator above made */
void mkvm_vmx_free_vmxon_regions(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page = per_cpu(mkvm_vmxon_region, cpu);

		if (page)
			__free_page(page);
		per_cpu(mkvm_vmxon_region, cpu) = NULL;
	}
}

/*
 * VMXON with every failure mode checked. "jna" jumps when CF=1 or ZF=1,
 * i.e. on VMfailInvalid or VMfailValid (SDM 31.2 "Conventions").
 */
static int mkvm_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (pa) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

static int mkvm_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

/* SDM A.7/A.8: every bit set in FIXED0 must be 1, every bit clear in FIXED1 0. */
static bool mkvm_vmx_fixed_ok(u64 val, u64 fixed0, u64 fixed1)
{
	return (val & fixed0) == fixed0 && (val & ~fixed1) == 0;
}

/**
 * mkvm_vmx_cpu_enable() - enter VMX root operation on this CPU
 *
 * Context: interrupts disabled.
 * Return: 0; -EBUSY if CR4.VMXE is already set (another hypervisor, most
 * likely kvm_intel, is in VMX operation here); -EIO/-EFAULT if VMXON failed.
 */
int mkvm_vmx_cpu_enable(void)
{
	struct page *region = this_cpu_read(mkvm_vmxon_region);
	unsigned long cr0;
	int r;

	lockdep_assert_irqs_disabled();

	/*
	 * CR4.VMXE is the ownership flag every well-behaved hypervisor on
	 * Linux checks (KVM does the same test in its enable path). It is
	 * read from the kernel's CR4 shadow, which is what mkvm_cr4_set_bits()
	 * maintains.
	 */
	if (mkvm_cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;

	mkvm_cr4_set_bits(X86_CR4_VMXE);
	cr0 = read_cr0();
	if (!mkvm_vmx_fixed_ok(cr0, mkvm_vmx_caps.cr0_fixed0,
			       mkvm_vmx_caps.cr0_fixed1) ||
	    !mkvm_vmx_fixed_ok(__read_cr4(), mkvm_vmx_caps.cr4_fixed0,
			       mkvm_vmx_caps.cr4_fixed1)) {
		pr_err_ratelimited("CPU %d: CR0=%#lx CR4=%#lx violate the VMX fixed bits\n",
				   smp_processor_id(), cr0, __read_cr4());
		r = -EIO;
		goto clear_vmxe;
	}

	r = mkvm_vmxon(page_to_phys(region));
	if (r) {
		u64 fc = 0;

		mkvm_rdmsr_safe(MSR_IA32_FEAT_CTL, &fc);
		pr_err_ratelimited("CPU %d: VMXON %s (IA32_FEATURE_CONTROL=%#llx)\n",
				   smp_processor_id(),
				   r == -EFAULT ? "faulted" : "failed", fc);
		goto clear_vmxe;
	}
	return 0;

clear_vmxe:
	mkvm_cr4_clear_bits(X86_CR4_VMXE);
	return r;
}

/**
 * mkvm_vmx_cpu_disable() - leave VMX root operation on this CPU
 *
 * Description: Later changes VMCLEAR every VMCS still loaded on this CPU before this
 * point, so that their state is written back to memory (SDM 25.11.3).
 *
 * Context: interrupts disabled; only after a successful enable.
 */
void mkvm_vmx_cpu_disable(void)
{
	lockdep_assert_irqs_disabled();

	/*
	 * A fault (#UD) means we were not in VMX operation after all, so
	 * clearing CR4.VMXE is safe. A VMfail means we still are, and
	 * clearing CR4.VMXE in VMX operation would #GP (SDM 24.8): leave it
	 * set and say so; the CPU stays unusable for others until reboot,
	 * which is better than crashing the host.
	 */
	switch (mkvm_vmxoff()) {
	case -EIO:
		pr_err_ratelimited("CPU %d: VMXOFF failed; VMX stays on\n",
				   smp_processor_id());
		return;
	case -EFAULT:
		pr_err_ratelimited("CPU %d: VMXOFF faulted: not in VMX operation\n",
				   smp_processor_id());
		break;
	}
	mkvm_cr4_clear_bits(X86_CR4_VMXE);
}
