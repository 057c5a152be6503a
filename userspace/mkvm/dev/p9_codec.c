// SPDX-License-Identifier: GPL-2.0
/*
 * p9_codec.c - the 9P wire format: little-endian integers, strings as
 * length[2] + bytes (no NUL), qids as type[1] version[4] path[8], and the
 * message header size[4] type[1] tag[2] (Plan 9 manual section 5, "intro";
 * 9P2000.L adds only new message types, Linux include/net/9p/9p.h).
 *
 * Every read and write is bounds-checked against the buffer; the first
 * overrun marks the buffer bad and turns the rest into no-ops, so decoding
 * a truncated or lying message never touches memory outside it.
 *
 * Non-goals: the 9P2000.u stat structure, Tstat/Twstat (the .L client never
 * sends them).
 */
#include <string.h>

#include "p9.h"

static const uint8_t *take(struct p9_buf *b, uint32_t n)
{
	const uint8_t *p;

	if (b->bad || n > b->cap - b->pos) {
		b->bad = true;
		return NULL;
	}
	p = b->p + b->pos;
	b->pos += n;
	return p;
}

static uint64_t get_le(struct p9_buf *b, int n)
{
	const uint8_t *p = take(b, n);
	uint64_t v = 0;

	if (!p)
		return 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint8_t p9_get8(struct p9_buf *b)
{
	return get_le(b, 1);
}

uint16_t p9_get16(struct p9_buf *b)
{
	return get_le(b, 2);
}

uint32_t p9_get32(struct p9_buf *b)
{
	return get_le(b, 4);
}

uint64_t p9_get64(struct p9_buf *b)
{
	return get_le(b, 8);
}

void p9_get_str(struct p9_buf *b, char *out, size_t cap)
{
	uint16_t len = p9_get16(b);
	const uint8_t *p = take(b, len);

	out[0] = 0;
	if (!p)
		return;
	if (len >= cap || memchr(p, 0, len)) {
		b->bad = true;
		return;
	}
	memcpy(out, p, len);
	out[len] = 0;
}

uint8_t *p9_reserve(struct p9_buf *b, uint32_t len)
{
	return (uint8_t *)take(b, len);
}

static void put_le(struct p9_buf *b, uint64_t v, int n)
{
	uint8_t *p = (uint8_t *)take(b, n);

	if (!p)
		return;
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = v & 0xff;
}

void p9_put8(struct p9_buf *b, uint8_t v)
{
	put_le(b, v, 1);
}

void p9_put16(struct p9_buf *b, uint16_t v)
{
	put_le(b, v, 2);
}

void p9_put32(struct p9_buf *b, uint32_t v)
{
	put_le(b, v, 4);
}

void p9_put64(struct p9_buf *b, uint64_t v)
{
	put_le(b, v, 8);
}

void p9_put_str(struct p9_buf *b, const char *s)
{
	size_t len = strlen(s);
	uint8_t *p;

	if (len > 0xffff) {
		b->bad = true;
		return;
	}
	p9_put16(b, len);
	p = (uint8_t *)take(b, len);
	if (p)
		memcpy(p, s, len);
}

void p9_put_qid(struct p9_buf *b, const struct p9_qid *q)
{
	p9_put8(b, q->type);
	p9_put32(b, q->version);
	p9_put64(b, q->path);
}

void p9_get_qid(struct p9_buf *b, struct p9_qid *q)
{
	q->type = p9_get8(b);
	q->version = p9_get32(b);
	q->path = p9_get64(b);
}

void p9_begin(struct p9_buf *b, uint8_t type, uint16_t tag)
{
	b->pos = 0;
	b->bad = false;
	p9_put32(b, 0);
	p9_put8(b, type);
	p9_put16(b, tag);
}

uint32_t p9_finish(struct p9_buf *b)
{
	uint32_t len = b->pos;

	if (b->bad)
		return 0;
	b->pos = 0;
	p9_put32(b, len);
	b->pos = len;
	return len;
}

uint32_t p9_lerror(uint8_t *out, uint32_t cap, uint16_t tag, uint32_t ecode)
{
	struct p9_buf b = { .p = out, .cap = cap };

	p9_begin(&b, P9_RLERROR, tag);
	p9_put32(&b, ecode);
	return p9_finish(&b);
}

/*
 * qid.path must name one file for the life of the share.  A share may span
 * several host filesystems (--root /), whose inode numbers overlap, so the
 * device number is folded into the top bits; inode numbers above 2^48 are
 * rare enough to accept the (harmless: cache=none) aliasing.
 */
void p9_qid_from_stat(struct p9_qid *q, const struct stat *st)
{
	q->type = S_ISDIR(st->st_mode) ? P9_QTDIR :
		  S_ISLNK(st->st_mode) ? P9_QTSYMLINK : P9_QTFILE;
	q->version = (uint32_t)(st->st_mtim.tv_sec ^ st->st_mtim.tv_nsec ^
				st->st_size);
	q->path = st->st_ino ^ ((uint64_t)st->st_dev << 48);
}
