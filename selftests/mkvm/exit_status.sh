#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The stock kernel boots to mkvm's init, which runs the command; mkvm exits with
# the command's status (7).
. "$(dirname "$0")/lib.sh"
need_dev
guest -- /bin/sh -c 'echo mkvm-hello-from-guest; exit 7'
grep -q mkvm-hello-from-guest "$LOG" || fail "command output not on the console"
[ "$RC" -eq 7 ] || fail "exit status $RC, expected 7"
echo "PASS: guest command exited 7"
