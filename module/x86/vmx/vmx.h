/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmx.h - state shared between the files of the Intel VMX backend.
 *
 * Manual references: Intel SDM Vol. 3C, chapter 25 "Virtual Machine Control
 * Structures" and Appendix A "VMX Capability Reporting Facility".
 *
 * The companion file for AMD is x86/svm/svm.h.
 */
#ifndef MKVM_VMX_H
#define MKVM_VMX_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/kvm.h>
#include <asm/vmx.h>
#include <asm/desc_defs.h>

#include "../../minikvm.h"
#include "../../mmu.h"
#include "../../arch_ops.h"

/**
 * struct mkvm_vmx_caps - what the VMX capability MSRs said at load time
 * @basic:	IA32_VMX_BASIC (SDM A.1): revision id, region size, memory type.
 * @revision_id: Bits 30:0 of @basic; written at the start of every VMXON
 *		region and VMCS (SDM 25.2, 25.11.5).
 * @cr0_fixed0:	CR0 bits that must be 1 in VMX operation (SDM A.7).
 * @cr0_fixed1:	CR0 bits that may be 1 in VMX operation.
 * @cr4_fixed0:	CR4 bits that must be 1 in VMX operation (SDM A.8).
 * @cr4_fixed1:	CR4 bits that may be 1 in VMX operation.
 * @procbased2:	IA32_VMX_PROCBASED_CTLS2 (SDM A.3.3), 0 if absent.
 * @ept_vpid:	IA32_VMX_EPT_VPID_CAP (SDM A.10), 0 if absent.
 * @pin:	The pin-based controls every VMCS gets (SDM 25.6.1).
 * @cpu:	The primary processor-based controls (SDM 25.6.2).
 * @cpu2:	The secondary processor-based controls.
 * @exit:	The VM-exit controls (SDM 25.7.1).
 * @entry:	The VM-entry controls (SDM 25.8.1), without "IA-32e mode
 *		guest", which follows the guest's EFER.LMA.
 * @can_run:	All of the above could be computed: EPT with 4-level walks
 *		and write-back tables, INVEPT, unrestricted guest, and the
 *		EFER/PAT load controls exist. Otherwise vm_init says why.
 * @why_not:	The one-line reason when @can_run is false.
 */
struct mkvm_vmx_caps {
	u64 basic;
	u32 revision_id;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
	u64 procbased2;
	u64 ept_vpid;
	u32 pin, cpu, cpu2, exit, entry;
	bool can_run;
	const char *why_not;
};

extern struct mkvm_vmx_caps mkvm_vmx_caps;

/* IA32_VMX_EPT_VPID_CAP bits we use (SDM A.10). */
#define MKVM_EPT_CAP_WALK4		BIT_ULL(6)
#define MKVM_EPT_CAP_WB			BIT_ULL(14)
#define MKVM_EPT_CAP_INVEPT		BIT_ULL(20)
#define MKVM_EPT_CAP_INVEPT_SINGLE	BIT_ULL(25)
#define MKVM_EPT_CAP_INVEPT_ALL		BIT_ULL(26)
#define MKVM_EPT_CAP_2M			BIT_ULL(16)
#define MKVM_VPID_CAP_INVVPID		BIT_ULL(32)
#define MKVM_VPID_CAP_INVVPID_SINGLE	BIT_ULL(41)
#define MKVM_VPID_CAP_INVVPID_ALL	BIT_ULL(42)

/**
 * struct mkvm_vmx_vm - per-VM VMX state
 * @ept:	The extended page tables (guest physical -> host physical).
 * @eptp:	The EPT pointer written to every vCPU's VMCS (SDM 25.6.11):
 *		root address, write-back, 4-level walk.
 */
struct mkvm_vmx_vm {
	struct mkvm_mmu ept;
	u64 eptp;
};

/* Guest MSRs switched by the VM-entry load / VM-exit store areas. */
#define MKVM_VMX_NR_AUTO_MSRS	5

/**
 * struct mkvm_vmx_vcpu - per-vCPU VMX state
 * @vmcs:	The VMCS (SDM 25.2), one page; the first word is the
 *		revision id. Its contents are the CPU's business: read and
 *		write it only with VMREAD/VMWRITE while it is current.
 * @vmcs_pa:	Its physical address, the operand of VMCLEAR/VMPTRLD.
 * @cpu:	The CPU on which the VMCS is active (SDM 25.11.3: it must be
 *		VMCLEARed there before another CPU may load it), or -1.
 *		Written on that CPU with interrupts off.
 * @loaded_link: Entry in that CPU's list of active VMCSs (hw.c), so that
 *		turning VMX off on the CPU can VMCLEAR them first.
 * @launched:	The VMCS's launch state is "launched": enter with
 *		VMRESUME, not VMLAUNCH (SDM 25.11.3, 27.1). VMCLEAR resets it.
 * @regs:	The GPRs, indexed like struct mkvm_svm_vcpu.regs (MKVM_R_*);
 *		the RSP slot is unused (GUEST_RSP is in the VMCS). Unlike
 *		VMRUN, VM entry loads no GPR at all, RAX included.
 * @msr_page:	One page: the guest MSR area (VM-entry load and VM-exit
 *		store, SDM 25.7.2, 25.8.2) at offset 0 and the host MSR
 *		area (VM-exit load) at offset 2048.
 * @cr2:	The guest's CR2: not in the VMCS, so it is moved by hand.
 * @cr8:	The guest's task priority without an in-kernel APIC (CR8
 *		accesses exit; no TPR shadow); with one, the APIC's TPR is.
 * @vpid:	Virtual-processor identifier (SDM 29.1), 0 without VPID.
 * @last_cpu:	The CPU of the last VM entry: moving CPU flushes the TLB.
 * @need_flush:	Guest translations may be stale (SET_SREGS, reset).
 * @entry_ctls:	The VM-entry controls as last written (IA-32e mode guest
 *		toggles with EFER.LMA).
 * @pdptrs:	A copy of GUEST_PDPTR0-3 for the page walker (pgwalk.h).
 * @host_gdt:	The host GDTR, re-loaded after every exit (VM exit leaves
 *		its limit at FFFFh, SDM 28.5.2).
 * @host_sel:	The host's DS, ES, FS, GS selectors before entry.
 * @host_debugctl: IA32_DEBUGCTL before entry (VM exit clears it).
 * @guest_dr7:	The value of the VMCS's GUEST_DR7 (written when vcpu->dr.dr7
 *		differs).
 * @exit_reason: The exit-reason field of the last VM exit (SDM 25.9.1),
 *		read once by mkvm_vmx_handle_exit_irqoff() for the steps
 *		after it; 0 when the entry failed without a VM exit.
 */
struct mkvm_vmx_vcpu {
	void *vmcs;
	phys_addr_t vmcs_pa;
	int cpu;
	struct list_head loaded_link;
	bool launched;
	unsigned long regs[16];
	struct vmx_msr_entry *msr_page;
	unsigned long cr2;
	u64 cr8;
	u16 vpid;
	int last_cpu;
	bool need_flush;
	u32 entry_ctls;
	u64 pdptrs[4];
	struct desc_ptr host_gdt;
	u16 host_sel[4];
	u64 host_debugctl;
	unsigned long guest_dr7;
	u32 exit_reason;
};

/* Register slots of struct mkvm_vmx_vcpu.regs (the SDM's encoding order). */
enum {
	MKVM_VMX_RAX, MKVM_VMX_RCX, MKVM_VMX_RDX, MKVM_VMX_RBX,
	MKVM_VMX_RSP, MKVM_VMX_RBP, MKVM_VMX_RSI, MKVM_VMX_RDI,
	MKVM_VMX_R8, MKVM_VMX_R9, MKVM_VMX_R10, MKVM_VMX_R11,
	MKVM_VMX_R12, MKVM_VMX_R13, MKVM_VMX_R14, MKVM_VMX_R15,
};

static inline struct mkvm_vmx_vcpu *to_vmx(struct mkvm_vcpu *vcpu)
{
	return vcpu->arch;
}

static inline struct vmx_msr_entry *mkvm_vmx_guest_msrs(struct mkvm_vmx_vcpu *v)
{
	return v->msr_page;
}

static inline struct vmx_msr_entry *mkvm_vmx_host_msrs(struct mkvm_vmx_vcpu *v)
{
	return (void *)((u8 *)v->msr_page + 2048);
}

/* hw.c: VMX instructions, every VMfail checked (SDM 31.2, 31.4). */
u64 mkvm_vmread(unsigned long field);
void mkvm_vmwrite(unsigned long field, u64 value);
int mkvm_vmclear(phys_addr_t pa);
int mkvm_vmptrld(phys_addr_t pa);
int mkvm_invept(unsigned long type, u64 eptp);
int mkvm_invvpid(unsigned long type, u16 vpid);
u32 mkvm_vmx_insn_error(void);
void mkvm_vmx_vmcs_clear(struct mkvm_vmx_vcpu *vmx);
void mkvm_vmx_vmcs_load(struct mkvm_vmx_vcpu *vmx, int cpu);
bool mkvm_vmx_vmcs_is_current(struct mkvm_vmx_vcpu *vmx);
int mkvm_vmx_alloc_vmxon_regions(void);
void mkvm_vmx_free_vmxon_regions(void);
int mkvm_vmx_cpu_enable(void);
void mkvm_vmx_cpu_disable(void);
extern phys_addr_t mkvm_vmx_io_bitmap_pa, mkvm_vmx_msr_bitmap_pa;

/* vmenter.S */
int mkvm_vmx_vmenter(unsigned long *regs, bool launched);
void mkvm_vmx_vmexit(void);

/* ept.c */
int mkvm_vmx_vm_init(struct mkvm *vm);
void mkvm_vmx_vm_destroy(struct mkvm *vm);
void mkvm_vmx_unmap_range(struct mkvm *vm, u64 gfn, u64 npages);
int mkvm_vmx_map_gpa(struct mkvm *vm, u64 gpa, bool write);
void mkvm_vmx_flush_tlb(struct mkvm_vcpu *vcpu, int cpu);
int mkvm_vmx_alloc_vpid(void);
void mkvm_vmx_free_vpid(u16 vpid);

/* vcpu.c */
int mkvm_vmx_vcpu_create(struct mkvm_vcpu *vcpu);
void mkvm_vmx_vcpu_free(struct mkvm_vcpu *vcpu);
void mkvm_vmx_vcpu_load(struct mkvm_vcpu *vcpu, int cpu);
void mkvm_vmx_vcpu_put(struct mkvm_vcpu *vcpu);
int mkvm_vmx_prepare_switch(struct mkvm_vcpu *vcpu);
int mkvm_vmx_enter_exit(struct mkvm_vcpu *vcpu);
void mkvm_vmx_handle_exit_irqoff(struct mkvm_vcpu *vcpu, int entry);
u64 mkvm_vmx_read_gpr(struct mkvm_vcpu *vcpu, unsigned int reg);
void mkvm_vmx_write_gpr(struct mkvm_vcpu *vcpu, unsigned int reg, u64 val);
void mkvm_vmx_get_regs(struct mkvm_vcpu *vcpu, struct kvm_regs *regs);
void mkvm_vmx_set_regs(struct mkvm_vcpu *vcpu, const struct kvm_regs *regs);
void mkvm_vmx_get_sregs(struct mkvm_vcpu *vcpu, struct kvm_sregs *sregs);
void mkvm_vmx_set_sregs(struct mkvm_vcpu *vcpu, const struct kvm_sregs *sregs);
const u64 *mkvm_vmx_pdptrs(struct mkvm_vcpu *vcpu);
void mkvm_vmx_vcpu_reset(struct mkvm_vcpu *vcpu);
u64 mkvm_vmx_get_cr8(struct mkvm_vcpu *vcpu);
void mkvm_vmx_set_cr8(struct mkvm_vcpu *vcpu, u64 cr8);
void mkvm_vmx_inject_exception(struct mkvm_vcpu *vcpu, u8 vector,
			       bool has_error, u32 error, u64 cr2);
int mkvm_vmx_set_cr0(struct mkvm_vcpu *vcpu, u64 cr0);
int mkvm_vmx_set_cr4(struct mkvm_vcpu *vcpu, u64 cr4);
int mkvm_vmx_set_cr3(struct mkvm_vcpu *vcpu, u64 cr3);
u64 mkvm_vmx_get_cr0(void);
u64 mkvm_vmx_get_cr4(void);
void mkvm_vmx_set_efer(struct mkvm_vcpu *vcpu, u64 efer);

/* msr.c */
u64 mkvm_vmx_tsc_offset(struct mkvm_vcpu *vcpu);
int mkvm_vmx_get_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *data);
int mkvm_vmx_set_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 data, bool host);

/* intr.c */
bool mkvm_vmx_irq_allowed(struct mkvm_vcpu *vcpu);
void mkvm_vmx_inject_irq(struct mkvm_vcpu *vcpu, u8 vector);
void mkvm_vmx_enable_irq_window(struct mkvm_vcpu *vcpu);
int mkvm_vmx_exit_irq_window(struct mkvm_vcpu *vcpu);
bool mkvm_vmx_nmi_allowed(struct mkvm_vcpu *vcpu);
void mkvm_vmx_inject_nmi(struct mkvm_vcpu *vcpu);
void mkvm_vmx_enable_nmi_window(struct mkvm_vcpu *vcpu);
int mkvm_vmx_exit_nmi_window(struct mkvm_vcpu *vcpu);
void mkvm_vmx_complete_events(struct mkvm_vcpu *vcpu, u32 reason);
void mkvm_vmx_get_event(struct mkvm_vcpu *vcpu, struct mkvm_event *ev);
void mkvm_vmx_set_event(struct mkvm_vcpu *vcpu, const struct mkvm_event *ev);
u8 mkvm_vmx_get_shadow(struct mkvm_vcpu *vcpu);
void mkvm_vmx_set_shadow(struct mkvm_vcpu *vcpu, u8 mask);
void mkvm_vmx_set_nmi_mask(struct mkvm_vcpu *vcpu, bool masked);

/* exit.c */
int mkvm_vmx_handle_exit(struct mkvm_vcpu *vcpu, int entry);
void mkvm_vmx_skip_insn(struct mkvm_vcpu *vcpu, u64 next_rip);
void mkvm_vmx_dump_vmcs(struct mkvm_vcpu *vcpu, const char *why);

#endif /* MKVM_VMX_H */
