#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/mkinitramfs.sh - build the initramfs that runs minikvm's tests in an emulated machine.
#
# usage: scripts/mkinitramfs.sh --kver KVER [--modroot DIR] [--ko PATH/minikvm.ko]
#                               [--tests DIR] [--add SRC:DST]... [--modules M1,M2]... -o OUT
#
#   --kver KVER     kernel release the image is for (`uname -r` inside the guest)
#   --modroot DIR   where that kernel's modules are. Either a root holding lib/modules/KVER
#                   (default /, i.e. the installed Debian kernel; also what `make
#                   modules_install INSTALL_MOD_PATH=DIR` or an unpacked linux-image .deb gives),
#                   or a flat directory of *.ko files such as the debug kernel's modules/.
#   --ko FILE       our minikvm.ko; installed as /lib/modules/KVER/extra/minikvm.ko
#   --tests DIR     copied to /selftests (must hold `run-list`, see Documentation/testing.md)
#   --add SRC:DST   copy file or directory SRC to DST (absolute path) in the image; repeatable
#   --modules LIST  more modules of KVER to include (with their dependencies), comma-separated,
#                   e.g. tun,vhost_net; repeatable. Always included: kvm, kvm_amd, kvm_intel,
#                   irqbypass, ccp and whatever minikvm.ko depends on.
#   -o OUT          the gzip'd newc cpio to write
#
# The image is busybox (static) + the real kmod (so `modprobe` resolves dependencies and
# parameters exactly as on a real system) + the KVM modules of KVER + minikvm.ko, with
# scripts/guest/init as /init. Needs no root beyond apt: everything is built in a temp dir.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	sed -n '5,22s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

kver='' modroot=/ ko='' tests='' out=''
adds=() extra_mods=()
# need_val OPT NARGS: an option that takes a value must have one.
need_val() { [ "$2" -ge 2 ] || die "mkinitramfs: option $1 needs a value"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) need_val "$1" $#; kver=$2; shift 2 ;;
	--modroot) need_val "$1" $#; modroot=$2; shift 2 ;;
	--ko) need_val "$1" $#; ko=$2; shift 2 ;;
	--tests) need_val "$1" $#; tests=$2; shift 2 ;;
	--add) need_val "$1" $#; adds+=("$2"); shift 2 ;;
	--modules) need_val "$1" $#; IFS=, read -r -a m <<< "$2"; extra_mods+=("${m[@]}"); shift 2 ;;
	-o) need_val "$1" $#; out=$2; shift 2 ;;
	-h|--help) usage ;;
	*) die "mkinitramfs: unknown argument '$1' (see --help)" ;;
	esac
done

[ -n "$kver" ] || die "mkinitramfs: --kver is required"
[ -n "$out" ] || die "mkinitramfs: -o OUT is required"
[ -d "$modroot" ] || die "mkinitramfs: --modroot $modroot is not a directory"
[ -z "$ko" ] || [ -f "$ko" ] || die "mkinitramfs: --ko $ko: no such file"
if [ -n "$tests" ]; then
	[ -d "$tests" ] || die "mkinitramfs: --tests $tests is not a directory"
	[ -f "$tests/run-list" ] || die "mkinitramfs: --tests $tests has no run-list"
fi
for a in "${adds[@]}"; do
	case "$a" in
	?*:/?*) [ -e "${a%%:*}" ] || die "mkinitramfs: --add ${a%%:*}: no such file" ;;
	*) die "mkinitramfs: --add wants SRC:/absolute/DST, got '$a'" ;;
	esac
done

need_pkgs busybox-static kmod dash bash cpio gzip
PATH=$PATH:/usr/sbin:/sbin # depmod, modinfo for a non-root PATH

init_src=$MKVM_TOP/scripts/guest/init
[ -f "$init_src" ] || die "mkinitramfs: $init_src missing"

# Where the kernel's modules come from: a lib/modules tree, or a flat dir of .ko files.
if [ -f "$modroot/lib/modules/$kver/modules.dep" ]; then
	modsrc=tree
	moddir=$modroot/lib/modules/$kver
elif compgen -G "$modroot/*.ko*" > /dev/null; then
	modsrc=flat
	moddir=$modroot
else
	die "mkinitramfs: no $modroot/lib/modules/$kver/modules.dep and no *.ko in $modroot"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/mkvm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# ------------------------------------------------------------------ busybox
# A plain (not merged-/usr) layout: every path the applets and ldd name exists as itself.
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,root,selftests}
cp /bin/busybox "$stage/bin/busybox"
# `busybox --list-full` names each applet with its usual directory (bin/sh, sbin/ip, ...).
while read -r applet; do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done < <("$stage/bin/busybox" --list-full)

# copy_bin PATH: a dynamically linked host binary and its shared libraries (and the dynamic
# loader), each at the path ldd reports.
copy_bin() {
	local bin=$1 lib
	mkdir -p "$stage/$(dirname "$bin")"
	cp -L "$bin" "$stage/$bin"
	for lib in $(ldd "$bin" | awk '/=> \//{ print $3 } /^\t\//{ print $1 }'); do
		mkdir -p "$stage/$(dirname "$lib")"
		cp -L "$lib" "$stage/$lib"
	done
}

# ------------------------------------------------------------------ shells
# Debian's busybox-static runs its own applets in preference to PATH (FEATURE_SH_STANDALONE),
# so under busybox sh "modprobe" would always be busybox's. /bin/sh is therefore dash (as on
# Debian), which searches PATH; bash is there for test scripts that want it.
rm -f "$stage/bin/sh" "$stage/bin/bash"
copy_bin /bin/dash
copy_bin /bin/bash
ln -s dash "$stage/bin/sh"

# ------------------------------------------------------------------ kmod
# The real kmod, not busybox's modprobe: it honours modules.dep/softdep and module parameters
# exactly like a distribution system, which is what minikvm must cope with.
kmod_bin=$(command -v kmod) || die "mkinitramfs: kmod not found"
copy_bin "$kmod_bin"
[ "$kmod_bin" = /usr/bin/kmod ] || ln -s "$kmod_bin" "$stage/usr/bin/kmod"
for t in modprobe rmmod insmod lsmod depmod modinfo; do
	for d in sbin bin usr/sbin usr/bin; do
		rm -f "$stage/$d/$t"
	done
	ln -s /usr/bin/kmod "$stage/sbin/$t"
done

# ------------------------------------------------------------------ modules
mods=$stage/lib/modules/$kver
mkdir -p "$mods"
if [ "$modsrc" = tree ]; then
	# The KVM modules, whatever minikvm.ko depends on, and all of their dependencies, taken
	# from modules.dep so the image holds exactly what modprobe will want.
	wanted=(kvm kvm_amd kvm_intel irqbypass ccp ${extra_mods[@]+"${extra_mods[@]}"})
	if [ -n "$ko" ]; then
		deps=$(modinfo -F depends "$ko" 2>/dev/null || true)
		[ -n "$deps" ] && IFS=, read -r -a extra <<< "$deps" && wanted+=("${extra[@]}")
	fi
	# module name -> path: names use _ where files may use - (kvm_amd is kvm-amd.ko).
	declare -A path_of=()
	while IFS=: read -r p _; do
		n=${p##*/}
		n=${n%%.ko*}
		path_of[${n//-/_}]=$p
	done < "$moddir/modules.dep"
	declare -A done_=()
	add_mod() { # NAME: copy the module and, recursively, what modules.dep says it needs
		local n=${1//-/_} p d
		[ -n "${done_[$n]:-}" ] && return 0
		done_[$n]=1
		p=${path_of[$n]:-}
		if [ -z "$p" ]; then
			# Built in (ccp on the debug kernel) or not built at all: nothing to copy.
			# Only a module someone asked for by name is worth a word.
			case "$n" in
			kvm | kvm_amd | kvm_intel | irqbypass | ccp) ;;
			*) log "mkinitramfs: module $1 not in $moddir (built in or absent; skipped)" ;;
			esac
			return 0
		fi
		mkdir -p "$mods/$(dirname "$p")"
		cp "$moddir/$p" "$mods/$p"
		# shellcheck disable=SC2013 # modules.dep lists dependencies as words
		for d in $(grep "^$p:" "$moddir/modules.dep" | cut -d: -f2); do
			d=${d##*/}
			add_mod "${d%%.ko*}"
		done
	}
	for m in "${wanted[@]}"; do add_mod "$m"; done
	# modprobe consults these to know what is built in (e.g. ccp) and the load order.
	for f in modules.builtin modules.builtin.modinfo modules.order modules.softdep; do
		[ -f "$moddir/$f" ] && cp "$moddir/$f" "$mods/"
	done
else
	# A flat directory (the debug kernel's modules/): take every module in it.
	[ ${#extra_mods[@]} -eq 0 ] || log "mkinitramfs: --modules ignored: $modroot is a flat directory (all of it is copied)"
	mkdir -p "$mods/kernel"
	cp "$moddir"/*.ko* "$mods/kernel/"
fi
touch "$mods/modules.builtin" "$mods/modules.builtin.modinfo" "$mods/modules.order"
if [ -n "$ko" ]; then
	mkdir -p "$mods/extra"
	cp "$ko" "$mods/extra/minikvm.ko"
fi
# Host depmod on the image: writes modules.dep(.bin), aliases, symbols for KVER.
depmod -b "$stage" "$kver" || die "mkinitramfs: depmod -b failed"
if [ -n "$ko" ] && ! grep -q '^extra/minikvm.ko:' "$mods/modules.dep"; then
	die "mkinitramfs: depmod did not index extra/minikvm.ko"
fi

# ------------------------------------------------------------------ tests, extras, init
if [ -n "$tests" ]; then
	cp -a "$tests"/. "$stage/selftests/"
fi
for a in "${adds[@]}"; do
	src=${a%%:*} dst=${a#*:}
	mkdir -p "$stage/$(dirname "$dst")"
	cp -a "$src" "$stage/$dst"
done
install -m 0755 "$init_src" "$stage/init"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"

# ------------------------------------------------------------------ pack
mkdir -p "$(dirname "$out")"
# Sorted and root-owned, whoever builds it.
(
	cd "$stage"
	find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null --create --format=newc --owner=0:0 --reproducible --quiet
) | gzip -6 -n > "$out.tmp"
mv "$out.tmp" "$out"
log "mkinitramfs: wrote $out ($(du -h "$out" | cut -f1), kernel $kver, modules from $modsrc $moddir${ko:+, minikvm.ko}${tests:+, tests})"
