/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minikvm.h - core types shared by the common (vendor-neutral) code.
 *
 * Object model, as in KVM (see Documentation/architecture.md):
 *
 *   /dev/minikvm fd --KVM_CREATE_VM--> VM fd (struct mkvm)
 *                   --KVM_CREATE_VCPU--> vCPU fd (struct mkvm_vcpu)
 *
 * Every VM holds one reference on the hardware-enable count (virt.c): the
 * first VM turns VMX/SVM on for every online CPU, the last one turns it off.
 * Every fd (device, VM) holds a module reference through its
 * file_operations' .owner, so rmmod cannot race with an open fd.
 *
 * Locking legend used in kernel-doc below:
 *   [c] constant after creation, no lock needed
 *   [l] protected by mkvm_vm_list_lock
 *   [m] protected by struct mkvm's mmu_lock
 *   [v] protected by struct mkvm's lock
 *   [u] protected by struct mkvm_vcpu's mutex (vCPU ioctls)
 */
#ifndef MKVM_MINIKVM_H
#define MKVM_MINIKVM_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/fs.h>
#include <linux/printk.h>
#include <linux/preempt.h>
#include <linux/kvm.h>
#include <linux/sched/signal.h>
#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/wait.h>

#include "irq.h"

#include "x86/decode.h"
#include "x86/pgwalk.h"

#undef pr_fmt
#define pr_fmt(fmt) "minikvm: " fmt

struct mm_struct;
struct dentry;

#define MKVM_NR_MEMSLOTS	32	/* KVM_CAP_NR_MEMSLOTS */
#define MKVM_MAX_VCPUS		16	/* KVM_CAP_MAX_VCPUS, KVM_CAP_NR_VCPUS */

/*
 * The most pages one slot may have: KVM's KVM_MEM_MAX_NR_PAGES on x86
 * (8 TiB), which keeps every per-page index an unsigned int.
 */
#define MKVM_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

/**
 * struct mkvm_memslot - one KVM_SET_USER_MEMORY_REGION slot
 * @base_gfn:	First guest frame number; 0 pages means the slot is unused.
 * @npages:	Size in 4 KiB pages.
 * @userspace_addr: Where the VMM mapped the memory (page aligned).
 * @flags:	KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES or 0.
 * @pages:	The host page pinned for each guest page, by page index in
 *		the slot; absent until the guest first touches it
 *		(memslot.c), so a huge slot costs nothing until used.
 *		Unpinned on delete.
 * @dirty_bitmap: With KVM_MEM_LOG_DIRTY_PAGES, one bit per page written
 *		since the last KVM_GET_DIRTY_LOG (memslot.c); else NULL.
 *		Bits are set with set_bit() under @mmu_lock and collected
 *		with xchg() under it.
 *
 * Slots are changed and read under struct mkvm's @mmu_lock.
 */
struct mkvm_memslot {
	u64 base_gfn;
	u64 npages;
	unsigned long userspace_addr;
	u32 flags;
	struct xarray pages;
	unsigned long *dirty_bitmap;
};

struct mkvm_vcpu;
struct mkvm_mmu;
struct mkvm_pit;

/**
 * enum mkvm_stat - per-vCPU event counters
 * @MKVM_STAT_EXITS:	Every exit from the guest (VMRUN / VMLAUNCH returned).
 * @MKVM_STAT_USER:	KVM_RUN returned to userspace with an exit to handle.
 * @MKVM_STAT_SIGNAL:	KVM_RUN returned -EINTR for a signal.
 * @MKVM_STAT_IRQ:	Exits for a host interrupt, NMI or SMI.
 * @MKVM_STAT_IO:	I/O instruction exits (in the kernel or to userspace).
 * @MKVM_STAT_MMIO:	MMIO accesses decoded (x86/mmio.c).
 * @MKVM_STAT_PF:	Nested page faults / EPT violations mapped in the
 *			kernel (guest RAM touched for the first time).
 * @MKVM_STAT_CPUID:	CPUID exits.
 * @MKVM_STAT_MSR:	RDMSR/WRMSR exits.
 * @MKVM_STAT_HLT:	HLT exits.
 * @MKVM_STAT_EXCEPTION: Exceptions minikvm injected (#GP, #UD, #PF...).
 * @MKVM_STAT_NR:	Number of counters.
 *
 * Names in debugfs.c; the same facts, one exit at a time, come from the
 * minikvm:mkvm_exit tracepoint (mkvm_trace.h).
 */
enum mkvm_stat {
	MKVM_STAT_EXITS,
	MKVM_STAT_USER,
	MKVM_STAT_SIGNAL,
	MKVM_STAT_IRQ,
	MKVM_STAT_IO,
	MKVM_STAT_MMIO,
	MKVM_STAT_PF,
	MKVM_STAT_CPUID,
	MKVM_STAT_MSR,
	MKVM_STAT_HLT,
	MKVM_STAT_EXCEPTION,
	MKVM_STAT_NR
};

/**
 * struct mkvm_vcpu_msrs - guest MSRs kept in plain storage (x86/msr.c)
 * @apic_base:	IA32_APIC_BASE.
 * @misc_enable: IA32_MISC_ENABLE.
 * @tsc_aux:	IA32_TSC_AUX (RDTSCP is not offered; the value is stored).
 * @mtrr_def_type: IA32_MTRR_DEF_TYPE.
 * @mtrr_fixed:	The 11 fixed-range MTRRs, 64K_00000 first.
 * @mtrr_var:	IA32_MTRR_PHYSBASE0/PHYSMASK0 ... 7, interleaved.
 * @kvmclock:	MSR_KVM_SYSTEM_TIME(_NEW): record address | enable (bit 0).
 * @tsc_adjust:	IA32_TSC_ADJUST (SDM Vol. 3B 17.17.3).
 *
 * MSRs whose value lives in the VMCB/VMCS are the vendor's.
 */
struct mkvm_vcpu_msrs {
	u64 apic_base;
	u64 misc_enable;
	u64 tsc_aux;
	u64 mtrr_def_type;
	u64 mtrr_fixed[11];
	u64 mtrr_var[16];
	u64 kvmclock;
	u64 tsc_adjust;
};

/**
 * struct mkvm - one virtual machine
 * @mm:		[c] The address space of the process that created the VM.
 *		KVM refuses VM ioctls from any other mm (-EIO) because
 *		guest memory is described by that process's virtual
 *		addresses; we keep the same rule from the start.
 * @list:	[l] Entry in mkvm_vm_list.
 * @id:		[c] Small number for debugfs and messages.
 * @users:	References: the VM fd and every vCPU fd hold one; the last
 *		put destroys the VM (vm.c).
 * @lock:	Serialises VM ioctls that change the VM's shape (memslots,
 *		vCPU creation). Taken before @mmu_lock. Never taken in
 *		atomic context.
 * @mmu_lock:	Protects @slots and the second-level page tables (NPT/EPT):
 *		the nested-page-fault path and slot changes take it.
 * @slots:	[m] Guest memory, indexed by slot id.
 * @vcpus:	[v] vCPUs by creation order; @nr_vcpus of them are valid.
 * @nr_vcpus:	[v] Written under @lock, read locklessly after creation.
 * @tlb_gen:	Bumped (under @mmu_lock) whenever a second-level mapping is
 *		removed; a vCPU whose last-seen generation differs flushes
 *		its TLB before the next entry.
 * @debugfs:	[c] /sys/kernel/debug/minikvm/vm<id>/, or NULL (debugfs.c).
 * @mmu:	[c] The vendor's second-level tree (NPT/EPT), set by vm_init;
 *		common code reads only its counters (debugfs).
 * @arch:	[c] The vendor's per-VM state (NPT/EPT root, ASID...).
 * @irq_lock:	Serialises changes to @buses, @routing, @irqfds,
 *		@ioeventfds and irqchip creation (irq.h has the lock order).
 * @buses:	In-kernel I/O devices (iobus.c), RCU-read by vCPU exits.
 * @ioapic:	The in-kernel IOAPIC: non-NULL once KVM_CREATE_IRQCHIP
 *		succeeded (written once, under @lock and @irq_lock).
 * @pic:	The 8259A pair (x86/pic.c): set with @ioapic, read
 *		locklessly (READ_ONCE) by routes and the injection path.
 * @pit:	The 8254 of KVM_CREATE_PIT2 (x86/pit.c), or NULL: written
 *		once under @lock, read with smp_load_acquire(); freed only
 *		with the VM.
 * @routing:	The GSI routing table, RCU-read by mkvm_set_irq().
 * @irqfds:	[irq_lock + irqfd_lock] Assigned irqfds (eventfd.c).
 * @irqfd_lock:	Protects @irqfds against the EOI (resample) path and an
 *		eventfd's EPOLLHUP (eventfd.c).
 * @nr_irqfds:	[irqfd_lock] Entries on @irqfds (debugfs).
 * @ioeventfds:	[irq_lock] Assigned ioeventfds (eventfd.c).
 * @clock_lock:	Protects the @clock_offset / master pair (x86/kvmclock.c).
 * @clock_stable: [c] The host TSC is stable: all vCPUs publish the master
 *		pair and PVCLOCK_TSC_STABLE_BIT.
 * @clock_offset: [clock_lock] kvmclock ns = host boot-time ns + this.
 * @clock_master_tsc: [clock_lock] Host TSC of the master pair.
 * @clock_master_ns: [clock_lock] kvmclock ns at @clock_master_tsc.
 * @clock_wall_msr: MSR_KVM_WALL_CLOCK(_NEW), per VM as in KVM.
 * @tsc_base:	[c] Host TSC at creation: every vCPU starts with TSC offset
 *		-@tsc_base, so guest TSCs start at 0 and agree (as KVM's
 *		TSC synchronisation of vCPUs created together).
 * @max_vcpu_ids: [lock] KVM_CAP_MAX_VCPU_ID: vCPU ids must be below it;
 *		0 = not set (MKVM_MAX_VCPUS).
 * @slots_gen:	[m] Bumped by every change of @slots: a fault that pinned
 *		a page without @mmu_lock checks it before using the page.
 * @pinned:	[m] Guest pages pinned, all slots (memslot.c).
 * @charged:	[m] Pages charged to @mm's locked_vm for them
 *		(account_locked_vm(), RLIMIT_MEMLOCK); a little ahead of
 *		@pinned, in chunks.
 * @manual_dirty_log_protect: [lock + mmu_lock to write, either to read]
 *		KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 flags (memslot.c):
 *		KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, KVM_DIRTY_LOG_INITIALLY_SET.
 * @tss_addr:	KVM_SET_TSS_ADDR's value, kept (x86/events.c): with
 *		unrestricted guest / NPT nothing emulates real mode, so
 *		nothing uses it.
 * @identity_map_addr: [lock] KVM_SET_IDENTITY_MAP_ADDR's value, kept
 *		likewise (no EPT identity map without vm86-style real mode).
 * @coalesced_ring: [c] The coalesced MMIO/PIO ring (coalesced.c), one
 *		page mapped into every vCPU fd at KVM_COALESCED_MMIO_PAGE_OFFSET;
 *		userspace may write it at any time.
 * @ring_lock:	Serialises the vCPUs appending to @coalesced_ring.
 * @coalesced_zones: [irq_lock] Registered zones (coalesced.c).
 */
struct mkvm {
	struct mm_struct *mm;
	struct list_head list;
	unsigned int id;
	struct kref users;
	struct mutex lock;		/* see @lock above */
	struct mutex mmu_lock;		/* see @mmu_lock above */
	struct mkvm_memslot slots[MKVM_NR_MEMSLOTS];
	u64 slots_gen;
	unsigned long pinned;
	unsigned long charged;
	struct mkvm_vcpu *vcpus[MKVM_MAX_VCPUS];
	unsigned int nr_vcpus;
	atomic_t tlb_gen;
	struct dentry *debugfs;
	struct mkvm_mmu *mmu;
	void *arch;
	struct mutex irq_lock;		/* see @irq_lock above */
	struct mkvm_io_bus __rcu *buses[MKVM_NR_BUSES];
	struct mkvm_ioapic *ioapic;
	struct mkvm_pic *pic;
	struct mkvm_pit *pit;
	struct mkvm_irq_routing __rcu *routing;
	struct list_head irqfds;
	spinlock_t irqfd_lock;		/* see @irqfd_lock above */
	unsigned int nr_irqfds;
	struct list_head ioeventfds;
	spinlock_t clock_lock;		/* see @clock_lock above */
	bool clock_stable;
	s64 clock_offset;
	u64 clock_master_tsc;
	u64 clock_master_ns;
	u64 clock_wall_msr;
	u32 max_vcpu_ids;
	u64 tsc_base;
	u64 manual_dirty_log_protect;
	u64 tss_addr;
	u64 identity_map_addr;
	struct kvm_coalesced_mmio_ring *coalesced_ring;
	spinlock_t ring_lock;		/* see @ring_lock above */
	struct list_head coalesced_zones;
};

/* Has KVM_CREATE_IRQCHIP run? */
static inline bool mkvm_irqchip_in_kernel(struct mkvm *vm)
{
	/* Pairs with smp_store_release() in mkvm_create_irqchip(). */
	return smp_load_acquire(&vm->ioapic);
}

/**
 * struct mkvm_debugregs - the guest's debug registers (x86/debugreg.c)
 * @db:     DR0-DR3
 * @dr6:    DR6
 * @dr7:    DR7
 * @loaded: @db is in the physical DR0-DR3 for this entry
 */
struct mkvm_debugregs {
	unsigned long db[4];
	unsigned long dr6;
	unsigned long dr7;
	bool loaded;
};

/**
 * struct mkvm_vcpu - one virtual CPU
 * @vm:		[c] The VM; the vCPU fd holds a reference on the VM fd.
 * @id:		[c] The KVM_CREATE_VCPU argument (the APIC ID).
 * @run:	[c] The shared kvm_run page (mmap offset 0). Userspace can
 *		write it at any time: copy, then validate, never re-read.
 * @pio_page:	[c] The PIO data page (mmap offset KVM_PIO_PAGE_OFFSET).
 * @mutex:	Held by every vCPU ioctl, so register state cannot change
 *		under KVM_RUN.
 * @cpu:	The CPU the vCPU was last loaded on, or -1.
 * @preempt:	Preempt notifier: the vendor reloads per-CPU state when the
 *		thread moves (sched_in) and saves it when it leaves
 *		(sched_out).
 * @pending_io:	A KVM_EXIT_IO/KVM_EXIT_MMIO read waits for its data: the
 *		next KVM_RUN completes it before anything else.
 * @pending_io_size: Access size of that read (1, 2 or 4 for PIO), fixed
 *		at exit time: userspace may rewrite run->io meanwhile.
 * @pending_ins: An INS exit waits for its data: @pending_ins_count
 *		elements of @pending_io_size go to guest-physical
 *		@pending_ins_gpa (x86/pio.c).
 * @pending_ins_gpa: Where (fixed at exit time, within one page).
 * @pending_ins_count: How many elements.
 * @pending_ins_next_rip: RIP after the INS, for its completion: like KVM,
 *		rDI, rCX and RIP move only when the data arrives.
 * @pending_ins_amask: Its address-size mask (rDI, rCX).
 * @pending_ins_rep: It has a REP prefix.
 * @pending_ins_back: EFLAGS.DF was set (rDI counts down).
 * @pending_mmio: A KVM_EXIT_MMIO read waits for its data (x86/mmio.c).
 * @mmio_insn:	The decode of that read, kept from exit time.
 * @seen_tlb_gen: The VM @tlb_gen this vCPU's TLB is current for.
 * @cpuid:	[u] The table KVM_SET_CPUID2 installed (CPUID exits answer
 *		from it), @cpuid_nent entries; NULL until set.
 * @cpuid_nent:	[u] Its length.
 * @has_run:	[u] KVM_RUN has entered the guest at least once; KVM then
 *		refuses a different CPUID table.
 * @msrs:	[u] MSRs in plain storage (x86/msr.c).
 * @stat:	Event counters (enum mkvm_stat), written only by the vCPU
 *		thread, read racily by debugfs.
 * @debugfs:	[c] Its directory under the VM's (debugfs.c), or NULL.
 * @fpu:	[c] The guest's x87/SSE/AVX state: a 4 KiB XSAVE area in the
 *		standard format (x86/xsave.c); its first 512 bytes are the
 *		FXSAVE image KVM_GET/SET_FPU read and write.
 * @xcr0:	[u] The guest's XCR0 (x86/xsave.c).
 * @xfer:	[c] What xfer_to_guest_mode_handle_work() needs on this kernel
 *		(xfer.c), or NULL.
 * @arch:	[c] The vendor's per-vCPU state (VMCB/VMCS...).
 * @lapic:	[c] The in-kernel local APIC (x86/lapic.c), NULL without
 *		KVM_CREATE_IRQCHIP.
 * @mp_state:	[u] KVM_MP_STATE_*: RUNNABLE, HALTED, UNINITIALIZED (an AP
 *		before INIT) or INIT_RECEIVED (waiting for SIPI).
 * @wq:		The vCPU thread sleeps here while halted (x86/irq.c).
 * @mode:	MKVM_IN_GUEST between the last pre-entry check and the
 *		exit; a kick sends an IPI only then.
 * @requests:	MKVM_REQ_* bits set by other threads (atomic bitops).
 * @nmi_masked:	[u] An injected NMI's handler has not executed IRET yet.
 * @clock_cpu:	The CPU the kvmclock record was last published from
 *		(unstable hosts only; x86/kvmclock.c), or -1.
 * @dr:		[u] The guest's debug registers (x86/debugreg.c).
 * @irq_queued:	[u] An external interrupt the VMM injected (KVM_INTERRUPT,
 *		KVM_SET_VCPU_EVENTS) waiting for the injection field, or -1
 *		(x86/events.c).
 * @nmi_pending: NMIs from the VMM (KVM_NMI, KVM_SET_VCPU_EVENTS): at most
 *		two, one if NMIs are blocked (x86/events.c); those from the
 *		local APIC wait in the APIC, coalesced to one.
 * @tsc_khz:	[u] KVM_GET/SET_TSC_KHZ: the guest TSC rate asked for.
 * @clock_stopped: [u] KVM_KVMCLOCK_CTRL: the next kvmclock record carries
 *		PVCLOCK_GUEST_STOPPED (x86/kvmclock.c).
 */

struct mkvm_vcpu {
	struct mkvm *vm;
	unsigned int id;
	struct kvm_run *run;
	void *pio_page;
	struct mutex mutex;	/* see @mutex above */
	int cpu;
	struct preempt_notifier preempt;
	bool pending_io;
	unsigned int pending_io_size;
	bool pending_ins;
	u64 pending_ins_gpa;
	u64 pending_ins_count;
	u64 pending_ins_next_rip;
	u64 pending_ins_amask;
	bool pending_ins_rep;
	bool pending_ins_back;
	bool pending_mmio;
	struct mkvm_insn mmio_insn;
	int seen_tlb_gen;
	struct kvm_cpuid_entry2 *cpuid;
	int cpuid_nent;
	bool has_run;
	struct mkvm_vcpu_msrs msrs;
	u64 stat[MKVM_STAT_NR];
	struct dentry *debugfs;
	void *fpu;
	u64 xcr0;
	void *xfer;
	void *arch;
	struct mkvm_lapic *lapic;
	int mp_state;
	wait_queue_head_t wq;
	int mode;
	unsigned long requests;
	bool nmi_masked;
	int clock_cpu;
	struct mkvm_debugregs dr;
	int irq_queued;
	atomic_t nmi_pending;
	u32 tsc_khz;
	bool clock_stopped;
};

/* vcpu->requests bits: MKVM_REQ_EVENT (irq.h) is bit 0. */
#define MKVM_REQ_CLOCK		1	/* republish the kvmclock record */

/* Only the vCPU's own thread counts, so no atomics; readers may race. */
static inline void mkvm_stat_inc(struct mkvm_vcpu *vcpu, enum mkvm_stat s)
{
	WRITE_ONCE(vcpu->stat[s], vcpu->stat[s] + 1);
}

/* vcpu.c */
bool mkvm_report_failed_entry(struct mkvm_vcpu *vcpu, const char *why);

/* x86/run.c */
int mkvm_vcpu_enter_guest(struct mkvm_vcpu *vcpu);

/* xfer.c */
int mkvm_xfer_init(struct mkvm_vcpu *vcpu);
void mkvm_xfer_free(struct mkvm_vcpu *vcpu);
bool mkvm_xfer_work_pending(void);
int mkvm_xfer_handle_work(struct mkvm_vcpu *vcpu);

/* debugfs.c */
void mkvm_debugfs_vm_add(struct mkvm *vm);
void mkvm_debugfs_vm_remove(struct mkvm *vm);
void mkvm_debugfs_vcpu_add(struct mkvm_vcpu *vcpu);
void mkvm_debugfs_vcpu_remove(struct mkvm_vcpu *vcpu);

/* memslot.c */
int mkvm_set_memory_region(struct mkvm *vm,
			   const struct kvm_userspace_memory_region *mem);
void mkvm_memslots_destroy(struct mkvm *vm);
struct mkvm_memslot *mkvm_gfn_to_slot(struct mkvm *vm, u64 gfn);
int mkvm_read_guest(struct mkvm *vm, u64 gpa, void *buf, unsigned int len);
int mkvm_write_guest(struct mkvm *vm, u64 gpa, const void *buf,
		     unsigned int len);
int mkvm_map_gpa(struct mkvm *vm, u64 gpa, bool write, bool huge_ok);
int mkvm_get_dirty_log(struct mkvm *vm, struct kvm_dirty_log *log);
int mkvm_clear_dirty_log(struct mkvm *vm, struct kvm_clear_dirty_log *log);
int mkvm_enable_manual_dirty_log(struct mkvm *vm, u64 flags);
/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2's answer: the flags minikvm takes. */
#define MKVM_DIRTY_LOG_MANUAL_CAPS \
	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET)

/* x86/kvmclock.c */
extern bool mkvm_kvmclock_ok;
bool mkvm_kvmclock_setup(void);
void mkvm_kvmclock_vm_init(struct mkvm *vm);
void mkvm_kvmclock_update(struct mkvm_vcpu *vcpu);
void mkvm_kvmclock_vcpu_moved(struct mkvm_vcpu *vcpu, int cpu);
int mkvm_kvmclock_get_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *data);
int mkvm_kvmclock_set_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 data);
void mkvm_kvmclock_cpuid(struct kvm_cpuid_entry2 *e, u32 fn);
long mkvm_kvmclock_ioctl(struct mkvm *vm, unsigned int ioctl,
			 void __user *argp);
long mkvm_kvmclock_cap(void);
int mkvm_kvmclock_ctrl(struct mkvm_vcpu *vcpu);

/* caps.c */
bool mkvm_can_run_guests(void);
bool mkvm_can_run_irqchip(void);

/* vm.c */
void mkvm_vm_get(struct mkvm *vm);
void mkvm_vm_put(struct mkvm *vm);

/* vcpu.c */
int mkvm_vcpu_create(struct mkvm *vm, unsigned long id);
void mkvm_vcpu_free(struct mkvm_vcpu *vcpu);

/* x86/cpuid.c */
#define MKVM_MAX_CPUID_ENTRIES	256
long mkvm_get_supported_cpuid(struct kvm_cpuid2 __user *argp);
long mkvm_vcpu_set_cpuid2(struct mkvm_vcpu *vcpu,
			  struct kvm_cpuid2 __user *argp);
long mkvm_vcpu_get_cpuid2(struct mkvm_vcpu *vcpu,
			  struct kvm_cpuid2 __user *argp);
void mkvm_cpuid_emulate(struct mkvm_vcpu *vcpu, u32 *eax, u32 *ebx, u32 *ecx,
			u32 *edx, bool osxsave);
bool mkvm_cpuid_lookup(struct mkvm_vcpu *vcpu, u32 *eax, u32 *ebx, u32 *ecx,
		       u32 *edx);
bool mkvm_cpuid_has_xsave(struct mkvm_vcpu *vcpu);

/* x86/xsave.c */
extern u64 mkvm_supported_xcr0;
void mkvm_xsave_init(void);
u32 mkvm_xsave_size(u64 xcr0);
int mkvm_fpu_alloc(struct mkvm_vcpu *vcpu);
void mkvm_fpu_free(struct mkvm_vcpu *vcpu);
void mkvm_fpu_reset(struct mkvm_vcpu *vcpu);
void mkvm_fpu_legacy_changed(struct mkvm_vcpu *vcpu);
int mkvm_fpu_enter(struct mkvm_vcpu *vcpu);
void mkvm_fpu_exit(struct mkvm_vcpu *vcpu);
int mkvm_emulate_xsetbv(struct mkvm_vcpu *vcpu, u32 index, u64 value,
			unsigned int cpl);
void mkvm_vcpu_get_xsave(struct mkvm_vcpu *vcpu, struct kvm_xsave *xs);
int mkvm_vcpu_set_xsave(struct mkvm_vcpu *vcpu, const struct kvm_xsave *xs);
void mkvm_vcpu_get_xcrs(struct mkvm_vcpu *vcpu, struct kvm_xcrs *x);
int mkvm_vcpu_set_xcrs(struct mkvm_vcpu *vcpu, const struct kvm_xcrs *x);

/* x86/msr.c */
int mkvm_get_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *data);
int mkvm_set_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 data, bool host);
long mkvm_get_msr_index_list(struct kvm_msr_list __user *argp);
bool mkvm_apic_base_valid(u64 data);
long mkvm_vcpu_msrs_ioctl(struct mkvm_vcpu *vcpu, struct kvm_msrs __user *argp,
			  bool set);
void mkvm_vcpu_msrs_reset(struct mkvm_vcpu *vcpu);

/* x86/fpu.c */
void mkvm_vcpu_get_fpu(struct mkvm_vcpu *vcpu, struct kvm_fpu *fpu);
int mkvm_vcpu_set_fpu(struct mkvm_vcpu *vcpu, const struct kvm_fpu *fpu);

/* x86/hypercall.c */
void mkvm_emulate_hypercall(struct mkvm_vcpu *vcpu);

/* x86/events.c */
void mkvm_events_vcpu_init(struct mkvm_vcpu *vcpu);
long mkvm_events_vcpu_ioctl(struct mkvm_vcpu *vcpu, unsigned int ioctl,
			    unsigned long arg);
long mkvm_events_vm_ioctl(struct mkvm *vm, unsigned int ioctl,
			  unsigned long arg);
bool mkvm_nmi_pending(struct mkvm_vcpu *vcpu);
void mkvm_nmi_take(struct mkvm_vcpu *vcpu);
void mkvm_inject_user_events(struct mkvm_vcpu *vcpu);
bool mkvm_irq_window_open(struct mkvm_vcpu *vcpu);
void mkvm_post_run_save(struct mkvm_vcpu *vcpu);

/* x86/debugreg.c */
void mkvm_dr_reset(struct mkvm_vcpu *vcpu);
int mkvm_emulate_mov_dr(struct mkvm_vcpu *vcpu, unsigned int dr,
			unsigned int gpr, bool to_dr);
void mkvm_dr_enter(struct mkvm_vcpu *vcpu, bool load_dr6);
void mkvm_dr_exit(struct mkvm_vcpu *vcpu);
void mkvm_vcpu_get_debugregs(struct mkvm_vcpu *vcpu, struct kvm_debugregs *d);
int mkvm_vcpu_set_debugregs(struct mkvm_vcpu *vcpu,
			    const struct kvm_debugregs *d);

/*
 * General-purpose registers by their x86 encoding (SDM Vol. 2A Table 2-2):
 * the slots of the vendors' register arrays and the numbers of
 * mkvm_arch_ops.read_gpr/write_gpr.
 */
enum {
	MKVM_R_RAX, MKVM_R_RCX, MKVM_R_RDX, MKVM_R_RBX,
	MKVM_R_RSP, MKVM_R_RBP, MKVM_R_RSI, MKVM_R_RDI,
	MKVM_R_R8, MKVM_R_R9, MKVM_R_R10, MKVM_R_R11,
	MKVM_R_R12, MKVM_R_R13, MKVM_R_R14, MKVM_R_R15,
};

/* kvm_regs fields by x86 register encoding (SDM Vol. 2A Table 2-2). */
static inline u64 *mkvm_gpr(struct kvm_regs *r, unsigned int n)
{
	u64 *map[16] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi,
		&r->rdi, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
		&r->r14, &r->r15,
	};

	return map[n & 15];
}

/* x86/mmio.c */
void mkvm_guest_walk_env(struct mkvm_vcpu *vcpu, const struct kvm_sregs *s,
			 struct mkvm_walk_env *env);
int mkvm_handle_mmio(struct mkvm_vcpu *vcpu, u64 gpa, bool write);
/* "The walk raised no #PF": no page-fault error code has all bits set. */
#define MKVM_PFEC_NONE	U32_MAX
int mkvm_inject_walk_fault(struct mkvm_vcpu *vcpu, int err, u64 gva, u32 ec);
void mkvm_complete_mmio_read(struct mkvm_vcpu *vcpu);
int mkvm_fetch_mov_crdr(struct mkvm_vcpu *vcpu, u8 *op, unsigned int *cr,
			unsigned int *gpr);

/* x86/pio.c */
bool mkvm_pio_in_kernel(struct mkvm_vcpu *vcpu, bool in, unsigned int size,
			u16 port);
int mkvm_handle_string_pio(struct mkvm_vcpu *vcpu, bool in, unsigned int size,
			   u16 port, u64 next_rip);
int mkvm_complete_string_pio_in(struct mkvm_vcpu *vcpu);

/* x86/sregs.c */
int mkvm_check_sregs(struct mkvm_vcpu *vcpu, const struct kvm_sregs *sregs);
u64 mkvm_cr4_allowed(void);
void mkvm_vcpu_kick_all(struct mkvm *vm);

/* dev.c */
int mkvm_dev_init(void);
void mkvm_dev_exit(void);

/* vm.c */
int mkvm_vm_create(unsigned long type);
extern struct mutex mkvm_vm_list_lock;
extern struct list_head mkvm_vm_list;

/* caps.c */
long mkvm_check_extension(struct mkvm *vm, long cap);

/* coalesced.c */
int mkvm_coalesced_init(struct mkvm *vm);
void mkvm_coalesced_destroy(struct mkvm *vm);
long mkvm_coalesced_ioctl(struct mkvm *vm, unsigned int ioctl,
			  void __user *argp);

/* virt.c: the hardware-enable reference count */
int mkvm_virt_init(void);
void mkvm_virt_exit(void);
int mkvm_virt_get(void);
void mkvm_virt_put(void);
void mkvm_virt_show(struct seq_file *m);
bool mkvm_virt_rebooting(void);

/* debugfs.c */
void mkvm_debugfs_init(void);
void mkvm_debugfs_exit(void);

#endif /* MKVM_MINIKVM_H */
