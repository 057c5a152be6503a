# SPDX-License-Identifier: GPL-2.0
# selftests/mkvm/lib.sh - helpers for the in-VM tests of mkvm. Sourced by each test.
#
# These tests run inside the emulated machine (scripts/vm-test.sh), as root, from
# /selftests/mkvm. Each takes the KVM device as its first argument (/dev/kvm or
# /dev/minikvm) and exits 0 (pass), 1 (fail) or 4 (skip, reason on stdout), as
# Documentation/testing.md asks.
#
# Layout (staged by run-vm-tests.sh):
#   mkvm                 the static mkvm binary
#   guest/vmlinuz        the L2 guest kernel (the stock Debian kernel)
#   guest/root.cpio      busybox-static root for the L2 guest
#   guest/modules/       modules.dep + the virtio modules of that kernel

HERE=$(cd "$(dirname "$0")" && pwd)
MKVM=$HERE/mkvm
GUEST_KERNEL=$HERE/guest/vmlinuz
GUEST_ROOT=$HERE/guest/root.cpio
GUEST_MODULES=$HERE/guest/modules
DEV=${1:-/dev/kvm}
WORK=$(mktemp -d /tmp/mkvm-test.XXXXXX)
LOG=$WORK/guest.log
trap 'rm -rf "$WORK"' EXIT
# mkvm.verbose on the L1 kernel command line (run-vm-tests.sh --append): full guest
# kernel logs in the diagnostics instead of --quiet.
QUIET=--quiet
grep -qw mkvm.verbose /proc/cmdline 2>/dev/null && QUIET="--append nokaslr"

# need_dev: skip (exit 4) unless $DEV can run guests.
need_dev() {
	local why
	if ! why=$("$MKVM" check --dev "$DEV" 2>&1); then
		echo "SKIP: $why"
		exit 4
	fi
}

# guest ARGS...: boot the L2 guest with the standard options plus ARGS (mkvm run
# options, then `-- CMD...`). Console output goes to $LOG; sets RC to mkvm's status.
# minikvm has no kvmclock yet, so a guest on it cannot learn the TSC frequency
# and, with no PIT either, has no clock to calibrate against (it hangs after
# "tsc: Marking TSC unstable"): hand it the L1 kernel's own calibration, as
# Documentation/mkvm.md suggests. The guest's TSC is the host's.
L2_TSC=
case "$DEV" in
*minikvm*)
	khz=$(dmesg 2>/dev/null | sed -n -E \
		's/.*tsc: (Detected|Refined TSC clocksource calibration:) ([0-9]+)\.([0-9]{3}) MHz.*/\2\3/p' |
		tail -n 1)
	# The test init may have cleared the log: cpu MHz is cpu_khz (= tsc_khz).
	[ -n "$khz" ] || khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' \
		/proc/cpuinfo 2>/dev/null)
	[ -n "$khz" ] && [ "$khz" != 0 ] && L2_TSC="tsc_early_khz=$khz" ;;
esac
guest() {
	local t0=$(date +%s) app=
	case "$QUIET" in --append*) app=nokaslr ;; esac
	[ -n "$L2_TSC" ] && app="${app:+$app }$L2_TSC"
	"$MKVM" run --dev "$DEV" --kernel "$GUEST_KERNEL" --initrd "$GUEST_ROOT" \
		--modules "$GUEST_MODULES" --mem 256M \
		$([ "$QUIET" = --quiet ] && echo --quiet) ${app:+--append "$app"} \
		--timeout 240 "$@" \
		< /dev/null > "$LOG" 2>&1
	RC=$?
	echo "mkvm exited $RC after $(( $(date +%s) - t0 )) s"
}

# show_log: the guest's console, for the diagnostics of a failure.
show_log() {
	echo "---- guest console (last 80 lines) ----"
	tail -n 80 "$LOG" | tr -d '\r'
	echo "----"
}

# symbolize: name the guest RIPs mkvm printed on a timeout, using this (L1) kernel's
# /proc/kallsyms. Valid when the L2 kernel is the L1 kernel booted with nokaslr,
# which is what mkvm.verbose does.
symbolize() {
	local text rip addr
	[ -z "$QUIET" ] || [ "$QUIET" = --quiet ] && return 0
	text=$(awk '$3 == "_text" { print $1; exit }' /proc/kallsyms)
	[ -n "$text" ] || return 0
	for rip in $(grep -o 'rip [0-9a-f]*' "$LOG" | awk '{ print $2 }' | sort -u); do
		addr=$(printf '%016x' $(( 0x$rip - 0xffffffff81000000 + 0x$text )))
		awk -v A="$addr" -v R="$rip" '
			function h(s,  i, n) { n = 0; for (i = 1; i <= length(s); i++)
				n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
			BEGIN { a = h(substr(A, 9)); bv = -1 }
			($2 == "t" || $2 == "T") { v = h(substr($1, 9)); if (v <= a && v > bv) { bv = v; best = $3 } }
			END { printf "guest rip %s = %s+0x%x\n", R, best, a - bv }' /proc/kallsyms
	done
}

fail() {
	echo "FAIL: $*"
	show_log
	symbolize
	exit 1
}
