// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench - the cost of one VM exit round trip, and of a VM's life, on
 * /dev/kvm and /dev/minikvm measured in the same boot, interleaved.
 *
 * Metrics (each the median of ROUNDS rounds, the two devices alternating
 * round by round so that drift in the emulator hits both alike):
 *   cpuid_kernel   ns per CPUID exit handled in the kernel (a guest loop
 *                  of BATCH CPUIDs between two exits to userspace)
 *   pio_user       ns per KVM_RUN that ends in KVM_EXIT_IO (guest OUT)
 *   mmio_user      ns per KVM_RUN that ends in KVM_EXIT_MMIO
 *   ioeventfd      ns per guest OUT completed in the kernel by an
 *                  ioeventfd (needs KVM_CAP_IOEVENTFD; "-" otherwise)
 *   vm_lifecycle   ns per VM create + 1 memslot + 1 vCPU + destroy, with
 *                  one other VM of the same device kept open meanwhile, so
 *                  that neither switches the hardware on and off each time
 *
 * Only one hypervisor can own SVM/VMX at a time: every measurement closes
 * all of its VMs before the other device's turn (Linux 6.1's KVM turns the
 * hardware off with its last VM; 6.12's keeps it while loaded, so run this
 * on 6.1 or with kvm.enable_virt_at_load=0).
 *
 * Output: one line per metric, "BENCH <metric> <kvm ns> <minikvm ns>
 * <minikvm/kvm>", then a table. Lower is better; the target for
 * the exit ratios is <= 0.8. A device that is missing or cannot run guests
 * prints "-". Timings in an emulator are only comparable within one boot.
 *
 * usage: exit_bench [ROUNDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>
#include "guest_lib.h"

#define BATCH		2000	/* in-kernel exits per userspace exit */
#define USER_ITERS	2000	/* exits to userspace per round */
#define LIFE_ITERS	50	/* VM lifecycles per round */
#define MMIO_GPA	0xd0000000ULL
#define PORT_USER	0x11
#define PORT_EVENT	0x12
#define PORT_DONE	0x10

/* r9 = batch size; BATCH CPUIDs, then an OUT to userspace, forever. */
GL_GUEST_ASM(b_cpuid, 64,
	"2: mov %r9, %r8\n"
	"1: xor %eax, %eax\n xor %ecx, %ecx\n cpuid\n dec %r8\n jnz 1b\n"
	"out %al, $0x10\n jmp 2b\n");
GL_GUEST_ASM(b_pio, 64, "1: out %al, $0x11\n jmp 1b\n");
/* rbx = an address outside every memslot. */
GL_GUEST_ASM(b_mmio, 64, "1: mov %al, (%rbx)\n jmp 1b\n");
GL_GUEST_ASM(b_event, 64,
	"2: mov %r9, %r8\n"
	"1: out %al, $0x12\n dec %r8\n jnz 1b\n"
	"out %al, $0x10\n jmp 2b\n");

static const char *const devs[2] = { "/dev/kvm", "/dev/minikvm" };

enum metric { M_CPUID, M_PIO, M_MMIO, M_EVENT, M_LIFE, M_NR };
static const char *const names[M_NR] = {
	"cpuid_kernel", "pio_user", "mmio_user", "ioeventfd", "vm_lifecycle",
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "exit_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct guest {
	struct gl_vm vm;
	struct gl_vcpu vcpu;
	int evfd;
};

static void guest_start(struct guest *g, int fd, const uint8_t *start,
			const uint8_t *end)
{
	struct kvm_regs regs;

	gl_vm_create(&g->vm, fd);
	gl_vcpu_create(&g->vm, &g->vcpu, 0);
	gl_load_asm(&g->vcpu, GL_MODE_LONG64, start, end);
	gl_get_regs(&g->vcpu, &regs);
	regs.r9 = BATCH;
	regs.rbx = MMIO_GPA;
	gl_set_regs(&g->vcpu, &regs);
	g->evfd = -1;
}

static void guest_stop(struct guest *g)
{
	if (g->evfd >= 0)
		close(g->evfd);
	gl_vcpu_destroy(&g->vcpu);
	gl_vm_destroy(&g->vm);
}

/* Run until an exit to userspace of @reason; die on anything else. */
static void run_expect(struct guest *g, uint32_t reason)
{
	if (gl_run(&g->vcpu) || g->vcpu.run->exit_reason != reason) {
		fprintf(stderr, "exit_bench: unexpected exit %s\n",
			gl_exit_name(g->vcpu.run->exit_reason));
		exit(1);
	}
}

static int add_ioeventfd(struct guest *g)
{
	struct kvm_ioeventfd io = {
		.addr = PORT_EVENT, .len = 1, .flags = KVM_IOEVENTFD_FLAG_PIO,
	};

	g->evfd = eventfd(0, EFD_NONBLOCK);
	if (g->evfd < 0)
		die("eventfd");
	io.fd = g->evfd;
	return ioctl(g->vm.fd, KVM_IOEVENTFD, &io);
}

/* One round of metric @m on device fd @fd: ns per event, or -1. */
static double measure(int fd, enum metric m)
{
	static const struct {
		const uint8_t *start, *end;
	} blobs[] = {
		[M_CPUID] = { b_cpuid, b_cpuid_end },
		[M_PIO] = { b_pio, b_pio_end },
		[M_MMIO] = { b_mmio, b_mmio_end },
		[M_EVENT] = { b_event, b_event_end },
	};
	struct guest g;
	double t0, t;
	int i;

	if (m == M_LIFE) {
		static void *mem;
		struct kvm_userspace_memory_region slot = {
			.memory_size = 0x10000,
		};
		int vm, vcpu, keeper;

		if (!mem) {
			mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (mem == MAP_FAILED)
				die("mmap");
		}
		slot.userspace_addr = (uintptr_t)mem;
		keeper = ioctl(fd, KVM_CREATE_VM, 0);
		if (keeper < 0)
			die("KVM_CREATE_VM (keeper)");
		/* Raw ioctls: only the hypervisor's work is timed. */
		t0 = now_ns();
		for (i = 0; i < LIFE_ITERS; i++) {
			vm = ioctl(fd, KVM_CREATE_VM, 0);
			if (vm < 0)
				die("KVM_CREATE_VM");
			if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot))
				die("KVM_SET_USER_MEMORY_REGION");
			vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
			if (vcpu < 0)
				die("KVM_CREATE_VCPU");
			close(vcpu);
			close(vm);
		}
		t = (now_ns() - t0) / LIFE_ITERS;
		close(keeper);
		return t;
	}

	guest_start(&g, fd, blobs[m].start, blobs[m].end);
	if (m == M_EVENT && add_ioeventfd(&g)) {
		guest_stop(&g);
		return -1;
	}
	switch (m) {
	case M_CPUID:
	case M_EVENT:
		run_expect(&g, KVM_EXIT_IO);		/* warm up: map pages */
		t0 = now_ns();
		for (i = 0; i < USER_ITERS / 100; i++)
			run_expect(&g, KVM_EXIT_IO);
		t = (now_ns() - t0) / (USER_ITERS / 100 * (double)BATCH);
		break;
	default:
		run_expect(&g, m == M_PIO ? KVM_EXIT_IO : KVM_EXIT_MMIO);
		t0 = now_ns();
		for (i = 0; i < USER_ITERS; i++)
			run_expect(&g, m == M_PIO ? KVM_EXIT_IO : KVM_EXIT_MMIO);
		t = (now_ns() - t0) / USER_ITERS;
		break;
	}
	guest_stop(&g);
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
	double res[M_NR][2][64], med[M_NR][2];
	int fds[2], ok[2], d, r;
	enum metric m;

	if (rounds < 1 || rounds > 64) {
		fprintf(stderr, "usage: exit_bench [ROUNDS (1-64)]\n");
		return 2;
	}
	for (d = 0; d < 2; d++) {
		fds[d] = open(devs[d], O_RDWR);
		ok[d] = fds[d] >= 0 && gl_can_run(fds[d]);
		if (!ok[d])
			printf("# %s: not available or cannot run guests\n",
			       devs[d]);
	}
	for (m = 0; m < M_NR; m++) {
		for (r = 0; r < rounds; r++)
			for (d = 0; d < 2; d++)
				res[m][d][r] = ok[d] ? measure(fds[d], m) : -1;
		for (d = 0; d < 2; d++) {
			qsort(res[m][d], rounds, sizeof(double), cmp_double);
			med[m][d] = res[m][d][rounds / 2];
		}
	}
	printf("%-14s %12s %12s %8s\n", "metric (ns)", "kvm", "minikvm",
	       "ratio");
	for (m = 0; m < M_NR; m++) {
		char k[32] = "-", mk[32] = "-", ra[32] = "-";

		if (med[m][0] > 0)
			snprintf(k, sizeof(k), "%.0f", med[m][0]);
		if (med[m][1] > 0)
			snprintf(mk, sizeof(mk), "%.0f", med[m][1]);
		if (med[m][0] > 0 && med[m][1] > 0)
			snprintf(ra, sizeof(ra), "%.3f", med[m][1] / med[m][0]);
		printf("BENCH %s %s %s %s\n", names[m], k, mk, ra);
		printf("%-14s %12s %12s %8s\n", names[m], k, mk, ra);
	}
	for (d = 0; d < 2; d++)
		if (fds[d] >= 0)
			close(fds[d]);
	return 0;
}
