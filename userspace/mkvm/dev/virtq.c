// SPDX-License-Identifier: GPL-2.0
/*
 * virtq.c - device side of the split virtqueue (virtio 1.2, 2.7).
 *
 * Everything here treats the guest as hostile: ring indices are taken modulo
 * the queue size only after being checked, every descriptor is copied out of
 * guest memory once (no double fetch), every buffer is translated through
 * gpa_ptr() (which refuses anything outside RAM), a chain may not be longer
 * than the queue (that is what catches descriptor loops, 2.7.5.3.1), writable
 * descriptors may not precede readable ones (2.7.4.2), and the total size of
 * a chain is capped.  Any violation makes the caller mark the device broken.
 *
 * Non-goals: packed virtqueues, indirect descriptors (VIRTIO_F_INDIRECT_DESC
 * is never offered, so a descriptor carrying the flag is a violation), event
 * index notification suppression (we always notify; correct, if chatty).
 */
#include <string.h>

#include "virtq.h"

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

int virtq_enable(struct virtq *q, const struct guest_mem *m, const char **why)
{
	uint64_t n = q->num;

	/* 2.7: queue size is a power of 2 no larger than QueueNumMax. */
	if (!n || n > VIRTQ_NUM_MAX || (n & (n - 1))) {
		*why = "bad queue size";
		return -1;
	}
	/* 2.7 table "Virtqueue Part Alignment": 16, 2 and 4 bytes. */
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3)) {
		*why = "misaligned ring";
		return -1;
	}
	q->desc = gpa_ptr(m, q->desc_gpa, 16 * n);
	q->avail = gpa_ptr(m, q->avail_gpa, 6 + 2 * n);
	q->used = gpa_ptr(m, q->used_gpa, 6 + 8 * n);
	if (!q->desc || !q->avail || !q->used) {
		*why = "ring outside guest memory";
		return -1;
	}
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
	return 0;
}

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

int virtq_pop(struct virtq *q, const struct guest_mem *m,
	      struct virtq_chain *c, const char **why)
{
	uint16_t avail_idx, head, idx;
	uint64_t total = 0;
	unsigned int count = 0;

	if (!q->ready)
		return 0;
	/* Acquire: the ring entries are valid once we see the new idx. */
	avail_idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == q->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
		*why = "avail index ran ahead of the ring";
		return -1;
	}
	head = LOAD(q->avail->ring[q->last_avail & (q->num - 1)]);
	if (head >= q->num) {
		*why = "avail ring entry out of range";
		return -1;
	}

	c->head = head;
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	idx = head;
	for (;;) {
		uint64_t addr = LOAD(q->desc[idx].addr);
		uint32_t len = LOAD(q->desc[idx].len);
		uint16_t flags = LOAD(q->desc[idx].flags);
		uint16_t next = LOAD(q->desc[idx].next);
		void *p;

		if (++count > q->num || count > VIRTQ_MAX_SEGS) {
			*why = "descriptor chain loops or is too long";
			return -1;
		}
		if (flags & VRING_DESC_F_INDIRECT) {
			*why = "indirect descriptor (not negotiated)";
			return -1;
		}
		total += len;
		if (total > VIRTQ_MAX_BYTES) {
			*why = "descriptor chain too large";
			return -1;
		}
		p = gpa_ptr(m, addr, len);
		if (!p && len) {
			*why = "descriptor outside guest memory";
			return -1;
		}
		if (flags & VRING_DESC_F_WRITE) {
			c->in[c->nr_in].iov_base = p;
			c->in[c->nr_in++].iov_len = len;
			c->in_len += len;
		} else {
			if (c->nr_in) {
				*why = "readable descriptor after a writable one";
				return -1;
			}
			c->out[c->nr_out].iov_base = p;
			c->out[c->nr_out++].iov_len = len;
			c->out_len += len;
		}
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		if (next >= q->num) {
			*why = "next descriptor out of range";
			return -1;
		}
		idx = next;
	}
	q->last_avail++;
	return 1;
}

void virtq_unpop(struct virtq *q)
{
	q->last_avail--;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &q->used->ring[q->used_idx & (q->num - 1)];

	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, len, __ATOMIC_RELAXED);
	q->used_idx++;
	/* Release: the element is visible before the index that covers it. */
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

size_t iov_to_buf(const struct iovec *iov, int n, size_t off, void *buf,
		  size_t len)
{
	size_t done = 0;

	for (int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len - done)
			l = len - done;
		memcpy((char *)buf + done, (char *)iov[i].iov_base + off, l);
		done += l;
		off = 0;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, int n, size_t off,
		    const void *buf, size_t len)
{
	size_t done = 0;

	for (int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len - done)
			l = len - done;
		memcpy((char *)iov[i].iov_base + off, (const char *)buf + done, l);
		done += l;
		off = 0;
	}
	return done;
}

int iov_slice(const struct iovec *iov, int n, size_t off, size_t len,
	      struct iovec *out, int max)
{
	int k = 0;

	for (int i = 0; i < n && len; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len)
			l = len;
		if (k == max)
			return -1;
		out[k].iov_base = (char *)iov[i].iov_base + off;
		out[k++].iov_len = l;
		len -= l;
		off = 0;
	}
	return k;
}
