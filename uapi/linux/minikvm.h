/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * minikvm's own userspace ABI.
 *
 * minikvm speaks the KVM ioctl ABI: every ioctl number, structure and
 * constant comes from the kernel's own <linux/kvm.h>, with the semantics of
 * Documentation/virt/kvm/api.rst. This header holds only what KVM does not
 * define. Today that is just the device node; extensions get added here,
 * with their own ioctl numbers, when a later change needs one.
 */
#ifndef _UAPI_LINUX_MINIKVM_H
#define _UAPI_LINUX_MINIKVM_H

/* The misc device. It is deliberately not "kvm": that name belongs to kvm.ko. */
#define MINIKVM_DEVICE_NAME	"minikvm"
#define MINIKVM_DEVICE_PATH	"/dev/minikvm"

#endif /* _UAPI_LINUX_MINIKVM_H */
