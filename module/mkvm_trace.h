/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mkvm_trace.h - tracepoints on guest entry and exit.
 *
 * Two events in the "minikvm" system, usable with ftrace and perf:
 *
 *   echo 1 > /sys/kernel/tracing/events/minikvm/enable
 *   perf record -e minikvm:mkvm_exit -a
 *
 *   minikvm:mkvm_entry  vcpu, guest RIP and RFLAGS about to run, and the
 *                       event the entry injects (SVM EVENTINJ, APM 15.20;
 *                       VMX VM-entry interruption information, SDM 24.8.3;
 *                       both: vector in bits 7:0, type in 10:8, valid bit 31)
 *   minikvm:mkvm_exit   vcpu, the vendor and its raw exit code (SVM EXITCODE,
 *                       AMD APM Vol. 2 Appendix C; VMX basic exit reason,
 *                       SDM Vol. 3C Appendix C), a name for it, guest RIP
 *                       at the exit, the two exit-information words
 *                       (EXITINFO1/2; exit qualification and guest-physical
 *                       address on VMX) and the event whose delivery the exit
 *                       interrupted (SVM EXITINTINFO, APM 15.7.2; VMX
 *                       IDT-vectoring information, SDM 24.9.3; same layout)
 *
 * The event words are what to read when a guest dies of a double or triple
 * fault: which interrupt went in, with which RFLAGS.IF, and what was being
 * delivered when the last exit came.
 *
 * They sit in each vendor's steps of the run loop (x86/run.c): the entry
 * event right before VMRUN/VMRESUME, the exit event first thing after
 * interrupts are back on; when no one listens they cost one static-key
 * branch each. The exit name is
 * printed from the (vendor, code) pair with __print_symbolic, so the trace
 * buffer holds no pointers into the module (a string pointer would dangle
 * after rmmod, and the kernel's %s checker warns about it).
 *
 * Non-goals: KVM's full set of tracepoints (kvm_pio, kvm_mmio, kvm_msr...):
 * the exit event's info words carry the same facts.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM minikvm

#if !defined(MKVM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define MKVM_TRACE_H

#include <linux/tracepoint.h>

/* The vendor, in the top bits of the key __print_symbolic looks up. */
#define MKVM_TRACE_SVM		BIT_ULL(62)
#define MKVM_TRACE_VMX		BIT_ULL(63)

TRACE_EVENT(mkvm_entry,
	    TP_PROTO(unsigned int vcpu_id, u64 rip, u64 rflags, u32 inject),
	    TP_ARGS(vcpu_id, rip, rflags, inject),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(u64, rip)
			     __field(u64, rflags)
			     __field(u32, inject)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->rip = rip;
			   __entry->rflags = rflags;
			   __entry->inject = inject;),
	    TP_printk("vcpu %u rip 0x%llx rflags 0x%llx inject 0x%x",
		      __entry->vcpu_id, __entry->rip, __entry->rflags,
		      __entry->inject)
);

/*
 * The names: SVM exit codes (APM Vol. 2 Table C-1) and VMX basic exit
 * reasons (SDM Vol. 3C Appendix C) that minikvm handles; others print as
 * a number only.
 */
TRACE_EVENT(mkvm_exit,
	    TP_PROTO(unsigned int vcpu_id, u64 vendor, u64 code, u64 rip,
		     u64 info1, u64 info2, u32 vectoring),
	    TP_ARGS(vcpu_id, vendor, code, rip, info1, info2, vectoring),
	    TP_STRUCT__entry(__field(unsigned int, vcpu_id)
			     __field(u64, key)
			     __field(u64, code)
			     __field(u64, rip)
			     __field(u64, info1)
			     __field(u64, info2)
			     __field(u32, vectoring)),
	    TP_fast_assign(__entry->vcpu_id = vcpu_id;
			   __entry->key = vendor | (code & 0xffffffffULL);
			   __entry->code = code;
			   __entry->rip = rip;
			   __entry->info1 = info1;
			   __entry->info2 = info2;
			   __entry->vectoring = vectoring;),
	    TP_printk("vcpu %u reason %s (0x%llx) rip 0x%llx info 0x%llx 0x%llx vectoring 0x%x",
		      __entry->vcpu_id,
		      __print_symbolic(__entry->key,
				       { MKVM_TRACE_SVM | 0x041, "svm_excp_db" },
				       { MKVM_TRACE_SVM | 0x051, "svm_excp_ac" },
				       { MKVM_TRACE_SVM | 0x060, "svm_intr" },
				       { MKVM_TRACE_SVM | 0x061, "svm_nmi" },
				       { MKVM_TRACE_SVM | 0x062, "svm_smi" },
				       { MKVM_TRACE_SVM | 0x063, "svm_init" },
				       { MKVM_TRACE_SVM | 0x064, "svm_vintr" },
				       { MKVM_TRACE_SVM | 0x072, "svm_cpuid" },
				       { MKVM_TRACE_SVM | 0x076, "svm_invd" },
				       { MKVM_TRACE_SVM | 0x078, "svm_hlt" },
				       { MKVM_TRACE_SVM | 0x07b, "svm_ioio" },
				       { MKVM_TRACE_SVM | 0x07c, "svm_msr" },
				       { MKVM_TRACE_SVM | 0x07f, "svm_shutdown" },
				       { MKVM_TRACE_SVM | 0x080, "svm_vmrun" },
				       { MKVM_TRACE_SVM | 0x081, "svm_vmmcall" },
				       { MKVM_TRACE_SVM | 0x08d, "svm_xsetbv" },
				       { MKVM_TRACE_SVM | 0x400, "svm_npf" },
				       { MKVM_TRACE_SVM | 0xffffffffULL, "svm_err" },
				       { MKVM_TRACE_VMX | 0, "vmx_exception_nmi" },
				       { MKVM_TRACE_VMX | 1, "vmx_external_interrupt" },
				       { MKVM_TRACE_VMX | 2, "vmx_triple_fault" },
				       { MKVM_TRACE_VMX | 7, "vmx_interrupt_window" },
				       { MKVM_TRACE_VMX | 10, "vmx_cpuid" },
				       { MKVM_TRACE_VMX | 12, "vmx_hlt" },
				       { MKVM_TRACE_VMX | 13, "vmx_invd" },
				       { MKVM_TRACE_VMX | 28, "vmx_cr_access" },
				       { MKVM_TRACE_VMX | 30, "vmx_io" },
				       { MKVM_TRACE_VMX | 31, "vmx_rdmsr" },
				       { MKVM_TRACE_VMX | 32, "vmx_wrmsr" },
				       { MKVM_TRACE_VMX | 33, "vmx_invalid_state" },
				       { MKVM_TRACE_VMX | 48, "vmx_ept_violation" },
				       { MKVM_TRACE_VMX | 49, "vmx_ept_misconfig" },
				       { MKVM_TRACE_VMX | 55, "vmx_xsetbv" }),
		      __entry->code, __entry->rip, __entry->info1, __entry->info2,
		      __entry->vectoring)
);

#endif /* MKVM_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mkvm_trace
#include <trace/define_trace.h>
