#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kselftests in one line: a real kselftest target from Debian's linux-source-6.1
# ("size", built on the host before the boot and installed under kselftest/) runs in
# the L2 through `mkvm run --root / --rw DIR`: its TAP output comes back on mkvm's
# stdout and in a file in the --rw directory, its exit status as mkvm's.
. "$(dirname "$0")/lib.sh"
need_dev
[ -x "$HERE/kselftest/run_kselftest.sh" ] || { echo "SKIP: no kselftest/ staged"; exit 4; }
mkdir -p "$WORK/out"
cd "$WORK/out" || fail "cd"
# The L1 is busybox, whose timeout(1) has no --foreground, which 6.1's runner passes
# to /usr/bin/timeout when that exists: the guest removes it from its own overlay (the
# L1 keeps it), and the runner then calls the test directly.
had_timeout=$([ -e /usr/bin/timeout ] && echo yes)
guest --root / --rw "$WORK/out" -- /bin/sh -c "rm -f /usr/bin/timeout;
	$HERE/kselftest/run_kselftest.sh > tap.txt 2>&1; rc=\$?; cat tap.txt; exit \$rc"
[ -z "$had_timeout" ] || [ -e /usr/bin/timeout ] || fail "the guest's rm reached the L1's root"
[ "$RC" -eq 0 ] || fail "mkvm exited $RC (run_kselftest.sh's status)"
L=$(tr -d '\r' < "$LOG")
grep -q '^ok 1 selftests: size: get_size' <<< "$L" || fail "no TAP result on the console"
grep -q '^ok 1 selftests: size: get_size' "$WORK/out/tap.txt" 2>/dev/null ||
	fail "no TAP result in the --rw directory"
echo "PASS: kselftest 'size' ran under --root /, TAP and status came back"
