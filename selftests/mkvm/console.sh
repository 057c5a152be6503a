#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-console: what the guest writes to /dev/hvc0 reaches mkvm's stdout.
. "$(dirname "$0")/lib.sh"
need_dev
guest -- /bin/sh -c 'echo written-to-hvc0 > /dev/hvc0 && echo hvc0-done'
[ "$RC" -eq 0 ] || fail "mkvm exited $RC"
grep -q written-to-hvc0 "$LOG" || fail "hvc0 output missing"
echo "PASS: /dev/hvc0 output reached the host console"
