#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/matrix.sh - build minikvm.ko with W=1 against every kernel of the matrix
# (`make matrix`). A build passes only with zero warnings and zero errors.
#
# Usage: scripts/matrix.sh [-j N] [-v] [KERNEL...]
#   KERNEL   6.1, 6.12, sid (7.2), debug; default: 6.1 6.12 sid debug
#   -j N     make jobs per build (default 2: the machines have 2 cores, shared)
#   -v       print every warning/error line, not just the first 30 per kernel
#
# Why each kernel: 6.1 is bookworm's (the floor), 6.12 is the current LTS from
# bookworm-backports, sid's 7.x is where kernel APIs move first (it needs gcc-16, so it
# builds inside a sid chroot, see scripts/kernels.sh), and debug is the KASAN/lockdep 6.1
# kernel the debug test tier loads (CONFIG_WERROR=y there: warnings are errors).
#
# Each build works on its own scratch copy of the tree in $MKVM_CACHE/matrix/KERNEL/src,
# so it never clashes with .o files of a build in the work tree (or another matrix run's).
# The copy holds what `git ls-files` knows (tracked + untracked, not ignored): uncommitted
# edits are built too, build products are not carried over.
# Logs: $MKVM_CACHE/matrix/KERNEL.log. Exit status: 0 all clean, 1 any warning or error.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KERNELS_SH=$MKVM_TOP/scripts/kernels.sh
OUT=$MKVM_CACHE/matrix
jobs=2
verbose=0

while getopts 'j:vh' opt; do
	case $opt in
	j) [[ $OPTARG =~ ^[1-9][0-9]*$ ]] || die "-j wants a positive number"; jobs=$OPTARG ;;
	v) verbose=1 ;;
	*) die "usage: $0 [-j N] [-v] [6.1|6.12|sid|debug ...]" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- 6.1 6.12 sid debug
for k in "$@"; do
	case $k in
	6.1 | 6.12 | debug | sid) ;;
	7 | 7.2) ;;
	*) die "unknown kernel '$k' (want 6.1, 6.12, sid, debug)" ;;
	esac
done

[ -f "$MKVM_TOP/Kbuild" ] || die "no Kbuild at $MKVM_TOP: nothing to build"
need_pkgs make gcc git tar
# One matrix at a time: the scratch trees under $MKVM_CACHE/matrix are shared by every
# checkout on this machine.
mkdir -p "$MKVM_CACHE"
exec 7>"$MKVM_CACHE/matrix.lock"
flock 7

# copy_tree DEST: the buildable tree, without .git or build products.
copy_tree() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$dest"
	if git -C "$MKVM_TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# Tracked files deleted in the work tree are listed but absent: skip them quietly.
		(cd "$MKVM_TOP" && git ls-files -z -co --exclude-standard |
			tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$dest"
	else
		tar -C "$MKVM_TOP" --exclude-vcs --exclude='*.o' --exclude='*.ko' --exclude='*.cmd' \
			--exclude='*.mod' --exclude='*.mod.c' -cf - . | tar -xf - -C "$dest"
	fi
}

# Lines that count: compiler/assembler/linker diagnostics and modpost's.
# "the compiler differs from the one used to build the kernel" is gcc's exact Debian
# revision differing from the one that built the image (sid moves fast): not our code's
# warning, so it is shown as a note and not counted.
WARN_RE='(: warning:|^WARNING:)'
ERR_RE='(: error:|^ERROR:|: undefined reference)'
NOTE_RE='the compiler differs from the one used to build the kernel'

declare -a rows=()
fail=0
for k in "$@"; do
	case $k in 7 | 7.2) k=sid ;; esac
	log "[$k] preparing kernel"
	"$KERNELS_SH" ensure "$k"
	line=$("$KERNELS_SH" show "$k")
	kver=${line%% *}
	src=$OUT/$k/src
	logf=$OUT/$k.log
	copy_tree "$src"
	log "[$k] building against $kver (log: $logf)"
	t0=$SECONDS
	rc=0
	# -k: keep going past the first failing file, so one run shows every problem.
	"$KERNELS_SH" kmake "$k" M="$src" W=1 -k -j"$jobs" modules >"$logf" 2>&1 || rc=$?
	secs=$((SECONDS - t0))
	nw=$(grep -E "$WARN_RE" "$logf" | grep -vc "$NOTE_RE" || true)
	ne=$(grep -Ec "$ERR_RE" "$logf" || true)
	# A failed make with no recognised message still is an error.
	[ "$rc" = 0 ] || [ "$ne" -gt 0 ] || ne=1
	ko=$(find "$src" -name minikvm.ko -print -quit)
	[ "$rc" != 0 ] || [ -n "$ko" ] || { ne=$((ne + 1)); echo "ERROR: no minikvm.ko produced" >>"$logf"; }
	if [ "$ne" -gt 0 ]; then
		res=FAIL
	elif [ "$nw" -gt 0 ]; then
		res=WARN
	else
		res=OK
	fi
	[ "$res" = OK ] || fail=1
	rows+=("$(printf '%-8s %-30s %-5s %8s %6s %5ss' "$k" "$kver" "$res" "$nw" "$ne" "$secs")")
	if [ "$res" != OK ] || grep -q "$NOTE_RE" "$logf"; then
		# Paths relative to the top of the tree, so they read like the work tree's.
		max=30
		[ $verbose = 1 ] && max=100000
		{
			echo "---- $k ($kver): diagnostics"
			grep -E "$WARN_RE|$ERR_RE|$NOTE_RE" "$logf" | sed "s|$src/||g" | head -n "$max"
		} >&2
	fi
done

echo
printf '%-8s %-30s %-5s %8s %6s %6s\n' kernel release result warnings errors time
printf '%s\n' "${rows[@]}"
echo "logs: $OUT/<kernel>.log"
exit $fail
