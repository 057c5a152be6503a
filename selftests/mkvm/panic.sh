#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A guest kernel panic makes mkvm exit 255.
. "$(dirname "$0")/lib.sh"
need_dev
guest -- /bin/sh -c 'echo c > /proc/sysrq-trigger; sleep 100'
# The panic text stays in $LOG: the harness must not mistake it for an L1 panic.
[ "$RC" -eq 255 ] || fail "exit status $RC, expected 255"
echo "PASS: guest panic -> exit 255"
