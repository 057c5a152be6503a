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
#include <linux/kvm.h>

#include "minikvm.h"

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
	default:
		return 0;
	}
}
