#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --timeout stops a guest that does not finish and exits 124.
. "$(dirname "$0")/lib.sh"
need_dev
t0=$(date +%s)
"$MKVM" run --dev "$DEV" --kernel "$GUEST_KERNEL" --initrd "$GUEST_ROOT" \
	--modules "$GUEST_MODULES" --mem 256M --quiet --timeout 15 \
	${L2_TSC:+--append "$L2_TSC"} -- /bin/sleep 1000 \
	< /dev/null > "$LOG" 2>&1
RC=$?
el=$(( $(date +%s) - t0 ))
[ "$RC" -eq 124 ] || fail "exit status $RC, expected 124"
[ "$el" -lt 60 ] || fail "took $el s to time out after 15 s"
echo "PASS: --timeout 15 -> exit 124 after $el s"
