// SPDX-License-Identifier: GPL-2.0
/*
 * caps.c - KVM_CHECK_EXTENSION: the single list of what minikvm implements.
 *
 * Userspace decides what to use from these answers, so every entry here
 * must be true of the running module; a cap is added in the same change
 * that implements it, never before (Documentation/virt/kvm/api.rst, 4.4).
 * Unknown and unimplemented caps answer 0, as in KVM.
 *
 * Non-goals: per-VM differences (every VM has the same caps today; @vm is
 * there for when that stops being true).
 */
#include <linux/cpumask.h>
#include <linux/kvm.h>

#include "minikvm.h"
#include "arch_ops.h"

/**
 * mkvm_check_extension() - answer KVM_CHECK_EXTENSION
 * @vm:  the VM asked through, or NULL for the system fd
 * @cap: a KVM_CAP_* number from userspace (any value is fine)
 *
 * Return: 0 when not supported, otherwise a positive value whose meaning
 * depends on the cap (usually 1).
 */
long mkvm_check_extension(struct mkvm *vm, long cap)
{
	switch (cap) {
	/* KVM_CHECK_EXTENSION also works on VM fds (vm.c). */
	case KVM_CAP_CHECK_EXTENSION_VM:
		return 1;
	/* Guest memory, vCPUs and KVM_RUN: only with a backend that runs. */
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_ENABLE_CAP_VM:	/* KVM_CAP_MAX_VCPU_ID only (vm.c) */
	/* In-kernel I/O bus: ioeventfds work on either vendor (iobus.c). */
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	/* KVM_GET/SET_DEBUGREGS (x86/debugreg.c). */
	case KVM_CAP_DEBUGREGS:
	/* Start-up VM/vCPU ioctls (x86/events.c), KVM_EXIT_HLT, ndata. */
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_USER_NMI:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_KVMCLOCK_CTRL:
	case KVM_CAP_HLT:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_COALESCED_PIO:	/* coalesced.c */
		return mkvm_can_run_guests();
	/* Coalesced MMIO (coalesced.c): where its ring is in the vCPU mmap. */
	case KVM_CAP_COALESCED_MMIO:
		return mkvm_can_run_guests() ? KVM_COALESCED_MMIO_PAGE_OFFSET : 0;
	/*
	 * Issue 5: the in-kernel irqchip and what feeds it, only where the
	 * vendor can inject interrupts (SVM today; VMX's ops follow).
	 */
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	/* The 8254 (x86/pit.c). */
	case KVM_CAP_PIT:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
		return mkvm_can_run_irqchip();
	/* KVM_GET/SET_XSAVE and _XCRS: when the host uses XSAVE (xsave.c). */
	case KVM_CAP_XSAVE:
	case KVM_CAP_XCRS:
		return mkvm_can_run_guests() && mkvm_supported_xcr0;
	case KVM_CAP_IRQ_ROUTING:
		return mkvm_can_run_irqchip() ? MKVM_MAX_IRQ_ROUTES : 0;
	/* KVM_GET/SET_CLOCK (x86/kvmclock.c): the flags GET can report. */
	case KVM_CAP_ADJUST_CLOCK:
		return mkvm_can_run_guests() ? mkvm_kvmclock_cap() : 0;
	/* KVM_CLEAR_DIRTY_LOG and manual write-protection (memslot.c). */
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return mkvm_can_run_guests() ? MKVM_DIRTY_LOG_MANUAL_CAPS : 0;
	case KVM_CAP_NR_MEMSLOTS:
		return mkvm_can_run_guests() ? MKVM_NR_MEMSLOTS : 0;
	/* KVM: the recommended count, at most the online CPUs. */
	case KVM_CAP_NR_VCPUS:
		return mkvm_can_run_guests() ?
		       min_t(unsigned int, num_online_cpus(), MKVM_MAX_VCPUS) : 0;
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_MAX_VCPU_ID:
		return mkvm_can_run_guests() ? MKVM_MAX_VCPUS : 0;
	default:
		return 0;
	}
}

/**
 * mkvm_can_run_irqchip() - can the backend deliver interrupts?
 *
 * Return: true when it runs guests and has the injection ops
 * (arch_ops.h) that the in-kernel irqchip needs.
 */
bool mkvm_can_run_irqchip(void)
{
	return mkvm_can_run_guests() && mkvm_ops->inject_irq;
}

/**
 * mkvm_can_run_guests() - does the loaded backend implement KVM_RUN?
 *
 * Return: true when the backend has a run loop (SVM and VMX). Whether this
 * CPU has what it needs (NPT; EPT and unrestricted guest) is checked at
 * KVM_CREATE_VM, which fails with -ENODEV and says why.
 */
bool mkvm_can_run_guests(void)
{
	return mkvm_ops->enter_exit;
}
