#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sigkill_test.sh - a VMM killed with SIGKILL while its vCPUs are inside
# KVM_RUN leaves nothing behind, on /dev/kvm (kvm_amd/kvm_intel) and on
# /dev/minikvm: the module's reference count drops back to 0, rmmod works
# (and modprobe again), and the kernel log stays clean (the guest init
# fails the test on any oops or warning).
#
# For each device: one VMM with 2 spinning vCPUs, then 3 VMMs at once,
# killed together. The device whose helper reports "cannot run guests"
# (exit 4: minikvm before KVM_CAP_USER_MEMORY) is skipped.
#
# Prints KTAP; exits 0 if every case passed or skipped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
spinner=$here/guest_spinner
n=0
failed=0

vendor=$(grep -m1 -o -w -E 'svm|vmx' /proc/cpuinfo)
case "$vendor" in
svm) kvm_mod=kvm_amd ;;
vmx) kvm_mod=kvm_intel ;;
*) echo "1..0 # SKIP no VMX/SVM on this CPU"; exit 4 ;;
esac

echo "TAP version 13"
echo "1..2"

# start_vmm DEV: start a spinner, wait for "running"; sets $pid, returns
# 0 when running, 4 when the device cannot run guests, 1 on error.
start_vmm() {
	fifo=/tmp/sigkill.$$.$(basename "$1")
	rm -f "$fifo"
	mkfifo "$fifo"
	"$spinner" "$1" 2 >"$fifo" &
	pid=$!
	line=
	read -r line <"$fifo"
	rm -f "$fifo"
	case "$line" in
	running) return 0 ;;
	skip*) wait "$pid"; return 4 ;;
	*) wait "$pid"; return 1 ;;
	esac
}

refcnt() { cat "/sys/module/$1/refcnt" 2>/dev/null || echo missing; }

# case DEV MODULE
one_device() {
	dev=$1 mod=$2 res=ok why=
	if [ ! -e "$dev" ]; then
		n=$((n + 1)); echo "ok $n $mod # SKIP $dev not present"; return
	fi
	for round in single triple; do
		pids=
		count=1
		[ $round = triple ] && count=3
		i=0
		while [ $i -lt $count ]; do
			i=$((i + 1))
			start_vmm "$dev"
			rc=$?
			if [ $rc = 4 ]; then
				n=$((n + 1))
				echo "ok $n $mod # SKIP $dev cannot run guests (no KVM_CAP_USER_MEMORY)"
				return
			fi
			[ $rc = 0 ] || { res=nok; why="VMM did not start"; }
			pids="$pids $pid"
		done
		r=$(refcnt "$mod")
		echo "# $mod $round: refcnt $r with $count VMM(s) running"
		[ "$r" != 0 ] || { res=nok; why="refcnt 0 while VMs exist"; }
		# shellcheck disable=SC2086
		kill -9 $pids
		for p in $pids; do wait "$p" 2>/dev/null; done
		# The last fput may run after the waiter: give it a moment.
		t=0
		while [ "$(refcnt "$mod")" != 0 ] && [ $t -lt 50 ]; do
			sleep 0.1
			t=$((t + 1))
		done
		r=$(refcnt "$mod")
		echo "# $mod $round: refcnt $r after SIGKILL"
		[ "$r" = 0 ] || { res=nok; why="refcnt $r after SIGKILL"; }
	done
	if ! rmmod "$mod"; then
		res=nok; why="rmmod $mod failed"
	fi
	modprobe "$mod" || { res=nok; why="modprobe $mod failed"; }
	t=0
	while [ ! -e "$dev" ] && [ $t -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
	[ -e "$dev" ] || { res=nok; why="$dev did not come back"; }
	n=$((n + 1))
	if [ $res = ok ]; then
		echo "ok $n $mod"
	else
		failed=1
		echo "# $why"
		echo "not ok $n $mod"
	fi
}

# MKVM_SKIP_REFERENCE (see mkvm_test.h) may leave the stock module out.
case ",${MKVM_SKIP_REFERENCE:-}," in
*,sigkill,* | *,all,*) n=$((n + 1)); echo "ok $n $kvm_mod # SKIP left out here (MKVM_SKIP_REFERENCE)" ;;
*) one_device /dev/kvm "$kvm_mod" ;;
esac
one_device /dev/minikvm minikvm
exit $failed
