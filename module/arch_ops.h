/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arch_ops.h - the contract between minikvm's common code and a vendor
 * backend (Intel VMX in x86/vmx/, AMD SVM in x86/svm/).
 *
 * Common code never executes a VMX or SVM instruction itself; everything
 * vendor-specific goes through one instance of struct mkvm_arch_ops chosen at
 * module load. The table is deliberately small (bhyve's vmm_ops is the model)
 * and grows one member at a time as features land; plain function pointers
 * keep it readable (KVM uses static_call for speed).
 *
 * Non-goals: supporting both vendors in one boot; runtime switching.
 */
#ifndef MKVM_ARCH_OPS_H
#define MKVM_ARCH_OPS_H

#include <linux/seq_file.h>
#include <linux/kvm.h>

struct mkvm;
struct mkvm_vcpu;

/* What a vendor's injection field can hold (struct mkvm_event.type). */
enum mkvm_event_type {
	MKVM_EVENT_NONE,
	MKVM_EVENT_INTR,	/* external interrupt */
	MKVM_EVENT_NMI,
	MKVM_EVENT_EXCEPTION,	/* hardware exception (and INT3/INTO) */
	MKVM_EVENT_SOFT,	/* INT n, ICEBP: re-executed, never written */
};

/**
 * struct mkvm_event - the event the next VM entry will deliver
 * @type:	MKVM_EVENT_*.
 * @vector:	Its vector.
 * @has_error:	An error code is pushed (exceptions only).
 * @error:	That error code.
 */
struct mkvm_event {
	u8 type;
	u8 vector;
	bool has_error;
	u32 error;
};

/**
 * struct mkvm_arch_ops - what a virtualization backend provides
 * @name:	Short vendor name, "vmx" or "svm"; used in messages and debugfs.
 * @owner_hint:	Who most likely holds the hardware when @cpu_enable answers
 *		-EBUSY, for the one-line dmesg hint (e.g. "kvm_intel").
 * @hardware_setup: Called once at module load, in process context. Checks
 *		that the CPU and firmware allow this kind of virtualization
 *		(and says why not in one line), reads the capability MSRs and
 *		allocates per-CPU areas for every possible CPU, so that
 *		@cpu_enable never allocates. Returns 0 or a negative errno;
 *		-ENODEV means "this CPU cannot do it".
 * @hardware_unsetup: Undoes @hardware_setup at module unload. Called only
 *		when virtualization is off on every CPU.
 * @cpu_enable:	Turns virtualization on for the calling CPU (VMXON, or
 *		EFER.SVME plus the host save area). Runs with interrupts
 *		disabled, either from an IPI or from the CPU-hotplug thread
 *		pinned to that CPU. Must return -EBUSY without touching
 *		anything when someone else already has it on.
 * @cpu_disable: Turns virtualization off for the calling CPU. Interrupts
 *		disabled. Only called on a CPU where @cpu_enable succeeded.
 * @cpu_in_use:	True when VMX/SVM is already on for the calling CPU
 *		(CR4.VMXE / EFER.SVME), whoever turned it on. Preemption
 *		disabled.
 * @show_caps:	Prints what the hardware offers (debugfs "hw" file).
 * @vm_init:	Allocate the vendor's per-VM state (second-level page
 *		tables). -ENODEV when this CPU cannot run guests at all
 *		(e.g. no NPT).
 * @vm_destroy:	Free it; every vCPU is gone.
 * @unmap_range: Remove second-level mappings of guest frames. vm->mmu_lock
 *		held; the caller flushes TLBs.
 * @vcpu_create: Allocate the VMCB/VMCS and put the vCPU in its
 *		architectural reset state (real mode at F000:FFF0).
 * @vcpu_free:	Free it.
 * @vcpu_load:	The vCPU thread now runs on @cpu (preemption disabled).
 * @vcpu_put:	The vCPU thread leaves the CPU (preemption disabled).
 * @load_dr6:	The guest's DR6 is not part of the vendor's guest state
 *		(VMX): mkvm_dr_enter() loads it when the guest's breakpoints
 *		are live. SVM keeps DR6 in the VMCB.
 * @prepare_switch: First run-loop step (x86/run.c), interrupts off and
 *		the entry committed: the vendor state that must match this
 *		CPU and this entry (SVM: V_TPR, ASID, DR6/DR7 into the VMCB;
 *		VMX: VMCS current, TLB flush, per-entry host fields, GUEST_DR7).
 *		Returns 1 to go on, 0 with vcpu->run filled (the entry is
 *		abandoned and KVM_RUN returns to userspace).
 * @enter_exit:	The world switch, interrupts off and guest time running:
 *		CLGI/VMSAVE/VMRUN/STGI or CR2/VMLAUNCH/VMRESUME and the host
 *		state VM exit does not restore, inside
 *		guest_state_enter_irqoff() and mkvm_guest_state_exit() (which
 *		puts vcpu->mode outside guest mode at once), and the entry
 *		tracepoint. Returns 0 when the guest ran and exited, or a
 *		vendor code for an entry that failed, which
 *		@handle_exit_irqoff and @handle_exit get.
 * @handle_exit_irqoff: Right after @enter_exit and mkvm_dr_exit(), still
 *		with interrupts off: what must happen before the host takes
 *		interrupts (VMX: the exit reason and launch state; a host NMI
 *		or #MC that exited; SVM's TLB_CONTROL).
 * @handle_exit: Interrupts on, FPU back to the host: the exit
 *		tracepoint, failed entries, re-queueing an interrupted event,
 *		then the vendor's dispatch, which decodes the exits common to
 *		both vendors into a struct mkvm_exit for x86/exit.c. Returns 1
 *		to re-enter, 0 with vcpu->run filled, or a negative errno.
 * @read_gpr:	A guest general-purpose register by its x86 encoding
 *		(MKVM_R_*, SDM Vol. 2A Table 2-2), for the common exit handlers.
 * @write_gpr:	Write one.
 * @skip_insn:	Move RIP to @next_rip (the decoded exit's) and end an STI or
 *		MOV SS interrupt shadow, as retiring the instruction would.
 * @get_regs:	KVM_GET_REGS.
 * @set_regs:	KVM_SET_REGS (values already copied from userspace).
 * @get_sregs:	KVM_GET_SREGS.
 * @set_sregs:	KVM_SET_SREGS, after common validation.
 * @walk_flags:	MKVM_WALK_ENV_* for guest page walks (x86/pgwalk.h): the
 *		vendor's reserved-bit rules.
 * @pdptrs:	Optional. For a guest using PAE paging, the four PDPTE
 *		registers where the CPU keeps them (VMX with EPT: the VMCS,
 *		SDM Vol. 3C 25.4.2), valid until the next vCPU ioctl; NULL
 *		otherwise, and the walker reads the PDPTEs at CR3.
 * @get_msr:	Read an MSR whose guest value the vendor holds (VMCB/VMCS);
 *		-ENOENT for any other MSR.
 * @set_msr:	Write one, with the CPU's #GP rules: -EINVAL to refuse,
 *		-ENOENT when not the vendor's. @host: from KVM_SET_MSRS.
 * @tsc_offset:	The exact guest-minus-host TSC offset (VMCB TSC_OFFSET,
 *		APM 15.30.5; VMCS TSC offset, SDM 26.6.5), for kvmclock.
 * @queue_exception: Deliver exception @vector to the guest at the next
 *		entry, at the current RIP (the faulting instruction is not
 *		retired), with @error pushed when @has_error and, for #PF,
 *		CR2 = @cr2 first (SDM Vol. 3A 6.15; APM Vol. 2 15.20 EVENTINJ,
 *		SDM Vol. 3C 26.6 VM-entry event injection).
 *
 * Interrupt delivery (issue 5, Documentation/interrupts.md). The common
 * code (x86/irq.c) decides what to deliver; the vendor only knows how.
 * The run loop, mkvm_vcpu_enter_guest() in x86/run.c, keeps the order:
 * mkvm_inject_pending() before interrupts go off, mkvm_entry_must_abort()
 * with them off, vcpu->mode back to MKVM_OUTSIDE_GUEST after the exit. The
 * vendor mirrors the APIC TPR into its CR8 shadow in @prepare_switch and
 * back in @handle_exit (SVM: V_TPR; VMX: CR8 exits), re-queues an event
 * whose delivery the exit interrupted (SVM: EXITINTINFO, VMX: IDT-vectoring
 * information) before dispatching, and intercepts physical interrupts so
 * that a kick IPI exits. HLT reaches mkvm_vcpu_halt() through x86/exit.c.
 *
 * @vcpu_reset:	INIT: the architectural INIT state (real mode at
 *		F000:FFF0, SDM 9.1.1 / APM 14.1.3), nothing queued. MSRs in
 *		struct mkvm_vcpu_msrs are kept.
 * @irq_allowed: Can an external interrupt be injected at the next entry?
 *		RFLAGS.IF=1, no STI/MOV SS shadow, no event already queued.
 * @inject_irq:	Queue external interrupt @vector for the next entry (SVM
 *		EVENTINJ type INTR; VMX VM-entry interruption information).
 *		Only called when @irq_allowed said yes.
 * @enable_irq_window: Ask for an exit as soon as @irq_allowed would be
 *		true (SVM: V_IRQ + VINTR intercept; VMX: interrupt-window
 *		exiting); the vendor clears it on that exit and returns 1.
 * @nmi_allowed: Can an NMI be injected now? Not while a previous NMI's
 *		handler runs (until its IRET; vcpu->nmi_masked), nor in an
 *		interrupt shadow or with an event queued.
 * @inject_nmi:	Queue an NMI; sets vcpu->nmi_masked.
 * @enable_nmi_window: Ask for an exit when @nmi_allowed may become true
 *		(SVM: IRET intercept; VMX: NMI-window exiting).
 *
 * Event state for KVM_GET/SET_VCPU_EVENTS (x86/events.c). The one event
 * the next entry delivers lives in the vendor's injection field (SVM
 * EVENTINJ, APM 15.20; VMX VM-entry interruption information, SDM 25.8.3);
 * these read and write it as a struct mkvm_event:
 *
 * @get_event:	The event queued for the next entry, or MKVM_EVENT_NONE.
 * @set_event:	Replace it. Only MKVM_EVENT_NONE, _NMI (with the NMI
 *		masking injection implies, as @inject_nmi) and _EXCEPTION
 *		are written; an error code is dropped in real mode.
 * @get_shadow:	The STI/MOV SS interrupt shadow as KVM_X86_SHADOW_INT_*.
 * @set_shadow:	Set it from KVM_X86_SHADOW_INT_* (0 ends it).
 * @set_nmi_mask: Block or unblock NMIs as the IRET of an NMI handler
 *		would (vcpu->nmi_masked and the vendor's tracking of it).
 */
struct mkvm_arch_ops {
	const char *name;
	const char *owner_hint;
	u32 walk_flags;
	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);
	bool (*cpu_in_use)(void);
	void (*show_caps)(struct seq_file *m);

	int (*vm_init)(struct mkvm *vm);
	void (*vm_destroy)(struct mkvm *vm);
	void (*unmap_range)(struct mkvm *vm, u64 gfn, u64 npages);

	int (*vcpu_create)(struct mkvm_vcpu *vcpu);
	void (*vcpu_free)(struct mkvm_vcpu *vcpu);
	void (*vcpu_load)(struct mkvm_vcpu *vcpu, int cpu);
	void (*vcpu_put)(struct mkvm_vcpu *vcpu);
	bool load_dr6;
	int (*prepare_switch)(struct mkvm_vcpu *vcpu);
	int (*enter_exit)(struct mkvm_vcpu *vcpu);
	void (*handle_exit_irqoff)(struct mkvm_vcpu *vcpu, int entry);
	int (*handle_exit)(struct mkvm_vcpu *vcpu, int entry);
	u64 (*read_gpr)(struct mkvm_vcpu *vcpu, unsigned int reg);
	void (*write_gpr)(struct mkvm_vcpu *vcpu, unsigned int reg, u64 val);
	void (*skip_insn)(struct mkvm_vcpu *vcpu, u64 next_rip);
	void (*get_regs)(struct mkvm_vcpu *vcpu, struct kvm_regs *regs);
	void (*set_regs)(struct mkvm_vcpu *vcpu, const struct kvm_regs *regs);
	void (*get_sregs)(struct mkvm_vcpu *vcpu, struct kvm_sregs *sregs);
	void (*set_sregs)(struct mkvm_vcpu *vcpu,
			  const struct kvm_sregs *sregs);
	const u64 *(*pdptrs)(struct mkvm_vcpu *vcpu);
	int (*get_msr)(struct mkvm_vcpu *vcpu, u32 msr, u64 *data);
	int (*set_msr)(struct mkvm_vcpu *vcpu, u32 msr, u64 data, bool host);
	u64 (*tsc_offset)(struct mkvm_vcpu *vcpu);
	void (*queue_exception)(struct mkvm_vcpu *vcpu, u8 vector,
				bool has_error, u32 error, u64 cr2);

	void (*vcpu_reset)(struct mkvm_vcpu *vcpu);
	bool (*irq_allowed)(struct mkvm_vcpu *vcpu);
	void (*inject_irq)(struct mkvm_vcpu *vcpu, u8 vector);
	void (*enable_irq_window)(struct mkvm_vcpu *vcpu);
	bool (*nmi_allowed)(struct mkvm_vcpu *vcpu);
	void (*inject_nmi)(struct mkvm_vcpu *vcpu);
	void (*enable_nmi_window)(struct mkvm_vcpu *vcpu);

	void (*get_event)(struct mkvm_vcpu *vcpu, struct mkvm_event *ev);
	void (*set_event)(struct mkvm_vcpu *vcpu, const struct mkvm_event *ev);
	u8 (*get_shadow)(struct mkvm_vcpu *vcpu);
	void (*set_shadow)(struct mkvm_vcpu *vcpu, u8 mask);
	void (*set_nmi_mask)(struct mkvm_vcpu *vcpu, bool masked);
};

extern const struct mkvm_arch_ops mkvm_vmx_ops;
extern const struct mkvm_arch_ops mkvm_svm_ops;

/* The backend chosen at load; never changes afterwards. */
extern const struct mkvm_arch_ops *mkvm_ops;

/* Probes return true when this CPU's vendor matches; no side effects. */
bool mkvm_vmx_probe(void);
bool mkvm_svm_probe(void);

#endif /* MKVM_ARCH_OPS_H */
