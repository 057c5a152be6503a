// SPDX-License-Identifier: GPL-2.0
/*
 * vmhold - keep one idle VM open on each KVM device for the whole mkvm test run.
 *
 * Why: creating the first VM of a host and destroying the last one flip kernel static
 * keys (preempt_notifier_inc()/dec() in kvm_create_vm() and minikvm's vm.c, the LAPIC's
 * apic_sw_disabled key in stock KVM), and each flip rewrites live kernel text with
 * text_poke_bp(): an int3 first, then the new bytes, with IPIs in between. Under QEMU's
 * multi-threaded TCG (the mkvm step needs it for 2-vCPU nested Linux boots) another vCPU
 * thread can still run a stale translation holding that int3 after the poke finished,
 * and the L1 kernel dies with "Oops: int3" (seen in CI during mkvm_bigmem_kvm, 6.12 L1).
 * One VM held open on each device keeps those keys above zero, so no test ever patches
 * the kernel; the tests themselves are unchanged.
 *
 * usage: vmhold DEV...   (e.g. vmhold /dev/kvm /dev/minikvm)
 * Creates on each DEV that exists a VM with an in-kernel irqchip and one vCPU that never
 * runs, prints "vmhold: holding N VMs" and sleeps until killed. Exit 1 when a device that
 * exists refuses, 0 otherwise. Non-goal: anything else; it never calls KVM_RUN.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int hold(const char *dev)
{
	int sys, vm, vcpu;

	sys = open(dev, O_RDWR | O_CLOEXEC);
	if (sys < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "vmhold: %s: %s\n", dev, strerror(errno));
		return -1;
	}
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "vmhold: %s: KVM_CREATE_VM: %s\n", dev, strerror(errno));
		return -1;
	}
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		fprintf(stderr, "vmhold: %s: KVM_CREATE_IRQCHIP: %s\n", dev, strerror(errno));
		return -1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		fprintf(stderr, "vmhold: %s: KVM_CREATE_VCPU: %s\n", dev, strerror(errno));
		return -1;
	}
	return 1;	/* the fds stay open until we are killed */
}

int main(int argc, char **argv)
{
	int i, r, n = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: vmhold DEV...\n");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		r = hold(argv[i]);
		if (r < 0)
			return 1;
		n += r;
	}
	printf("vmhold: holding %d VMs\n", n);
	fflush(stdout);
	for (;;)
		pause();
}
