#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/linux-source.sh - print the directory of an extracted Linux 6.1
# source subset, extracting it first if needed.
#
# We never commit kernel files. What the build needs from the kernel tree
# (the kselftest harness headers; later the KVM selftests and api.rst) is
# taken from Debian's linux-source-6.1 package and unpacked into the cache.
# Decompressing the tarball takes ~15 s, so every part anybody needs is
# extracted in one pass and a stamp file records it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dest=$MKVM_CACHE/linux-source-6.1
stamp=$dest/.minikvm-extracted-v1
if [ ! -f "$stamp" ]; then
	need_pkgs linux-source-6.1 xz-utils
	tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null) ||
		die "linux-source-6.1 is installed but /usr/src/linux-source-6.1.tar.xz is missing"
	log "extracting the kselftest and KVM parts of $tarball"
	rm -rf "$dest.tmp"
	mkdir -p "$dest.tmp"
	tar -xJf "$tarball" -C "$dest.tmp" --strip-components=1 --wildcards \
		'linux-source-6.1/tools/*' \
		'linux-source-6.1/Documentation/virt/kvm/*' \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch' \
		'linux-source-6.1/scripts/kernel-doc'
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
	touch "$stamp"
fi
echo "$dest"
