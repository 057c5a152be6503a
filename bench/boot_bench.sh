#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench/boot_bench.sh - mkvm booting a stock Linux guest on /dev/kvm and /dev/minikvm,
# interleaved in one emulated boot (bench/run.sh stages it next to selftests/mkvm/lib.sh).
#
# usage: boot_bench.sh [ROUNDS]
#
# Metrics, each the median of ROUNDS boots per device, devices alternating boot by boot:
#   boot_to_init_ms     wall time from starting mkvm until the guest's init prints a marker
#                       (the launcher + the guest kernel's boot + init's module loading)
#   guest_kernel_ms     the guest kernel's own time to init: the dmesg timestamp of
#                       "Run ... as init process", so the launcher's part is the difference
#   mkvm_rss_kib        mkvm's resident memory beyond guest RAM while the guest runs: Rss of
#                       every mapping of /proc/PID/smaps except the guest-RAM mapping
#                       (the one whose size is --mem); it includes mkvm's static text as
#                       far as it is mapped in (page cache, shared with other mkvm runs)
#   mkvm_anon_kib       the private part of that: Anonymous of the same mappings (heap,
#                       stacks, data), what each further VM really costs
# Output: "BENCH <metric> <kvm> <minikvm> <minikvm/kvm>", "-" where a device cannot run.
. "$(dirname "$0")/lib.sh"

ROUNDS=${1:-3}
MEM_MIB=256
MARK=MKVM-BENCH-INIT

# Milliseconds from bash itself: the guest's busybox date has no %N.
now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#$t / 1000)); }

# rss_beyond_ram PID: "RSS ANON" KiB outside the guest-RAM mapping.
rss_beyond_ram() {
	awk -v ram=$((MEM_MIB * 1024)) '
		/^[0-9a-f]+-[0-9a-f]+ / { skip = 0 }
		/^Size:/ { skip = ($2 == ram) }
		/^Rss:/ && !skip { rss += $2 }
		/^Anonymous:/ && !skip { anon += $2 }
		END { print rss + 0, anon + 0 }' "/proc/$1/smaps" 2>/dev/null
}

# one_boot DEV: prints "boot_ms guest_ms rss_kib anon_kib" or nothing on failure.
one_boot() {
	local dev=$1 log=$WORK/boot.log t0 t1= pid rss="0 0" gms
	rm -f "$log"
	t0=$(now_ms)
	"$MKVM" run --dev "$dev" --kernel "$GUEST_KERNEL" --initrd "$GUEST_ROOT" \
		--modules "$GUEST_MODULES" --mem ${MEM_MIB}M --quiet --timeout 240 -- \
		/bin/sh -c "echo $MARK; dmesg | grep -m1 'as init process'; sleep 3" \
		< /dev/null > "$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$t1" ] && grep -q "$MARK" "$log" 2>/dev/null; then
			t1=$(now_ms)
			sleep 1
			rss=$(rss_beyond_ram "$pid")
		fi
		sleep 0.02
	done
	wait "$pid" || { echo "# $dev: mkvm failed" >&2; tail -n 20 "$log" >&2; return; }
	[ -n "$t1" ] || return
	# "[    1.234567] Run /mkvm-init as init process" -> 1234 ms
	gms=$(tr -d '\r' < "$log" | sed -n 's/^\[ *\([0-9]*\)\.\([0-9]\{3\}\).*as init process.*/\1\2/p' |
	      head -n 1 | sed 's/^0*//')
	echo "$((t1 - t0)) ${gms:-0} $rss"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }

declare -A res
devs=()
for d in /dev/kvm /dev/minikvm; do
	if "$MKVM" check --dev "$d" >/dev/null 2>&1; then
		devs+=("$d")
	else
		echo "# $d: cannot run guests"
	fi
done
for ((r = 0; r < ROUNDS; r++)); do
	for d in "${devs[@]}"; do
		out=$(one_boot "$d")
		[ -n "$out" ] || continue
		echo "# round $r $d: boot ${out%% *} ms, guest kernel/rss: ${out#* }"
		res[$d]+="$out"$'\n'
	done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.3f", b / a; else print "-" }'; }
col=1
for m in boot_to_init_ms guest_kernel_ms mkvm_rss_kib mkvm_anon_kib; do
	k=$(printf '%s' "${res[/dev/kvm]:-}" | awk -v c=$col 'NF { print $c }' | median)
	n=$(printf '%s' "${res[/dev/minikvm]:-}" | awk -v c=$col 'NF { print $c }' | median)
	echo "BENCH $m $k $n $(ratio "$k" "$n")"
	col=$((col + 1))
done
exit 0
