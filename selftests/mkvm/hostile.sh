#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A broken guest "driver" (busybox devmem poking the virtio-rng registers with
# no driver bound): queue size over the maximum, a ring far outside RAM, notify
# before the queue is ready, unknown registers. mkvm marks the device broken
# (DEVICE_NEEDS_RESET), says so once, keeps running the guest, and a reset
# revives the device. (Descriptor-level attacks - loops, bad addresses, huge
# lengths - are covered by the host unit tests: `make -C userspace test`.)
. "$(dirname "$0")/lib.sh"
need_dev
mkdir -p "$WORK/nomods"
: > "$WORK/nomods/modules.dep"	# no virtio drivers in the guest
guest --modules "$WORK/nomods" -- /bin/sh -c '
	b=$((0xd0001000))	# virtio1 = virtio-rng (console, rng, disks, net)
	w() { devmem $((b + $1)) 32 $2; }
	r() { devmem $((b + $1)) 32; }
	echo "id=$(r 0x08)"
	w 0x70 0; w 0x70 3; w 0x24 1; w 0x20 1; w 0x70 11
	w 0x50 0				# notify, queue not ready
	w 0x30 0; w 0x38 100000; w 0x44 1	# queue size too big
	echo "status1=$(r 0x70)"
	w 0x70 0; w 0x70 3; w 0x24 1; w 0x20 1; w 0x70 11
	w 0x30 0; w 0x38 8; w 0x80 0; w 0x84 0x7fff; w 0x44 1	# ring at 128 TiB
	w 0x50 0
	echo "status2=$(r 0x70) isr=$(r 0x60)"
	w 0x30 77; w 0x44 1; r 0x1234 > /dev/null	# no such queue / register
	w 0x70 0
	echo "status3=$(r 0x70)"
	exit 0'
L=$(tr -d '\r' < "$LOG")
[ "$RC" -eq 0 ] || fail "mkvm exited $RC (guest should have finished normally)"
grep -q '^id=0x00000004$' <<< "$L" || fail "virtio1 is not the rng device"
grep -qE '^status1=0x0000004B$' <<< "$L" || fail "oversized queue did not set NEEDS_RESET"
grep -qE '^status2=0x0000004B isr=0x0000000[23]$' <<< "$L" ||
	fail "ring outside RAM did not break the device / raise a config interrupt"
grep -qE '^status3=0x00000000$' <<< "$L" || fail "reset did not revive the device"
grep -c 'guest driver error' "$LOG" | grep -q '^2$' || fail "expected two 'guest driver error' lines"
grep 'guest driver error' "$LOG" | tr -d '\r'
echo "PASS: broken driver -> device stopped twice, guest and mkvm unharmed, reset recovers"
