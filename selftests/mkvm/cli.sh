#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad input: one line on stderr and exit 2, before any guest runs.
. "$(dirname "$0")/lib.sh"
need_dev
bad=0
check() { # WANT-SUBSTRING ARGS...
	local want=$1 out rc
	shift
	out=$("$MKVM" "$@" 2>&1 > /dev/null < /dev/null)
	rc=$?
	if [ $rc -ne 2 ] || [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ] ||
	   ! printf '%s' "$out" | grep -q -- "$want"; then
		echo "FAIL: mkvm $*: rc=$rc, stderr '$out'"
		bad=1
	else
		echo "ok: mkvm $* -> 2, '$out'"
	fi
}
check "missing --kernel" run --dev "$DEV"
check "not a bzImage" run --dev "$DEV" --kernel /etc/passwd
check "No such file" run --dev "$DEV" --kernel /nonexistent
check "bad memory size" run --dev "$DEV" --kernel "$GUEST_KERNEL" --mem 12Q
check "too little memory" run --dev "$DEV" --kernel "$GUEST_KERNEL" --mem 16M
check "unknown option" run --dev "$DEV" --kernel "$GUEST_KERNEL" --frobnicate
check "No such file" run --dev /dev/nonexistent-kvm --kernel "$GUEST_KERNEL"
check "not a directory" run --dev "$DEV" --kernel "$GUEST_KERNEL" --share /nonexistent
check "bad share tag" run --dev "$DEV" --kernel "$GUEST_KERNEL" --share /tmp,tag=a/b
check "bad --share option" run --dev "$DEV" --kernel "$GUEST_KERNEL" --share /tmp,rx
check "used twice" run --dev "$DEV" --kernel "$GUEST_KERNEL" --share /tmp,tag=x --share /,tag=x
check "bad --env" run --dev "$DEV" --kernel "$GUEST_KERNEL" --env NOEQUALS
"$MKVM" --help | grep -q 'usage: mkvm run' || { echo "FAIL: --help"; bad=1; }
exit $bad
