// SPDX-License-Identifier: GPL-2.0
/*
 * msr_test - MSRs from both sides: RDMSR/WRMSR in a 64-bit guest (round
 * trips, #GP for unknown MSRs and invalid values) and KVM_GET/SET_MSRS
 * from the host (round trips, the count of entries processed, E2BIG), on
 * /dev/kvm and /dev/minikvm.
 *
 * The MSRs are the ones a 64-bit Linux guest touches: EFER, STAR, LSTAR,
 * CSTAR, SFMASK, KERNEL_GS_BASE, SYSENTER_CS/ESP/EIP, TSC, TSC_AUX, PAT,
 * APIC_BASE, MISC_ENABLE and the MTRRs. The vCPU gets the supported CPUID
 * first (KVM allows TSC_AUX and EFER.SCE only when CPUID has RDTSCP and
 * SYSCALL). kvm_amd keeps only the low 32 bits of SYSENTER_ESP/EIP for a
 * guest whose CPUID vendor is not Intel, so those are 32-bit values here.
 *
 * minikvm: skipped without KVM_CAP_USER_MEMORY and KVM_CAP_EXT_CPUID.
 */
#include "mkvm_test.h"
#include "guest_lib.h"

GL_DEV_FIXTURE();

struct rt {
	uint32_t msr;
	uint64_t val;
};

static const struct rt round_trips[] = {
	{ 0xc0000081, 0x0023001000000000ULL },	/* STAR */
	{ 0xc0000082, 0xffffffff81000000ULL },	/* LSTAR */
	{ 0xc0000083, 0xffffffff81000040ULL },	/* CSTAR */
	{ 0xc0000084, 0x47700 },		/* SFMASK */
	{ 0xc0000102, 0xffff888012345000ULL },	/* KERNEL_GS_BASE */
	{ 0x174, 0x10 },			/* SYSENTER_CS */
	{ 0x175, 0x81001000 },			/* SYSENTER_ESP */
	{ 0x176, 0x81000080 },			/* SYSENTER_EIP */
	{ 0xc0000103, 0x12345 },		/* TSC_AUX */
	{ 0x277, 0x0007010600070106ULL },	/* PAT */
	{ 0x2ff, 0xc06 },			/* MTRRdefType */
	{ 0x250, 0x0606060606060606ULL },	/* MTRRfix64K_00000 */
	{ 0x200, 0x6 },				/* MTRRphysBase0 */
	{ 0x1b, 0xfee00900 },			/* APIC_BASE */
};
#define NRT (sizeof(round_trips) / sizeof(round_trips[0]))

/*
 * MSR and value that must #GP on WRMSR. Not here: non-canonical LSTAR,
 * CSTAR, KERNEL_GS_BASE. kvm_amd passes those MSRs through to the CPU,
 * and QEMU's emulated SVM takes such values without a #GP, so the guest
 * side cannot be asserted in our test machine; KVM_SET_MSRS refuses them
 * (host_get_set_msrs). minikvm intercepts them and must #GP itself.
 */
static const struct rt bad_writes[] = {
	{ 0xdeadbeef, 0 },			/* unknown */
	{ 0x277, 0x02 },			/* PAT type 2 is reserved */
	{ 0xfe, 0 },				/* MTRRcap is read-only */
	{ 0x1b, 0xfee00901 },			/* APIC_BASE reserved bit */
	{ 0xc0000080, 0x504 },			/* EFER reserved bit 2 */
	{ 0x2ff, 0xc06 | 1 << 20 },		/* MTRRdefType reserved */
};
#define NBAD (sizeof(bad_writes) / sizeof(bad_writes[0]))

static GUEST_CODE void msr_guest(uint64_t arg)
{
	uint64_t v, v2;
	unsigned int i;

	/* Failures report the MSR index instead of a second value. */
	for (i = 0; i < NRT; i++) {
		if (gl_wrmsr_safe(round_trips[i].msr, round_trips[i].val))
			gl_ucall(GL_UCALL_ABORT, __LINE__, round_trips[i].msr,
				 0);
		if (gl_rdmsr_safe(round_trips[i].msr, &v) ||
		    v != round_trips[i].val)
			gl_ucall(GL_UCALL_ABORT, __LINE__, round_trips[i].msr,
				 v);
	}
	for (i = 0; i < NBAD; i++)
		if (gl_wrmsr_safe(bad_writes[i].msr, bad_writes[i].val) != 13)
			gl_ucall(GL_UCALL_ABORT, __LINE__, bad_writes[i].msr,
				 bad_writes[i].val);
	GUEST_ASSERT_EQ(gl_rdmsr_safe(0xdeadbeef, &v), 13);
	GUEST_ASSERT_EQ(gl_rdmsr_safe(0x2, &v), 13);

	/* EFER: long mode as set by SREGS, SCE settable. */
	GUEST_ASSERT_EQ(gl_rdmsr_safe(0xc0000080, &v), 0);
	GUEST_ASSERT_EQ(v, 0x500);
	GUEST_ASSERT_EQ(gl_wrmsr_safe(0xc0000080, 0x501), 0);
	GUEST_ASSERT_EQ(gl_rdmsr_safe(0xc0000080, &v), 0);
	GUEST_ASSERT_EQ(v, 0x501);

	/* MISC_ENABLE: fast strings (bit 0) can be toggled. */
	GUEST_ASSERT_EQ(gl_rdmsr_safe(0x1a0, &v), 0);
	GUEST_ASSERT_EQ(gl_wrmsr_safe(0x1a0, v ^ 1), 0);
	GUEST_ASSERT_EQ(gl_rdmsr_safe(0x1a0, &v2), 0);
	GUEST_ASSERT_EQ(v2, v ^ 1);

	/* MTRRcap: fixed ranges, WC, 8 variable ranges (KVM's value). */
	GUEST_ASSERT_EQ(gl_rdmsr_safe(0xfe, &v), 0);
	GUEST_SYNC(v, 0, 0);

	/* TSC: counts, and a write moves it. */
	GUEST_ASSERT_EQ(gl_rdmsr_safe(0x10, &v), 0);
	GUEST_ASSERT_EQ(gl_rdmsr_safe(0x10, &v2), 0);
	GUEST_ASSERT(v2 > v);
	GUEST_ASSERT_EQ(gl_wrmsr_safe(0x10, 1ULL << 40), 0);
	GUEST_ASSERT_EQ(gl_rdmsr_safe(0x10, &v), 0);
	GUEST_ASSERT(v >= 1ULL << 40 && v < (1ULL << 40) + (1ULL << 36));
}

static void require_msrs(struct __test_metadata *_metadata,
			 FIXTURE_DATA(dev) *self, const char *path)
{
	struct kvm_msr_list probe = { .nmsrs = 0 };
	long r;

	GL_REQUIRE(self->fd, path, GL_CAP(KVM_CAP_EXT_CPUID));
	r = mkvm_ioctl(self->fd, KVM_GET_MSR_INDEX_LIST, (unsigned long)&probe);
	/* With nmsrs 0 the answer is E2BIG and the real count. */
	ASSERT_EQ(-E2BIG, r);
	ASSERT_GT(probe.nmsrs, 0);
	ASSERT_EQ(0, gl_set_supported_cpuid(&self->vcpu));
}

TEST_F(dev, guest_rdmsr_wrmsr)
{
	struct gl_ucall uc;

	require_msrs(_metadata, self, variant->path);
	gl_vcpu_setup_c(&self->vcpu, msr_guest, 0);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_SYNC);
	EXPECT_EQ(0x508, uc.args[0]) TH_LOG("MTRRcap %#lx",
					    (unsigned long)uc.args[0]);
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
}

TEST_F(dev, host_get_set_msrs)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[3];
	} m;
	uint64_t v;
	unsigned int i;

	require_msrs(_metadata, self, variant->path);
	for (i = 0; i < NRT; i++) {
		EXPECT_EQ(1, gl_set_msr(&self->vcpu, round_trips[i].msr,
					round_trips[i].val))
			TH_LOG("set %#x", round_trips[i].msr);
		EXPECT_EQ(1, gl_get_msr(&self->vcpu, round_trips[i].msr, &v));
		EXPECT_EQ(round_trips[i].val, v)
			TH_LOG("get %#x", round_trips[i].msr);
	}
	/* Unknown MSRs and bad values are "0 entries processed". */
	EXPECT_EQ(0, gl_set_msr(&self->vcpu, 0xdeadbeef, 0));
	EXPECT_EQ(0, gl_get_msr(&self->vcpu, 0xdeadbeef, &v));
	EXPECT_EQ(0, gl_set_msr(&self->vcpu, 0xc0000082,
				0x0000800000000000ULL));
	EXPECT_EQ(0, gl_set_msr(&self->vcpu, 0x277, 0x02));

	/* A batch stops at the first bad entry. */
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 3;
	m.e[0].index = 0xc0000081;
	m.e[0].data = 0x1234;
	m.e[1].index = 0xdeadbeef;
	m.e[2].index = 0xc0000084;
	m.e[2].data = 0x777;
	EXPECT_EQ(1, mkvm_ioctl(self->vcpu.fd, KVM_SET_MSRS, (unsigned long)&m));
	EXPECT_EQ(1, gl_get_msr(&self->vcpu, 0xc0000084, &v));
	EXPECT_EQ(0x47700, v);		/* not written */
	EXPECT_EQ(1, mkvm_ioctl(self->vcpu.fd, KVM_GET_MSRS, (unsigned long)&m));
	EXPECT_EQ(0x1234, m.e[0].data);

	/* Too many entries. */
	m.hdr.nmsrs = 0x1000;
	EXPECT_EQ(-E2BIG, mkvm_ioctl(self->vcpu.fd, KVM_GET_MSRS,
				     (unsigned long)&m));
	m.hdr.nmsrs = 0;
	EXPECT_EQ(0, mkvm_ioctl(self->vcpu.fd, KVM_SET_MSRS, (unsigned long)&m));

	/* TSC from the host: what was written, plus time. */
	EXPECT_EQ(1, gl_set_msr(&self->vcpu, 0x10, 1ULL << 42));
	EXPECT_EQ(1, gl_get_msr(&self->vcpu, 0x10, &v));
	EXPECT_GE(v, 1ULL << 42);
	EXPECT_LT(v, (1ULL << 42) + (1ULL << 36));
}

/*
 * KVM_GET_MSR_INDEX_LIST: E2BIG with the real count when the buffer is
 * short, then the list; it holds the syscall MSRs, and every MSR on it can
 * be read and written back with its own value (that is what a VMM saving
 * and restoring a vCPU does with it).
 */
TEST_F(dev, msr_index_list)
{
	struct kvm_msr_list *list;
	struct kvm_msr_list shortl = { .nmsrs = 1 };
	const uint32_t must[] = { 0x174, 0xc0000081, 0xc0000082, 0xc0000084,
				  0xc0000102, 0x10, 0x277 };
	uint32_t i, j, n;
	uint64_t v;

	require_msrs(_metadata, self, variant->path);
	ASSERT_EQ(-E2BIG, mkvm_ioctl(self->fd, KVM_GET_MSR_INDEX_LIST,
				     (unsigned long)&shortl));
	n = shortl.nmsrs;
	ASSERT_GT(n, 1);
	list = calloc(1, sizeof(*list) + (n + 1) * sizeof(list->indices[0]));
	ASSERT_NE(NULL, list);
	list->nmsrs = n + 1;
	ASSERT_EQ(0, mkvm_ioctl(self->fd, KVM_GET_MSR_INDEX_LIST,
				(unsigned long)list));
	ASSERT_EQ(n, list->nmsrs);
	for (j = 0; j < sizeof(must) / sizeof(must[0]); j++) {
		for (i = 0; i < n && list->indices[i] != must[j]; i++)
			;
		EXPECT_LT(i, n) TH_LOG("MSR %#x not listed", must[j]);
	}
	for (i = 0; i < n; i++) {
		uint32_t msr = list->indices[i];

		EXPECT_EQ(1, gl_get_msr(&self->vcpu, msr, &v))
			TH_LOG("get listed MSR %#x", msr);
		/*
		 * The TSC moves between the two calls; KVM's paravirtual MSRs
		 * (0x11, 0x12, 0x4b564dxx) accept writes only when the guest's
		 * CPUID offers the feature. Everything else must round-trip.
		 */
		if (msr != 0x10 && msr != 0x11 && msr != 0x12 &&
		    (msr >> 8) != 0x4b564d)
			EXPECT_EQ(1, gl_set_msr(&self->vcpu, msr, v))
				TH_LOG("set listed MSR %#x to %#lx", msr,
				       (unsigned long)v);
	}
	/* A bad pointer is EFAULT. */
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->fd, KVM_GET_MSR_INDEX_LIST, 8));
	free(list);
}

TEST_HARNESS_MAIN
