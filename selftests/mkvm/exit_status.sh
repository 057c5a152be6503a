#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The stock kernel boots to mkvm's init, which runs the command; mkvm exits with
# the command's status (7), after the console has sent all of the command's output
# (the last of 2000 lines printed right before the exit).
. "$(dirname "$0")/lib.sh"
need_dev
guest -- /bin/sh -c 'echo mkvm-hello-from-guest; seq 1 2000; echo mkvm-last-line; exit 7'
grep -q mkvm-hello-from-guest "$LOG" || fail "command output not on the console"
grep -q mkvm-last-line "$LOG" || fail "the end of the command's output was lost"
[ "$RC" -eq 7 ] || fail "exit status $RC, expected 7"
echo "PASS: guest command exited 7"
