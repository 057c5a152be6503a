#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --kernel DIR: a kernel tree instead of a bzImage. The test makes a stand-in for a built
# tree from the staged kernel and modules (arch/x86/boot/bzImage, modules.order naming
# each module as "path.o" beside its uncompressed "path.ko", as Kbuild leaves them), and
# boots it with a --share, so the virtio-mmio, 9p and overlay modules must come from the
# tree through modules.order and each module's .modinfo depends=, with no --modules and
# no modules.dep.
. "$(dirname "$0")/lib.sh"
need_dev
T=$WORK/tree
mkdir -p "$T/arch/x86/boot" "$WORK/s"
cp "$GUEST_KERNEL" "$T/arch/x86/boot/bzImage"
(cd "$GUEST_MODULES" && find . -name '*.ko*' | sed 's|^\./||') | while read -r m; do
	base=${m%%.ko*}
	mkdir -p "$T/$(dirname "$base")"
	case "$m" in
	*.ko.xz) xz -dc "$GUEST_MODULES/$m" > "$T/$base.ko" ;;
	*.ko.zst) zstd -dqc "$GUEST_MODULES/$m" > "$T/$base.ko" ;;
	*.ko.gz) gzip -dc "$GUEST_MODULES/$m" > "$T/$base.ko" ;;
	*) cp "$GUEST_MODULES/$m" "$T/$base.ko" ;;
	esac
	echo "$base.o" >> "$T/modules.order"
done
[ -s "$T/modules.order" ] || fail "no modules staged"
[ ! -e "$T/modules.dep" ] || fail "the stand-in tree has a modules.dep"
echo "from-the-host" > "$WORK/s/f.txt"
"$MKVM" run --dev "$DEV" --kernel "$T" --initrd "$GUEST_ROOT" --mem 256M $QUIET \
	--timeout 240 --share "$WORK/s" -- /bin/sh -c 'echo "read=$(cat /share/f.txt)"' \
	< /dev/null > "$LOG" 2>&1
RC=$?
echo "mkvm exited $RC"
[ "$RC" -eq 0 ] || fail "mkvm exited $RC"
L=$(tr -d '\r' < "$LOG")
grep -q '^read=from-the-host$' <<< "$L" || fail "the share (9p modules from the tree) did not work"
echo "PASS: --kernel DIR boots the tree's bzImage with its own modules"
