# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
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

# mkvm.trace on the L1 kernel command line: every boot on /dev/minikvm records
# minikvm's entry/exit tracepoints (module/mkvm_trace.h) in a small ring, and a boot
# that fails prints its last TRACE_LINES events: which event each entry injected, with
# which RFLAGS, and what each exit interrupted (to read a guest's double/triple fault).
TRACE=
TRACE_LINES=160
TRACEFS=/sys/kernel/tracing
if grep -qw mkvm.trace /proc/cmdline 2>/dev/null && [ "$DEV" = /dev/minikvm ]; then
	[ -d "$TRACEFS/events" ] || mount -t tracefs tracefs "$TRACEFS" 2>/dev/null
	[ -d "$TRACEFS/events/minikvm" ] && TRACE=1
fi

trace_start() {
	[ -n "$TRACE" ] || return 0
	echo 0 > "$TRACEFS/tracing_on"
	echo 256 > "$TRACEFS/buffer_size_kb"	# per CPU; the ring overwrites
	echo > "$TRACEFS/trace"
	echo 1 > "$TRACEFS/events/minikvm/enable"
	echo 1 > "$TRACEFS/tracing_on"
}

trace_stop() {
	[ -n "$TRACE" ] || return 0
	echo 0 > "$TRACEFS/tracing_on"
	echo 0 > "$TRACEFS/events/minikvm/enable"
	[ "$RC" -eq 0 ] && return 0
	echo "---- minikvm trace, last $TRACE_LINES events ----"
	grep -v '^#' "$TRACEFS/trace" | tail -n "$TRACE_LINES"
	echo "----"
}

# guest ARGS...: boot the L2 guest with the standard options plus ARGS (mkvm run
# options, then `-- CMD...`). Console output goes to $LOG; sets RC to mkvm's status.
guest() {
	local t0=$(date +%s) app=
	case "$QUIET" in --append*) app=nokaslr ;; esac
	trace_start
	"$MKVM" run --dev "$DEV" --kernel "$GUEST_KERNEL" --initrd "$GUEST_ROOT" \
		--modules "$GUEST_MODULES" --mem 256M \
		$([ "$QUIET" = --quiet ] && echo --quiet) ${app:+--append "$app"} \
		--timeout 240 "$@" \
		< /dev/null > "$LOG" 2>&1
	RC=$?
	echo "mkvm exited $RC after $(( $(date +%s) - t0 )) s"
	trace_stop
}

# guest_smp ARGS...: guest() for the 2-vCPU boots, which boot again once when the first
# boot died of a guest crash (panic, oops, a reset or a KVM internal error) before the
# command could report. Under QEMU's TCG, nested 2-vCPU Linux boots crash now and then on
# BOTH devices (2026-12-03, 25 boots each: stock KVM one "Oops: int3" from the guest's own
# code patching, minikvm two crashes; single-threaded TCG hangs stock KVM's first boot):
# Documentation/testing.md. The retry is printed, and a second crash fails the test.
guest_smp() {
	guest "$@"
	if [ "$RC" -ne 0 ] && tr -d '\r' < "$LOG" |
		grep -qE 'Kernel panic|Oops|guest ended without reporting|KVM internal error'; then
		echo "RETRY: the first boot crashed (exit $RC); its last lines:"
		tr -d '\r' < "$LOG" | grep -vE '^\[ *[0-9.]+\] +(R[0-9A-Z]+|Code):' | tail -n 15 |
			sed 's/^/    /'
		guest "$@"
	fi
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
