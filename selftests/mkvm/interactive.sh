#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Interactive console on a terminal: keys typed reach a guest shell on ttyS0
# (UART receive interrupts), Ctrl-A x quits with status 0, and the terminal
# settings are restored afterwards.
. "$(dirname "$0")/lib.sh"
need_dev
"$HERE/ptyrun" -t 240 'e:# ' 's:echo typed-$((6*7))\r' 'e:typed-42' 's:\x01x' -- \
	"$MKVM" run --dev "$DEV" --kernel "$GUEST_KERNEL" --initrd "$GUEST_ROOT" \
	--mem 256M --quiet --append "rdinit=/bin/sh${L2_TSC:+ $L2_TSC}" > "$LOG" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "ptyrun exit $rc"
echo "PASS: typed into the guest shell, Ctrl-A x quit, terminal restored"
