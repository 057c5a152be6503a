#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usage: hold.sh DEV - stop the previous vmhold (vmhold.c: why) and hold one idle VM on DEV
# for the rest of the boot. vmhold runs in its own session, so the runner's per-test
# process-group kill leaves it alone.
cd "$(dirname "$0")" || exit 1
dev=$1
[ -e "$dev" ] || { echo "SKIP: $dev absent"; exit 4; }
if [ -f /tmp/vmhold.pid ]; then
	kill "$(cat /tmp/vmhold.pid)" 2>/dev/null
	rm -f /tmp/vmhold.pid
fi
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
