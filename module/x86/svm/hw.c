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
/*
 * And one page per CPU for the host state VMSAVE/VMLOAD move around VMRUN
 * (FS/GS/TR/LDTR bases, KernelGSBase, syscall MSRs): VMRUN itself does not
 * save them (APM 15.5.2).
 */
static DEFINE_PER_CPU(struct page *, mkvm_host_save);

/*
 * The I/O and MSR permission maps (APM 15.10.1, 15.11): one bit per port
 * (12 KiB, 3 pages) and two bits per MSR (8 KiB). All bits set: every port
 * and every MSR access exits. Nothing is passed through yet, so one shared
 * copy serves every vCPU.
 */
#define MKVM_IOPM_ORDER		2	/* 16 KiB >= 12 KiB */
#define MKVM_MSRPM_ORDER	1	/* 8 KiB */
phys_addr_t mkvm_svm_iopm_pa, mkvm_svm_msrpm_pa;
static struct page *mkvm_iopm, *mkvm_msrpm;

/**
 * mkvm_svm_host_save_pa() - this CPU's page for VMSAVE/VMLOAD of host state
 *
 * Context: preemption disabled.
 * Return: its physical address.
 */
phys_addr_t mkvm_svm_host_save_pa(void)
{
	return page_to_phys(this_cpu_read(mkvm_host_save));
}

/**
 * mkvm_svm_alloc_hsave_areas() - allocate per-CPU host areas and the maps
 *
 * Return: 0 or -ENOMEM (nothing stays allocated on failure).
 */
int mkvm_svm_alloc_hsave_areas(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct page *hsave, *host;

		hsave = alloc_pages_node(cpu_to_node(cpu),
					 GFP_KERNEL | __GFP_ZERO, 0);
		host = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		per_cpu(mkvm_hsave_area, cpu) = hsave;
		per_cpu(mkvm_host_save, cpu) = host;
		if (!hsave || !host)
			goto nomem;
	}
	mkvm_iopm = alloc_pages(GFP_KERNEL, MKVM_IOPM_ORDER);
	mkvm_msrpm = alloc_pages(GFP_KERNEL, MKVM_MSRPM_ORDER);
	if (!mkvm_iopm || !mkvm_msrpm)
		goto nomem;
	memset(page_address(mkvm_iopm), 0xff, PAGE_SIZE << MKVM_IOPM_ORDER);
	memset(page_address(mkvm_msrpm), 0xff, PAGE_SIZE << MKVM_MSRPM_ORDER);
	mkvm_svm_iopm_pa = page_to_phys(mkvm_iopm);
	mkvm_svm_msrpm_pa = page_to_phys(mkvm_msrpm);
	return 0;
nomem:
	mkvm_svm_free_hsave_areas();
	return -ENOMEM;
}

/** mkvm_svm_free_hsave_areas() - free what the allocator above made */
void mkvm_svm_free_hsave_areas(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(mkvm_hsave_area, cpu))
			__free_page(per_cpu(mkvm_hsave_area, cpu));
		if (per_cpu(mkvm_host_save, cpu))
			__free_page(per_cpu(mkvm_host_save, cpu));
		per_cpu(mkvm_hsave_area, cpu) = NULL;
		per_cpu(mkvm_host_save, cpu) = NULL;
	}
	if (mkvm_iopm)
		__free_pages(mkvm_iopm, MKVM_IOPM_ORDER);
	if (mkvm_msrpm)
		__free_pages(mkvm_msrpm, MKVM_MSRPM_ORDER);
	mkvm_iopm = NULL;
	mkvm_msrpm = NULL;
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
	mkvm_svm_asid_cpu_enabled();
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
