// SPDX-License-Identifier: GPL-2.0
/*
 * p9_test.c - host unit tests for mkvm's 9P2000.L server (dev/p9_*.c): the
 * codec (round trips, truncated and lying messages), path resolution
 * beneath the root (escapes through "..", absolute symlinks, symlink
 * chains, magic links, renames over the root's parent) and the message
 * handlers on a temporary directory, including a hostile client (unknown
 * types, bad sizes, fids never clunked, random bytes).
 *
 * Linked into mkvm-unit; counts into unit.c's totals.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "../dev/p9.h"
#include "../mkvm.h"

extern int passed, failed;

#define CHECK(c) do {							\
	if (c) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: %s\n", __func__, __LINE__, #c);	\
	}								\
} while (0)

static void test_p9_codec(void)
{
	uint8_t buf[64];
	struct p9_buf w = { .p = buf, .cap = sizeof(buf) }, r;
	struct p9_qid q = { P9_QTDIR, 0x11223344, 0x0102030405060708ULL }, q2;
	char s[16];

	p9_begin(&w, P9_TVERSION, 0xbeef);
	p9_put8(&w, 0xab);
	p9_put16(&w, 0x1234);
	p9_put32(&w, 0xdeadbeef);
	p9_put64(&w, 0x0123456789abcdefULL);
	p9_put_str(&w, "9P2000.L");
	p9_put_qid(&w, &q);
	CHECK(p9_finish(&w) == 7 + 1 + 2 + 4 + 8 + 10 + 13);
	CHECK(buf[0] == 45 && buf[1] == 0 && buf[4] == P9_TVERSION);
	CHECK(buf[5] == 0xef && buf[6] == 0xbe);	/* little-endian */
	r = (struct p9_buf){ .p = buf, .cap = w.pos };
	CHECK(p9_get32(&r) == 45 && p9_get8(&r) == P9_TVERSION &&
	      p9_get16(&r) == 0xbeef);
	CHECK(p9_get8(&r) == 0xab && p9_get16(&r) == 0x1234);
	CHECK(p9_get32(&r) == 0xdeadbeef);
	CHECK(p9_get64(&r) == 0x0123456789abcdefULL);
	p9_get_str(&r, s, sizeof(s));
	CHECK(!strcmp(s, "9P2000.L"));
	p9_get_qid(&r, &q2);
	CHECK(!r.bad && q2.type == q.type && q2.version == q.version &&
	      q2.path == q.path);
	/* Reading past the end: bad, zeros, and it stays bad. */
	CHECK(p9_get32(&r) == 0 && r.bad);
	CHECK(p9_get8(&r) == 0 && r.bad);

	/* A string whose length runs past the message. */
	r = (struct p9_buf){ .p = buf, .cap = 7 + 1 + 2 + 4 + 8 + 5 };
	r.pos = 7 + 1 + 2 + 4 + 8;
	p9_get_str(&r, s, sizeof(s));
	CHECK(r.bad && s[0] == 0);
	/* Longer than the caller's buffer. */
	r = (struct p9_buf){ .p = buf, .cap = w.pos, .pos = 22 };
	p9_get_str(&r, s, 4);
	CHECK(r.bad);
	/* A NUL inside a name. */
	buf[26] = 0;
	r = (struct p9_buf){ .p = buf, .cap = w.pos, .pos = 22 };
	p9_get_str(&r, s, sizeof(s));
	CHECK(r.bad);
	/* Writing past the end: bad, finish refuses, nothing overrun. */
	memset(buf, 0x55, sizeof(buf));
	w = (struct p9_buf){ .p = buf, .cap = 10 };
	p9_begin(&w, P9_RLERROR, 1);
	p9_put32(&w, 1);
	CHECK(w.bad && p9_finish(&w) == 0 && buf[10] == 0x55);
	CHECK(p9_lerror(buf, 11, 7, ENOENT) == 11 && buf[4] == P9_RLERROR &&
	      buf[7] == ENOENT);
	CHECK(p9_lerror(buf, 10, 7, ENOENT) == 0);
	CHECK(!p9_reserve(&w, 1));
}

static void test_p9_paths(const char *root)
{
	char cmd[512], *p;
	int rfd, fd;

	CHECK(p9_name_ok("a") && p9_name_ok("..a") && p9_name_ok("a b"));
	CHECK(!p9_name_ok("") && !p9_name_ok(".") && !p9_name_ok(".."));
	CHECK(!p9_name_ok("a/b") && !p9_name_ok("/"));
	p = p9_path_join("", "a");
	CHECK(p && !strcmp(p, "a"));
	free(p);
	p = p9_path_join("a/b", "c");
	CHECK(p && !strcmp(p, "a/b/c"));
	p9_path_up(p);
	CHECK(!strcmp(p, "a/b"));
	p9_path_up(p);
	p9_path_up(p);
	CHECK(!strcmp(p, ""));
	p9_path_up(p);			/* the root's parent */
	CHECK(!strcmp(p, ""));
	free(p);
	p = strdup("dir/sub/f");
	CHECK(p9_path_rebase(&p, "dir", "new") == 1 && !strcmp(p, "new/sub/f"));
	CHECK(p9_path_rebase(&p, "ne", "x") == 0 && !strcmp(p, "new/sub/f"));
	CHECK(p9_path_rebase(&p, "new/sub/f", "g") == 1 && !strcmp(p, "g"));
	free(p);

	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p d/e && echo in > d/f && ln -s / abs && "
		 "ln -s .. up && ln -s b a && ln -s ../.. b && "
		 "ln -s /proc/self/root magic && ln -s d/f rel", root);
	CHECK(system(cmd) == 0);
	rfd = open(root, O_PATH | O_DIRECTORY);
	CHECK(rfd >= 0);
	fd = p9_open_beneath(rfd, "d/f", O_RDONLY, 0);
	CHECK(fd >= 0);
	close(fd);
	fd = p9_open_beneath(rfd, "", O_PATH, 0);
	CHECK(fd >= 0);
	close(fd);
	/* Escapes: every one refused by the kernel. */
	CHECK(p9_open_beneath(rfd, "..", O_PATH, 0) == -EXDEV);
	CHECK(p9_open_beneath(rfd, "d/../../x", O_PATH, 0) == -EXDEV);
	CHECK(p9_open_beneath(rfd, "/etc/passwd", O_RDONLY, 0) == -EXDEV);
	CHECK(p9_open_beneath(rfd, "abs/etc/passwd", O_RDONLY, 0) < 0);
	CHECK(p9_open_beneath(rfd, "abs", O_RDONLY, 0) < 0);
	CHECK(p9_open_beneath(rfd, "up/x", O_PATH, 0) < 0);
	CHECK(p9_open_beneath(rfd, "a/x", O_PATH, 0) < 0);	/* a->b->../.. */
	CHECK(p9_open_beneath(rfd, "magic/etc", O_PATH, 0) < 0);
	CHECK(p9_open_beneath(rfd, "magic", O_RDONLY, 0) < 0);
	/* Even a symlink that stays inside is not followed. */
	CHECK(p9_open_beneath(rfd, "rel", O_RDONLY, 0) == -ELOOP);
	/* O_PATH of the link itself is fine (Treadlink needs it). */
	fd = p9_open_beneath(rfd, "abs", O_PATH, 0);
	CHECK(fd >= 0);
	close(fd);
	/* Creating through a dangling symlink is not following it either. */
	CHECK(p9_open_beneath(rfd, "abs/tmp/mkvm-p9-escape",
			      O_CREAT | O_WRONLY, 0644) < 0);
	CHECK(access("/tmp/mkvm-p9-escape", F_OK) && errno == ENOENT);
	close(rfd);
}

/* ---- a little 9P client ---------------------------------------------------- */

static struct p9_server srv;
static uint8_t req[P9_MAX_MSIZE], rep[P9_MAX_MSIZE];
static struct p9_buf q, a;	/* request being built, reply being read */
static uint32_t rep_len;

static void T(uint8_t type)
{
	q = (struct p9_buf){ .p = req, .cap = sizeof(req) };
	p9_begin(&q, type, 1);
}

/* Send; returns the reply type (a positioned after the header). */
static uint8_t rpc(void)
{
	uint32_t len = p9_finish(&q);

	rep_len = p9_handle(&srv, req, len, rep, 8192 + 64);
	a = (struct p9_buf){ .p = rep, .cap = rep_len };
	uint8_t type;

	p9_get32(&a);
	type = p9_get8(&a);
	p9_get16(&a);
	return type;
}

/* Send; 0 for success (type+1) or the Rlerror errno. */
static int call(void)
{
	uint8_t want = req[4] + 1, got = rpc();

	if (got == want)
		return 0;
	if (got == P9_RLERROR)
		return (int)p9_get32(&a);
	return -1000;
}

static int walk(uint32_t fid, uint32_t newfid, int n, ...)
{
	va_list ap;

	T(P9_TWALK);
	p9_put32(&q, fid);
	p9_put32(&q, newfid);
	p9_put16(&q, n);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		p9_put_str(&q, va_arg(ap, const char *));
	va_end(ap);
	return call();
}

static int lopen(uint32_t fid, uint32_t flags)
{
	T(P9_TLOPEN);
	p9_put32(&q, fid);
	p9_put32(&q, flags);
	return call();
}

static int clunk(uint32_t fid)
{
	T(P9_TCLUNK);
	p9_put32(&q, fid);
	return call();
}

static int attach(uint32_t fid)
{
	T(P9_TATTACH);
	p9_put32(&q, fid);
	p9_put32(&q, P9_NOFID);
	p9_put_str(&q, "root");
	p9_put_str(&q, "");
	p9_put32(&q, 0);
	return call();
}

static uint64_t getattr_qid_path(uint32_t fid)
{
	struct p9_qid qd;

	T(P9_TGETATTR);
	p9_put32(&q, fid);
	p9_put64(&q, P9_GETATTR_BASIC);
	if (call())
		return 0;
	p9_get64(&a);
	p9_get_qid(&a, &qd);
	return qd.path;
}

static int t_renameat(uint32_t ofid, const char *on, uint32_t nfid,
		    const char *nn)
{
	T(P9_TRENAMEAT);
	p9_put32(&q, ofid);
	p9_put_str(&q, on);
	p9_put32(&q, nfid);
	p9_put_str(&q, nn);
	return call();
}

static bool host_has(const char *root, const char *rel, const char *content)
{
	char path[512], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return !content || !strcmp(buf, content);
}

static void test_p9_server(const char *root)
{
	char err[256], name[16], path[512];
	uint64_t rootq;
	uint32_t n;
	int r;

	CHECK(p9_server_init(&srv, "/nonexistent/dir", false, err,
			     sizeof(err)) == -1);
	CHECK(p9_server_init(&srv, root, false, err, sizeof(err)) == 0);

	T(P9_TVERSION);
	p9_put32(&q, 1 << 30);
	p9_put_str(&q, "9P2000.L");
	CHECK(call() == 0 && p9_get32(&a) == P9_MAX_MSIZE);
	T(P9_TVERSION);
	p9_put32(&q, 512 * 1024);
	p9_put_str(&q, "9P2000.u");
	CHECK(call() == 0 && p9_get32(&a) == 512 * 1024);
	p9_get_str(&a, name, sizeof(name));
	CHECK(!strcmp(name, "unknown"));
	T(P9_TVERSION);
	p9_put32(&q, 512 * 1024);
	p9_put_str(&q, "9P2000.L");
	CHECK(call() == 0);

	CHECK(attach(0) == 0);
	CHECK(attach(0) == EBADF);		/* fid in use */
	rootq = getattr_qid_path(0);
	CHECK(rootq != 0);

	/* ".." at the root is the root; "../.." too. */
	CHECK(walk(0, 1, 2, "..", "..") == 0);
	CHECK(getattr_qid_path(1) == rootq);
	CHECK(clunk(1) == 0);
	CHECK(clunk(1) == EBADF);
	/* Names with '/' or "." are refused; so is a walk through a symlink. */
	CHECK(walk(0, 1, 1, "d/f") == ENOENT);
	CHECK(walk(0, 1, 1, ".") == ENOENT);
	CHECK(walk(0, 1, 2, "abs", "etc") == 0);	/* short Rwalk */
	CHECK(p9_get16(&a) == 1);
	CHECK(clunk(1) == EBADF);			/* newfid not made */
	CHECK(walk(0, 1, 2, "up", "x") == 0 && p9_get16(&a) == 1);
	CHECK(walk(0, 1, 1, "magic") == 0);		/* the link itself */
	CHECK(lopen(1, O_RDONLY) == ELOOP);
	T(P9_TREADLINK);
	p9_put32(&q, 1);
	CHECK(call() == 0);
	p9_get_str(&a, path, sizeof(path));
	CHECK(!strcmp(path, "/proc/self/root"));
	CHECK(clunk(1) == 0);
	/* d/.. walks lexically back to the root. */
	CHECK(walk(0, 1, 3, "d", "..", "..") == 0 && p9_get16(&a) == 3);
	CHECK(getattr_qid_path(1) == rootq);
	CHECK(clunk(1) == 0);
	CHECK(walk(0, 1, P9_MAXWELEM + 1, "a", "a", "a", "a", "a", "a", "a",
		   "a", "a", "a", "a", "a", "a", "a", "a", "a", "a") == EINVAL);

	/* Read a file. */
	CHECK(walk(0, 1, 2, "d", "f") == 0);
	CHECK(lopen(1, O_RDONLY) == 0);
	CHECK(lopen(1, O_RDONLY) == EBUSY);
	T(P9_TREAD);
	p9_put32(&q, 1);
	p9_put64(&q, 0);
	p9_put32(&q, 0xffffffff);		/* clamped to the reply room */
	CHECK(call() == 0 && p9_get32(&a) == 3 &&
	      !memcmp(rep + 11, "in\n", 3));
	T(P9_TWRITE);				/* opened read-only */
	p9_put32(&q, 1);
	p9_put64(&q, 0);
	p9_put32(&q, 1);
	p9_put8(&q, 'x');
	CHECK(call() == EBADF);
	CHECK(clunk(1) == 0);

	/* Create, write, read back from the host. */
	CHECK(walk(0, 2, 1, "d") == 0);
	T(P9_TLCREATE);
	p9_put32(&q, 2);
	p9_put_str(&q, "new");
	p9_put32(&q, O_RDWR | O_CREAT);
	p9_put32(&q, 0644);
	p9_put32(&q, 0);
	CHECK(call() == 0);
	T(P9_TWRITE);
	p9_put32(&q, 2);
	p9_put64(&q, 0);
	p9_put32(&q, 100);			/* says 100, carries 6 */
	memcpy(p9_reserve(&q, 6), "hello\n", 6);
	CHECK(call() == 0 && p9_get32(&a) == 6);
	CHECK(host_has(root, "d/new", "hello\n"));
	T(P9_TFSYNC);
	p9_put32(&q, 2);
	p9_put32(&q, 0);
	CHECK(call() == 0);
	T(P9_TLCREATE);				/* names with '/' refused */
	p9_put32(&q, 0);
	p9_put_str(&q, "../evil");
	p9_put32(&q, O_RDWR);
	p9_put32(&q, 0644);
	p9_put32(&q, 0);
	CHECK(call() == EINVAL);
	/* Unlinked while open: still readable through the open fid. */
	T(P9_TUNLINKAT);
	p9_put32(&q, 0);
	p9_put_str(&q, "d");
	p9_put32(&q, 0);
	CHECK(call() == EISDIR);
	CHECK(walk(0, 3, 1, "d") == 0);
	T(P9_TUNLINKAT);
	p9_put32(&q, 3);
	p9_put_str(&q, "new");
	p9_put32(&q, 0);
	CHECK(call() == 0);
	CHECK(!host_has(root, "d/new", NULL));
	T(P9_TGETATTR);
	p9_put32(&q, 2);
	p9_put64(&q, P9_GETATTR_BASIC);
	CHECK(call() == 0);
	CHECK(clunk(2) == 0);

	/* mkdir, symlink, mknod. */
	T(P9_TMKDIR);
	p9_put32(&q, 3);
	p9_put_str(&q, "sub");
	p9_put32(&q, 0755);
	p9_put32(&q, 0);
	CHECK(call() == 0);
	T(P9_TSYMLINK);
	p9_put32(&q, 3);
	p9_put_str(&q, "toroot");
	p9_put_str(&q, "/");
	p9_put32(&q, 0);
	CHECK(call() == 0);
	T(P9_TMKNOD);
	p9_put32(&q, 3);
	p9_put_str(&q, "null");
	p9_put32(&q, S_IFCHR | 0666);
	p9_put32(&q, 1);
	p9_put32(&q, 3);
	p9_put32(&q, 0);
	CHECK(call() == EPERM);
	T(P9_TMKNOD);
	p9_put32(&q, 3);
	p9_put_str(&q, "blk");
	p9_put32(&q, S_IFBLK | 0666);
	p9_put32(&q, 8);
	p9_put32(&q, 0);
	p9_put32(&q, 0);
	CHECK(call() == EPERM);
	T(P9_TMKNOD);
	p9_put32(&q, 3);
	p9_put_str(&q, "fifo");
	p9_put32(&q, S_IFIFO | 0644);
	p9_put32(&q, 0);
	p9_put32(&q, 0);
	p9_put32(&q, 0);
	CHECK(call() == 0);
	/* Opening a FIFO would block the I/O thread: refused. */
	CHECK(walk(3, 4, 1, "fifo") == 0);
	CHECK(lopen(4, O_RDONLY) == EOPNOTSUPP);
	CHECK(clunk(4) == 0);
	snprintf(path, sizeof(path), "%s/d/null", root);
	CHECK(access(path, F_OK) && errno == ENOENT);

	/* A walked fid follows its directory's rename. */
	CHECK(walk(3, 4, 1, "sub") == 0);
	CHECK(t_renameat(3, "sub", 0, "moved") == 0);
	snprintf(path, sizeof(path), "%s/d/sub", root);
	CHECK(access(path, F_OK) && errno == ENOENT);
	T(P9_TLCREATE);
	p9_put32(&q, 4);
	p9_put_str(&q, "inside");
	p9_put32(&q, O_WRONLY);
	p9_put32(&q, 0600);
	p9_put32(&q, 0);
	CHECK(call() == 0);
	snprintf(path, sizeof(path), "%s/moved/inside", root);
	CHECK(access(path, F_OK) == 0);
	CHECK(clunk(4) == 0);
	/* Renames cannot leave the root or move it. */
	CHECK(t_renameat(0, "moved", 0, "..") == EINVAL);
	CHECK(t_renameat(0, "moved", 0, "a/b") == EINVAL);
	CHECK(t_renameat(0, "..", 0, "x") == EINVAL);
	CHECK(walk(0, 5, 1, "..") == 0);	/* the "parent" is the root */
	CHECK(t_renameat(0, "moved", 5, "moved2") == 0);
	snprintf(path, sizeof(path), "%s/moved2", root);
	CHECK(access(path, F_OK) == 0);
	T(P9_TRENAME);				/* the root itself */
	p9_put32(&q, 0);
	p9_put32(&q, 5);
	p9_put_str(&q, "x");
	CHECK(call() == EBUSY);
	T(P9_TREMOVE);				/* nor removed */
	p9_put32(&q, 5);
	CHECK(call() == EBUSY);
	CHECK(clunk(5) == EBADF);		/* Tremove clunked it */

	/* Readdir lists what is there. */
	CHECK(walk(0, 6, 0) == 0);
	CHECK(lopen(6, O_RDONLY) == 0);
	T(P9_TREADDIR);
	p9_put32(&q, 6);
	p9_put64(&q, 0);
	p9_put32(&q, 8192);
	CHECK(call() == 0);
	n = p9_get32(&a);
	CHECK(n > 0 && memmem(rep + 11, n, "moved2", 6) &&
	      memmem(rep + 11, n, "magic", 5));
	T(P9_TREADDIR);				/* tiny count: no overrun */
	p9_put32(&q, 6);
	p9_put64(&q, 0);
	p9_put32(&q, 10);
	CHECK(call() == 0 && p9_get32(&a) == 0);
	CHECK(clunk(6) == 0);

	/* Setattr, statfs, locks. */
	CHECK(walk(0, 7, 2, "d", "f") == 0);
	T(P9_TSETATTR);
	p9_put32(&q, 7);
	p9_put32(&q, P9_ATTR_MODE | P9_ATTR_SIZE | P9_ATTR_MTIME |
		     P9_ATTR_MTIME_SET);
	p9_put32(&q, 0600);
	p9_put32(&q, 0);
	p9_put32(&q, 0);
	p9_put64(&q, 1);
	p9_put64(&q, 0);
	p9_put64(&q, 0);
	p9_put64(&q, 1000000);
	p9_put64(&q, 0);
	CHECK(call() == 0);
	{
		struct stat st;

		snprintf(path, sizeof(path), "%s/d/f", root);
		CHECK(!stat(path, &st) && st.st_size == 1 &&
		      (st.st_mode & 07777) == 0600 &&
		      st.st_mtime == 1000000);
	}
	T(P9_TSTATFS);
	p9_put32(&q, 7);
	CHECK(call() == 0 && p9_get32(&a) == 0x01021997);
	T(P9_TLOCK);
	p9_put32(&q, 7);
	p9_put8(&q, 1);
	p9_put32(&q, 0);
	p9_put64(&q, 0);
	p9_put64(&q, 0);
	p9_put32(&q, 1);
	p9_put_str(&q, "guest");
	CHECK(call() == 0 && p9_get8(&a) == 0);
	T(P9_TGETLOCK);
	p9_put32(&q, 7);
	p9_put8(&q, 1);
	p9_put64(&q, 0);
	p9_put64(&q, 0);
	p9_put32(&q, 1);
	p9_put_str(&q, "guest");
	CHECK(call() == 0 && p9_get8(&a) == 2);
	T(P9_TLINK);
	p9_put32(&q, 0);
	p9_put32(&q, 7);
	p9_put_str(&q, "hard");
	CHECK(call() == 0 && host_has(root, "hard", "i"));
	T(P9_TXATTRWALK);
	p9_put32(&q, 7);
	p9_put32(&q, 8);
	p9_put_str(&q, "user.x");
	CHECK(call() == EOPNOTSUPP);
	T(P9_TFLUSH);
	p9_put16(&q, 1);
	CHECK(call() == 0);

	/* Hostile messages. */
	T(200);
	CHECK(call() == EOPNOTSUPP);
	T(P9_TSTAT);
	p9_put32(&q, 0);
	CHECK(call() == EOPNOTSUPP);
	T(P9_TWALK);				/* truncated body */
	p9_put32(&q, 0);
	CHECK(call() == EPROTO);
	T(P9_TGETATTR);
	p9_put32(&q, 0);
	p9_put64(&q, 0);
	n = p9_finish(&q);
	req[0] = 0xff;				/* size larger than what came */
	rep_len = p9_handle(&srv, req, n, rep, 4096);
	CHECK(rep_len == 11 && rep[4] == P9_RLERROR && rep[7] == EPROTO);
	req[0] = 3;				/* size smaller than a header */
	rep_len = p9_handle(&srv, req, n, rep, 4096);
	CHECK(rep_len == 11 && rep[7] == EPROTO);
	rep_len = p9_handle(&srv, req, 3, rep, 4096);	/* 3 bytes */
	CHECK(rep_len == 11 && rep[7] == EPROTO);
	rep_len = p9_handle(&srv, req, 0, rep, 4096);
	CHECK(rep_len == 11);
	rep_len = p9_handle(&srv, req, n, rep, 10);	/* no room to reply */
	CHECK(rep_len == 0);
	T(P9_TGETATTR);
	p9_put32(&q, 12345);			/* unknown fid */
	p9_put64(&q, 0);
	CHECK(call() == EBADF);
	T(P9_TREAD);				/* not opened */
	p9_put32(&q, 7);
	p9_put64(&q, 0);
	p9_put32(&q, 10);
	CHECK(call() == EBADF);

	/* Fids never clunked: the table is bounded. */
	srv.max_fids = srv.nfids + 3;
	r = 0;
	for (uint32_t f = 100; f < 110 && !r; f++)
		r = walk(0, f, 0);
	CHECK(r == ENFILE && srv.nfids == srv.max_fids);
	srv.max_open = srv.nopen;
	CHECK(lopen(100, O_RDONLY) == EMFILE);
	srv.max_fids = P9_DEFAULT_MAX_FIDS;
	srv.max_open = 1000;

	/* Random junk: every message answered, nothing crashes. */
	static const uint8_t types[] = {
		P9_TWALK, P9_TREAD, P9_TREADDIR, P9_TGETATTR, P9_TCLUNK,
		P9_TLOPEN, P9_TSTATFS, P9_TREADLINK, P9_TVERSION, 0,
	};

	srand(17);
	for (int i = 0; i < 20000; i++) {
		uint32_t len = 7 + rand() % 64;

		for (uint32_t j = 0; j < len; j++)
			req[j] = rand();
		req[0] = len;
		req[1] = req[2] = req[3] = 0;
		/* Mostly real types; keep away from creating entries. */
		req[4] = types[rand() % ARRAY_SIZE(types)];
		if (!req[4])
			req[4] = rand();
		rep_len = p9_handle(&srv, req, len, rep, 512);
		if (rep_len < P9_HDR || rep_len > 512) {
			printf("  junk %d: type %u len %u -> %u\n", i, req[4],
			       len, rep_len);
			break;
		}
	}
	CHECK(rep_len >= P9_HDR && rep_len <= 512);
	p9_server_free(&srv);

	/* Read-only share. */
	CHECK(p9_server_init(&srv, root, true, err, sizeof(err)) == 0);
	T(P9_TVERSION);
	p9_put32(&q, 65536);
	p9_put_str(&q, "9P2000.L");
	CHECK(call() == 0);
	CHECK(attach(0) == 0);
	CHECK(walk(0, 1, 2, "d", "f") == 0);
	CHECK(lopen(1, O_WRONLY) == EROFS);
	CHECK(lopen(1, O_RDONLY | O_TRUNC) == EROFS);
	CHECK(lopen(1, O_RDONLY) == 0);
	T(P9_TLCREATE);
	p9_put32(&q, 0);
	p9_put_str(&q, "x");
	p9_put32(&q, O_WRONLY);
	p9_put32(&q, 0644);
	p9_put32(&q, 0);
	CHECK(call() == EROFS);
	T(P9_TMKDIR);
	p9_put32(&q, 0);
	p9_put_str(&q, "x");
	p9_put32(&q, 0755);
	p9_put32(&q, 0);
	CHECK(call() == EROFS);
	CHECK(t_renameat(0, "d", 0, "e") == EROFS);
	T(P9_TSETATTR);
	p9_put32(&q, 1);
	p9_put32(&q, P9_ATTR_MODE);
	for (int i = 0; i < 3; i++)
		p9_put32(&q, 0);
	for (int i = 0; i < 5; i++)
		p9_put64(&q, 0);
	CHECK(call() == EROFS);
	p9_server_free(&srv);
}

void test_p9(void)
{
	char root[] = "/tmp/mkvm-p9.XXXXXX", cmd[64];

	test_p9_codec();
	CHECK(mkdtemp(root) != NULL);
	test_p9_paths(root);
	test_p9_server(root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
}
