/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio.h - the virtio-mmio transport (virtio 1.2, 4.2, version 2 register
 * layout) and the interface between it and the device models.
 */
#ifndef MKVM_VIRTIO_H
#define MKVM_VIRTIO_H

#include <pthread.h>
#include <sys/epoll.h>

#include "virtq.h"
#include "../vm.h"

#define VIRTIO_MAX_QUEUES	4
#define VIRTIO_MMIO_SIZE	0x200	/* what the guest is told to map */

struct virtio_dev;

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;	/* 5.x: 1 net, 2 blk, 3 console, 4 rng */
	int nqueues;
	/* Device-specific config space (4.2.2, offset 0x100 onwards). */
	void (*config_read)(struct virtio_dev *d, uint32_t off, uint8_t *data,
			    uint32_t len);
	/* The driver kicked queue q.  I/O thread, d->lock held. */
	void (*notify)(struct virtio_dev *d, int q);
	/* DRIVER_OK was set / the device was reset.  d->lock held. */
	void (*activate)(struct virtio_dev *d);
	void (*reset)(struct virtio_dev *d);
};

struct io_handler {
	int fd;
	void (*cb)(struct io_handler *h, uint32_t events);
	void *opaque;
	int arg;
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv;
	struct vm *vm;
	const struct guest_mem *mem;
	int index;
	uint64_t base;
	uint32_t gsi;
	uint64_t features;	/* offered, VERSION_1 included */
	pthread_mutex_t lock;

	int irqfd;
	struct io_handler notify_h[VIRTIO_MAX_QUEUES];

	/* Transport registers. */
	uint32_t status;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	uint64_t driver_features;
	uint32_t isr;
	bool broken;
	struct virtq vq[VIRTIO_MAX_QUEUES];
};

/* Register the device: MMIO window, irqfd, one ioeventfd per queue. */
int virtio_mmio_add(struct vm *vm, struct virtio_dev *d,
		    const struct virtio_dev_ops *ops, uint64_t features,
		    void *priv);
/* MMIO exit inside the device window (vCPU thread). */
void virtio_mmio_access(struct virtio_dev *d, uint64_t off, uint8_t *data,
			uint32_t len, bool write);
/* Tell the driver about used buffers (isr bit 0) or config (bit 1). */
void virtio_signal(struct virtio_dev *d, uint32_t isr);
/* The driver broke the rules: stop serving the device (2.1.1). */
void virtio_set_broken(struct virtio_dev *d, const char *why);
bool virtio_running(struct virtio_dev *d);
/* Pop helper: marks the device broken on a violation, returns 1/0. */
int virtio_pop(struct virtio_dev *d, int q, struct virtq_chain *c);

/* io_thread.c */
int io_init(void);
int io_add(struct io_handler *h, uint32_t events);
/* Same, silent: for fds that may not be pollable (stdin from a file). */
int io_try_add(struct io_handler *h, uint32_t events);
int io_mod(struct io_handler *h, uint32_t events);
void io_del(struct io_handler *h);
int io_loop(struct vm *vm, int timeout_sec);

/* Devices. */
int virtio_blk_create(struct vm *vm, const char *path, bool ro);
int virtio_rng_create(struct vm *vm);
int virtio_9p_create(struct vm *vm, const char *dir, const char *tag, bool ro);
int virtio_console_create(struct vm *vm);
void virtio_console_input(const uint8_t *buf, size_t len);
int virtio_net_create(struct vm *vm, const char *ifname, const char *bridge);
/* virtio-net on a datagram fd that carries one frame per read/write. */
int virtio_net_create_fd(struct vm *vm, int fd, const char *what);

struct serial *serial_create(struct vm *vm, int out_fd);
void serial_input(struct serial *s, const uint8_t *buf, size_t len);

#endif
