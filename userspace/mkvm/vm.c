// SPDX-License-Identifier: GPL-2.0
/*
 * vm.c - everything mkvm asks of the KVM ABI: the device fd, the VM, guest
 * memory slots, the in-kernel interrupt controller, vCPUs, and one thread
 * per vCPU running KVM_RUN and dispatching its exits.
 *
 * Only the tier-1 ioctls minikvm implements are used (design brief 1):
 * GET_API_VERSION, CHECK_EXTENSION, CREATE_VM, GET_VCPU_MMAP_SIZE,
 * GET_SUPPORTED_CPUID, CREATE_VCPU, SET_USER_MEMORY_REGION, CREATE_IRQCHIP,
 * SET_GSI_ROUTING, IRQFD, IOEVENTFD, IRQ_LINE, RUN, SET_REGS, SET_SREGS,
 * SET_CPUID2, SET_FPU.  No PIT (KVM_CREATE_PIT2), no real mode, no TSS
 * address: the guest is entered directly in long mode.
 *
 * Non-goals: vCPU hotplug, pause/resume, migration state.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vm.h"
#include "boot/boot.h"
#include "dev/virtio.h"

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
};

int vm_open_dev(struct vm *vm, const char *path, char *err, size_t errlen)
{
	int fd, v;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 errno == EBUSY ? "device busy" : strerror(errno));
		return errno == EBUSY ? -2 : -1;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		snprintf(err, errlen, "%s: KVM API version %d, need %d", path,
			 v, KVM_API_VERSION);
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			snprintf(err, errlen, "%s: cannot run guests (no %s)",
				 path, required_caps[i].name);
			close(fd);
			return -1;
		}
	}
	vm->sys_fd = fd;
	vm->dev_path = path;
	return 0;
}

static struct kvm_cpuid2 *get_supported_cpuid(int fd)
{
	for (int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
					      n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		if (!ioctl(fd, KVM_GET_SUPPORTED_CPUID, c))
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

/*
 * Per-vCPU CPUID: KVM's supported set, plus the topology fields the guest
 * reads to number its CPUs (initial APIC ID in leaf 1 EBX[31:24] and leaf
 * 0xB/0x1F EDX) and the "hypervisor present" bit, which makes Linux look
 * for the KVM leaves (kvmclock, and with it a known TSC frequency - the
 * guest has no PIT to calibrate against).
 */
static int vcpu_set_cpuid(struct vm *vm, struct vcpu *v)
{
	struct kvm_cpuid2 *c = vm->cpuid;
	size_t sz = sizeof(*c) + c->nent * sizeof(c->entries[0]);
	struct kvm_cpuid2 *mine = malloc(sz);
	int r;

	if (!mine)
		return -1;
	memcpy(mine, c, sz);
	for (uint32_t i = 0; i < mine->nent; i++) {
		struct kvm_cpuid_entry2 *e = &mine->entries[i];

		switch (e->function) {
		case 1:
			e->ebx &= 0x0000ffff;
			e->ebx |= (uint32_t)v->id << 24;
			e->ebx |= (uint32_t)(vm->ncpus > 255 ? 255 : vm->ncpus) << 16;
			e->ecx |= 1u << 31;		/* hypervisor */
			if (vm->ncpus > 1)
				e->edx |= 1u << 28;	/* HTT: ebx[23:16] valid */
			break;
		case 0xb:
		case 0x1f:
			e->edx = v->id;
			break;
		}
	}
	r = ioctl(v->fd, KVM_SET_CPUID2, mine);
	free(mine);
	if (r)
		mkvm_err("KVM_SET_CPUID2: %s", strerror(errno));
	return r;
}

/* GSI n -> IOAPIC pin n for all 24 pins; no 8259 routes (minikvm has none). */
static int set_gsi_routing(struct vm *vm)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[24];
	} rt;

	memset(&rt, 0, sizeof(rt));
	rt.r.nr = 24;
	for (int i = 0; i < 24; i++) {
		rt.e[i].gsi = i;
		rt.e[i].type = KVM_IRQ_ROUTING_IRQCHIP;
		rt.e[i].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		rt.e[i].u.irqchip.pin = i;
	}
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt)) {
		mkvm_err("KVM_SET_GSI_ROUTING: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The most vCPUs the device takes: KVM_CAP_MAX_VCPUS, else NR_VCPUS, else
 * the 4 api.rst promises (4.7 KVM_CREATE_VCPU).
 */
static int max_vcpus(int fd)
{
	int n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (n <= 0)
		n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return n > 0 ? n : 4;
}

int vm_create(struct vm *vm, uint64_t ram, int ncpus)
{
	int max = max_vcpus(vm->sys_fd);

	/* Say so before building anything (--cpus allows MKVM_MAX_CPUS). */
	if (ncpus > max) {
		mkvm_err("%s takes at most %d vCPUs (KVM_CAP_MAX_VCPUS), not %d",
			 vm->dev_path, max, ncpus);
		return -1;
	}
	vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		mkvm_err("%s: KVM_CREATE_VM: %s", vm->dev_path,
			 errno == EBUSY ? "device busy" : strerror(errno));
		return errno == EBUSY ? -2 : -1;
	}
	vm->run_size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if ((long)vm->run_size < (long)sizeof(struct kvm_run)) {
		mkvm_err("KVM_GET_VCPU_MMAP_SIZE: bad size");
		return -1;
	}

	/* MAP_NORESERVE: the guest is charged only for what it touches. */
	vm->ram = mmap(NULL, ram, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		mkvm_err("cannot allocate %llu MiB of guest memory: %s",
			 (unsigned long long)(ram / MiB), strerror(errno));
		return -1;
	}
	madvise(vm->ram, ram, MADV_MERGEABLE);
	guest_mem_layout(&vm->mem, ram, vm->ram);
	for (int i = 0; i < vm->mem.nr; i++) {
		struct kvm_userspace_memory_region mr = {
			.slot = i,
			.guest_phys_addr = vm->mem.r[i].gpa,
			.memory_size = vm->mem.r[i].size,
			.userspace_addr = (uintptr_t)vm->mem.r[i].hva,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr)) {
			mkvm_err("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
			return -1;
		}
	}

	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0)) {
		mkvm_err("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	if (set_gsi_routing(vm))
		return -1;

	vm->cpuid = get_supported_cpuid(vm->sys_fd);
	if (!vm->cpuid) {
		mkvm_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -1;
	}
	vm->ncpus = ncpus;
	for (int i = 0; i < ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

		v->id = i;
		v->vm = vm;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0) {
			mkvm_err("KVM_CREATE_VCPU %d: %s", i, strerror(errno));
			return -1;
		}
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			mkvm_err("mmap kvm_run: %s", strerror(errno));
			return -1;
		}
		if (vcpu_set_cpuid(vm, v))
			return -1;
		/* x87/SSE reset state (SDM: FINIT, MXCSR default). */
		if (ioctl(v->fd, KVM_SET_FPU, &fpu)) {
			mkvm_err("KVM_SET_FPU: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void seg_from_gdt(struct kvm_segment *s, uint16_t sel, uint64_t desc)
{
	s->selector = sel;
	s->base = (desc >> 16 & 0xffffff) | (desc >> 32 & 0xff000000);
	s->limit = (desc & 0xffff) | (desc >> 32 & 0xf0000);
	s->type = desc >> 40 & 0xf;
	s->s = desc >> 44 & 1;
	s->dpl = desc >> 45 & 3;
	s->present = desc >> 47 & 1;
	s->avl = desc >> 52 & 1;
	s->l = desc >> 53 & 1;
	s->db = desc >> 54 & 1;
	s->g = desc >> 55 & 1;
	if (s->g)
		s->limit = s->limit << 12 | 0xfff;
	s->unusable = !s->present;
}

/*
 * Boot CPU state for the 64-bit entry (boot.rst, "64-bit BOOT PROTOCOL"):
 * long mode with our identity map, CS = __BOOT_CS, data segments =
 * __BOOT_DS, RSI = zero page, interrupts off.  Application processors are
 * left in their reset state: the in-kernel LAPIC parks them until the
 * guest's INIT/SIPI, and Linux brings them up through its own trampoline.
 */
int vm_setup_bsp(struct vm *vm, uint64_t entry, uint64_t zero_page)
{
	struct vcpu *v = &vm->vcpus[0];
	struct kvm_sregs sr;
	struct kvm_regs r;

	gdt_build(vm->ram);
	pagetables_build(vm->ram);

	if (ioctl(v->fd, KVM_GET_SREGS, &sr)) {
		mkvm_err("KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	seg_from_gdt(&sr.cs, BOOT_CS, gdt_entry(0xa09b, 0, 0xfffff));
	seg_from_gdt(&sr.ds, BOOT_DS, gdt_entry(0xc093, 0, 0xfffff));
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	seg_from_gdt(&sr.tr, BOOT_TSS, gdt_entry(0x808b, 0, 0xfffff));
	sr.gdt.base = LAYOUT_GDT;
	sr.gdt.limit = 5 * 8 - 1;
	sr.idt.base = 0;
	sr.idt.limit = 0;
	sr.cr0 = 0x80000033;		/* PG | NE | ET | MP | PE */
	sr.cr3 = LAYOUT_PML4;
	sr.cr4 = 0x20;			/* PAE */
	sr.efer = 0x500;		/* LMA | LME */
	if (ioctl(v->fd, KVM_SET_SREGS, &sr)) {
		mkvm_err("KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}

	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rsi = zero_page;
	r.rflags = 2;			/* bit 1 is reserved-one; IF clear */
	r.rsp = LAYOUT_ZERO_PAGE;	/* unused by the kernel; harmless */
	if (ioctl(v->fd, KVM_SET_REGS, &r)) {
		mkvm_err("KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}

int vm_irqfd(struct vm *vm, int efd, uint32_t gsi)
{
	struct kvm_irqfd f = { .fd = efd, .gsi = gsi };

	if (ioctl(vm->vm_fd, KVM_IRQFD, &f)) {
		mkvm_err("KVM_IRQFD gsi %u: %s", gsi, strerror(errno));
		return -1;
	}
	return 0;
}

int vm_ioeventfd(struct vm *vm, int efd, uint64_t addr, uint32_t len,
		 uint64_t datamatch)
{
	struct kvm_ioeventfd io = {
		.datamatch = datamatch,
		.addr = addr,
		.len = len,
		.fd = efd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io)) {
		mkvm_err("KVM_IOEVENTFD 0x%llx: %s", (unsigned long long)addr,
			 strerror(errno));
		return -1;
	}
	return 0;
}

void vm_request_stop(struct vm *vm, enum stop_reason why, int value)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop_reason == STOP_NONE) {
		vm->stop_reason = why;
		vm->stop_value = value;
		if (write(vm->stop_efd, &one, sizeof(one)) < 0)
			abort();
	}
	pthread_mutex_unlock(&vm->stop_lock);
}

static void pio_dispatch(struct vm *vm, uint16_t port, uint8_t *data,
			 uint32_t size, bool write)
{
	if (port >= 0x3f8 && port < 0x400) {
		serial_pio(vm->serial, port - 0x3f8, data, write);
		return;
	}
	if (port == 0x60 || port == 0x64) {
		i8042_pio(vm, port, data, size, write);
		return;
	}
	if (port >= MKVM_CTL_PORT && port < MKVM_CTL_PORT + MKVM_CTL_SIZE) {
		ctl_pio(vm, port, data, size, write);
		return;
	}
	/* Nothing there: reads float high, writes vanish (port 0x80 etc.). */
	if (!write)
		memset(data, 0xff, size);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint32_t size = r->io.size, count = r->io.count;
	bool write = r->io.direction == KVM_EXIT_IO_OUT;
	uint64_t off = r->io.data_offset;
	uint8_t *data;

	/* Never trust offsets into the shared page blindly. */
	if ((size != 1 && size != 2 && size != 4) ||
	    off + (uint64_t)size * count > v->vm->run_size) {
		mkvm_err("vcpu%d: bad PIO exit (size %u count %u)", v->id,
			 size, count);
		vm_request_stop(v->vm, STOP_ERROR, 0);
		return;
	}
	data = (uint8_t *)r + off;
	for (uint32_t i = 0; i < count; i++, data += size)
		pio_dispatch(v->vm, r->io.port, data, size, write);
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint64_t a = r->mmio.phys_addr;
	uint32_t len = r->mmio.len;
	struct vm *vm = v->vm;

	if (len > 8)
		len = 8;
	if (a >= LAYOUT_VIRTIO_MMIO &&
	    a < LAYOUT_VIRTIO_MMIO + (uint64_t)vm->nvirtio * LAYOUT_VIRTIO_STRIDE) {
		uint64_t off = a - LAYOUT_VIRTIO_MMIO;
		struct virtio_dev *d = vm->virtio[off / LAYOUT_VIRTIO_STRIDE];

		off %= LAYOUT_VIRTIO_STRIDE;
		if (off + len <= VIRTIO_MMIO_SIZE) {
			virtio_mmio_access(d, off, r->mmio.data, len,
					   r->mmio.is_write);
			return;
		}
	}
	if (!r->mmio.is_write)
		memset(r->mmio.data, 0xff, len);
}

/*
 * Remember how a vCPU ended the VM (first one wins), for main.c's message.
 * No register state: after a triple fault it is undefined (AMD APM 15.12).
 */
static void vm_note_stop(struct vcpu *v, const char *what)
{
	struct vm *vm = v->vm;

	pthread_mutex_lock(&vm->stop_lock);
	if (vm->stop_reason == STOP_NONE)
		snprintf(vm->stop_how, sizeof(vm->stop_how), "%s on vcpu%d",
			 what, v->id);
	pthread_mutex_unlock(&vm->stop_lock);
}

static void kick_handler(int sig)
{
	(void)sig;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	sigset_t set;
	char name[16];

	snprintf(name, sizeof(name), "mkvm-vcpu%d", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!vm->stopping) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			mkvm_err("vcpu%d: KVM_RUN: %s", v->id, strerror(errno));
			vm_request_stop(vm, STOP_ERROR, 0);
			break;
		}
		switch (v->run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(v);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_SHUTDOWN:		/* triple fault: a reset */
			vm_note_stop(v, "triple fault");
			vm_request_stop(vm, STOP_RESET, 0);
			return NULL;
		case KVM_EXIT_HLT:		/* only without an irqchip */
			vm_note_stop(v, "HLT without an irqchip");
			vm_request_stop(vm, STOP_POWEROFF, 0);
			return NULL;
		case KVM_EXIT_SYSTEM_EVENT:
			vm_note_stop(v, "KVM_EXIT_SYSTEM_EVENT");
			vm_request_stop(vm, v->run->system_event.type ==
					KVM_SYSTEM_EVENT_RESET ? STOP_RESET :
					STOP_POWEROFF, 0);
			return NULL;
		case KVM_EXIT_FAIL_ENTRY:
			mkvm_err("vcpu%d: entry failed, reason 0x%llx", v->id,
				 (unsigned long long)v->run->fail_entry.
				 hardware_entry_failure_reason);
			vm_request_stop(vm, STOP_ERROR, 0);
			return NULL;
		case KVM_EXIT_INTERNAL_ERROR:
			mkvm_err("vcpu%d: KVM internal error, suberror %u",
				 v->id, v->run->internal.suberror);
			for (unsigned int k = 0; k < v->run->internal.ndata &&
			     k < 16; k++)
				mkvm_err("  data[%u] = %#llx", k,
					 (unsigned long long)v->run->internal.data[k]);
			vm_request_stop(vm, STOP_ERROR, 0);
			return NULL;
		default:
			mkvm_err("vcpu%d: unhandled exit reason %u", v->id,
				 v->run->exit_reason);
			vm_request_stop(vm, STOP_ERROR, 0);
			return NULL;
		}
	}
	return NULL;
}

/*
 * For a guest that timed out: where each vCPU is and what its LAPIC timer
 * and interrupt state look like (only the ioctls of the tier-1 list).
 */
void vm_dump_vcpus(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct kvm_lapic_state la;
		struct kvm_regs r;
		uint32_t irr = 0, isr = 0;

		if (ioctl(v->fd, KVM_GET_REGS, &r))
			continue;
		if (ioctl(v->fd, KVM_GET_LAPIC, &la))
			memset(&la, 0, sizeof(la));
#define APIC_REG(off) (*(uint32_t *)(la.regs + (off)))
		for (int k = 0; k < 8; k++) {
			irr |= APIC_REG(0x200 + k * 16);
			isr |= APIC_REG(0x100 + k * 16);
		}
		mkvm_err("vcpu%d: rip %llx rflags %llx; lapic lvtt %x tmict %x tmcct %x irr %s isr %s",
			 i, (unsigned long long)r.rip,
			 (unsigned long long)r.rflags, APIC_REG(0x320),
			 APIC_REG(0x380), APIC_REG(0x390),
			 irr ? "pending" : "empty", isr ? "in-service" : "empty");
#undef APIC_REG
	}
}

int vm_start_vcpus(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	/* No SA_RESTART: the kick must make KVM_RUN return EINTR. */
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < vm->ncpus; i++) {
		if (pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				   &vm->vcpus[i])) {
			mkvm_err("cannot start vCPU thread %d", i);
			return -1;
		}
	}
	return 0;
}

/*
 * Stop every vCPU: immediate_exit makes a KVM_RUN that has not entered the
 * guest yet return at once, and the signal pulls out one that has (the
 * api.rst idiom, which closes the race between checking `stopping` and
 * entering KVM_RUN).
 */
void vm_kick_and_join(struct vm *vm)
{
	vm->stopping = 1;
	__sync_synchronize();
	for (int i = 0; i < vm->ncpus; i++)
		vm->vcpus[i].run->immediate_exit = 1;
	for (int i = 0; i < vm->ncpus; i++) {
		struct timespec ts;

		for (int tries = 0; tries < 100; tries++) {
			pthread_kill(vm->vcpus[i].thread, SIGUSR1);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (!pthread_timedjoin_np(vm->vcpus[i].thread, NULL, &ts))
				break;
		}
	}
}
