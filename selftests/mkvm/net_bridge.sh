#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --net tap,bridge=BR: mkvm enslaves its tap to an existing bridge (rtnetlink);
# the guest pings the bridge's address. Stays inside the emulated machine.
. "$(dirname "$0")/lib.sh"
need_dev
ins() { # module name: modprobe, else insmod from the staged tree
	modprobe "$1" 2>/dev/null && return 0
	local f
	f=$(ls "$GUEST_MODULES"/kernel/*/"$1".ko* "$GUEST_MODULES"/kernel/*/*/"$1".ko* 2>/dev/null | head -1)
	[ -n "$f" ] && insmod "$f" 2>/dev/null
	return 0
}
ins tun; ins llc; ins stp; ins bridge
mkdir -p /dev/net
[ -c /dev/net/tun ] || mknod /dev/net/tun c 10 200
br=mkvmbr0
ip link add "$br" type bridge 2>/dev/null
ip link show "$br" > /dev/null 2>&1 || { echo "SKIP: cannot create a bridge here"; exit 4; }
ip addr add 10.0.3.1/24 dev "$br"
ip link set "$br" up
guest --net "tap=mkvmt1,bridge=$br" -- /bin/sh -c '
	ip link set eth0 up && ip addr add 10.0.3.15/24 dev eth0 || exit 3
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ping -c 1 -W 3 10.0.3.1 > /tmp/ping 2>&1 && { cat /tmp/ping; exit 0; }
		sleep 1
	done
	cat /tmp/ping; exit 1'
master=$(cat /sys/class/net/mkvmt1/master/ifindex 2>/dev/null)
ip link del "$br" 2>/dev/null
[ "$RC" -eq 0 ] || fail "guest ping of 10.0.3.1 through the bridge failed (status $RC)"
echo "PASS: guest pinged the host through tap + bridge $br"
