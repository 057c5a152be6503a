#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# irq_teardown.sh - irq_teardown_test (VMs destroyed with armed APIC
# timers and registered irqfds/ioeventfds, on /dev/kvm and /dev/minikvm),
# then proof that minikvm kept nothing: its reference count is 0, rmmod
# works, and modprobe brings it back. The guest init fails the run on any
# kernel warning or memory-debugging report in dmesg.
#
# Exit 0 when everything passed, 4 when the test skipped, 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)

"$here/irq_teardown_test"
rc=$?
[ $rc -ne 0 ] && exit $rc

if ! lsmod | grep -q '^minikvm '; then
	echo "# minikvm is not loaded"
	exit 4
fi
refs=$(awk '$1 == "minikvm" { print $3 }' /proc/modules)
if [ "$refs" != 0 ]; then
	echo "# minikvm still has $refs references"
	exit 1
fi
if ! rmmod minikvm; then
	echo "# rmmod minikvm failed"
	exit 1
fi
if ! modprobe minikvm; then
	echo "# modprobe minikvm failed"
	exit 1
fi
echo "# minikvm unloaded and reloaded cleanly"
exit 0
