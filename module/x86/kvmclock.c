// SPDX-License-Identifier: GPL-2.0
/*
 * x86/kvmclock.c - the KVM paravirtual clock (kvmclock) and the VM clock
 * ioctls, vendor-neutral.
 *
 * A guest cannot calibrate its TSC without a timer it trusts (mkvm emulates
 * no PIT or HPET), and its TSC alone does not say what time it is. KVM's
 * answer, which every stock Linux guest uses when CPUID 4000_0001h offers
 * it, is a per-vCPU record in guest memory (struct pvclock_vcpu_time_info,
 * asm/pvclock-abi.h; Documentation/virt/kvm/x86/msr.rst):
 *
 *	time = system_time + scale(rdtsc() - tsc_timestamp)
 *
 * with a 32.32 multiplier and shift from x86/pvclock.h. The guest names
 * the record's address with MSR_KVM_SYSTEM_TIME_NEW (bit 0 enables) and a
 * wall-clock record (the real time at kvmclock 0) with
 * MSR_KVM_WALL_CLOCK_NEW; the legacy MSRs 11h/12h behave the same. Updates
 * use the record's version as a sequence count (odd while writing), so a
 * guest reading on another CPU retries rather than seeing a torn record.
 *
 * Which (TSC, ns) pair is published:
 *   - stable host TSC (constant, non-stop, not marked unstable): one pair
 *     per VM, taken at creation or KVM_SET_CLOCK (KVM's "master clock").
 *     Every vCPU then computes the same function of the one host TSC, so
 *     time is monotonic across vCPUs and the record carries
 *     PVCLOCK_TSC_STABLE_BIT: the guest may skip its global last-value
 *     check and use the TSC directly (vDSO).
 *   - otherwise: each vCPU publishes a fresh pair of its own CPU when it
 *     enables the clock and whenever it moves to another CPU, without the
 *     stable bit; the guest's pvclock code then keeps time monotonic
 *     across vCPUs itself.
 * In both cases the guest TSC is the host TSC plus the vendor's TSC offset
 * (APM Vol. 2 15.30.5, SDM Vol. 3C 26.6.5), so tsc_timestamp is published
 * in guest TSC units and a write to IA32_TSC republishes.
 *
 * KVM_GET_CLOCK / KVM_SET_CLOCK (api.rst 4.29, 4.30) read and set the VM's
 * kvmclock in nanoseconds; KVM_CAP_ADJUST_CLOCK says which flags
 * KVM_GET_CLOCK can return. KVM_KVMCLOCK_CTRL (api.rst 4.70) sets
 * PVCLOCK_GUEST_STOPPED in the next record: the VMM paused the guest.
 *
 * Non-goals: TSC scaling (the guest's TSC runs at the host's rate), steal
 * time, KVM_CLOCK_REALTIME and KVM_CLOCK_HOST_TSC in KVM_GET_CLOCK, and
 * correcting a stable clock for NTP adjustments of the host clock (the
 * guest's own NTP does that).
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/uaccess.h>
#include <asm/kvm_para.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>

#include "../minikvm.h"
#include "../arch_ops.h"
#include "pvclock.h"

/* Host TSC ticks -> ns, from tsc_khz at module load (mkvm_kvmclock_setup). */
bool mkvm_kvmclock_ok;
static u32 mkvm_tsc_mul;
static s8 mkvm_tsc_shift;

/**
 * mkvm_kvmclock_setup() - compute the TSC scale once, at module load
 *
 * Return: true when kvmclock can be offered (a calibrated TSC).
 */
bool mkvm_kvmclock_setup(void)
{
	if (!tsc_khz)
		return false;
	mkvm_pvclock_scale((u64)tsc_khz * 1000, &mkvm_tsc_mul, &mkvm_tsc_shift);
	return true;
}

/* May all vCPUs share one (TSC, ns) pair and the guest trust its TSC? */
static bool mkvm_host_tsc_stable(void)
{
	return boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
	       boot_cpu_has(X86_FEATURE_NONSTOP_TSC) && !check_tsc_unstable();
}

/* Set the VM's clock to @ns now: a new offset and, if stable, master pair. */
static void mkvm_kvmclock_set_now(struct mkvm *vm, u64 ns)
{
	unsigned long flags;

	spin_lock_irqsave(&vm->clock_lock, flags);
	vm->clock_master_tsc = rdtsc();
	vm->clock_offset = ns - ktime_get_boottime_ns();
	vm->clock_master_ns = ns;
	spin_unlock_irqrestore(&vm->clock_lock, flags);
}

/**
 * mkvm_kvmclock_vm_init() - a new VM's clock starts at 0
 * @vm: the VM being created
 */
void mkvm_kvmclock_vm_init(struct mkvm *vm)
{
	spin_lock_init(&vm->clock_lock);
	vm->clock_stable = mkvm_host_tsc_stable();
	mkvm_kvmclock_set_now(vm, 0);
}

/* The VM's kvmclock now, as a guest on this CPU would compute it. */
static u64 mkvm_kvmclock_read(struct mkvm *vm)
{
	unsigned long flags;
	u64 ns;

	spin_lock_irqsave(&vm->clock_lock, flags);
	if (vm->clock_stable)
		ns = vm->clock_master_ns +
		     mkvm_pvclock_delta_ns(rdtsc() - vm->clock_master_tsc,
					   mkvm_tsc_mul, mkvm_tsc_shift);
	else
		ns = ktime_get_boottime_ns() + vm->clock_offset;
	spin_unlock_irqrestore(&vm->clock_lock, flags);
	return ns;
}

/*
 * Bump a guest record's version to odd (update in progress) or on to the
 * next even value, starting from what the guest memory holds, as KVM does:
 * a record the guest (or a previous VMM) initialised keeps counting up.
 */
static int mkvm_pvclock_begin(struct mkvm *vm, u64 gpa, u32 *version)
{
	int r = mkvm_read_guest(vm, gpa, version, sizeof(*version));

	if (r)
		return r;
	*version = (*version + 1) | 1;
	return mkvm_write_guest(vm, gpa, version, sizeof(*version));
}

/* Real time at kvmclock 0 into the guest's struct pvclock_wall_clock. */
static void mkvm_kvmclock_write_wall(struct mkvm *vm, u64 gpa)
{
	struct pvclock_wall_clock wc;
	u64 wall_ns;
	u32 rem;

	if (mkvm_pvclock_begin(vm, gpa, &wc.version))
		return;
	wall_ns = ktime_get_real_ns() - mkvm_kvmclock_read(vm);
	wc.sec = (u32)div_u64_rem(wall_ns, NSEC_PER_SEC, &rem);
	wc.nsec = rem;
	/* x86 stores are ordered: version odd, body, version even. */
	barrier();
	wc.version++;
	mkvm_write_guest(vm, gpa, &wc, sizeof(wc));
}

/**
 * mkvm_kvmclock_update() - publish the vCPU's pvclock record
 * @vcpu: the vCPU, loaded on this CPU (its thread, its mutex held)
 *
 * Called from the run loop before entry when MKVM_REQ_CLOCK is set; may
 * sleep (writes guest memory through the VMM's mapping). A record that is
 * not in writable RAM or crosses a page is left alone, as KVM does.
 */
void mkvm_kvmclock_update(struct mkvm_vcpu *vcpu)
{
	struct pvclock_vcpu_time_info ti = {};
	struct mkvm *vm = vcpu->vm;
	u64 gpa = vcpu->msrs.kvmclock & ~1ULL;
	unsigned long flags;
	u64 host_tsc;
	u8 stopped;

	if (!(vcpu->msrs.kvmclock & 1) ||
	    (gpa & ~PAGE_MASK) + sizeof(ti) > PAGE_SIZE)
		return;
	if (vm->clock_stable) {
		spin_lock_irqsave(&vm->clock_lock, flags);
		host_tsc = vm->clock_master_tsc;
		ti.system_time = vm->clock_master_ns;
		spin_unlock_irqrestore(&vm->clock_lock, flags);
		ti.flags = PVCLOCK_TSC_STABLE_BIT;
	} else {
		spin_lock_irqsave(&vm->clock_lock, flags);
		host_tsc = rdtsc();
		ti.system_time = ktime_get_boottime_ns() + vm->clock_offset;
		spin_unlock_irqrestore(&vm->clock_lock, flags);
	}
	ti.tsc_timestamp = host_tsc + mkvm_ops->tsc_offset(vcpu);
	ti.tsc_to_system_mul = mkvm_tsc_mul;
	ti.tsc_shift = mkvm_tsc_shift;
	/*
	 * PVCLOCK_GUEST_STOPPED stays until the guest clears it (its soft
	 * lockup watchdog does, then forgives the pause); KVM_KVMCLOCK_CTRL
	 * sets it in the next record.
	 */
	if (!mkvm_read_guest(vm, gpa + offsetof(typeof(ti), flags), &stopped,
			     sizeof(stopped)))
		ti.flags |= stopped & PVCLOCK_GUEST_STOPPED;
	if (vcpu->clock_stopped) {
		ti.flags |= PVCLOCK_GUEST_STOPPED;
		vcpu->clock_stopped = false;
	}

	if (mkvm_pvclock_begin(vm, gpa, &ti.version))
		return;
	barrier();
	if (mkvm_write_guest(vm, gpa, &ti, sizeof(ti)))
		return;
	barrier();
	ti.version++;
	mkvm_write_guest(vm, gpa, &ti.version, sizeof(ti.version));
}

/**
 * mkvm_kvmclock_ctrl() - KVM_KVMCLOCK_CTRL: tell the guest it was paused
 * @vcpu: the vCPU (its mutex held)
 *
 * The next record published carries PVCLOCK_GUEST_STOPPED, so that the
 * guest's watchdogs do not take the pause for a lockup (api.rst 4.70).
 *
 * Return: 0, or -EINVAL while the guest has not enabled kvmclock (KVM:
 * no active pvclock).
 */
int mkvm_kvmclock_ctrl(struct mkvm_vcpu *vcpu)
{
	if (!(vcpu->msrs.kvmclock & 1))
		return -EINVAL;
	vcpu->clock_stopped = true;
	set_bit(MKVM_REQ_CLOCK, &vcpu->requests);
	return 0;
}

/**
 * mkvm_kvmclock_vcpu_moved() - the vCPU thread now runs on @cpu
 * @vcpu: the vCPU
 * @cpu:  the CPU it was loaded on
 *
 * Without a stable TSC each CPU's TSC may differ: republish from the new
 * CPU before the next entry. Context: preemption disabled (sched_in).
 */
void mkvm_kvmclock_vcpu_moved(struct mkvm_vcpu *vcpu, int cpu)
{
	if (vcpu->vm->clock_stable || vcpu->clock_cpu == cpu)
		return;
	vcpu->clock_cpu = cpu;
	if (vcpu->msrs.kvmclock & 1)
		set_bit(MKVM_REQ_CLOCK, &vcpu->requests);
}

/**
 * mkvm_kvmclock_get_msr() - read a kvmclock MSR
 * @vcpu: the vCPU
 * @msr:  the index
 * @data: the value
 *
 * Return: 0, or -ENOENT when @msr is not a kvmclock MSR.
 */
int mkvm_kvmclock_get_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 *data)
{
	switch (msr) {
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = vcpu->msrs.kvmclock;
		return 0;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = READ_ONCE(vcpu->vm->clock_wall_msr);
		return 0;
	default:
		return -ENOENT;
	}
}

/**
 * mkvm_kvmclock_set_msr() - write a kvmclock MSR (guest or KVM_SET_MSRS)
 * @vcpu: the vCPU
 * @msr:  the index
 * @data: the value: a guest-physical address, bit 0 = enable for the
 *        system-time MSRs
 *
 * The wall clock is written at once (it is per VM and does not tick); the
 * vCPU's record before the next entry. Any address is accepted, as by KVM:
 * one outside RAM just gets no record.
 *
 * Return: 0, or -ENOENT when @msr is not a kvmclock MSR.
 */
int mkvm_kvmclock_set_msr(struct mkvm_vcpu *vcpu, u32 msr, u64 data)
{
	switch (msr) {
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		vcpu->msrs.kvmclock = data;
		if (data & 1)
			set_bit(MKVM_REQ_CLOCK, &vcpu->requests);
		return 0;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		WRITE_ONCE(vcpu->vm->clock_wall_msr, data);
		mkvm_kvmclock_write_wall(vcpu->vm, data);
		return 0;
	default:
		return -ENOENT;
	}
}

/**
 * mkvm_kvmclock_cpuid() - the supported KVM leaves 4000_0000h/4000_0001h
 * @e:  the entry to fill
 * @fn: KVM_CPUID_SIGNATURE or KVM_CPUID_FEATURES
 *
 * The signature leaf names the hypervisor "KVMKVMKVM\0\0\0" (so guests
 * look for the features leaf), the features leaf offers only what this
 * file implements; NOP_IO_DELAY is a pure hint (port 80h delays are not
 * needed on a virtual machine) that costs nothing to honour.
 * CLOCKSOURCE_STABLE_BIT tells the guest to trust the record's
 * PVCLOCK_TSC_STABLE_BIT, which is set only on stable hosts.
 */
void mkvm_kvmclock_cpuid(struct kvm_cpuid_entry2 *e, u32 fn)
{
	memset(e, 0, sizeof(*e));
	e->function = fn;
	if (fn == KVM_CPUID_SIGNATURE) {
		e->eax = KVM_CPUID_FEATURES;
		e->ebx = 0x4b4d564b;	/* "KVMK" */
		e->ecx = 0x564b4d56;	/* "VMKV" */
		e->edx = 0x4d;		/* "M\0\0\0" */
	} else {
		e->eax = BIT(KVM_FEATURE_CLOCKSOURCE) |
			 BIT(KVM_FEATURE_NOP_IO_DELAY) |
			 BIT(KVM_FEATURE_CLOCKSOURCE2) |
			 BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
	}
}

/**
 * mkvm_kvmclock_ioctl() - KVM_GET_CLOCK and KVM_SET_CLOCK on a VM fd
 * @vm:    the VM
 * @ioctl: which one
 * @argp:  struct kvm_clock_data in userspace
 *
 * GET reports the clock as a guest would read it now and
 * KVM_CLOCK_TSC_STABLE when every vCPU shares the master pair. SET takes
 * the clock value only (flags may name KVM_CLOCK_REALTIME, which is
 * accepted and not honoured: see the non-goals) and republishes every
 * vCPU's record before its next entry.
 *
 * Return: 0, -EFAULT, or -EINVAL for unknown flags.
 */
long mkvm_kvmclock_ioctl(struct mkvm *vm, unsigned int ioctl,
			 void __user *argp)
{
	struct kvm_clock_data data;
	unsigned int i, n;

	if (ioctl == KVM_GET_CLOCK) {
		memset(&data, 0, sizeof(data));
		data.clock = mkvm_kvmclock_read(vm);
		data.flags = vm->clock_stable ? KVM_CLOCK_TSC_STABLE : 0;
		return copy_to_user(argp, &data, sizeof(data)) ? -EFAULT : 0;
	}
	if (copy_from_user(&data, argp, sizeof(data)))
		return -EFAULT;
	if (data.flags & ~(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
			   KVM_CLOCK_HOST_TSC))
		return -EINVAL;
	mutex_lock(&vm->lock);
	mkvm_kvmclock_set_now(vm, data.clock);
	n = vm->nr_vcpus;
	/* The vCPUs' MSRs are theirs to read: mkvm_kvmclock_update() checks. */
	for (i = 0; i < n; i++)
		set_bit(MKVM_REQ_CLOCK, &vm->vcpus[i]->requests);
	mutex_unlock(&vm->lock);
	mkvm_vcpu_kick_all(vm);
	return 0;
}

/**
 * mkvm_kvmclock_cap() - KVM_CHECK_EXTENSION(KVM_CAP_ADJUST_CLOCK)
 *
 * Return: the KVM_GET_CLOCK flags that can be reported, as KVM does.
 */
long mkvm_kvmclock_cap(void)
{
	return KVM_CLOCK_TSC_STABLE;
}
