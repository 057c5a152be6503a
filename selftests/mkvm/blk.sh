#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-blk: a checksum of the disk read in the guest matches the host's, and a
# write from the guest lands in the image (after the guest's sync + mkvm exit).
# Also: a second disk attached read-only refuses writes.
. "$(dirname "$0")/lib.sh"
need_dev
img=$WORK/disk.img
ro=$WORK/ro.img
# 4 MiB of pseudo-random data; the last MiB is where the guest writes.
dd if=/dev/urandom of="$img" bs=1M count=4 2>/dev/null
dd if=/dev/urandom of="$ro" bs=1M count=1 2>/dev/null
want=$(head -c 3145728 "$img" | sha256sum | cut -d' ' -f1)
guest --disk "$img" --disk "$ro,ro" -- /bin/sh -c '
	echo "sum=$(head -c 3145728 /dev/vda | sha256sum | cut -d" " -f1)"
	printf "written-by-the-guest" | dd of=/dev/vda bs=512 seek=6144 conv=notrunc,fsync 2>/dev/null
	if printf x | dd of=/dev/vdb bs=512 conv=fsync 2>/dev/null; then echo ro=writable; else echo ro=refused; fi
	exit 0'
[ "$RC" -eq 0 ] || fail "mkvm exited $RC"
got=$(tr -d '\r' < "$LOG" | sed -n 's/^sum=//p')
[ "$got" = "$want" ] || fail "guest read checksum '$got', host has '$want'"
echo "PASS: checksum of 3 MiB read in the guest matches the host ($want)"
tail -c 1048576 "$img" | head -c 20 | grep -q written-by-the-guest ||
	fail "guest write did not land in the image"
echo "PASS: guest write landed at offset 3 MiB of the image"
tr -d '\r' < "$LOG" | grep -q '^ro=refused' || fail "read-only disk accepted a write"
echo "PASS: read-only disk refused the write"
