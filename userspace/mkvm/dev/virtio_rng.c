// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_rng.c - entropy device (virtio 1.2, 5.4): fills each device-writable
 * buffer with bytes from the host's getrandom(2).
 *
 * A request is capped at 64 KiB per chain (5.4.6: the device may return
 * fewer bytes than asked), so a guest asking for gigabytes gets little.
 *
 * Non-goals: rate limiting.
 */
#include <stdlib.h>
#include <sys/random.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "virtio.h"

#define RNG_MAX_CHUNK	(64 * 1024)

static void rng_notify(struct virtio_dev *d, int q)
{
	struct virtq_chain *c = malloc(sizeof(*c));
	int done = 0;

	(void)q;
	if (!c)
		return;
	while (virtio_pop(d, 0, c) == 1) {
		size_t total = 0;

		for (int i = 0; i < c->nr_in && total < RNG_MAX_CHUNK; i++) {
			size_t l = c->in[i].iov_len;
			ssize_t r;

			if (l > RNG_MAX_CHUNK - total)
				l = RNG_MAX_CHUNK - total;
			r = getrandom(c->in[i].iov_base, l, 0);
			if (r <= 0)
				break;
			total += r;
			if ((size_t)r < l)
				break;
		}
		virtq_push(&d->vq[0], c->head, total);
		done++;
	}
	if (done)
		virtio_signal(d, VIRTIO_MMIO_INT_VRING);
	free(c);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.nqueues = 1,
	.notify = rng_notify,
};

int virtio_rng_create(struct vm *vm)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	return virtio_mmio_add(vm, d, &rng_ops, 0, d);
}
