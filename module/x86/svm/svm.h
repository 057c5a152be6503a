/* SPDX-License-Identifier: GPL-2.0 */
/*
 * svm.h - state shared between the files of the AMD SVM backend.
 *
 * Manual references: AMD64 APM Vol. 2, 15.4 "Enabling SVM" and
 * Vol. 3, Appendix E.4.10 "Function 8000_000Ah - SVM Revision and Feature
 * Identification".
 */
#ifndef MKVM_SVM_H
#define MKVM_SVM_H

#include <linux/types.h>
#include <linux/kvm.h>
#include <asm/svm.h>

#include "../../minikvm.h"
#include "../../mmu.h"
#include "../../arch_ops.h"

/**
 * struct mkvm_svm_caps - what CPUID 8000_000Ah said at load time
 * @revision:	SVM revision number (EAX[7:0]).
 * @nr_asids:	Number of address space identifiers (EBX); ASID 0 is the host.
 * @features:	Feature bits (EDX): NPT, NRIP-save, decode assists, clean
 *		bits, flush-by-ASID... The emulated EPYC of our test machine
 *		has NPT but none of the others, so code must check each one.
 */
struct mkvm_svm_caps {
	u32 revision;
	u32 nr_asids;
	u32 features;
};

extern struct mkvm_svm_caps mkvm_svm_caps;

#define MKVM_SVM_FEAT_NPT	BIT(0)
#define MKVM_SVM_FEAT_NRIPS	BIT(3)

/**
 * struct mkvm_svm_vm - per-VM SVM state
 * @npt: the nested page tables (guest physical -> host physical)
 */
struct mkvm_svm_vm {
	struct mkvm_mmu npt;
};

/**
 * struct mkvm_svm_vcpu - per-vCPU SVM state
 * @vmcb:	The VMCB (APM Vol. 2 Appendix B): control area and the
 *		guest's save area. It is the only copy of the guest's
 *		segment, control and RAX/RSP/RIP/RFLAGS state.
 * @vmcb_pa:	Its physical address, the operand of VMLOAD/VMRUN/VMSAVE.
 * @regs:	The GPRs VMRUN does not save, indexed like kvm_regs order
 *		(MKVM_R_*); RAX and RSP slots are unused (they are in @vmcb).
 * @asid:	ASID on @asid_cpu; 0 = none yet.
 * @asid_cpu:	The CPU @asid belongs to.
 * @asid_gen:	That CPU's ASID generation when @asid was handed out.
 * @need_flush:	Guest translations may be stale (SET_SREGS, reset): take
 *		a fresh ASID before the next entry.
 * @awaiting_iret: The NMI handler's IRET was intercepted (intr.c).
 * @nmi_iret_rip: Where that IRET is; the NMI mask lifts once RIP moved.
 * @v_tpr:	V_TPR as this entry wrote it from the APIC's TPR; a guest
 *		MOV to CR8 changed it when it differs after the exit.
 */
struct mkvm_svm_vcpu {
	struct vmcb *vmcb;
	phys_addr_t vmcb_pa;
	unsigned long regs[16];
	u32 asid;
	int asid_cpu;
	u64 asid_gen;
	bool need_flush;
	bool awaiting_iret;
	u64 nmi_iret_rip;
	u8 v_tpr;
};

/* What mkvm_svm_enter_exit() returns when the guest did not run. */
enum {
	MKVM_SVM_VMRUN_FAULT = 1,	/* VMRUN faulted (vmenter.S) */
	MKVM_SVM_GIF_FAULT,		/* CLGI, VMSAVE or STGI faulted */
};

static inline struct mkvm_svm_vcpu *to_svm(struct mkvm_vcpu *vcpu)
{
	return vcpu->arch;
}

/* vmenter.S */
int mkvm_svm_vmrun(phys_addr_t vmcb_pa, unsigned long *regs,
		   phys_addr_t host_save_pa);

/* hw.c */
phys_addr_t mkvm_svm_host_save_pa(void);
extern phys_addr_t mkvm_svm_iopm_pa, mkvm_svm_msrpm_pa;

/* npt.c */
int mkvm_svm_vm_init(struct mkvm *vm);
void mkvm_svm_vm_destroy(struct mkvm *vm);
void mkvm_svm_unmap_range(struct mkvm *vm, u64 gfn, u64 npages);
int mkvm_svm_map_gpa(struct mkvm *vm, u64 gpa, bool write);
void mkvm_svm_pick_asid(struct mkvm_vcpu *vcpu, int cpu);
void mkvm_svm_asid_cpu_enabled(void);

/* vcpu.c */
int mkvm_svm_vcpu_create(struct mkvm_vcpu *vcpu);
void mkvm_svm_vcpu_free(struct mkvm_vcpu *vcpu);
void mkvm_svm_vcpu_reset(struct mkvm_vcpu *vcpu);
void mkvm_svm_vcpu_load(struct mkvm_vcpu *vcpu, int cpu);
void mkvm_svm_vcpu_put(struct mkvm_vcpu *vcpu);
int mkvm_svm_prepare_switch(struct mkvm_vcpu *vcpu);
int mkvm_svm_enter_exit(struct mkvm_vcpu *vcpu);
void mkvm_svm_handle_exit_irqoff(struct mkvm_vcpu *vcpu, int entry);
u64 mkvm_svm_read_gpr(struct mkvm_vcpu *vcpu, unsigned int reg);
void mkvm_svm_write_gpr(struct mkvm_vcpu *vcpu, unsigned int reg, u64 val);
void mkvm_svm_get_regs(struct mkvm_vcpu *vcpu, struct kvm_regs *regs);
void mkvm_svm_set_regs(struct mkvm_vcpu *vcpu, const struct kvm_regs *regs);
void mkvm_svm_get_sregs(struct mkvm_vcpu *vcpu, struct kvm_sregs *sregs);
void mkvm_svm_set_sregs(struct mkvm_vcpu *vcpu, const struct kvm_sregs *sregs);
void mkvm_svm_inject_exception(struct mkvm_vcpu *vcpu, u8 vector,
			       bool has_error, u32 error, u64 cr2);

/* intr.c */
bool mkvm_svm_irq_allowed(struct mkvm_vcpu *vcpu);
void mkvm_svm_inject_irq(struct mkvm_vcpu *vcpu, u8 vector);
void mkvm_svm_enable_irq_window(struct mkvm_vcpu *vcpu);
bool mkvm_svm_nmi_allowed(struct mkvm_vcpu *vcpu);
void mkvm_svm_inject_nmi(struct mkvm_vcpu *vcpu);
void mkvm_svm_enable_nmi_window(struct mkvm_vcpu *vcpu);
int mkvm_svm_exit_vintr(struct mkvm_vcpu *vcpu);
int mkvm_svm_exit_iret(struct mkvm_vcpu *vcpu);
void mkvm_svm_complete_events(struct mkvm_vcpu *vcpu);
void mkvm_svm_get_event(struct mkvm_vcpu *vcpu, struct mkvm_event *ev);
void mkvm_svm_set_event(struct mkvm_vcpu *vcpu, const struct mkvm_event *ev);
u8 mkvm_svm_get_shadow(struct mkvm_vcpu *vcpu);
void mkvm_svm_set_shadow(struct mkvm_vcpu *vcpu, u8 mask);
void mkvm_svm_set_nmi_mask(struct mkvm_vcpu *vcpu, bool masked);

/* msr.c */
u64 mkvm_svm_tsc_offset(struct mkvm_vcpu *vcpu);
int mkvm_svm_get_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *data);
int mkvm_svm_set_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 data, bool host);

/* exit.c */
int mkvm_svm_handle_exit(struct mkvm_vcpu *vcpu, int entry);
void mkvm_svm_skip_insn(struct mkvm_vcpu *vcpu, u64 next_rip);
void mkvm_svm_dump_vmcb(struct mkvm_vcpu *vcpu, const char *why);

int mkvm_svm_alloc_hsave_areas(void);
void mkvm_svm_free_hsave_areas(void);
int mkvm_svm_cpu_enable(void);
void mkvm_svm_cpu_disable(void);

#endif /* MKVM_SVM_H */
