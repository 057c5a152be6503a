#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# selftests/peers/kvmtool.sh DEV CPUS [TRANSPORT] - boot Linux with unmodified kvmtool.
#
# Runs the peer client ../shared/peers/kvmtool (staged by selftests/peers/stage.sh as
# /selftests/peers/lkvm) on DEV (/dev/kvm or /dev/minikvm) with CPUS vCPUs and virtio
# TRANSPORT: kvmtool's default, modern virtio-pci (memory BARs, MSI-X through
# KVM_SET_GSI_ROUTING and irqfds), or "pci-legacy" (the I/O-port BAR). kvmtool offers
# virtio-mmio on Arm and RISC-V only (virtio/core.c), so x86 has no mmio run. The
# guest is the machine's own kernel with a busybox initramfs (guest-init) that checks
# each device:
#   - virtio-blk: the disk's SHA-256 read in the guest equals the one computed here;
#   - virtio-rng: 64 bytes read from /dev/hwrng with virtio-rng as the current source;
#   - virtio-9p: a token written here is read there, and a file written there is read
#     here;
# and then reboots through the keyboard controller, which ends lkvm with status 0.
# Exit 0 when all of that held, 1 otherwise (the guest's console is printed), 4 to skip
# when DEV or kvmtool is missing.
set -u
dev=$1 cpus=$2 transport=${3:-}
here=$(dirname "$0")
skip() { echo "SKIP: $*"; echo "$*" > "${MKVM_NOTE:-/dev/null}"; exit 4; }
[ -c "$dev" ] || skip "no $dev"
[ -x "$here/lkvm" ] || skip "kvmtool was not staged (no ../shared/peers/kvmtool)"

work=$(mktemp -d /tmp/kvmtool.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/share" "$work/home"
dd if=/dev/urandom of="$work/disk.img" bs=1M count=4 2>/dev/null
want_blk=$(sha256sum "$work/disk.img" | cut -d' ' -f1)
token=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$token" > "$work/share/from-host"

set -- --dev "$dev" -k "$here/vmlinuz" -i "$here/guest.cpio.gz" -m 256 -c "$cpus" \
	--console serial -p "console=ttyS0 quiet" -d "$work/disk.img" --rng \
	--9p "$work/share,hostshare" --network mode=none
[ -n "$transport" ] && set -- "$@" --virtio-transport "$transport"
echo "lkvm run $*"
start=$(date +%s)
# kvmtool keeps its control sockets under $HOME/.lkvm.
HOME=$work/home timeout -s KILL "${KVMTOOL_TIMEOUT:-240}" "$here/lkvm" run "$@" \
	> "$work/console" 2>&1 < /dev/null
rc=$?
end=$(date +%s)
tr -d '\r' < "$work/console" > "$work/log"

bad=0
fail() { echo "FAIL: $*"; bad=1; }
expect() {	# expect PATTERN WHAT: a guest line matching ^kt: PATTERN$
	grep -qx "kt: $1" "$work/log" || fail "$2"
}
[ "$rc" -eq 0 ] || fail "lkvm exited with status $rc (137: killed at the time limit)"
expect "cpus $cpus" "the guest does not see $cpus CPUs"
expect "transport .*, pci [1-9][0-9]*" "no virtio-pci device bound in the guest"
expect "blk $want_blk" "virtio-blk: the guest read other data than the disk holds"
expect "rng 64 bytes" "virtio-rng: no 64 bytes from /dev/hwrng"
expect "9p read $token" "9p: the guest did not read the host's token"
got=$(cat "$work/share/from-guest" 2>/dev/null)
[ -n "$got" ] && grep -qx "kt: 9p wrote $got" "$work/log" ||
	fail "9p: the file the guest wrote is not on the host"
expect "done" "the guest's init did not finish"
if [ "$bad" -ne 0 ]; then
	# kvmtool's own errors come first, the guest's last words at the end.
	echo "lkvm's output and the guest console ($(wc -l < "$work/log") lines):"
	if [ "$(wc -l < "$work/log")" -le 70 ]; then
		sed 's/^/    /' "$work/log"
	else
		head -n 20 "$work/log" | sed 's/^/    /'
		echo "    ..."
		tail -n 50 "$work/log" | sed 's/^/    /'
	fi
	exit 1
fi
echo "PASS: kvmtool on $dev, $cpus vCPUs, ${transport:-pci}: $((end - start)) s"
