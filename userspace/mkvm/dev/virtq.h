/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtq.h - split virtqueues (virtio 1.2, section 2.7) as seen by a device,
 * and small helpers for scatter/gather lists over guest memory.
 */
#ifndef MKVM_VIRTQ_H
#define MKVM_VIRTQ_H

#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "../mkvm.h"

#define VIRTQ_NUM_MAX	256	/* queue size we offer (QueueNumMax) */
#define VIRTQ_MAX_SEGS	VIRTQ_NUM_MAX
/* A single request never needs more: the limit turns "huge" into "broken". */
#define VIRTQ_MAX_BYTES	(256ULL * MiB)

struct virtq {
	uint16_t num;		/* QueueNum written by the driver */
	bool ready;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Host views of the three areas, checked by virtq_enable(). */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;	/* next avail ring slot to consume */
	uint16_t used_idx;	/* our copy of used->idx */
};

struct virtq_chain {
	uint16_t head;
	int nr_out, nr_in;	/* device-readable, device-writable */
	uint64_t out_len, in_len;
	struct iovec out[VIRTQ_MAX_SEGS];
	struct iovec in[VIRTQ_MAX_SEGS];
};

void virtq_reset(struct virtq *q);
/* Validate sizes, alignment and addresses; map.  0 or -1 (with reason). */
int virtq_enable(struct virtq *q, const struct guest_mem *m, const char **why);
/* 1: chain returned, 0: ring empty, -1: driver broke the rules (why set). */
int virtq_pop(struct virtq *q, const struct guest_mem *m,
	      struct virtq_chain *c, const char **why);
/* Hand a chain back unused (e.g. no packet to put in it after all). */
void virtq_unpop(struct virtq *q);
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);

size_t iov_to_buf(const struct iovec *iov, int n, size_t off, void *buf,
		  size_t len);
size_t iov_from_buf(const struct iovec *iov, int n, size_t off,
		    const void *buf, size_t len);
/* Sub-list of [off, off+len): returns the number of entries, -1 if > max. */
int iov_slice(const struct iovec *iov, int n, size_t off, size_t len,
	      struct iovec *out, int max);

#endif
