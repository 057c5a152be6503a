// SPDX-License-Identifier: GPL-2.0
/*
 * initramfs.c - build mkvm's own initramfs: a newc cpio archive (the format
 * of the kernel's Documentation/driver-api/early-userspace/buffer-format.rst)
 * holding mkvm's static guest init, the command to run, the virtio modules
 * and the --share copy.  main.c appends it to the user's --initrd; the kernel
 * unpacks concatenated archives in order.
 *
 * Non-goals: compression (the archive is small and the guest decompresses
 * nothing faster than it copies), hard links, xattrs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "initramfs.h"

void cpio_init(struct cpio *c)
{
	memset(c, 0, sizeof(*c));
	c->ino = 1000;
}

static void put(struct cpio *c, const void *p, size_t n)
{
	if (c->failed)
		return;
	if (c->len + n + 4 > c->cap) {
		size_t cap = c->cap ? c->cap : 65536;
		uint8_t *nb;

		while (cap < c->len + n + 4)
			cap *= 2;
		nb = realloc(c->buf, cap);
		if (!nb) {
			c->failed = 1;
			return;
		}
		c->buf = nb;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
}

static void pad4(struct cpio *c)
{
	static const uint8_t z[4];

	put(c, z, (4 - (c->len & 3)) & 3);
}

static void entry(struct cpio *c, const char *name, uint32_t mode,
		  const void *data, size_t len, uint32_t rmaj, uint32_t rmin)
{
	uint32_t f[13];
	size_t nlen = strlen(name) + 1;
	char hdr[8 * 13 + 7 + 1];

	/* "070701", then 13 8-digit hex fields (buffer-format.rst):
	 * ino mode uid gid nlink mtime filesize devmaj devmin rdevmaj rdevmin
	 * namesize check. */
	f[0] = c->ino++;
	f[1] = mode;
	f[2] = f[3] = 0;
	f[4] = S_ISDIR(mode) ? 2 : 1;
	f[5] = 0;
	f[6] = (uint32_t)len;
	f[7] = f[8] = 0;
	f[9] = rmaj;
	f[10] = rmin;
	f[11] = (uint32_t)nlen;
	f[12] = 0;
	memcpy(hdr, "070701", 6);
	for (int i = 0; i < 13; i++) {
		static const char hex[] = "0123456789ABCDEF";

		for (int j = 0; j < 8; j++)
			hdr[6 + i * 8 + j] = hex[f[i] >> (28 - 4 * j) & 0xf];
	}
	put(c, hdr, 110);
	put(c, name, nlen);
	pad4(c);
	if (len)
		put(c, data, len);
	pad4(c);
}

void cpio_dir(struct cpio *c, const char *name, uint32_t mode)
{
	entry(c, name, S_IFDIR | mode, NULL, 0, 0, 0);
}

void cpio_file(struct cpio *c, const char *name, uint32_t mode,
	       const void *data, size_t len)
{
	entry(c, name, S_IFREG | mode, data, len, 0, 0);
}

void cpio_symlink(struct cpio *c, const char *name, const char *target)
{
	entry(c, name, S_IFLNK | 0777, target, strlen(target), 0, 0);
}

void cpio_chardev(struct cpio *c, const char *name, uint32_t mode,
		  uint32_t major, uint32_t minor)
{
	entry(c, name, S_IFCHR | mode, NULL, 0, major, minor);
}

void cpio_trailer(struct cpio *c)
{
	entry(c, "TRAILER!!!", 0, NULL, 0, 0, 0);
}

static void *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	size_t done = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	while (buf && done < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + done, st.st_size - done);

		if (r <= 0)
			break;
		done += r;
	}
	close(fd);
	if (buf && done != (size_t)st.st_size) {
		free(buf);
		return NULL;
	}
	if (buf)
		buf[done] = 0;
	*len = done;
	return buf;
}

int cpio_add_tree(struct cpio *c, const char *dir, const char *prefix)
{
	struct dirent **names;
	int n, err = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		mkvm_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *e = names[i]->d_name;
		char src[PATH_MAX], dst[PATH_MAX], link[PATH_MAX];
		struct stat st;
		ssize_t l;

		if (!strcmp(e, ".") || !strcmp(e, "..") || err)
			goto next;
		if (snprintf(src, sizeof(src), "%s/%s", dir, e) >= (int)sizeof(src) ||
		    snprintf(dst, sizeof(dst), "%s/%s", prefix, e) >= (int)sizeof(dst) ||
		    lstat(src, &st))
			goto next;
		if (S_ISDIR(st.st_mode)) {
			cpio_dir(c, dst, st.st_mode & 07777);
			err = cpio_add_tree(c, src, dst);
		} else if (S_ISLNK(st.st_mode)) {
			l = readlink(src, link, sizeof(link) - 1);
			if (l >= 0) {
				link[l] = 0;
				cpio_symlink(c, dst, link);
			}
		} else if (S_ISREG(st.st_mode)) {
			size_t len;
			void *data = read_file(src, &len);

			if (data)
				cpio_file(c, dst, st.st_mode & 07777, data, len);
			else
				mkvm_err("--share: skipping %s: %s", src,
					 strerror(errno));
			free(data);
		}
		/* Sockets, fifos, devices: not copied. */
next:
		free(names[i]);
	}
	free(names);
	return err;
}

/* What the guest needs to see mkvm's devices (drivers/virtio, 5.x). */
static const char *const wanted[] = {
	"virtio_mmio", "virtio_blk", "virtio_net", "virtio_console",
	"virtio_rng",
};
/* And for shares: the 9p client over virtio, overlayfs for --root. */
static const char *const wanted_fs[] = { "9pnet_virtio", "9p", "overlay" };

struct moddep {
	char *path;		/* relative to moddir */
	char *name;		/* basename without .ko*, '-' -> '_' */
	char **deps;
	int ndeps;
	int state;		/* 0 new, 1 visiting, 2 added */
};

static void mod_name(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	size_t i;

	b = b ? b + 1 : path;
	for (i = 0; b[i] && i + 1 < len; i++) {
		if (!strncmp(b + i, ".ko", 3))
			break;
		out[i] = b[i] == '-' ? '_' : b[i];
	}
	out[i] = 0;
}

static struct moddep *find_mod(struct moddep *m, int n, const char *path,
			       bool by_name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(by_name ? m[i].name : m[i].path, path))
			return &m[i];
	return NULL;
}

static int add_mod(struct cpio *c, const char *moddir, struct moddep *all,
		   int n, struct moddep *m, int *seq)
{
	char path[PATH_MAX], dst[128];
	size_t len;
	void *data;

	if (m->state == 2)
		return 0;
	if (m->state == 1)
		return 0;	/* cycle: modules.dep never has one */
	m->state = 1;
	for (int i = 0; i < m->ndeps; i++) {
		struct moddep *d = find_mod(all, n, m->deps[i], false);

		if (d && add_mod(c, moddir, all, n, d, seq))
			return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", moddir, m->path);
	data = read_file(path, &len);
	if (!data) {
		mkvm_err("%s: %s", path, strerror(errno));
		return -1;
	}
	/* Compressed modules keep their suffix: init uses finit_module's
	 * MODULE_INIT_COMPRESSED_FILE for them. */
	snprintf(dst, sizeof(dst), "mkvm/modules/%02d-%s%s", (*seq)++, m->name,
		 strstr(m->path, ".ko.") ? strstr(m->path, ".ko") : ".ko");
	cpio_file(c, dst, 0644, data, len);
	free(data);
	m->state = 2;
	return 0;
}

int cpio_add_virtio_modules(struct cpio *c, const char *moddir, bool fs)
{
	char path[PATH_MAX];
	struct moddep *mods = NULL;
	int n = 0, cap = 0, seq = 0, added = -1;
	char *text, *line, *save = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/modules.dep", moddir);
	text = read_file(path, &len);
	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *tok, *s2 = NULL;
		char name[64];
		struct moddep *m;

		if (!colon)
			continue;
		*colon = 0;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			mods = realloc(mods, cap * sizeof(*mods));
			if (!mods)
				goto out;
		}
		m = &mods[n++];
		memset(m, 0, sizeof(*m));
		m->path = line;
		mod_name(line, name, sizeof(name));
		m->name = strdup(name);
		for (tok = strtok_r(colon + 1, " ", &s2); tok;
		     tok = strtok_r(NULL, " ", &s2)) {
			m->deps = realloc(m->deps, (m->ndeps + 1) * sizeof(char *));
			m->deps[m->ndeps++] = tok;
		}
	}
	added = 0;
	for (size_t i = 0; i < ARRAY_SIZE(wanted) + ARRAY_SIZE(wanted_fs);
	     i++) {
		const char *name = i < ARRAY_SIZE(wanted) ? wanted[i] :
				   wanted_fs[i - ARRAY_SIZE(wanted)];
		struct moddep *m;

		if (i >= ARRAY_SIZE(wanted) && !fs)
			break;
		m = find_mod(mods, n, name, true);
		/* Absent: built into the kernel, or not configured. */
		if (m && add_mod(c, moddir, mods, n, m, &seq)) {
			added = -1;
			goto out;
		}
	}
	added = seq;
out:
	for (int i = 0; i < n; i++) {
		free(mods[i].name);
		free(mods[i].deps);
	}
	free(mods);
	free(text);
	return added;
}

/*
 * A built kernel tree instead of /lib/modules/VERSION: no modules.dep
 * there (depmod runs at modules_install), so the modules are found by
 * name in modules.order (paths relative to the tree, ".o" in newer
 * kernels for the ".ko" beside it) and their dependencies read from each
 * module's own .modinfo "depends=" string, which modpost wrote.
 */
struct tree_mod {
	char *path;		/* relative to the tree, ending .ko */
	char name[64];
	int state;		/* 0 new, 1 visiting, 2 added */
};

static int tree_add(struct cpio *c, const char *tree, struct tree_mod *m,
		    int n, struct tree_mod *t, int *seq)
{
	char path[PATH_MAX], dst[128];
	const char *dep;
	size_t len;
	char *data;

	if (t->state)
		return 0;	/* added, or a cycle (modpost makes none) */
	t->state = 1;
	snprintf(path, sizeof(path), "%s/%s", tree, t->path);
	data = read_file(path, &len);
	if (!data) {
		mkvm_err("%s: %s", path, strerror(errno));
		return -1;
	}
	dep = memmem(data, len, "depends=", 8);
	if (dep) {
		char list[512], *tok, *save = NULL;
		size_t l = strnlen(dep + 8, len - (dep + 8 - data));

		snprintf(list, sizeof(list), "%.*s", (int)l, dep + 8);
		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			for (int i = 0; i < n; i++) {
				if (strcmp(m[i].name, tok))
					continue;
				if (tree_add(c, tree, m, n, &m[i], seq)) {
					free(data);
					return -1;
				}
				break;
			}
		}
	}
	snprintf(dst, sizeof(dst), "mkvm/modules/%02d-%s.ko", (*seq)++, t->name);
	cpio_file(c, dst, 0644, data, len);
	free(data);
	t->state = 2;
	return 0;
}

int cpio_add_tree_modules(struct cpio *c, const char *tree, bool fs)
{
	char path[PATH_MAX], *text, *line, *save = NULL;
	struct tree_mod *m = NULL;
	int n = 0, seq = 0, r = -1;
	size_t len;

	snprintf(path, sizeof(path), "%s/modules.order", tree);
	text = read_file(path, &len);
	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);
		struct tree_mod *nm = realloc(m, (n + 1) * sizeof(*m));

		if (!nm)
			goto out;
		m = nm;
		m[n].path = malloc(l + 2);
		if (!m[n].path)
			goto out;
		strcpy(m[n].path, line);
		if (l > 2 && !strcmp(line + l - 2, ".o"))
			strcpy(m[n].path + l - 2, ".ko");
		mod_name(m[n].path, m[n].name, sizeof(m[n].name));
		m[n].state = 0;
		n++;
	}
	for (size_t i = 0; i < ARRAY_SIZE(wanted) + ARRAY_SIZE(wanted_fs);
	     i++) {
		const char *name = i < ARRAY_SIZE(wanted) ? wanted[i] :
				   wanted_fs[i - ARRAY_SIZE(wanted)];

		if (i >= ARRAY_SIZE(wanted) && !fs)
			break;
		for (int j = 0; j < n; j++)
			if (!strcmp(m[j].name, name)) {
				if (tree_add(c, tree, m, n, &m[j], &seq))
					goto out;
				break;
			}
	}
	r = seq;
out:
	for (int i = 0; i < n; i++)
		free(m[i].path);
	free(m);
	free(text);
	return r;
}
