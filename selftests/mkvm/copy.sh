#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --copy DIR: the guest sees a copy of DIR, packed into the initramfs, at /share
# (its working directory), read-only.
. "$(dirname "$0")/lib.sh"
need_dev
mkdir -p "$WORK/share/sub"
echo "shared-content-42" > "$WORK/share/sub/hello.txt"
ln -s sub/hello.txt "$WORK/share/link"
guest --copy "$WORK/share" -- /bin/sh -c '
	echo "pwd=$(pwd)"
	echo "via-link=$(cat link)"
	if touch /share/new 2>/dev/null; then echo share=writable; else echo share=ro; fi'
[ "$RC" -eq 0 ] || fail "mkvm exited $RC"
L=$(tr -d '\r' < "$LOG")
grep -q '^pwd=/share$' <<< "$L" || fail "CMD did not start in /share"
grep -q '^via-link=shared-content-42$' <<< "$L" || fail "file not visible through the symlink"
grep -q '^share=ro$' <<< "$L" || fail "/share is writable"
echo "PASS: --copy DIR visible at /share, read-only"
