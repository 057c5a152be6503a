// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid_test - the guest sees exactly the CPUID table userspace installed,
 * on /dev/kvm and /dev/minikvm (api.rst 4.73 KVM_SET_CPUID2).
 *
 *  - guest_sees_table: with the device's own KVM_GET_SUPPORTED_CPUID table
 *    installed, a 64-bit guest executes CPUID for every entry and reports
 *    each register that differs from the table. KVM's documented runtime
 *    changes are allowed for: leaf 0Dh subleaves 0 and 1 follow XCR0/XSS,
 *    leaf 1 ECX.OSXSAVE follows CR4.OSXSAVE. The hypervisor leaf
 *    4000_0000h must name 4000_0001h as its last (kvmclock). After the
 *    run, the table KVM_GET_CPUID2 returns (runtime bits included) may be
 *    set again, a table with a feature changed may not (EINVAL).
 */
#include <string.h>
#include "mkvm_test.h"
#include "guest_lib.h"

GL_DEV_FIXTURE();

#define MAX_ENT	128

static struct kvm_cpuid_entry2 table[MAX_ENT];
static uint32_t nent;

static GUEST_CODE void cpuid_guest(uint64_t unused)
{
	uint32_t i, r[4];

	for (i = 0; i < nent; i++) {
		const struct kvm_cpuid_entry2 *e = &table[i];

		if (e->function == 0xd && e->index <= 1)
			continue;
		gl_cpuid(e->function, e->index, r);
		if (e->function == 1)
			r[2] = (r[2] & ~(1u << 27)) | (e->ecx & (1u << 27));
		if (r[0] != e->eax)
			GUEST_SYNC(i, 0, r[0]);
		if (r[1] != e->ebx)
			GUEST_SYNC(i, 1, r[1]);
		if (r[2] != e->ecx)
			GUEST_SYNC(i, 2, r[2]);
		if (r[3] != e->edx)
			GUEST_SYNC(i, 3, r[3]);
	}
}

static void check_table(struct __test_metadata *_metadata,
			FIXTURE_DATA(dev) *self)
{
	struct kvm_cpuid2 *c = gl_supported_cpuid(self->fd);
	struct kvm_cpuid_entry2 *t = gl_hva(&self->vm, (uintptr_t)table);
	static const char *const reg[] = { "eax", "ebx", "ecx", "edx" };
	struct gl_ucall uc;
	int r, bad = 0;

	ASSERT_NE(NULL, c);
	ASSERT_LE(c->nent, MAX_ENT);
	ASSERT_EQ(0, ioctl(self->vcpu.fd, KVM_SET_CPUID2, c));
	memcpy(t, c->entries, c->nent * sizeof(*t));
	*(uint32_t *)gl_hva(&self->vm, (uintptr_t)&nent) = c->nent;
	gl_vcpu_setup_c(&self->vcpu, cpuid_guest, 0);
	while ((r = gl_run_ucall(&self->vcpu, &uc)) == GL_UCALL_SYNC) {
		const struct kvm_cpuid_entry2 *e = &t[uc.args[0]];
		uint32_t want = uc.args[1] == 0 ? e->eax : uc.args[1] == 1 ?
				e->ebx : uc.args[1] == 2 ? e->ecx : e->edx;

		TH_LOG("CPUID %#x.%u %s: guest %#lx, table %#x", e->function,
		       e->index, reg[uc.args[1]], (unsigned long)uc.args[2],
		       want);
		bad++;
	}
	EXPECT_EQ(GL_UCALL_DONE, r);
	EXPECT_EQ(0, bad);
	for (r = 0; r < (int)c->nent; r++)
		if (c->entries[r].function == 0x40000000)
			EXPECT_EQ(0x40000001, c->entries[r].eax);
	/*
	 * After KVM_RUN the table read back (with the runtime bits brought
	 * up to date) may be set again; a changed feature may not.
	 */
	ASSERT_EQ(0, ioctl(self->vcpu.fd, KVM_GET_CPUID2, c));
	EXPECT_EQ(0, ioctl(self->vcpu.fd, KVM_SET_CPUID2, c));
	for (r = 0; r < (int)c->nent; r++)
		if (c->entries[r].function == 7)
			c->entries[r].ebx ^= 1u << 3;	/* BMI1 */
	EXPECT_EQ(-1, ioctl(self->vcpu.fd, KVM_SET_CPUID2, c));
	free(c);
}

TEST_F(dev, guest_sees_table)
{
	check_table(_metadata, self);
}

/* The same with an in-kernel irqchip (the upstream selftests' setup). */
TEST_F(dev, guest_sees_table_irqchip)
{
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_IRQCHIP));
	gl_vcpu_destroy(&self->vcpu);
	gl_vm_destroy(&self->vm);
	gl_vm_create(&self->vm, self->fd);
	ASSERT_EQ(0, ioctl(self->vm.fd, KVM_CREATE_IRQCHIP, 0));
	gl_vcpu_create(&self->vm, &self->vcpu, 0);
	check_table(_metadata, self);
}

TEST_HARNESS_MAIN
