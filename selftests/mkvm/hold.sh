#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usage: hold.sh DEV - stop the previous vmhold (vmhold.c: why) and hold one idle VM on DEV
# for the rest of the boot. vmhold runs in its own session, so the runner's per-test
# process-group kill leaves it alone.
cd "$(dirname "$0")" || exit 1
dev=$1
[ -e "$dev" ] || { echo "SKIP: $dev absent"; exit 4; }
if [ -f /tmp/vmhold.pid ]; then
	old=$(cat /tmp/vmhold.pid)
	kill "$old" 2>/dev/null
	# Wait until it is gone: its VM closes with it. An orphan stays a zombie until
	# PID 1 reaps it, so "gone" is "no process, or a zombie".
	i=0
	while [ -e "/proc/$old" ] && ! grep -q '^State:.*Z' "/proc/$old/status" 2>/dev/null &&
		[ $i -lt 10 ]; do
		sleep 1
		i=$((i + 1))
	done
	rm -f /tmp/vmhold.pid
fi
# The shell truncates the log in the child, after the fork: an old "holding" line
# left here could satisfy the wait below before the new vmhold even started.
rm -f /tmp/vmhold.out
setsid ./vmhold "$dev" > /tmp/vmhold.out 2>&1 < /dev/null &
echo $! > /tmp/vmhold.pid
i=0
while [ $i -lt 30 ]; do
	grep -q "holding\|vmhold: /" /tmp/vmhold.out 2>/dev/null && break
	sleep 1
	i=$((i + 1))
done
cat /tmp/vmhold.out
grep -q "^vmhold: holding 1 VMs$" /tmp/vmhold.out || { echo "FAIL: no VM held on $dev"; exit 1; }
echo "PASS: one idle VM held on $dev"
