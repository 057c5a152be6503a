/* SPDX-License-Identifier: GPL-2.0 */
/* initramfs.h - building mkvm's extra initramfs (newc cpio). */
#ifndef MKVM_INITRAMFS_H
#define MKVM_INITRAMFS_H

#include "mkvm.h"

struct cpio {
	uint8_t *buf;
	size_t len, cap;
	uint32_t ino;
	int failed;
};

void cpio_init(struct cpio *c);
void cpio_dir(struct cpio *c, const char *name, uint32_t mode);
void cpio_file(struct cpio *c, const char *name, uint32_t mode,
	       const void *data, size_t len);
void cpio_symlink(struct cpio *c, const char *name, const char *target);
void cpio_chardev(struct cpio *c, const char *name, uint32_t mode,
		  uint32_t major, uint32_t minor);
void cpio_trailer(struct cpio *c);

/* Add host directory `dir` (recursively) under `prefix`.  0 / -1. */
int cpio_add_tree(struct cpio *c, const char *dir, const char *prefix);

/*
 * Resolve the virtio drivers (and what they depend on) in modules.dep of
 * `moddir` and add them as /mkvm/modules/NN-name.ko in load order.
 * With `fs`, also the 9p client (9pnet_virtio, 9p) and overlayfs.
 * Returns the number added, or -1 when modules.dep cannot be read.
 */
int cpio_add_virtio_modules(struct cpio *c, const char *moddir, bool fs);

/*
 * The same from a built kernel tree: modules.order and each module's
 * .modinfo depends= (no modules.dep without modules_install).  Returns the
 * number added, or -1 without a readable modules.order.
 */
int cpio_add_tree_modules(struct cpio *c, const char *tree, bool fs);

#endif
