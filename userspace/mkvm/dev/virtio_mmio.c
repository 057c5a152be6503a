// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_mmio.c - the virtio-mmio transport, version 2 ("modern", virtio 1.2
 * section 4.2.2), on top of KVM's ioeventfd and irqfd.
 *
 * Register accesses (probe, feature negotiation, queue setup, status) are
 * MMIO exits handled on the vCPU thread under d->lock.  Queue notifications
 * never exit to us: each queue's QueueNotify write is matched in the kernel
 * by a KVM_IOEVENTFD (datamatch = queue index) and lands on the epoll I/O
 * thread.  Interrupts go the other way through a KVM_IRQFD bound to the
 * device's IOAPIC pin; the pin is declared edge-triggered in the DSDT, which
 * is what an irqfd (a pulse) gives.
 *
 * Non-goals: legacy (version 1) register layout, shared memory regions,
 * VIRTIO_F_RING_RESET, notification data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "virtio.h"

#define VENDOR_ID	0x4d4b564d	/* "MKVM" */

static void notify_cb(struct io_handler *h, uint32_t events)
{
	struct virtio_dev *d = h->opaque;
	uint64_t cnt;

	(void)events;
	if (read(h->fd, &cnt, sizeof(cnt)) < 0)
		return;
	pthread_mutex_lock(&d->lock);
	if (virtio_running(d) && d->vq[h->arg].ready)
		d->ops->notify(d, h->arg);
	pthread_mutex_unlock(&d->lock);
}

int virtio_mmio_add(struct vm *vm, struct virtio_dev *d,
		    const struct virtio_dev_ops *ops, uint64_t features,
		    void *priv)
{
	if (vm->nvirtio >= MKVM_MAX_VIRTIO) {
		mkvm_err("too many virtio devices (max %d)", MKVM_MAX_VIRTIO);
		return -1;
	}
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->priv = priv;
	d->vm = vm;
	d->mem = &vm->mem;
	d->index = vm->nvirtio;
	d->base = LAYOUT_VIRTIO_MMIO + d->index * LAYOUT_VIRTIO_STRIDE;
	d->gsi = MKVM_VIRTIO_GSI_BASE + d->index;
	d->features = features | 1ULL << VIRTIO_F_VERSION_1;
	pthread_mutex_init(&d->lock, NULL);

	d->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->irqfd < 0 || vm_irqfd(vm, d->irqfd, d->gsi))
		return -1;
	for (int q = 0; q < ops->nqueues; q++) {
		struct io_handler *h = &d->notify_h[q];

		h->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		h->cb = notify_cb;
		h->opaque = d;
		h->arg = q;
		if (h->fd < 0 ||
		    vm_ioeventfd(vm, h->fd, d->base + VIRTIO_MMIO_QUEUE_NOTIFY,
				 4, q) ||
		    io_add(h, EPOLLIN))
			return -1;
	}
	vm->virtio[vm->nvirtio++] = d;
	return 0;
}

bool virtio_running(struct virtio_dev *d)
{
	return !d->broken && (d->status & VIRTIO_CONFIG_S_DRIVER_OK);
}

void virtio_signal(struct virtio_dev *d, uint32_t isr)
{
	uint64_t one = 1;

	__atomic_or_fetch(&d->isr, isr, __ATOMIC_SEQ_CST);
	if (write(d->irqfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		mkvm_err("%s: irqfd write: %s", d->ops->name, strerror(errno));
}

void virtio_set_broken(struct virtio_dev *d, const char *why)
{
	if (d->broken)
		return;
	d->broken = true;
	mkvm_err("%s%d: guest driver error: %s; device stopped",
		 d->ops->name, d->index, why);
	/* 2.1.1: DEVICE_NEEDS_RESET, announced by a config change. */
	d->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	virtio_signal(d, VIRTIO_MMIO_INT_CONFIG);
}

int virtio_pop(struct virtio_dev *d, int q, struct virtq_chain *c)
{
	const char *why = NULL;
	int r;

	if (!virtio_running(d))
		return 0;
	r = virtq_pop(&d->vq[q], d->mem, c, &why);
	if (r < 0) {
		virtio_set_broken(d, why);
		return 0;
	}
	return r;
}

static void device_reset(struct virtio_dev *d)
{
	for (int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		virtq_reset(&d->vq[q]);
	d->status = 0;
	d->driver_features = 0;
	d->dev_feat_sel = d->drv_feat_sel = d->queue_sel = 0;
	__atomic_store_n(&d->isr, 0, __ATOMIC_SEQ_CST);
	d->broken = false;
	if (d->ops->reset)
		d->ops->reset(d);
}

static void set_status(struct virtio_dev *d, uint32_t val)
{
	uint32_t old = d->status;

	if (!val) {		/* 4.2.2.1: writing 0 resets the device */
		device_reset(d);
		return;
	}
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* 3.1.1: refuse features we did not offer, and legacy mode. */
		if ((d->driver_features & ~d->features) ||
		    !(d->driver_features & (1ULL << VIRTIO_F_VERSION_1)))
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	d->status = val | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_DRIVER_OK) && !d->broken) {
		if (d->ops->activate)
			d->ops->activate(d);
		/*
		 * A kick that came before DRIVER_OK was dropped by
		 * notify_cb(); serve whatever the driver queued by now.
		 */
		for (int q = 0; q < d->ops->nqueues; q++)
			if (d->vq[q].ready && virtio_running(d))
				d->ops->notify(d, q);
	}
}

static uint32_t reg_read(struct virtio_dev *d, uint32_t off)
{
	struct virtq *q = d->queue_sel < (uint32_t)d->ops->nqueues ?
			  &d->vq[d->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return 0x74726976;		/* "virt" */
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (d->dev_feat_sel > 1)
			return 0;
		return (uint32_t)(d->features >> (32 * d->dev_feat_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? VIRTQ_NUM_MAX : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&d->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return d->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		return 0xffffffff;		/* no shared memory region */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return 0;
	}
	return 0;
}

static void set_addr(uint64_t *a, bool high, uint32_t v)
{
	if (high)
		*a = (*a & 0xffffffffULL) | (uint64_t)v << 32;
	else
		*a = (*a & ~0xffffffffULL) | v;
}

static void reg_write(struct virtio_dev *d, uint32_t off, uint32_t val)
{
	struct virtq *q = d->queue_sel < (uint32_t)d->ops->nqueues ?
			  &d->vq[d->queue_sel] : NULL;
	const char *why;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->dev_feat_sel = val;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (d->drv_feat_sel > 1 ||
		    (d->status & VIRTIO_CONFIG_S_FEATURES_OK))
			return;
		set_addr(&d->driver_features, d->drv_feat_sel, val);
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->drv_feat_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		d->queue_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Normally caught by the ioeventfd; handle stragglers. */
		if (val < (uint32_t)d->ops->nqueues && virtio_running(d) &&
		    d->vq[val].ready)
			d->ops->notify(d, val);
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_and_fetch(&d->isr, ~val, __ATOMIC_SEQ_CST);
		return;
	case VIRTIO_MMIO_STATUS:
		set_status(d, val);
		return;
	}
	/* Queue registers: ignored while the queue is live (4.2.2.3). */
	if (!q || (q->ready && off != VIRTIO_MMIO_QUEUE_READY))
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->num = val > 0xffff ? 0 : val;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!val) {
			q->ready = false;
		} else if (!q->ready && virtq_enable(q, d->mem, &why)) {
			virtio_set_broken(d, why);
		}
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_addr(&q->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_addr(&q->avail_gpa, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_addr(&q->used_gpa, off == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
		break;
	}
}

void virtio_mmio_access(struct virtio_dev *d, uint64_t off, uint8_t *data,
			uint32_t len, bool write)
{
	uint32_t val = 0;

	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		/* Device config: byte-granular, writes ignored (read-only). */
		if (!write && len <= 8 && off - VIRTIO_MMIO_CONFIG < 0x100) {
			memset(data, 0, len);
			if (d->ops->config_read)
				d->ops->config_read(d, off - VIRTIO_MMIO_CONFIG,
						    data, len);
		}
		goto out;
	}
	/* 4.2.2.2: registers are 32 bits wide and accessed as such. */
	if (len != 4 || (off & 3)) {
		if (!write)
			memset(data, 0, len);
		goto out;
	}
	if (write) {
		memcpy(&val, data, 4);
		reg_write(d, off, val);
	} else {
		val = reg_read(d, off);
		memcpy(data, &val, 4);
	}
out:
	pthread_mutex_unlock(&d->lock);
}
