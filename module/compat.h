/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference minikvm cares about, and nothing
 * else.
 *
 * minikvm builds against Debian's 6.1 (bookworm), 6.12 (bookworm-backports
 * and -security) and 7.x (sid) headers. Code outside this file never tests
 * LINUX_VERSION_CODE or a feature macro; it uses the mkvm_* wrappers below,
 * so a student reading vmx/ or svm/ sees one spelling of each operation.
 * Where a change was backported into a stable series, module/Kbuild detects
 * it from the headers and passes a MKVM_* define; the decision stays here.
 *
 * Non-goals: kernels older than 6.1; non-x86 architectures.
 */
#ifndef MKVM_COMPAT_H
#define MKVM_COMPAT_H

#include <linux/version.h>
#include <linux/syscore_ops.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>
#include <asm/svm.h>
#include <asm/cpufeature.h>
/* 6.2 moved load_gs_index() to <asm/gsseg.h>. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#include <asm/gsseg.h>
#endif
/* 6.17 moved cpuid_eax() and friends out of <asm/processor.h>. */
#ifdef MKVM_HAVE_ASM_CPUID_API
#include <asm/cpuid/api.h>
#endif

/*
 * 6.16 renamed the 64-bit MSR accessors rdmsrl()/wrmsrl() to
 * rdmsrq()/wrmsrq() (and the _safe variants alike).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 16, 0)
#define mkvm_rdmsr(msr, val)		rdmsrq(msr, val)
#define mkvm_wrmsr(msr, val)		wrmsrq(msr, val)
#define mkvm_rdmsr_safe(msr, p)		rdmsrq_safe(msr, p)
#else
#define mkvm_rdmsr(msr, val)		rdmsrl(msr, val)
#define mkvm_wrmsr(msr, val)		wrmsrl(msr, val)
#define mkvm_rdmsr_safe(msr, p)		rdmsrl_safe(msr, p)
#endif

/*
 * Syscore (suspend/resume) callbacks: 6.19, and 6.12.115 via stable, pass
 * a data pointer and register a struct syscore that points at const ops.
 * Callbacks are declared as "int fn(MKVM_SYSCORE_ARGS)".
 */
#ifdef MKVM_HAVE_REGISTER_SYSCORE
#define MKVM_SYSCORE_ARGS		void *data
#define MKVM_DEFINE_SYSCORE(name, suspend_fn, resume_fn)		\
	static const struct syscore_ops name##_ops = {			\
		.suspend = suspend_fn,					\
		.resume = resume_fn,					\
	};								\
	static struct syscore name = { .ops = &name##_ops }
#define mkvm_register_syscore(s)	register_syscore(s)
#define mkvm_unregister_syscore(s)	unregister_syscore(s)
#else
#define MKVM_SYSCORE_ARGS		void
#define MKVM_DEFINE_SYSCORE(name, suspend_fn, resume_fn)		\
	static struct syscore_ops name = {				\
		.suspend = suspend_fn,					\
		.resume = resume_fn,					\
	}
#define mkvm_register_syscore(s)	register_syscore_ops(s)
#define mkvm_unregister_syscore(s)	unregister_syscore_ops(s)
#endif

/*
 * CR4 goes through the kernel's per-CPU shadow (cr4_set_bits() and
 * friends): a raw write behind its back would be undone by the next
 * shadow-based update, and clearing CR4.VMXE in VMX operation is a #GP
 * (SDM 24.8). From 7.0 these helpers are exported only to kvm.ko,
 * kvm-intel.ko and kvm-amd.ko, and turning VMX on belongs to the core
 * kernel (x86_virt_get_ref(), also KVM-only). On such kernels the VMX
 * backend refuses to load (mkvm_cr4_shadow_usable() is false); SVM needs
 * only MSRs and is unaffected. See Documentation/coexistence.md.
 */
#ifdef MKVM_CR4_SHADOW_KVM_ONLY
static inline bool mkvm_cr4_shadow_usable(void) { return false; }
static inline unsigned long mkvm_cr4_read_shadow(void) { return __read_cr4(); }
/* Never reached: the VMX backend stops at mkvm_cr4_shadow_usable(). */
static inline void mkvm_cr4_set_bits(unsigned long mask) { }
static inline void mkvm_cr4_clear_bits(unsigned long mask) { }
#else
static inline bool mkvm_cr4_shadow_usable(void) { return true; }
static inline unsigned long mkvm_cr4_read_shadow(void) { return cr4_read_shadow(); }
static inline void mkvm_cr4_set_bits(unsigned long mask) { cr4_set_bits(mask); }
static inline void mkvm_cr4_clear_bits(unsigned long mask) { cr4_clear_bits(mask); }
#endif

/*
 * The VMCB's 64-bit EXITCODE (APM Vol. 2, Appendix B, offset 70h) was
 * declared as two u32 halves until the kernel merged them.
 */
#ifdef MKVM_VMCB_EXIT_CODE_U64
static inline u64 mkvm_vmcb_exit_code(const struct vmcb_control_area *c)
{
	return c->exit_code;
}
#else
static inline u64 mkvm_vmcb_exit_code(const struct vmcb_control_area *c)
{
	return c->exit_code | (u64)c->exit_code_hi << 32;
}
#endif

/* VMCB offset 90h, bit 0 enables nested paging (APM Vol. 2, B.1). */
#ifdef MKVM_VMCB_MISC_CTL
#define mkvm_vmcb_np_ctl(c)		((c)->misc_ctl)
#define MKVM_VMCB_NP_ENABLE		SVM_MISC_ENABLE_NP
#else
#define mkvm_vmcb_np_ctl(c)		((c)->nested_ctl)
#define MKVM_VMCB_NP_ENABLE		SVM_NESTED_CTL_NP_ENABLE
#endif

/*
 * FRED (6.9+) replaces IDT event delivery. The VMX backend re-delivers an
 * NMI that caused a VM exit with INT 2 through the IDT (x86/vmx/vcpu.c),
 * which is only right without FRED, so it refuses to run guests there.
 * Before 6.9 the feature bit does not exist and FRED is never in use.
 */
#ifdef X86_FEATURE_FRED
#define mkvm_host_uses_fred()		cpu_feature_enabled(X86_FEATURE_FRED)
#else
#define mkvm_host_uses_fred()		false
#endif

/* The kvm_run page's immediate_exit byte, read once per KVM_RUN. */
#ifdef MKVM_KVM_RUN_IMMEDIATE_EXIT_UNSAFE
#define mkvm_run_immediate_exit(run)	READ_ONCE((run)->immediate_exit__unsafe)
#else
#define mkvm_run_immediate_exit(run)	READ_ONCE((run)->immediate_exit)
#endif

/*
 * IBPB between guests (IA32_PRED_CMD.IBPB, Intel SDM Vol. 4; AMD APM
 * Vol. 2 3.2.9). Until 6.14 X86_FEATURE_USE_IBPB says whether the host's
 * Spectre v2 mitigation uses IBPB; later kernels dropped that flag and
 * gate on X86_FEATURE_IBPB. indirect_branch_prediction_barrier() itself is
 * not used: 7.x implements it with write_ibpb(), exported to kvm*.ko only.
 */
static inline void mkvm_ibpb(void)
{
#ifdef X86_FEATURE_USE_IBPB
	if (boot_cpu_has(X86_FEATURE_USE_IBPB))
#else
	if (boot_cpu_has(X86_FEATURE_IBPB))
#endif
		mkvm_wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
}

/*
 * eventfd_signal() lost its count argument in 6.8 (every caller passed 1).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define mkvm_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define mkvm_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#endif

/*
 * hrtimer_setup() (6.13) sets the callback with the clock and mode;
 * hrtimer_init() plus an assignment to ->function is gone from 6.15.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define mkvm_hrtimer_setup(t, fn, clock, mode)	hrtimer_setup(t, fn, clock, mode)
#else
#include <linux/hrtimer.h>
static inline void
mkvm_hrtimer_setup(struct hrtimer *t, enum hrtimer_restart (*fn)(struct hrtimer *),
		   clockid_t clock, enum hrtimer_mode mode)
{
	hrtimer_init(t, clock, mode);
	t->function = fn;
}
#endif

#endif /* MKVM_COMPAT_H */
