#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/lint.sh - static checks of the kernel code (`make lint`):
#   checkpatch  checkpatch.pl --strict -f over module/ and uapi/ (*.c *.h *.S); options from
#               .checkpatch.conf at the top of the tree
#   sparse      `make C=2` against a kernel's headers (default 6.1: Debian's sparse 0.6.4
#               matches that era of headers); only diagnostics in our files count
#   kernel-doc  kernel-doc -none -v (6.1's -Wall) over module/ and uapi/ *.c *.h: malformed
#               /** comments, undocumented parameters and return values
#   commits     every commit after $MKVM_STYLE_BASE (the last one before the project
#               adopted kernel-style commits) that is not a merge: a subject of at most 72
#               characters in the form "area: what", and a body saying why; plus
#               checkpatch --git's own commit-message checks (long body lines, a missing
#               description). Skipped, with a note, in a clone without that history.
#
# Usage: scripts/lint.sh [-k KERNEL] [-v] [KDIR]
#   -k KERNEL  kernel whose headers sparse checks against: 6.1 (default), 6.12, debug
#   KDIR       a build tree to run sparse against instead (what `make lint KDIR=...` passes);
#              when it does not exist (the top Makefile's default is the running kernel's
#              tree, absent on machines that only build) the -k kernel is used, with a note
#   -v         print every finding (default: the first 40 per tool)
# Exit status: 0 when every tool is clean, 1 on any checkpatch ERROR/WARNING/CHECK, sparse
# warning/error in our files, or kernel-doc warning.
#
# checkpatch.pl, spelling.txt, const_structs.checkpatch and kernel-doc come from Debian's
# linux-source-6.1 tarball, unpacked (those four files only) into $MKVM_CACHE/lint: kernel
# files never enter this repository. checkpatch finds spelling.txt and
# const_structs.checkpatch beside itself, which is why they are unpacked together.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

kernel=6.1
verbose=0
while getopts 'k:vh' opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	v) verbose=1 ;;
	*) die "usage: $0 [-k 6.1|6.12|debug] [-v]" ;;
	esac
done
shift $((OPTIND - 1))
kdir=
if [ $# -gt 0 ]; then
	[ $# -eq 1 ] || die "usage: $0 [-k 6.1|6.12|debug] [-v] [KDIR]"
	if [ -f "$1/Makefile" ]; then
		kdir=$(cd "$1" && pwd)
	else
		log "lint: no build tree at $1; sparse uses the $kernel headers instead"
	fi
fi
case $kernel in
6.1 | 6.12 | debug) ;;
*) die "lint: -k wants 6.1, 6.12 or debug (sid's headers need the chroot's sparse)" ;;
esac

need_pkgs linux-source-6.1 sparse perl make gcc git tar xz-utils
max=40
[ $verbose = 1 ] && max=1000000

# ---------------------------------------------------------------------------- tools

LINT=$MKVM_CACHE/lint
# One lint at a time: its tool unpack and sparse scratch tree are shared by every
# checkout on this machine (worktrees, CI), and two builds in one tree trip over each other.
mkdir -p "$MKVM_CACHE"
exec 8>"$MKVM_CACHE/lint.lock"
flock 8
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
TOOLS=$LINT/linux-source-$srcver/scripts
if [ ! -f "$TOOLS/.complete" ]; then
	log "unpacking checkpatch.pl and kernel-doc from linux-source-6.1 $srcver"
	tarball=
	for t in /usr/src/linux-source-6.1.tar.*; do [ -f "$t" ] && tarball=$t && break; done
	[ -n "$tarball" ] || die "no /usr/src/linux-source-6.1.tar.* after installing linux-source-6.1"
	rm -rf "$LINT"
	mkdir -p "$TOOLS"
	# The tarball's top dir is linux-source-6.1/; strip it and keep only scripts/<file>.
	tar -xf "$tarball" -C "$LINT/linux-source-$srcver" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/scripts/kernel-doc
	touch "$TOOLS/.complete"
fi

# ---------------------------------------------------------------------------- files

cd "$MKVM_TOP"
# Sources we wrote: tracked or new, never ignored build products (*.mod.c and the like).
mapfile -t files < <(
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -co --exclude-standard -- 'module/*.c' 'module/*.h' 'module/*.S' \
			'uapi/*.c' 'uapi/*.h' 'uapi/*.S'
	else
		find module uapi -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' \) ! -name '*.mod.c'
	fi | while read -r f; do [ -f "$f" ] && echo "$f"; done | sort
)
[ ${#files[@]} -gt 0 ] || die "no sources under module/ or uapi/"
cfiles=()
for f in "${files[@]}"; do case $f in *.c | *.h) cfiles+=("$f") ;; esac; done

report=()
fail=0
details=$(mktemp)
trap 'rm -f "$details"' EXIT

# ---------------------------------------------------------------------------- checkpatch

# --terse: one "file:line: LEVEL:TYPE: message" line per finding (--show-types adds TYPE,
# the name to use in .checkpatch.conf --ignore); --no-summary drops the per-file totals.
cp_out=$(perl "$TOOLS/checkpatch.pl" --strict --no-tree --terse --show-types --no-summary \
	--color=never -f "${files[@]}" 2>&1 || true)
# Known false positives of the 6.1 checkpatch, dropped line by line (and counted), so that
# a real finding of the same type still fails:
#   CHECK:SPACING around '%' on an asm goto label reference (%l[label]): asm syntax,
#   not C arithmetic; there is no other way to spell it.
suppressed=0
kept=""
while IFS= read -r l; do
	[ -n "$l" ] || continue
	if [[ $l =~ ^([^:]+):([0-9]+):\ CHECK:SPACING:\ spaces\ preferred\ around\ that\ \'%\' ]] &&
		sed -n "${BASH_REMATCH[2]}p" "${BASH_REMATCH[1]}" 2>/dev/null | grep -q '%l\['; then
		suppressed=$((suppressed + 1))
		continue
	fi
	kept+=$l$'\n'
done <<<"$cp_out"
cp_out=$kept
cp_err=$(grep -c ': ERROR:' <<<"$cp_out" || true)
cp_warn=$(grep -c ': WARNING:' <<<"$cp_out" || true)
cp_check=$(grep -c ': CHECK:' <<<"$cp_out" || true)
cp_note=
[ $suppressed = 0 ] || cp_note=" ($suppressed known false positives dropped)"
report+=("$(printf '%-11s %-24s %s' checkpatch '--strict' "$cp_err errors, $cp_warn warnings, $cp_check checks$cp_note")")
if [ $((cp_err + cp_warn + cp_check)) -gt 0 ]; then
	fail=1
	{ echo "---- checkpatch"; grep -E ': (ERROR|WARNING|CHECK):' <<<"$cp_out" | head -n "$max"; } >>"$details"
fi

# ---------------------------------------------------------------------------- sparse

# A scratch copy, as in matrix.sh: C=2 re-checks every file and must not touch (or race
# with) the objects of a build in the work tree.
if [ -n "$kdir" ]; then
	kver=$(cat "$kdir/include/config/kernel.release" 2>/dev/null || echo "$kdir")
	kmake() { make -C "$kdir" "$@"; }
else
	"$MKVM_TOP/scripts/kernels.sh" ensure "$kernel"
	kline=$("$MKVM_TOP/scripts/kernels.sh" show "$kernel")
	kver=${kline%% *}
	kmake() { "$MKVM_TOP/scripts/kernels.sh" kmake "$kernel" "$@"; }
fi
scratch=$LINT/sparse-src
rm -rf "$scratch"
mkdir -p "$scratch"
git ls-files -z -co --exclude-standard 2>/dev/null |
	tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$scratch"
sp_log=$LINT/sparse.log
sp_rc=0
# C=2 compiles too, so gcc's diagnostics are in the same log: a wrapper marks sparse's own
# lines with "sparse: " so that only they are counted here (matrix.sh counts gcc's).
wrap=$LINT/sparse-wrap
cat >"$wrap" <<'EOF'
#!/bin/bash
set -o pipefail
sparse "$@" 2>&1 | sed 's/^/sparse: /' >&2
EOF
chmod +x "$wrap"
kmake M="$scratch" C=2 CHECK="$wrap" -j2 modules \
	>"$sp_log" 2>&1 || sp_rc=$?
# Our files appear as $scratch/...; make them read like paths in the tree.
sp_ours=$(sed -n "s|^sparse: $scratch/||p" "$sp_log" | grep -E ': (warning|error):' || true)
sp_other=$(grep -E '^sparse: .*: (warning|error):' "$sp_log" | grep -vc "^sparse: $scratch/" || true)
sp_n=$(grep -c . <<<"$sp_ours" || true)
sp_note=
[ "$sp_other" -gt 0 ] && sp_note=" (+$sp_other outside our files, not counted)"
if [ $sp_rc != 0 ]; then
	report+=("$(printf '%-11s %-24s %s' sparse "$kver" "build failed (log: $sp_log)")")
	fail=1
else
	report+=("$(printf '%-11s %-24s %s' sparse "$kver" "$sp_n warnings$sp_note")")
fi
if [ "$sp_n" -gt 0 ]; then
	fail=1
	{ echo "---- sparse ($kver)"; head -n "$max" <<<"$sp_ours"; } >>"$details"
fi
if [ $sp_rc != 0 ]; then
	{ echo "---- sparse build ($kver) failed:"; grep -E 'error|\*\*\*' "$sp_log" | sed "s|$scratch/||g" | head -n "$max"; } >>"$details"
fi

# ---------------------------------------------------------------------------- kernel-doc

kd_out=""
if [ ${#cfiles[@]} -gt 0 ]; then
	# 6.1's kernel-doc has no -Wall (newer ones do); -v is its equivalent (adds the
	# "no description for return value" checks) and also prints info: lines, ignored here.
	kd_out=$(perl "$TOOLS/kernel-doc" -none -v "${cfiles[@]}" 2>&1 || true)
	! grep -q '^Usage:' <<<"$kd_out" || die "kernel-doc refused its arguments: $(head -n1 <<<"$kd_out")"
fi
kd_n=$(grep -Ec ': (warning|error):' <<<"$kd_out" || true)
report+=("$(printf '%-11s %-24s %s' kernel-doc '-v' "$kd_n warnings")")
if [ "$kd_n" -gt 0 ]; then
	fail=1
	{ echo "---- kernel-doc"; grep -E ': (warning|error):' <<<"$kd_out" | head -n "$max"; } >>"$details"
fi

# ---------------------------------------------------------------------------- commits

# Kernel style for commit messages from here on (issue 19); earlier history stays as it is.
MKVM_STYLE_BASE=${MKVM_STYLE_BASE:-2dcf88e}
if git rev-parse -q --verify "$MKVM_STYLE_BASE^{commit}" >/dev/null 2>&1; then
	cm_bad=""
	cm_n=0
	while IFS= read -r c; do
		cm_n=$((cm_n + 1))
		subj=$(git log -1 --format=%s "$c")
		body=$(git log -1 --format=%b "$c" | grep -v '^\s*$' | grep -vc '^[A-Za-z-]*-by: ' || true)
		if [ ${#subj} -gt 72 ]; then
			cm_bad+="$c: subject has ${#subj} characters (72 at most): $subj"$'\n'
		fi
		if ! [[ $subj =~ ^[A-Za-z0-9_./,+\ -]+:\ [^\ ] ]]; then
			cm_bad+="$c: subject is not \"area: what\": $subj"$'\n'
		fi
		if [ "$body" = 0 ]; then
			cm_bad+="$c: no body saying why: $subj"$'\n'
		fi
	done < <(git rev-list --no-merges --reverse "$MKVM_STYLE_BASE..HEAD")
	# checkpatch's checks of the message itself; the code is checked with -f above.
	if [ "$cm_n" -gt 0 ]; then
		cm_cp=$(perl "$TOOLS/checkpatch.pl" --no-tree --terse --no-summary --color=never \
			--show-types --types COMMIT_LOG_LONG_LINE,MISSING_COMMIT_DESCRIPTION,GIT_COMMIT_ID \
			--git "$MKVM_STYLE_BASE..HEAD" 2>&1 | grep -E ': (ERROR|WARNING|CHECK):' || true)
		[ -z "$cm_cp" ] || cm_bad+="$cm_cp"$'\n'
	fi
	cm_f=$(grep -c . <<<"${cm_bad%$'\n'}" || true)
	report+=("$(printf '%-11s %-24s %s' commits "$MKVM_STYLE_BASE.." "$cm_n commits, $cm_f findings")")
	if [ "$cm_f" -gt 0 ]; then
		fail=1
		{ echo "---- commits"; head -n "$max" <<<"$cm_bad"; } >>"$details"
	fi
else
	report+=("$(printf '%-11s %-24s %s' commits "$MKVM_STYLE_BASE.." "skipped: not in this clone's history")")
fi

# ---------------------------------------------------------------------------- report

cat "$details"
echo
echo "lint: ${#files[@]} files in module/ and uapi/"
printf '%s\n' "${report[@]}"
[ $fail = 0 ] && echo "lint: clean" || echo "lint: FAILED"
exit $fail
