/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p9.h - mkvm's 9P2000.L file server, independent of virtio and KVM: the
 * wire codec (p9_codec.c), path resolution beneath the share root
 * (p9_path.c) and the message handlers with their fid table (p9_server.c).
 * dev/virtio_9p.c carries its messages over a virtqueue; the host unit
 * tests call p9_handle() directly on a temporary directory.
 *
 * Protocol: 9P2000 (Plan 9 manual, section 5, "intro") with the Linux
 * ".L" extension as the Linux v9fs client speaks it
 * (Documentation/filesystems/9p.rst, include/net/9p/9p.h in Linux).
 */
#ifndef MKVM_P9_H
#define MKVM_P9_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <linux/openat2.h>

/* Message types (Linux include/net/9p/9p.h, enum p9_msg_t). */
enum {
	P9_RLERROR = 7,
	P9_TSTATFS = 8,
	P9_TLOPEN = 12,
	P9_TLCREATE = 14,
	P9_TSYMLINK = 16,
	P9_TMKNOD = 18,
	P9_TRENAME = 20,
	P9_TREADLINK = 22,
	P9_TGETATTR = 24,
	P9_TSETATTR = 26,
	P9_TXATTRWALK = 30,
	P9_TXATTRCREATE = 32,
	P9_TREADDIR = 40,
	P9_TFSYNC = 50,
	P9_TLOCK = 52,
	P9_TGETLOCK = 54,
	P9_TLINK = 70,
	P9_TMKDIR = 72,
	P9_TRENAMEAT = 74,
	P9_TUNLINKAT = 76,
	P9_TVERSION = 100,
	P9_TAUTH = 102,
	P9_TATTACH = 104,
	P9_TFLUSH = 108,
	P9_TWALK = 110,
	P9_TOPEN = 112,
	P9_TCREATE = 114,
	P9_TREAD = 116,
	P9_TWRITE = 118,
	P9_TCLUNK = 120,
	P9_TREMOVE = 122,
	P9_TSTAT = 124,
	P9_TWSTAT = 126,
};

#define P9_HDR		7		/* size[4] type[1] tag[2] */
#define P9_NOTAG	0xffff
#define P9_NOFID	0xffffffffu
#define P9_MAXWELEM	16		/* names per Twalk */
#define P9_QID_SIZE	13		/* type[1] version[4] path[8] */
#define P9_QTDIR	0x80
#define P9_QTSYMLINK	0x02
#define P9_QTFILE	0x00
#define P9_MIN_MSIZE	4096
#define P9_MAX_MSIZE	(1024 * 1024 + 4096)	/* what mkvm accepts */
#define P9_GETATTR_BASIC 0x000007ffULL	/* mode .. blocks */
#define P9_TAG_MAX	31		/* mount tag bytes mkvm allows */

/* Tsetattr valid bits (Linux include/net/9p/9p.h, P9_ATTR_*). */
#define P9_ATTR_MODE		0x001
#define P9_ATTR_UID		0x002
#define P9_ATTR_GID		0x004
#define P9_ATTR_SIZE		0x008
#define P9_ATTR_ATIME		0x010
#define P9_ATTR_MTIME		0x020
#define P9_ATTR_CTIME		0x040
#define P9_ATTR_ATIME_SET	0x080
#define P9_ATTR_MTIME_SET	0x100

/* ---- codec (p9_codec.c) ------------------------------------------------ */

/*
 * A message being read or written.  Every access is bounds-checked; the
 * first one that does not fit sets `bad` and every later one is a no-op
 * (reads return 0), so a handler checks once, after decoding.
 */
struct p9_buf {
	uint8_t *p;
	uint32_t cap;		/* bytes available */
	uint32_t pos;
	bool bad;
};

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

uint8_t p9_get8(struct p9_buf *b);
uint16_t p9_get16(struct p9_buf *b);
uint32_t p9_get32(struct p9_buf *b);
uint64_t p9_get64(struct p9_buf *b);
/* A string as a C string: no NUL inside, shorter than `cap`. */
void p9_get_str(struct p9_buf *b, char *out, size_t cap);
void p9_put8(struct p9_buf *b, uint8_t v);
void p9_put16(struct p9_buf *b, uint16_t v);
void p9_put32(struct p9_buf *b, uint32_t v);
void p9_put64(struct p9_buf *b, uint64_t v);
void p9_put_str(struct p9_buf *b, const char *s);
void p9_put_qid(struct p9_buf *b, const struct p9_qid *q);
void p9_get_qid(struct p9_buf *b, struct p9_qid *q);
/* Reserve `len` bytes and return them (NULL and `bad` when they do not fit). */
uint8_t *p9_reserve(struct p9_buf *b, uint32_t len);
/* Start a reply: header with a size patched in by p9_finish(). */
void p9_begin(struct p9_buf *b, uint8_t type, uint16_t tag);
uint32_t p9_finish(struct p9_buf *b);
/* Whole Rlerror message into `out` (cap >= 11); returns its length. */
uint32_t p9_lerror(uint8_t *out, uint32_t cap, uint16_t tag, uint32_t ecode);
void p9_qid_from_stat(struct p9_qid *q, const struct stat *st);

/* ---- paths beneath the root (p9_path.c) --------------------------------- */

#define P9_RESOLVE	(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | \
			 RESOLVE_NO_SYMLINKS)

/* One path component from the guest: not "", ".", "..", no '/'. */
bool p9_name_ok(const char *name);
/*
 * openat2(rootfd, path, flags | O_NOFOLLOW | O_CLOEXEC, P9_RESOLVE): `path`
 * is relative to the root ("" is the root itself).  Returns an fd or
 * -errno; -ENOSYS when openat2 is missing (the caller then serves nothing:
 * there is no resolution as safe to fall back to).
 */
int p9_open_beneath(int rootfd, const char *path, int flags, mode_t mode);
/* The directory holding `path` (O_PATH) and its last component. */
int p9_open_parent(int rootfd, const char *path, const char **base);
/* "dir/name" ("name" when dir is the root); NULL when out of memory. */
char *p9_path_join(const char *dir, const char *name);
/* Lexical parent, in place; the root's parent is the root. */
void p9_path_up(char *path);
/* path becomes to + (path minus from) when path is from or beneath it. */
int p9_path_rebase(char **path, const char *from, const char *to);

/* ---- server (p9_server.c) ----------------------------------------------- */

#define P9_FID_BUCKETS	1024
#define P9_DEFAULT_MAX_FIDS	65536

struct p9_fid {
	uint32_t fid;
	char *path;		/* relative to the root, "" = root */
	int fd;			/* after Tlopen/Tlcreate, else -1 */
	bool dir;
	bool writable;
	struct p9_fid *next;
};

struct p9_server {
	int rootfd;
	bool ro;
	uint32_t msize;		/* negotiated by Tversion */
	uint32_t max_msize;
	unsigned int nfids, max_fids;
	unsigned int nopen, max_open;
	struct p9_fid *fids[P9_FID_BUCKETS];
};

/* 0, or -1 with a one-line reason in err. */
int p9_server_init(struct p9_server *s, const char *root, bool ro, char *err,
		   size_t errlen);
/* Forget every fid (Tversion, device reset). */
void p9_server_reset(struct p9_server *s);
void p9_server_free(struct p9_server *s);
/*
 * Serve one request of `len` bytes into `out` (room for `cap` bytes).
 * Returns the reply's length; 0 only when not even an Rlerror fits.
 * Never fails otherwise: malformed requests get Rlerror.
 */
uint32_t p9_handle(struct p9_server *s, const uint8_t *req, uint32_t len,
		   uint8_t *out, uint32_t cap);

#endif
