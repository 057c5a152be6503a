#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# modload.sh - the module's life cycle, as a user drives it with modprobe.
#
#   reload_20            20x rmmod + modprobe (MKVM_MODLOAD_ROUNDS, 5 on Bochs);
#                        /dev/minikvm comes and goes, and a VM can be created
#                        after every load
#   rmmod_refused_busy   rmmod fails while a VM fd is open, works after
#   sigkill_releases     a VMM killed with SIGKILL drops every reference
#   enable_virt_at_load  (6.12+) kvm loaded with enable_virt_at_load=1 owns
#                        the hardware: minikvm answers EBUSY with its hint,
#                        and works again once kvm lets go
#
# Prints KTAP; exit 0 only if every case passed or skipped. Leaves minikvm
# (and the stock kvm modules) loaded, as it found them.
set -u
here=$(cd "$(dirname "$0")" && pwd)
vmctl=$here/vmctl
n=0
failed=0

ok()   { n=$((n + 1)); echo "ok $n $1"; }
nok()  { n=$((n + 1)); failed=1; echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { echo "# $*"; }

vendor=$(grep -m1 -o -w -E 'svm|vmx' /proc/cpuinfo)
case "$vendor" in
svm) kvm_vendor=kvm_amd ;;
vmx) kvm_vendor=kvm_intel ;;
*) echo "1..0 # SKIP no VMX/SVM on this CPU"; exit 4 ;;
esac

if ! modinfo minikvm >/dev/null 2>&1; then
	echo "1..0 # SKIP minikvm is not installed"
	exit 4
fi

echo "TAP version 13"
echo "1..4"

# Wait (up to 5 s) for a file to appear or disappear.
wait_path() { # exists|gone PATH
	local tries=0

	while [ $tries -lt 50 ]; do
		if [ "$1" = exists ] && [ -e "$2" ]; then return 0; fi
		if [ "$1" = gone ] && [ ! -e "$2" ]; then return 0; fi
		sleep 0.1
		tries=$((tries + 1))
	done
	return 1
}

# Start "vmctl hold" in the background; sets $holder once the VM exists.
hold_vm() {
	fifo=/tmp/modload.$$
	rm -f "$fifo"
	mkfifo "$fifo"
	"$vmctl" hold /dev/minikvm >"$fifo" &
	holder=$!
	read -r line <"$fifo"
	rm -f "$fifo"
	[ "$line" = holding ]
}

# 1. reload_20. Each round is a few seconds of emulated time, which Bochs makes
# minutes: check.sh sets MKVM_MODLOAD_ROUNDS=5 there.
rounds=${MKVM_MODLOAD_ROUNDS:-20}
res=ok
i=0
while [ $i -lt "$rounds" ]; do
	i=$((i + 1))
	if ! rmmod minikvm; then diag "round $i: rmmod failed"; res=nok; break; fi
	if ! wait_path gone /dev/minikvm; then diag "round $i: /dev/minikvm stayed"; res=nok; break; fi
	if ! modprobe minikvm; then diag "round $i: modprobe failed"; res=nok; break; fi
	if ! wait_path exists /dev/minikvm; then diag "round $i: no /dev/minikvm"; res=nok; break; fi
	if ! "$vmctl" create /dev/minikvm; then diag "round $i: no VM after load"; res=nok; break; fi
done
lsmod | grep -q '^minikvm ' || modprobe minikvm
$res reload_20

# 2. rmmod_refused_busy
res=ok
if hold_vm; then
	if rmmod minikvm 2>/dev/null; then
		diag "rmmod succeeded with a VM open"
		res=nok
		modprobe minikvm
	fi
	kill "$holder"
	wait "$holder" 2>/dev/null
	if ! rmmod minikvm; then diag "rmmod failed after the VM closed"; res=nok; fi
	modprobe minikvm || res=nok
else
	diag "could not create a VM to hold"
	res=nok
	kill "$holder" 2>/dev/null
fi
$res rmmod_refused_busy

# 3. sigkill_releases
res=ok
if hold_vm; then
	refs=$(cat /sys/module/minikvm/refcnt)
	[ "$refs" -ge 1 ] || { diag "refcnt $refs with a VM open"; res=nok; }
	kill -9 "$holder"
	wait "$holder" 2>/dev/null
	refs=$(cat /sys/module/minikvm/refcnt)
	[ "$refs" = 0 ] || { diag "refcnt $refs after SIGKILL"; res=nok; }
	"$vmctl" create /dev/minikvm || { diag "no VM after SIGKILL"; res=nok; }
else
	diag "could not create a VM to hold"
	res=nok
fi
$res sigkill_releases

# 4. enable_virt_at_load (kvm.ko of 6.12+)
if modinfo -p kvm 2>/dev/null | grep -q '^enable_virt_at_load:'; then
	res=ok
	rmmod "$kvm_vendor" kvm 2>/dev/null
	modprobe kvm enable_virt_at_load=1 && modprobe "$kvm_vendor" || res=nok
	dmesg -C
	"$vmctl" create /dev/minikvm 2>/dev/null
	rc=$?
	[ "$rc" = 16 ] || { diag "expected EBUSY (16), got $rc"; res=nok; }
	dmesg | grep -q "minikvm: $vendor is already in use" ||
		{ diag "no hint in dmesg"; res=nok; }
	rmmod "$kvm_vendor" kvm
	modprobe kvm enable_virt_at_load=0 && modprobe "$kvm_vendor" || res=nok
	"$vmctl" create /dev/minikvm || { diag "no VM once kvm let go"; res=nok; }
	$res enable_virt_at_load
else
	skip enable_virt_at_load "kvm.ko has no enable_virt_at_load (before 6.12)"
fi

exit $failed
