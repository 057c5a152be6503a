#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-net on a tap mkvm creates (and brings up through rtnetlink): the guest
# pings the host end of the tap. Addresses live on the tap link only, inside
# the emulated machine.
. "$(dirname "$0")/lib.sh"
need_dev
if [ ! -c /dev/net/tun ]; then
	modprobe tun 2>/dev/null || insmod "$(ls "$GUEST_MODULES"/kernel/drivers/net/tun.ko* | head -1)"
	mkdir -p /dev/net
	[ -c /dev/net/tun ] || mknod /dev/net/tun c 10 200
fi
tap=mkvmt0
# Give the host end its address as soon as mkvm has created and raised the tap.
(
	for i in $(seq 300); do
		if ip link show "$tap" > /dev/null 2>&1; then
			ip addr add 10.0.2.1/24 dev "$tap" && break
		fi
		sleep 0.2
	done
) &
helper=$!
guest --net "tap=$tap" -- /bin/sh -c '
	ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 || exit 3
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ping -c 1 -W 3 10.0.2.1 > /tmp/ping 2>&1 && { cat /tmp/ping; exit 0; }
		sleep 1
	done
	cat /tmp/ping; exit 1'
kill $helper 2>/dev/null
wait $helper 2>/dev/null
[ "$RC" -eq 0 ] || fail "guest ping of 10.0.2.1 over the tap failed (status $RC)"
tr -d '\r' < "$LOG" | grep -E 'bytes from 10.0.2.1' | head -1
echo "PASS: guest pinged the host over virtio-net/tap"
