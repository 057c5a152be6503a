// SPDX-License-Identifier: GPL-2.0
/*
 * p9_path.c - every path the 9P server touches is resolved here, beneath
 * the share's root and nowhere else.
 *
 * A fid is a path relative to the root, built only from names the guest
 * walked one at a time (p9_name_ok: no "/", ".", ".." or empty names; a
 * walk to ".." is done lexically, and the root's parent is the root).
 * Each use resolves it again with openat2(2) from the root's fd with
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS and
 * O_NOFOLLOW: the kernel refuses "..", absolute paths, /proc magic links
 * and any symlink on the way, also when the host swaps a directory for a
 * symlink between two guest requests.  The Linux client follows symlinks
 * itself (Treadlink, then a walk of the target in the guest's namespace),
 * so a server that never follows one loses nothing.  Operations on a
 * directory entry (mkdir, unlink, rename, ...) use the *at() call on the
 * resolved parent with a validated name, which by definition does not
 * follow the last component.
 *
 * Without openat2 (Linux < 5.6) there is no equally safe resolution, so
 * the share fails closed: p9_server_init() refuses to start.
 *
 * Non-goals: RESOLVE_IN_ROOT semantics (the server never needs to interpret
 * an absolute path), mount-point restrictions (--root / spans mounts).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "p9.h"

bool p9_name_ok(const char *name)
{
	return name[0] && strcmp(name, ".") && strcmp(name, "..") &&
	       !strchr(name, '/') && strlen(name) <= NAME_MAX;
}

int p9_open_beneath(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? (mode & 07777) : 0,
		.resolve = P9_RESOLVE,
	};
	int tries = 0;
	long fd;

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	/* EAGAIN: a rename somewhere raced the BENEATH check; retry a little. */
	do {
		fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &how,
			     sizeof(how));
	} while (fd < 0 && errno == EAGAIN && ++tries < 8);
	return fd < 0 ? -errno : (int)fd;
}

int p9_open_parent(int rootfd, const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	size_t len;

	if (!*path)
		return -EBUSY;		/* the root has no entry to change */
	if (!slash) {
		*base = path;
		return p9_open_beneath(rootfd, "", O_PATH | O_DIRECTORY, 0);
	}
	len = slash - path;
	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, len);
	dir[len] = 0;
	*base = slash + 1;
	return p9_open_beneath(rootfd, dir, O_PATH | O_DIRECTORY, 0);
}

char *p9_path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = malloc(dl + nl + 2);

	if (!p)
		return NULL;
	if (!dl) {
		memcpy(p, name, nl + 1);
	} else {
		memcpy(p, dir, dl);
		p[dl] = '/';
		memcpy(p + dl + 1, name, nl + 1);
	}
	return p;
}

void p9_path_up(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash)
		*slash = 0;
	else
		path[0] = 0;
}

int p9_path_rebase(char **path, const char *from, const char *to)
{
	size_t fl = strlen(from);
	char *p = *path, *n;

	if (!fl || strncmp(p, from, fl) || (p[fl] && p[fl] != '/'))
		return 0;
	n = malloc(strlen(to) + strlen(p + fl) + 1);
	if (!n)
		return -ENOMEM;
	strcpy(n, to);
	strcat(n, p + fl);
	free(p);
	*path = n;
	return 1;
}
