#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# reboot_vm.sh - the machine powers off while a minikvm VM runs (issue 18).
#
# Must be the run-list's last test. It starts guest_spinner on /dev/minikvm in a
# session of its own, so the guest init's end-of-test kill does not reach it, waits
# until both vCPUs are in the guest, and passes. The guest init then reports, prints its
# end marker and runs `poweroff -f`: the kernel calls minikvm's reboot notifier, which
# turns SVM/VMX off on every CPU while the spinner's vCPUs keep calling KVM_RUN. Before
# the fix their next CLGI (SVM) faulted with #UD: an oops on the console, which
# scripts/vm-test.sh finds after the end marker and fails the boot for. Now KVM_RUN
# returns EIO (mkvm_virt_rebooting()) and the machine goes down cleanly.
#
# Exits 0 when the VM runs, 4 when /dev/minikvm cannot run guests, 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ -e /dev/minikvm ] || { echo "# SKIP no /dev/minikvm"; exit 4; }
log=/tmp/reboot_vm.log
setsid "$here/guest_spinner" /dev/minikvm 2 </dev/null >"$log" 2>&1 &
pid=$!
i=0
while [ $i -lt 300 ]; do
	grep -q running "$log" 2>/dev/null && { echo "# 2 vCPUs spinning into the power-off"; exit 0; }
	if ! kill -0 $pid 2>/dev/null; then
		wait $pid
		rc=$?
		echo "# the spinner exited with $rc: $(cat "$log")"
		[ $rc = 4 ] && exit 4
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
done
echo "# the spinner never ran: $(cat "$log")"
exit 1
