// SPDX-License-Identifier: GPL-2.0
/*
 * guest_spinner - helper of sigkill_test.sh: a VMM that never finishes.
 *
 * usage: guest_spinner DEVICE NVCPUS
 * Creates a VM with NVCPUS vCPUs, each spinning in a 64-bit guest loop in
 * its own thread, prints "running" once every vCPU has entered KVM_RUN at
 * least once (they exit on a PIO before the loop), and spins until killed.
 * Exit 4 (skip) when DEVICE cannot run guests (no KVM_CAP_USER_MEMORY).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "guest_lib.h"

static struct gl_vcpu vcpus[8];

GL_GUEST_ASM(spinner, 64, "out %al, $0x42\n 1: inc %rbx\n jmp 1b\n");

/*
 * Set by each vCPU thread once its first KVM_RUN came back with the OUT.
 * Polling run->exit_reason instead races: the thread re-enters KVM_RUN at
 * once, and Linux 6.12's KVM resets exit_reason at the start of KVM_RUN,
 * so the main thread could wait forever.
 */
static int entered[8];

static void *spin(void *arg)
{
	struct gl_vcpu *vcpu = arg;

	gl_run(vcpu);			/* the OUT */
	__atomic_store_n(&entered[vcpu - vcpus], 1, __ATOMIC_RELEASE);
	for (;;)
		gl_run(vcpu);		/* forever, until SIGKILL */
	return NULL;
}

int main(int argc, char **argv)
{
	struct gl_vm vm;
	pthread_t th;
	int fd, n, i;

	if (argc != 3)
		return 2;
	n = atoi(argv[2]);
	if (n < 1 || n > 8)
		return 2;
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
		return errno == ENOENT ? 4 : 1;
	}
	if (!gl_can_run(fd)) {
		printf("skip: %s has no KVM_CAP_USER_MEMORY\n", argv[1]);
		return 4;
	}
	gl_vm_create(&vm, fd);
	memcpy(gl_hva(&vm, GL_CODE_GPA), spinner, spinner_end - spinner);
	for (i = 0; i < n; i++) {
		gl_vcpu_create(&vm, &vcpus[i], i);
		gl_vcpu_setup(&vcpus[i], GL_MODE_LONG64, GL_CODE_GPA,
			      GL_STACK_GPA);
		gl_spin_if_quirk(&vcpus[i]);
		if (pthread_create(&th, NULL, spin, &vcpus[i]))
			return 1;
	}
	/* Let every vCPU get into the guest before saying so. */
	for (i = 0; i < n; i++)
		while (!__atomic_load_n(&entered[i], __ATOMIC_ACQUIRE))
			usleep(1000);
	usleep(50000);
	printf("running\n");
	fflush(stdout);
	for (;;)
		pause();
}
