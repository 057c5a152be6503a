// SPDX-License-Identifier: GPL-2.0
/*
 * guest_lib.c - VMs, vCPUs and guest CPU modes for the guest-execution
 * selftests (see guest_lib.h for the memory layout and the two kinds of
 * guest code). Everything is set up the way a VMM does it, through the
 * KVM ioctls, so the same code drives /dev/kvm and /dev/minikvm.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "guest_lib.h"

#define SZ_2M		(2UL << 20)
#define CR0_PE		(1UL << 0)
#define CR0_MP		(1UL << 1)
#define CR0_ET		(1UL << 4)
#define CR0_NE		(1UL << 5)
#define CR0_WP		(1UL << 16)
#define CR0_AM		(1UL << 18)
#define CR0_PG		(1UL << 31)
#define CR4_PAE		(1UL << 5)
#define CR4_OSFXSR	(1UL << 9)
#define CR4_OSXMMEXCPT	(1UL << 10)
#define EFER_LME	(1UL << 8)
#define EFER_LMA	(1UL << 10)

static void __attribute__((noreturn, format(printf, 1, 2)))
gl_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# guest_lib: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

static long gl_ioctl(int fd, unsigned long req, void *arg)
{
	long r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

bool gl_has_cap(int kvm_fd, long cap)
{
	return ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

/* ---- guest memory: a copy of this executable at its link address ---- */

extern char _end[];

static int copy_segment(struct dl_phdr_info *info, size_t size, void *data)
{
	struct gl_vm *vm = data;
	int i;

	/* The first object is the executable itself (static: the only one). */
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (start + ph->p_memsz > vm->mem_size)
			gl_die("segment %#lx+%#lx beyond guest memory",
			       (unsigned long)start,
			       (unsigned long)ph->p_memsz);
		memcpy(vm->mem + start, (void *)start, ph->p_memsz);
	}
	return 1;
}

static void write_tables(struct gl_vm *vm)
{
	uint64_t *gdt = gl_hva(vm, GL_GDT_GPA);
	uint64_t *pml4 = gl_hva(vm, GL_PML4_GPA);
	uint64_t *pdpt = gl_hva(vm, GL_PDPT_GPA);
	uint64_t *pd = gl_hva(vm, GL_PD_GPA);
	uint64_t tss = GL_TSS_GPA;
	int i;

	gdt[0] = 0;
	gdt[GL_SEL_CODE64 / 8] = 0x00af9b000000ffffULL;
	gdt[GL_SEL_DATA / 8] = 0x00cf93000000ffffULL;
	gdt[GL_SEL_CODE32 / 8] = 0x00cf9b000000ffffULL;
	/* 64-bit busy TSS, 16 bytes. */
	gdt[GL_SEL_TSS / 8] = 0x67 | (tss & 0xffffff) << 16 | 0x8bULL << 40 |
			      ((tss >> 24) & 0xff) << 56;
	gdt[GL_SEL_TSS / 8 + 1] = tss >> 32;

	pml4[0] = GL_PDPT_GPA | 3;
	for (i = 0; i < 4; i++)
		pdpt[i] = (GL_PD_GPA + i * 0x1000) | 3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = (uint64_t)i * SZ_2M | 0x83;	/* P, RW, PS */
}

/* IDT handlers for vectors 0-31, each 16 bytes apart (64-bit guests). */
asm(".pushsection .text\n"
    ".align 16\n"
    "gl_exc_stubs:\n"
    ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    ".align 16\n"
    ".if (\\n == 8) || ((\\n >= 10) && (\\n <= 14)) || (\\n == 17) || (\\n == 21) || (\\n == 29) || (\\n == 30)\n"
    ".else\n"
    "pushq $0\n"
    ".endif\n"
    "pushq $\\n\n"
    "jmp gl_exc_common\n"
    ".endr\n"
    /* Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS. */
    "gl_exc_common:\n"
    "test %r10, %r10\n"
    "jz 1f\n"
    "mov (%rsp), %r11\n"
    "mov %r10, 16(%rsp)\n"
    "add $16, %rsp\n"
    "iretq\n"
    "1: mov $" GL_XSTR(GL_UCALL_UNHANDLED) ", %edi\n"
    "mov (%rsp), %rsi\n"
    "mov 16(%rsp), %rdx\n"
    "mov 8(%rsp), %rcx\n"
    "out %al, $" GL_XSTR(GL_UCALL_PORT) "\n"
    "2: hlt\n"
    "jmp 2b\n"
    /* The C guests' entry: fn in %rdi, its argument in %rsi. */
    "gl_guest_entry64:\n"
    "mov %rdi, %rax\n"
    "mov %rsi, %rdi\n"
    "call *%rax\n"
    "mov $" GL_XSTR(GL_UCALL_DONE) ", %edi\n"
    "out %al, $" GL_XSTR(GL_UCALL_PORT) "\n"
    "3: hlt\n"
    "jmp 3b\n"
    ".popsection\n");
extern const uint8_t gl_exc_stubs[], gl_guest_entry64[];

static void write_idt(struct gl_vm *vm)
{
	uint64_t *idt = gl_hva(vm, GL_IDT_GPA);
	int v;

	for (v = 0; v < 32; v++) {
		uint64_t h = (uint64_t)gl_exc_stubs + 16 * v;

		/* Present, DPL 0, 64-bit interrupt gate, IST 0. */
		idt[2 * v] = (h & 0xffff) | (uint64_t)GL_SEL_CODE64 << 16 |
			     0x8eULL << 40 | ((h >> 16) & 0xffff) << 48;
		idt[2 * v + 1] = h >> 32;
	}
}

void gl_idt_set(struct gl_vcpu *vcpu, int vector, const void *handler)
{
	uint64_t *idt = gl_hva(vcpu->vm, GL_IDT_GPA);
	uint64_t h = (uint64_t)handler;
	struct kvm_sregs sregs;

	idt[2 * vector] = (h & 0xffff) | (uint64_t)GL_SEL_CODE64 << 16 |
			  0x8eULL << 40 | ((h >> 16) & 0xffff) << 48;
	idt[2 * vector + 1] = h >> 32;
	gl_get_sregs(vcpu, &sregs);
	sregs.idt.limit = 256 * 16 - 1;	/* the whole IDT page */
	gl_set_sregs(vcpu, &sregs);
}

void gl_vm_create(struct gl_vm *vm, int kvm_fd)
{
	struct kvm_userspace_memory_region region = { 0 };
	long r;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = kvm_fd;
	vm->fd = gl_ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		gl_die("KVM_CREATE_VM: %s", strerror(-vm->fd));
	vm->run_size = gl_ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (vm->run_size < 2 * 4096)
		gl_die("KVM_GET_VCPU_MMAP_SIZE: %ld", vm->run_size);

	vm->mem_size = ((uintptr_t)_end + SZ_2M - 1) & ~(SZ_2M - 1);
	if (vm->mem_size < 2 * GL_CSTACK_GPA)
		vm->mem_size = 2 * GL_CSTACK_GPA;
	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		gl_die("mmap guest memory: %s", strerror(errno));
	dl_iterate_phdr(copy_segment, vm);
	write_tables(vm);
	write_idt(vm);

	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = vm->mem_size;
	region.userspace_addr = (uintptr_t)vm->mem;
	r = gl_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region);
	if (r)
		gl_die("KVM_SET_USER_MEMORY_REGION slot 0: %s", strerror(-r));
}

void gl_vm_destroy(struct gl_vm *vm)
{
	if (vm->fd > 0)
		close(vm->fd);
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	vm->fd = -1;
	vm->mem = NULL;
}

void *gl_hva(struct gl_vm *vm, uint64_t gpa)
{
	if (gpa >= vm->mem_size)
		gl_die("GPA %#lx is not in slot 0", (unsigned long)gpa);
	return vm->mem + gpa;
}

void *gl_add_slot(struct gl_vm *vm, uint32_t slot, uint64_t gpa,
		  size_t size, uint32_t flags)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
	};
	void *mem;
	long r;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		gl_die("mmap slot %u: %s", slot, strerror(errno));
	region.userspace_addr = (uintptr_t)mem;
	r = gl_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region);
	if (r)
		gl_die("KVM_SET_USER_MEMORY_REGION slot %u: %s", slot,
		       strerror(-r));
	return mem;
}

/* ---- vCPUs ---- */

void gl_vcpu_create(struct gl_vm *vm, struct gl_vcpu *vcpu, int id)
{
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = gl_ioctl(vm->fd, KVM_CREATE_VCPU, (void *)(long)id);
	if (vcpu->fd < 0)
		gl_die("KVM_CREATE_VCPU %d: %s", id, strerror(-vcpu->fd));
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED)
		gl_die("mmap kvm_run: %s", strerror(errno));
	/*
	 * Like KVM's own selftests, start from the supported CPUID: since
	 * 6.12 KVM validates KVM_SET_SREGS (EFER.LME, CR4 bits) against the
	 * vCPU's CPUID, so a vCPU without one cannot enter long mode. Tests
	 * that need a particular table install their own afterwards.
	 */
	gl_set_supported_cpuid(vcpu);
}

void gl_vcpu_destroy(struct gl_vcpu *vcpu)
{
	munmap(vcpu->run, vcpu->vm->run_size);
	close(vcpu->fd);
}

void gl_get_regs(struct gl_vcpu *vcpu, struct kvm_regs *regs)
{
	long r = gl_ioctl(vcpu->fd, KVM_GET_REGS, regs);

	if (r)
		gl_die("KVM_GET_REGS: %s", strerror(-r));
}

void gl_set_regs(struct gl_vcpu *vcpu, struct kvm_regs *regs)
{
	long r = gl_ioctl(vcpu->fd, KVM_SET_REGS, regs);

	if (r)
		gl_die("KVM_SET_REGS: %s", strerror(-r));
}

void gl_get_sregs(struct gl_vcpu *vcpu, struct kvm_sregs *sregs)
{
	long r = gl_ioctl(vcpu->fd, KVM_GET_SREGS, sregs);

	if (r)
		gl_die("KVM_GET_SREGS: %s", strerror(-r));
}

void gl_set_sregs(struct gl_vcpu *vcpu, struct kvm_sregs *sregs)
{
	long r = gl_ioctl(vcpu->fd, KVM_SET_SREGS, sregs);

	if (r)
		gl_die("KVM_SET_SREGS: %s", strerror(-r));
}

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
		     bool l, bool db)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = db;
	s->s = 1;
	s->l = l;
	s->g = 1;
}

void gl_vcpu_setup(struct gl_vcpu *vcpu, enum gl_mode mode,
		   uint64_t rip, uint64_t rsp)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	gl_get_sregs(vcpu, &sregs);
	if (mode == GL_MODE_REAL) {
		/* Like the reset state, with CS based at 0 not FFFF0000. */
		struct kvm_segment *segs[] = { &sregs.cs, &sregs.ds, &sregs.es,
					       &sregs.fs, &sregs.gs, &sregs.ss };
		unsigned int i;

		for (i = 0; i < 6; i++) {
			memset(segs[i], 0, sizeof(*segs[i]));
			segs[i]->limit = 0xffff;
			segs[i]->type = i ? 3 : 11;
			segs[i]->present = 1;
			segs[i]->s = 1;
		}
		sregs.cr0 &= ~(CR0_PE | CR0_PG);
		sregs.cr4 = 0;
		sregs.efer = 0;
		sregs.idt.base = 0;
		sregs.idt.limit = 0x3ff;
	} else {
		sregs.gdt.base = GL_GDT_GPA;
		sregs.gdt.limit = 6 * 8 - 1;
		sregs.idt.base = GL_IDT_GPA;
		sregs.idt.limit = 32 * 16 - 1;
		flat_seg(&sregs.ds, GL_SEL_DATA, 3, false, true);
		sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
		memset(&sregs.tr, 0, sizeof(sregs.tr));
		sregs.tr.base = GL_TSS_GPA;
		sregs.tr.limit = 0x67;
		sregs.tr.selector = GL_SEL_TSS;
		sregs.tr.type = 11;
		sregs.tr.present = 1;
		memset(&sregs.ldt, 0, sizeof(sregs.ldt));
		sregs.ldt.type = 2;
		sregs.ldt.present = 1;
		sregs.ldt.limit = 0xffff;
		if (mode == GL_MODE_PROT32) {
			flat_seg(&sregs.cs, GL_SEL_CODE32, 11, false, true);
			sregs.cr0 = CR0_PE | CR0_ET | CR0_NE;
			sregs.cr4 = 0;
			sregs.efer = 0;
			/* No IDT in 32-bit guests: a fault triple-faults. */
			sregs.idt.limit = 0;
		} else {
			flat_seg(&sregs.cs, GL_SEL_CODE64, 11, true, false);
			sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP |
				    CR0_AM | CR0_PG;
			sregs.cr3 = GL_PML4_GPA;
			sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
			sregs.efer = EFER_LME | EFER_LMA;
		}
	}
	gl_set_sregs(vcpu, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = 2;
	gl_set_regs(vcpu, &regs);
}

void gl_spin_if_quirk(struct gl_vcpu *vcpu)
{
	const char *v = getenv("MKVM_GUEST_SPIN_IF");
	struct kvm_regs regs;

	if (!v || strcmp(v, "1"))
		return;
	gl_get_regs(vcpu, &regs);
	regs.rflags |= 0x200;
	gl_set_regs(vcpu, &regs);
}

void gl_load_asm(struct gl_vcpu *vcpu, enum gl_mode mode,
		 const uint8_t *start, const uint8_t *end)
{
	if (end - start > GL_STACK_GPA - 0x400 - GL_CODE_GPA)
		gl_die("guest blob too big (%ld bytes)", (long)(end - start));
	memcpy(gl_hva(vcpu->vm, GL_CODE_GPA), start, end - start);
	gl_vcpu_setup(vcpu, mode, GL_CODE_GPA, GL_STACK_GPA);
}

void gl_vcpu_setup_c(struct gl_vcpu *vcpu, void (*fn)(uint64_t),
		     uint64_t arg)
{
	struct kvm_regs regs;

	gl_vcpu_setup(vcpu, GL_MODE_LONG64, (uintptr_t)gl_guest_entry64,
		      GL_CSTACK_GPA);
	gl_get_regs(vcpu, &regs);
	regs.rdi = (uintptr_t)fn;
	regs.rsi = arg;
	gl_set_regs(vcpu, &regs);
}

struct kvm_cpuid2 *gl_supported_cpuid(int kvm_fd)
{
	int nent = 256;
	struct kvm_cpuid2 *cpuid;

	cpuid = calloc(1, sizeof(*cpuid) +
		       nent * sizeof(struct kvm_cpuid_entry2));
	if (!cpuid)
		gl_die("calloc");
	cpuid->nent = nent;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid)) {
		free(cpuid);
		return NULL;
	}
	return cpuid;
}

int gl_set_supported_cpuid(struct gl_vcpu *vcpu)
{
	struct kvm_cpuid2 *cpuid = gl_supported_cpuid(vcpu->vm->kvm_fd);
	long r;

	if (!cpuid)
		return -errno;
	r = gl_ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	return r;
}

int gl_run(struct gl_vcpu *vcpu)
{
	return gl_ioctl(vcpu->fd, KVM_RUN, NULL);
}

int gl_run_ucall(struct gl_vcpu *vcpu, struct gl_ucall *uc)
{
	struct kvm_regs regs;
	int r = gl_run(vcpu);

	memset(uc, 0, sizeof(*uc));
	if (r)
		return r;
	if (vcpu->run->exit_reason != KVM_EXIT_IO ||
	    vcpu->run->io.port != GL_UCALL_PORT ||
	    vcpu->run->io.direction != KVM_EXIT_IO_OUT)
		return GL_UCALL_NONE;
	gl_get_regs(vcpu, &regs);
	uc->cmd = regs.rdi;
	uc->args[0] = regs.rsi;
	uc->args[1] = regs.rdx;
	uc->args[2] = regs.rcx;
	return uc->cmd;
}

int gl_get_msr(struct gl_vcpu *vcpu, uint32_t index, uint64_t *data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };
	long r = gl_ioctl(vcpu->fd, KVM_GET_MSRS, &m);

	*data = m.e.data;
	return r;
}

int gl_set_msr(struct gl_vcpu *vcpu, uint32_t index, uint64_t data)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index, .e.data = data };

	return gl_ioctl(vcpu->fd, KVM_SET_MSRS, &m);
}

const char *gl_exit_name(uint32_t reason)
{
	static char buf[32];

	switch (reason) {
	case KVM_EXIT_UNKNOWN: return "UNKNOWN";
	case KVM_EXIT_EXCEPTION: return "EXCEPTION";
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_INTR: return "INTR";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	}
	snprintf(buf, sizeof(buf), "%u", reason);
	return buf;
}
