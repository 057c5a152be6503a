#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/fuzz.sh - run the KVM ioctl fuzzer (selftests/fuzz/kvm_fuzz) alone in QEMU-SVM,
# by default on the KASAN/UBSAN/lockdep/kmemleak kernel, for as long as asked (`make fuzz`).
#
# usage: scripts/fuzz.sh [--duration SECONDS] [--seed SEED] [--kernel debug|6.1|6.12]
#                        [--dev minikvm|kvm|both] [--args "FUZZER ARGS"] [--stall SECONDS]
#                        [--qemu debian|patched] [--out DIR]
#
#   --duration  the fuzzer's -d (default 600)
#   --seed      the fuzzer's -s (default: a new one, printed first in the log)
#   --kernel    the L1 kernel (default debug: any KASAN, lockdep, kmemleak, WARN, hung-task
#               or RCU-stall report fails the run)
#   --dev       minikvm (default), kvm (stock kvm_amd, for comparison), or both one after
#               the other with the same seed
#   --args      more fuzzer options, e.g. "--no-avoid -j 1 -v" (kvm_fuzz --help)
#   --qemu      patched (default when scripts/qemu.sh builds) or Debian's QEMU
#   --out       logs (default out/fuzz): console.log, results.ktap, summary
#
# The image holds only the fuzzer: a minimal tests directory with a one-line run-list per
# device; the module is built for the kernel from this tree (a private copy in
# out/fuzz-module/KERNEL, never the shared matrix cache). Exit 0 only when the boot and the
# fuzzer passed. Documentation/testing.md, "The fuzzer".
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MKVM_TOP"

duration=600 seed='' sel=debug devs=minikvm args='' stall=180 qemu=auto out=out/fuzz
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--kernel) sel=$2; shift 2 ;;
	--dev) devs=$2; shift 2 ;;
	--args) args=$2; shift 2 ;;
	--stall) stall=$2; shift 2 ;;
	--qemu) qemu=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) sed -n '5,26s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) die "fuzz: unknown argument '$1' (see --help)" ;;
	esac
done
if ! [[ $duration =~ ^[0-9]+$ ]] || [ "$duration" -eq 0 ]; then die "fuzz: --duration wants seconds"; fi
case $devs in minikvm | kvm) ;; both) devs="kvm minikvm" ;; *) die "fuzz: --dev minikvm|kvm|both" ;; esac

need_pkgs build-essential bc bison flex libelf-dev kmod cpio busybox-static xz-utils
scripts/kernels.sh ensure "$sel" >&2 || die "fuzz: could not provide kernel $sel"
read -r kver vmlinuz modroot _ < <(scripts/kernels.sh show "$sel")

log "fuzz: building the selftests"
make -C selftests >/dev/null || die "fuzz: selftests do not build"

# The module for the kernel, from this tree, in a scratch copy (as matrix.sh does).
mod=$MKVM_TOP/out/fuzz-module/$sel
ko=$mod/module/minikvm.ko
if [ ! -f "$ko" ] || [ -n "$(find module Kbuild -newer "$ko" -print -quit)" ]; then
	log "fuzz: building minikvm.ko for $kver"
	rm -rf "$mod"
	mkdir -p "$mod"
	git ls-files -z -co --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null |
		tar -xf - -C "$mod"
	scripts/kernels.sh kmake "$sel" M="$mod" -j2 modules >"$mod.log" 2>&1 ||
		{ tail -n 20 "$mod.log" >&2; die "fuzz: module build failed ($mod.log)"; }
	ko=$(find "$mod" -name minikvm.ko -print -quit)
fi

rm -rf "$out"
mkdir -p "$out/tests/fuzz"
cp selftests/build/fuzz/kvm_fuzz "$out/tests/fuzz/"
# The fuzzer bounds itself to -d + 75 s; init's limit is the backstop.
for d in $devs; do
	name=fuzz
	[ "$d" = minikvm ] || name=fuzz_$d
	echo "$name timeout=$((duration + 180)) fuzz/kvm_fuzz --dev /dev/$d -d $duration${seed:+ -s $seed}${args:+ $args}"
done >"$out/tests/run-list"
log "fuzz: run-list: $(tr '\n' ';' <"$out/tests/run-list")"
scripts/mkinitramfs.sh --kver "$kver" --modroot "$modroot" --ko "$ko" --tests "$out/tests" \
	-o "$out/initrd.gz" >"$out/mkinitramfs.log" 2>&1 ||
	{ tail -n 20 "$out/mkinitramfs.log" >&2; die "fuzz: initramfs failed"; }

case $qemu in
auto) if scripts/qemu.sh build >>"$out/qemu-build.log" 2>&1; then qemu=patched; else qemu=; fi ;;
patched) ;;
debian) qemu= ;;
*) die "fuzz: --qemu debian|patched" ;;
esac
ndev=$(wc -w <<<"$devs")
mem=2048
[ "$sel" != debug ] || mem=3072
# Wall-clock limit of the boot: the fuzzing, plus the boot and module loads, plus on the
# debug kernel its kmemleak scans of 3 GiB; all of it several times slower on a loaded
# machine (a debug boot took 11 minutes to its module loads at load average 10).
limit=$((ndev * (duration + 200) + 600))
[ "$sel" != debug ] || limit=$((ndev * (duration + 200) + 2400))
log "fuzz: booting $kver on qemu-svm${qemu:+ (QEMU: $qemu)}, $duration s per device"
rc=0
MKVM_QEMU=$qemu scripts/vm-test.sh --machine qemu-svm --kernel "$vmlinuz" --initrd "$out/initrd.gz" \
	--out "$out" --mem "$mem" --stall "$stall" --timeout "$limit" ||
	rc=$?
# The fuzzer's own summary, from the results port.
grep -E '^# # (kvm_fuzz|ioctls|KVM_RUN|  +exit|round|kernel|stack)' "$out/results.ktap" |
	sed 's/^# //' >&2 || true
exit "$rc"
