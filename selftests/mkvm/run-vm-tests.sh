#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# selftests/mkvm/run-vm-tests.sh - run mkvm's in-VM tests in the QEMU-SVM machine (or another).
#
# usage: selftests/mkvm/run-vm-tests.sh [--filter GLOB[,GLOB]] [--ko minikvm.ko]
#                                       [--kver KVER] [--out DIR]
#
#   --filter  run only these run-list names (e.g. 'mkvm_*_kvm' or mkvm_blk_kvm)
#   --ko      also put minikvm.ko in the image (the *_minikvm tests then try it)
#   --kver    kernel for both the L1 machine and the L2 guest (default: newest in /boot
#             that has /lib/modules/KVER)
#   --out     output directory (default out/mkvm-vm): console.log, results.ktap, summary
#   --append ARGS  extra L1 kernel command line (e.g. mkvm.verbose: full L2 boot logs)
#   --machine M  scripts/vm-test.sh machine (default qemu-svm; bochs-vmx)
#   --stage DIR  only stage: put everything under DIR/mkvm and append the run-list lines
#             to DIR/run-list (for a combined selftests/build), then exit without booting
#
# Builds userspace/ (mkvm), stages selftests/mkvm with the L2 guest's kernel, a
# busybox root and the virtio modules, packs everything with scripts/mkinitramfs.sh
# and boots it with scripts/vm-test.sh. Exit status and last line are vm-test.sh's
# ("N passed, N failed, N skipped").
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$TOP/scripts/lib.sh"

filter= ko= kver= out=$TOP/out/mkvm-vm stage_only= append= machine=qemu-svm
while [ $# -gt 0 ]; do
	case "$1" in
	--filter) filter=$2; shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--stage) stage_only=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--machine) machine=$2; shift 2 ;;
	-h|--help) sed -n '4,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) die "run-vm-tests: unknown argument '$1'" ;;
	esac
done
if [ -z "$kver" ]; then
	for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V); do
		[ -f "/lib/modules/$k/modules.dep" ] && kver=$k
	done
fi
[ -n "$kver" ] || die "run-vm-tests: no /boot/vmlinuz-* with /lib/modules (apt-get install linux-image-amd64)"
moddir=/lib/modules/$kver
need_pkgs busybox-static cpio

make -s -C "$TOP/userspace" >&2

if [ -n "$stage_only" ]; then
	stage=$stage_only
	out=$stage/.mkvm-tmp
	rm -rf "$stage/mkvm" "$out"
	mkdir -p "$out"
else
	stage=$out/stage
	rm -rf "$stage"
fi
mkdir -p "$stage/mkvm/guest/modules"
install -m 0755 "$TOP/userspace/build/mkvm" "$stage/mkvm/mkvm"
for f in "$TOP"/selftests/mkvm/*.sh; do
	case "$f" in */run-vm-tests.sh) continue ;; esac
	install -m 0755 "$f" "$stage/mkvm/"
done
chmod 0644 "$stage/mkvm/lib.sh"
gcc -O2 -Wall -Wextra -Werror -static -o "$stage/mkvm/ptyrun" "$TOP/selftests/mkvm/ptyrun.c"
gcc -O2 -Wall -Wextra -Werror -static -o "$stage/mkvm/vmhold" "$TOP/selftests/mkvm/vmhold.c"
if [ -n "$stage_only" ]; then
	grep -v '^#' "$TOP/selftests/mkvm/run-list" >> "$stage/run-list"
else
	grep -v '^#' "$TOP/selftests/mkvm/run-list" > "$stage/run-list"
fi

# L2 guest: the same stock kernel, its virtio modules (+ tun for the host side).
cp "/boot/vmlinuz-$kver" "$stage/mkvm/guest/vmlinuz"
cp "$moddir/modules.dep" "$stage/mkvm/guest/modules/"
for m in virtio virtio_ring virtio_mmio virtio_blk virtio_net net_failover failover bridge stp llc \
	 virtio_console virtio-rng tun 9pnet 9pnet_virtio 9p netfs fscache overlay; do
	p=$(grep -E "(^|/)$m\.ko[^:]*:" "$moddir/modules.dep" | cut -d: -f1 || true)
	[ -n "$p" ] || continue		# built in
	mkdir -p "$stage/mkvm/guest/modules/$(dirname "$p")"
	cp "$moddir/$p" "$stage/mkvm/guest/modules/$p"
done

# A real kselftest target for kselftest.sh, built here (the L1 has no compiler) from
# Debian's linux-source-6.1 and installed as run_kselftest.sh + its runner: "size"
# (get_size, static, no libc), small enough for a nested boot.
need_pkgs rsync
ks=$out/kselftest-src
rm -rf "$ks"
mkdir -p "$ks/tools/testing/selftests" "$ks/scripts"
lsrc=$("$TOP/scripts/linux-source.sh")
(cd "$lsrc/tools/testing/selftests" &&
	cp -r Makefile lib.mk run_kselftest.sh kselftest.h kselftest_harness.h kselftest size \
		"$ks/tools/testing/selftests/")
cp -r "$lsrc/tools/scripts" "$ks/tools/"
tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$ks" --strip-components=1 \
	linux-source-6.1/scripts/subarch.include
make -s -C "$ks/tools/testing/selftests" TARGETS=size install \
	INSTALL_PATH="$stage/mkvm/kselftest" >&2
rm -rf "$ks"

# L2 guest root: busybox-static and its applets.
root=$out/guest-root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp}
cp /bin/busybox "$root/bin/busybox"
while read -r applet; do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done < <("$root/bin/busybox" --list-full)
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$stage/mkvm/guest/root.cpio"
if [ -n "$stage_only" ]; then
	rm -rf "$out"
	log "run-vm-tests: staged mkvm tests in $stage/mkvm (kernel $kver)"
	exit 0
fi

"$TOP/scripts/mkinitramfs.sh" --kver "$kver" --tests "$stage" ${ko:+--ko "$ko"} \
	-o "$out/initramfs.cpio.gz"
# 21 tests per device since issue 17 (shares, --root, kselftest, --net user): beside two
# busy emulators the QEMU-SVM run needed more than vm-test's default 1200 s (2026-12-07:
# the minikvm half had 3 tests left at 1235 s), so allow twice that for the L1.
exec "$TOP/scripts/vm-test.sh" --machine "$machine" --kernel "/boot/vmlinuz-$kver" \
	--initrd "$out/initramfs.cpio.gz" --out "$out" --timeout "${MKVM_VM_TIMEOUT:-2400}" \
	--append "${filter:+mkvm.filter=$filter }$append"
