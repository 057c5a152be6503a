#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Without `-- CMD`: a guest `poweroff -f` (ACPI S5 through the FADT sleep-control
# register) and a guest `reboot -f` (reboot=k: keyboard-controller reset) both
# end the VM, and mkvm exits 0.
. "$(dirname "$0")/lib.sh"
need_dev
for how in poweroff reboot; do
	# An extra archive whose /init does it; mkvm's init hands over to /init.
	mkdir -p "$WORK/$how"
	printf '#!/bin/sh\necho "about to %s"\n%s -f\nsleep 100\n' "$how" "$how" \
		> "$WORK/$how/init"
	chmod +x "$WORK/$how/init"
	(cd "$WORK/$how" && echo init | cpio -o -H newc 2>/dev/null) > "$WORK/$how.cpio"
	cat "$GUEST_ROOT" "$WORK/$how.cpio" > "$WORK/root-$how.cpio"
	"$MKVM" run --dev "$DEV" --kernel "$GUEST_KERNEL" --initrd "$WORK/root-$how.cpio" \
		--modules "$GUEST_MODULES" --mem 256M --quiet --timeout 240 \
		${L2_TSC:+--append "$L2_TSC"} < /dev/null > "$LOG" 2>&1
	RC=$?
	grep -q "about to $how" "$LOG" || fail "$how: /init did not run"
	[ "$RC" -eq 0 ] || fail "$how: mkvm exited $RC, expected 0"
	echo "PASS: guest $how -f -> mkvm exit 0"
done
