// SPDX-License-Identifier: GPL-2.0
/*
 * x86/pio.c - string port I/O (INS, OUTS, with or without REP), and plain
 * IN/OUT answered by in-kernel devices.
 *
 * A plain IN/OUT moves AL/AX/EAX and the vendor handles it. INS/OUTS move
 * guest memory instead: OUTS reads from seg:rSI (DS unless overridden), INS
 * writes to ES:rDI (Intel SDM Vol. 2A/2B INS, OUTS; AMD APM Vol. 3). Both
 * advance rSI/rDI by the element size (backwards when EFLAGS.DF is set),
 * and with REP repeat rCX times - address and count registers used at the
 * instruction's address size.
 *
 * To userspace this is KVM_EXIT_IO with count > 1 possible, the data in the
 * PIO page (api.rst 5). minikvm batches as kvm_amd does, which the pio
 * selftest checks on both devices: OUTS exits once per element; INS moves
 * as many elements as fit before the destination's page ends (and in the
 * PIO page), so its guest write never crosses a page. While rCX stays
 * non-zero RIP is left on the instruction, so the CPU executes it again -
 * exactly how a REP string instruction continues after an interrupt.
 * OUTS moves rSI/rCX/RIP at the exit; INS only when its data arrives,
 * with the rCX userspace left (KVM's emulator re-executes the INS then).
 *
 * A memory operand the guest's page tables do not map is the guest's #PF
 * (SDM Vol. 3A 4.7), injected before any I/O happens: for OUTS that is
 * what the CPU does (the read comes first); for INS KVM's emulator does
 * the port read first and faults on the write, so on /dev/kvm userspace
 * sees one KVM_EXIT_IO more before the same #PF.
 *
 * mkvm_pio_in_kernel() offers a plain IN/OUT to the in-kernel I/O bus
 * (iobus.c: ioeventfds, coalesced PIO zones, the PIC, the PIT) before the
 * vendor turns it into KVM_EXIT_IO; each element of an OUTS is offered
 * the same way.
 *
 * Non-goals for now: INS from in-kernel devices, #GP for bad segments and
 * segment limit checks (the VM gets KVM_EXIT_INTERNAL_ERROR instead).
 */
#include <linux/kvm.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "../minikvm.h"
#include "../arch_ops.h"
#include "decode.h"
#include "pgwalk.h"

static int mkvm_pio_fail(struct mkvm_vcpu *vcpu, u64 rip)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->internal.ndata = 1;
	run->internal.data[0] = rip;
	return 0;
}

/* Segment override prefix -> SEG encoding (0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS). */
static int mkvm_seg_prefix(u8 prefix)
{
	switch (prefix) {
	case 0x26:
		return 0;
	case 0x2e:
		return 1;
	case 0x36:
		return 2;
	case 0x64:
		return 4;
	case 0x65:
		return 5;
	default:
		return 3;
	}
}

/*
 * REP, address size and segment come from the instruction's own prefixes
 * (SDM Vol. 2A 2.1.1, 2.2.1), fetched once at CS:RIP - as KVM's emulator
 * does - rather than from the exit information: QEMU's SVM model encodes
 * the IOIO address-size bits one position off, and VMX reports them only
 * with an optional feature. Returns 0 and fills the three, or -EINVAL.
 */
static int mkvm_pio_prefixes(const struct mkvm_walk_env *env,
			     const struct kvm_sregs *s, const struct kvm_regs *r,
			     bool *rep, unsigned int *addr_size, int *seg)
{
	bool lm = (s->efer & EFER_LMA) && s->cs.l;
	u8 b[MKVM_INSN_MAX_LEN];
	unsigned int done = 0, i;
	u32 ec;
	u64 rip;

	rip = lm ? r->rip : (u32)(s->cs.base + r->rip);
	mkvm_read_gva(env, rip, MKVM_WALK_FETCH |
		      (s->ss.dpl == 3 ? MKVM_WALK_USER : 0), b, sizeof(b),
		      &done, &ec);
	*rep = false;
	*seg = 3;	/* DS */
	*addr_size = lm ? 8 : (!(s->cr0 & X86_CR0_PE) ||
			       (r->rflags & X86_EFLAGS_VM) || !s->cs.db) ? 2 : 4;
	for (i = 0; i < done; i++) {
		switch (b[i]) {
		case 0xf2:
		case 0xf3:
			*rep = true;
			continue;
		case 0x67:
			*addr_size = lm ? 4 : 6 - *addr_size;
			continue;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
		case 0x64:
		case 0x65:
			*seg = mkvm_seg_prefix(b[i]);
			continue;
		case 0x66:
		case 0xf0:
			continue;
		}
		if (lm && (b[i] & 0xf0) == 0x40)
			continue;	/* REX */
		/* INS 6C/6D, OUTS 6E/6F: the prefixes are known now. */
		return (b[i] & 0xfc) == 0x6c ? 0 : -EINVAL;
	}
	return -EINVAL;
}

static const struct kvm_segment *mkvm_seg(const struct kvm_sregs *s, int seg)
{
	/* The SEG encoding of SVM's EXITINFO1 and of VMX's instruction info. */
	switch (seg) {
	case 0:
		return &s->es;
	case 1:
		return &s->cs;
	case 2:
		return &s->ss;
	case 4:
		return &s->fs;
	case 5:
		return &s->gs;
	default:
		return &s->ds;
	}
}

/* @n elements of @size done: move rSI/rDI (@idx), rCX, and RIP when done. */
static void mkvm_pio_advance(struct kvm_regs *regs, u64 *idx, u64 n,
			     unsigned int size, u64 amask, bool rep, bool back,
			     u64 next_rip)
{
	*idx = (*idx & ~amask) | ((*idx + (back ? -n : n) * size) & amask);
	if (rep)
		regs->rcx = (regs->rcx & ~amask) | ((regs->rcx - n) & amask);
	if (!rep || !(regs->rcx & amask))
		regs->rip = next_rip;
}

/**
 * mkvm_handle_string_pio() - INS/OUTS, one exit's worth
 * @vcpu:      the vCPU (its mutex held)
 * @in:        INS rather than OUTS
 * @size:      element size, 1, 2 or 4
 * @port:      the port
 * @next_rip:  RIP after the instruction
 *
 * Return: 1 to re-enter (a REP with rCX = 0, an OUTS element an in-kernel
 * device took, or a #PF queued for the guest), 0 with vcpu->run filled.
 */
int mkvm_handle_string_pio(struct mkvm_vcpu *vcpu, bool in, unsigned int size,
			   u16 port, u64 next_rip)
{
	struct mkvm_walk_env env;
	unsigned int addr_size;
	bool rep;
	int seg;
	u64 amask;
	struct kvm_run *run = vcpu->run;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	u64 *idx, count = 1, n = 1, linear, gpa;
	bool lm, back;
	unsigned int done;
	u32 ec = MKVM_PFEC_NONE, access;
	int err;

	mkvm_ops->get_regs(vcpu, &regs);
	mkvm_ops->get_sregs(vcpu, &sregs);
	back = regs.rflags & X86_EFLAGS_DF;
	lm = (sregs.efer & EFER_LMA) && sregs.cs.l;
	idx = in ? &regs.rdi : &regs.rsi;

	mkvm_guest_walk_env(vcpu, &sregs, &env);
	access = sregs.ss.dpl == 3 ? MKVM_WALK_USER : 0;

	if (mkvm_pio_prefixes(&env, &sregs, &regs, &rep, &addr_size, &seg))
		return mkvm_pio_fail(vcpu, regs.rip);
	amask = addr_size == 8 ? ~0ULL : BIT_ULL(addr_size * 8) - 1;

	if (rep) {
		count = regs.rcx & amask;
		if (!count) {
			regs.rip = next_rip;
			mkvm_ops->set_regs(vcpu, &regs);
			return 1;
		}
	}

	linear = *idx & amask;
	if (in || !lm || seg >= 4)
		linear += mkvm_seg(&sregs, in ? 0 : seg)->base;
	if (!lm)
		linear = (u32)linear;

	if (in) {
		/* As many as fit in this page of the destination and the PIO page. */
		if (!back)
			n = min_t(u64, count,
				  (PAGE_SIZE - (linear & ~PAGE_MASK)) / size);
		n = max_t(u64, n, 1);
		if ((linear & ~PAGE_MASK) + size > PAGE_SIZE)
			return mkvm_pio_fail(vcpu, regs.rip);
		err = mkvm_gva_to_gpa(&env, linear, access | MKVM_WALK_WRITE,
				      &gpa, &ec);
		if (err)
			return mkvm_inject_walk_fault(vcpu, err, linear, ec) ?:
			       mkvm_pio_fail(vcpu, regs.rip);
		vcpu->pending_ins = true;
		vcpu->pending_ins_gpa = gpa;
		vcpu->pending_io_size = size;
		vcpu->pending_ins_count = n;
		vcpu->pending_ins_next_rip = next_rip;
		vcpu->pending_ins_amask = amask;
		vcpu->pending_ins_rep = rep;
		vcpu->pending_ins_back = back;
		memset(vcpu->pio_page, 0, n * size);
	} else {
		u32 data = 0;

		err = mkvm_read_gva(&env, linear, access, &data, size, &done,
				    &ec);
		if (err)
			return mkvm_inject_walk_fault(vcpu, err, linear + done,
						      ec) ?:
			       mkvm_pio_fail(vcpu, regs.rip);
		/*
		 * Each element goes to the in-kernel devices first, as KVM's
		 * emulator_pio_in_out() does: a coalesced PIO zone or an
		 * ioeventfd takes it and the guest goes on with the next.
		 */
		if (!mkvm_io_bus_write(vcpu, MKVM_PIO_BUS, port, size, &data)) {
			mkvm_pio_advance(&regs, idx, n, size, amask, rep, back,
					 next_rip);
			mkvm_ops->set_regs(vcpu, &regs);
			return 1;
		}
		memcpy(vcpu->pio_page, &data, size);
	}

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = n;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;

	/*
	 * OUTS is done: its registers move now. INS's move when its data
	 * lands at the next KVM_RUN (mkvm_complete_string_pio_in()), so
	 * userspace sees them unchanged during the exit, as on KVM.
	 */
	if (!in)
		mkvm_pio_advance(&regs, idx, n, size, amask, rep, back, next_rip);
	mkvm_ops->set_regs(vcpu, &regs);
	return 0;
}

/**
 * mkvm_complete_string_pio_in() - write INS data into guest memory
 * @vcpu: the vCPU (its mutex held)
 *
 * The INS completes as KVM's emulator re-executes it: with the registers
 * as they are now. Userspace may have changed rCX during the exit (the
 * upstream userspace_io_test does): only min(batch, rCX) elements land
 * and are counted, and while rCX stays non-zero RIP stays on the
 * instruction, which the CPU then executes again. A REP with rCX now 0
 * completes without storing anything.
 *
 * Return: 0, or -EFAULT when the destination stopped being RAM (KVM_RUN
 * then fails with -EFAULT, as for unpinnable memory).
 */
int mkvm_complete_string_pio_in(struct mkvm_vcpu *vcpu)
{
	u64 amask = vcpu->pending_ins_amask, n = vcpu->pending_ins_count;
	struct kvm_regs regs;
	int r = 0;

	mkvm_ops->get_regs(vcpu, &regs);
	if (vcpu->pending_ins_rep)
		n = min_t(u64, n, regs.rcx & amask);
	if (n)
		r = mkvm_write_guest(vcpu->vm, vcpu->pending_ins_gpa,
				     vcpu->pio_page,
				     n * vcpu->pending_io_size);
	if (r)
		return r;
	mkvm_pio_advance(&regs, &regs.rdi, n, vcpu->pending_io_size, amask,
			 vcpu->pending_ins_rep, vcpu->pending_ins_back,
			 vcpu->pending_ins_next_rip);
	mkvm_ops->set_regs(vcpu, &regs);
	return 0;
}

/**
 * mkvm_pio_in_kernel() - let an in-kernel device take a plain IN/OUT
 * @vcpu: the vCPU
 * @in:   IN rather than OUT
 * @size: 1, 2 or 4
 * @port: the port
 *
 * An OUT writes AL/AX/EAX to the device; an IN puts the device's answer
 * into them with the usual rules (8/16-bit keep the rest of RAX, 32-bit
 * zero-extends, SDM Vol. 1 3.4.1.1). The caller moves RIP on.
 *
 * Return: true when a device handled it.
 */
bool mkvm_pio_in_kernel(struct mkvm_vcpu *vcpu, bool in, unsigned int size,
			u16 port)
{
	struct kvm_regs regs;
	u32 data = 0;

	if (!rcu_access_pointer(vcpu->vm->buses[MKVM_PIO_BUS]))
		return false;
	mkvm_ops->get_regs(vcpu, &regs);
	if (!in) {
		data = regs.rax;
		return !mkvm_io_bus_write(vcpu, MKVM_PIO_BUS, port, size, &data);
	}
	if (mkvm_io_bus_read(vcpu, MKVM_PIO_BUS, port, size, &data))
		return false;
	if (size == 1)
		regs.rax = (regs.rax & ~0xffULL) | (u8)data;
	else if (size == 2)
		regs.rax = (regs.rax & ~0xffffULL) | (u16)data;
	else
		regs.rax = data;
	mkvm_ops->set_regs(vcpu, &regs);
	return true;
}
