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
 * The other per-CPU VMX state lives here too: which VMCSs are active on
 * this CPU and which one is current (SDM 25.11.1-25.11.3). A VMCS is made
 * active and current by VMPTRLD and stays active on that CPU until VMCLEAR
 * there writes its cached state back to memory; only then may another CPU
 * load it. So every CPU keeps a list of the VMCSs active on it, and
 * leaving VMX operation (last VM gone, CPU hot-unplug, reboot, suspend)
 * VMCLEARs them first - VMXOFF with active VMCSs would lose their state.
 *
 * Every VMX instruction's outcome is checked the same way: #UD/#GP through
 * the exception table, VMfailInvalid (CF=1) and VMfailValid (ZF=1, with a
 * number in the VM-instruction error field, SDM 31.4) through "jna".
 *
 * The companion file for AMD is x86/svm/hw.c.
 *
 * Non-goals: SMX/TXT (VMXON inside SMX), and programming
 * IA32_FEATURE_CONTROL ourselves (Linux locks it at boot, see
 * arch/x86/kernel/cpu/feat_ctl.c); shadow VMCS.
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
/*
 * The VMCSs active on each CPU (struct mkvm_vmx_vcpu.loaded_link) and the
 * current one. Changed only on their own CPU with interrupts disabled, so
 * the VMCLEAR IPI and CPU-disable path see a consistent list.
 */
static DEFINE_PER_CPU(struct list_head, mkvm_loaded_vmcss);
static DEFINE_PER_CPU(struct mkvm_vmx_vcpu *, mkvm_current_vmcs);

/*
 * The I/O bitmaps A and B (SDM 25.6.4, one bit per port, two pages) and
 * the MSR bitmap (25.6.9, four 1 KiB quarters: read low, read high, write
 * low, write high). All bits set: every port and every MSR access exits
 * (MSRs outside both ranges always exit). Shared by every vCPU.
 */
phys_addr_t mkvm_vmx_io_bitmap_pa, mkvm_vmx_msr_bitmap_pa;
static struct page *mkvm_io_bitmap, *mkvm_msr_bitmap;

/* The VM-instruction error number of the last VMfailValid (SDM 31.4). */
u32 mkvm_vmx_insn_error(void)
{
	u64 err = 0;

	asm goto("1: vmread %[field], %[err]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : [err] "=r" (err) : [field] "r" ((u64)VM_INSTRUCTION_ERROR)
		 : "cc" : fail);
	return err;
fail:
	return 0;
}

/**
 * mkvm_vmread() - read a field of the current VMCS
 * @field: the field encoding (SDM Appendix B)
 *
 * Return: the value, or 0 after printing why VMREAD failed.
 */
u64 mkvm_vmread(unsigned long field)
{
	u64 value;

	asm goto("1: vmread %[field], %[value]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : [value] "=r" (value) : [field] "r" ((u64)field)
		 : "cc" : fail, fault);
	return value;
fail:
	pr_err_ratelimited("VMREAD %#lx failed (VM-instruction error %u)\n",
			   field, mkvm_vmx_insn_error());
	return 0;
fault:
	pr_err_ratelimited("VMREAD %#lx faulted: not in VMX operation\n", field);
	return 0;
}

/**
 * mkvm_vmwrite() - write a field of the current VMCS
 * @field: the field encoding (SDM Appendix B)
 * @value: the value
 *
 * A failure (read-only field, no current VMCS) is printed; the next VM
 * entry then fails its checks and the VM gets KVM_EXIT_FAIL_ENTRY.
 */
void mkvm_vmwrite(unsigned long field, u64 value)
{
	asm goto("1: vmwrite %[value], %[field]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [field] "r" ((u64)field), [value] "rm" (value)
		 : "cc" : fail, fault);
	return;
fail:
	pr_err_ratelimited("VMWRITE %#lx = %#llx failed (VM-instruction error %u)\n",
			   field, value, mkvm_vmx_insn_error());
	return;
fault:
	pr_err_ratelimited("VMWRITE %#lx faulted: not in VMX operation\n", field);
}

/**
 * mkvm_vmclear() - VMCLEAR: flush a VMCS to memory, launch state "clear"
 * @pa: its physical address
 *
 * Return: 0, -EIO (VMfail) or -EFAULT (fault).
 */
int mkvm_vmclear(phys_addr_t pa)
{
	u64 p = pa;

	asm goto("1: vmclear %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (p) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

/**
 * mkvm_vmptrld() - VMPTRLD: make a VMCS active and current on this CPU
 * @pa: its physical address
 *
 * Return: 0, -EIO (VMfail) or -EFAULT (fault).
 */
int mkvm_vmptrld(phys_addr_t pa)
{
	u64 p = pa;

	asm goto("1: vmptrld %[pa]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (p) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

/**
 * mkvm_invept() - INVEPT (SDM Vol. 3C 29.4.3.1, Vol. 2B "INVEPT")
 * @type: 1 single-context, 2 global
 * @eptp: the EPT pointer (single-context)
 *
 * Return: 0, -EIO (VMfail) or -EFAULT (fault).
 */
int mkvm_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, gpa; } desc = { eptp, 0 };

	asm goto("1: invept %[desc], %[type]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [desc] "m" (desc), [type] "r" (type)
		 : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

/**
 * mkvm_invvpid() - INVVPID (SDM Vol. 3C 29.4.3.3, Vol. 2B "INVVPID")
 * @type: 1 single-context, 2 all-context
 * @vpid: the VPID (single-context)
 *
 * Return: 0, -EIO (VMfail) or -EFAULT (fault).
 */
int mkvm_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gla; } desc = { vpid, 0 };

	asm goto("1: invvpid %[desc], %[type]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [desc] "m" (desc), [type] "r" (type)
		 : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

/* VMCLEAR @arg on this CPU, which must be the one it is active on. */
static void mkvm_vmx_vmcs_clear_local(void *arg)
{
	struct mkvm_vmx_vcpu *vmx = arg;
	int r;

	lockdep_assert_irqs_disabled();
	/* Already cleared: this CPU left VMX operation meanwhile. */
	if (vmx->cpu != smp_processor_id())
		return;
	r = mkvm_vmclear(vmx->vmcs_pa);
	if (r)
		pr_err_ratelimited("CPU %d: VMCLEAR %s (VM-instruction error %u)\n",
				   smp_processor_id(),
				   r == -EFAULT ? "faulted" : "failed",
				   r == -EIO ? mkvm_vmx_insn_error() : 0);
	if (this_cpu_read(mkvm_current_vmcs) == vmx)
		this_cpu_write(mkvm_current_vmcs, NULL);
	list_del(&vmx->loaded_link);
	vmx->launched = false;
	/* The list entry is gone before anyone sees the VMCS as free. */
	smp_wmb();
	WRITE_ONCE(vmx->cpu, -1);
}

/**
 * mkvm_vmx_vmcs_clear() - VMCLEAR a VMCS on whatever CPU it is active on
 * @vmx: the vCPU
 *
 * Uses an IPI when that is another CPU (SDM 25.11.1: only the CPU holding
 * a VMCS may VMCLEAR it). A CPU that went offline cleared it already.
 *
 * Context: process context, interrupts enabled (may wait for an IPI).
 */
void mkvm_vmx_vmcs_clear(struct mkvm_vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, mkvm_vmx_vmcs_clear_local, vmx, 1);
}

/**
 * mkvm_vmx_vmcs_load() - make the VMCS active and current on this CPU
 * @vmx: the vCPU; not active on any other CPU (mkvm_vmx_vmcs_clear())
 * @cpu: this CPU
 *
 * Context: preemption disabled.
 */
void mkvm_vmx_vmcs_load(struct mkvm_vmx_vcpu *vmx, int cpu)
{
	unsigned long flags;
	int r;

	if (READ_ONCE(vmx->cpu) != cpu) {
		/* Pairs with the smp_wmb() of the clear. */
		smp_rmb();
		local_irq_save(flags);
		list_add(&vmx->loaded_link, this_cpu_ptr(&mkvm_loaded_vmcss));
		WRITE_ONCE(vmx->cpu, cpu);
		local_irq_restore(flags);
	}
	if (this_cpu_read(mkvm_current_vmcs) == vmx)
		return;
	r = mkvm_vmptrld(vmx->vmcs_pa);
	if (r) {
		pr_err_ratelimited("CPU %d: VMPTRLD %s (VM-instruction error %u)\n",
				   cpu, r == -EFAULT ? "faulted" : "failed",
				   r == -EIO ? mkvm_vmx_insn_error() : 0);
		return;
	}
	this_cpu_write(mkvm_current_vmcs, vmx);
	/*
	 * Another VMCS was current here: keep its guest's branch predictions
	 * away from this one (and back), as kvm_intel does at VMPTRLD.
	 */
	mkvm_ibpb();
}

/**
 * mkvm_vmx_vmcs_is_current() - is @vmx this CPU's current VMCS?
 * @vmx: the vCPU
 *
 * Context: preemption disabled.
 * Return: true when VMREAD/VMWRITE/VM entry would use it.
 */
bool mkvm_vmx_vmcs_is_current(struct mkvm_vmx_vcpu *vmx)
{
	return this_cpu_read(mkvm_current_vmcs) == vmx &&
	       READ_ONCE(vmx->cpu) == smp_processor_id();
}

/**
 * mkvm_vmx_alloc_vmxon_regions() - allocate and stamp the VMXON regions
 *
 * Return: 0 or -ENOMEM (nothing stays allocated on failure).
 */
int mkvm_vmx_alloc_vmxon_regions(void)
{
	unsigned int cpu;

	mkvm_io_bitmap = alloc_pages(GFP_KERNEL, 1);
	mkvm_msr_bitmap = alloc_page(GFP_KERNEL);
	if (!mkvm_io_bitmap || !mkvm_msr_bitmap) {
		mkvm_vmx_free_vmxon_regions();
		return -ENOMEM;
	}
	memset(page_address(mkvm_io_bitmap), 0xff, 2 * PAGE_SIZE);
	memset(page_address(mkvm_msr_bitmap), 0xff, PAGE_SIZE);
	mkvm_vmx_io_bitmap_pa = page_to_phys(mkvm_io_bitmap);
	mkvm_vmx_msr_bitmap_pa = page_to_phys(mkvm_msr_bitmap);

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
		INIT_LIST_HEAD(&per_cpu(mkvm_loaded_vmcss, cpu));
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
	if (mkvm_io_bitmap)
		__free_pages(mkvm_io_bitmap, 1);
	if (mkvm_msr_bitmap)
		__free_page(mkvm_msr_bitmap);
	mkvm_io_bitmap = NULL;
	mkvm_msr_bitmap = NULL;
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
 * Description: Every VMCS still active on this CPU is VMCLEARed first, so
 * that its state is written back to memory (SDM 25.11.3) and any CPU may
 * load it later (the vCPU then starts again with VMLAUNCH).
 *
 * Context: interrupts disabled; only after a successful enable.
 */
void mkvm_vmx_cpu_disable(void)
{
	struct mkvm_vmx_vcpu *vmx, *tmp;

	lockdep_assert_irqs_disabled();

	list_for_each_entry_safe(vmx, tmp, this_cpu_ptr(&mkvm_loaded_vmcss),
				 loaded_link)
		mkvm_vmx_vmcs_clear_local(vmx);

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
