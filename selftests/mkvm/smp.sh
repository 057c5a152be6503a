#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two vCPUs come up (MADT + in-kernel LAPIC/IOAPIC, APs started by the guest).
. "$(dirname "$0")/lib.sh"
need_dev
guest_smp --cpus 2 -- /bin/sh -c 'echo "online=$(cat /sys/devices/system/cpu/online)"'
[ "$RC" -eq 0 ] || fail "mkvm exited $RC"
online=$(tr -d '\r' < "$LOG" | sed -n 's/^online=//p')
[ -n "$online" ] || fail "the command's output (online=...) never reached the console"
[ "$online" = 0-1 ] || fail "guest sees CPUs $online online, expected 0-1"
echo "PASS: guest has CPUs 0-1 online"
