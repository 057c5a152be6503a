#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# selftests/upstream/run.sh - run one of Linux 6.1's KVM selftests on one device, in the
# test initramfs (dash + busybox), and turn its outcome into a verdict.
#
# usage: [UPSTREAM_TIMEOUT=S] upstream/run.sh kvm|minikvm NAME BINARY [ARGS...]
#
# The upstream tests open /dev/kvm by name (KVM_DEV_PATH in kvm_util_base.h). For minikvm
# the test runs in a mount namespace of its own (unshare -m) in which /dev/minikvm is bind
# mounted onto /dev/kvm, so nothing outside the test ever sees the swap. Both passes check
# which device /dev/kvm really is before running, so a leaked mount cannot turn a kvm result
# into a minikvm one or back.
#
# What a test reads besides /dev/kvm (checked in the 6.1 sources): module parameters of
# stock KVM, which is loaded beside minikvm, so on minikvm they are kvm_amd's/kvm_intel's:
# mmio_warning_test and vmx_exception_with_invalid_guest_state skip unless kvm_intel's
# unrestricted_guest is 0 (right for minikvm too, which needs unrestricted guest);
# nx_huge_pages_test(.sh) reads npt/ept and writes kvm.ko's nx_huge_pages* (it skips here:
# no sudo). debugfs (/sys/kernel/debug/kvm) is read by no x86 test of 6.1. See
# Documentation/testing.md.
#
# Exit status follows kselftest (the run-list line says codes=ksft): 0 PASS, 4 SKIP,
# 1 FAIL or TIMEOUT, 2 XFAIL, 3 XPASS. The last two come from expected-failures (next to
# this script): "NAME DEVICE VENDOR reason", DEVICE and VENDOR being kvm|minikvm|* and
# svm|vmx|*. The verdict is printed as
#   upstream: NAME DEVICE VERDICT [reason]
# which scripts/upstream-selftests.sh table reads, written to $MKVM_NOTE for the KTAP
# directive, and appended to /tmp/upstream-results for table.sh.

dev=$1
name=$2
bin=$3
shift 3
here=$(dirname "$0")
tmo=${UPSTREAM_TIMEOUT:-120}

if grep -qw svm /proc/cpuinfo; then
	vendor=svm
elif grep -qw vmx /proc/cpuinfo; then
	vendor=vmx
else
	vendor=none
fi

# verdict VERDICT RC [REASON]: report and exit with the kselftest code.
verdict() {
	echo "upstream: $name $dev $1${3:+ $3}"
	echo "$name $dev $1" >> /tmp/upstream-results
	[ -n "$MKVM_NOTE" ] && [ -n "$3" ] && printf '%s\n' "$3" > "$MKVM_NOTE"
	exit "$2"
}

# expected: the reason NAME is expected to fail on DEV/VENDOR, or nothing.
expected() {
	awk -v t="$name" -v d="$dev" -v v="$vendor" '
		/^[ \t]*(#|$)/ { next }
		$1 == t && ($2 == d || $2 == "*") && ($3 == v || $3 == "*") {
			sub(/^[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+/, ""); print; exit
		}' "$here/expected-failures"
}

# devnum PATH: "MAJOR:MINOR" of a character device, in hex as stat prints it.
devnum() { stat -L -c '%t:%T' "$1" 2>/dev/null; }

[ -c /dev/kvm ] || verdict SKIP 4 "no /dev/kvm (kvm_amd/kvm_intel did not load)"
# KVM's misc minor is fixed (KVM_MINOR = 232 = 0xe8).
kvm_num=a:e8
case "$dev" in
kvm)
	[ "$(devnum /dev/kvm)" = "$kvm_num" ] ||
		verdict FAIL 1 "/dev/kvm is $(devnum /dev/kvm), not KVM's 10:232 (a leaked bind mount?)"
	wrap=
	;;
minikvm)
	[ -c /dev/minikvm ] || verdict SKIP 4 "no /dev/minikvm (minikvm.ko did not load)"
	mk_num=$(devnum /dev/minikvm)
	# In the new namespace: bind, check that the bind took, then exec the test.
	wrap="unshare -m sh -c 'mount --bind /dev/minikvm /dev/kvm &&
		[ \"\$(stat -L -c %t:%T /dev/kvm)\" = $mk_num ] || { echo upstream: bind mount failed; exit 97; };
		exec \"\$0\" \"\$@\"'"
	;;
*)
	verdict FAIL 1 "run.sh: unknown device '$dev'"
	;;
esac

# hang_report PGID: at the time limit, tell a slow test from a stuck one. Counts the
# group's tasks by state (a forking test's zombies are its finished rounds: the parent
# never reaps them) and prints the distinct kernel stacks of those not running, most
# common first: a task stuck in D state inside minikvm shows up here by function name.
hang_report() {
	for p in /proc/[0-9]*; do
		read -r st < "$p/stat" || continue
		# Field 5 (pgrp) counted after the ")" that ends comm, which may hold spaces.
		[ "$(echo "${st##*) }" | cut -d' ' -f3)" = "$1" ] || continue
		for t in "$p"/task/[0-9]*; do
			read -r ts < "$t/stat" || continue
			s=$(echo "${ts##*) }" | cut -d' ' -f1)
			echo "state $s"
			case $s in R|Z) continue ;; esac
			echo "stack $(sed 's/+0x[0-9a-f/x]*//; s/^\[<[0-9a-f]*>\] //' "$t/stack" |
				head -n 8 | tr '\n' ' ')"
		done
	done 2>/dev/null > /tmp/upstream.tasks
	echo "upstream: at the time limit, process group $1 has $(grep -c '^state' /tmp/upstream.tasks) tasks:$(
		sed -n 's/^state //p' /tmp/upstream.tasks | sort | uniq -c |
			awk '{ printf " %s %d", $2, $1 }') (Z: a forking test's unreaped children, its finished rounds)"
	sed -n 's/^stack //p' /tmp/upstream.tasks | sort | uniq -c | sort -rn | head -n 10 |
		sed 's/^ *\([0-9]*\) /upstream:   \1x /'
}

echo "upstream: $name on /dev/$dev ($vendor), limit $tmo s: $bin $*"
t0=$(cut -d' ' -f1 /proc/uptime)
# Our own time limit, before init's: then a listed test that hangs is an XFAIL, not a
# failure. The test leads its own process group (setsid; backgrounded it is not a group
# leader, so setsid does not fork and $! is the test), and a timeout TERMs, then KILLs, the
# whole group: hardware_disable_test's forked VMs run until their parent kills them, and
# would otherwise outlive it and hold the output pipe open.
rm -f /tmp/upstream.timedout /tmp/upstream.fifo
mkfifo /tmp/upstream.fifo
tee /tmp/upstream.out < /tmp/upstream.fifo &
teepid=$!
eval "exec setsid $wrap \"$here/\$bin\" \"\$@\"" > /tmp/upstream.fifo 2>&1 < /dev/null &
tpid=$!
rm -f /tmp/upstream.hang
( sleep "$tmo"; hang_report "$tpid" > /tmp/upstream.hang 2>&1; touch /tmp/upstream.timedout
  kill -TERM -"$tpid"; sleep 5; kill -KILL -"$tpid" ) > /dev/null 2>&1 < /dev/null &
wpid=$!
wait $tpid
rc=$?
kill $wpid 2>/dev/null
# Whatever the test left behind (forked children) goes too, so tee sees the end.
kill -KILL -"$tpid" 2>/dev/null
wait $teepid
t1=$(cut -d' ' -f1 /proc/uptime)
secs=$(awk "BEGIN { printf \"%d\", $t1 - $t0 }")

[ $rc -eq 97 ] && verdict FAIL 1 "could not bind /dev/minikvm onto /dev/kvm"
why=$(expected)
if [ $rc -eq 0 ]; then
	[ -n "$why" ] && verdict XPASS 3 "passed but expected-failures says: $why (take it off the list)"
	verdict PASS 0
elif [ $rc -eq 4 ]; then
	# kselftest's "1..0 # SKIP - Requirement not met: EXPR" (TEST_REQUIRE) or the like.
	verdict SKIP 4 "$(grep -a -m1 -E 'SKIP|[Nn]ot (met|supported)' /tmp/upstream.out |
		sed -E 's/^1\.\.0 # SKIP -? ?//' | cut -c1-160)"
fi
if [ -f /tmp/upstream.timedout ]; then
	cat /tmp/upstream.hang
	what="after $secs s (limit $tmo s)"
elif [ $rc -gt 128 ] && [ $rc -lt 160 ]; then
	what="killed by signal $((rc - 128))"
else
	what="exit $rc"
fi
# Why, in the test's own words: a TEST_ASSERT prints "==== Test Assertion Failure ====",
# "  FILE:LINE: EXPR", "  pid=... errno=...", stack frames (or addr2line's complaint), then
# its message; a plain test prints its last line.
msg=$(awk '
	/==== Test Assertion Failure ====/ { a = 1; loc = ""; m = ""; next }
	a == 1 && loc == "" { loc = $1; sub(/:$/, "", loc); next }
	a == 1 && /^  pid=/ { next }
	a == 1 && (/^sh: .*addr2line/ || /^ +[0-9]+\t/ || /^ +0x/) { next }
	a == 1 && NF { m = $0; sub(/^ +/, "", m); a = 2 }
	NF && !/^upstream: / && !/^Terminated$/ && !/^Killed$/ { last = $0 }
	END {
		if (m != "") print m " [" loc "]"
		else print last
	}' /tmp/upstream.out | cut -c1-200)
[ -n "$msg" ] && what="$what: $msg"
if [ -f /tmp/upstream.timedout ]; then
	[ -n "$why" ] && verdict XFAIL 2 "TIMEOUT $what; expected: $why"
	verdict TIMEOUT 1 "$what"
fi
[ -n "$why" ] && verdict XFAIL 2 "$what; expected: $why"
verdict FAIL 1 "$what"
