#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/qemu.sh - build Debian 12's QEMU 7.2 with our fixes for nested SVM, for the
# QEMU-SVM machine (MKVM_QEMU=patched in scripts/vm-test.sh's environment; check.sh's
# QEMU-SVM steps set it, make demo and direct vm-test.sh runs use Debian's binary).
#
# usage: scripts/qemu.sh build     build once into /var/cache/minikvm/qemu (a few minutes)
#        scripts/qemu.sh path      print the binary's path (builds first when missing)
#
# Debian's source package (apt-get source qemu: the DFSG tarball and its patches), its
# 7.2.N stable patches and the two that build without the DFSG-removed firmware, then
# scripts/qemu/*.patch. Only
# qemu-system-x86_64 with TCG; firmware comes from Debian's seabios/ipxe/qemu-system-data
# packages (-L). Why: Documentation/testing.md, "2-vCPU nested boots".
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$TOP/scripts/lib.sh"

CACHE=${MKVM_CACHE:-/var/cache/minikvm}/qemu
BIN=$CACHE/bin/qemu-system-x86_64

build() {
	local src=$CACHE/src tree p stamp
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9		# one build at a time; a waiting caller then finds it done
	stamp=$(cat "$TOP"/scripts/qemu/*.patch | sha256sum | cut -c1-16)
	if [ -x "$BIN" ] && [ "$(cat "$CACHE/stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	need_pkgs dpkg-dev ninja-build meson pkg-config libglib2.0-dev libpixman-1-dev \
		libfdt-dev libslirp-dev flex bison python3-venv seabios ipxe-qemu qemu-system-data
	if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ &&
	   ! grep -qs '^deb-src' /etc/apt/sources.list; then
		[ "$(id -u)" = 0 ] || die "qemu: needs root to add Debian's deb-src lines"
		cat >/etc/apt/sources.list.d/minikvm-src.sources <<-EOS
		Types: deb-src
		URIs: $(debian_mirror)
		Suites: bookworm
		Components: main
		Signed-By: $(debian_keyring)
		EOS
		flock /var/lock/minikvm-apt.lock apt-get update -qq -o DPkg::Lock::Timeout=600 >&2 ||
			die "qemu: apt-get update failed"	# the lock need_pkgs takes
	fi
	rm -rf "$src"
	mkdir -p "$src"
	log "qemu: fetching Debian's qemu source"
	(cd "$src" && apt-get source --download-only -qq qemu/bookworm >&2) ||
		die "qemu: apt-get source qemu failed"
	tar xf "$src"/qemu_*.orig.tar.xz -C "$src"
	tar xf "$src"/qemu_*.debian.tar.xz -C "$src"
	tree=$(echo "$src"/qemu-7.2*/)
	grep -E '^(v7\.2\.[0-9]+\.diff|skip-meson-pc-bios\.diff|ignore-roms-dependency-in-qtest\.patch)$' \
		"$src/debian/patches/series" | while read -r p; do
		patch -d "$tree" -p1 -s <"$src/debian/patches/$p" || die "qemu: $p does not apply"
	done
	for p in "$TOP"/scripts/qemu/*.patch; do
		patch -d "$tree" -p1 -s <"$p" || die "qemu: $(basename "$p") does not apply"
	done
	log "qemu: building qemu-system-x86_64 (TCG only; a few minutes)"
	mkdir -p "$tree/build"
	(cd "$tree/build" && ../configure --meson=/usr/bin/meson --target-list=x86_64-softmmu \
		--disable-docs --disable-werror --disable-kvm --disable-xen --disable-vnc \
		--disable-sdl --disable-gtk --disable-opengl --disable-spice --disable-libusb \
		--disable-capstone --disable-tools --disable-guest-agent >"$CACHE/configure.log" 2>&1) ||
		die "qemu: configure failed (see $CACHE/configure.log)"
	ninja -C "$tree/build" -j"$(nproc)" qemu-system-x86_64 >"$CACHE/build.log" 2>&1 ||
		die "qemu: build failed (see $CACHE/build.log)"
	mkdir -p "$CACHE/bin"
	cp "$tree/build/qemu-system-x86_64" "$CACHE/bin/qemu-system-x86_64.real"
	cat >"$BIN" <<-EOS
	#!/bin/sh
	exec "$CACHE/bin/qemu-system-x86_64.real" -L /usr/share/qemu -L /usr/share/seabios \\
		-L /usr/lib/ipxe/qemu "\$@"
	EOS
	chmod 0755 "$BIN"
	echo "$stamp" >"$CACHE/stamp"
	rm -rf "$src"
	log "qemu: $BIN ($("$BIN" --version | head -n 1))"
}

case "${1:-}" in
build) build ;;
path) build >&2; echo "$BIN" ;;
*) sed -n '4,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 2 ;;
esac
