#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# More RAM than fits below the 3 GiB device hole: the rest is a second memslot at
# 4 GiB (e820 above 4 GiB) and the guest sees all of it. Guest memory is mapped
# with MAP_NORESERVE, so this works in a 2 GiB emulated machine.
. "$(dirname "$0")/lib.sh"
need_dev
guest --mem 3584M -- /bin/sh -c 'echo "memtotal=$(sed -n "s/MemTotal: *\([0-9]*\) kB/\1/p" /proc/meminfo)"'
[ "$RC" -eq 0 ] || fail "mkvm exited $RC"
kb=$(tr -d '\r' < "$LOG" | sed -n 's/^memtotal=//p')
[ -n "$kb" ] && [ "$kb" -gt $((3200 * 1024)) ] || fail "guest MemTotal '$kb' kB, expected > 3200 MiB"
echo "PASS: --mem 3584M: guest MemTotal $kb kB (RAM above 4 GiB in use)"
