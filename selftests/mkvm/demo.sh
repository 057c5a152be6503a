#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Demo: boot the stock kernel with mkvm and run a command in it; show the output.
. "$(dirname "$0")/lib.sh"
need_dev
guest --cpus 2 -- /bin/sh -c 'echo "guest: $(uname -sr), $(nproc) CPUs"; cat /proc/cmdline;
	ls /sys/bus/virtio/devices; exit 3'
tr -d '\r' < "$LOG" | sed 's/^/    /'
[ "$RC" -eq 3 ] || fail "exit status $RC, expected 3"
echo "PASS: demo ran, mkvm exited with the command's status 3"
