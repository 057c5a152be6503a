// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_blk.c - virtio block device (virtio 1.2, 5.2) backed by a raw image
 * file, optionally read-only.
 *
 * Requests are served synchronously on the I/O thread with preadv/pwritev
 * straight into guest memory (the chain's iovecs point at it); FLUSH is
 * fdatasync.  Every request is bounds-checked against the capacity, and a
 * malformed request (short header, no status byte, data length not a
 * multiple of 512) completes with an error status rather than breaking the
 * device, as 5.2.6.1 allows; only ring-level violations mark it broken.
 *
 * Non-goals: discard/write-zeroes, multiqueue, asynchronous I/O, qcow2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "virtio.h"

#define SECTOR		512
#define SEG_MAX		(VIRTQ_MAX_SEGS - 2)	/* minus header and status */

struct blk {
	struct virtio_dev dev;
	int fd;
	bool ro;
	uint64_t capacity;	/* sectors */
	char id[VIRTIO_BLK_ID_BYTES];
};

static void blk_config(struct virtio_dev *d, uint32_t off, uint8_t *data,
		       uint32_t len)
{
	struct blk *b = d->priv;
	struct virtio_blk_config c;

	memset(&c, 0, sizeof(c));
	c.capacity = b->capacity;
	c.seg_max = SEG_MAX;
	if (off < sizeof(c))
		memcpy(data, (uint8_t *)&c + off,
		       len < sizeof(c) - off ? len : sizeof(c) - off);
}

static uint8_t blk_rw(struct blk *b, struct virtq_chain *c, uint32_t type,
		      uint64_t sector, uint32_t *written)
{
	struct iovec iov[VIRTQ_MAX_SEGS];
	uint64_t len;
	ssize_t r;
	int n;

	if (type == VIRTIO_BLK_T_IN) {
		len = c->in_len - 1;
		n = iov_slice(c->in, c->nr_in, 0, len, iov, VIRTQ_MAX_SEGS);
	} else {
		len = c->out_len - sizeof(struct virtio_blk_outhdr);
		n = iov_slice(c->out, c->nr_out, sizeof(struct virtio_blk_outhdr),
			      len, iov, VIRTQ_MAX_SEGS);
	}
	if (n < 0 || len % SECTOR)
		return VIRTIO_BLK_S_IOERR;
	if (sector > b->capacity || len / SECTOR > b->capacity - sector)
		return VIRTIO_BLK_S_IOERR;
	if (type == VIRTIO_BLK_T_OUT && b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (!len)
		return VIRTIO_BLK_S_OK;
	if (type == VIRTIO_BLK_T_IN)
		r = preadv(b->fd, iov, n, sector * SECTOR);
	else
		r = pwritev(b->fd, iov, n, sector * SECTOR);
	if (r != (ssize_t)len)
		return VIRTIO_BLK_S_IOERR;
	if (type == VIRTIO_BLK_T_IN)
		*written = len;
	return VIRTIO_BLK_S_OK;
}

static void blk_request(struct blk *b, struct virtq_chain *c)
{
	struct virtio_blk_outhdr h;
	uint32_t written = 0;
	uint8_t status;

	/* 5.2.6: header first (device-readable), status byte last. */
	if (!c->in_len) {
		/* Nowhere to put the status: complete it with nothing. */
		virtq_push(&b->dev.vq[0], c->head, 0);
		return;
	}
	if (iov_to_buf(c->out, c->nr_out, 0, &h, sizeof(h)) != sizeof(h)) {
		status = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		status = blk_rw(b, c, h.type, h.sector, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = fdatasync(b->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		size_t l = c->in_len - 1;

		if (l > sizeof(b->id))
			l = sizeof(b->id);
		written = iov_from_buf(c->in, c->nr_in, 0, b->id, l);
		status = VIRTIO_BLK_S_OK;
		break;
	}
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
done:
	iov_from_buf(c->in, c->nr_in, c->in_len - 1, &status, 1);
	virtq_push(&b->dev.vq[0], c->head, written + 1);
}

static void blk_notify(struct virtio_dev *d, int q)
{
	struct blk *b = d->priv;
	struct virtq_chain *c = malloc(sizeof(*c));
	int done = 0;

	(void)q;
	if (!c)
		return;
	while (virtio_pop(d, 0, c) == 1) {
		blk_request(b, c);
		done++;
	}
	if (done)
		virtio_signal(d, VIRTIO_MMIO_INT_VRING);
	free(c);
}

static const struct virtio_dev_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.nqueues = 1,
	.config_read = blk_config,
	.notify = blk_notify,
};

int virtio_blk_create(struct vm *vm, const char *path, bool ro)
{
	struct blk *b = calloc(1, sizeof(*b));
	uint64_t feat = 1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_SEG_MAX;
	struct stat st;

	if (!b)
		return -1;
	b->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st)) {
		mkvm_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		mkvm_err("%s: not a regular file or block device", path);
		return -1;
	}
	if (S_ISBLK(st.st_mode))
		st.st_size = lseek(b->fd, 0, SEEK_END);
	b->ro = ro;
	b->capacity = st.st_size / SECTOR;
	snprintf(b->id, sizeof(b->id), "mkvm%d", vm->nvirtio);
	if (ro)
		feat |= 1ULL << VIRTIO_BLK_F_RO;
	return virtio_mmio_add(vm, &b->dev, &blk_ops, feat, b);
}
