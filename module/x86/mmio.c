// SPDX-License-Identifier: GPL-2.0
/*
 * x86/mmio.c - turning a guest access outside RAM into KVM_EXIT_MMIO.
 *
 * A nested page fault (SVM) or EPT violation (VMX) on an address that is
 * not RAM - or a write to a read-only memslot - says only "this
 * guest-physical address, read or write". To tell userspace how many bytes
 * and what data, the instruction at CS:RIP is fetched once through the
 * guest's own page tables (pgwalk.c) and decoded (decode.c); the access
 * becomes KVM_EXIT_MMIO (Documentation/virt/kvm/api.rst 5, "KVM_EXIT_MMIO"),
 * RIP moves past the instruction, and a read's data is put in the
 * destination register at the next KVM_RUN, before anything else runs -
 * from the decode saved at exit time, never by decoding again.
 *
 * Trust: the bytes may have changed since the CPU faulted (another vCPU,
 * CVE-2010-0306), so a decode whose direction disagrees with the fault, an
 * access that crosses a page, or anything the decoder does not know ends
 * in KVM_EXIT_INTERNAL_ERROR (suberror EMULATION, with the address, RIP and
 * the instruction bytes in data[]); the host is never at risk.
 *
 * Before any of that reaches userspace, the decoded access is offered to
 * the vCPU's local APIC page (x86/lapic.c) and then to the in-kernel MMIO
 * bus (iobus.c: the IOAPIC, ioeventfds, coalesced MMIO zones); when one of
 * them takes it the guest continues without an exit.
 *
 * Non-goals for now: injecting #PF/#GP when the fetch itself faults (it
 * cannot for an instruction that just executed unless another vCPU changed
 * the page tables; such a guest gets an internal error), string and
 * read-modify-write instructions, PAE PDPTE registers on VMX.
 */
#include <linux/kvm.h>
#include <asm/traps.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "../minikvm.h"
#include "../arch_ops.h"
#include "decode.h"
#include "pgwalk.h"

/*
 * Guest-physical reads for the walker. -EFAULT from the walker must mean
 * "the guest takes a #PF" and nothing else (mkvm_inject_walk_fault()), so
 * memory that is not RAM (no slot: the reset vector of a VM without
 * memslots, a page table in MMIO space) is -ENXIO here: an emulation
 * failure for userspace, as in KVM, never a #PF the guest would loop on.
 */
static int mkvm_walk_read_gpa(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	int r = mkvm_read_guest(ctx, gpa, buf, len);

	return r == -EFAULT ? -ENXIO : r;
}

/**
 * mkvm_guest_walk_env() - describe the vCPU's paging for x86/pgwalk.c
 * @vcpu: the vCPU
 * @s:    its current KVM_GET_SREGS state
 * @env:  filled in; page-table reads go through the VM's memslots
 */
void mkvm_guest_walk_env(struct mkvm_vcpu *vcpu, const struct kvm_sregs *s,
			 struct mkvm_walk_env *env)
{
	memset(env, 0, sizeof(*env));
	env->cr0 = s->cr0;
	env->cr3 = s->cr3;
	env->cr4 = s->cr4;
	env->efer = s->efer;
	env->maxphyaddr = boot_cpu_data.x86_phys_bits;
	env->flags = mkvm_ops->walk_flags;
	env->read_gpa = mkvm_walk_read_gpa;
	env->ctx = vcpu->vm;
	/* VMX keeps a PAE guest's PDPTEs in the VMCS, not at CR3. */
	if (mkvm_ops->pdptrs)
		env->pdptrs = mkvm_ops->pdptrs(vcpu);
}

static int mkvm_mmio_fail(struct mkvm_vcpu *vcpu, u64 gpa, u64 rip,
			  const u8 *bytes, unsigned int n)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 4;
	memset(run->internal.data, 0, 4 * sizeof(run->internal.data[0]));
	run->internal.data[0] = gpa;
	run->internal.data[1] = rip;
	memcpy(&run->internal.data[2], bytes, min(n, 16u));
	return 0;
}

/* The local APIC page, then the MMIO bus; true when one took the access. */
static bool mkvm_mmio_in_kernel(struct mkvm_vcpu *vcpu, u64 gpa,
				const struct mkvm_insn *insn,
				struct kvm_regs *regs)
{
	u64 *reg = mkvm_gpr(regs, insn->reg);
	u64 data = 0;

	if (insn->write) {
		data = mkvm_insn_write_data(insn, *reg);
		return mkvm_lapic_mmio(vcpu, gpa, true, insn->size, &data) ||
		       !mkvm_io_bus_write(vcpu, MKVM_MMIO_BUS, gpa, insn->size,
					  &data);
	}
	if (!mkvm_lapic_mmio(vcpu, gpa, false, insn->size, &data) &&
	    mkvm_io_bus_read(vcpu, MKVM_MMIO_BUS, gpa, insn->size, &data))
		return false;
	*reg = mkvm_insn_read_result(insn, *reg, data);
	return true;
}

/**
 * mkvm_inject_walk_fault() - the guest takes the #PF a page walk found
 * @vcpu: the vCPU whose instruction is being emulated
 * @err:  what mkvm_gva_to_gpa()/mkvm_read_gva() returned
 * @gva:  the linear address that faulted (becomes CR2)
 * @ec:   the page-fault error code the walk computed
 *
 * An instruction minikvm completes on the guest's behalf (MMIO, string
 * I/O) touches guest memory through the guest's page tables; when the
 * walk says the CPU would have faulted, the guest sees that very #PF
 * (SDM Vol. 3A 4.7) at the instruction, exactly as if it had faulted
 * natively, and the instruction is not retired.
 *
 * The walker answers -EFAULT both for a #PF and for guest-physical memory
 * it could not read (no RAM there); only the former sets the error code,
 * so callers start with @ec = MKVM_PFEC_NONE and anything else is an
 * internal error, never a #PF the guest could loop on.
 *
 * Return: 1 (enter the guest again) when @err was a page fault; 0 when it
 * was not one (the caller reports an internal error).
 */
int mkvm_inject_walk_fault(struct mkvm_vcpu *vcpu, int err, u64 gva, u32 ec)
{
	if (err != -EFAULT || ec == MKVM_PFEC_NONE)
		return 0;
	mkvm_ops->queue_exception(vcpu, X86_TRAP_PF, true, ec, gva);
	return 1;
}

/**
 * mkvm_handle_mmio() - emulate one guest access to a non-RAM address
 * @vcpu:  the vCPU that faulted (its mutex held, preemption enabled)
 * @gpa:   the guest-physical address of the access
 * @write: the fault says it was a write
 *
 * Return: 1 to re-enter (an in-kernel device took the access, or the
 * guest takes a #PF: the instruction fetch faulted), else 0 with
 * vcpu->run filled (KVM_EXIT_MMIO or an internal error).
 */
int mkvm_handle_mmio(struct mkvm_vcpu *vcpu, u64 gpa, bool write)
{
	struct kvm_run *run = vcpu->run;
	struct mkvm_walk_env env;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct mkvm_insn insn;
	enum mkvm_cpu_mode mode;
	u8 bytes[MKVM_INSN_MAX_LEN] = { 0 };
	unsigned int done = 0;
	u32 ec = MKVM_PFEC_NONE;
	u64 linear;
	int err;

	mkvm_ops->get_regs(vcpu, &regs);
	mkvm_ops->get_sregs(vcpu, &sregs);

	mode = mkvm_cpu_mode(sregs.cr0 & X86_CR0_PE, sregs.efer & EFER_LMA,
			     regs.rflags & X86_EFLAGS_VM, sregs.cs.l,
			     sregs.cs.db);
	/* 64-bit mode ignores CS.base; elsewhere addresses wrap at 4 GiB. */
	if (mode == MKVM_MODE_64)
		linear = regs.rip;
	else
		linear = (u32)(sregs.cs.base + regs.rip);

	mkvm_guest_walk_env(vcpu, &sregs, &env);
	err = mkvm_read_gva(&env, linear,
			    MKVM_WALK_FETCH |
			    (sregs.ss.dpl == 3 ? MKVM_WALK_USER : 0),
			    bytes, sizeof(bytes), &done, &ec);

	/*
	 * Whatever was fetched is decoded; too few bytes is -EINVAL. When
	 * the fetch stopped at a page the guest cannot execute from (its
	 * page tables changed since the CPU fetched the instruction), the
	 * guest gets the #PF a native fetch would take.
	 */
	if (!done || mkvm_decode_mmio(bytes, done, mode, &insn)) {
		if (mkvm_inject_walk_fault(vcpu, err, linear + done, ec))
			return 1;
		return mkvm_mmio_fail(vcpu, gpa, regs.rip, bytes, done);
	}
	if (insn.write != write ||
	    (gpa & ~PAGE_MASK) + insn.size > PAGE_SIZE)
		return mkvm_mmio_fail(vcpu, gpa, regs.rip, bytes, done);

	mkvm_stat_inc(vcpu, MKVM_STAT_MMIO);
	if (mkvm_mmio_in_kernel(vcpu, gpa, &insn, &regs)) {
		regs.rip += insn.len;
		if (mode != MKVM_MODE_64)
			regs.rip = (u32)regs.rip;
		mkvm_ops->set_regs(vcpu, &regs);
		return 1;
	}

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = insn.size;
	run->mmio.is_write = insn.write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (insn.write) {
		u64 data = mkvm_insn_write_data(&insn,
						*mkvm_gpr(&regs, insn.reg));

		memcpy(run->mmio.data, &data, insn.size);
	} else {
		vcpu->pending_mmio = true;
		vcpu->mmio_insn = insn;
	}
	regs.rip += insn.len;
	if (mode != MKVM_MODE_64)
		regs.rip = (u32)regs.rip;
	mkvm_ops->set_regs(vcpu, &regs);
	return 0;
}

/**
 * mkvm_complete_mmio_read() - put userspace's data where the read went
 * @vcpu: the vCPU (its mutex held)
 *
 * run->mmio.data is read once; the size and register come from the decode
 * saved at exit time, not from the shared page.
 */
void mkvm_complete_mmio_read(struct mkvm_vcpu *vcpu)
{
	const struct mkvm_insn *insn = &vcpu->mmio_insn;
	struct kvm_regs regs;
	u64 data = 0, *reg;

	memcpy(&data, vcpu->run->mmio.data, insn->size);
	mkvm_ops->get_regs(vcpu, &regs);
	reg = mkvm_gpr(&regs, insn->reg);
	*reg = mkvm_insn_read_result(insn, *reg, data);
	mkvm_ops->set_regs(vcpu, &regs);
}

/**
 * mkvm_fetch_mov_crdr() - fetch and decode the MOV CR/DR at CS:RIP
 * @vcpu: the vCPU, stopped at the instruction
 * @op:   set to 20h-23h (mkvm_decode_mov_crdr())
 * @cr:   set to the control or debug register
 * @gpr:  set to the general register
 *
 * For SVM's CR and DR intercepts without DecodeAssists.
 *
 * Return: the instruction's length, or -EINVAL when the bytes at RIP could
 * not be read or are not such a MOV (another vCPU rewrote them).
 */
int mkvm_fetch_mov_crdr(struct mkvm_vcpu *vcpu, u8 *op, unsigned int *cr,
			unsigned int *gpr)
{
	struct mkvm_walk_env env;
	struct kvm_sregs s;
	struct kvm_regs r;
	u8 b[MKVM_INSN_MAX_LEN];
	unsigned int done = 0;
	enum mkvm_cpu_mode mode;
	u32 ec;

	mkvm_ops->get_regs(vcpu, &r);
	mkvm_ops->get_sregs(vcpu, &s);
	mode = mkvm_cpu_mode(s.cr0 & X86_CR0_PE, s.efer & EFER_LMA,
			     r.rflags & X86_EFLAGS_VM, s.cs.l, s.cs.db);
	mkvm_guest_walk_env(vcpu, &s, &env);
	mkvm_read_gva(&env, mode == MKVM_MODE_64 ? r.rip : (u32)(s.cs.base + r.rip),
		      MKVM_WALK_FETCH, b, sizeof(b), &done, &ec);
	return mkvm_decode_mov_crdr(b, done, mode, op, cr, gpr);
}
