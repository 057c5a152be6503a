// SPDX-License-Identifier: GPL-2.0
/*
 * x86/svm/npt.c - nested paging (NPT) and address space identifiers (ASIDs).
 *
 * Nested paging (AMD APM Vol. 2, 15.25): the CPU translates guest-physical
 * addresses through a second set of page tables rooted at the VMCB's
 * N_CR3, in the ordinary long-mode format. All nested accesses count as
 * user accesses (15.25.5), so every level has U/S=1. An access the tables
 * do not allow exits with #VMEXIT(NPF): EXITINFO1 holds a #PF-style error
 * code, EXITINFO2 the guest-physical address (15.25.6). minikvm fills the
 * tables lazily from that exit (memslot.c pins the page).
 *
 * ASIDs (15.16): TLB entries are tagged with the VMCB's ASID, so guest and
 * host translations coexist. Like KVM, ASIDs are handed out per CPU from a
 * counter; when a CPU runs out, its generation is bumped and the next entry
 * flushes that CPU's whole TLB (TLB_CONTROL=1, which every SVM CPU has; the
 * emulated EPYC has no flush-by-ASID). A vCPU that needs a clean TLB (after
 * moving CPU, after a second-level unmap, after SET_SREGS) just takes a new
 * ASID: one never used since the last flush has no stale entries.
 *
 * The companion file for Intel is x86/vmx/ept.c.
 *
 * Guest RAM that the VMM backs with huge pages gets 2 MiB NPT leaves
 * (mmu.c, memslot.c mkvm_slot_pin_2m()): fewer nested-walk levels and TLB
 * entries, which is most of what NPT costs.
 *
 * Non-goals: 1 GiB leaves, flush-by-ASID, accessed/dirty bits.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/io.h>

#include "../../arch_ops.h"
#include "svm.h"

#define NPT_P	BIT_ULL(0)
#define NPT_RW	BIT_ULL(1)
#define NPT_US	BIT_ULL(2)
#define NPT_PS	BIT_ULL(7)	/* in a PDE: 2 MiB page (APM Vol. 2 5.3.4) */

static u64 mkvm_npt_table(phys_addr_t pa)
{
	return pa | NPT_P | NPT_RW | NPT_US;
}

static u64 mkvm_npt_leaf(phys_addr_t pa, bool writable)
{
	/* PAT/PCD/PWT = 0: write-back, like the host's view of the page. */
	return pa | NPT_P | NPT_US | (writable ? NPT_RW : 0);
}

static u64 mkvm_npt_huge_leaf(phys_addr_t pa, bool writable)
{
	return mkvm_npt_leaf(pa, writable) | NPT_PS;
}

static bool mkvm_npt_present(u64 e)
{
	return e & NPT_P;
}

static bool mkvm_npt_is_huge(u64 e)
{
	return e & NPT_PS;
}

static const struct mkvm_mmu_fmt mkvm_npt_fmt = {
	.table = mkvm_npt_table,
	.leaf = mkvm_npt_leaf,
	.huge_leaf = mkvm_npt_huge_leaf,
	.present = mkvm_npt_present,
	.is_huge = mkvm_npt_is_huge,
	.addr_mask = GENMASK_ULL(51, 12),
};

/**
 * mkvm_svm_vm_init() - allocate a VM's nested page tables
 * @vm: the new VM
 *
 * Return: 0, -ENODEV without NPT (shadow paging is a non-goal), -ENOMEM.
 */
int mkvm_svm_vm_init(struct mkvm *vm)
{
	struct mkvm_svm_vm *svm_vm;
	int r;

	if (!(mkvm_svm_caps.features & MKVM_SVM_FEAT_NPT))
		return -ENODEV;
	svm_vm = kzalloc(sizeof(*svm_vm), GFP_KERNEL_ACCOUNT);
	if (!svm_vm)
		return -ENOMEM;
	r = mkvm_mmu_init(&svm_vm->npt, &mkvm_npt_fmt);
	if (r) {
		kfree(svm_vm);
		return r;
	}
	vm->arch = svm_vm;
	vm->mmu = &svm_vm->npt;
	return 0;
}

/**
 * mkvm_svm_vm_destroy() - free the nested page tables
 * @vm: the VM; no vCPU exists any more
 */
void mkvm_svm_vm_destroy(struct mkvm *vm)
{
	struct mkvm_svm_vm *svm_vm = vm->arch;

	mkvm_mmu_free(&svm_vm->npt);
	kfree(svm_vm);
}

/**
 * mkvm_svm_unmap_range() - remove nested mappings of guest frames
 * @vm:     the VM
 * @gfn:    first frame
 * @npages: number of frames
 *
 * Context: vm->mmu_lock held; the caller makes every vCPU flush.
 */
void mkvm_svm_unmap_range(struct mkvm *vm, u64 gfn, u64 npages)
{
	struct mkvm_svm_vm *svm_vm = vm->arch;

	lockdep_assert_held(&vm->mmu_lock);
	mkvm_mmu_unmap(&svm_vm->npt, gfn, npages);
}

/**
 * mkvm_svm_map_gpa() - handle a nested page fault on guest RAM
 * @vm:    the VM
 * @gpa:   the faulting guest-physical address
 * @write: the access was a write
 *
 * Context: process context of the VM's mm; may sleep.
 * Return: 1 when mapped (re-enter the guest), 0 when @gpa is not RAM or a
 * write hit a read-only slot (the caller treats it as MMIO), or a negative
 * errno (-EFAULT: the VMM's memory cannot be pinned).
 */
int mkvm_svm_map_gpa(struct mkvm *vm, u64 gpa, bool write)
{
	/* NPT always has 2 MiB leaves (APM 15.25.4); memslot.c does the rest. */
	return mkvm_map_gpa(vm, gpa, write, true);
}

/* Per-CPU ASID allocator state (APM 15.16.1). */
struct mkvm_svm_asid_state {
	u64 generation;
	u32 next;
	bool flush_all;
};

static DEFINE_PER_CPU(struct mkvm_svm_asid_state, mkvm_svm_asids) = {
	.generation = 1,
	.next = 1,
	.flush_all = true,
};

/**
 * mkvm_svm_asid_cpu_enabled() - SVM was just turned on for this CPU
 *
 * Description: whoever had SVM on this CPU since we last did (kvm_amd, or another
 * hypervisor, whose guests' translations stay tagged with their ASIDs in
 * the TLB: APM Vol. 2 15.16) may have used any ASID: start a new
 * generation, so that every vCPU takes a fresh one, and flush all ASIDs
 * at the next VMRUN. Once at module load was not enough: kvm_amd can run
 * guests between two of our enables (6.12's enable_virt_at_load=0).
 *
 * Context: interrupts disabled, this CPU.
 */
void mkvm_svm_asid_cpu_enabled(void)
{
	struct mkvm_svm_asid_state *st = this_cpu_ptr(&mkvm_svm_asids);

	lockdep_assert_irqs_disabled();
	st->generation++;
	st->next = 1;
	st->flush_all = true;
}

/**
 * mkvm_svm_pick_asid() - give the vCPU a usable ASID on this CPU
 * @vcpu: the vCPU about to enter
 * @cpu:  the current CPU
 *
 * Sets the VMCB's ASID and TLB_CONTROL. Keeps the ASID when it is still
 * valid and clean, otherwise takes a fresh one.
 *
 * Context: interrupts disabled.
 */
void mkvm_svm_pick_asid(struct mkvm_vcpu *vcpu, int cpu)
{
	struct mkvm_svm_asid_state *st = this_cpu_ptr(&mkvm_svm_asids);
	struct mkvm_svm_vcpu *svm = to_svm(vcpu);
	int tlb_gen = atomic_read(&vcpu->vm->tlb_gen);

	lockdep_assert_irqs_disabled();

	if (svm->asid && svm->asid_cpu == cpu &&
	    svm->asid_gen == st->generation && !svm->need_flush &&
	    vcpu->seen_tlb_gen == tlb_gen)
		return;

	if (st->next >= mkvm_svm_caps.nr_asids) {
		/* Out of ASIDs: start over, flushing everything once. */
		st->generation++;
		st->next = 1;
		st->flush_all = true;
	}
	svm->asid = st->next++;
	svm->asid_cpu = cpu;
	svm->asid_gen = st->generation;
	svm->need_flush = false;
	vcpu->seen_tlb_gen = tlb_gen;
	svm->vmcb->control.asid = svm->asid;
	if (st->flush_all) {
		svm->vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
		st->flush_all = false;
	}
}
