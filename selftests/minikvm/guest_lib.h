/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest_lib.h - run small guests on a KVM-style device (/dev/kvm or
 * /dev/minikvm) for the selftests of guest execution.
 *
 * A VM gets one memslot (slot 0) at GPA 0 backed by anonymous memory,
 * big enough to hold a copy of this very (static, non-PIE) executable at
 * its link address. Guests come in two flavours:
 *
 *  - assembly blobs (GL_GUEST_ASM), for real mode, 32-bit protected mode
 *    and 64-bit long mode: copied to GL_CODE_GPA and started there. They
 *    may use relative jumps freely; absolute addresses must be the fixed
 *    GPAs below (the blob is assembled elsewhere than where it runs).
 *  - C functions (64-bit long mode only): the executable image is copied
 *    into guest memory at the same addresses and identity mapped, so a
 *    function of the test file is the guest's entry point and its globals
 *    are guest memory (read them with gl_hva()). Guest C code reports
 *    through the "ucall" port with GUEST_SYNC/GUEST_ASSERT/GUEST_DONE.
 *
 * The CPU mode is set up only through KVM_SET_SREGS and KVM_SET_REGS, as
 * a VMM does: flat GDT, identity page tables with 2 MiB pages covering
 * the low 4 GiB, an IDT whose handlers let gl_rdmsr_safe() and friends
 * catch exceptions (64-bit only).
 *
 * Setup failures abort() (the kselftest harness reports a failed test);
 * this file never includes the harness, so it links into every test.
 */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* Guest physical layout of slot 0 (identity: GVA == GPA in 64-bit mode). */
#define GL_GDT_GPA	0x500
#define GL_TSS_GPA	0x800
#define GL_IDT_GPA	0x1000
#define GL_PML4_GPA	0x2000
#define GL_PDPT_GPA	0x3000
#define GL_PD_GPA	0x4000		/* 4 pages: 4 GiB of 2 MiB pages */
#define GL_CODE_GPA	0x8000		/* assembly blobs run here */
#define GL_STACK_GPA	0xe000		/* top of the assembly guests' stack */
#define GL_DATA_GPA	0xf000		/* a scratch page for assembly guests */
#define GL_CSTACK_GPA	0x200000	/* top of the C guests' stack */

/* GDT selectors. */
#define GL_SEL_CODE64	0x08
#define GL_SEL_DATA	0x10
#define GL_SEL_CODE32	0x18
#define GL_SEL_TSS	0x20

/* The port guest C code reports through (ucall). */
#define GL_UCALL_PORT	0xf7

enum gl_mode {
	GL_MODE_REAL,
	GL_MODE_PROT32,
	GL_MODE_LONG64,
};

/* ucall commands (macros: the assembly stubs use them too). */
#define GL_UCALL_NONE		0	/* the exit was not a ucall */
#define GL_UCALL_SYNC		1	/* args: values for the host */
#define GL_UCALL_DONE		2	/* the guest function returned */
#define GL_UCALL_ABORT		3	/* GUEST_ASSERT failed: line, a, b */
#define GL_UCALL_UNHANDLED	4	/* exception: vector, RIP, error code */

struct gl_ucall {
	uint64_t cmd;
	uint64_t args[3];
};

struct gl_vm {
	int kvm_fd;		/* the device */
	int fd;			/* the VM */
	uint8_t *mem;		/* slot 0, GPA 0 */
	size_t mem_size;
	long run_size;
};

struct gl_vcpu {
	struct gl_vm *vm;
	int fd;
	int id;
	struct kvm_run *run;
};

/* Stringify for asm. */
#define GL_STR(x)	#x
#define GL_XSTR(x)	GL_STR(x)

/*
 * An assembly guest: a blob named @name between @name and @name_end,
 * assembled for @bits (16, 32, 64). Use gl_load_asm() to run it.
 */
#define GL_GUEST_ASM(name, bits, body)					\
	extern const uint8_t name[], name##_end[];			\
	asm(".pushsection .rodata.gl_guest, \"a\"\n"			\
	    #name ":\n"							\
	    ".code" #bits "\n"						\
	    body "\n"							\
	    ".code64\n"							\
	    #name "_end:\n"						\
	    ".popsection\n")

/* ---- host side ---- */

/* Is KVM_CHECK_EXTENSION(@cap) positive on @kvm_fd? */
bool gl_has_cap(int kvm_fd, long cap);
/* Create a VM with slot 0 (GL default layout) on the open device @kvm_fd. */
void gl_vm_create(struct gl_vm *vm, int kvm_fd);
void gl_vm_destroy(struct gl_vm *vm);
/* Host address of guest physical address @gpa in slot 0. */
void *gl_hva(struct gl_vm *vm, uint64_t gpa);
/* Add a memslot backed by new anonymous memory; returns the mapping. */
void *gl_add_slot(struct gl_vm *vm, uint32_t slot, uint64_t gpa,
		  size_t size, uint32_t flags);

void gl_vcpu_create(struct gl_vm *vm, struct gl_vcpu *vcpu, int id);
void gl_vcpu_destroy(struct gl_vcpu *vcpu);
/* Put @vcpu into @mode via SREGS, RIP = @rip, RSP = @rsp, RFLAGS = 2. */
void gl_vcpu_setup(struct gl_vcpu *vcpu, enum gl_mode mode,
		   uint64_t rip, uint64_t rsp);
/*
 * For a guest that spins without ever exiting: set RFLAGS.IF when the
 * environment says MKVM_GUEST_SPIN_IF=1 (scripts/check.sh does on Bochs).
 * Bochs 2.7 loads the guest's RFLAGS on VM entry before it marks the CPU
 * as in VMX non-root operation, so with IF clear on both sides of the entry
 * it keeps external interrupts masked as for the host's own CLI: the
 * "external-interrupt exiting" VM exit never comes and the host's timer
 * and IPIs wait (Documentation/testing.md). Real CPUs and QEMU-SVM spin
 * with IF clear, the harder case.
 */
void gl_spin_if_quirk(struct gl_vcpu *vcpu);
/* Copy an assembly blob to GL_CODE_GPA and point @vcpu at it. */
void gl_load_asm(struct gl_vcpu *vcpu, enum gl_mode mode,
		 const uint8_t *start, const uint8_t *end);
/* 64-bit guest that calls @fn(@arg), then reports GL_UCALL_DONE. */
void gl_vcpu_setup_c(struct gl_vcpu *vcpu, void (*fn)(uint64_t),
		     uint64_t arg);
/*
 * Point IDT vector @vector of the VM at @handler (64-bit interrupt gate)
 * and extend @vcpu's IDT limit to all 256 vectors. Call after
 * gl_vcpu_setup*(). The IDT page is shared by every vCPU of the VM.
 */
void gl_idt_set(struct gl_vcpu *vcpu, int vector, const void *handler);
/* Hand the vCPU the device's KVM_GET_SUPPORTED_CPUID table. */
int gl_set_supported_cpuid(struct gl_vcpu *vcpu);
/* Allocated KVM_GET_SUPPORTED_CPUID result (free() it), or NULL. */
struct kvm_cpuid2 *gl_supported_cpuid(int kvm_fd);

/* KVM_RUN: 0 or -errno. */
int gl_run(struct gl_vcpu *vcpu);
/*
 * KVM_RUN until an exit; if it is a ucall, fill @uc and return its
 * command (completing the OUT). Returns GL_UCALL_NONE for other exits
 * and -errno when KVM_RUN failed.
 */
int gl_run_ucall(struct gl_vcpu *vcpu, struct gl_ucall *uc);
/* Data of the current KVM_EXIT_IO (the PIO page). */
static inline void *gl_pio_data(struct gl_vcpu *vcpu)
{
	return (uint8_t *)vcpu->run + vcpu->run->io.data_offset;
}

void gl_get_regs(struct gl_vcpu *vcpu, struct kvm_regs *regs);
void gl_set_regs(struct gl_vcpu *vcpu, struct kvm_regs *regs);
void gl_get_sregs(struct gl_vcpu *vcpu, struct kvm_sregs *sregs);
void gl_set_sregs(struct gl_vcpu *vcpu, struct kvm_sregs *sregs);
/* KVM_GET_MSRS / KVM_SET_MSRS of one MSR: the ioctl's return value. */
int gl_get_msr(struct gl_vcpu *vcpu, uint32_t index, uint64_t *data);
int gl_set_msr(struct gl_vcpu *vcpu, uint32_t index, uint64_t data);
const char *gl_exit_name(uint32_t reason);

/*
 * The cap the tests of emulated instructions (MMIO, string I/O) key on.
 * KVM has no cap of its own for those; minikvm needs its instruction
 * emulator (guest page-table walks, decoding) for them, and announces
 * that emulator with KVM_CAP_READONLY_MEM, whose writes are MMIO exits.
 */
#define GL_CAP_EMULATOR	KVM_CAP_READONLY_MEM
#define GL_CAP_EMU	{ GL_CAP_EMULATOR, \
			  "KVM_CAP_READONLY_MEM (emulator: MMIO, string I/O)" }

/* Is @fd a KVM-style device that can run guests (KVM_CAP_USER_MEMORY)? */
static inline bool gl_can_run(int kvm_fd)
{
	return gl_has_cap(kvm_fd, KVM_CAP_USER_MEMORY);
}

/* ---- guest side (64-bit C guests) ---- */

#define GUEST_CODE __attribute__((noinline, used, no_stack_protector))

static inline void gl_ucall(uint64_t cmd, uint64_t a0, uint64_t a1,
			    uint64_t a2)
{
	asm volatile("out %%al, %[port]"
		     : : "a"(0), [port] "N"(GL_UCALL_PORT), "D"(cmd),
		       "S"(a0), "d"(a1), "c"(a2) : "memory");
}

#define GUEST_SYNC(a0, a1, a2)						\
	gl_ucall(GL_UCALL_SYNC, (uint64_t)(a0), (uint64_t)(a1),		\
		 (uint64_t)(a2))
#define GUEST_DONE()	gl_ucall(GL_UCALL_DONE, 0, 0, 0)
#define GUEST_ASSERT_EQ(a, b) do {					\
	uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);		\
	if (__a != __b)							\
		gl_ucall(GL_UCALL_ABORT, __LINE__, __a, __b);		\
} while (0)
#define GUEST_ASSERT(c)	GUEST_ASSERT_EQ(!!(c), 1)

/* Guest port I/O, for tests that drive a device from inside the guest. */
static inline void gl_outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t gl_inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* kvmclock's per-vCPU time record (struct pvclock_vcpu_time_info). */
struct gl_pvti {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags;
	uint8_t pad[2];
};

/*
 * Instructions that may fault: they return 0 or the exception vector.
 * %r10 holds the address to resume at (label 1) while the instruction
 * runs; the IDT handlers (guest_lib.c) jump there with the vector in %r11.
 */
static inline uint8_t gl_rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	uint64_t vec;

	asm volatile("lea 1f(%%rip), %%r10\n\t"
		     "xor %%r11d, %%r11d\n\t"
		     "rdmsr\n\t"
		     "1: xor %%r10d, %%r10d\n\t"
		     "mov %%r11, %[vec]"
		     : [vec] "=r"(vec), "+a"(lo), "+d"(hi)
		     : "c"(msr) : "r10", "r11", "memory");
	*val = (uint64_t)hi << 32 | lo;
	return vec;
}

static inline uint8_t gl_wrmsr_safe(uint32_t msr, uint64_t val)
{
	uint64_t vec;

	asm volatile("lea 1f(%%rip), %%r10\n\t"
		     "xor %%r11d, %%r11d\n\t"
		     "wrmsr\n\t"
		     "1: xor %%r10d, %%r10d\n\t"
		     "mov %%r11, %[vec]"
		     : [vec] "=r"(vec)
		     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "r10", "r11", "memory");
	return vec;
}

static inline void gl_cpuid(uint32_t fn, uint32_t idx, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(fn), "c"(idx));
}


/* ---- test side: needs kselftest_harness.h (through mkvm_test.h) first ---- */
#ifdef __KSELFTEST_HARNESS_H

struct gl_cap {
	long cap;
	const char *name;
};
#define GL_CAP(c)	{ c, #c }

/*
 * Skip the test unless the device answers KVM_CHECK_EXTENSION positively
 * for every cap in @caps (@n entries). This is how a test waits for a
 * minikvm feature: the module adds the cap when the feature lands.
 */
static inline void gl_require_caps(struct __test_metadata *_metadata,
				   int fd, const char *path,
				   const struct gl_cap *caps, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!gl_has_cap(fd, caps[i].cap))
			MKVM_SKIP("%s: no %s%s", path, caps[i].name,
				  caps[i].cap == KVM_CAP_USER_MEMORY ?
				  " (minikvm does not run guests yet)" : "");
}

#define GL_REQUIRE(fd, path, ...) do {					\
	static const struct gl_cap __caps[] = { __VA_ARGS__ };		\
	gl_require_caps(_metadata, fd, path, __caps,			\
			sizeof(__caps) / sizeof(__caps[0]));		\
} while (0)

/* Run @vcpu until its next exit and require it to be ucall @want. */
static inline void gl_expect_ucall(struct __test_metadata *_metadata,
				   struct gl_vcpu *vcpu, struct gl_ucall *uc,
				   int want)
{
	int r = gl_run_ucall(vcpu, uc);

	if (r == GL_UCALL_ABORT && want != r)
		TH_LOG("guest assertion failed at line %lu: %#lx != %#lx",
		       (unsigned long)uc->args[0], (unsigned long)uc->args[1],
		       (unsigned long)uc->args[2]);
	else if (r == GL_UCALL_UNHANDLED && want != r)
		TH_LOG("guest exception %lu at RIP %#lx, error code %#lx",
		       (unsigned long)uc->args[0], (unsigned long)uc->args[1],
		       (unsigned long)uc->args[2]);
	else if (r == GL_UCALL_NONE && want != r)
		TH_LOG("unexpected exit %s (internal.data %#llx %#llx %#llx)",
		       gl_exit_name(vcpu->run->exit_reason),
		       vcpu->run->internal.data[0], vcpu->run->internal.data[1],
		       vcpu->run->internal.data[2]);
	else if (r < 0)
		TH_LOG("KVM_RUN: %s", strerror(-r));
	ASSERT_EQ(want, r);
}

/* Run @vcpu and require exit @reason (KVM_EXIT_*). */
static inline void gl_expect_exit(struct __test_metadata *_metadata,
				  struct gl_vcpu *vcpu, uint32_t reason)
{
	int r = gl_run(vcpu);

	ASSERT_EQ(0, r) TH_LOG("KVM_RUN: %s", strerror(-r));
	if (vcpu->run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
	    reason != KVM_EXIT_INTERNAL_ERROR)
		TH_LOG("internal error %u: data %#llx %#llx %#llx %#llx",
		       vcpu->run->internal.suberror,
		       vcpu->run->internal.data[0], vcpu->run->internal.data[1],
		       vcpu->run->internal.data[2], vcpu->run->internal.data[3]);
	ASSERT_EQ(reason, vcpu->run->exit_reason)
		TH_LOG("exit %s, expected %s",
		       gl_exit_name(vcpu->run->exit_reason),
		       gl_exit_name(reason));
}

/*
 * The "dev" fixture of the guest tests: variants kvm and minikvm, each
 * with a VM (slot 0) and vCPU 0, skipped without KVM_CAP_USER_MEMORY.
 * Tests needing more caps call GL_REQUIRE() first thing.
 */
#define GL_DEV_FIXTURE()						\
FIXTURE(dev) {								\
	int fd;								\
	struct gl_vm vm;						\
	struct gl_vcpu vcpu;						\
};									\
MKVM_DEV_VARIANTS(dev);							\
FIXTURE_SETUP(dev)							\
{									\
	self->fd = mkvm_open_dev(_metadata, variant->path);		\
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_USER_MEMORY)); \
	gl_vm_create(&self->vm, self->fd);				\
	gl_vcpu_create(&self->vm, &self->vcpu, 0);			\
}									\
FIXTURE_TEARDOWN(dev)							\
{									\
	if (self->vm.fd > 0) {						\
		gl_vcpu_destroy(&self->vcpu);				\
		gl_vm_destroy(&self->vm);				\
	}								\
	close(self->fd);						\
}

#endif /* __KSELFTEST_HARNESS_H */

#endif /* GUEST_LIB_H */
