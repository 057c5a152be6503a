// SPDX-License-Identifier: GPL-2.0
/*
 * hlt_shutdown_test - the two ways a guest stops without I/O: HLT and a
 * triple fault, in real mode, 32-bit protected mode and 64-bit long mode.
 *
 * Without an in-kernel irqchip, HLT exits to userspace as KVM_EXIT_HLT
 * with RIP past the HLT (one byte: the next KVM_RUN resumes after it) and
 * the vCPU still KVM_MP_STATE_RUNNABLE. An exception that cannot be
 * delivered (IDT limit 0) escalates to #DF and then to a triple fault,
 * which KVM reports as KVM_EXIT_SHUTDOWN; the host must survive it.
 *
 * Also: a guest that walks from real mode to 64-bit long mode on its own
 * (MOV to CR0/CR4/CR3, WRMSR EFER.LME, far jumps), then halts. On VMX the
 * CR0/CR4 writes exit and minikvm emulates them (EFER.LMA and "IA-32e mode
 * guest" follow CR0.PG); on SVM the CPU does it all in the guest.
 *
 * minikvm: skipped without KVM_CAP_USER_MEMORY; the MP_STATE check also
 * needs KVM_CAP_MP_STATE.
 */
#include "mkvm_test.h"
#include "guest_lib.h"

GL_DEV_FIXTURE();

#define HLT_BODY "mov $1, %ebx\n hlt\n mov $2, %ebx\n hlt\n"

GL_GUEST_ASM(hlt_real, 16, HLT_BODY);
GL_GUEST_ASM(hlt_prot32, 32, HLT_BODY);
GL_GUEST_ASM(hlt_long64, 64, HLT_BODY);

static void run_hlt(struct __test_metadata *_metadata,
		    FIXTURE_DATA(dev) *self, enum gl_mode mode,
		    const uint8_t *start, const uint8_t *end)
{
	struct kvm_mp_state mp = { .mp_state = 0xff };
	struct kvm_regs regs;

	gl_load_asm(&self->vcpu, mode, start, end);
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_HLT);
	gl_get_regs(&self->vcpu, &regs);
	EXPECT_EQ(1, regs.rbx);
	/* mov $1,%ebx is 5 bytes in 32/64-bit code, 6 in 16-bit (0x66). */
	EXPECT_EQ(GL_CODE_GPA + (mode == GL_MODE_REAL ? 7 : 6), regs.rip);
	if (gl_has_cap(self->fd, KVM_CAP_MP_STATE)) {
		ASSERT_EQ(0, ioctl(self->vcpu.fd, KVM_GET_MP_STATE, &mp));
		EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	}

	/* The next KVM_RUN continues after the HLT. */
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_HLT);
	gl_get_regs(&self->vcpu, &regs);
	EXPECT_EQ(2, regs.rbx);
	EXPECT_EQ(GL_CODE_GPA + (end - start), regs.rip);
}

TEST_F(dev, hlt_real_mode)
{
	run_hlt(_metadata, self, GL_MODE_REAL, hlt_real, hlt_real_end);
}

TEST_F(dev, hlt_prot32)
{
	run_hlt(_metadata, self, GL_MODE_PROT32, hlt_prot32, hlt_prot32_end);
}

TEST_F(dev, hlt_long64)
{
	run_hlt(_metadata, self, GL_MODE_LONG64, hlt_long64, hlt_long64_end);
}

/*
 * Real mode -> 32-bit protected mode -> long mode, as a boot loader does,
 * with the GDT and page tables guest_lib.c wrote (GL_*_GPA). The GDTR
 * pseudo-descriptor is at GL_DATA_GPA; far-jump targets are absolute, so
 * they are computed from the blob's load address GL_CODE_GPA.
 */
#define MODE_TARGET(l)	"(" GL_XSTR(GL_CODE_GPA) " + " #l " - mode_switch)"
GL_GUEST_ASM(mode_switch, 16,
	"cli\n"
	"lgdtl " GL_XSTR(GL_DATA_GPA) "\n"
	"mov %cr0, %eax\n"
	"or $1, %eax\n"			/* CR0.PE */
	"mov %eax, %cr0\n"
	"ljmpl $" GL_XSTR(GL_SEL_CODE32) ", $" MODE_TARGET(ms_32) "\n"
	".code32\n"
	"ms_32: mov $" GL_XSTR(GL_SEL_DATA) ", %ax\n"
	"mov %ax, %ds\n mov %ax, %es\n mov %ax, %ss\n"
	"mov %cr4, %eax\n"
	"or $0x20, %eax\n"			/* CR4.PAE */
	"mov %eax, %cr4\n"
	"mov $" GL_XSTR(GL_PML4_GPA) ", %eax\n"
	"mov %eax, %cr3\n"
	"mov $0xc0000080, %ecx\n"		/* EFER.LME */
	"rdmsr\n or $0x100, %eax\n wrmsr\n"
	"mov %cr0, %eax\n"
	"or $0x80000000, %eax\n"		/* CR0.PG: long mode is active */
	"mov %eax, %cr0\n"
	"ljmpl $" GL_XSTR(GL_SEL_CODE64) ", $" MODE_TARGET(ms_64) "\n"
	".code64\n"
	"ms_64: mov $0xc0000080, %ecx\n"
	"rdmsr\n"
	"out %eax, $0x71\n"			/* EFER as the guest sees it */
	"hlt\n");

TEST_F(dev, mode_switch_real_to_long64)
{
	struct kvm_sregs sregs;
	struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr = {
		6 * 8 - 1, GL_GDT_GPA,
	};

	memcpy(gl_hva(&self->vm, GL_DATA_GPA), &gdtr, sizeof(gdtr));
	gl_load_asm(&self->vcpu, GL_MODE_REAL, mode_switch, mode_switch_end);

	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_IO);
	EXPECT_EQ(0x71, self->vcpu.run->io.port);
	EXPECT_EQ(4, self->vcpu.run->io.size);
	/* LME | LMA: the CPU (or minikvm) activated long mode. */
	EXPECT_EQ(0x500, *(uint32_t *)gl_pio_data(&self->vcpu));
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_HLT);

	gl_get_sregs(&self->vcpu, &sregs);
	EXPECT_EQ(0x500, sregs.efer & 0x500);
	EXPECT_EQ(0x80000001, sregs.cr0 & 0x80000001);
	EXPECT_EQ(0x20, sregs.cr4 & 0x20);
	EXPECT_EQ(GL_PML4_GPA, sregs.cr3);
	EXPECT_EQ(1, sregs.cs.l);
	EXPECT_EQ(GL_SEL_CODE64, sregs.cs.selector);
}

/* #UD with an empty IDT: #GP, #DF, then the triple fault. */
#define TRIPLE_BODY "mov $0x5a, %al\n out %al, $0x70\n ud2\n hlt\n"

GL_GUEST_ASM(tf_real, 16, TRIPLE_BODY);
GL_GUEST_ASM(tf_prot32, 32, TRIPLE_BODY);
GL_GUEST_ASM(tf_long64, 64, TRIPLE_BODY);

static void run_triple(struct __test_metadata *_metadata,
		       FIXTURE_DATA(dev) *self, enum gl_mode mode,
		       const uint8_t *start, const uint8_t *end)
{
	struct kvm_sregs sregs;

	gl_load_asm(&self->vcpu, mode, start, end);
	gl_get_sregs(&self->vcpu, &sregs);
	sregs.idt.limit = 0;
	gl_set_sregs(&self->vcpu, &sregs);

	/* The guest really ran up to the fault. */
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_IO);
	EXPECT_EQ(0x70, self->vcpu.run->io.port);
	EXPECT_EQ(0x5a, *(uint8_t *)gl_pio_data(&self->vcpu));
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_SHUTDOWN);
}

TEST_F(dev, triple_fault_real_mode)
{
	run_triple(_metadata, self, GL_MODE_REAL, tf_real, tf_real_end);
}

TEST_F(dev, triple_fault_prot32)
{
	run_triple(_metadata, self, GL_MODE_PROT32, tf_prot32, tf_prot32_end);
}

TEST_F(dev, triple_fault_long64)
{
	run_triple(_metadata, self, GL_MODE_LONG64, tf_long64, tf_long64_end);
}

/* A page fault on an unmapped address with no IDT: also a shutdown. */
GL_GUEST_ASM(tf_pf64, 64, "mov $0x100000000000, %rax\n mov (%rax), %rbx\n hlt\n");

TEST_F(dev, triple_fault_page_fault)
{
	gl_load_asm(&self->vcpu, GL_MODE_LONG64, tf_pf64, tf_pf64_end);
	{
		struct kvm_sregs sregs;

		gl_get_sregs(&self->vcpu, &sregs);
		sregs.idt.limit = 0;
		gl_set_sregs(&self->vcpu, &sregs);
	}
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_SHUTDOWN);
}

/* The VM and the host survive: a fresh VM runs fine afterwards. */
TEST_F(dev, shutdown_then_new_vm)
{
	struct gl_vm vm2;
	struct gl_vcpu vcpu2;

	run_triple(_metadata, self, GL_MODE_LONG64, tf_long64, tf_long64_end);
	gl_vm_create(&vm2, self->fd);
	gl_vcpu_create(&vm2, &vcpu2, 0);
	gl_load_asm(&vcpu2, GL_MODE_LONG64, hlt_long64, hlt_long64_end);
	gl_expect_exit(_metadata, &vcpu2, KVM_EXIT_HLT);
	gl_vcpu_destroy(&vcpu2);
	gl_vm_destroy(&vm2);
}

TEST_HARNESS_MAIN
