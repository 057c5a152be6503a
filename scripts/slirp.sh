#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/slirp.sh - a static libslirp for mkvm's --net user.
#
# usage: scripts/slirp.sh build     build once into /var/cache/minikvm/slirp (seconds)
#        scripts/slirp.sh path      print the install prefix (builds first when missing)
#
# mkvm is linked statically (it runs in the test initramfs, which has no libc), and
# Debian's libslirp-dev ships only the shared library, so this builds Debian 12's own
# libslirp source package (apt-get source libslirp: the real library, unpatched by us)
# with meson as a static archive. glib, which it needs, has its static archive in
# Debian's libglib2.0-dev.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$TOP/scripts/lib.sh"

CACHE=${MKVM_CACHE:-/var/cache/minikvm}/slirp
LIB=$CACHE/install/lib/libslirp.a

build() {
	local src=$CACHE/src tree
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9
	[ -f "$LIB" ] && return 0
	need_pkgs dpkg-dev meson ninja-build pkg-config libglib2.0-dev libpcre2-dev
	if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ &&
	   ! grep -qs '^deb-src' /etc/apt/sources.list; then
		[ "$(id -u)" = 0 ] || die "slirp: needs root to add Debian's deb-src lines"
		cat >/etc/apt/sources.list.d/minikvm-src.sources <<-EOS
		Types: deb-src
		URIs: $(debian_mirror)
		Suites: bookworm
		Components: main
		Signed-By: $(debian_keyring)
		EOS
		flock /var/lock/minikvm-apt.lock apt-get update -qq -o DPkg::Lock::Timeout=600 >&2 ||
			die "slirp: apt-get update failed"
	fi
	rm -rf "$src"
	mkdir -p "$src"
	log "slirp: fetching Debian's libslirp source"
	(cd "$src" && apt-get source --download-only -qq libslirp/bookworm >&2) ||
		die "slirp: apt-get source libslirp failed"
	tar xf "$src"/libslirp_*.orig.tar.* -C "$src"
	tree=$(echo "$src"/libslirp-*/)
	log "slirp: building a static libslirp"
	meson setup "$tree/build" "$tree" -Ddefault_library=static --libdir=lib \
		--prefix="$CACHE/install" >&2
	ninja -C "$tree/build" install >&2
	[ -f "$LIB" ] || die "slirp: no $LIB after the build"
}

case "${1:-}" in
build) build ;;
path) build >/dev/null; echo "$CACHE/install" ;;
*) die "usage: scripts/slirp.sh build|path" ;;
esac
