// SPDX-License-Identifier: GPL-2.0
/*
 * multi_vm_test - several VMs with several vCPUs running at once, one
 * thread per vCPU, as a VMM runs them.
 *
 * Each guest counts to ROUNDS, reporting every step through PIO with a
 * value only its VM has in its memory; each thread checks it sees exactly
 * its own sequence (no exit, register or memory leaks between vCPUs or
 * VMs) while the others run on the other host CPU. Also: vCPUs of one VM
 * share its memory (one writes, the other reads).
 *
 * minikvm: skipped without KVM_CAP_USER_MEMORY or with fewer than two
 * vCPUs (KVM_CAP_MAX_VCPUS).
 */
#include <pthread.h>
#include "mkvm_test.h"
#include "guest_lib.h"

#define NVMS	3
#define NVCPUS	2
#define ROUNDS	200

GL_GUEST_ASM(counter, 64,
	     "xor %ebx, %ebx\n"
	     "1: inc %ebx\n"
	     "mov " GL_XSTR(GL_DATA_GPA) ", %eax\n"
	     "add %ebx, %eax\n"
	     "out %eax, $0x99\n"
	     "cmp $" GL_XSTR(ROUNDS) ", %ebx\n"
	     "jne 1b\n"
	     "hlt\n");

struct worker {
	struct gl_vcpu vcpu;
	uint32_t base;
	int errors;
	char msg[128];
};

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	struct kvm_run *run = w->vcpu.run;
	int i;

	for (i = 1; i <= ROUNDS + 1; i++) {
		int r = gl_run(&w->vcpu);
		uint32_t want = w->base + i, got;

		if (r) {
			snprintf(w->msg, sizeof(w->msg), "KVM_RUN %d", r);
			w->errors++;
			return NULL;
		}
		if (i == ROUNDS + 1) {
			if (run->exit_reason != KVM_EXIT_HLT) {
				snprintf(w->msg, sizeof(w->msg),
					 "last exit %u", run->exit_reason);
				w->errors++;
			}
			return NULL;
		}
		got = run->exit_reason == KVM_EXIT_IO ?
		      *(uint32_t *)gl_pio_data(&w->vcpu) : 0;
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x99 ||
		    got != want) {
			snprintf(w->msg, sizeof(w->msg),
				 "step %d: exit %u port %#x value %#x, want %#x",
				 i, run->exit_reason, run->io.port, got, want);
			w->errors++;
			return NULL;
		}
	}
	return NULL;
}

FIXTURE(dev) {
	int fd;
};

MKVM_DEV_VARIANTS(dev);

FIXTURE_SETUP(dev)
{
	self->fd = mkvm_open_dev(_metadata, variant->path);
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_MEMORY),
		   GL_CAP(KVM_CAP_MAX_VCPUS));
	if (mkvm_ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS) <
	    NVCPUS)
		MKVM_SKIP("%s: fewer than %d vCPUs", variant->path, NVCPUS);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F_TIMEOUT(dev, vms_and_vcpus_at_once, 60)
{
	static struct gl_vm vms[NVMS];
	static struct worker w[NVMS * NVCPUS];
	pthread_t th[NVMS * NVCPUS];
	int v, c, i;

	for (v = 0; v < NVMS; v++) {
		gl_vm_create(&vms[v], self->fd);
		*(uint32_t *)gl_hva(&vms[v], GL_DATA_GPA) = (v + 1) << 24;
		memcpy(gl_hva(&vms[v], GL_CODE_GPA), counter,
		       counter_end - counter);
		for (c = 0; c < NVCPUS; c++) {
			struct worker *x = &w[v * NVCPUS + c];

			gl_vcpu_create(&vms[v], &x->vcpu, c);
			gl_vcpu_setup(&x->vcpu, GL_MODE_LONG64, GL_CODE_GPA,
				      GL_STACK_GPA - 0x100 * c);
			x->base = (v + 1) << 24;
		}
	}
	for (i = 0; i < NVMS * NVCPUS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, run_worker, &w[i]));
	for (i = 0; i < NVMS * NVCPUS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, w[i].errors) TH_LOG("VM %d vCPU %d: %s",
						 i / NVCPUS, i % NVCPUS,
						 w[i].msg);
	}
	for (i = 0; i < NVMS * NVCPUS; i++)
		gl_vcpu_destroy(&w[i].vcpu);
	for (v = 0; v < NVMS; v++)
		gl_vm_destroy(&vms[v]);
}

/* vCPU 1 stores, vCPU 0 then loads: one VM, one memory. */
GL_GUEST_ASM(store, 64, "movl $0xc0ffee, " GL_XSTR(GL_DATA_GPA) "+0x40\n hlt\n");
GL_GUEST_ASM(load, 64, "mov " GL_XSTR(GL_DATA_GPA) "+0x40, %eax\n hlt\n");

TEST_F(dev, vcpus_share_memory)
{
	struct gl_vm vm;
	struct gl_vcpu a, b;
	struct kvm_regs regs;

	gl_vm_create(&vm, self->fd);
	gl_vcpu_create(&vm, &a, 0);
	gl_vcpu_create(&vm, &b, 1);
	memcpy(gl_hva(&vm, GL_CODE_GPA), store, store_end - store);
	memcpy(gl_hva(&vm, GL_CODE_GPA + 0x100), load, load_end - load);
	gl_vcpu_setup(&b, GL_MODE_LONG64, GL_CODE_GPA, GL_STACK_GPA);
	gl_vcpu_setup(&a, GL_MODE_LONG64, GL_CODE_GPA + 0x100, GL_STACK_GPA);
	gl_expect_exit(_metadata, &b, KVM_EXIT_HLT);
	gl_expect_exit(_metadata, &a, KVM_EXIT_HLT);
	gl_get_regs(&a, &regs);
	EXPECT_EQ(0xc0ffee, regs.rax);
	EXPECT_EQ(0xc0ffee, *(uint32_t *)gl_hva(&vm, GL_DATA_GPA + 0x40));
	gl_vcpu_destroy(&a);
	gl_vcpu_destroy(&b);
	gl_vm_destroy(&vm);
}

TEST_HARNESS_MAIN
