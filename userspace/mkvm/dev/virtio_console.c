// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_console.c - a single-port virtio console (virtio 1.2, 5.3), /dev/hvc0
 * in the guest.  Output goes to mkvm's stdout, next to the UART's; console
 * input is offered to it as well as to the UART, so whichever the guest
 * reads from gets the keys.
 *
 * Input that arrives while the guest has posted no receive buffer is dropped
 * (an hvc0 nobody has opened should not hold keystrokes back for later).
 *
 * Non-goals: VIRTIO_CONSOLE_F_MULTIPORT, F_SIZE, emergency write.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "virtio.h"

static struct virtio_dev *console_dev;
static int console_out_fd = 1;

enum { RXQ = 0, TXQ = 1 };

static void console_notify(struct virtio_dev *d, int q)
{
	struct virtq_chain *c;
	int done = 0;

	if (q != TXQ)
		return;		/* new RX buffers: used on the next input */
	c = malloc(sizeof(*c));
	if (!c)
		return;
	while (virtio_pop(d, TXQ, c) == 1) {
		if (console_out_fd >= 0 &&
		    writev(console_out_fd, c->out, c->nr_out) < 0 &&
		    errno != EAGAIN)
			console_out_fd = -1;
		virtq_push(&d->vq[TXQ], c->head, 0);
		done++;
	}
	if (done)
		virtio_signal(d, VIRTIO_MMIO_INT_VRING);
	free(c);
}

void virtio_console_input(const uint8_t *buf, size_t len)
{
	struct virtio_dev *d = console_dev;
	struct virtq_chain *c;
	int done = 0;

	if (!d)
		return;
	c = malloc(sizeof(*c));
	if (!c)
		return;
	pthread_mutex_lock(&d->lock);
	while (len && d->vq[RXQ].ready && virtio_pop(d, RXQ, c) == 1) {
		size_t n = iov_from_buf(c->in, c->nr_in, 0, buf, len);

		virtq_push(&d->vq[RXQ], c->head, n);
		buf += n;
		len -= n;
		done++;
		if (!n)
			break;
	}
	if (done)
		virtio_signal(d, VIRTIO_MMIO_INT_VRING);
	pthread_mutex_unlock(&d->lock);
	free(c);
}

static const struct virtio_dev_ops console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.nqueues = 2,
	.notify = console_notify,
};

int virtio_console_create(struct vm *vm)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	console_dev = d;
	return virtio_mmio_add(vm, d, &console_ops, 0, d);
}
