#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --share DIR: a live virtio-9p share. While the guest runs, a file it writes
# appears on the host and a file the host writes then appears in the guest; a
# second share with ,ro refuses writes; the guest's escape attempts (a symlink to /,
# "..", a rename onto the share's parent, a device node) leave the host untouched.
. "$(dirname "$0")/lib.sh"
need_dev
S=$WORK/share R=$WORK/ro
mkdir -p "$S/sub" "$R"
echo "secret-outside" > "$WORK/secret.txt"
echo "ro-content" > "$R/file.txt"
ln -s / "$S/abs"
ln -s .. "$S/up"
echo before > "$S/sub/a.txt"

# guest() sets RC in the background subshell: hand it over in a file.
( guest --share "$S" --share "$R,tag=ro,ro" -- /bin/sh -c '
	echo "pwd=$(pwd)"
	grep " 9p " /proc/mounts | sed "s/^/mount: /"
	echo "guest-was-here" > /share/.from-guest && mv /share/.from-guest /share/from-guest.txt
	i=0
	while [ ! -e /share/from-host.txt ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
	echo "host-said=$(cat /share/from-host.txt) after $i polls"
	echo "ro-read=$(cat /mnt/ro/file.txt)"
	if echo x > /mnt/ro/new.txt 2>/dev/null; then echo ro=writable; else echo ro=refused; fi
	if mkdir /mnt/ro/d 2>/dev/null; then echo ro-mkdir=ok; else echo ro-mkdir=refused; fi
	mkdir -p /share/dir/deep && echo deep > /share/dir/deep/f && mv /share/dir /share/dir2 &&
		echo "rename=$(cat /share/dir2/deep/f)"
	ln -s /share/dir2/deep/f /share/sym && echo "symlink=$(cat /share/sym)"
	rm /share/sub/a.txt && echo unlink=ok
	# escapes
	cat /share/up/secret.txt 2>/dev/null && echo ESCAPE-up
	cat /share/../secret.txt 2>/dev/null && echo ESCAPE-dotdot
	cat /share/abs/'"$WORK"'/secret.txt 2>/dev/null && echo ESCAPE-abs
	mv /share/sub /share/../sub-escaped 2>/dev/null
	mv /share/sub /share/up/sub-escaped 2>/dev/null
	ln /share/from-guest.txt /share/up/hard-escaped 2>/dev/null
	if mknod /share/null c 1 3 2>/dev/null; then echo mknod=ok; else echo mknod=refused; fi
	mkfifo /share/fifo && echo fifo=ok
	dd if=/dev/zero of=/share/big bs=64k count=64 2>/dev/null && echo "big=$(wc -c < /share/big)"
	sync'; echo "$RC" > "$WORK/rc" ) &
pid=$!
# The guest's write must appear on the host while it runs, and ours in the guest.
for _ in $(seq 600); do
	[ "$(cat "$S/from-guest.txt" 2>/dev/null)" = guest-was-here ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.2
done
[ "$(cat "$S/from-guest.txt" 2>/dev/null)" = guest-was-here ] && live=yes || live=no
echo "host-was-here" > "$S/.from-host" && mv "$S/.from-host" "$S/from-host.txt"
wait $pid
RC=$(cat "$WORK/rc" 2>/dev/null || echo 1)
echo "live write from the guest seen by the host: $live"
[ "$RC" -eq 0 ] || fail "mkvm exited $RC"
L=$(tr -d '\r' < "$LOG")
[ "$live" = yes ] || fail "the guest's file did not appear on the host while it ran"
grep -q '^pwd=/share$' <<< "$L" || fail "CMD did not start in /share"
grep -q '^host-said=host-was-here after [0-9]* polls$' <<< "$L" || fail "the host's file did not reach the guest"
grep -q '^ro-read=ro-content$' <<< "$L" || fail "ro share not readable"
grep -q '^ro=refused$' <<< "$L" || fail "ro share accepted a write"
grep -q '^ro-mkdir=refused$' <<< "$L" || fail "ro share accepted a mkdir"
[ ! -e "$R/new.txt" ] && [ ! -e "$R/d" ] || fail "ro share changed on the host"
grep -q '^rename=deep$' <<< "$L" || fail "rename of a directory"
[ "$(cat "$S/dir2/deep/f" 2>/dev/null)" = deep ] || fail "renamed tree not on the host"
grep -q '^symlink=deep$' <<< "$L" || fail "symlink"
[ "$(readlink "$S/sym")" = /share/dir2/deep/f ] || fail "symlink target on the host"
grep -q '^unlink=ok$' <<< "$L" && [ ! -e "$S/sub/a.txt" ] || fail "unlink"
grep -q ESCAPE <<< "$L" && fail "escape: $(grep ESCAPE <<< "$L" | head -n 1)"
[ -e "$WORK/sub-escaped" ] || [ -e "$WORK/hard-escaped" ] && fail "the guest wrote outside the share"
grep -q '^mknod=refused$' <<< "$L" || fail "a device node was created"
[ ! -e "$S/null" ] || fail "device node on the host"
grep -q '^fifo=ok$' <<< "$L" && [ -p "$S/fifo" ] || fail "mkfifo"
grep -q '^big=4194304$' <<< "$L" && [ "$(stat -c %s "$S/big")" = 4194304 ] || fail "4 MiB write"
echo "PASS: live 9p share both ways, ro refuses writes, escapes fail"
