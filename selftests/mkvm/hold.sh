#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Start vmhold (vmhold.c: why) in its own session, so the runner's per-test process-group
# kill leaves it alone, and check that it holds a VM on every device that exists.
cd "$(dirname "$0")" || exit 1
want=0
for d in /dev/kvm /dev/minikvm; do
	[ -e "$d" ] && want=$((want + 1))
done
setsid ./vmhold /dev/kvm /dev/minikvm > /tmp/vmhold.out 2>&1 < /dev/null &
i=0
while [ $i -lt 30 ]; do
	grep -q "holding" /tmp/vmhold.out 2>/dev/null && break
	sleep 1
	i=$((i + 1))
done
cat /tmp/vmhold.out
grep -q "^vmhold: holding $want VMs$" /tmp/vmhold.out || { echo "FAIL: expected $want held VMs"; exit 1; }
echo "PASS: one idle VM held on each of $want devices"
