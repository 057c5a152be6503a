// SPDX-License-Identifier: GPL-2.0
/*
 * ioeventfd_test - KVM_IOEVENTFD on /dev/kvm and /dev/minikvm
 * (api.rst 4.59): a guest write that matches a registered port or MMIO
 * address (length 1/2/4/8, or 0 for "any length"; optionally a data
 * value) signals the eventfd in the kernel and the guest continues with
 * no exit to userspace; anything that does not match still exits.
 *
 * Checked: the eventfd count equals the number of guest writes, and the
 * only exit of a run of N writes is the guest's final ucall; datamatch
 * filters; deassign restores the exit; the ioctl's errnos for bad
 * lengths, flags, descriptors and duplicates.
 */
#include "mkvm_test.h"
#include "irq_lib.h"

#define PORT	0x1000
#define MMIO	0xd0000000UL
#define N	100

enum { PH_PIO, PH_MMIO_ANY, PH_DATAMATCH, PH_ONE };

static void GUEST_CODE guest_main(uint64_t phase)
{
	volatile uint8_t *m8 = (void *)MMIO;
	int i;

	switch (phase) {
	case PH_PIO:
		for (i = 0; i < N; i++)
			asm volatile("outw %%ax, %%dx" : : "a"(i), "d"(PORT));
		break;
	case PH_MMIO_ANY:
		for (i = 0; i < N / 4; i++) {
			*m8 = i;
			*(volatile uint16_t *)m8 = i;
			*(volatile uint32_t *)m8 = i;
			*(volatile uint64_t *)m8 = i;
		}
		/* Not the registered address: an exit. */
		*(volatile uint32_t *)(m8 + 4) = 0xabcd;
		break;
	case PH_DATAMATCH:
		for (i = 0; i < 3; i++)
			asm volatile("outl %%eax, %%dx" : : "a"(0x1234), "d"(PORT));
		asm volatile("outl %%eax, %%dx" : : "a"(0x9999), "d"(PORT));
		break;
	case PH_ONE:
		asm volatile("outb %%al, %%dx" : : "a"(7), "d"(PORT));
		break;
	}
}

GL_DEV_FIXTURE();

static int add(struct gl_vm *vm, int efd, uint64_t addr, uint32_t len,
	       uint32_t flags, uint64_t match)
{
	struct kvm_ioeventfd a = {
		.datamatch = match, .addr = addr, .len = len, .fd = efd,
		.flags = flags,
	};

	return mkvm_ioctl(vm->fd, KVM_IOEVENTFD, (unsigned long)&a);
}

#define REQUIRE_IOEVENTFD()						\
	GL_REQUIRE(self->fd, variant->path, GL_CAP(KVM_CAP_IOEVENTFD),	\
		   GL_CAP(KVM_CAP_IOEVENTFD_ANY_LENGTH), GL_CAP_EMU)

TEST_F(dev, pio_no_exits)
{
	struct gl_ucall uc;
	int efd;

	REQUIRE_IOEVENTFD();
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_EQ(0, add(&self->vm, efd, PORT, 2, KVM_IOEVENTFD_FLAG_PIO, 0));
	gl_vcpu_setup_c(&self->vcpu, guest_main, PH_PIO);
	/* N writes, and the first exit is the guest's DONE. */
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	EXPECT_EQ(N, efd_read(efd));
	close(efd);
}

TEST_F(dev, mmio_any_length)
{
	struct kvm_run *run = self->vcpu.run;
	struct gl_ucall uc;
	int efd;

	REQUIRE_IOEVENTFD();
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_EQ(0, add(&self->vm, efd, MMIO, 0, 0, 0));
	gl_vcpu_setup_c(&self->vcpu, guest_main, PH_MMIO_ANY);
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(MMIO + 4, run->mmio.phys_addr);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(N, efd_read(efd));
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	close(efd);
}

TEST_F(dev, datamatch)
{
	struct kvm_run *run = self->vcpu.run;
	struct gl_ucall uc;
	int efd;

	REQUIRE_IOEVENTFD();
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_EQ(0, add(&self->vm, efd, PORT, 4, KVM_IOEVENTFD_FLAG_PIO |
			 KVM_IOEVENTFD_FLAG_DATAMATCH, 0x1234));
	gl_vcpu_setup_c(&self->vcpu, guest_main, PH_DATAMATCH);
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_IO);
	EXPECT_EQ(PORT, run->io.port);
	EXPECT_EQ(0x9999, *(uint32_t *)gl_pio_data(&self->vcpu));
	EXPECT_EQ(3, efd_read(efd));
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	close(efd);
}

TEST_F(dev, deassign)
{
	struct gl_ucall uc;
	int efd;

	REQUIRE_IOEVENTFD();
	efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_EQ(0, add(&self->vm, efd, PORT, 1, KVM_IOEVENTFD_FLAG_PIO, 0));
	ASSERT_EQ(0, add(&self->vm, efd, PORT, 1, KVM_IOEVENTFD_FLAG_PIO |
			 KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	/* Gone: deassigning again finds nothing. */
	EXPECT_EQ(-ENOENT, add(&self->vm, efd, PORT, 1, KVM_IOEVENTFD_FLAG_PIO |
			       KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	gl_vcpu_setup_c(&self->vcpu, guest_main, PH_ONE);
	gl_expect_exit(_metadata, &self->vcpu, KVM_EXIT_IO);
	EXPECT_EQ(PORT, self->vcpu.run->io.port);
	EXPECT_EQ(0, efd_read(efd));
	gl_expect_ucall(_metadata, &self->vcpu, &uc, GL_UCALL_DONE);
	close(efd);
}

TEST_F(dev, errors)
{
	int efd;

	REQUIRE_IOEVENTFD();
	efd = eventfd(0, EFD_NONBLOCK);
	EXPECT_EQ(-EINVAL, add(&self->vm, efd, PORT, 3, KVM_IOEVENTFD_FLAG_PIO, 0));
	EXPECT_EQ(-EINVAL, add(&self->vm, efd, MMIO, 0,
			       KVM_IOEVENTFD_FLAG_DATAMATCH, 1));
	EXPECT_EQ(-EINVAL, add(&self->vm, efd, MMIO, 4, 1 << 20, 0));
	EXPECT_EQ(-EINVAL, add(&self->vm, efd, -2ULL, 4, 0, 0));
	EXPECT_EQ(-EBADF, add(&self->vm, 1000, MMIO, 4, 0, 0));
	EXPECT_EQ(-EINVAL, add(&self->vm, 0, MMIO, 4, 0, 0));
	ASSERT_EQ(0, add(&self->vm, efd, MMIO, 4, 0, 0));
	EXPECT_EQ(-EEXIST, add(&self->vm, efd, MMIO, 4, 0, 0));
	/* Different data values at one address coexist. */
	ASSERT_EQ(0, add(&self->vm, efd, PORT, 2, KVM_IOEVENTFD_FLAG_PIO |
			 KVM_IOEVENTFD_FLAG_DATAMATCH, 1));
	EXPECT_EQ(0, add(&self->vm, efd, PORT, 2, KVM_IOEVENTFD_FLAG_PIO |
			 KVM_IOEVENTFD_FLAG_DATAMATCH, 2));
	close(efd);
}

TEST_HARNESS_MAIN
