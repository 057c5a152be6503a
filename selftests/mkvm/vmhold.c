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
 * One VM held open keeps those keys above zero, so the tests on that device never patch
 * the kernel; the tests themselves are unchanged. Only one device can hold VMX/SVM at a
 * time (minikvm refuses with EBUSY while kvm_amd has a VM, Documentation/coexistence.md),
 * so the run-list holds /dev/kvm for the stock-KVM half, then /dev/minikvm for the rest:
 * two flips in a run instead of a hundred.
 *
 * usage: vmhold DEV...
 * Creates on each DEV that exists a VM with an in-kernel irqchip and one vCPU that never
 * runs, prints "vmhold: holding N VMs" and sleeps until killed. KVM_CREATE_VM failing with
 * EBUSY is retried for 20 s (the previous holder's VM on the other device may still be
 * going away). Exit 1 when a device that exists refuses. Non-goal: it never calls KVM_RUN.
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
	int sys, vm = -1, vcpu, tries;

	sys = open(dev, O_RDWR | O_CLOEXEC);
	if (sys < 0) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "vmhold: %s: %s\n", dev, strerror(errno));
		return -1;
	}
	for (tries = 0; tries < 200; tries++) {
		vm = ioctl(sys, KVM_CREATE_VM, 0);
		if (vm >= 0 || errno != EBUSY)
			break;
		usleep(100 * 1000);
	}
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
