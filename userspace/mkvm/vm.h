/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm.h - the running VM: KVM file descriptors, guest memory, vCPUs, the list
 * of devices and how the VM comes to an end.
 */
#ifndef MKVM_VM_H
#define MKVM_VM_H

#include <pthread.h>
#include <linux/kvm.h>

#include "mkvm.h"

struct virtio_dev;
struct serial;

enum stop_reason {
	STOP_NONE,
	STOP_EXIT_STATUS,	/* guest init reported CMD's status */
	STOP_POWEROFF,		/* ACPI S5 */
	STOP_RESET,		/* i8042 / ACPI reset, triple fault */
	STOP_PANIC,		/* "Kernel panic" seen on the console */
	STOP_TIMEOUT,
	STOP_USER_QUIT,		/* Ctrl-A x */
	STOP_SIGNAL,		/* SIGTERM & co. to mkvm */
	STOP_ERROR,		/* KVM or internal error */
};

struct vcpu {
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	struct vm *vm;
};

struct vm {
	const char *dev_path;
	int sys_fd;
	int vm_fd;
	size_t run_size;

	struct guest_mem mem;
	uint8_t *ram;

	int ncpus;
	struct vcpu vcpus[MKVM_MAX_CPUS];
	struct kvm_cpuid2 *cpuid;

	struct serial *serial;
	int nvirtio;
	struct virtio_dev *virtio[MKVM_MAX_VIRTIO];

	/* Ending the VM: first reason wins, the I/O thread does the rest. */
	pthread_mutex_t stop_lock;
	enum stop_reason stop_reason;
	int stop_value;
	char stop_how[96];	/* how a reset/poweroff came, for the message */
	int stop_efd;		/* written when stop_reason is set */
	int panic_efd;		/* written when the console shows a panic */
	volatile int panicked;
	volatile int stopping;
};

/* vm.c */
int vm_open_dev(struct vm *vm, const char *path, char *err, size_t errlen);
int vm_create(struct vm *vm, uint64_t ram, int ncpus);
int vm_setup_bsp(struct vm *vm, uint64_t entry, uint64_t zero_page);
int vm_start_vcpus(struct vm *vm);
void vm_kick_and_join(struct vm *vm);
void vm_dump_vcpus(struct vm *vm);
void vm_request_stop(struct vm *vm, enum stop_reason why, int value);
int vm_irq_line(struct vm *vm, uint32_t gsi, int level);
int vm_irqfd(struct vm *vm, int efd, uint32_t gsi);
int vm_ioeventfd(struct vm *vm, int efd, uint64_t addr, uint32_t len,
		 uint64_t datamatch);

/* Port I/O handlers, called on vCPU threads. */
void serial_pio(struct serial *s, uint16_t off, uint8_t *data, bool write);
void i8042_pio(struct vm *vm, uint16_t port, uint8_t *data, uint32_t len,
	       bool write);
void ctl_pio(struct vm *vm, uint16_t port, uint8_t *data, uint32_t len,
	     bool write);

#endif
