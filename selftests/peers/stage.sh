#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# selftests/peers/stage.sh DIR KVER - stage the peer-client tests into a tests tree.
#
# Puts under DIR/peers what selftests/peers/run-list needs inside the test machine and
# appends that run-list to DIR/run-list:
#   lkvm          the unmodified kvmtool of ../shared/peers/kvmtool (its static binary,
#                 or one rebuilt from its source tarball in $MKVM_CACHE when the binary
#                 is missing); never copied into this repository
#   vmlinuz       /boot/vmlinuz-KVER, the machine's own kernel, as the guest's kernel
#   guest.cpio.gz busybox, guest-init as /init, and KVER's virtio modules (PCI, MMIO,
#                 blk, rng, 9p) in load order
#   kvmtool.sh    the test
# MKVM_PEERS overrides where the peer clients are (default ../shared/peers from the
# project root).
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/scripts/lib.sh"
[ $# -eq 2 ] || die "usage: selftests/peers/stage.sh DIR KVER"
dir=$1 kver=$2
peers=${MKVM_PEERS:-$TOP/../shared/peers}
moddir=/lib/modules/$kver
[ -f "$moddir/modules.dep" ] || die "peers: no $moddir/modules.dep"
need_pkgs busybox-static cpio xz-utils

# kvmtool: the static binary, or a rebuild of the same source. Without either the tests
# are staged anyway and skip with the reason (kvmtool.sh), so the rest of the boot runs.
lkvm=$peers/kvmtool/lkvm-static
if [ ! -x "$lkvm" ]; then
	tarball=$(ls "$peers"/kvmtool/kvmtool-*.tar.xz 2>/dev/null | head -n 1 || true)
	if [ -n "$tarball" ]; then
		build=$MKVM_CACHE/kvmtool/$(basename "$tarball" .tar.xz)
		if [ ! -x "$build/lkvm-static" ]; then
			need_pkgs gcc make libc6-dev
			mkdir -p "$MKVM_CACHE/kvmtool"
			tar -xf "$tarball" -C "$MKVM_CACHE/kvmtool"
			make -C "$build" -j"$(nproc)" lkvm-static >&2
		fi
		lkvm=$build/lkvm-static
	else
		log "peers: no kvmtool under $peers/kvmtool: its tests will skip"
		lkvm=
	fi
fi
mkdir -p "$dir/peers"
[ -z "$lkvm" ] || install -m 0755 "$lkvm" "$dir/peers/lkvm"
install -m 0755 "$TOP/selftests/peers/kvmtool.sh" "$dir/peers/"
cp "/boot/vmlinuz-$kver" "$dir/peers/vmlinuz"

# The guest's root: busybox, /init, the modules after their dependencies.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,mnt,modules}
cp /bin/busybox "$root/bin/busybox"
while read -r applet; do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done < <("$root/bin/busybox" --list-full)
install -m 0755 "$TOP/selftests/peers/guest-init" "$root/init"
declare -A seen=()
add_module() {	# add_module PATH-IN-modules.dep: its dependencies first, then itself
	local path=$1 dep name
	[ -z "${seen[$path]:-}" ] || return 0
	seen[$path]=1
	for dep in $(grep -E "^$path:" "$moddir/modules.dep" | cut -d: -f2-); do
		add_module "$dep"
	done
	name=$(basename "$path")
	case "$name" in
	*.ko.xz) xz -dc "$moddir/$path" > "$root/modules/${name%.xz}"; name=${name%.xz} ;;
	*.ko.zst) zstd -qdc "$moddir/$path" > "$root/modules/${name%.zst}"; name=${name%.zst} ;;
	*) cp "$moddir/$path" "$root/modules/$name" ;;
	esac
	echo "$name" >> "$root/modules/order"
}
: > "$root/modules/order"
for m in virtio_pci virtio_mmio virtio_blk virtio-rng 9pnet_virtio 9p; do
	p=$(grep -E "(^|/)$m\.ko[^:]*:" "$moddir/modules.dep" | cut -d: -f1 || true)
	[ -n "$p" ] && add_module "$p"	# else built in
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 \
	> "$dir/peers/guest.cpio.gz"
[ -f "$dir/run-list" ] || : > "$dir/run-list"
grep -v '^#' "$TOP/selftests/peers/run-list" >> "$dir/run-list"
log "peers: staged kvmtool tests in $dir/peers (kernel $kver)"
