#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/upstream-selftests.sh - Linux 6.1's own KVM selftests (tools/testing/selftests/kvm)
# as a conformance suite: built from Debian's linux-source-6.1 at test time, run in an
# emulated machine against /dev/kvm (stock kvm_amd/kvm_intel, the reference) and, through a
# bind mount of /dev/minikvm onto /dev/kvm, against minikvm. Issue 5, item 6.
#
# usage: scripts/upstream-selftests.sh build
#        scripts/upstream-selftests.sh stage [--quick] [--filter GLOB,...] [--timeout-scale N] DIR
#        scripts/upstream-selftests.sh run [--machine qemu-svm|bochs-vmx] [--kernel SEL]
#                                          [--ko FILE] [--filter GLOB,...] [--devices kvm,minikvm]
#                                          [--quick] [--timeout-scale N] [--mem MiB]
#                                          [--vm-timeout S] --out DIR
#        scripts/upstream-selftests.sh table RESULTS.KTAP [NOT-RUN-LIST]
#
#   build   build the x86_64 KVM selftests statically, with make -k, into
#           $MKVM_CACHE/kvm-selftests-6.1/ (once; a stamp keys it on the source and on this
#           script's build recipe) and print that directory. It holds built.list (targets
#           that built) and failed.list (those that did not, each with its first error).
#   stage   lay out DIR for scripts/mkinitramfs.sh --tests: the binaries under
#           DIR/upstream/, the wrapper and expected-failure list of selftests/upstream/,
#           and DIR/run-list with every built test twice, NAME.kvm and NAME.minikvm
#           (arguments and time limits from selftests/upstream/tests.conf). --quick
#           leaves out the tests tests.conf marks quick=no (listed in upstream/not-run.list)
#           and the /dev/kvm half of those marked quick=minikvm; --filter and
#           --timeout-scale as for run (check.sh's vmx-6.1 step adds such a DIR to its own).
#   run     build, stage, make the initramfs, boot it (scripts/vm-test.sh) and print the
#           table. --kernel is a scripts/kernels.sh selector (default 6.1); --ko defaults
#           to module/minikvm.ko (built for that kernel if missing); --filter picks
#           run-list names (shell globs: `cpuid_test.*`, `*.minikvm`, `xapic_*`);
#           (and stages only their binaries); --devices leaves one device out; --quick as
#           for stage (the upstream-svm step of check.sh); --timeout-scale multiplies every time limit
#           (Bochs runs ~9x slower than real time); --vm-timeout is vm-test.sh's --timeout,
#           the wall-clock limit of the whole boot. The last line is
#           "N passed, N failed, N skipped" over both devices, XFAIL counted as skipped.
#   table   the table of a results.ktap: test | kvm | minikvm (* marks the 17 of
#           selftests/upstream/targets), then every verdict other than PASS/SKIP with the
#           test's own reason, then what passes on kvm but skips on minikvm and why, then
#           the counts line. NOT-RUN-LIST: the tests --quick left out.
#
# Verdicts: PASS, SKIP (exit 4, KSFT_SKIP), FAIL, TIMEOUT, and for tests listed in
# selftests/upstream/expected-failures, XFAIL (failed as expected: not a failure) and XPASS
# (passed although listed: take it off the list). See Documentation/testing.md.
#
# Nothing of the kernel tree is ever committed: the sources live in the cache.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UPSTREAM_DIR=$MKVM_TOP/selftests/upstream
# Bump when the build recipe below changes: the cached build is rebuilt.
BUILD_RECIPE=v3

usage() {
	sed -n '9,44s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# ------------------------------------------------------------------------------ build
# The selftests want `make headers_install` of a full kernel tree; we use the installed
# linux-libc-dev instead, which is the same 6.1 release as linux-source-6.1 on Debian 12
# (checked below), plus scripts/subarch.include, the one file outside tools/ their
# Makefile reads. The tests are linked statically: the initramfs has no libc of its own
# to speak of, and a static binary behaves the same on every kernel we boot.
cmd_build() {
	local src dest stamp key lsv hdrv
	src=$("$MKVM_TOP/scripts/linux-source.sh")
	need_pkgs linux-libc-dev make gcc xz-utils
	lsv=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	hdrv=$(dpkg-query -W -f='${Version}' linux-libc-dev)
	[ "$lsv" = "$hdrv" ] ||
		log "upstream: note: linux-source-6.1 $lsv but linux-libc-dev $hdrv (uapi headers may differ)"
	dest=$MKVM_CACHE/kvm-selftests-6.1
	key="$BUILD_RECIPE source=$lsv headers=$hdrv gcc=$(gcc -dumpfullversion)"
	stamp=$dest/.built
	mkdir -p "$MKVM_CACHE"
	# Two engineers' runs must not build into the same directory at once.
	exec 9>"$MKVM_CACHE/kvm-selftests-6.1.lock"
	flock 9
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
		echo "$dest"
		exec 9>&-
		return 0
	fi
	log "upstream: building tools/testing/selftests/kvm (x86_64, static, make -k) into $dest"
	rm -rf "$dest"
	mkdir -p "$dest/src" "$dest/out"
	cp -a "$src/tools" "$dest/src/"
	mkdir -p "$dest/src/scripts"
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$dest/src" --strip-components=1 \
		linux-source-6.1/scripts/subarch.include
	local kvm=$dest/src/tools/testing/selftests/kvm
	# hardware_disable_test forks 512 VMs (FORK_NUM) and has no option to run fewer; under
	# TCG its time is the L1 scheduler's and ran from 478 s to 2258 s. Our copy takes
	# the count as an optional first argument (tests.conf gives it), 512 without one.
	local hdt=$kvm/hardware_disable_test.c
	sed -i 's/^#define FORK_NUM (1ULL << 9)$/#define FORK_NUM (argc > 1 ? strtoull(argv[1], NULL, 0) : 1ULL << 9)/' "$hdt"
	grep -q 'argc > 1 ? strtoull' "$hdt" ||
		log "upstream: note: hardware_disable_test.c has no FORK_NUM (1ULL << 9); it runs its 512 rounds"
	# Every target the Makefile defines for x86_64, as the relative names it builds.
	local printer=$dest/print-targets.mk
	# (printf, not a here-document: the recipe needs its tab)
	# shellcheck disable=SC2016 # make's variables, not the shell's
	printf 'print-targets:\n\t@printf "%%s\\n" %s\n' \
		'$(patsubst $(OUTPUT)/%,%,$(TEST_GEN_PROGS)) $(TEST_PROGS)' > "$printer"
	local mkargs=(-C "$kvm" ARCH=x86_64 OUTPUT="$dest/out"
		KHDR_INCLUDES="-isystem /usr/include" EXTRA_CFLAGS=-static)
	make -s "${mkargs[@]}" -f Makefile -f "$printer" print-targets > "$dest/targets.list"
	nice make -k -j"$(nproc)" "${mkargs[@]}" > "$dest/build.log" 2>&1 || true
	: > "$dest/built.list"
	: > "$dest/failed.list"
	local t why
	while read -r t; do
		if [[ $t == *.sh ]]; then
			# A script (nx_huge_pages_test.sh): "built" if its helper binary is.
			cp "$kvm/$t" "$dest/out/$t"
			[ -x "$dest/out/${t%.sh}" ] && echo "$t" >> "$dest/built.list" && continue
			echo "$t: its helper ${t%.sh} did not build" >> "$dest/failed.list"
		elif [ -x "$dest/out/$t" ]; then
			echo "$t" >> "$dest/built.list"
		else
			# The first compiler or linker error of the target's source file, or, when it
			# is in a header, the first error after "In file included from NAME.c".
			why=$(awk -v f="${t##*/}.c" '
				index($0, f ":") && / (error|undefined)/ { print; exit }
				index($0, "In file included from " f) || index($0, "included from " f ":") { inc = 1; next }
				inc && /error:/ { print "(via " f ") " $0; exit }' "$dest/build.log" |
				sed "s|$dest/src/||g; s|/tmp/[^ ]*selftests/kvm/||g") || true
			echo "$t: ${why:-no binary (see build.log)}" >> "$dest/failed.list"
		fi
	done < "$dest/targets.list"
	log "upstream: $(grep -c . "$dest/built.list") targets built, $(grep -c . "$dest/failed.list" || true) did not:"
	sed 's/^/    /' "$dest/failed.list" >&2
	echo "$key" > "$stamp"
	exec 9>&-
	echo "$dest"
}

# ------------------------------------------------------------------------------ stage
# conf_line TEST: the tests.conf line of TEST ("timeout=S ARGS..."), or "timeout=DEFAULT".
conf_for() {
	local t=$1 line def
	def=$(awk '$1 == "default" { sub(/^default[ \t]+/, ""); print; exit }' "$UPSTREAM_DIR/tests.conf")
	line=$(awk -v t="$t" '$1 == t { sub(/^[^ \t]+[ \t]+/, ""); print; exit }' "$UPSTREAM_DIR/tests.conf")
	echo "${line:-$def}"
}

cmd_stage() {
	local dir=$1 quick=${2:-} build t name conf tmo args d w slow
	[ -n "$dir" ] || die "upstream: stage needs a directory"
	build=$(cmd_build)
	rm -rf "$dir"
	mkdir -p "$dir/upstream/bin"
	: > "$dir/upstream/not-run.list"
	install -m 0755 "$UPSTREAM_DIR/run.sh" "$UPSTREAM_DIR/table.sh" "$dir/upstream/"
	cp "$UPSTREAM_DIR/expected-failures" "$dir/upstream/"
	cp "$build/built.list" "$build/failed.list" "$dir/upstream/"
	{
		echo "# generated by scripts/upstream-selftests.sh stage: Linux 6.1 KVM selftests,"
		echo "# each on /dev/kvm (NAME.kvm) and on /dev/minikvm bound onto /dev/kvm (NAME.minikvm)"
	} > "$dir/run-list"
	while read -r t; do
		mkdir -p "$dir/upstream/bin/$(dirname "$t")"
		cp "$build/out/$t" "$dir/upstream/bin/$t"
		[[ $t == *.sh ]] && cp "$build/out/${t%.sh}" "$dir/upstream/bin/${t%.sh}"
		# Debug info is half the size of the image, and the guest keeps it all in RAM.
		[[ $t == *.sh ]] || strip -g "$dir/upstream/bin/$t"
		name=${t##*/}
		name=${name%.sh}
		conf=$(conf_for "$name")
		# Leading key=value words are ours (timeout=, quick=no), the rest the test's.
		tmo=60 slow='' args=''
		for w in $conf; do
			case "$w" in
			timeout=*) [ -z "$args" ] && tmo=${w#timeout=} && continue ;;
			quick=no) [ -z "$args" ] && slow=all && continue ;;
			quick=minikvm) [ -z "$args" ] && slow=kvm && continue ;;
			esac
			args="$args${args:+ }$w"
		done
		if [ -n "$quick" ] && [ "$slow" = all ]; then
			echo "$name" >> "$dir/upstream/not-run.list"
			continue
		fi
		# init's own limit is the backstop: run.sh times the test out first (and can
		# then call it TIMEOUT or XFAIL); 30 s more for it to report.
		for d in kvm minikvm; do
			# quick=minikvm: too slow on the stock KVM under TCG only.
			[ -n "$quick" ] && [ "$slow" = "$d" ] && continue
			echo "$name.$d timeout=$((tmo + 30)) codes=ksft UPSTREAM_TIMEOUT=$tmo upstream/run.sh $d $name bin/$t $args"
		done >> "$dir/run-list"
	done < "$build/built.list"
	echo "upstream_table timeout=30 upstream/table.sh" >> "$dir/run-list"
	log "upstream: staged $(grep -c . "$build/built.list") tests in $dir${quick:+ (quick: $(grep -c . "$dir/upstream/not-run.list") slow ones left out)}"
}

# ------------------------------------------------------------------------------ table
# The table from a results.ktap: what run.sh printed ("upstream: NAME DEVICE VERDICT ...")
# is the source; a test with a top-level result but no such line (init killed it, the
# machine died) is TIMEOUT or FAIL from the KTAP line itself.
cmd_table() {
	local res=$1 notrun=${2:-/dev/null}
	[ -f "$res" ] || die "upstream: table: no such file $res"
	[ -f "$notrun" ] || notrun=/dev/null
	awk '
	FILENAME == ARGV[1] { if (NF && $1 !~ /^#/) target[$1] = 1; next }
	FILENAME == ARGV[2] { if (NF) slow[$1] = 1; next }
	/^# upstream: [^ ]+ (kvm|minikvm) (PASS|SKIP|FAIL|TIMEOUT|XFAIL|XPASS)/ {
		t = $3; d = $4; v[t, d] = $5
		why = $0; sub(/^# upstream: [^ ]+ [^ ]+ [A-Z]+ ?/, "", why); reason[t, d] = why
		if (!(t in seen)) { seen[t] = 1; order[++n] = t }
		next
	}
	/^# [^ ]+\.(kvm|minikvm): timed out after/ {
		split($2, q, "."); sub(/:$/, "", q[2]); to[q[1], q[2]] = 1; next
	}
	/^(not )?ok [0-9]+ [^ ]+\.(kvm|minikvm)/ {
		name = ($1 == "not") ? $4 : $3
		split(name, q, "."); t = q[1]; d = q[2]
		if (!(t in seen)) { seen[t] = 1; order[++n] = t }
		if ((t, d) in v) next
		v[t, d] = ($1 == "not") ? (((t, d) in to) ? "TIMEOUT" : "FAIL") : "PASS"
		if ($0 ~ /# SKIP/) v[t, d] = "SKIP"
		reason[t, d] = "killed by init after its run-list timeout, or the machine died (see results.ktap)"
	}
	END {
		for (t in slow) if (!(t in seen)) { seen[t] = 1; order[++n] = t }
		printf "%-38s %-8s %-8s\n", "test", "kvm", "minikvm"
		printf "%-38s %-8s %-8s\n", "----", "---", "-------"
		for (i = 1; i <= n; i++) {
			t = order[i]
			if (t in slow && !((t, "kvm") in v) && !((t, "minikvm") in v)) {
				printf "%-38s %-17s\n", t (t in target ? " *" : ""), "not run (quick=no in tests.conf)"
				if (t in target) ntarget++
				continue
			}
			a = ((t, "kvm") in v) ? v[t, "kvm"] : "-"
			b = ((t, "minikvm") in v) ? v[t, "minikvm"] : "-"
			printf "%-38s %-8s %-8s\n", t (t in target ? " *" : ""), a, b
			if (t in target) { ntarget++; if (b == "PASS" || b == "XPASS") tpass++ }
			if (a == "PASS" && b == "SKIP")
				sk[++ns_] = sprintf("  %s: %s", t, reason[t, "minikvm"])
			for (j = 1; j <= 2; j++) {
				d = (j == 1) ? "kvm" : "minikvm"
				x = ((t, d) in v) ? v[t, d] : ""
				if (x == "PASS" || x == "XPASS") np++
				else if (x == "SKIP" || x == "XFAIL") ns++
				else if (x != "") nf++
				if (x == "PASS" || x == "SKIP" || x == "") continue
				cnt[x]++
				note[++m] = sprintf("  %-7s %s on %s: %s", x, t, d, reason[t, d])
			}
		}
		if (m) { print ""; print "not PASS or SKIP, and why (XFAIL: on selftests/upstream/expected-failures):" }
		for (i = 1; i <= m; i++) print note[i]
		if (ns_) { print ""; print "PASS on kvm but SKIP on minikvm (what minikvm does not advertise):" }
		for (i = 1; i <= ns_; i++) print sk[i]
		print ""
		printf "* targets (selftests/upstream/targets): %d of the %d run or listed PASS on minikvm\n", \
			tpass, ntarget
		printf "upstream: PASS %d, FAIL %d, TIMEOUT %d, XFAIL %d, XPASS %d, SKIP %d\n", \
			np - cnt["XPASS"], nf - cnt["TIMEOUT"], cnt["TIMEOUT"], cnt["XFAIL"], cnt["XPASS"], \
			ns - cnt["XFAIL"]
		printf "%d passed, %d failed, %d skipped\n", np, nf, ns
	}' "$UPSTREAM_DIR/targets" "$notrun" "$res"
}

# ------------------------------------------------------------------------------ run
# cmd_select DIR FILTER SCALE: in a staged DIR, keep only the run-list lines whose names
# match FILTER (comma-separated shell globs; empty: all) and only their binaries, and
# multiply every time limit by SCALE.
cmd_select() {
	local dir=$1 filter=$2 scale=$3
	# Only the matching run-list lines, and only their binaries: the image shrinks from
	# ~39 MB to a few, which matters on Bochs, whose BIOS loads the initramfs at ~0.15 MB
	# per second of wall time.
	if [ -n "$filter" ]; then
		local line name g keepit bin
		local -a globs
		IFS=, read -r -a globs <<< "$filter"
		: > "$dir/run-list.tmp"
		while IFS= read -r line; do
			name=${line%% *}
			keepit=
			[[ $line == \#* || $name == upstream_table ]] && keepit=1
			for g in "${globs[@]}"; do
				# shellcheck disable=SC2053 # the glob is the point
				[[ $name == $g ]] && keepit=1
			done
			[ -n "$keepit" ] && printf '%s\n' "$line" >> "$dir/run-list.tmp"
		done < "$dir/run-list"
		mv "$dir/run-list.tmp" "$dir/run-list"
		( cd "$dir/upstream" && find bin -type f ) | while read -r bin; do
			grep -qF " $bin" "$dir/run-list" ||
				grep -qF " ${bin%/*}/$(basename "$bin").sh" "$dir/run-list" ||
				rm -f "$dir/upstream/$bin"
		done
	fi
	if [ "$scale" != 1 ]; then
		awk -v s="$scale" '{
			for (i = 2; i <= NF; i++) {
				if ($i ~ /^timeout=/) { sub(/^timeout=/, "", $i); $i = "timeout=" ($i * s) }
				if ($i ~ /^UPSTREAM_TIMEOUT=/) { sub(/^UPSTREAM_TIMEOUT=/, "", $i); $i = "UPSTREAM_TIMEOUT=" ($i * s) }
			}
			print }' "$dir/run-list" > "$dir/run-list.tmp"
		mv "$dir/run-list.tmp" "$dir/run-list"
	fi
}

cmd_run() {
	local machine=qemu-svm sel=6.1 ko='' filter='' out='' devices=kvm,minikvm scale=1 mem=3072 vmtmo=''
	local quick=
	while [ $# -gt 0 ]; do
		case "$1" in
		--machine) machine=$2; shift 2 ;;
		--kernel) sel=$2; shift 2 ;;
		--ko) ko=$2; shift 2 ;;
		--filter) filter=$2; shift 2 ;;
		--devices) devices=$2; shift 2 ;;
		--timeout-scale) scale=$2; shift 2 ;;
		--mem) mem=$2; shift 2 ;;
		--vm-timeout) vmtmo=$2; shift 2 ;;
		--quick) quick=1; shift ;;
		--out) out=$2; shift 2 ;;
		*) die "upstream: run: unknown argument '$1' (see --help)" ;;
		esac
	done
	[ -n "$out" ] || die "upstream: run needs --out DIR"
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	local kline kver vmlinuz modroot kdir
	scripts_kernels() { "$MKVM_TOP/scripts/kernels.sh" "$@"; }
	scripts_kernels ensure "$sel" >&2 || die "upstream: cannot provide kernel $sel"
	kline=$(scripts_kernels show "$sel")
	read -r kver vmlinuz modroot kdir <<< "$kline"
	if [ -z "$ko" ]; then
		ko=$MKVM_TOP/module/minikvm.ko
		if [ ! -f "$ko" ] || [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" != "$kver" ] ||
			[ -n "$(find "$MKVM_TOP/module" -name '*.[ch]' -newer "$ko" -print -quit)" ]; then
			log "upstream: building module/minikvm.ko for $kver"
			make -C "$kdir" M="$MKVM_TOP/module" >"$out/module.log" 2>&1 ||
				{ tail -n 20 "$out/module.log" >&2; die "upstream: module does not build"; }
		fi
	fi
	cmd_stage "$out/tests" "$quick"
	# --devices: drop the other device's lines (the run-list names end in .DEVICE).
	local d keep=
	for d in kvm minikvm; do
		[[ ",$devices," == *",$d,"* ]] || keep="$keep -e /\\.${d}[[:space:]]/d"
	done
	# shellcheck disable=SC2086 # keep is sed words
	[ -z "$keep" ] || sed -i $keep "$out/tests/run-list"
	cmd_select "$out/tests" "$filter" "$scale"
	log "upstream: initramfs for $kver"
	"$MKVM_TOP/scripts/mkinitramfs.sh" --kver "$kver" --modroot "$modroot" --ko "$ko" \
		--tests "$out/tests" -o "$out/initrd.gz" >"$out/mkinitramfs.log" 2>&1 ||
		{ tail -n 20 "$out/mkinitramfs.log" >&2; die "upstream: initramfs failed"; }
	local append="mkvm.filter=${filter:+$filter,}upstream_table"
	[ -n "$filter" ] || append=
	log "upstream: booting $kver on $machine (logs in $out)"
	local rc=0
	nice "$MKVM_TOP/scripts/vm-test.sh" --machine "$machine" --kernel "$vmlinuz" \
		--initrd "$out/initrd.gz" --mem "$mem" --out "$out" ${append:+--append "$append"} ${vmtmo:+--timeout "$vmtmo"} \
		> "$out/vm-test.log" 2>&1 || rc=$?
	grep -vE '^(PASS|SKIP) ' "$out/vm-test.log" | grep -vE '^[0-9]+ passed' >&2 || true
	cmd_table "$out/results.ktap" "$out/tests/upstream/not-run.list" | tee "$out/table.txt"
	return $rc
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
build) cmd_build ;;
stage)
	quick='' filter='' scale=1
	while [ $# -gt 1 ]; do
		case "$1" in
		--quick) quick=1; shift ;;
		--filter) filter=$2; shift 2 ;;
		--timeout-scale) scale=$2; shift 2 ;;
		*) usage ;;
		esac
	done
	[ $# = 1 ] || usage
	cmd_stage "$1" "$quick"
	cmd_select "$1" "$filter" "$scale"
	;;
table)
	if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
	cmd_table "$@"
	;;
run) cmd_run "$@" ;;
-h|--help) usage ;;
*) die "upstream: unknown command '$cmd' (see --help)" ;;
esac
