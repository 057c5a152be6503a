#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernels.sh - make the stock kernels of minikvm's test matrix available and say
# where they are. Everything fetched or unpacked lives in $MKVM_CACHE, never in the repo.
#
# Usage:
#   scripts/kernels.sh ensure SEL...    install / unpack what SEL needs (idempotent)
#   scripts/kernels.sh list [--all]     one line per available kernel: KVER VMLINUZ MODROOT KDIR
#   scripts/kernels.sh show SEL         the list line of one selector (exit 1 if not available)
#   scripts/kernels.sh kmake SEL ARGS   run `make -C KDIR ARGS` with the right compiler
#                                       (on the host, or inside the sid chroot for `sid`)
#   scripts/kernels.sh update-sid       refresh the sid chroot (apt-get full-upgrade inside)
#
# Selectors (SEL):
#   6.1    bookworm's linux-image-amd64 + linux-headers-amd64 (e.g. 6.1.0-56-amd64)
#   6.12   linux-image-6.12-amd64 + linux-headers-6.12-amd64 (e.g. 6.12.117+deb12-amd64);
#          also adds /etc/apt/sources.list.d/backports.sources (bookworm-backports)
#   debug  the KASAN/lockdep 6.1 kernel from ../shared/debug-kernel (6.1.192-minikvm-debug)
#   sid    (alias 7.2, 7) sid's linux-image-amd64 + linux-headers-amd64 in a debootstrap
#          chroot at $MKVM_CACHE/sid-chroot; its headers need gcc-16, which bookworm lacks
#   all    6.1 6.12 debug (the kernels a host build can target; add `sid` explicitly)
#
# The list format, one kernel per line, fields separated by one space (no field has spaces):
#   KVER      the kernel release (uname -r of that kernel)
#   VMLINUZ   the bootable image (bzImage) for QEMU/Bochs
#   MODROOT   a directory R such that R/lib/modules/KVER/ is that kernel's module tree,
#             complete with modules.dep (so `modprobe -d R`, `depmod -b R` and copying
#             R/lib/modules/KVER into an initramfs all work the same for every kernel):
#               - apt-installed kernels: `/`
#               - debug: $MKVM_CACHE/debug/root, built here from the tarball's flat
#                 modules/ dir (kvm.ko, kvm-amd.ko, kvm-intel.ko, irqbypass.ko) laid out
#                 as kernel/arch/x86/kvm/*.ko + kernel/virt/lib/irqbypass.ko, depmod'ed
#               - sid: the chroot directory
#   KDIR      the tree to build external modules against (`make -C KDIR M=...`).
#             For sid this is a path inside the chroot: it only builds with the chroot's
#             gcc-16, so use `scripts/kernels.sh kmake sid M=DIR ...` rather than make -C.
# `list` prints the host-buildable kernels (6.1, 6.12, debug: whatever is present);
# `list --all` adds the sid chroot's kernel.
#
# Notes:
#   - 6.12: Debian's bookworm-security carries the 6.12 kernel too (versioned meta packages
#     linux-image-6.12-amd64 / linux-headers-6.12-amd64, newer than backports' 6.12). We add
#     bookworm-backports as planned and install those versioned meta packages, so apt takes
#     the newest 6.12 from either suite while linux-image-amd64 stays on 6.1.
#   - The sid mirror's Release files carry Valid-Until; a frozen/snapshot mirror is often past
#     it, so the chroot's apt is told not to check it (signatures are still checked).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEBUG_TARBALL=${MKVM_DEBUG_TARBALL:-$MKVM_TOP/../shared/debug-kernel/linux-6.1.192-minikvm-debug.tar.xz}
DEBUG_DIR=$MKVM_CACHE/debug
SID_CHROOT=${MKVM_SID_CHROOT:-$MKVM_CACHE/sid-chroot}

usage() {
	sed -n '/^# Usage:/,/^# Selectors/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# ls_sorted DIR: entry names of DIR in version order (kernel releases contain no blanks).
ls_sorted() {
	local d
	for d in "$1"/*; do [ -e "$d" ] && echo "${d##*/}"; done | sort -V
}

# newest_kver REGEX: newest release in /lib/modules matching REGEX that has both a
# bootable image and a usable build tree (a half-installed kernel is not "available").
newest_kver() {
	local re=$1 k best=
	for k in $(ls_sorted /lib/modules | grep -E "$re"); do
		[ -f "/boot/vmlinuz-$k" ] && [ -f "/lib/modules/$k/build/Makefile" ] && best=$k
	done
	[ -n "$best" ] && echo "$best"
}

# ---------------------------------------------------------------------------- 6.1 / 6.12

ensure_61() {
	need_pkgs linux-image-amd64 linux-headers-amd64
	newest_kver '^6\.1\.[0-9]+-[0-9]+-amd64$' >/dev/null || die "6.1 kernel not found after install"
}

ensure_612() {
	local f=/etc/apt/sources.list.d/backports.sources pkgs v
	# Already there: no apt at all (this runs before every matrix build).
	newest_kver '^6\.12\.[^-]+-amd64$' >/dev/null && return 0
	[ "$(id -u)" = 0 ] || die "installing the 6.12 kernel needs root"
	if [ ! -f "$f" ]; then
		log "adding bookworm-backports ($f)"
		cat >"$f" <<-EOF
		Types: deb
		URIs: $(debian_mirror)
		Suites: bookworm-backports
		Components: main
		Signed-By: $(debian_keyring)
		EOF
	fi
	# The lists must know the new suite (and the newest 6.12) before we pick packages.
	apt-get update -qq >&2 || die "apt-get update failed"
	_mkvm_apt_updated=1
	if apt-cache show linux-image-6.12-amd64 >/dev/null 2>&1; then
		pkgs=(linux-image-6.12-amd64 linux-headers-6.12-amd64)
	else
		# No versioned meta package (a mirror without bookworm-security): take the
		# newest 6.12 ABI that backports has, by its exact package names.
		v=$(apt-cache pkgnames linux-headers-6.12. |
			sed -n 's/^linux-headers-\(6\.12\.[0-9]*+[a-z0-9.]*-amd64\)$/\1/p' | sort -V | tail -n1)
		[ -n "$v" ] || die "no 6.12 kernel in the apt lists (bookworm-backports missing?)"
		pkgs=("linux-image-$v" "linux-headers-$v")
	fi
	# The 6.12 headers depend on gcc-12 (bookworm's gcc); --no-install-recommends comes
	# from need_pkgs.
	need_pkgs "${pkgs[@]}"
	newest_kver '^6\.12\.[^-]+-amd64$' >/dev/null || die "6.12 kernel not found after install"
}

line_61() {
	local k
	k=$(newest_kver '^6\.1\.[0-9]+-[0-9]+-amd64$') || return 1
	echo "$k /boot/vmlinuz-$k / /lib/modules/$k/build"
}

line_612() {
	local k
	k=$(newest_kver '^6\.12\.[^-]+-amd64$') || return 1
	echo "$k /boot/vmlinuz-$k / /lib/modules/$k/build"
}

# ---------------------------------------------------------------------------- debug kernel

debug_src() { echo "$DEBUG_DIR/$(basename "$DEBUG_TARBALL" .tar.xz)"; }

ensure_debug() {
	local stamp=$DEBUG_DIR/.stamp want src kver mr tmp
	[ -f "$DEBUG_TARBALL" ] || die "debug kernel tarball not found: $DEBUG_TARBALL"
	# Re-extract only when the tarball itself changed (size + mtime identify it cheaply).
	want=$(stat -c '%s %Y' "$DEBUG_TARBALL")
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$(debug_src)/build" ]; then
		return 0
	fi
	need_pkgs kmod xz-utils
	log "unpacking $(basename "$DEBUG_TARBALL") into $DEBUG_DIR"
	mkdir -p "$MKVM_CACHE"
	# Unpack beside the final place, then swap: an interrupted run leaves no half tree.
	tmp=$(mktemp -d "$MKVM_CACHE/debug.tmp.XXXXXX")
	tar -xJf "$DEBUG_TARBALL" -C "$tmp"
	src=$tmp/$(basename "$DEBUG_TARBALL" .tar.xz)
	if [ ! -f "$src/bzImage" ] || [ ! -f "$src/build/Makefile" ]; then
		die "unexpected layout in $DEBUG_TARBALL (want bzImage and build/)"
	fi
	kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$src/build/include/generated/utsrelease.h")

	# MODROOT with the standard layout. The paths mirror where these modules sit in a
	# normal kernel tree, so modprobe/depmod and initramfs builders need no special case.
	mr=$tmp/root/lib/modules/$kver
	mkdir -p "$mr/kernel/arch/x86/kvm" "$mr/kernel/virt/lib"
	local m
	for m in "$src"/modules/*.ko; do
		case $(basename "$m") in
		irqbypass.ko) cp "$m" "$mr/kernel/virt/lib/" ;;
		*) cp "$m" "$mr/kernel/arch/x86/kvm/" ;;
		esac
	done
	# The paths are final-location paths so the symlink stays valid after the swap.
	ln -s "$DEBUG_DIR/$(basename "$src")/build" "$mr/build"
	ln -s "$DEBUG_DIR/$(basename "$src")/build" "$mr/source"
	# modules.order lists what we ship; the tarball has no list of built-in modules, so
	# modules.builtin{,.modinfo} are empty (depmod only wants them to exist).
	(cd "$mr" && find kernel -name '*.ko' | sort >modules.order)
	: >"$mr/modules.builtin"
	: >"$mr/modules.builtin.modinfo"
	depmod -b "$tmp/root" -F "$src/build/System.map" "$kver"

	rm -rf "$DEBUG_DIR"
	mv "$tmp" "$DEBUG_DIR"
	echo "$want" >"$stamp"
}

line_debug() {
	local src kver
	src=$(debug_src)
	[ -f "$src/build/include/generated/utsrelease.h" ] || return 1
	kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$src/build/include/generated/utsrelease.h")
	[ -d "$DEBUG_DIR/root/lib/modules/$kver" ] || return 1
	echo "$kver $src/bzImage $DEBUG_DIR/root $src/build"
}

# ---------------------------------------------------------------------------- sid chroot

# in_sid CMD...: run CMD inside the chroot with /proc, /sys, /dev bound, in a private mount
# namespace so nothing stays mounted if we are killed half way. Extra binds: set
# SID_BINDS to a space-separated list of host directories (bound at the same path).
in_sid() {
	# shellcheck disable=SC2016  # expanded by the inner shell
	unshare --mount --propagation private -- env SID_CHROOT="$SID_CHROOT" SID_BINDS="${SID_BINDS:-}" \
		bash -euc '
		c=$SID_CHROOT
		mount -t proc proc "$c/proc"
		mount --rbind /sys "$c/sys"
		mount --rbind /dev "$c/dev"
		for d in $SID_BINDS; do mkdir -p "$c$d"; mount --bind "$d" "$c$d"; done
		exec chroot "$c" "$@"' bash "$@"
}

sid_apt() {
	in_sid env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 apt-get -q -y \
		-o Acquire::Check-Valid-Until=false --no-install-recommends "$@"
}

ensure_sid() {
	need_pkgs debootstrap util-linux
	if [ ! -x "$SID_CHROOT/usr/bin/apt-get" ]; then
		local tmp=$SID_CHROOT.tmp t0=$SECONDS
		rm -rf "$tmp"
		log "debootstrap sid into $SID_CHROOT (a few minutes, once)"
		mkdir -p "$MKVM_CACHE"
		debootstrap --variant=minbase sid "$tmp" "$(debian_mirror)" >&2 ||
			die "debootstrap failed (log: $tmp/debootstrap/debootstrap.log)"
		# Snapshot mirrors serve sid Release files past their Valid-Until; see header.
		echo 'Acquire::Check-Valid-Until "false";' >"$tmp/etc/apt/apt.conf.d/99minikvm"
		# No services start in a build chroot.
		printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
		chmod +x "$tmp/usr/sbin/policy-rc.d"
		mv "$tmp" "$SID_CHROOT"
		log "debootstrap took $((SECONDS - t0)) s"
	fi
	cp /etc/resolv.conf "$SID_CHROOT/etc/resolv.conf" 2>/dev/null || true
	if ! line_sid >/dev/null; then
		log "installing sid's kernel image + headers + gcc in the chroot"
		sid_apt update >&2
		# gcc-16 comes in through the headers' gcc-16-for-host dependency; gcc/make for
		# the build itself; the image so that VM tests can boot the same 7.x kernel.
		sid_apt install linux-image-amd64 linux-headers-amd64 gcc make >&2 ||
			die "apt-get install in the sid chroot failed"
	fi
	line_sid >/dev/null || die "sid kernel not found in the chroot after install"
}

update_sid() {
	[ -x "$SID_CHROOT/usr/bin/apt-get" ] || die "no sid chroot yet: run '$0 ensure sid'"
	cp /etc/resolv.conf "$SID_CHROOT/etc/resolv.conf" 2>/dev/null || true
	sid_apt update >&2
	sid_apt full-upgrade >&2
	# Old header/image versions are kept by apt; drop them so `show sid` is unambiguous.
	sid_apt autoremove --purge >&2
}

line_sid() {
	local c=$SID_CHROOT k best=
	[ -d "$c/lib/modules" ] || return 1
	for k in $(ls_sorted "$c/lib/modules" | grep -E -- '-amd64$'); do
		[ -f "$c/boot/vmlinuz-$k" ] && [ -f "$c/usr/src/linux-headers-$k/Makefile" ] && best=$k
	done
	[ -n "$best" ] || return 1
	echo "$best $c/boot/vmlinuz-$best $c $c/usr/src/linux-headers-$best"
}

# ---------------------------------------------------------------------------- commands

# sel_fn SEL: set SEL_FN to the suffix of the ensure_/line_ functions for SEL (no command
# substitution, so that die really exits).
sel_fn() {
	case $1 in
	6.1) SEL_FN=61 ;;
	6.12) SEL_FN=612 ;;
	debug) SEL_FN=debug ;;
	sid | 7 | 7.2) SEL_FN=sid ;;
	*) die "unknown kernel '$1' (want 6.1, 6.12, debug, sid or all)" ;;
	esac
}

cmd_ensure() {
	[ $# -gt 0 ] || die "ensure: which kernel? (6.1, 6.12, debug, sid, all)"
	local s
	# One ensure at a time: a test run and a matrix run may start together, and two
	# debootstraps or unpacks into the same cache would trip over each other.
	mkdir -p "$MKVM_CACHE"
	exec 9>"$MKVM_CACHE/kernels.lock"
	flock 9
	for s in "$@"; do
		if [ "$s" = all ]; then
			ensure_61; ensure_612; ensure_debug
		else
			sel_fn "$s"
			"ensure_$SEL_FN"
		fi
	done
}

cmd_list() {
	local all=0
	case ${1:-} in
	--all) all=1 ;;
	"") ;;
	*) die "list: unknown option '$1'" ;;
	esac
	local k
	# Every apt-installed kernel with a build tree (6.1, 6.12, and any other present).
	for k in $(ls_sorted /lib/modules); do
		[ -f "/boot/vmlinuz-$k" ] && [ -f "/lib/modules/$k/build/Makefile" ] &&
			echo "$k /boot/vmlinuz-$k / /lib/modules/$k/build"
	done
	line_debug || true
	[ $all = 1 ] && { line_sid || true; }
	return 0
}

cmd_show() {
	[ $# -eq 1 ] || die "show: exactly one kernel (6.1, 6.12, debug, sid)"
	sel_fn "$1"
	"line_$SEL_FN" || { echo "minikvm: kernel $1 not available; run: $0 ensure $1" >&2; exit 1; }
}

# kmake SEL ARGS...: the one place that knows how to build against each kernel.
cmd_kmake() {
	[ $# -ge 1 ] || die "kmake: which kernel?"
	local sel line kdir a binds=
	sel_fn "$1"; shift
	sel=$SEL_FN
	line=$("line_$sel") || die "kernel not available; run: $0 ensure $sel"
	kdir=${line##* }
	if [ "$sel" != sid ]; then
		exec make -C "$kdir" "$@"
	fi
	# Inside the chroot, KDIR is the path without the chroot prefix, and every M=/O= dir
	# the caller names is bind-mounted at its own path so the same arguments work.
	kdir=${kdir#"$SID_CHROOT"}
	for a in "$@"; do
		case $a in
		M=* | O=*)
			[ -d "${a#*=}" ] || die "kmake: ${a#*=} is not a directory"
			binds+=" $(cd "${a#*=}" && pwd)"
			;;
		esac
	done
	SID_BINDS=$binds in_sid make -C "$kdir" "$@"
}

[ $# -ge 1 ] || usage
cmd=$1; shift
case $cmd in
ensure) cmd_ensure "$@" ;;
list) cmd_list "$@" ;;
show) cmd_show "$@" ;;
kmake) cmd_kmake "$@" ;;
update-sid) [ $# -eq 0 ] || die "update-sid takes no arguments"; update_sid ;;
-h | --help | help) usage ;;
*) die "unknown command '$cmd' (ensure, list, show, kmake, update-sid)" ;;
esac
