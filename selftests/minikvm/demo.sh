#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - the guest half of `make demo`: show what minikvm sees and does, in words.
# Runs inside the emulated machine after the guest init loaded kvm and minikvm.
# Output lines are KTAP diagnostics ("# ...") so the harness carries them out.
set -u
here=$(cd "$(dirname "$0")" && pwd)
say() { echo "# $*"; }

echo "TAP version 13"
echo "1..2"
say "guest kernel: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
say ""
say "\$ modprobe minikvm   (already done by the init; what it printed:)"
dmesg | grep 'minikvm:' | grep -v 'taints\|verification' | sed 's/^/#   /'
say ""
say "\$ cat /sys/kernel/debug/minikvm/hw   (what the CPU offers, per-CPU state)"
sed 's/^/#   /' /sys/kernel/debug/minikvm/hw
say ""
say "Creating a VM on /dev/minikvm turns SVM/VMX on for every CPU:"
fifo=/tmp/demo.$$
mkfifo "$fifo"
"$here/vmctl" hold /dev/minikvm >"$fifo" &
holder=$!
read -r line <"$fifo"
rm -f "$fifo"
if [ "$line" = holding ]; then
	grep -E '^(users|cpu[0-9]+):' /sys/kernel/debug/minikvm/hw | sed 's/^/#   /'
	say ""
	say "While it exists, the stock KVM must keep its hands off:"
	"$here/vmctl" create /dev/kvm 2>&1 | sed 's/^/#   /'
	kill "$holder"
	wait "$holder" 2>/dev/null
	say ""
	say "After the VM closed, every CPU is off again and KVM works:"
	grep -E '^(users|cpu[0-9]+):' /sys/kernel/debug/minikvm/hw | sed 's/^/#   /'
	if "$here/vmctl" create /dev/kvm; then say "  KVM_CREATE_VM on /dev/kvm: ok"; fi
	echo "ok 1 vm_on_minikvm"
else
	echo "not ok 1 vm_on_minikvm"
fi
if "$here/vmctl" create /dev/minikvm; then echo "ok 2 vm_again"; else echo "not ok 2 vm_again"; fi
