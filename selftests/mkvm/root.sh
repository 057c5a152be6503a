#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --root / --rw DIR: the host's (this L1's) root is the guest's, read-only under a
# tmpfs overlay; the guest runs a host binary found through the caller's PATH, in the
# caller's cwd, with --env, and writes its results into the --rw directory, which
# is where they land on the host; /proc is the guest's own.
. "$(dirname "$0")/lib.sh"
need_dev
mkdir -p "$WORK/out"
cd "$WORK/out" || fail "cd"
PATH=$HERE:$PATH guest --root / --rw "$WORK/out" --env MKVM_TEST=hello -- /bin/sh -c '
	echo "pwd=$(pwd)"
	echo "env=$MKVM_TEST"
	mkvm --version > version.txt
	grep -o "rdinit=[^ ]*" /proc/cmdline > cmdline.txt
	if echo x > /etc/mkvm-overlay-test; then echo overlay=writable; fi
	grep -E " / | /tmp | /proc " /proc/mounts | sed "s/^/mount: /"
	echo done > result.txt'
[ "$RC" -eq 0 ] || fail "mkvm exited $RC"
L=$(tr -d '\r' < "$LOG")
grep -q "^pwd=$WORK/out\$" <<< "$L" || fail "CMD did not start in the caller's cwd"
grep -q '^env=hello$' <<< "$L" || fail "--env did not reach CMD"
grep -q '^overlay=writable$' <<< "$L" || fail "the root is not writable (overlay)"
[ ! -e /etc/mkvm-overlay-test ] || fail "a write to the guest's / reached the host"
[ "$(cat "$WORK/out/result.txt" 2>/dev/null)" = done ] || fail "no result in the --rw dir"
grep -q '^mkvm ' "$WORK/out/version.txt" 2>/dev/null || fail "host binary not run from PATH"
[ "$(cat "$WORK/out/cmdline.txt" 2>/dev/null)" = rdinit=/mkvm-init ] ||
	fail "/proc is not the guest's"
echo "PASS: --root / runs host binaries, results land in the --rw dir"
