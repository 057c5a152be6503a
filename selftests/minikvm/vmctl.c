// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl - a tiny tool for the shell selftests.
 *
 *   vmctl create DEV   create one VM on DEV and close it; exit 0, or the
 *                      errno of the failure (EBUSY = 16) with a message
 *   vmctl hold DEV     create one VM and keep it until killed; prints
 *                      "holding" once the VM exists
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

int main(int argc, char **argv)
{
	int fd, vm;

	if (argc != 3 || (strcmp(argv[1], "create") && strcmp(argv[1], "hold"))) {
		fprintf(stderr, "usage: vmctl create|hold DEVICE\n");
		return 2;
	}
	fd = open(argv[2], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vmctl: %s: %s\n", argv[2], strerror(errno));
		return errno;
	}
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fprintf(stderr, "vmctl: KVM_CREATE_VM on %s: %s\n", argv[2],
			strerror(errno));
		return errno;
	}
	if (!strcmp(argv[1], "hold")) {
		printf("holding\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	return 0;
}
