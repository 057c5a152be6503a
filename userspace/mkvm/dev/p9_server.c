// SPDX-License-Identifier: GPL-2.0
/*
 * p9_server.c - the 9P2000.L messages the Linux v9fs client sends with
 * cache=none or cache=loose, served from one host directory (Linux
 * Documentation/filesystems/9p.rst; message layouts as in Linux
 * net/9p/client.c and include/net/9p/9p.h).
 *
 * Served: Tversion, Tattach, Twalk, Tlopen, Tlcreate, Tread, Twrite,
 * Tclunk, Tremove, Tgetattr, Tsetattr, Treaddir, Tstatfs, Tmkdir,
 * Tsymlink, Tmknod (fifos, sockets, regular files), Treadlink, Tunlinkat,
 * Trenameat, Trename, Tfsync, Tlink, Tflush, Tlock and Tgetlock (always
 * granted, no conflict: locks are the guest's own business).  Answered
 * with EOPNOTSUPP: Txattrwalk, Txattrcreate, Tauth, the 9P2000/.u
 * messages, and anything unknown.
 *
 * A fid is a path beneath the root (p9_path.c) plus, once opened, a host
 * fd; a rename rewrites the paths of the fids under it.  Fids live in a
 * hash table capped at max_fids, open fds at max_open: a guest that never
 * clunks gets ENFILE/EMFILE, not mkvm's descriptors or memory.  Every
 * request is decoded with bounds checks (p9_codec.c); a malformed one gets
 * Rlerror(EPROTO), an unknown fid EBADF, and host errors are passed through
 * as they are: the host is Linux, so its errno values are Linux's.
 *
 * The host never blocks on the guest's behalf: only regular files and
 * directories are opened, always O_NONBLOCK (a FIFO would wait for a
 * writer), and never on procfs, sysfs and the like (a share of / reaches
 * the host's /proc, where reads such as /proc/kmsg wait forever).  Device
 * nodes cannot be created.  With `ro`, everything that would change the
 * host fails with EROFS.
 *
 * Non-goals: identity mapping (files are created with mkvm's own uid/gid,
 * as QEMU's security_model=none), xattrs and POSIX ACLs, real locks, the
 * 9P2000 and 9P2000.u dialects, asynchronous requests (Tflush has nothing
 * to cancel).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>

#include "p9.h"

#define V9FS_MAGIC	0x01021997

/* ---- fids ---------------------------------------------------------------- */

static struct p9_fid **bucket(struct p9_server *s, uint32_t fid)
{
	return &s->fids[(fid * 2654435761u) % P9_FID_BUCKETS];
}

static struct p9_fid *fid_get(struct p9_server *s, uint32_t fid)
{
	for (struct p9_fid *f = *bucket(s, fid); f; f = f->next)
		if (f->fid == fid)
			return f;
	return NULL;
}

static void fid_close(struct p9_server *s, struct p9_fid *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
		s->nopen--;
	}
	f->dir = false;
	f->writable = false;
}

/* Takes `path` (malloc'ed) in every case. */
static int fid_new(struct p9_server *s, uint32_t fid, char *path)
{
	struct p9_fid *f, **b = bucket(s, fid);

	if (!path)
		return -ENOMEM;
	if (fid == P9_NOFID || fid_get(s, fid)) {
		free(path);
		return -EBADF;
	}
	if (s->nfids >= s->max_fids) {
		free(path);
		return -ENFILE;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		free(path);
		return -ENOMEM;
	}
	f->fid = fid;
	f->path = path;
	f->fd = -1;
	f->next = *b;
	*b = f;
	s->nfids++;
	return 0;
}

static int fid_del(struct p9_server *s, uint32_t fid)
{
	for (struct p9_fid **pp = bucket(s, fid); *pp; pp = &(*pp)->next) {
		struct p9_fid *f = *pp;

		if (f->fid != fid)
			continue;
		*pp = f->next;
		fid_close(s, f);
		free(f->path);
		free(f);
		s->nfids--;
		return 0;
	}
	return -EBADF;
}

void p9_server_reset(struct p9_server *s)
{
	for (int i = 0; i < P9_FID_BUCKETS; i++)
		while (s->fids[i])
			fid_del(s, s->fids[i]->fid);
	s->msize = s->max_msize;
}

void p9_server_free(struct p9_server *s)
{
	p9_server_reset(s);
	if (s->rootfd >= 0)
		close(s->rootfd);
	s->rootfd = -1;
}

/* After a rename of `from` to `to`, fids under `from` follow it. */
static void fids_rebase(struct p9_server *s, const char *from, const char *to)
{
	for (int i = 0; i < P9_FID_BUCKETS; i++)
		for (struct p9_fid *f = s->fids[i]; f; f = f->next)
			p9_path_rebase(&f->path, from, to);
}

int p9_server_init(struct p9_server *s, const char *root, bool ro, char *err,
		   size_t errlen)
{
	struct rlimit rl;
	struct stat st;
	int fd;

	memset(s, 0, sizeof(*s));
	s->rootfd = -1;
	s->ro = ro;
	s->max_msize = P9_MAX_MSIZE;
	s->msize = s->max_msize;
	s->max_fids = P9_DEFAULT_MAX_FIDS;
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s->rootfd = fd;
	/* Fail closed: without openat2 nothing is resolved safely. */
	fd = p9_open_beneath(s->rootfd, "", O_PATH, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: openat2 with RESOLVE_BENEATH: %s%s",
			 root, strerror(-fd),
			 fd == -ENOSYS ? " (needs Linux 5.6+)" : "");
		p9_server_free(s);
		return -1;
	}
	close(fd);
	/*
	 * Open guest files count against our descriptors: take the hard
	 * limit and keep a reserve for mkvm itself.
	 */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		s->max_open = rl.rlim_cur > 65536 + 256 ? 65536 :
			      rl.rlim_cur > 512 ? rl.rlim_cur - 256 : 256;
	} else {
		s->max_open = 256;
	}
	return 0;
}

/* ---- helpers -------------------------------------------------------------- */

static int path_fd(struct p9_server *s, const char *path)
{
	return p9_open_beneath(s->rootfd, path, O_PATH, 0);
}

static int stat_path(struct p9_server *s, const char *path, struct stat *st)
{
	int fd = path_fd(s, path), r = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, st))
		r = -errno;
	close(fd);
	return r;
}

/* The fid's own file: its open fd when it has one (it may be unlinked). */
static int stat_fid(struct p9_server *s, struct p9_fid *f, struct stat *st)
{
	if (f->fd >= 0)
		return fstat(f->fd, st) ? -errno : 0;
	return stat_path(s, f->path, st);
}

static int dir_fd(struct p9_server *s, struct p9_fid *f)
{
	return p9_open_beneath(s->rootfd, f->path, O_PATH | O_DIRECTORY, 0);
}

/* Filesystems whose files may block a reader or are the host's own state. */
static bool pseudo_fs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf))
		return true;
	switch ((unsigned long)sf.f_type) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case DEVPTS_SUPER_MAGIC:
	case BPF_FS_MAGIC:
		return true;
	}
	return false;
}

/* Guest (dotl) open flags to host flags; they share Linux's values. */
static int open_flags(uint32_t fl)
{
	return (fl & O_ACCMODE) |
	       (fl & (O_TRUNC | O_APPEND | O_DSYNC | O_SYNC | O_EXCL)) |
	       O_NONBLOCK | O_NOCTTY;
}

static bool wants_write(uint32_t fl)
{
	return (fl & O_ACCMODE) != O_RDONLY || (fl & O_TRUNC);
}

static int reply_qid_of(struct p9_server *s, struct p9_buf *out,
			const char *path)
{
	struct p9_qid q;
	struct stat st;
	int r = stat_path(s, path, &st);

	if (r)
		return r;
	p9_qid_from_stat(&q, &st);
	p9_put_qid(out, &q);
	return 0;
}

/* ---- session ---------------------------------------------------------------- */

static int t_version(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t msize = p9_get32(in);
	char ver[32];

	p9_get_str(in, ver, sizeof(ver));
	if (in->bad)
		return -EPROTO;
	p9_server_reset(s);
	if (msize > s->max_msize)
		msize = s->max_msize;
	if (msize < P9_MIN_MSIZE)
		return -EINVAL;
	s->msize = msize;
	p9_put32(out, msize);
	p9_put_str(out, strncmp(ver, "9P2000.L", 8) ? "unknown" : "9P2000.L");
	return 0;
}

static int t_attach(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in);
	char name[256];
	int r;

	p9_get32(in);			/* afid: no authentication */
	p9_get_str(in, name, sizeof(name));	/* uname */
	p9_get_str(in, name, sizeof(name));	/* aname: one tree only */
	p9_get32(in);			/* n_uname */
	if (in->bad)
		return -EPROTO;
	r = reply_qid_of(s, out, "");
	if (r)
		return r;
	return fid_new(s, fid, strdup(""));
}

static int t_walk(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in), newfid = p9_get32(in);
	uint16_t n = p9_get16(in), nq = 0;
	static char names[P9_MAXWELEM][NAME_MAX + 1];
	struct p9_fid *f;
	uint32_t at;
	char *path;
	int r = 0;

	if (n > P9_MAXWELEM)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		p9_get_str(in, names[i], sizeof(names[i]));
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	if (newfid != fid && fid_get(s, newfid))
		return -EBADF;
	path = strdup(f->path);
	if (!path)
		return -ENOMEM;
	at = out->pos;
	p9_put16(out, 0);
	for (int i = 0; i < n; i++) {
		struct p9_qid q;
		struct stat st;
		char *next;

		if (strcmp(names[i], "..") && !p9_name_ok(names[i])) {
			r = -ENOENT;
			break;
		}
		if (!strcmp(names[i], "..")) {
			p9_path_up(path);	/* the root's parent: itself */
			next = path;
		} else {
			next = p9_path_join(path, names[i]);
			if (!next) {
				r = -ENOMEM;
				break;
			}
			free(path);
		}
		path = next;
		r = stat_path(s, path, &st);
		if (r)
			break;
		p9_qid_from_stat(&q, &st);
		p9_put_qid(out, &q);
		nq++;
	}
	if (nq < n) {
		free(path);
		/* The first name failed: an error; later ones: a short Rwalk. */
		if (!nq)
			return r;
		out->pos = at;
		p9_put16(out, nq);
		out->pos = at + 2 + nq * P9_QID_SIZE;
		return 0;
	}
	out->pos = at;
	p9_put16(out, nq);
	out->pos = at + 2 + nq * P9_QID_SIZE;
	if (newfid == fid) {
		fid_close(s, f);
		free(f->path);
		f->path = path;
		return 0;
	}
	return fid_new(s, newfid, path);
}

static int t_clunk(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in);

	(void)out;
	if (in->bad)
		return -EPROTO;
	return fid_del(s, fid);
}

static int t_flush(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	(void)s;
	(void)out;
	p9_get16(in);	/* oldtag: every request is answered before the next */
	if (in->bad)
		return -EPROTO;
	return 0;
}

/* ---- files ------------------------------------------------------------------ */

/* Open f->path for I/O; it must be a regular file or a directory. */
static int do_open(struct p9_server *s, struct p9_fid *f, uint32_t flags,
		   struct p9_buf *out)
{
	struct stat st, st2;
	struct p9_qid q;
	int pfd, fd, hflags;

	if (f->fd >= 0)
		return -EBUSY;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (s->ro && wants_write(flags))
		return -EROFS;
	if (s->nopen >= s->max_open)
		return -EMFILE;
	pfd = path_fd(s, f->path);
	if (pfd < 0)
		return pfd;
	if (fstat(pfd, &st)) {
		close(pfd);
		return -errno;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		close(pfd);
		return S_ISLNK(st.st_mode) ? -ELOOP : -EOPNOTSUPP;
	}
	if (pseudo_fs(pfd)) {
		close(pfd);
		return -EACCES;
	}
	close(pfd);
	if (S_ISDIR(st.st_mode)) {
		if (wants_write(flags))
			return -EISDIR;
		hflags = O_RDONLY | O_DIRECTORY;
	} else {
		hflags = open_flags(flags) & ~O_EXCL;
	}
	fd = p9_open_beneath(s->rootfd, f->path, hflags, 0);
	if (fd < 0)
		return fd;
	/* The same file we checked, not a FIFO swapped in meanwhile. */
	if (fstat(fd, &st2) || st2.st_ino != st.st_ino ||
	    st2.st_dev != st.st_dev) {
		close(fd);
		return -EAGAIN;
	}
	f->fd = fd;
	f->dir = S_ISDIR(st2.st_mode);
	f->writable = (flags & O_ACCMODE) != O_RDONLY;
	s->nopen++;
	p9_qid_from_stat(&q, &st2);
	p9_put_qid(out, &q);
	p9_put32(out, 0);	/* iounit: msize decides */
	return 0;
}

static int t_lopen(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in), flags = p9_get32(in);
	struct p9_fid *f;

	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	return do_open(s, f, flags, out);
}

static int t_lcreate(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in), flags, mode;
	char name[NAME_MAX + 2], *path;
	struct p9_fid *f;
	struct stat st;
	struct p9_qid q;
	int fd;

	p9_get_str(in, name, sizeof(name));
	flags = p9_get32(in);
	mode = p9_get32(in);
	p9_get32(in);		/* gid */
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	if (!p9_name_ok(name))
		return -EINVAL;
	if (f->fd >= 0)
		return -EBUSY;
	if (s->nopen >= s->max_open)
		return -EMFILE;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	path = p9_path_join(f->path, name);
	if (!path)
		return -ENOMEM;
	fd = p9_open_beneath(s->rootfd, path, open_flags(flags) | O_CREAT,
			     mode);
	if (fd < 0) {
		free(path);
		return fd;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		free(path);
		return -EOPNOTSUPP;
	}
	free(f->path);
	f->path = path;
	f->fd = fd;
	f->writable = (flags & O_ACCMODE) != O_RDONLY;
	s->nopen++;
	p9_qid_from_stat(&q, &st);
	p9_put_qid(out, &q);
	p9_put32(out, 0);
	return 0;
}

static int t_read(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in), count;
	uint64_t off = p9_get64(in);
	struct p9_fid *f;
	uint8_t *data;
	ssize_t r;

	count = p9_get32(in);
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	if (f->fd < 0)
		return -EBADF;
	if (f->dir)
		return -EISDIR;
	if (off > INT64_MAX)
		return -EINVAL;
	if (count > out->cap - out->pos - 4)
		count = out->cap - out->pos - 4;
	p9_put32(out, 0);
	data = out->p + out->pos;
	r = pread(f->fd, data, count, (off_t)off);
	if (r < 0)
		return -errno;
	out->pos -= 4;
	p9_put32(out, (uint32_t)r);
	out->pos += (uint32_t)r;
	return 0;
}

static int t_write(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in), count;
	uint64_t off = p9_get64(in);
	struct p9_fid *f;
	ssize_t r;

	count = p9_get32(in);
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	if (f->fd < 0 || !f->writable)
		return -EBADF;
	if (off > INT64_MAX)
		return -EINVAL;
	/* Zero-copy writes may carry fewer bytes than announced. */
	if (count > in->cap - in->pos)
		count = in->cap - in->pos;
	r = pwrite(f->fd, in->p + in->pos, count, (off_t)off);
	if (r < 0)
		return -errno;
	p9_put32(out, (uint32_t)r);
	return 0;
}

static int t_fsync(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in), datasync = p9_get32(in);
	struct p9_fid *f;

	(void)out;
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	if (f->fd < 0)
		return 0;
	if (datasync ? fdatasync(f->fd) : fsync(f->fd))
		return -errno;
	return 0;
}

/* ---- attributes ----------------------------------------------------------- */

static int t_getattr(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in);
	struct p9_fid *f;
	struct p9_qid q;
	struct stat st;
	int r;

	p9_get64(in);		/* request_mask: we always answer the basics */
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	r = stat_fid(s, f, &st);
	if (r)
		return r;
	p9_qid_from_stat(&q, &st);
	p9_put64(out, P9_GETATTR_BASIC);
	p9_put_qid(out, &q);
	p9_put32(out, st.st_mode);
	p9_put32(out, st.st_uid);
	p9_put32(out, st.st_gid);
	p9_put64(out, st.st_nlink);
	p9_put64(out, st.st_rdev);
	p9_put64(out, st.st_size);
	p9_put64(out, st.st_blksize);
	p9_put64(out, st.st_blocks);
	p9_put64(out, st.st_atim.tv_sec);
	p9_put64(out, st.st_atim.tv_nsec);
	p9_put64(out, st.st_mtim.tv_sec);
	p9_put64(out, st.st_mtim.tv_nsec);
	p9_put64(out, st.st_ctim.tv_sec);
	p9_put64(out, st.st_ctim.tv_nsec);
	p9_put64(out, 0);	/* btime */
	p9_put64(out, 0);
	p9_put64(out, 0);	/* gen */
	p9_put64(out, 0);	/* data_version */
	return 0;
}

static int t_setattr(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in), valid = p9_get32(in), mode, uid, gid;
	uint64_t size, as, an, ms, mn;
	struct p9_fid *f;
	struct stat st;
	char proc[64];
	int fd, r = 0;

	mode = p9_get32(in);
	uid = p9_get32(in);
	gid = p9_get32(in);
	size = p9_get64(in);
	as = p9_get64(in);
	an = p9_get64(in);
	ms = p9_get64(in);
	mn = p9_get64(in);
	(void)out;
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	fd = f->fd >= 0 ? dup(f->fd) : path_fd(s, f->path);
	if (fd < 0)
		return f->fd >= 0 ? -errno : fd;
	if (fstat(fd, &st)) {
		r = -errno;
		goto out;
	}
	/* Our own fd through /proc: the file already resolved, no lookup. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (valid & P9_ATTR_MODE) {
		if (S_ISLNK(st.st_mode)) {
			r = -EOPNOTSUPP;
			goto out;
		}
		if (chmod(proc, mode & 07777)) {
			r = -errno;
			goto out;
		}
	}
	if (valid & (P9_ATTR_UID | P9_ATTR_GID)) {
		if (fchownat(fd, "", valid & P9_ATTR_UID ? uid : (uint32_t)-1,
			     valid & P9_ATTR_GID ? gid : (uint32_t)-1,
			     AT_EMPTY_PATH)) {
			r = -errno;
			goto out;
		}
	}
	if (valid & P9_ATTR_SIZE) {
		int wfd;

		if (!S_ISREG(st.st_mode)) {
			r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
			goto out;
		}
		if (size > INT64_MAX) {
			r = -EFBIG;
			goto out;
		}
		wfd = f->fd >= 0 && f->writable ? dup(f->fd) :
		      p9_open_beneath(s->rootfd, f->path,
				      O_WRONLY | O_NONBLOCK | O_NOCTTY, 0);
		if (wfd < 0) {
			r = f->fd >= 0 && f->writable ? -errno : wfd;
			goto out;
		}
		if (ftruncate(wfd, (off_t)size))
			r = -errno;
		close(wfd);
		if (r)
			goto out;
	}
	if (valid & (P9_ATTR_ATIME | P9_ATTR_MTIME)) {
		struct timespec ts[2] = {
			{ .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT },
		};

		if (valid & P9_ATTR_ATIME)
			ts[0] = valid & P9_ATTR_ATIME_SET ?
				(struct timespec){ (time_t)as, (long)an } :
				(struct timespec){ 0, UTIME_NOW };
		if (valid & P9_ATTR_MTIME)
			ts[1] = valid & P9_ATTR_MTIME_SET ?
				(struct timespec){ (time_t)ms, (long)mn } :
				(struct timespec){ 0, UTIME_NOW };
		if (utimensat(fd, "", ts, AT_EMPTY_PATH))
			r = -errno;
	}
out:
	close(fd);
	return r;
}

static int t_statfs(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in);
	struct p9_fid *f;
	struct statfs sf;
	int fd, r;

	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	fd = f->fd >= 0 ? dup(f->fd) : path_fd(s, f->path);
	if (fd < 0)
		return f->fd >= 0 ? -errno : fd;
	r = fstatfs(fd, &sf) ? -errno : 0;
	close(fd);
	if (r)
		return r;
	p9_put32(out, V9FS_MAGIC);
	p9_put32(out, sf.f_bsize);
	p9_put64(out, sf.f_blocks);
	p9_put64(out, sf.f_bfree);
	p9_put64(out, sf.f_bavail);
	p9_put64(out, sf.f_files);
	p9_put64(out, sf.f_ffree);
	p9_put64(out, (uint64_t)(uint32_t)sf.f_fsid.__val[0] |
		      (uint64_t)(uint32_t)sf.f_fsid.__val[1] << 32);
	p9_put32(out, sf.f_namelen);
	return 0;
}

static int t_readlink(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in);
	char target[PATH_MAX];
	struct p9_fid *f;
	ssize_t n;
	int fd;

	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	fd = path_fd(s, f->path);
	if (fd < 0)
		return fd;
	n = readlinkat(fd, "", target, sizeof(target) - 1);
	close(fd);
	if (n < 0)
		return errno == ENOENT ? -EINVAL : -errno;
	target[n] = 0;
	p9_put_str(out, target);
	return 0;
}

/* ---- directories ------------------------------------------------------------ */

static int t_readdir(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in), count, at, room;
	uint64_t off = p9_get64(in);
	static char buf[64 * 1024];
	struct p9_fid *f;
	struct stat st;
	bool full = false;

	count = p9_get32(in);
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	if (f->fd < 0 || !f->dir)
		return -EBADF;
	if (fstat(f->fd, &st))
		return -errno;
	room = out->cap - out->pos - 4;
	if (count > room)
		count = room;
	at = out->pos;
	p9_put32(out, 0);
	if (off > INT64_MAX || lseek(f->fd, (off_t)off, SEEK_SET) < 0)
		return -EINVAL;
	while (!full) {
		long n = syscall(SYS_getdents64, f->fd, buf, sizeof(buf));

		if (n < 0)
			return -errno;
		if (!n)
			break;
		for (long pos = 0; pos < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + pos);
			size_t nl = strlen(d->d_name);
			struct p9_qid q = {
				.type = d->d_type == DT_DIR ? P9_QTDIR :
					d->d_type == DT_LNK ? P9_QTSYMLINK :
					P9_QTFILE,
				.path = d->d_ino ^ ((uint64_t)st.st_dev << 48),
			};

			if (out->pos - at - 4 + P9_QID_SIZE + 8 + 1 + 2 + nl >
			    count) {
				full = true;
				break;
			}
			p9_put_qid(out, &q);
			p9_put64(out, d->d_off);
			p9_put8(out, d->d_type);
			p9_put_str(out, d->d_name);
			pos += d->d_reclen;
		}
	}
	count = out->pos - at - 4;
	out->pos = at;
	p9_put32(out, count);
	out->pos += count;
	return 0;
}

static int t_mkdir(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t dfid = p9_get32(in), mode;
	char name[NAME_MAX + 2];
	struct p9_fid *f;
	struct stat st;
	struct p9_qid q;
	int fd, r = 0;

	p9_get_str(in, name, sizeof(name));
	mode = p9_get32(in);
	p9_get32(in);		/* gid */
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, dfid);
	if (!f)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	if (!p9_name_ok(name))
		return -EINVAL;
	fd = dir_fd(s, f);
	if (fd < 0)
		return fd;
	if (mkdirat(fd, name, mode & 07777) ||
	    fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW))
		r = -errno;
	close(fd);
	if (r)
		return r;
	p9_qid_from_stat(&q, &st);
	p9_put_qid(out, &q);
	return 0;
}

static int t_symlink(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t dfid = p9_get32(in);
	char name[NAME_MAX + 2];
	static char target[PATH_MAX];
	struct p9_fid *f;
	struct stat st;
	struct p9_qid q;
	int fd, r = 0;

	p9_get_str(in, name, sizeof(name));
	p9_get_str(in, target, sizeof(target));
	p9_get32(in);		/* gid */
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, dfid);
	if (!f)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	if (!p9_name_ok(name) || !target[0])
		return -EINVAL;
	fd = dir_fd(s, f);
	if (fd < 0)
		return fd;
	/* The target is only ever read back (Treadlink), never followed. */
	if (symlinkat(target, fd, name) ||
	    fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW))
		r = -errno;
	close(fd);
	if (r)
		return r;
	p9_qid_from_stat(&q, &st);
	p9_put_qid(out, &q);
	return 0;
}

static int t_mknod(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t dfid = p9_get32(in), mode;
	char name[NAME_MAX + 2];
	struct p9_fid *f;
	struct stat st;
	struct p9_qid q;
	int fd, r = 0;

	p9_get_str(in, name, sizeof(name));
	mode = p9_get32(in);
	p9_get32(in);		/* major */
	p9_get32(in);		/* minor */
	p9_get32(in);		/* gid */
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, dfid);
	if (!f)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	if (!p9_name_ok(name))
		return -EINVAL;
	/* No device nodes on the host, whatever the guest's privileges. */
	if (!S_ISFIFO(mode) && !S_ISSOCK(mode) && !S_ISREG(mode))
		return -EPERM;
	fd = dir_fd(s, f);
	if (fd < 0)
		return fd;
	if (mknodat(fd, name, mode & (S_IFMT | 07777), 0) ||
	    fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW))
		r = -errno;
	close(fd);
	if (r)
		return r;
	p9_qid_from_stat(&q, &st);
	p9_put_qid(out, &q);
	return 0;
}

static int t_link(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t dfid = p9_get32(in), fid = p9_get32(in);
	char name[NAME_MAX + 2];
	struct p9_fid *d, *f;
	const char *base;
	int dfd, ofd, r = 0;

	p9_get_str(in, name, sizeof(name));
	(void)out;
	if (in->bad)
		return -EPROTO;
	d = fid_get(s, dfid);
	if (!d)
		return -EBADF;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	if (!p9_name_ok(name))
		return -EINVAL;
	dfd = dir_fd(s, d);
	if (dfd < 0)
		return dfd;
	ofd = p9_open_parent(s->rootfd, f->path, &base);
	if (ofd < 0) {
		close(dfd);
		return ofd;
	}
	/* flags 0: a symlink is linked itself, never followed. */
	if (linkat(ofd, base, dfd, name, 0))
		r = -errno;
	close(ofd);
	close(dfd);
	return r;
}

/* Rename `from` (beneath the root) to directory fid `dir` / `name`. */
static int do_rename(struct p9_server *s, const char *from, struct p9_fid *dir,
		     const char *name)
{
	const char *base;
	char *to;
	int ofd, nfd, r = 0;

	if (!p9_name_ok(name))
		return -EINVAL;
	ofd = p9_open_parent(s->rootfd, from, &base);
	if (ofd < 0)
		return ofd;
	nfd = dir_fd(s, dir);
	if (nfd < 0) {
		close(ofd);
		return nfd;
	}
	if (renameat(ofd, base, nfd, name))
		r = -errno;
	close(ofd);
	close(nfd);
	if (r)
		return r;
	to = p9_path_join(dir->path, name);
	if (!to)
		return -ENOMEM;
	fids_rebase(s, from, to);
	free(to);
	return 0;
}

static int t_rename(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in), dfid = p9_get32(in);
	char name[NAME_MAX + 2], *from;
	struct p9_fid *f, *d;
	int r;

	p9_get_str(in, name, sizeof(name));
	(void)out;
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	d = fid_get(s, dfid);
	if (!d)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	from = strdup(f->path);	/* do_rename() rewrites f->path */
	if (!from)
		return -ENOMEM;
	r = do_rename(s, from, d, name);
	free(from);
	return r;
}

static int t_renameat(struct p9_server *s, struct p9_buf *in,
		      struct p9_buf *out)
{
	uint32_t ofid = p9_get32(in), nfid;
	char oname[NAME_MAX + 2], nname[NAME_MAX + 2], *from;
	struct p9_fid *od, *nd;
	int r;

	p9_get_str(in, oname, sizeof(oname));
	nfid = p9_get32(in);
	p9_get_str(in, nname, sizeof(nname));
	(void)out;
	if (in->bad)
		return -EPROTO;
	od = fid_get(s, ofid);
	if (!od)
		return -EBADF;
	nd = fid_get(s, nfid);
	if (!nd)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	if (!p9_name_ok(oname))
		return -EINVAL;
	from = p9_path_join(od->path, oname);
	if (!from)
		return -ENOMEM;
	r = do_rename(s, from, nd, nname);
	free(from);
	return r;
}

static int t_unlinkat(struct p9_server *s, struct p9_buf *in,
		      struct p9_buf *out)
{
	uint32_t dfid = p9_get32(in), flags;
	char name[NAME_MAX + 2];
	struct p9_fid *f;
	int fd, r = 0;

	p9_get_str(in, name, sizeof(name));
	flags = p9_get32(in);
	(void)out;
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, dfid);
	if (!f)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	if (!p9_name_ok(name))
		return -EINVAL;
	fd = dir_fd(s, f);
	if (fd < 0)
		return fd;
	if (unlinkat(fd, name, flags & AT_REMOVEDIR))
		r = -errno;
	close(fd);
	return r;
}

static int t_remove(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	uint32_t fid = p9_get32(in);
	struct p9_fid *f;
	const char *base;
	struct stat st;
	int fd, r;

	(void)out;
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	/* 9P: the fid is clunked even when the remove fails. */
	if (s->ro) {
		r = -EROFS;
	} else {
		fd = p9_open_parent(s->rootfd, f->path, &base);
		r = fd;
		if (fd >= 0) {
			r = 0;
			if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) ||
			    unlinkat(fd, base,
				     S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0))
				r = -errno;
			close(fd);
		}
	}
	fid_del(s, fid);
	return r;
}

/* ---- locks: granted, never conflicting ---------------------------------------- */

static int t_lock(struct p9_server *s, struct p9_buf *in, struct p9_buf *out)
{
	char client[256];
	struct p9_fid *f;
	uint32_t fid = p9_get32(in);

	p9_get8(in);		/* type */
	p9_get32(in);		/* flags */
	p9_get64(in);		/* start */
	p9_get64(in);		/* length */
	p9_get32(in);		/* proc_id */
	p9_get_str(in, client, sizeof(client));
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	p9_put8(out, 0);	/* P9_LOCK_SUCCESS */
	return 0;
}

static int t_getlock(struct p9_server *s, struct p9_buf *in,
		     struct p9_buf *out)
{
	char client[256];
	struct p9_fid *f;
	uint32_t fid = p9_get32(in), pid;
	uint64_t start, len;

	p9_get8(in);		/* type */
	start = p9_get64(in);
	len = p9_get64(in);
	pid = p9_get32(in);
	p9_get_str(in, client, sizeof(client));
	if (in->bad)
		return -EPROTO;
	f = fid_get(s, fid);
	if (!f)
		return -EBADF;
	p9_put8(out, 2);	/* P9_LOCK_TYPE_UNLCK: nothing in the way */
	p9_put64(out, start);
	p9_put64(out, len);
	p9_put32(out, pid);
	p9_put_str(out, client);
	return 0;
}

/* ---- dispatch ---------------------------------------------------------------- */

typedef int (*p9_handler)(struct p9_server *, struct p9_buf *, struct p9_buf *);

static p9_handler handler(uint8_t type)
{
	switch (type) {
	case P9_TVERSION:	return t_version;
	case P9_TATTACH:	return t_attach;
	case P9_TWALK:		return t_walk;
	case P9_TCLUNK:		return t_clunk;
	case P9_TFLUSH:		return t_flush;
	case P9_TLOPEN:		return t_lopen;
	case P9_TLCREATE:	return t_lcreate;
	case P9_TREAD:		return t_read;
	case P9_TWRITE:		return t_write;
	case P9_TFSYNC:		return t_fsync;
	case P9_TGETATTR:	return t_getattr;
	case P9_TSETATTR:	return t_setattr;
	case P9_TSTATFS:	return t_statfs;
	case P9_TREADLINK:	return t_readlink;
	case P9_TREADDIR:	return t_readdir;
	case P9_TMKDIR:		return t_mkdir;
	case P9_TSYMLINK:	return t_symlink;
	case P9_TMKNOD:		return t_mknod;
	case P9_TLINK:		return t_link;
	case P9_TRENAME:	return t_rename;
	case P9_TRENAMEAT:	return t_renameat;
	case P9_TUNLINKAT:	return t_unlinkat;
	case P9_TREMOVE:	return t_remove;
	case P9_TLOCK:		return t_lock;
	case P9_TGETLOCK:	return t_getlock;
	}
	return NULL;	/* Txattrwalk, Txattrcreate, Tauth, 9P2000(.u), junk */
}

uint32_t p9_handle(struct p9_server *s, const uint8_t *req, uint32_t len,
		   uint8_t *out, uint32_t cap)
{
	struct p9_buf in = { .p = (uint8_t *)req, .cap = len };
	struct p9_buf o = { .p = out, .cap = cap };
	uint32_t size = p9_get32(&in);
	uint8_t type = p9_get8(&in);
	uint16_t tag = p9_get16(&in);
	p9_handler h;
	int r;

	if (cap > s->msize && type != P9_TVERSION)
		cap = s->msize;
	o.cap = cap;
	if (cap < P9_HDR + 4)
		return 0;
	if (in.bad)
		return p9_lerror(out, cap, in.cap >= 7 ? tag : P9_NOTAG,
				 EPROTO);
	/* The header's size is the message; it must be all there. */
	if (size < P9_HDR || size > len)
		return p9_lerror(out, cap, tag, EPROTO);
	in.cap = size;
	h = handler(type);
	if (!h)
		return p9_lerror(out, cap, tag, EOPNOTSUPP);
	p9_begin(&o, type + 1, tag);
	r = h(s, &in, &o);
	if (!r && !o.bad)
		return p9_finish(&o);
	return p9_lerror(out, cap, tag, r ? -r : ENOBUFS);
}
