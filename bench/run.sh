#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh - `make bench`: minikvm against the stock KVM, in one emulated boot.
#
# usage: bench/run.sh [--kernel 6.1|6.12] [--rounds N] [--boot-rounds N] [--no-boot] [--out DIR]
#
# Builds minikvm.ko for the kernel, the benchmarks (bench/Makefile) and an initramfs whose
# run-list holds only them, boots it in QEMU-SVM (scripts/vm-test.sh) and prints the table
# of medians and minikvm/KVM ratios (lower is better; the exit targets are <= 0.8). The
# numbers are only comparable within one boot: QEMU's TCG is not a real CPU, so read the
# ratios, not the nanoseconds. Documentation/performance.md explains each metric.
# A second boot (Debian's 6.12 as L1 and L2, multi-threaded TCG as the mkvm suite needs)
# times mkvm booting that kernel on each device (bench/boot_bench.sh): boot-to-init,
# the guest kernel's own part of it, and mkvm's memory beyond guest RAM; --no-boot skips it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$MKVM_TOP"

sel=6.1 rounds=7 boot_rounds=3 with_boot=1 out=$MKVM_TOP/out/bench
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) [ $# -ge 2 ] || die "bench: --kernel needs 6.1 or 6.12"; sel=$2; shift 2 ;;
	--rounds) [ $# -ge 2 ] || die "bench: --rounds needs a number"; rounds=$2; shift 2 ;;
	--boot-rounds) [ $# -ge 2 ] || die "bench: --boot-rounds needs a number"; boot_rounds=$2; shift 2 ;;
	--no-boot) with_boot=0; shift ;;
	--out) [ $# -ge 2 ] || die "bench: --out needs a directory"; out=$2; shift 2 ;;
	-h|--help) sed -n '4,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
	*) die "bench: unknown argument '$1' (see --help)" ;;
	esac
done
case "$sel" in 6.1|6.12) ;; *) die "bench: --kernel must be 6.1 or 6.12" ;; esac
out=$(realpath -m "$out")	# make -C bench runs elsewhere
[[ $rounds =~ ^[0-9]+$ ]] && [ "$rounds" -ge 1 ] && [ "$rounds" -le 64 ] ||
	die "bench: --rounds must be 1 to 64"
[[ $boot_rounds =~ ^[0-9]+$ ]] && [ "$boot_rounds" -ge 1 ] && [ "$boot_rounds" -le 20 ] ||
	die "bench: --boot-rounds must be 1 to 20"

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

boot_lines=
if [ "$with_boot" = 1 ]; then
	scripts/kernels.sh ensure 6.12 >&2
	read -r kver2 vmlinuz2 modroot2 _ < <(scripts/kernels.sh show 6.12)
	log "bench: mkvm boots of $kver2 on each device ($boot_rounds rounds; a few minutes)"
	scripts/matrix.sh 6.12 >"$out/build-6.12.log" 2>&1 ||
		{ tail -n 20 "$out/build-6.12.log" >&2; die "bench: module build for $kver2 failed"; }
	boot=$out/boot
	rm -rf "$boot"
	mkdir -p "$boot"
	selftests/mkvm/run-vm-tests.sh --kver "$kver2" --stage "$boot" >"$out/boot-stage.log" 2>&1 ||
		{ tail -n 20 "$out/boot-stage.log" >&2; die "bench: staging mkvm failed"; }
	install -m 0755 bench/boot_bench.sh "$boot/mkvm/"
	echo "boot_bench timeout=1800 mkvm/boot_bench.sh $boot_rounds" >"$boot/run-list"
	scripts/mkinitramfs.sh --kver "$kver2" --modroot "$modroot2" \
		--ko "$MKVM_CACHE/matrix/6.12/src/module/minikvm.ko" --tests "$boot" \
		-o "$out/initrd-boot.gz" >>"$out/mkinitramfs.log" 2>&1 ||
		{ tail -n 20 "$out/mkinitramfs.log" >&2; die "bench: initramfs (boot) failed"; }
	MKVM_TCG=multi scripts/vm-test.sh --machine qemu-svm --kernel "$vmlinuz2" \
		--initrd "$out/initrd-boot.gz" --out "$out/vm-boot" >"$out/vm-boot.log" 2>&1 || true
	boot_lines=$(grep -o 'BENCH .*' "$out/vm-boot/results.ktap" 2>/dev/null || true)
	[ -n "$boot_lines" ] || echo "bench: no boot results (see $out/vm-boot/)" >&2
fi

echo
echo "minikvm vs stock KVM (QEMU-SVM, medians; ns unless the name says otherwise; lower is better)"
printf '%-16s %12s %12s %8s\n' metric kvm minikvm ratio
while read -r _ name k m r; do
	[ -n "$name" ] || continue
	printf '%-16s %12s %12s %8s\n' "$name" "$k" "$m" "$r"
done <<<"$lines"$'\n'"$boot_lines"
echo "(exits: $kver, $rounds rounds; boots: ${kver2:-not run}, $boot_rounds rounds)"
echo "(targets: exit ratios <= 0.8, boot ratio <= 1, mkvm overhead <= 2048 KiB; Documentation/performance.md)"
