#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/demo.sh - README's first command (`make demo`): on a fresh Debian 12 machine,
# install what is needed, build minikvm, boot Debian's 6.1 kernel in QEMU with AMD SVM
# emulated, and show
#   1. minikvm loaded with modprobe: what the CPU offers, VMs created, the hardware
#      shared with the stock KVM (selftests/minikvm/demo.sh);
#   2. mkvm booting a stock Debian kernel (6.12) as a guest *on /dev/minikvm* with two
#      vCPUs and running a command in it (selftests/mkvm/demo.sh, mkvm_demo_minikvm).
#      The machine for this part runs Debian's 6.12 as well: nested Linux boots need
#      QEMU's multi-threaded TCG, under which a 6.1 L1 wedges on the stock KVM's code
#      patching (Documentation/testing.md).
#
# usage: scripts/demo.sh [--kernel 6.1|6.12] [--no-mkvm]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MKVM_TOP"

sel=6.1
with_mkvm=1
while [ $# -gt 0 ]; do
	case "$1" in
	--no-mkvm) with_mkvm=0; shift ;;
	--kernel) [ $# -ge 2 ] || die "demo: --kernel needs 6.1 or 6.12"; sel=$2; shift 2 ;;
	-h|--help) sed -n '4,8s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) die "demo: unknown argument '$1' (see --help)" ;;
	esac
done
case "$sel" in 6.1|6.12) ;; *) die "demo: --kernel wants 6.1 or 6.12, not '$sel'" ;; esac

need_pkgs build-essential bc kmod cpio busybox-static xz-utils
scripts/kernels.sh ensure "$sel" >&2
read -r kver vmlinuz modroot kdir < <(scripts/kernels.sh show "$sel")

out=$MKVM_TOP/out/demo
rm -rf "$out"
mkdir -p "$out/tests/minikvm"
log "building minikvm.ko for $kver"
scripts/matrix.sh "$sel" >"$out/build.log" 2>&1 ||
	{ tail -n 20 "$out/build.log" >&2; die "demo: the module did not build (see $out/build.log)"; }
make -s -C selftests >"$out/selftests.log" 2>&1 ||
	{ tail -n 20 "$out/selftests.log" >&2; die "demo: selftests did not build"; }
cp selftests/build/minikvm/vmctl selftests/build/minikvm/demo.sh "$out/tests/minikvm/"
echo "demo minikvm/demo.sh" >"$out/tests/run-list"

log "building the initramfs and booting $kver in QEMU (-cpu EPYC,+svm,+npt)"
scripts/mkinitramfs.sh --kver "$kver" --modroot "$modroot" \
	--ko "$MKVM_CACHE/matrix/$sel/src/module/minikvm.ko" --tests "$out/tests" \
	-o "$out/initrd.gz" >"$out/mkinitramfs.log" 2>&1 ||
	{ tail -n 20 "$out/mkinitramfs.log" >&2; die "demo: initramfs failed"; }
rc=0
scripts/vm-test.sh --machine qemu-svm --kernel "$vmlinuz" --initrd "$out/initrd.gz" \
	--out "$out/vm" >"$out/vm-test.log" 2>&1 || rc=$?

echo
# The demo's own words travel as KTAP diagnostics; print them plainly.
sed -n '/^# TAP version/,/^ok [0-9]* demo\|^not ok [0-9]* demo/p' "$out/vm/results.ktap" |
	grep -E '^# # ' | sed 's/^# # \{0,1\}//'
echo
if [ "$rc" = 0 ]; then
	echo "demo: minikvm loaded with modprobe, created VMs and shared the hardware with KVM."
else
	echo "demo: something failed; logs in $out/vm (console.log, results.ktap)" >&2
fi
[ "$rc" = 0 ] || exit "$rc"
[ "$with_mkvm" = 1 ] || exit 0

echo
scripts/kernels.sh ensure 6.12 >&2
read -r kver2 _ _ _ < <(scripts/kernels.sh show 6.12)
log "part 2: mkvm boots $kver2 as a guest on /dev/minikvm and runs a command in it (about a minute)"
scripts/matrix.sh 6.12 >"$out/build-6.12.log" 2>&1 ||
	{ tail -n 20 "$out/build-6.12.log" >&2; die "demo: the module did not build for $kver2"; }
mrc=0
# mkvm_hold_minikvm first, as in the mkvm suite: one idle VM held, so the demo's VM is not
# the first or last one and its create/destroy never live-patches the L1 kernel's static
# keys, which QEMU's multi-threaded TCG can get wrong (selftests/mkvm/vmhold.c). The L1
# died at the demo VM's creation without it once (2026-12-03).
MKVM_TCG=multi selftests/mkvm/run-vm-tests.sh --kver "$kver2" \
	--filter mkvm_hold_minikvm,mkvm_demo_minikvm \
	--ko "$MKVM_CACHE/matrix/6.12/src/module/minikvm.ko" \
	--out "$out/mkvm" >"$out/mkvm.log" 2>&1 || mrc=$?
echo
# What selftests/mkvm/demo.sh printed: mkvm's status, then the guest's output.
sed -n '/^# mkvm exited/,/^# \(PASS\|FAIL\)/s/^# \{0,1\}//p' "$out/mkvm/results.ktap" 2>/dev/null || true
echo
if [ "$mrc" = 0 ]; then
	echo "demo: mkvm booted Debian's kernel as a guest on /dev/minikvm and returned the command's exit status."
else
	echo "demo: the mkvm part failed; logs in $out/mkvm" >&2
fi
exit "$mrc"
