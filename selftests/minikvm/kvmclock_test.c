// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock_test - the paravirtual clock (Documentation/virt/kvm/x86/msr.rst,
 * api.rst 4.29/4.30 KVM_GET/SET_CLOCK), on /dev/kvm and /dev/minikvm.
 *
 * The guest computes time from its record exactly as Linux's
 * pvclock_clocksource_read() does (version sequence, rdtsc, 32.32 scale),
 * independently of the module's arithmetic:
 *
 *  - supported_cpuid: KVM_GET_SUPPORTED_CPUID has the signature leaf
 *    4000_0000h = "KVMKVMKVM\0\0\0" and CLOCKSOURCE2 in 4000_0001h;
 *    KVM_CAP_ADJUST_CLOCK is positive.
 *  - guest_clock: the guest enables MSR_KVM_SYSTEM_TIME_NEW and
 *    MSR_KVM_WALL_CLOCK_NEW and reads its clock; that reading lies between
 *    KVM_GET_CLOCK before and after the run; after the host sleeps 200 ms
 *    the guest's clock advanced by what KVM_GET_CLOCK advanced (10% + 5 ms:
 *    the emulated machine's TSC calibration is coarse); the record's
 *    version is even; the wall clock plus kvmclock is the host's real
 *    time (2 s); KVM_CLOCK_TSC_STABLE in KVM_GET_CLOCK comes with
 *    PVCLOCK_TSC_STABLE_BIT in the record; the MSRs read back.
 *  - set_clock: KVM_SET_CLOCK 100 s ahead moves the guest's clock by as much.
 *  - tsc_write: KVM_SET_MSRS(IA32_TSC, 2^50) moves the guest's TSC days
 *    ahead (far enough that KVM does not take it for a vCPU-hotplug
 *    synchronisation, kvm_synchronize_tsc()), and the republished record
 *    keeps the guest's clock where it was: no jump either way.
 */
#include <string.h>
#include <time.h>
#include "mkvm_test.h"
#include "guest_lib.h"

GL_DEV_FIXTURE();

#define MSR_KVM_WALL_CLOCK_NEW	0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define MSR_IA32_TSC		0x10
#define KVM_FEATURE_CLOCKSOURCE2 3
#define PVCLOCK_TSC_STABLE	1

struct wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((packed));

static struct gl_pvti pvti __attribute__((aligned(64)));
static struct wall_clock wall __attribute__((aligned(64)));

static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Linux's pvclock_clocksource_read(), without the cross-CPU last value. */
static GUEST_CODE uint64_t guest_clock(void)
{
	volatile struct gl_pvti *p = &pvti;
	uint64_t delta, ns;
	uint32_t v;

	do {
		v = p->version;
		asm volatile("" ::: "memory");
		delta = guest_rdtsc() - p->tsc_timestamp;
		if (p->shift < 0)
			delta >>= -p->shift;
		else
			delta <<= p->shift;
		ns = p->system_time + (uint64_t)(((unsigned __int128)delta *
						  p->mul) >> 32);
		asm volatile("" ::: "memory");
	} while ((v & 1) || v != p->version);
	return ns;
}

static GUEST_CODE void clock_guest(uint64_t unused)
{
	GUEST_ASSERT_EQ(gl_wrmsr_safe(MSR_KVM_SYSTEM_TIME_NEW,
				      (uintptr_t)&pvti | 1), 0);
	GUEST_ASSERT_EQ(gl_wrmsr_safe(MSR_KVM_WALL_CLOCK_NEW,
				      (uintptr_t)&wall), 0);
	for (;;)
		GUEST_SYNC(guest_clock(), pvti.version, pvti.flags);
}

static uint64_t vm_clock(struct __test_metadata *_metadata, int vm_fd,
			 uint32_t *flags)
{
	struct kvm_clock_data d;

	memset(&d, 0, sizeof(d));
	EXPECT_EQ(0, ioctl(vm_fd, KVM_GET_CLOCK, &d));
	if (flags)
		*flags = d.flags;
	return d.clock;
}

/* One guest reading, bracketed by KVM_GET_CLOCK. */
static uint64_t guest_reading(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self, uint64_t *before,
			      uint64_t *after, struct gl_ucall *uc)
{
	*before = vm_clock(_metadata, self->vm.fd, NULL);
	gl_expect_ucall(_metadata, &self->vcpu, uc, GL_UCALL_SYNC);
	*after = vm_clock(_metadata, self->vm.fd, NULL);
	return uc->args[0];
}

static void start_guest(struct __test_metadata *_metadata,
			FIXTURE_DATA(dev) *self, const char *path)
{
	GL_REQUIRE(self->fd, path, GL_CAP(KVM_CAP_ADJUST_CLOCK));
	ASSERT_EQ(0, gl_set_supported_cpuid(&self->vcpu));
	gl_vcpu_setup_c(&self->vcpu, clock_guest, 0);
}

#define MS	1000000ULL

TEST_F(dev, supported_cpuid)
{
	struct kvm_cpuid2 *c = gl_supported_cpuid(self->fd);
	bool sig = false, feat = false;
	uint32_t i;

	ASSERT_NE(NULL, c);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		char name[13] = {};

		if (e->function == 0x40000000) {
			memcpy(name, &e->ebx, 4);
			memcpy(name + 4, &e->ecx, 4);
			memcpy(name + 8, &e->edx, 4);
			EXPECT_STREQ("KVMKVMKVM", name);
			EXPECT_GE(e->eax, 0x40000001);
			sig = true;
		}
		if (e->function == 0x40000001) {
			EXPECT_TRUE(e->eax & (1u << KVM_FEATURE_CLOCKSOURCE2));
			feat = true;
		}
	}
	EXPECT_TRUE(sig);
	EXPECT_TRUE(feat);
	EXPECT_GT(ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK), 0);
	free(c);
}

TEST_F(dev, guest_clock)
{
	uint64_t b1, a1, g1, b2, a2, g2, msr, host_adv, guest_adv;
	struct wall_clock *wc;
	struct timespec now;
	struct gl_ucall uc;
	uint32_t flags;
	int64_t wall_err;

	start_guest(_metadata, self, variant->path);
	g1 = guest_reading(_metadata, self, &b1, &a1, &uc);
	EXPECT_EQ(0, uc.args[1] & 1) TH_LOG("version %lu", (unsigned long)uc.args[1]);
	EXPECT_NE(0, uc.args[1]);
	EXPECT_GE(g1 + 5 * MS, b1) TH_LOG("guest %lu < before %lu",
					  (unsigned long)g1, (unsigned long)b1);
	EXPECT_LE(g1, a1 + 5 * MS) TH_LOG("guest %lu > after %lu",
					  (unsigned long)g1, (unsigned long)a1);

	usleep(200 * 1000);
	g2 = guest_reading(_metadata, self, &b2, &a2, &uc);
	host_adv = (b2 + a2) / 2 - (b1 + a1) / 2;
	guest_adv = g2 - g1;
	EXPECT_GE(host_adv, 200 * MS);
	EXPECT_LE(guest_adv, host_adv + host_adv / 10 + 5 * MS)
		TH_LOG("guest advanced %lu ns, KVM_GET_CLOCK %lu ns",
		       (unsigned long)guest_adv, (unsigned long)host_adv);
	EXPECT_GE(guest_adv + host_adv / 10 + 5 * MS, host_adv)
		TH_LOG("guest advanced %lu ns, KVM_GET_CLOCK %lu ns",
		       (unsigned long)guest_adv, (unsigned long)host_adv);

	vm_clock(_metadata, self->vm.fd, &flags);
	if (flags & KVM_CLOCK_TSC_STABLE)
		EXPECT_TRUE(uc.args[2] & PVCLOCK_TSC_STABLE);

	/* Wall clock: real time at kvmclock 0, plus kvmclock = now. */
	wc = gl_hva(&self->vm, (uintptr_t)&wall);
	EXPECT_EQ(0, wc->version & 1);
	EXPECT_NE(0, wc->version);
	clock_gettime(CLOCK_REALTIME, &now);
	wall_err = (int64_t)now.tv_sec -
		   (int64_t)(wc->sec + (g2 + wc->nsec) / 1000000000ULL);
	EXPECT_LE(llabs(wall_err), 2) TH_LOG("wall clock off by %ld s",
					     (long)wall_err);

	ASSERT_EQ(1, gl_get_msr(&self->vcpu, MSR_KVM_SYSTEM_TIME_NEW, &msr));
	EXPECT_EQ((uintptr_t)&pvti | 1, msr);
	ASSERT_EQ(1, gl_get_msr(&self->vcpu, MSR_KVM_WALL_CLOCK_NEW, &msr));
	EXPECT_EQ((uintptr_t)&wall, msr);
}

TEST_F(dev, set_clock)
{
	uint64_t b, a, g1, g2;
	struct kvm_clock_data d;
	struct gl_ucall uc;

	start_guest(_metadata, self, variant->path);
	g1 = guest_reading(_metadata, self, &b, &a, &uc);
	memset(&d, 0, sizeof(d));
	d.clock = vm_clock(_metadata, self->vm.fd, NULL) + 100000 * MS;
	ASSERT_EQ(0, ioctl(self->vm.fd, KVM_SET_CLOCK, &d));
	g2 = guest_reading(_metadata, self, &b, &a, &uc);
	EXPECT_GE(g2, g1 + 100000 * MS) TH_LOG("guest %lu -> %lu",
					      (unsigned long)g1, (unsigned long)g2);
	EXPECT_LE(g2, g1 + 101000 * MS) TH_LOG("guest %lu -> %lu",
					      (unsigned long)g1, (unsigned long)g2);
	EXPECT_GE(g2 + 5 * MS, b);
	EXPECT_LE(g2, a + 5 * MS);

	d.flags = 1u << 31;	/* not a KVM_CLOCK_* flag */
	EXPECT_EQ(-1, ioctl(self->vm.fd, KVM_SET_CLOCK, &d));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, tsc_write)
{
	uint64_t b, a, g1, g2, tsc;
	struct gl_ucall uc;

	start_guest(_metadata, self, variant->path);
	g1 = guest_reading(_metadata, self, &b, &a, &uc);
	ASSERT_EQ(1, gl_set_msr(&self->vcpu, MSR_IA32_TSC, 1ULL << 50));
	ASSERT_EQ(1, gl_get_msr(&self->vcpu, MSR_IA32_TSC, &tsc));
	ASSERT_GE(tsc, 1ULL << 50);
	g2 = guest_reading(_metadata, self, &b, &a, &uc);
	EXPECT_GE(g2, g1) TH_LOG("guest clock went back: %lu -> %lu",
				 (unsigned long)g1, (unsigned long)g2);
	EXPECT_GE(g2 + 5 * MS, b) TH_LOG("guest %lu, KVM_GET_CLOCK %lu",
					 (unsigned long)g2, (unsigned long)b);
	EXPECT_LE(g2, a + 5 * MS) TH_LOG("guest %lu, KVM_GET_CLOCK %lu",
					 (unsigned long)g2, (unsigned long)a);
}

TEST_HARNESS_MAIN
