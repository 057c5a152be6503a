/* SPDX-License-Identifier: GPL-2.0 */
/*
 * irq_lib.h - guest and host helpers for the interrupt selftests
 * (ioeventfd, lapic_timer, irqfd, ipi, irq_storm): xAPIC/IOAPIC access
 * from 64-bit C guests, interrupt handlers that count, and a vCPU thread.
 *
 * Guest side: the APIC page (FEE00000h) and the IOAPIC (FEC00000h) are
 * reached through the identity map of guest_lib (2 MiB pages below
 * 4 GiB); no memslot covers them, so the accesses are MMIO handled by the
 * in-kernel irqchip. Handlers are small assembly routines (an interrupt frame is
 * not a C function call): they bump a counter, EOI and IRETQ.
 */
#ifndef IRQ_LIB_H
#define IRQ_LIB_H

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include "guest_lib.h"

#define APIC_BASE_GPA	0xfee00000UL
#define IOAPIC_GPA	0xfec00000UL

#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TPR	0x80
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_IRR	0x200
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVT0	0x350
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0

#define LVTT_PERIODIC	(1 << 17)
#define LVTT_DEADLINE	(2 << 17)
#define LVT_MASKED	(1 << 16)

static inline uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC_BASE_GPA + reg);
}

static inline void apic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(APIC_BASE_GPA + reg) = val;
}

/*
 * Software-enable the APIC (spurious vector 0xff) and mask LINT0: KVM
 * resets the BSP's LINT0 to ExtINT, where its in-kernel 8259 (unmasked
 * after reset) would deliver its own vectors for every GSI below 16.
 */
static inline void apic_enable(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVT0, LVT_MASKED);
}

static inline void ioapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)IOAPIC_GPA = reg;
	*(volatile uint32_t *)(IOAPIC_GPA + 0x10) = val;
}

static inline uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC_GPA = reg;
	return *(volatile uint32_t *)(IOAPIC_GPA + 0x10);
}

/* Route IOAPIC @pin to @vector on APIC 0, physical, fixed. */
static inline void ioapic_route(int pin, int vector, int level)
{
	ioapic_write(0x11 + 2 * pin, 0);
	ioapic_write(0x10 + 2 * pin, vector | (level ? 1 << 15 : 0));
}

static inline void apic_send_ipi(uint32_t dest, uint32_t icr)
{
	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, icr);
}

static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Sleep until an interrupt; IF is 0 again afterwards. */
static inline void guest_sti_hlt(void)
{
	asm volatile("sti; hlt; cli" ::: "memory");
}

/*
 * A handler @name that increments the 64-bit guest variable @counter and
 * EOIs. With @tsc_var non-empty, it also stores RDTSC there.
 */
#define IRQ_HANDLER(name, counter)					\
	asm(".pushsection .text\n"					\
	    #name ":\n"							\
	    "push %rax\n"						\
	    "lock incq " #counter "(%rip)\n"				\
	    "mov $0xfee000b0, %eax\n"					\
	    "movl $0, (%rax)\n"						\
	    "pop %rax\n"						\
	    "iretq\n"							\
	    ".popsection\n");						\
	extern const uint8_t name[]

/* ---- host side ---- */

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Host view of a guest global (the image is identity-copied). */
#define GUEST_VAR(vm, var)	(*(volatile __typeof__(var) *)gl_hva(vm, (uint64_t)&(var)))

/* A thread that runs a vCPU until a ucall other than SYNC, or an error. */
struct vcpu_thread {
	pthread_t tid;
	struct gl_vcpu *vcpu;
	int result;		/* the last gl_run_ucall() value */
	struct gl_ucall uc;
	int syncs;
	volatile int done;
};

static void vcpu_thread_sigusr1(int sig)
{
}

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *t = arg;

	for (;;) {
		t->result = gl_run_ucall(t->vcpu, &t->uc);
		/* An AP's KVM_RUN returns -EAGAIN once INIT arrived. */
		if (t->result == -EAGAIN)
			continue;
		if (t->result != GL_UCALL_SYNC)
			break;
		t->syncs++;
	}
	t->done = 1;
	return NULL;
}

static inline void vcpu_thread_start(struct vcpu_thread *t,
				     struct gl_vcpu *vcpu)
{
	memset(t, 0, sizeof(*t));
	t->vcpu = vcpu;
	signal(SIGUSR1, vcpu_thread_sigusr1);
	pthread_create(&t->tid, NULL, vcpu_thread_fn, t);
}

/* Wait up to @secs for the thread to finish; returns true if it did. */
static inline bool vcpu_thread_wait(struct vcpu_thread *t, double secs)
{
	double end = now_s() + secs;

	while (!t->done && now_s() < end)
		usleep(1000);
	if (t->done)
		pthread_join(t->tid, NULL);
	return t->done;
}

/* Interrupt KVM_RUN with a signal (it returns -EINTR) and join. */
static inline bool vcpu_thread_stop(struct vcpu_thread *t, double secs)
{
	double end = now_s() + secs;

	while (!t->done && now_s() < end) {
		pthread_kill(t->tid, SIGUSR1);
		usleep(10000);
	}
	if (t->done)
		pthread_join(t->tid, NULL);
	return t->done;
}

/* Wait until *@p >= @want or @secs pass. */
static inline bool wait_for(volatile uint64_t *p, uint64_t want, double secs)
{
	double end = now_s() + secs;

	while (*p < want && now_s() < end)
		usleep(200);
	return *p >= want;
}

static inline uint64_t efd_read(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

#endif /* IRQ_LIB_H */
