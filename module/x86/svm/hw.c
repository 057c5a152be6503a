// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm/hw.c - EFER.SVME and the host save area on one CPU.
 *
 * Enabling SVM (AMD APM Vol. 2, 15.4 "Enabling SVM"): set EFER.SVME, and
 * before the first VMRUN point VM_HSAVE_PA at a 4 KiB page where the CPU
 * keeps host state across VMRUN/#VMEXIT (15.30.4 "VM_HSAVE_PA MSR").
 * Unlike VMXON, none of this has a "failed" outcome to check: WRMSR to
 * EFER either works or raises #GP, which only happens when VM_CR.SVMDIS is
 * set - and that is checked once at load (svm.c).
 *
 * Disabling is the mirror: clear VM_HSAVE_PA, make sure GIF is 1 (STGI;
 * with GIF=0 INIT and NMIs stay blocked, which would hang a reboot - 15.17
 * "Global Interrupt Flag"), then clear EFER.SVME.
 *
 * The companion file for Intel is x86/vmx/hw.c.
 *
 * Non-goals: SVM-Lock (15.31), SKINIT.
 */
#include <linux/percpu.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <asm/asm.h>
#include <asm/msr-index.h>

#include "../../minikvm.h"
#include "../../compat.h"
#include "svm.h"

/* One host save area per possible CPU, allocated at load (never in an IPI). */
static DEFINE_PER_CPU(struct page *, mkvm_hsave_area);

/**
 * mkvm_svm_alloc_hsave_areas() - allocate a host save area per CPU
 *
 * Return: 0 or -ENOMEM (nothing stays allocated on failure).
 */
int mkvm_svm_alloc_hsave_areas(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page;

		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			mkvm_svm_free_hsave_areas();
			return -ENOMEM;
		}
		per_cpu(mkvm_hsave_area, cpu) = page;
	}
	return 0;
}

/** mkvm_svm_free_hsave_areas() - free what the allocator above made */
void mkvm_svm_free_hsave_areas(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page = per_cpu(mkvm_hsave_area, cpu);

		if (page)
			__free_page(page);
		per_cpu(mkvm_hsave_area, cpu) = NULL;
	}
}

/**
 * mkvm_svm_cpu_enable() - turn SVM on for this CPU
 *
 * Context: interrupts disabled.
 * Return: 0, or -EBUSY if EFER.SVME is already set (another hypervisor,
 * most likely kvm_amd, is using SVM on this CPU).
 */
int mkvm_svm_cpu_enable(void)
{
	u64 efer;

	lockdep_assert_irqs_disabled();

	/* EFER.SVME is the ownership flag; KVM checks the same bit. */
	mkvm_rdmsr(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;

	mkvm_wrmsr(MSR_EFER, efer | EFER_SVME);
	mkvm_wrmsr(MSR_VM_HSAVE_PA,
		   page_to_phys(this_cpu_read(mkvm_hsave_area)));
	return 0;
}

/**
 * mkvm_svm_cpu_disable() - turn SVM off for this CPU
 *
 * Context: interrupts disabled; only after a successful enable.
 */
void mkvm_svm_cpu_disable(void)
{
	u64 efer;

	lockdep_assert_irqs_disabled();

	mkvm_wrmsr(MSR_VM_HSAVE_PA, 0);
	mkvm_rdmsr(MSR_EFER, efer);
	if (!(efer & EFER_SVME))
		return;
	/*
	 * STGI is only legal with EFER.SVME=1, which was just checked; the
	 * exception-table entry still turns an unexpected #UD into a message
	 * instead of an oops.
	 */
	asm goto("1: stgi\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "memory" : fault);
	mkvm_wrmsr(MSR_EFER, efer & ~EFER_SVME);
	return;
fault:
	pr_err_ratelimited("CPU %d: STGI faulted while disabling SVM\n",
			   smp_processor_id());
	mkvm_wrmsr(MSR_EFER, efer & ~EFER_SVME);
}
