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
guest() {
	local t0=$(date +%s)
	"$MKVM" run --dev "$DEV" --kernel "$GUEST_KERNEL" --initrd "$GUEST_ROOT" \
		--modules "$GUEST_MODULES" --mem 256M --quiet --timeout 240 "$@" \
		< /dev/null > "$LOG" 2>&1
	RC=$?
	echo "mkvm exited $RC after $(( $(date +%s) - t0 )) s"
}

# show_log: the guest's console, for the diagnostics of a failure.
show_log() {
	echo "---- guest console (last 40 lines) ----"
	tail -n 40 "$LOG" | tr -d '\r'
	echo "----"
}

fail() {
	echo "FAIL: $*"
	show_log
	exit 1
}
