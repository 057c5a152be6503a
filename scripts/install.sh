#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/install.sh - install minikvm.ko for one kernel, plus the udev rule (`make install`).
#
# Usage:
#   scripts/install.sh [KDIR]               build against KDIR, install, depmod, udev rule
#   scripts/install.sh --uninstall [KDIR]   remove what the above installed
#   scripts/install.sh --dkms               register the tree with DKMS (dkms add/build/
#                                           install for every installed kernel with headers,
#                                           and automatically for kernels installed later)
#   scripts/install.sh --dkms-remove        unregister it from DKMS
# KDIR defaults to /lib/modules/$(uname -r)/build. Environment:
#   DESTDIR         stage into this root instead of / (packaging); no group, udevadm or
#                   DKMS changes then, depmod runs on the staged tree
#   MKVM_SIGN_KEY, MKVM_SIGN_CERT
#                   sign the installed module with this key + certificate (Secure Boot;
#                   see Documentation/building.md). Debian kernels do not sign out-of-tree
#                   modules at modules_install (no CONFIG_MODULE_SIG_ALL key), so an
#                   unsigned module is what you get otherwise.
#
# What goes where:
#   minikvm.ko  -> /lib/modules/KVER/extra/  (INSTALL_MOD_DIR=extra: depmod's search order
#                  puts extra/ ahead of kernel/, and it never clashes with kvm.ko)
#   udev rule   -> /etc/udev/rules.d/60-minikvm.rules (/dev/minikvm root:kvm 0660, like
#                  /dev/kvm on Debian; the kvm group is created if missing)
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DESTDIR=${DESTDIR:-}
RULE_SRC=$MKVM_TOP/scripts/udev/60-minikvm.rules
RULE_DST=$DESTDIR/etc/udev/rules.d/60-minikvm.rules

mode=install
case ${1:-} in
--uninstall) mode=uninstall; shift ;;
--dkms) mode=dkms; shift ;;
--dkms-remove) mode=dkms-remove; shift ;;
-h | --help) sed -n '/^# Usage:/,/^# What goes/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
-*) die "unknown option '$1' (--uninstall, --dkms, --dkms-remove)" ;;
esac

[ -n "$DESTDIR" ] || [ "$(id -u)" = 0 ] || die "installing needs root (or DESTDIR=...)"

# ---------------------------------------------------------------------------- DKMS

# PACKAGE_VERSION from dkms.conf: DKMS wants the sources in /usr/src/minikvm-VERSION.
dkms_version() {
	sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$MKVM_TOP/dkms.conf"
}

if [ "$mode" = dkms ] || [ "$mode" = dkms-remove ]; then
	[ $# -eq 0 ] || die "--dkms takes no KDIR: DKMS builds for every kernel with headers"
	[ -z "$DESTDIR" ] || die "DESTDIR and --dkms do not mix"
	need_pkgs dkms
	ver=$(dkms_version)
	[ -n "$ver" ] || die "no PACKAGE_VERSION in dkms.conf"
	if [ "$mode" = dkms-remove ]; then
		dkms remove -m minikvm -v "$ver" --all 2>/dev/null || true
		rm -rf "/usr/src/minikvm-$ver"
		rm -f "$RULE_DST"
		log "minikvm $ver removed from DKMS"
		exit 0
	fi
	dkms remove -m minikvm -v "$ver" --all >/dev/null 2>&1 || true
	# A copy of what the module build needs, not the repo with its objects: DKMS builds
	# in its own tree and must not pick up .o files made for another kernel.
	src=/usr/src/minikvm-$ver
	rm -rf "$src"
	mkdir -p "$src"
	(cd "$MKVM_TOP" && tar --exclude='*.o' --exclude='*.ko' --exclude='*.cmd' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='*.order' --exclude='Module.symvers' \
		-cf - dkms.conf Kbuild Makefile module uapi COPYING) | tar -xf - -C "$src"
	dkms add -m minikvm -v "$ver"
	# Build + install for every installed kernel that has headers (what `dkms autoinstall`
	# does, but one kernel at a time so that each gets its own verdict).
	failed=()
	for k in $(cd /lib/modules && printf '%s\n' * | sort -V); do
		[ -f "/lib/modules/$k/build/Makefile" ] || continue
		log "dkms install minikvm/$ver for $k"
		dkms install -m minikvm -v "$ver" -k "$k" || failed+=("$k")
	done
	install -D -m 0644 "$RULE_SRC" "$RULE_DST"
	getent group kvm >/dev/null || groupadd --system kvm
	if command -v udevadm >/dev/null && [ -S /run/udev/control ]; then
		udevadm control --reload
	fi
	dkms status -m minikvm
	[ ${#failed[@]} -eq 0 ] || { echo "minikvm: DKMS build failed for: ${failed[*]}" >&2; exit 1; }
	exit 0
fi

# ---------------------------------------------------------------------------- one kernel

[ $# -le 1 ] || die "usage: $0 [--uninstall] [KDIR]"
kdir=${1:-/lib/modules/$(uname -r)/build}
[ -f "$kdir/Makefile" ] ||
	die "no kernel build tree at $kdir (install linux-headers-$(uname -r), or pass KDIR=/lib/modules/VERSION/build)"
# The release modules go under is UTS_RELEASE (what the module's vermagic carries);
# Debian's 6.1 headers have a misleading include/config/kernel.release ("6.1.192" for
# 6.1.0-56-amd64), so read the generated header.
kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null)
[ -n "$kver" ] || die "cannot tell the kernel release of $kdir (no include/generated/utsrelease.h)"
moddir=$DESTDIR/lib/modules/$kver

depmod_run() {
	# depmod needs the kernel's modules.* files; a staging root may not have them.
	if [ -n "$DESTDIR" ]; then
		depmod -b "$DESTDIR" "$kver" 2>/dev/null || log "depmod on $DESTDIR skipped: no full module tree"
	else
		depmod -a "$kver"
	fi
}

if [ "$mode" = uninstall ]; then
	find "$moddir/extra" -name 'minikvm.ko*' -print -delete 2>/dev/null || true
	rm -f "$RULE_DST"
	[ -d "$moddir" ] && depmod_run
	if [ -z "$DESTDIR" ] && command -v udevadm >/dev/null && [ -S /run/udev/control ]; then
		udevadm control --reload
	fi
	log "minikvm removed for $kver"
	exit 0
fi

need_pkgs make gcc kmod
[ -f "$RULE_SRC" ] || die "missing $RULE_SRC"

log "building minikvm.ko against $kver"
make -C "$kdir" M="$MKVM_TOP" modules
# The module sits in module/ of the tree, so Kbuild keeps that directory under extra/.
# Installing the one file ourselves gives a stable, flat path: extra/minikvm.ko.
ko=$MKVM_TOP/module/minikvm.ko
[ -f "$ko" ] || die "build produced no $ko"
install -D -m 0644 "$ko" "$moddir/extra/minikvm.ko"

if [ -n "${MKVM_SIGN_KEY:-}" ] || [ -n "${MKVM_SIGN_CERT:-}" ]; then
	if [ ! -f "${MKVM_SIGN_KEY:-}" ] || [ ! -f "${MKVM_SIGN_CERT:-}" ]; then
		die "MKVM_SIGN_KEY and MKVM_SIGN_CERT must both name existing files"
	fi
	[ -x "$kdir/scripts/sign-file" ] || die "no $kdir/scripts/sign-file to sign with"
	"$kdir/scripts/sign-file" sha256 "$MKVM_SIGN_KEY" "$MKVM_SIGN_CERT" "$moddir/extra/minikvm.ko"
	log "signed with $MKVM_SIGN_CERT"
fi
depmod_run

install -D -m 0644 "$RULE_SRC" "$RULE_DST"
if [ -z "$DESTDIR" ]; then
	# The rule names the group; udev ignores a rule whose group does not exist.
	getent group kvm >/dev/null || groupadd --system kvm
	if command -v udevadm >/dev/null && [ -S /run/udev/control ]; then
		udevadm control --reload
		# Apply the rule to a device that already exists (module loaded before install).
		[ ! -e /sys/class/misc/minikvm ] ||
			udevadm trigger --action=add --subsystem-match=misc --sysname-match=minikvm
	fi
fi
log "installed $moddir/extra/minikvm.ko and $RULE_DST; load it with: modprobe minikvm"
