#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Demo: boot the stock kernel with mkvm and run a command in it; show the output.
. "$(dirname "$0")/lib.sh"
need_dev
guest_smp --cpus 2 -- /bin/sh -c 'echo "guest: $(uname -sr), $(nproc) CPUs"; cat /proc/cmdline;
	cs=/sys/devices/system/clocksource/clocksource0;
	echo "clocksource: $(cat $cs/current_clocksource) (available: $(cat $cs/available_clocksource))";
	ls /sys/bus/virtio/devices; exit 3'
tr -d '\r' < "$LOG" | sed 's/^/    /'
[ "$RC" -eq 3 ] || fail "exit status $RC, expected 3"
tr -d '\r' < "$LOG" | grep -q '^guest: .*, 2 CPUs$' || fail "the guest does not report 2 CPUs"
# kvmclock registered (the guest may still prefer an invariant TSC over it).
tr -d '\r' < "$LOG" | grep -q '^clocksource: .*(available: .*kvm-clock' ||
	fail "the guest has no kvm-clock clocksource"
echo "PASS: demo ran, mkvm exited with the command's status 3"
