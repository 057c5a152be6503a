// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx/vcpu.c - one VMX vCPU: its VMCS, its registers, and VMX's steps
 * of the trip into the guest (the run loop itself is x86/run.c).
 *
 * The VMCS (Intel SDM Vol. 3C, chapter 25) is the vCPU: the guest-state
 * area holds the guest's segments, control registers, RSP/RIP/RFLAGS and
 * some MSRs; the host-state area what the CPU loads at VM exit; the
 * control fields say what exits. Unlike SVM's VMCB it is not plain memory:
 * it is read and written only with VMREAD/VMWRITE while it is the current
 * VMCS of the CPU we run on (25.11). So:
 *
 *  - Loading (25.11.3): a VMCS is "active" on at most one CPU. vcpu_load
 *    (called by the preempt notifiers whenever the vCPU thread lands on a
 *    CPU) VMCLEARs it on its previous CPU - by IPI, only that CPU may - and
 *    VMPTRLDs it here; the host fields that differ per CPU (GDT, IDT, TSS,
 *    GS base, SYSENTER_ESP) are rewritten then. VMCLEAR also resets the
 *    launch state, so the next entry is a VMLAUNCH, later ones VMRESUME.
 *  - Host state (25.5, 28.5): written once (control registers, selectors,
 *    EFER, PAT, HOST_RIP), per CPU (above), or before every entry where
 *    it can change under us (CR3 - another mm may have run -, CR4, FS base
 *    and the data selectors of the VMM thread). VM exit leaves the GDTR
 *    limit at FFFFh and the TR limit at 67h (28.5.2): the GDTR is
 *    reloaded and the TSS limit invalidated (as KVM does) after every exit.
 *  - Control registers: the guest owns CR0.TS only. Every other CR0 bit
 *    and all of CR4 are host-owned (CR0/CR4 guest/host masks, 25.6.6): the
 *    guest reads its own value from the read shadows and a write exits
 *    (exit.c), so minikvm keeps CR0.NE and CR4.VMXE set in the real
 *    registers as VMX requires (fixed bits, A.7/A.8), clears CR0.CD/NW
 *    there (the guest would otherwise run uncached), switches EFER.LMA
 *    and "IA-32e mode guest" when paging is turned on or off, and loads
 *    the PDPTEs of a PAE guest into the VMCS (with EPT, VM entry takes
 *    them from there, 27.3.2.4).
 *  - Exits: every I/O port and MSR (all-ones bitmaps), CPUID, HLT, INVD,
 *    XSETBV, GETSEC and VMX instructions (always), MONITOR/MWAIT, CR8
 *    accesses (there is no TPR shadow, so a guest MOV to CR8 would
 *    otherwise change the host's APIC TPR), physical interrupts and NMIs,
 *    triple faults, and the #AC/#DB exceptions, whose microcode loops hung
 *    real CPUs (CVE-2015-5307, CVE-2015-8104).
 *  - Physical NMIs that arrive in the guest exit with NMIs blocked (28.1);
 *    they are re-delivered to the host right after the exit with INT 2,
 *    which enters the kernel's NMI handler through the IDT on its own IST
 *    stack, exactly as a hardware NMI would, and whose IRET ends the
 *    blocking. KVM did the same until it switched to a direct call for
 *    speed; the direct call needs asm_exc_nmi_noist, exported to KVM only.
 *    (Under FRED, INT 2 is not an NMI; vmx.c refuses to run guests there.)
 *  - FPU: as on SVM, kernel_fpu_begin() parks the VMM thread's FPU state
 *    and the guest's XSAVE area and XCR0 are loaded and saved around the
 *    entry (x86/xsave.c); XSETBV always exits (26.1.2).
 *
 * Exported kernel symbols used here, the same on 6.1 and 6.12:
 * get_cpu_entry_area (the per-CPU TSS), gdt_page/load_direct_gdt/
 * load_fixmap_gdt/__tss_limit_invalid (through invalidate_tss_limit() of
 * <asm/desc.h>) and asm_load_gs_index (through load_gs_index()).
 *
 * The companion file for AMD is x86/svm/vcpu.c.
 *
 * Interrupts and NMIs are injected by intr.c, decided by x86/irq.c: the
 * run loop (x86/run.c) asks mkvm_inject_pending() before every entry,
 * publishes "in guest" with interrupts off (mkvm_entry_must_abort()) so
 * that a kick either aborts the entry or exits the guest, and exit.c lets
 * intr.c re-queue an event whose delivery the exit interrupted before any
 * exit handler runs.
 *
 * Non-goals for now: debug-register
 * switching (guest DR0-3/DR6 accesses are not intercepted, as on SVM; the
 * host's DR7 and DEBUGCTL are restored), posted interrupts, APIC
 * virtualization, the VMX preemption timer.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sched/signal.h>
#include <linux/io.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include <asm/traps.h>
#include <asm/desc.h>
#include <asm/cpu_entry_area.h>
#include <asm/special_insns.h>
#include <asm/segment.h>

#include "../../arch_ops.h"
#include "../../compat.h"
#include "../../mkvm_trace.h"
#include "../guest_mode.h"
#include "vmx.h"

/* Segment registers in the VMCS: selector, base, limit, access rights. */
struct mkvm_vmx_seg_fields {
	u32 sel, base, limit, ar;
};

#define SEG(s) { GUEST_##s##_SELECTOR, GUEST_##s##_BASE, GUEST_##s##_LIMIT, \
		 GUEST_##s##_AR_BYTES }
static const struct mkvm_vmx_seg_fields mkvm_vmx_segs[] = {
	SEG(ES), SEG(CS), SEG(SS), SEG(DS), SEG(FS), SEG(GS), SEG(LDTR), SEG(TR),
};

#undef SEG

enum { VS_ES, VS_CS, VS_SS, VS_DS, VS_FS, VS_GS, VS_LDTR, VS_TR };

/* The access-rights "unusable" bit (SDM 25.4.1, Table 25-2). */
#define VMX_AR_UNUSABLE	BIT(16)
#define VMX_AR_L		BIT(13)

/* The only CR0 bit the guest owns: TS (lazy FPU switching in the guest). */
#define MKVM_CR0_GUEST_OWNED	X86_CR0_TS

/* Guest MSRs switched by the VM-entry MSR-load / VM-exit MSR-store area. */
static const u32 mkvm_vmx_auto_msrs[MKVM_VMX_NR_AUTO_MSRS] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
};

static void mkvm_vmx_set_seg(unsigned int s, u16 sel, u64 base, u32 limit,
			     u32 ar)
{
	mkvm_vmwrite(mkvm_vmx_segs[s].sel, sel);
	mkvm_vmwrite(mkvm_vmx_segs[s].base, base);
	mkvm_vmwrite(mkvm_vmx_segs[s].limit, limit);
	mkvm_vmwrite(mkvm_vmx_segs[s].ar, ar);
}

/** mkvm_vmx_get_cr0() - the guest's CR0 as it sees it (VMCS current) */
u64 mkvm_vmx_get_cr0(void)
{
	return (mkvm_vmread(CR0_READ_SHADOW) & ~MKVM_CR0_GUEST_OWNED) |
	       (mkvm_vmread(GUEST_CR0) & MKVM_CR0_GUEST_OWNED);
}

/** mkvm_vmx_get_cr4() - the guest's CR4 as it sees it (VMCS current) */
u64 mkvm_vmx_get_cr4(void)
{
	return mkvm_vmread(CR4_READ_SHADOW);
}

/* CR0 into the shadow and, adjusted for VMX, into the real register. */
static void mkvm_vmx_write_cr0(u64 cr0)
{
	const struct mkvm_vmx_caps *c = &mkvm_vmx_caps;
	/* Unrestricted guest lifts the PE/PG fixed bits (SDM 26.3.1.1). */
	u64 fixed0 = c->cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);
	u64 hw = (cr0 & ~(X86_CR0_CD | X86_CR0_NW)) | fixed0;

	mkvm_vmwrite(CR0_READ_SHADOW, cr0);
	mkvm_vmwrite(GUEST_CR0, hw & c->cr0_fixed1);
}

static void mkvm_vmx_write_cr4(u64 cr4)
{
	const struct mkvm_vmx_caps *c = &mkvm_vmx_caps;

	mkvm_vmwrite(CR4_READ_SHADOW, cr4);
	mkvm_vmwrite(GUEST_CR4, (cr4 | c->cr4_fixed0) & c->cr4_fixed1);
}

/**
 * mkvm_vmx_set_efer() - the guest's EFER, with "IA-32e mode guest"
 * @vcpu: the vCPU (VMCS current)
 * @efer: the new value; the caller keeps LMA consistent with CR0.PG
 *
 * VM entry requires the control to equal EFER.LMA (SDM 26.3.1.1).
 */
void mkvm_vmx_set_efer(struct mkvm_vcpu *vcpu, u64 efer)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);
	u32 ctls = mkvm_vmx_caps.entry |
		   (efer & EFER_LMA ? VM_ENTRY_IA32E_MODE : 0);

	mkvm_vmwrite(GUEST_IA32_EFER, efer);
	if (ctls != vmx->entry_ctls) {
		mkvm_vmwrite(VM_ENTRY_CONTROLS, ctls);
		vmx->entry_ctls = ctls;
	}
}

static bool mkvm_vmx_pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LMA);
}

/*
 * PAE paging: the four PDPTEs live in registers, loaded when CR3/CR0/CR4
 * is written (SDM Vol. 3A 4.4.1); with EPT, VM entry loads them from the
 * VMCS (27.3.2.4), so every emulated write that loads them puts them
 * there. A present PDPTE with reserved bits set is #GP (-EINVAL).
 */
static int mkvm_vmx_load_pdptrs(struct mkvm_vcpu *vcpu, u64 cr3)
{
	u64 rsvd = GENMASK_ULL(63, boot_cpu_data.x86_phys_bits) |
		   GENMASK_ULL(8, 5) | GENMASK_ULL(2, 1);
	u64 pdpte[4];
	int i;

	if (mkvm_read_guest(vcpu->vm, cr3 & GENMASK_ULL(31, 5), pdpte,
			    sizeof(pdpte)))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & rsvd))
			return -EINVAL;
	mkvm_vmwrite(GUEST_PDPTR0, pdpte[0]);
	mkvm_vmwrite(GUEST_PDPTR1, pdpte[1]);
	mkvm_vmwrite(GUEST_PDPTR2, pdpte[2]);
	mkvm_vmwrite(GUEST_PDPTR3, pdpte[3]);
	return 0;
}

/**
 * mkvm_vmx_set_cr0() - a guest MOV to CR0 (or LMSW), emulated
 * @vcpu: the vCPU (VMCS current)
 * @cr0:  the value the guest wrote
 *
 * Return: 0, or -EINVAL where the CPU would raise #GP (SDM Vol. 3A 2.5,
 * 9.8.5): reserved bits, PG without PE, NW without CD, turning on long
 * mode without PAE or from a 64-bit code segment, bad PDPTEs.
 */
int mkvm_vmx_set_cr0(struct mkvm_vcpu *vcpu, u64 cr0)
{
	u64 old = mkvm_vmx_get_cr0(), efer = mkvm_vmread(GUEST_IA32_EFER);
	u64 cr4 = mkvm_vmx_get_cr4();

	cr0 |= X86_CR0_ET;	/* hard-wired to 1 since the i486 */
	if (cr0 >> 32)
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return -EINVAL;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !(old & X86_CR0_PG) && (efer & EFER_LME)) {
		if (!(cr4 & X86_CR4_PAE) ||
		    (mkvm_vmread(GUEST_CS_AR_BYTES) & VMX_AR_L))
			return -EINVAL;
		efer |= EFER_LMA;
	} else if (!(cr0 & X86_CR0_PG) && (old & X86_CR0_PG)) {
		efer &= ~EFER_LMA;
	}
	if (mkvm_vmx_pae_paging(cr0, cr4, efer) &&
	    ((old ^ cr0) & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW)) &&
	    mkvm_vmx_load_pdptrs(vcpu, mkvm_vmread(GUEST_CR3)))
		return -EINVAL;
	mkvm_vmx_write_cr0(cr0);
	mkvm_vmx_set_efer(vcpu, efer);
	if ((old ^ cr0) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		to_vmx(vcpu)->need_flush = true;
	return 0;
}

/**
 * mkvm_vmx_set_cr4() - a guest MOV to CR4, emulated
 * @vcpu: the vCPU (VMCS current)
 * @cr4:  the value the guest wrote
 *
 * Return: 0, or -EINVAL where the CPU would raise #GP: a bit this host
 * does not offer (VMXE included: nested VMX is not offered), clearing PAE
 * in long mode, PCIDE outside long mode, bad PDPTEs.
 */
int mkvm_vmx_set_cr4(struct mkvm_vcpu *vcpu, u64 cr4)
{
	u64 old = mkvm_vmx_get_cr4(), cr0 = mkvm_vmx_get_cr0();
	u64 efer = mkvm_vmread(GUEST_IA32_EFER);

	if (cr4 & ~mkvm_cr4_allowed())
		return -EINVAL;
	if ((efer & EFER_LMA) && !(cr4 & X86_CR4_PAE))
		return -EINVAL;
	if ((cr4 & X86_CR4_PCIDE) && !(efer & EFER_LMA))
		return -EINVAL;
	if (mkvm_vmx_pae_paging(cr0, cr4, efer) &&
	    ((old ^ cr4) & (X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE |
			    X86_CR4_SMEP)) &&
	    mkvm_vmx_load_pdptrs(vcpu, mkvm_vmread(GUEST_CR3)))
		return -EINVAL;
	mkvm_vmx_write_cr4(cr4);
	to_vmx(vcpu)->need_flush = true;
	return 0;
}

/**
 * mkvm_vmx_set_cr3() - a guest MOV to CR3 that exited, emulated
 * @vcpu: the vCPU (VMCS current)
 * @cr3:  the value
 *
 * With EPT CR3 accesses do not exit on CPUs with the TRUE controls; this
 * serves the others and SET_SREGS.
 *
 * Return: 0, or -EINVAL for bad PDPTEs (#GP).
 */
int mkvm_vmx_set_cr3(struct mkvm_vcpu *vcpu, u64 cr3)
{
	if (mkvm_vmx_pae_paging(mkvm_vmx_get_cr0(), mkvm_vmx_get_cr4(),
				mkvm_vmread(GUEST_IA32_EFER)) &&
	    mkvm_vmx_load_pdptrs(vcpu, cr3))
		return -EINVAL;
	mkvm_vmwrite(GUEST_CR3, cr3);
	to_vmx(vcpu)->need_flush = true;
	return 0;
}

/**
 * mkvm_vmx_pdptrs() - the PDPTE registers of a PAE guest
 * @vcpu: the vCPU (VMCS current: inside a vCPU ioctl)
 *
 * Return: the four PDPTEs as VM exit saved them (SDM 28.3.4), or NULL
 * when the guest does not use PAE paging.
 */
const u64 *mkvm_vmx_pdptrs(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);

	if (!mkvm_vmx_pae_paging(mkvm_vmx_get_cr0(), mkvm_vmx_get_cr4(),
				 mkvm_vmread(GUEST_IA32_EFER)))
		return NULL;
	vmx->pdptrs[0] = mkvm_vmread(GUEST_PDPTR0);
	vmx->pdptrs[1] = mkvm_vmread(GUEST_PDPTR1);
	vmx->pdptrs[2] = mkvm_vmread(GUEST_PDPTR2);
	vmx->pdptrs[3] = mkvm_vmread(GUEST_PDPTR3);
	return vmx->pdptrs;
}

/* Host fields that differ per CPU (SDM 25.5); the VMCS is current. */
static void mkvm_vmx_load_host_percpu(struct mkvm_vcpu *vcpu, int cpu)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);
	struct desc_ptr idt;
	u64 v;

	native_store_gdt(&vmx->host_gdt);
	store_idt(&idt);
	mkvm_vmwrite(HOST_GDTR_BASE, vmx->host_gdt.address);
	mkvm_vmwrite(HOST_IDTR_BASE, idt.address);
	mkvm_vmwrite(HOST_TR_BASE,
		     (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	/* In the kernel, GS_BASE is this CPU's per-CPU area. */
	mkvm_rdmsr(MSR_GS_BASE, v);
	mkvm_vmwrite(HOST_GS_BASE, v);
	/* Linux points SYSENTER_ESP at this CPU's entry stack. */
	mkvm_rdmsr(MSR_IA32_SYSENTER_ESP, v);
	mkvm_vmwrite(HOST_IA32_SYSENTER_ESP, v);
}

/* Host fields that are the same on every CPU and never change. */
static void mkvm_vmx_setup_host_const(struct mkvm_vcpu *vcpu)
{
	struct vmx_msr_entry *h = mkvm_vmx_host_msrs(to_vmx(vcpu));
	unsigned int i;
	u64 v;

	mkvm_vmwrite(HOST_CR0, read_cr0());
	mkvm_vmwrite(HOST_CS_SELECTOR, __KERNEL_CS);
	mkvm_vmwrite(HOST_SS_SELECTOR, __KERNEL_DS);
	mkvm_vmwrite(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	mkvm_vmwrite(HOST_RIP, (unsigned long)mkvm_vmx_vmexit);
	mkvm_rdmsr(MSR_IA32_SYSENTER_CS, v);
	mkvm_vmwrite(HOST_IA32_SYSENTER_CS, v);
	mkvm_rdmsr(MSR_IA32_SYSENTER_EIP, v);
	mkvm_vmwrite(HOST_IA32_SYSENTER_EIP, v);
	mkvm_rdmsr(MSR_EFER, v);
	mkvm_vmwrite(HOST_IA32_EFER, v);
	mkvm_rdmsr(MSR_IA32_CR_PAT, v);
	mkvm_vmwrite(HOST_IA32_PAT, v);
	/* The syscall MSRs the VM-exit MSR-load area puts back (28.6). */
	for (i = 0; i < MKVM_VMX_NR_AUTO_MSRS; i++) {
		h[i].index = mkvm_vmx_auto_msrs[i];
		h[i].reserved = 0;
		mkvm_rdmsr(h[i].index, h[i].value);
	}
}

/* Everything in the VMCS that is not guest state (SDM 25.6-25.8). */
static void mkvm_vmx_setup_controls(struct mkvm_vcpu *vcpu)
{
	const struct mkvm_vmx_caps *c = &mkvm_vmx_caps;
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);
	struct mkvm_vmx_vm *vmx_vm = vcpu->vm->arch;
	struct vmx_msr_entry *g = mkvm_vmx_guest_msrs(vmx);
	unsigned int i;

	mkvm_vmwrite(PIN_BASED_VM_EXEC_CONTROL, c->pin);
	mkvm_vmwrite(CPU_BASED_VM_EXEC_CONTROL, c->cpu);
	mkvm_vmwrite(SECONDARY_VM_EXEC_CONTROL,
		     vmx->vpid ? c->cpu2 : c->cpu2 & ~SECONDARY_EXEC_ENABLE_VPID);
	mkvm_vmwrite(VM_EXIT_CONTROLS, c->exit);
	vmx->entry_ctls = c->entry;
	mkvm_vmwrite(VM_ENTRY_CONTROLS, c->entry);
	if (vmx->vpid)
		mkvm_vmwrite(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	mkvm_vmwrite(EPT_POINTER, vmx_vm->eptp);
	mkvm_vmwrite(IO_BITMAP_A, mkvm_vmx_io_bitmap_pa);
	mkvm_vmwrite(IO_BITMAP_B, mkvm_vmx_io_bitmap_pa + PAGE_SIZE);
	mkvm_vmwrite(MSR_BITMAP, mkvm_vmx_msr_bitmap_pa);
	/* #MC: the host's, taken by mkvm_vmx_handle_exit_irqoff(). */
	mkvm_vmwrite(EXCEPTION_BITMAP, BIT(AC_VECTOR) | BIT(DB_VECTOR) |
		     BIT(MC_VECTOR));
	mkvm_vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	mkvm_vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	mkvm_vmwrite(CR3_TARGET_COUNT, 0);
	mkvm_vmwrite(CR0_GUEST_HOST_MASK, ~(unsigned long)MKVM_CR0_GUEST_OWNED);
	mkvm_vmwrite(CR4_GUEST_HOST_MASK, ~0UL);
	/* Guest TSC 0 at VM creation, the same offset on every vCPU. */
	mkvm_vmwrite(TSC_OFFSET, -vcpu->vm->tsc_base);
	/* No shadow VMCS: the link pointer must be all ones (26.3.1.5). */
	mkvm_vmwrite(VMCS_LINK_POINTER, ~0ULL);

	for (i = 0; i < MKVM_VMX_NR_AUTO_MSRS; i++) {
		g[i].index = mkvm_vmx_auto_msrs[i];
		g[i].reserved = 0;
	}
	mkvm_vmwrite(VM_ENTRY_MSR_LOAD_ADDR, virt_to_phys(g));
	mkvm_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, MKVM_VMX_NR_AUTO_MSRS);
	/* KernelGSBase changes with SWAPGS in the guest: store it back. */
	mkvm_vmwrite(VM_EXIT_MSR_STORE_ADDR, virt_to_phys(g));
	mkvm_vmwrite(VM_EXIT_MSR_STORE_COUNT, MKVM_VMX_NR_AUTO_MSRS);
	mkvm_vmwrite(VM_EXIT_MSR_LOAD_ADDR,
		     virt_to_phys(mkvm_vmx_host_msrs(vmx)));
	mkvm_vmwrite(VM_EXIT_MSR_LOAD_COUNT, MKVM_VMX_NR_AUTO_MSRS);
	mkvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
}

/**
 * mkvm_vmx_vcpu_reset() - put the vCPU in the state after RESET/INIT
 * @vcpu: the vCPU (VMCS current)
 *
 * Real mode at F000:FFF0 with CS.base = FFFF0000 (SDM Vol. 3A 10.1.1,
 * Table 10-1), with the segment attributes kvm_intel uses (accessed code
 * and data segments, a busy 32-bit TSS: VM entry checks all three,
 * 26.3.1.2). Unrestricted guest runs it natively. Also the vcpu_reset op
 * for INIT (x86/irq.c), hence no event queued and no window exiting.
 */
void mkvm_vmx_vcpu_reset(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned int i;

	mkvm_vmx_set_seg(VS_CS, 0xf000, 0xffff0000, 0xffff, 0x9b);
	mkvm_vmx_set_seg(VS_DS, 0, 0, 0xffff, 0x93);
	mkvm_vmx_set_seg(VS_ES, 0, 0, 0xffff, 0x93);
	mkvm_vmx_set_seg(VS_SS, 0, 0, 0xffff, 0x93);
	mkvm_vmx_set_seg(VS_FS, 0, 0, 0xffff, 0x93);
	mkvm_vmx_set_seg(VS_GS, 0, 0, 0xffff, 0x93);
	mkvm_vmx_set_seg(VS_LDTR, 0, 0, 0xffff, 0x82);
	mkvm_vmx_set_seg(VS_TR, 0, 0, 0xffff, 0x8b);
	mkvm_vmwrite(GUEST_GDTR_BASE, 0);
	mkvm_vmwrite(GUEST_GDTR_LIMIT, 0xffff);
	mkvm_vmwrite(GUEST_IDTR_BASE, 0);
	mkvm_vmwrite(GUEST_IDTR_LIMIT, 0xffff);

	mkvm_vmx_set_efer(vcpu, 0);
	mkvm_vmx_write_cr0(X86_CR0_NW | X86_CR0_CD | X86_CR0_ET);
	mkvm_vmx_write_cr4(0);
	mkvm_vmwrite(GUEST_CR3, 0);
	mkvm_vmwrite(GUEST_RFLAGS, X86_EFLAGS_FIXED);
	mkvm_vmwrite(GUEST_RIP, 0xfff0);
	mkvm_vmwrite(GUEST_RSP, 0);
	mkvm_vmwrite(GUEST_DR7, 0x400);
	vmx->guest_dr7 = 0x400;
	mkvm_vmwrite(GUEST_IA32_DEBUGCTL, 0);
	mkvm_vmwrite(GUEST_SYSENTER_CS, 0);
	mkvm_vmwrite(GUEST_SYSENTER_ESP, 0);
	mkvm_vmwrite(GUEST_SYSENTER_EIP, 0);
	mkvm_vmwrite(GUEST_IA32_PAT, 0x0007040600070406ULL);
	mkvm_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	mkvm_vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	mkvm_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	mkvm_vmwrite(GUEST_PDPTR0, 0);
	mkvm_vmwrite(GUEST_PDPTR1, 0);
	mkvm_vmwrite(GUEST_PDPTR2, 0);
	mkvm_vmwrite(GUEST_PDPTR3, 0);
	/* INIT: nothing queued, no window asked for (x86/irq.c). */
	mkvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	mkvm_vmwrite(CPU_BASED_VM_EXEC_CONTROL, mkvm_vmx_caps.cpu);
	for (i = 0; i < MKVM_VMX_NR_AUTO_MSRS; i++)
		mkvm_vmx_guest_msrs(vmx)[i].value = 0;

	memset(vmx->regs, 0, sizeof(vmx->regs));
	/* EDX = family/model/stepping after reset; KVM reports 0x600. */
	vmx->regs[MKVM_VMX_RDX] = 0x600;
	vmx->cr2 = 0;
	vmx->cr8 = 0;

	mkvm_fpu_reset(vcpu);
	vmx->need_flush = true;
}

/**
 * mkvm_vmx_vcpu_create() - allocate the VMCS and reset the vCPU
 * @vcpu: the new vCPU
 *
 * The VMCS is VMCLEARed (SDM 25.11.3: that initialises it and its launch
 * state) and loaded on this CPU to be filled in.
 *
 * Return: 0, -ENOMEM, or -EIO when a VMX instruction failed.
 */
int mkvm_vmx_vcpu_create(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vmx_vcpu *vmx;
	int cpu, r;

	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	vmx->cpu = -1;
	vmx->last_cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	vmx->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vmx->msr_page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->arch = vmx;
	if (!vmx->vmcs || !vmx->msr_page) {
		mkvm_vmx_vcpu_free(vcpu);
		return -ENOMEM;
	}
	/* SDM 25.2: bits 30:0 revision id, bit 31 = 0 (not a shadow VMCS). */
	*(u32 *)vmx->vmcs = mkvm_vmx_caps.revision_id;
	vmx->vmcs_pa = virt_to_phys(vmx->vmcs);
	vmx->vpid = mkvm_vmx_alloc_vpid();

	cpu = get_cpu();
	r = mkvm_vmclear(vmx->vmcs_pa);
	if (!r) {
		mkvm_vmx_vmcs_load(vmx, cpu);
		r = mkvm_vmx_vmcs_is_current(vmx) ? 0 : -EIO;
	}
	if (!r) {
		mkvm_vmx_setup_controls(vcpu);
		mkvm_vmx_setup_host_const(vcpu);
		mkvm_vmx_load_host_percpu(vcpu, cpu);
		mkvm_vmx_vcpu_reset(vcpu);
	}
	put_cpu();
	if (r) {
		pr_err("vCPU %u: cannot initialise its VMCS (VM-instruction error %u)\n",
		       vcpu->id, mkvm_vmx_insn_error());
		mkvm_vmx_vcpu_free(vcpu);
		return -EIO;
	}
	return 0;
}

/**
 * mkvm_vmx_vcpu_free() - free what mkvm_vmx_vcpu_create() allocated
 * @vcpu: the vCPU; it cannot run any more
 *
 * Context: process context (may VMCLEAR by IPI).
 */
void mkvm_vmx_vcpu_free(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx)
		return;
	/* The CPU may still hold the VMCS: clear it before the page goes. */
	mkvm_vmx_vmcs_clear(vmx);
	mkvm_vmx_free_vpid(vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	free_page((unsigned long)vmx->msr_page);
	kfree(vmx);
	vcpu->arch = NULL;
}

/**
 * mkvm_vmx_vcpu_load() - the vCPU thread runs on @cpu now
 * @vcpu: the vCPU
 * @cpu:  the CPU
 *
 * VMCLEAR on the previous CPU if the VMCS moves, VMPTRLD here, and the
 * per-CPU host fields.
 *
 * Context: preemption disabled, interrupts enabled (IPI).
 */
void mkvm_vmx_vcpu_load(struct mkvm_vcpu *vcpu, int cpu)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);
	bool moved = READ_ONCE(vmx->cpu) != cpu;

	if (moved)
		mkvm_vmx_vmcs_clear(vmx);
	mkvm_vmx_vmcs_load(vmx, cpu);
	if (moved && mkvm_vmx_vmcs_is_current(vmx))
		mkvm_vmx_load_host_percpu(vcpu, cpu);
}

/**
 * mkvm_vmx_vcpu_put() - the vCPU thread leaves its CPU
 * @vcpu: the vCPU
 *
 * Nothing to do: the VMCS stays active on this CPU (cheap if the thread
 * comes back here) until another CPU loads it or VMX goes off here.
 */
void mkvm_vmx_vcpu_put(struct mkvm_vcpu *vcpu)
{
}

/**
 * mkvm_vmx_get_cr8() - the guest's CR8
 * @vcpu: the vCPU
 *
 * With an in-kernel APIC, CR8 is TPR[7:4] (SDM Vol. 3A 10.8.6.1);
 * otherwise a plain register, as with KVM without an irqchip.
 *
 * Return: 0-15.
 */
u64 mkvm_vmx_get_cr8(struct mkvm_vcpu *vcpu)
{
	if (vcpu->lapic)
		return mkvm_lapic_get_tpr(vcpu) >> 4;
	return to_vmx(vcpu)->cr8;
}

/**
 * mkvm_vmx_set_cr8() - the guest or KVM_SET_SREGS writes CR8
 * @vcpu: the vCPU
 * @cr8:  0-15 (the caller checked or masked bits 63:4)
 *
 * A lower TPR may unmask a pending interrupt: the next entry's
 * mkvm_inject_pending() sees it, as every exit goes through it.
 */
void mkvm_vmx_set_cr8(struct mkvm_vcpu *vcpu, u64 cr8)
{
	if (vcpu->lapic)
		mkvm_lapic_set_tpr(vcpu, cr8 << 4);
	else
		to_vmx(vcpu)->cr8 = cr8;
}

/**
 * mkvm_vmx_inject_exception() - deliver an exception at the next entry
 * @vcpu:      the vCPU (VMCS current)
 * @vector:    exception vector
 * @has_error: whether the exception pushes an error code
 * @error:     the error code
 * @cr2:       for #PF, the faulting linear address
 *
 * Uses the VM-entry interruption-information field (SDM 25.8.3, 27.6).
 * Event injection does not load CR2 for a #PF (27.6.1.2: the exception is
 * delivered "as if" it had occurred, but CR2 is software's business), and
 * CR2 is not in the VMCS anyway: the run loop loads the saved value.
 */
void mkvm_vmx_inject_exception(struct mkvm_vcpu *vcpu, u8 vector,
			       bool has_error, u32 error, u64 cr2)
{
	u32 info = vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;

	if (vector == X86_TRAP_PF)
		to_vmx(vcpu)->cr2 = cr2;
	mkvm_stat_inc(vcpu, MKVM_STAT_EXCEPTION);

	/*
	 * Real mode pushes no error code (SDM Vol. 3A 20.1.4), and VM entry
	 * refuses one there (26.2.1.3).
	 */
	if (!(mkvm_vmx_get_cr0() & X86_CR0_PE))
		has_error = false;
	if (has_error) {
		info |= INTR_INFO_DELIVER_CODE_MASK;
		mkvm_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	mkvm_vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
}

/*
 * Host state that can differ from one entry to the next: CR3 (another mm
 * may have run on this CPU), CR4, the VMM thread's FS base and data
 * selectors, KernelGSBase (the VMM's user GS base), DEBUGCTL and DR7.
 * Selectors with RPL/TI bits cannot be host-state fields (26.2.3); they
 * are written as 0 and reloaded after the exit.
 */
static void mkvm_vmx_save_host(struct mkvm_vmx_vcpu *vmx)
{
	struct vmx_msr_entry *h = mkvm_vmx_host_msrs(vmx);
	u16 *sel = vmx->host_sel;
	u64 v;

	mkvm_vmwrite(HOST_CR3, __read_cr3());
	mkvm_vmwrite(HOST_CR4, mkvm_cr4_read_shadow());
	savesegment(ds, sel[0]);
	savesegment(es, sel[1]);
	savesegment(fs, sel[2]);
	savesegment(gs, sel[3]);
	mkvm_vmwrite(HOST_DS_SELECTOR, sel[0] & 7 ? 0 : sel[0]);
	mkvm_vmwrite(HOST_ES_SELECTOR, sel[1] & 7 ? 0 : sel[1]);
	mkvm_vmwrite(HOST_FS_SELECTOR, sel[2] & 7 ? 0 : sel[2]);
	mkvm_vmwrite(HOST_GS_SELECTOR, sel[3] & 7 ? 0 : sel[3]);
	mkvm_rdmsr(MSR_FS_BASE, v);
	mkvm_vmwrite(HOST_FS_BASE, v);
	/* Index 4 of the auto-MSR list is MSR_KERNEL_GS_BASE. */
	mkvm_rdmsr(MSR_KERNEL_GS_BASE, h[4].value);
	mkvm_rdmsr(MSR_IA32_DEBUGCTLMSR, vmx->host_debugctl);
}

/* After the exit: what VM exit left different from before (SDM 28.5). */
static void mkvm_vmx_restore_host(struct mkvm_vmx_vcpu *vmx)
{
	const u16 *sel = vmx->host_sel;
	u64 fs_base;

	/* GDTR.limit is FFFFh and TR.limit 67h after a VM exit (28.5.2). */
	native_load_gdt(&vmx->host_gdt);
	invalidate_tss_limit();
	if (sel[0] & 7)
		loadsegment(ds, sel[0]);
	if (sel[1] & 7)
		loadsegment(es, sel[1]);
	if (sel[2] & 7) {
		/* Loading FS overwrites its base: keep the one VM exit set. */
		mkvm_rdmsr(MSR_FS_BASE, fs_base);
		loadsegment(fs, sel[2]);
		mkvm_wrmsr(MSR_FS_BASE, fs_base);
	}
	if (sel[3] & 7) {
		load_gs_index(sel[3]);
		mkvm_wrmsr(MSR_KERNEL_GS_BASE,
			   mkvm_vmx_host_msrs(vmx)[4].value);
	}
	/*
	 * VM exit clears DEBUGCTL (28.3.3); DR7 (set to 400h, 28.5.1) is
	 * restored by mkvm_dr_exit().
	 */
	if (vmx->host_debugctl)
		mkvm_wrmsr(MSR_IA32_DEBUGCTLMSR, vmx->host_debugctl);
}

/**
 * mkvm_vmx_prepare_switch() - the VMCS fields this entry needs
 * @vcpu: the vCPU, loaded on this CPU
 *
 * The first step of the common run loop (x86/run.c) with interrupts off:
 * the VMCS current on this CPU, the TLB flushed if asked, the host fields
 * that can change between entries, and the guest's DR7.
 *
 * Context: interrupts off.
 * Return: 1 to enter, 0 with KVM_EXIT_FAIL_ENTRY when the VMCS cannot be
 * made current here.
 */
int mkvm_vmx_prepare_switch(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);
	int cpu = smp_processor_id();

	/*
	 * VMX went off and on again on this CPU (suspend/resume) and the
	 * VMCS was cleared meanwhile: load it again, per-CPU fields too.
	 */
	if (!mkvm_vmx_vmcs_is_current(vmx) && READ_ONCE(vmx->cpu) < 0) {
		mkvm_vmx_vmcs_load(vmx, cpu);
		if (mkvm_vmx_vmcs_is_current(vmx))
			mkvm_vmx_load_host_percpu(vcpu, cpu);
	}
	if (!mkvm_vmx_vmcs_is_current(vmx)) {
		pr_err_ratelimited("vCPU %u: VMCS not current on CPU %d\n",
				   vcpu->id, cpu);
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason = -1;
		vcpu->run->fail_entry.cpu = cpu;
		return 0;
	}
	mkvm_vmx_flush_tlb(vcpu, cpu);
	mkvm_vmx_save_host(vmx);
	/* MOV DR exits, so DR7 changes only there and by KVM_SET_DEBUGREGS. */
	if (vmx->guest_dr7 != vcpu->dr.dr7) {
		mkvm_vmwrite(GUEST_DR7, vcpu->dr.dr7);
		vmx->guest_dr7 = vcpu->dr.dr7;
	}
	return 1;
}

/**
 * mkvm_vmx_enter_exit() - the world switch: VMLAUNCH or VMRESUME
 * @vcpu: the vCPU, loaded on this CPU
 *
 * CR2 by hand around it (it is not in the VMCS), and the host state VM
 * exit does not restore (SDM Vol. 3C 28.5) put back. vcpu->mode is
 * outside guest mode from right after the VM exit
 * (mkvm_guest_state_exit()).
 *
 * Context: interrupts off, guest time running (x86/run.c).
 * Return: what mkvm_vmx_vmenter() returned: 0 after a VM exit (a failed
 * guest-state check included, SDM Vol. 3C 27.8), 1 for VMfail, -EFAULT
 * when VMLAUNCH/VMRESUME faulted.
 */
int mkvm_vmx_enter_exit(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);
	int r;

	/* CR2 is not part of the VMCS (SDM 27.3.1.1 lists what is). */
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);

	/* VMREADs cost an exit of their own when we are nested: only if traced. */
	if (trace_mkvm_entry_enabled())
		trace_mkvm_entry(vcpu->id, mkvm_vmread(GUEST_RIP),
				 mkvm_vmread(GUEST_RFLAGS),
				 mkvm_vmread(VM_ENTRY_INTR_INFO_FIELD));
	/* Guest mode is an RCU quiescent state; nothing traced until exit. */
	guest_state_enter_irqoff();
	r = mkvm_vmx_vmenter(vmx->regs, vmx->launched);
	mkvm_guest_state_exit(vcpu);

	vmx->cr2 = native_read_cr2();
	mkvm_vmx_restore_host(vmx);
	return r;
}

/**
 * mkvm_vmx_handle_exit_irqoff() - the exit reason, host NMIs and #MC first
 * @vcpu:  the vCPU just back from the guest
 * @entry: what mkvm_vmx_enter_exit() returned
 *
 * The exit-reason field is read once, for the steps that follow; a VM
 * exit other than a failed guest-state check makes the next entry a
 * VMRESUME. An NMI that arrived in the guest exits with NMIs blocked
 * (SDM Vol. 3C 28.1): INT 2 hands it to the kernel's handler now, and
 * its IRET ends the blocking. A machine check is the host's
 * (x86/guest_mode.h).
 *
 * Context: interrupts off, after mkvm_dr_exit().
 */
void mkvm_vmx_handle_exit_irqoff(struct mkvm_vcpu *vcpu, int entry)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);
	u32 reason, intr;

	if (entry) {
		/* VMfail or a fault: there was no VM exit to read. */
		vmx->exit_reason = 0;
		return;
	}
	reason = mkvm_vmread(VM_EXIT_REASON);
	vmx->exit_reason = reason;
	/* A failed guest-state check leaves the launch state alone. */
	if (!(reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		vmx->launched = true;
	if ((u16)reason == EXIT_REASON_EXCEPTION_NMI) {
		intr = mkvm_vmread(VM_EXIT_INTR_INFO);
		/* A host NMI: hand it to the kernel's handler now. */
		if ((intr & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
			asm volatile("int $2" ::: "memory");
		/* A machine check: the host's, as it would have been. */
		else if ((intr & INTR_INFO_VECTOR_MASK) == MC_VECTOR)
			mkvm_machine_check();
	} else if ((u16)reason == EXIT_REASON_MCE_DURING_VMENTRY) {
		mkvm_machine_check();
	}
}

/**
 * mkvm_vmx_read_gpr() - a guest GPR, for the common exit handlers
 * @vcpu: the vCPU (VMCS current)
 * @reg:  MKVM_R_* (x86 encoding)
 *
 * Return: the register; RSP lives in the VMCS.
 */
u64 mkvm_vmx_read_gpr(struct mkvm_vcpu *vcpu, unsigned int reg)
{
	if (reg == MKVM_R_RSP)
		return mkvm_vmread(GUEST_RSP);
	return to_vmx(vcpu)->regs[reg & 15];
}

/**
 * mkvm_vmx_write_gpr() - write a guest GPR, for the common exit handlers
 * @vcpu: the vCPU (VMCS current)
 * @reg:  MKVM_R_* (x86 encoding)
 * @val:  the value
 */
void mkvm_vmx_write_gpr(struct mkvm_vcpu *vcpu, unsigned int reg, u64 val)
{
	if (reg == MKVM_R_RSP)
		mkvm_vmwrite(GUEST_RSP, val);
	else
		to_vmx(vcpu)->regs[reg & 15] = val;
}

/* VMCS access rights <-> struct kvm_segment (SDM 25.4.1, Table 25-2). */
static void mkvm_vmx_seg_get(unsigned int s, struct kvm_segment *k)
{
	u32 ar = mkvm_vmread(mkvm_vmx_segs[s].ar);

	k->base = mkvm_vmread(mkvm_vmx_segs[s].base);
	k->limit = mkvm_vmread(mkvm_vmx_segs[s].limit);
	k->selector = mkvm_vmread(mkvm_vmx_segs[s].sel);
	k->type = ar & 0xf;
	k->s = (ar >> 4) & 1;
	k->dpl = (ar >> 5) & 3;
	k->avl = (ar >> 12) & 1;
	k->l = (ar >> 13) & 1;
	k->db = (ar >> 14) & 1;
	k->g = (ar >> 15) & 1;
	k->unusable = !!(ar & VMX_AR_UNUSABLE);
	/* As kvm_intel: a usable segment is present (26.3.1.2). */
	k->present = !k->unusable;
	k->padding = 0;
}

static void mkvm_vmx_seg_set(unsigned int s, const struct kvm_segment *k)
{
	u32 ar, type = k->type & 0xf;

	/*
	 * VM entry insists that usable code/data segments (and the TSS) be
	 * "accessed" (26.3.1.2); the CPU sets the bit on every load anyway,
	 * and kvm_intel forces it the same way.
	 */
	if (s != VS_LDTR)
		type |= 1;
	if (k->unusable || !k->present)
		ar = VMX_AR_UNUSABLE;
	else
		ar = type | (k->s & 1) << 4 | (k->dpl & 3) << 5 | 1 << 7 |
		     (k->avl & 1) << 12 | (k->l & 1) << 13 |
		     (k->db & 1) << 14 | (k->g & 1) << 15;
	mkvm_vmx_set_seg(s, k->selector, k->base, k->limit, ar);
}

/**
 * mkvm_vmx_get_regs() - KVM_GET_REGS
 * @vcpu: the vCPU (VMCS current)
 * @regs: filled in
 */
void mkvm_vmx_get_regs(struct mkvm_vcpu *vcpu, struct kvm_regs *regs)
{
	const unsigned long *g = to_vmx(vcpu)->regs;

	regs->rax = g[MKVM_VMX_RAX];
	regs->rbx = g[MKVM_VMX_RBX];
	regs->rcx = g[MKVM_VMX_RCX];
	regs->rdx = g[MKVM_VMX_RDX];
	regs->rsi = g[MKVM_VMX_RSI];
	regs->rdi = g[MKVM_VMX_RDI];
	regs->rsp = mkvm_vmread(GUEST_RSP);
	regs->rbp = g[MKVM_VMX_RBP];
	regs->r8 = g[MKVM_VMX_R8];
	regs->r9 = g[MKVM_VMX_R9];
	regs->r10 = g[MKVM_VMX_R10];
	regs->r11 = g[MKVM_VMX_R11];
	regs->r12 = g[MKVM_VMX_R12];
	regs->r13 = g[MKVM_VMX_R13];
	regs->r14 = g[MKVM_VMX_R14];
	regs->r15 = g[MKVM_VMX_R15];
	regs->rip = mkvm_vmread(GUEST_RIP);
	regs->rflags = mkvm_vmread(GUEST_RFLAGS);
}

/**
 * mkvm_vmx_set_regs() - KVM_SET_REGS
 * @vcpu: the vCPU (VMCS current)
 * @regs: the new values
 */
void mkvm_vmx_set_regs(struct mkvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	unsigned long *g = to_vmx(vcpu)->regs;

	g[MKVM_VMX_RAX] = regs->rax;
	g[MKVM_VMX_RBX] = regs->rbx;
	g[MKVM_VMX_RCX] = regs->rcx;
	g[MKVM_VMX_RDX] = regs->rdx;
	g[MKVM_VMX_RSI] = regs->rsi;
	g[MKVM_VMX_RDI] = regs->rdi;
	mkvm_vmwrite(GUEST_RSP, regs->rsp);
	g[MKVM_VMX_RBP] = regs->rbp;
	g[MKVM_VMX_R8] = regs->r8;
	g[MKVM_VMX_R9] = regs->r9;
	g[MKVM_VMX_R10] = regs->r10;
	g[MKVM_VMX_R11] = regs->r11;
	g[MKVM_VMX_R12] = regs->r12;
	g[MKVM_VMX_R13] = regs->r13;
	g[MKVM_VMX_R14] = regs->r14;
	g[MKVM_VMX_R15] = regs->r15;
	mkvm_vmwrite(GUEST_RIP, regs->rip);
	/* Bit 1 is always 1; reserved bits are 0 (SDM Vol. 1 3.4.3). */
	mkvm_vmwrite(GUEST_RFLAGS, (regs->rflags & 0x3f7fd7) | X86_EFLAGS_FIXED);
}

/**
 * mkvm_vmx_get_sregs() - KVM_GET_SREGS
 * @vcpu:  the vCPU (VMCS current)
 * @sregs: filled in
 */
void mkvm_vmx_get_sregs(struct mkvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	mkvm_vmx_seg_get(VS_CS, &sregs->cs);
	mkvm_vmx_seg_get(VS_DS, &sregs->ds);
	mkvm_vmx_seg_get(VS_ES, &sregs->es);
	mkvm_vmx_seg_get(VS_FS, &sregs->fs);
	mkvm_vmx_seg_get(VS_GS, &sregs->gs);
	mkvm_vmx_seg_get(VS_SS, &sregs->ss);
	mkvm_vmx_seg_get(VS_TR, &sregs->tr);
	mkvm_vmx_seg_get(VS_LDTR, &sregs->ldt);
	sregs->gdt.base = mkvm_vmread(GUEST_GDTR_BASE);
	sregs->gdt.limit = mkvm_vmread(GUEST_GDTR_LIMIT);
	sregs->idt.base = mkvm_vmread(GUEST_IDTR_BASE);
	sregs->idt.limit = mkvm_vmread(GUEST_IDTR_LIMIT);
	sregs->cr0 = mkvm_vmx_get_cr0();
	sregs->cr2 = to_vmx(vcpu)->cr2;
	sregs->cr3 = mkvm_vmread(GUEST_CR3);
	sregs->cr4 = mkvm_vmx_get_cr4();
	sregs->cr8 = mkvm_vmx_get_cr8(vcpu);
	sregs->efer = mkvm_vmread(GUEST_IA32_EFER);
	sregs->apic_base = vcpu->msrs.apic_base;
}

/**
 * mkvm_vmx_set_sregs() - KVM_SET_SREGS, already validated
 * @vcpu:  the vCPU (VMCS current)
 * @sregs: the new state (mkvm_check_sregs() accepted it)
 *
 * A PAE guest's PDPTEs are read from guest memory at CR3, as KVM does
 * for KVM_SET_SREGS; unreadable ones become 0 (not present).
 */
void mkvm_vmx_set_sregs(struct mkvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);

	mkvm_vmx_seg_set(VS_CS, &sregs->cs);
	mkvm_vmx_seg_set(VS_DS, &sregs->ds);
	mkvm_vmx_seg_set(VS_ES, &sregs->es);
	mkvm_vmx_seg_set(VS_FS, &sregs->fs);
	mkvm_vmx_seg_set(VS_GS, &sregs->gs);
	mkvm_vmx_seg_set(VS_SS, &sregs->ss);
	mkvm_vmx_seg_set(VS_TR, &sregs->tr);
	mkvm_vmx_seg_set(VS_LDTR, &sregs->ldt);
	mkvm_vmwrite(GUEST_GDTR_BASE, sregs->gdt.base);
	mkvm_vmwrite(GUEST_GDTR_LIMIT, sregs->gdt.limit);
	mkvm_vmwrite(GUEST_IDTR_BASE, sregs->idt.base);
	mkvm_vmwrite(GUEST_IDTR_LIMIT, sregs->idt.limit);
	mkvm_vmx_set_efer(vcpu, sregs->efer);
	mkvm_vmx_write_cr0(sregs->cr0);
	mkvm_vmx_write_cr4(sregs->cr4);
	mkvm_vmwrite(GUEST_CR3, sregs->cr3);
	vmx->cr2 = sregs->cr2;
	mkvm_vmx_set_cr8(vcpu, sregs->cr8 & 0xf);
	vcpu->msrs.apic_base = sregs->apic_base;
	if (mkvm_vmx_pae_paging(sregs->cr0, sregs->cr4, sregs->efer) &&
	    mkvm_vmx_load_pdptrs(vcpu, sregs->cr3)) {
		mkvm_vmwrite(GUEST_PDPTR0, 0);
		mkvm_vmwrite(GUEST_PDPTR1, 0);
		mkvm_vmwrite(GUEST_PDPTR2, 0);
		mkvm_vmwrite(GUEST_PDPTR3, 0);
	}
	/* New paging state: the guest's cached translations are stale. */
	vmx->need_flush = true;
}
