// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_9p.c - the 9P transport device (virtio 1.2, 5.11 "File System
 * Device" is virtio-fs; 9P over virtio is device ID 9, "9P transport",
 * section 5 device-ID table; its layout is Linux
 * include/uapi/linux/virtio_9p.h): one request queue, a config space
 * holding the mount tag (VIRTIO_9P_MOUNT_TAG), and per chain one 9P
 * request in the device-readable part and room for its reply in the
 * device-writable part.
 *
 * The request is copied out of guest memory once (no double fetch), served
 * by the pure server in p9_server.c, and the reply copied into the
 * writable buffers.  The Linux client's zero-copy reads and writes put the
 * payload in separate pages after a short header; seen as one byte
 * stream, that is still one message, so nothing special is needed.
 * Requests are served synchronously on the I/O thread, in ring order.
 *
 * Non-goals: asynchronous requests (a slow host file system delays the
 * console too), virtio-fs, more than one queue.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_9p.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "virtio.h"
#include "p9.h"

struct v9p {
	struct virtio_dev dev;
	struct p9_server srv;
	char tag[P9_TAG_MAX + 1];
	uint8_t *req, *resp;
	struct virtq_chain chain;
};

static void v9p_config(struct virtio_dev *d, uint32_t off, uint8_t *data,
		       uint32_t len)
{
	struct v9p *v = d->priv;
	uint8_t cfg[2 + P9_TAG_MAX];
	size_t tl = strlen(v->tag), n = 2 + tl;

	cfg[0] = tl & 0xff;
	cfg[1] = tl >> 8;
	memcpy(cfg + 2, v->tag, tl);
	if (off < n)
		memcpy(data, cfg + off, len < n - off ? len : n - off);
}

static void v9p_notify(struct virtio_dev *d, int q)
{
	struct v9p *v = d->priv;
	struct virtq_chain *c = &v->chain;
	int done = 0;

	(void)q;
	while (virtio_pop(d, 0, c) == 1) {
		uint64_t cap = c->in_len < P9_MAX_MSIZE ? c->in_len :
			       P9_MAX_MSIZE;
		size_t len = iov_to_buf(c->out, c->nr_out, 0, v->req,
					P9_MAX_MSIZE);
		uint32_t n = p9_handle(&v->srv, v->req, len, v->resp, cap);

		iov_from_buf(c->in, c->nr_in, 0, v->resp, n);
		virtq_push(&d->vq[0], c->head, n);
		done++;
	}
	if (done)
		virtio_signal(d, VIRTIO_MMIO_INT_VRING);
}

static void v9p_reset(struct virtio_dev *d)
{
	struct v9p *v = d->priv;

	p9_server_reset(&v->srv);
}

static const struct virtio_dev_ops v9p_ops = {
	.name = "virtio-9p",
	.device_id = VIRTIO_ID_9P,
	.nqueues = 1,
	.config_read = v9p_config,
	.notify = v9p_notify,
	.reset = v9p_reset,
};

int virtio_9p_create(struct vm *vm, const char *dir, const char *tag, bool ro)
{
	struct v9p *v = calloc(1, sizeof(*v));
	char err[PATH_MAX + 128];

	if (!v)
		return -1;
	v->req = malloc(P9_MAX_MSIZE);
	v->resp = malloc(P9_MAX_MSIZE);
	if (!v->req || !v->resp)
		return -1;
	if (strlen(tag) > P9_TAG_MAX)
		return -1;
	strcpy(v->tag, tag);
	if (p9_server_init(&v->srv, dir, ro, err, sizeof(err))) {
		mkvm_err("share %s", err);
		return -1;
	}
	return virtio_mmio_add(vm, &v->dev, &v9p_ops,
			       1ULL << VIRTIO_9P_MOUNT_TAG, v);
}
