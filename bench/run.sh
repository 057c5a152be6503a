#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh - `make bench`: minikvm against the stock KVM, in one emulated boot.
#
# usage: bench/run.sh [--kernel 6.1|6.12] [--rounds N] [--out DIR]
#
# Builds minikvm.ko for the kernel, the benchmarks (bench/Makefile) and an initramfs whose
# run-list holds only them, boots it in QEMU-SVM (scripts/vm-test.sh) and prints the table
# of medians and minikvm/KVM ratios (lower is better; the exit targets are <= 0.8). The
# numbers are only comparable within one boot: QEMU's TCG is not a real CPU, so read the
# ratios, not the nanoseconds. Documentation/performance.md explains each metric.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$MKVM_TOP"

sel=6.1 rounds=7 out=$MKVM_TOP/out/bench
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) [ $# -ge 2 ] || die "bench: --kernel needs 6.1 or 6.12"; sel=$2; shift 2 ;;
	--rounds) [ $# -ge 2 ] || die "bench: --rounds needs a number"; rounds=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || die "bench: --out needs a directory"; out=$2; shift 2 ;;
	-h|--help) sed -n '4,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) die "bench: unknown argument '$1' (see --help)" ;;
	esac
done
case "$sel" in 6.1|6.12) ;; *) die "bench: --kernel must be 6.1 or 6.12" ;; esac
out=$(realpath -m "$out")	# make -C bench runs elsewhere
[[ $rounds =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] && [ "$rounds" -le 64 ] ||
	die "bench: --rounds must be 1 to 64"

need_pkgs build-essential bc bison flex libelf-dev kmod cpio busybox-static xz-utils
scripts/kernels.sh ensure "$sel" >&2
read -r kver vmlinuz modroot kdir < <(scripts/kernels.sh show "$sel")

mkdir -p "$out"
log "bench: building minikvm.ko for $kver and the benchmarks"
make -C "$kdir" M="$MKVM_TOP/module" >"$out/build.log" 2>&1 ||
	{ tail -n 20 "$out/build.log" >&2; die "bench: module build failed"; }
make -C bench OUT="$out/tests" >>"$out/build.log" 2>&1 ||
	{ tail -n 20 "$out/build.log" >&2; die "bench: benchmark build failed"; }
sed -i -E "s#bench/(exit|irq)_bench [0-9]*\$#bench/\1_bench $rounds#" "$out/tests/run-list"
scripts/mkinitramfs.sh --kver "$kver" --modroot "$modroot" --ko module/minikvm.ko \
	--tests "$out/tests" -o "$out/initrd.gz" >"$out/mkinitramfs.log" 2>&1 ||
	{ tail -n 20 "$out/mkinitramfs.log" >&2; die "bench: initramfs failed"; }
log "bench: booting $kver in QEMU-SVM ($rounds rounds per metric and device)"
scripts/vm-test.sh --machine qemu-svm --kernel "$vmlinuz" --initrd "$out/initrd.gz" \
	--out "$out/vm" >"$out/vm-test.log" 2>&1 || true

lines=$(grep -o 'BENCH .*' "$out/vm/results.ktap" 2>/dev/null || true)
[ -n "$lines" ] || { tail -n 20 "$out/vm-test.log" >&2; die "bench: no results (see $out/vm/)"; }
echo
echo "minikvm vs stock KVM ($kver, QEMU-SVM, median of $rounds; ns, lower is better)"
printf '%-14s %12s %12s %8s\n' metric kvm minikvm ratio
while read -r _ name k m r; do
	printf '%-14s %12s %12s %8s\n' "$name" "$k" "$m" "$r"
done <<<"$lines"
echo "(targets: exit ratios <= 0.8; see Documentation/performance.md)"
