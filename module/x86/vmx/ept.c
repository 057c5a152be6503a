// SPDX-License-Identifier: GPL-2.0
/*
 * x86/vmx/ept.c - extended page tables (EPT) and virtual-processor
 * identifiers (VPIDs).
 *
 * EPT (Intel SDM Vol. 3C, 29.3): with "enable EPT" the CPU translates
 * guest-physical addresses through a second 4-level tree rooted at the
 * EPT pointer (EPTP, 25.6.11). Its entries are not the ordinary paging
 * format: bits 0/1/2 are read/write/execute permission (an entry is
 * "present" when any of them is set), a leaf's bits 5:3 give the memory
 * type (6 = write-back) and bit 6 says whether the guest's PAT may change
 * it (29.3.7). Only the entry format is ours; mmu.c builds and tears down
 * the tree for EPT and NPT alike. The tree starts empty and is filled
 * lazily from EPT-violation exits (exit.c -> mkvm_vmx_map_gpa()), exactly
 * like SVM's nested page faults. A combination the CPU cannot use (write
 * without read, a reserved memory type) is an EPT misconfiguration exit
 * (29.3.3.1), which exit.c turns into an internal error.
 *
 * TLBs (29.4): with EPT the CPU caches guest-physical mappings (tagged by
 * EPTP) and combined mappings (tagged by EPTP, VPID and PCID). INVEPT
 * single-context drops both for one EPTP. A vCPU flushes before entering
 * when its CPU changed since its last entry (that CPU may still hold
 * mappings from before an unmap), when the VM's TLB generation moved (an
 * unmap), and when SET_SREGS changed its paging (INVVPID then suffices).
 * VPIDs (29.1) spare the flush of linear mappings at every VM entry and
 * exit; each vCPU gets one from an IDA, 0 (no VPID) when they run out.
 *
 * The companion file for AMD is x86/svm/npt.c.
 *
 * Guest RAM that the VMM backs with huge pages gets 2 MiB EPT leaves when
 * the CPU supports them (mmu.c, memslot.c mkvm_slot_pin_2m()), as on NPT.
 *
 * Non-goals: 1 GiB leaves, accessed/dirty flags, execute-only pages,
 * mode-based execute control, EPT-violation #VE.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/idr.h>
#include <linux/io.h>

#include "../../arch_ops.h"
#include "vmx.h"

#define EPT_R		BIT_ULL(0)
#define EPT_W		BIT_ULL(1)
#define EPT_X		BIT_ULL(2)
#define EPT_MT_WB	(6ULL << 3)	/* leaf memory type (29.3.7) */
#define EPT_PS		BIT_ULL(7)	/* in a PDE: 2 MiB page (Table 29-4) */

/* EPTP (25.6.11): memory type of the tables, walk length minus one. */
#define EPTP_MT_WB	6ULL
#define EPTP_WALK4	(3ULL << 3)

static u64 mkvm_ept_table(phys_addr_t pa)
{
	/* Non-leaf entries allow everything; the leaf decides. */
	return pa | EPT_R | EPT_W | EPT_X;
}

static u64 mkvm_ept_leaf(phys_addr_t pa, bool writable)
{
	/*
	 * Write-back, combined with the guest's PAT (IPAT = 0), as KVM does
	 * for ordinary RAM: the host maps the page write-back too.
	 */
	return pa | EPT_R | EPT_X | EPT_MT_WB | (writable ? EPT_W : 0);
}

static u64 mkvm_ept_huge_leaf(phys_addr_t pa, bool writable)
{
	return mkvm_ept_leaf(pa, writable) | EPT_PS;
}

static bool mkvm_ept_present(u64 e)
{
	return e & (EPT_R | EPT_W | EPT_X);
}

static bool mkvm_ept_is_huge(u64 e)
{
	return e & EPT_PS;
}

static const struct mkvm_mmu_fmt mkvm_ept_fmt = {
	.table = mkvm_ept_table,
	.leaf = mkvm_ept_leaf,
	.huge_leaf = mkvm_ept_huge_leaf,
	.present = mkvm_ept_present,
	.is_huge = mkvm_ept_is_huge,
	.addr_mask = GENMASK_ULL(51, 12),
};

/**
 * mkvm_vmx_vm_init() - allocate a VM's extended page tables
 * @vm: the new VM
 *
 * Return: 0, -ENODEV when this CPU lacks what guest execution needs (EPT,
 * unrestricted guest...; the reason is printed once per VM), -ENOMEM.
 */
int mkvm_vmx_vm_init(struct mkvm *vm)
{
	struct mkvm_vmx_vm *vmx_vm;
	int r;

	if (!mkvm_vmx_caps.can_run) {
		pr_info_ratelimited("VMX cannot run guests here: %s\n",
				    mkvm_vmx_caps.why_not);
		return -ENODEV;
	}
	vmx_vm = kzalloc(sizeof(*vmx_vm), GFP_KERNEL_ACCOUNT);
	if (!vmx_vm)
		return -ENOMEM;
	r = mkvm_mmu_init(&vmx_vm->ept, &mkvm_ept_fmt);
	if (r) {
		kfree(vmx_vm);
		return r;
	}
	vmx_vm->eptp = vmx_vm->ept.root_pa | EPTP_WALK4 | EPTP_MT_WB;
	vm->arch = vmx_vm;
	vm->mmu = &vmx_vm->ept;
	return 0;
}

/**
 * mkvm_vmx_vm_destroy() - free the extended page tables
 * @vm: the VM; no vCPU exists any more
 *
 * Every CPU that ran the VM may still cache its translations; they are
 * harmless (nothing uses this EPTP any more) and a later VM that reuses
 * the root page flushes on its first entry on each CPU.
 */
void mkvm_vmx_vm_destroy(struct mkvm *vm)
{
	struct mkvm_vmx_vm *vmx_vm = vm->arch;

	mkvm_mmu_free(&vmx_vm->ept);
	kfree(vmx_vm);
}

/**
 * mkvm_vmx_unmap_range() - remove EPT mappings of guest frames
 * @vm:     the VM
 * @gfn:    first frame
 * @npages: number of frames
 *
 * Context: vm->mmu_lock held; the caller bumps the TLB generation and
 * kicks every vCPU, which then INVEPTs before its next entry.
 */
void mkvm_vmx_unmap_range(struct mkvm *vm, u64 gfn, u64 npages)
{
	struct mkvm_vmx_vm *vmx_vm = vm->arch;

	lockdep_assert_held(&vm->mmu_lock);
	mkvm_mmu_unmap(&vmx_vm->ept, gfn, npages);
}

/**
 * mkvm_vmx_map_gpa() - handle an EPT violation on guest RAM
 * @vm:    the VM
 * @gpa:   the faulting guest-physical address
 * @write: the access was a write
 *
 * Context: process context of the VM's mm; may sleep.
 * Return: 1 when mapped (re-enter the guest), 0 when @gpa is not RAM or a
 * write hit a read-only slot (the caller treats it as MMIO), or a negative
 * errno (-EFAULT: the VMM's memory cannot be pinned).
 */
int mkvm_vmx_map_gpa(struct mkvm *vm, u64 gpa, bool write)
{
	/* 2 MiB leaves if EPT_VPID_CAP bit 16; memslot.c does the rest. */
	return mkvm_map_gpa(vm, gpa, write,
			    mkvm_vmx_caps.ept_vpid & MKVM_EPT_CAP_2M);
}

/**
 * mkvm_vmx_flush_tlb() - drop stale translations before a VM entry
 * @vcpu: the vCPU about to enter, its VMCS current
 * @cpu:  this CPU
 *
 * Context: interrupts disabled.
 */
void mkvm_vmx_flush_tlb(struct mkvm_vcpu *vcpu, int cpu)
{
	struct mkvm_vmx_vcpu *vmx = to_vmx(vcpu);
	struct mkvm_vmx_vm *vmx_vm = vcpu->vm->arch;
	int tlb_gen = atomic_read(&vcpu->vm->tlb_gen);
	u64 caps = mkvm_vmx_caps.ept_vpid;
	int r = 0;

	lockdep_assert_irqs_disabled();

	if (vmx->last_cpu != cpu || vcpu->seen_tlb_gen != tlb_gen) {
		if (caps & MKVM_EPT_CAP_INVEPT_SINGLE)
			r = mkvm_invept(1, vmx_vm->eptp);
		else
			r = mkvm_invept(2, 0);
		vmx->need_flush = false;
	} else if (vmx->need_flush && vmx->vpid) {
		if (caps & MKVM_VPID_CAP_INVVPID_SINGLE)
			r = mkvm_invvpid(1, vmx->vpid);
		else
			r = mkvm_invvpid(2, 0);
		vmx->need_flush = false;
	} else if (vmx->need_flush) {
		/* Without a VPID every VM entry flushes linear mappings. */
		vmx->need_flush = false;
	}
	if (r)
		pr_err_ratelimited("CPU %d: TLB invalidation %s (VM-instruction error %u)\n",
				   cpu, r == -EFAULT ? "faulted" : "failed",
				   r == -EIO ? mkvm_vmx_insn_error() : 0);
	vmx->last_cpu = cpu;
	vcpu->seen_tlb_gen = tlb_gen;
}

static DEFINE_IDA(mkvm_vpid_ida);

/**
 * mkvm_vmx_alloc_vpid() - a VPID for a new vCPU
 *
 * Return: 1..65535, or 0 (run without VPID) when VPIDs are not enabled or
 * all are taken.
 */
int mkvm_vmx_alloc_vpid(void)
{
	int r;

	if (!(mkvm_vmx_caps.cpu2 & SECONDARY_EXEC_ENABLE_VPID))
		return 0;
	r = ida_alloc_range(&mkvm_vpid_ida, 1, 0xffff, GFP_KERNEL);
	return r < 0 ? 0 : r;
}

/**
 * mkvm_vmx_free_vpid() - give a VPID back
 * @vpid: from mkvm_vmx_alloc_vpid(); 0 is ignored
 */
void mkvm_vmx_free_vpid(u16 vpid)
{
	if (vpid)
		ida_free(&mkvm_vpid_ida, vpid);
}
