// SPDX-License-Identifier: GPL-2.0
/*
 * irq_bench - the latency of an interrupt delivered through an irqfd, on
 * /dev/kvm and /dev/minikvm measured in the same boot, interleaved.
 *
 * Metric (median of ROUNDS rounds, devices alternating round by round):
 *   irqfd_rtt   ns from a host write to an irqfd (GSI routed as an MSI to
 *               vector 0x40 of vCPU 0, which sleeps in HLT) until the
 *               guest's handler has run and signalled back through an
 *               ioeventfd (OUT to port 0x12) that the host thread blocks
 *               on. No exit to userspace on the way: the vCPU is woken
 *               from HLT in the kernel, the interrupt injected, the EOI and
 *               the OUT handled in the kernel. One round trip per event.
 *
 * Output like exit_bench: "BENCH irqfd_rtt <kvm ns> <minikvm ns> <ratio>".
 * A device without KVM_CAP_IRQCHIP/IRQFD/IOEVENTFD prints "-".
 *
 * usage: irq_bench [ROUNDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "guest_lib.h"

#define EVENTS		500	/* round trips per round */
#define VECTOR		0x40
#define GSI		30
#define PORT_ACK	0x12

static const char *const devs[2] = { "/dev/kvm", "/dev/minikvm" };

uint64_t stop;

/* EOI (xAPIC MMIO, in the kernel), then tell the host (ioeventfd). */
asm(".pushsection .text\n"
    "ack_handler:\n"
    "push %rax\n"
    "mov $0xfee000b0, %eax\n"
    "movl $0, (%rax)\n"
    "out %al, $0x12\n"
    "pop %rax\n"
    "iretq\n"
    ".popsection\n");
extern const uint8_t ack_handler[];

static void GUEST_CODE guest_main(uint64_t arg)
{
	/* Software-enable the APIC; mask LINT0 (KVM's reset value is ExtINT). */
	*(volatile uint32_t *)0xfee000f0UL = 0x1ff;
	*(volatile uint32_t *)0xfee00350UL = 1 << 16;
	GUEST_SYNC(0, 0, 0);
	while (!stop)
		asm volatile("sti; hlt; cli" ::: "memory");
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "irq_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void on_usr1(int sig)
{
}

static void *vcpu_fn(void *arg)
{
	struct gl_vcpu *vcpu = arg;
	struct gl_ucall uc;

	/* Runs until the main thread interrupts KVM_RUN with SIGUSR1. */
	while (gl_run_ucall(vcpu, &uc) == GL_UCALL_SYNC)
		;
	return NULL;
}

static bool can_irq(int fd)
{
	return gl_can_run(fd) && gl_has_cap(fd, KVM_CAP_IRQCHIP) &&
	       gl_has_cap(fd, KVM_CAP_IRQFD) && gl_has_cap(fd, KVM_CAP_IOEVENTFD) &&
	       gl_has_cap(fd, KVM_CAP_IRQ_ROUTING);
}

/* One round on device fd @fd: ns per round trip. */
static double measure(int fd)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt = { .r.nr = 1 };
	struct kvm_ioeventfd io = {
		.addr = PORT_ACK, .len = 1, .flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	struct kvm_irqfd irq = { .gsi = GSI };
	struct gl_vcpu vcpu;
	struct gl_ucall uc;
	struct gl_vm vm;
	uint64_t one = 1, v;
	pthread_t tid;
	double t0, t;
	int i, efd_irq, efd_ack;

	gl_vm_create(&vm, fd);
	if (ioctl(vm.fd, KVM_CREATE_IRQCHIP, 0))
		die("KVM_CREATE_IRQCHIP");
	gl_vcpu_create(&vm, &vcpu, 0);
	gl_vcpu_setup_c(&vcpu, guest_main, 0);
	gl_idt_set(&vcpu, VECTOR, ack_handler);

	rt.e[0].gsi = GSI;
	rt.e[0].type = KVM_IRQ_ROUTING_MSI;
	rt.e[0].u.msi.address_lo = 0xfee00000;	/* APIC 0, physical */
	rt.e[0].u.msi.data = VECTOR;		/* fixed, edge */
	if (ioctl(vm.fd, KVM_SET_GSI_ROUTING, &rt))
		die("KVM_SET_GSI_ROUTING");
	efd_irq = eventfd(0, 0);
	efd_ack = eventfd(0, 0);
	if (efd_irq < 0 || efd_ack < 0)
		die("eventfd");
	irq.fd = efd_irq;
	io.fd = efd_ack;
	if (ioctl(vm.fd, KVM_IRQFD, &irq))
		die("KVM_IRQFD");
	if (ioctl(vm.fd, KVM_IOEVENTFD, &io))
		die("KVM_IOEVENTFD");

	if (gl_run_ucall(&vcpu, &uc) != GL_UCALL_SYNC) {
		fprintf(stderr, "irq_bench: guest did not start (%s)\n",
			gl_exit_name(vcpu.run->exit_reason));
		exit(1);
	}
	pthread_create(&tid, NULL, vcpu_fn, &vcpu);
	/* Warm up: the first events map the handler and IDT pages. */
	for (i = 0; i < 10; i++) {
		if (write(efd_irq, &one, 8) != 8 || read(efd_ack, &v, 8) != 8)
			die("warm-up");
	}
	t0 = now_ns();
	for (i = 0; i < EVENTS; i++) {
		if (write(efd_irq, &one, 8) != 8)
			die("write irqfd");
		if (read(efd_ack, &v, 8) != 8)
			die("read ioeventfd");
	}
	t = (now_ns() - t0) / EVENTS;

	*(volatile uint64_t *)gl_hva(&vm, (uintptr_t)&stop) = 1;
	do {
		pthread_kill(tid, SIGUSR1);
		usleep(1000);
	} while (pthread_tryjoin_np(tid, NULL) == EBUSY);
	close(efd_irq);
	close(efd_ack);
	gl_vcpu_destroy(&vcpu);
	gl_vm_destroy(&vm);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 7;
	double res[2][64], med[2] = { -1, -1 };
	char k[32] = "-", mk[32] = "-", ra[32] = "-";
	int fds[2], ok[2], d, r;

	if (rounds < 1 || rounds > 64) {
		fprintf(stderr, "usage: irq_bench [ROUNDS (1-64)]\n");
		return 2;
	}
	signal(SIGUSR1, on_usr1);
	for (d = 0; d < 2; d++) {
		fds[d] = open(devs[d], O_RDWR);
		ok[d] = fds[d] >= 0 && can_irq(fds[d]);
		if (!ok[d])
			printf("# %s: not available or no in-kernel irqchip\n",
			       devs[d]);
	}
	for (r = 0; r < rounds; r++)
		for (d = 0; d < 2; d++)
			res[d][r] = ok[d] ? measure(fds[d]) : -1;
	for (d = 0; d < 2; d++) {
		qsort(res[d], rounds, sizeof(double), cmp_double);
		med[d] = res[d][rounds / 2];
	}
	if (med[0] > 0)
		snprintf(k, sizeof(k), "%.0f", med[0]);
	if (med[1] > 0)
		snprintf(mk, sizeof(mk), "%.0f", med[1]);
	if (med[0] > 0 && med[1] > 0)
		snprintf(ra, sizeof(ra), "%.3f", med[1] / med[0]);
	printf("BENCH irqfd_rtt %s %s %s\n", k, mk, ra);
	for (d = 0; d < 2; d++)
		if (fds[d] >= 0)
			close(fds[d]);
	return 0;
}
