// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx/vmx.c - the Intel VMX backend's entry point: is VMX usable here,
 * what does it offer, and the struct mkvm_arch_ops that common code calls.
 *
 * Manual references: Intel SDM Vol. 3C, 24.6 "Discovering Support for VMX",
 * 24.7 "Enabling and Entering VMX Operation" (IA32_FEATURE_CONTROL), 25.6-
 * 25.8 (the VM-execution, VM-exit and VM-entry controls) and Appendix A
 * "VMX Capability Reporting Facility" (A.2-A.5: how each control's allowed
 * settings are read).
 *
 * The controls are computed once, here: what minikvm needs is asked for,
 * every bit the CPU requires is added, nothing else is set. Guest
 * execution needs EPT (4-level, write-back), INVEPT, unrestricted guest
 * (real mode runs natively) and the EFER/PAT load controls; without them
 * VMX still loads and turns on, but KVM_CREATE_VM says in one line what
 * is missing and fails with -ENODEV, as SVM without NPT does.
 *
 * The companion file for AMD is x86/svm/svm.c.
 *
 * Non-goals: CPUs with a VMXON region larger than a page; 32-bit hosts;
 * kernels using FRED for event delivery (the NMI re-delivery of vcpu.c
 * uses INT 2; the backend refuses to load there).
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

/*
 * A control word for one VMCS control field (SDM A.3-A.5): bits 31:0 of
 * the capability MSR are the allowed 0-settings (a 1 there means the bit
 * must be 1), bits 63:32 the allowed 1-settings. The TRUE_* MSRs, when
 * IA32_VMX_BASIC[55] says they exist, allow clearing some "default1"
 * bits (CR3-load exiting, for example), so they are preferred.
 */
static int mkvm_vmx_adjust(u32 msr, u32 true_msr, u32 want, u32 need,
			   u32 *out)
{
	u64 cap;

	if (mkvm_vmx_caps.basic & MKVM_VMX_BASIC_TRUE_CTLS)
		msr = true_msr;
	if (mkvm_rdmsr_safe(msr, &cap))
		return -ENODEV;
	*out = (want | (u32)cap) & (u32)(cap >> 32);
	return (*out & need) == need ? 0 : -ENODEV;
}

static void mkvm_vmx_compute_controls(void)
{
	struct mkvm_vmx_caps *c = &mkvm_vmx_caps;
	u32 pin_need = PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
		       PIN_BASED_VIRTUAL_NMIS;
	u32 cpu_need = CPU_BASED_HLT_EXITING | CPU_BASED_USE_TSC_OFFSETTING |
		       CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |
		       CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |
		       CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING |
		       CPU_BASED_MOV_DR_EXITING | CPU_BASED_RDPMC_EXITING |
		       CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	u32 win = CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_NMI_WINDOW_EXITING;
	u32 cpu2_need = SECONDARY_EXEC_ENABLE_EPT |
			SECONDARY_EXEC_UNRESTRICTED_GUEST;
	/*
	 * The debug controls: guest DR7 and DEBUGCTL are loaded at entry and
	 * saved at exit (x86/debugreg.c), so no host breakpoint stays armed
	 * in the guest.
	 */
	u32 exit_need = VM_EXIT_SAVE_DEBUG_CONTROLS |
			VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_PAT |
			VM_EXIT_LOAD_IA32_EFER;
	u32 entry_need = VM_ENTRY_LOAD_DEBUG_CONTROLS | VM_ENTRY_LOAD_IA32_PAT |
			 VM_ENTRY_LOAD_IA32_EFER;
	u64 ept_need = MKVM_EPT_CAP_WALK4 | MKVM_EPT_CAP_WB | MKVM_EPT_CAP_INVEPT;
	u32 cpu2_want = cpu2_need;

	c->can_run = false;
	if (mkvm_host_uses_fred()) {
		c->why_not = "the kernel uses FRED event delivery";
		return;
	}
	/*
	 * Virtual NMIs: the CPU tracks the guest's NMI blocking until IRET
	 * and allows NMI-window exiting (x86/vmx/intr.c). Every CPU with
	 * unrestricted guest has them.
	 */
	if (mkvm_vmx_adjust(MSR_IA32_VMX_PINBASED_CTLS,
			    MSR_IA32_VMX_TRUE_PINBASED_CTLS, pin_need, pin_need,
			    &c->pin)) {
		c->why_not = "no external-interrupt/NMI exiting or virtual NMIs";
		return;
	}
	/*
	 * CR3 accesses do not exit (with EPT the guest owns its CR3) and
	 * there is no "acknowledge interrupt on exit": the host takes the
	 * interrupt itself when vcpu.c re-enables interrupts.
	 */
	if (mkvm_vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS,
			    MSR_IA32_VMX_TRUE_PROCBASED_CTLS, cpu_need | win,
			    cpu_need | win, &c->cpu)) {
		c->why_not = "a required processor-based control is missing";
		return;
	}
	/* The windows must exist; intr.c turns them on when needed. */
	c->cpu &= ~win;
	if ((c->procbased2 & ((u64)cpu2_need << 32)) != ((u64)cpu2_need << 32) ||
	    (c->ept_vpid & ept_need) != ept_need ||
	    !(c->ept_vpid & (MKVM_EPT_CAP_INVEPT_SINGLE | MKVM_EPT_CAP_INVEPT_ALL))) {
		c->why_not = "no EPT (4-level, write-back, INVEPT) with unrestricted guest";
		return;
	}
	/* VPID only with an INVVPID we can use. */
	if ((c->procbased2 & ((u64)SECONDARY_EXEC_ENABLE_VPID << 32)) &&
	    (c->ept_vpid & MKVM_VPID_CAP_INVVPID) &&
	    (c->ept_vpid & (MKVM_VPID_CAP_INVVPID_SINGLE |
			    MKVM_VPID_CAP_INVVPID_ALL)))
		cpu2_want |= SECONDARY_EXEC_ENABLE_VPID;
	c->cpu2 = (cpu2_want | (u32)c->procbased2) & (u32)(c->procbased2 >> 32);
	if (mkvm_vmx_adjust(MSR_IA32_VMX_EXIT_CTLS,
			    MSR_IA32_VMX_TRUE_EXIT_CTLS, exit_need, exit_need,
			    &c->exit) ||
	    mkvm_vmx_adjust(MSR_IA32_VMX_ENTRY_CTLS,
			    MSR_IA32_VMX_TRUE_ENTRY_CTLS, entry_need, entry_need,
			    &c->entry)) {
		c->why_not = "no VM-entry/VM-exit loading of IA32_EFER and IA32_PAT";
		return;
	}
	/* Set per vCPU from the guest's EFER.LMA. */
	c->entry &= ~VM_ENTRY_IA32E_MODE;
	c->can_run = true;
}

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
	mkvm_vmx_compute_controls();
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
	if (!c->can_run)
		pr_info("VMX cannot run guests: %s\n", c->why_not);
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
	seq_printf(m, "can_run_guests: %s\n", c->can_run ? "yes" : c->why_not);
	seq_printf(m, "controls: pin %#x cpu %#x cpu2 %#x exit %#x entry %#x\n",
		   c->pin, c->cpu, c->cpu2, c->exit, c->entry);
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
	.walk_flags = 0,
	.vm_init = mkvm_vmx_vm_init,
	.vm_destroy = mkvm_vmx_vm_destroy,
	.unmap_range = mkvm_vmx_unmap_range,
	.vcpu_create = mkvm_vmx_vcpu_create,
	.vcpu_free = mkvm_vmx_vcpu_free,
	.vcpu_load = mkvm_vmx_vcpu_load,
	.vcpu_put = mkvm_vmx_vcpu_put,
	.load_dr6 = true,
	.prepare_switch = mkvm_vmx_prepare_switch,
	.enter_exit = mkvm_vmx_enter_exit,
	.handle_exit_irqoff = mkvm_vmx_handle_exit_irqoff,
	.handle_exit = mkvm_vmx_handle_exit,
	.read_gpr = mkvm_vmx_read_gpr,
	.write_gpr = mkvm_vmx_write_gpr,
	.skip_insn = mkvm_vmx_skip_insn,
	.get_regs = mkvm_vmx_get_regs,
	.set_regs = mkvm_vmx_set_regs,
	.get_sregs = mkvm_vmx_get_sregs,
	.set_sregs = mkvm_vmx_set_sregs,
	.pdptrs = mkvm_vmx_pdptrs,
	.get_msr = mkvm_vmx_get_msr,
	.set_msr = mkvm_vmx_set_msr,
	.tsc_offset = mkvm_vmx_tsc_offset,
	.queue_exception = mkvm_vmx_inject_exception,
	.vcpu_reset = mkvm_vmx_vcpu_reset,
	.irq_allowed = mkvm_vmx_irq_allowed,
	.inject_irq = mkvm_vmx_inject_irq,
	.enable_irq_window = mkvm_vmx_enable_irq_window,
	.nmi_allowed = mkvm_vmx_nmi_allowed,
	.inject_nmi = mkvm_vmx_inject_nmi,
	.enable_nmi_window = mkvm_vmx_enable_nmi_window,
	.get_event = mkvm_vmx_get_event,
	.set_event = mkvm_vmx_set_event,
	.get_shadow = mkvm_vmx_get_shadow,
	.set_shadow = mkvm_vmx_set_shadow,
	.set_nmi_mask = mkvm_vmx_set_nmi_mask,
};
