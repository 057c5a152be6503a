#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-rng: the guest's hw_random device is virtio_rng and yields bytes.
. "$(dirname "$0")/lib.sh"
need_dev
guest -- /bin/sh -c '
	echo "rng=$(cat /sys/class/misc/hw_random/rng_current)"
	echo "bytes=$(head -c 64 /dev/hwrng | od -An -tx1 | tr -d " \n")"'
[ "$RC" -eq 0 ] || fail "mkvm exited $RC"
tr -d '\r' < "$LOG" | grep -q '^rng=virtio_rng' || fail "hw_random is not virtio_rng"
bytes=$(tr -d '\r' < "$LOG" | sed -n 's/^bytes=//p')
[ ${#bytes} -eq 128 ] || fail "read ${#bytes} hex digits from /dev/hwrng, expected 128"
[ "$bytes" != "$(printf '0%.0s' $(seq 128))" ] || fail "all zeroes from /dev/hwrng"
echo "PASS: 64 random bytes from virtio-rng: ${bytes:0:32}..."
