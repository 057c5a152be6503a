#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --net user (libslirp, no tap, no root needed): the guest gets a DHCP lease, fetches
# a file from an HTTP server on this (L1) machine's loopback through the gateway
# 10.0.2.2, and a hostfwd rule brings a host port to a server in the guest.
. "$(dirname "$0")/lib.sh"
need_dev
ip link set lo up 2>/dev/null
mkdir -p "$WORK/www" "$WORK/sh"
echo "served-by-l1" > "$WORK/www/file.txt"
busybox httpd -f -p 127.0.0.1:18080 -h "$WORK/www" &
httpd=$!
( guest --net user,hostfwd=tcp:127.0.0.1:12222-:8000 --share "$WORK/sh" -- /bin/sh -c '
	ip link set lo up; ip link set eth0 up
	udhcpc -i eth0 -n -q -t 5 -s /bin/true 2>&1 | grep -o "lease of [0-9.]* obtained" |
		sed "s/^/dhcp: /"
	ip addr add 10.0.2.15/24 dev eth0
	ip route add default via 10.0.2.2
	echo "fetched=$(wget -q -O - http://10.0.2.2:18080/file.txt)"
	mkdir -p /tmp/www && echo from-guest > /tmp/www/g.txt
	httpd -p 8000 -h /tmp/www
	echo ready > /share/ready
	i=0
	while [ ! -e /share/done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done'
  echo "$RC" > "$WORK/rc" ) &
pid=$!
for _ in $(seq 600); do
	[ -e "$WORK/sh/ready" ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.2
done
wget -q -O "$WORK/fwd.txt" http://127.0.0.1:12222/g.txt 2>/dev/null
touch "$WORK/sh/done"
wait $pid
kill $httpd 2>/dev/null
RC=$(cat "$WORK/rc" 2>/dev/null || echo 1)
[ "$RC" -eq 0 ] || fail "mkvm exited $RC"
L=$(tr -d '\r' < "$LOG")
grep -q '^dhcp: lease of 10.0.2.15 obtained$' <<< "$L" || fail "no DHCP lease"
grep -q '^fetched=served-by-l1$' <<< "$L" || fail "no file from the host's loopback"
[ "$(cat "$WORK/fwd.txt" 2>/dev/null)" = from-guest ] || fail "hostfwd did not reach the guest"
echo "PASS: --net user: DHCP, the host's loopback as 10.0.2.2, hostfwd"
