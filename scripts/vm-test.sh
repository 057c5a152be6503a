#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scripts/vm-test.sh - boot a kernel + test initramfs in an emulated machine with hardware
# virtualization, collect the guest's KTAP results and judge the boot.
#
# usage: scripts/vm-test.sh --machine qemu-svm|bochs-vmx --kernel VMLINUZ --initrd CPIO
#                           [--append EXTRA] [--timeout SECONDS] [--stall SECONDS]
#                           [--mem MiB] [--cpus N] --out DIR
#
#   --machine    qemu-svm:  QEMU TCG, -cpu EPYC,+svm,+npt (AMD SVM with nested paging)
#                bochs-vmx: Bochs 2.7, broadwell_ult (Intel VMX with EPT), ISO boot
#   --kernel     bzImage/vmlinuz to boot
#   --initrd     initramfs from scripts/mkinitramfs.sh
#   --append     extra kernel command line (e.g. mkvm.filter=sys_api)
#   --timeout    wall-clock limit for the whole boot, default 1200 (qemu) / 2400 (bochs) s
#   --stall      fail as hung once neither console.log nor results.ktap has grown for this
#                long (the guest init prints a heartbeat every 20 s guest time), default
#                180 (qemu) / 1200 (bochs) s wall
#   --mem        guest RAM in MiB, default 2048
#   --cpus       guest CPUs, default 2
#   --out        directory for console.log, results.ktap, summary (and bochs files)
#
# Environment: MKVM_TCG=single|multi (QEMU's TCG threading, default single; see below),
# MKVM_BOCHS_CPU=MODEL (Bochs CPU model, default broadwell_ult), MKVM_QEMU=patched (QEMU 7.2
# with our nested-SVM fix, built by scripts/qemu.sh; check.sh sets it for every QEMU-SVM
# step; default: Debian's qemu-system-x86),
# MKVM_QEMU_LOG=1|int (QEMU's reset/interrupt log, below).
#
# Exit 0 only if the guest's end marker arrived, every top-level KTAP result is ok or SKIP,
# and console.log holds no panic/BUG/WARNING/... line; 1 otherwise; 2 on bad usage.
# Prints "PASS|FAIL|SKIP name" per test and "N passed, N failed, N skipped" last.
# DIR/summary: "passed=N failed=N skipped=N" then "status=ok|fail wall_seconds=N
# boot_seconds=N" (shell-sourceable).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	sed -n '5,28s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# The end marker the guest init prints after its KTAP document (scripts/guest/init).
END_MARKER='# MKVM-END'
# Console lines that fail a boot. Keep in step with DMESG_BAD in scripts/guest/init (this
# one also sees boot and shutdown, and the panic itself).
CONSOLE_BAD='Kernel panic|BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|Call Trace|possible circular locking|inconsistent lock state|possible recursive locking|sleeping function called from invalid context|suspected memory leak|detected stalls on CPU|hard LOCKUP|blocked for more than'

# Lines that match CONSOLE_BAD but are not errors (kept short and specific on purpose).
# - SRSO: the emulated EPYC reports Zen without the microcode fix; 6.1+ prints "WARNING:".
CONSOLE_IGNORE='Speculative Return Stack Overflow: WARNING:'

machine='' kernel='' initrd='' append='' timeout='' stall='' mem=2048 cpus=2 out=''
need_val() { [ "$2" -ge 2 ] || die "vm-test: option $1 needs a value"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--machine) need_val "$1" $#; machine=$2; shift 2 ;;
	--kernel) need_val "$1" $#; kernel=$2; shift 2 ;;
	--initrd) need_val "$1" $#; initrd=$2; shift 2 ;;
	--append) need_val "$1" $#; append=$2; shift 2 ;;
	--timeout) need_val "$1" $#; timeout=$2; shift 2 ;;
	--stall) need_val "$1" $#; stall=$2; shift 2 ;;
	--mem) need_val "$1" $#; mem=$2; shift 2 ;;
	--cpus) need_val "$1" $#; cpus=$2; shift 2 ;;
	--out) need_val "$1" $#; out=$2; shift 2 ;;
	-h|--help) usage ;;
	*) die "vm-test: unknown argument '$1' (see --help)" ;;
	esac
done
case "$machine" in
# Bochs runs ~5-10x slower than real time and is silent for ~2 min while isolinux loads.
qemu-svm) : "${timeout:=1200}" "${stall:=180}" ;;
bochs-vmx) : "${timeout:=2400}" "${stall:=1200}" ;;
'') die "vm-test: --machine is required (qemu-svm or bochs-vmx)" ;;
*) die "vm-test: unknown machine '$machine' (qemu-svm or bochs-vmx)" ;;
esac
[ -n "$kernel" ] || die "vm-test: --kernel is required"
[ -f "$kernel" ] || die "vm-test: --kernel $kernel: no such file"
[ -n "$initrd" ] || die "vm-test: --initrd is required"
[ -f "$initrd" ] || die "vm-test: --initrd $initrd: no such file"
[ -n "$out" ] || die "vm-test: --out DIR is required"
for v in timeout stall mem cpus; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "vm-test: --$v wants a positive integer, got '${!v}'"
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
console=$out/console.log
results=$out/results.ktap
rm -rf "$console" "$results" "$out/summary" "$out/emulator.log" "$out/boot.iso"
# Both must exist before the emulator starts: the monitor loop greps them.
: > "$console"
: > "$results"

# ------------------------------------------------------------------ Bochs boot media
# Bochs has no -kernel option: boot an isolinux CD holding the kernel and the initramfs.
# isolinux reading them through BIOS int 13h is slow in Bochs (~4.5e9 emulated instructions,
# about half of the wall time of a boot to init). Loading them straight into RAM with
# `optramimage` does not work in Bochs 2.7: it reads a file into the host buffer of the
# first 128 KiB guest block only, and later blocks are mapped elsewhere (first-touch order).
bochs_iso_boot() {
	local iso=$out/bochs-iso
	rm -rf "$iso"
	mkdir -p "$iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
	cp "$kernel" "$iso/vmlinuz"
	cp "$initrd" "$iso/initrd.gz"
	cat > "$iso/isolinux/isolinux.cfg" <<-EOF
	default mkvm
	prompt 0
	timeout 0
	label mkvm
	  kernel /vmlinuz
	  initrd /initrd.gz
	  append $cmdline
	EOF
	xorriso -as mkisofs -quiet -o "$out/boot.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" \
		2> "$out/xorriso.log" || die "vm-test: xorriso failed (see $out/xorriso.log)"
	rm -rf "$iso"
	boot_lines="ata0-master: type=cdrom, path=$out/boot.iso, status=inserted
boot: cdrom"
}

# ------------------------------------------------------------------ build the command line
case "$machine" in
qemu-svm)
	need_pkgs qemu-system-x86
	qemu="qemu-system-x86_64"
	case "${MKVM_QEMU:-}" in
	'') ;;
	patched) qemu=$("$(dirname "${BASH_SOURCE[0]}")/qemu.sh" path) || die "vm-test: scripts/qemu.sh failed" ;;
	*) die "vm-test: MKVM_QEMU must be empty or 'patched', not '$MKVM_QEMU'" ;;
	esac
	# panic=-1 + -no-reboot: a panic ends QEMU at once. No oops=panic: after an oops the
	# guest keeps going, so its init still names the test that oopsed and reports the rest;
	# the oops itself fails the boot through the console scan.
	# thread=single: Debian's QEMU 7.2 multi-threaded TCG wedges both guest CPUs (soft
	# lockup in finish_task_switch, int3 on the stack) when the guest live-patches code
	# another vCPU is executing. Stock KVM does exactly that on every VM create/destroy
	# (preempt_notifier_inc/dec flip a static key), so 100 create/destroy cycles on
	# /dev/kvm hung the guest reliably; with one TCG thread they take 2 s.
	# MKVM_TCG=multi restores multi-threaded TCG: nested Linux boots (mkvm's suite)
	# hang about one time in four under thread=single (guest stuck with interrupts
	# off in the spinlock/halt path: QEMU delivering an injected interrupt twice, fixed
	# by MKVM_QEMU=patched, Documentation/testing.md) and rarely under multi, while
	# creating and destroying many KVM VMs only works under single. So each suite picks.
	case "${MKVM_TCG:-single}" in
	single|multi) ;;
	*) die "vm-test: MKVM_TCG must be single or multi, not '$MKVM_TCG'" ;;
	esac
	# shellcheck disable=SC2054 # the commas belong to QEMU's option syntax
	cmd=("$qemu" -accel "tcg,thread=${MKVM_TCG:-single}" -cpu EPYC,+svm,+npt -smp "$cpus" -m "$mem"
		-nographic -no-reboot -nic none
		-monitor "unix:$out/qemu-monitor.sock,server=on,wait=off"
		-kernel "$kernel" -initrd "$initrd"
		-append "console=ttyS0,115200 panic=-1 unknown_nmi_panic $append"
		-serial "file:$console" -serial "file:$results")
	# MKVM_QEMU_LOG=1: QEMU logs the CPU state of every reset (an L1 triple fault ends
	# QEMU silently under -no-reboot) and guest errors to qemu-debug.log; =int adds every
	# interrupt and exception with the registers (gigabytes: for the last ones before a
	# triple fault).
	# shellcheck disable=SC2054 # QEMU's syntax again
	case "${MKVM_QEMU_LOG:-}" in
	'') ;;
	int) cmd+=(-d int,cpu_reset,guest_errors -D "$out/qemu-debug.log") ;;
	*) cmd+=(-d cpu_reset,guest_errors -D "$out/qemu-debug.log") ;;
	esac
	;;
bochs-vmx)
	need_pkgs bochs bochsbios vgabios xorriso isolinux syslinux-common
	# loglevel=5: the console gets warnings and worse, not the ~30 KB of boot chatter, which
	# Bochs transmits at the emulated 115200 baud while the kernel busy-waits (~2.5 s of
	# emulated time). The guest init scans the full kernel log anyway. --append loglevel=7
	# brings the chatter back.
	cmdline="console=ttyS0,115200 loglevel=5 panic=0 $append"
	# panic=0: the guest halts on panic (a reboot would boot again and rerun the tests); the
	# monitor loop below sees the panic on the console and stops Bochs.
	bochs_iso_boot
	# broadwell_ult, not corei7_skylake_x: Bochs' Skylake-X (and later) models declare a
	# 3.5 GHz TSC in CPUID leaves 0x15/0x16, which Linux trusts without calibrating, while
	# Bochs' TSC really runs at `ips`: guest time then runs 17.5x slow (a `sleep 5` took
	# minutes) and the XSAVE size in CPUID is inconsistent (6.1 WARNs and disables XSAVE).
	# Broadwell has no frequency leaves (the kernel calibrates against the PIT), has
	# XSAVE/AVX2, and VMX with EPT, VPID, unrestricted guest, shadow VMCS.
	# MKVM_BOCHS_CPU overrides the model for experiments.
	# clock sync=none: guest time follows executed instructions (ips), so the boot is
	# deterministic and in-guest timings are repeatable. rfb with timeout=0 is the only
	# display built that needs nobody to connect. The sound line avoids an abort at start.
	cat > "$out/bochsrc" <<-EOF
	megs: $mem
	cpu: model=${MKVM_BOCHS_CPU:-broadwell_ult}, count=$cpus, ips=200000000, reset_on_triple_fault=0
	romimage: file=/usr/share/bochs/BIOS-bochs-latest
	vgaromimage: file=/usr/share/vgabios/vgabios.bin
	display_library: rfb, options="timeout=0"
	speaker: enabled=0
	sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
	clock: sync=none, time0=local
	pci: enabled=1, chipset=i440fx
	$boot_lines
	com1: enabled=1, mode=file, dev=$console
	com2: enabled=1, mode=file, dev=$results
	mouse: enabled=0
	log: $out/bochs.log
	panic: action=fatal
	error: action=report
	info: action=report
	debug: action=ignore
	EOF
	# Debian's bochs is built with its debugger: -rc feeds it "c" (continue) at start.
	echo c > "$out/bochs.rc"
	cmd=(bochs -q -f "$out/bochsrc" -rc "$out/bochs.rc")
	;;
esac

# ------------------------------------------------------------------ run and watch
epid=
# monitor CMD: one HMP command over the monitor socket; its answer on stdout.
monitor() {
	timeout 20 python3 - "$out/qemu-monitor.sock" "$1" 2>&1 <<-'PY' || true
	import socket, sys, time
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.connect(sys.argv[1])
	s.settimeout(5)
	s.sendall(sys.argv[2].encode() + b"\n")
	buf, end = b"", time.time() + 10
	while time.time() < end:
	    try:
	        chunk = s.recv(65536)
	    except socket.timeout:
	        break
	    if not chunk:
	        break
	    buf += chunk
	sys.stdout.write(buf.decode("latin-1").replace("\r", ""))
	PY
}
# dump_cpus: when a QEMU guest hung or timed out, ask QEMU's monitor for every vCPU's
# registers (HMP "info registers -a") before it is killed: qemu-regs.txt, and each vCPU's
# RIP, RFLAGS and CPL printed. That tells an L1 spinning with interrupts off (both CPUs in
# one function) from a guest that waits. Then an NMI to every vCPU (HMP "nmi"): the
# kernel's unknown_nmi_panic (on the command line of every QEMU boot) makes the first CPU
# that takes it panic, which prints that CPU's stack and flushes whatever the console
# still held back (a lockup report stuck behind a held console lock, say). QEMU delivers
# it through LINT1, which Linux unmasks on the BSP only, so one stack at most; none means
# the BSP had NMIs blocked (GIF=0 or inside an NMI). Needs python3 for the Unix socket.
dump_cpus() {
	# Only QEMU-SVM has the socket (Bochs has no such monitor).
	[ -S "$out/qemu-monitor.sock" ] && command -v python3 >/dev/null || return 0
	monitor "info registers -a" >"$out/qemu-regs.txt"
	echo "vm-test: vCPU state at the end (all registers: $out/qemu-regs.txt):"
	grep -E '^(CPU#[0-9]+|RIP=)' "$out/qemu-regs.txt" | sed 's/^/    /' || true
	# Each local APIC's ISR/IRR: a vector left in service blocks every vector below it
	# (the timer's too) on that CPU, which silences it without a lockup report.
	local i cmds=
	for i in $(seq 0 $((cpus - 1))); do
		cmds+="cpu $i"$'\n'"info lapic"$'\n'
	done
	monitor "$cmds" >"$out/qemu-lapic.txt"
	echo "vm-test: local APICs (all of it: $out/qemu-lapic.txt):"
	grep -E '^(dumping local APIC state for CPU|ISR|IRR|APR|Timer)' "$out/qemu-lapic.txt" |
		sed 's/^/    /' || true
	local before
	before=$(stat -c %s "$console")
	monitor nmi >/dev/null
	for _ in $(seq 15); do
		grep -qa 'end Kernel panic' "$console" && break
		sleep 1
	done
	if [ "$(stat -c %s "$console")" = "$before" ]; then
		echo "vm-test: no console output after an NMI to every vCPU"
	else
		echo "vm-test: console after an NMI to every vCPU (console.log has all of it):"
		tail -c +"$((before + 1))" "$console" | tr -d '\r' | tail -n 60 | sed 's/^/    /'
	fi
}
stop_emulator() {
	[ -n "$epid" ] || return 0
	if kill -0 "$epid" 2>/dev/null; then
		kill -TERM "$epid" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$epid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$epid" 2>/dev/null || true
	fi
	wait "$epid" 2>/dev/null || true
	epid=
}
# Never leave an emulator behind, however this script ends.
trap stop_emulator EXIT
trap 'exit 130' INT TERM

# host_forks: how often this machine's kernel has logged a VM fork so far. CI and
# development machines can be VMs that get snapshotted or migrated while they run; their
# raw TSC jumps then (by 461202 s once, 2026-12-03), and TCG gives the guest the host's
# raw TSC: its clock leaps with it (our QEMU counts CLOCK_MONOTONIC instead, scripts/qemu/
# 0002-*.patch; Debian's does not). Counted before and after each boot, so that a
# failure at such a moment says so.
host_forks() { dmesg 2>/dev/null | grep -c 'virtual machine fork' || true; }
forks_before=$(host_forks)

log "vm-test: $machine, $cpus CPUs, $mem MiB, kernel $kernel, timeout ${timeout}s -> $out"
start=$SECONDS
"${cmd[@]}" < /dev/null > "$out/emulator.log" 2>&1 &
epid=$!

last_size=-1 last_change=$SECONDS tick=$SECONDS
why= # why the boot ended, if not by the guest's own poweroff after its end marker
while :; do
	if ! kill -0 "$epid" 2>/dev/null; then
		break
	fi
	# A loop of one second that took far longer: this machine itself was paused (a VM
	# being snapshotted). The emulator was paused too; that time is nobody's stall.
	gap=$((SECONDS - tick))
	if [ "$gap" -gt 30 ]; then
		log "vm-test: this machine was paused for about ${gap}s; not counted against the boot"
		start=$((start + gap)) last_change=$((last_change + gap))
	fi
	tick=$SECONDS
	if grep -qaF "$END_MARKER" "$results"; then
		# The guest powers off right after the marker; give it time to do so cleanly.
		for _ in $(seq 60); do
			kill -0 "$epid" 2>/dev/null || break
			sleep 0.5
		done
		break
	fi
	if grep -qa 'end Kernel panic' "$console"; then
		why="kernel panic"
		sleep 1 # let the emulator flush the rest of the panic message
		break
	fi
	if [ $((SECONDS - start)) -ge "$timeout" ]; then
		why="timed out after ${timeout}s (hang)"
		break
	fi
	size=$(($(stat -c %s "$console") + $(stat -c %s "$results")))
	if [ "$size" != "$last_size" ]; then
		last_size=$size
		last_change=$SECONDS
	elif [ $((SECONDS - last_change)) -ge "$stall" ]; then
		why="no output for ${stall}s: the guest hung"
		break
	fi
	sleep 1
done
case "$why" in *hang*|*hung*) dump_cpus ;; esac
stop_emulator
rm -f "$out/qemu-monitor.sock"
wall=$((SECONDS - start))
if [ "$(host_forks)" != "$forks_before" ]; then
	log "vm-test: this machine was snapshotted or forked during the boot (dmesg: 'virtual machine fork'); its raw TSC may have jumped"
fi

# ------------------------------------------------------------------ judge
# The kernel console writes CRLF; the results port is raw (LF) but strip CRs there too.
sed -i 's/\r$//' "$results" "$console"
problems=()
[ -n "$why" ] && problems+=("$why")
if ! grep -qaF "$END_MARKER" "$results"; then
	problems+=("no end marker from the guest")
	# The emulator left by itself, with no panic on the console: under -no-reboot
	# (QEMU) that is a reset of the whole machine, most likely a triple fault.
	if [ -z "$why" ] && [ "$machine" = qemu-svm ]; then
		problems+=("QEMU exited on its own: the machine reset, most likely a triple fault of the L1 kernel (MKVM_QEMU_LOG=1 logs the CPU state at the reset)")
		if grep -qa 'Triple fault' "$out/qemu-debug.log" 2>/dev/null; then
			echo "vm-test: QEMU's log of the first triple fault ($out/qemu-debug.log):"
			grep -a -m1 -A24 'Triple fault' "$out/qemu-debug.log" | sed 's/^/    /'
		fi
	fi
fi

passed=0 failed=0 skipped=0
declare -A seen=()
# count_result N VERDICT NAME [REASON]
count_result() {
	seen[$1]=1
	case "$2" in
	ok) echo "PASS $3"; passed=$((passed + 1)) ;;
	skip) echo "SKIP $3${4:+ ($4)}"; skipped=$((skipped + 1)) ;;
	*) echo "FAIL $3${4:+ ($4)}"; failed=$((failed + 1)) ;;
	esac
}
# Top-level results only: the tests' own KTAP is indented with "# ". A failure also prints
# the last lines its test wrote, so a CI log that keeps only the summary still shows the cause.
FAIL_CONTEXT=${FAIL_CONTEXT:-12}
ctx=()
while IFS= read -r line; do
	if [[ $line == "# "* ]]; then
		ctx+=("${line#\# }")
		[ "${#ctx[@]}" -le "$FAIL_CONTEXT" ] || ctx=("${ctx[@]:1}")
		continue
	fi
	if [[ $line =~ ^(not\ )?ok\ ([0-9]+)\ (.*)$ ]]; then
		n=${BASH_REMATCH[2]} rest=${BASH_REMATCH[3]}
		name=${rest%% # *}
		if [ -n "${BASH_REMATCH[1]}" ]; then
			count_result "$n" fail "$name"
			[ "${#ctx[@]}" -eq 0 ] || printf '    | %s\n' "${ctx[@]}"
		elif [[ $rest == *" # SKIP"* ]]; then
			reason=${rest#* # SKIP}
			count_result "$n" skip "$name" "${reason# }"
		else
			count_result "$n" ok "$name"
		fi
		ctx=()
	fi
done < <(grep -a -E '^(not )?ok [0-9]+ |^# ' "$results" || true)

# If the machine died (panic, hang), the last results may not have left the second port, but
# init also logged each result, and each test start, to the console (synchronously).
while IFS= read -r line; do
	if [[ $line =~ mkvm:\ result\ ([0-9]+)\ (.*):\ (ok|fail|skip)$ ]]; then
		n=${BASH_REMATCH[1]}
		[ -n "${seen[$n]:-}" ] || count_result "$n" "${BASH_REMATCH[3]}" "${BASH_REMATCH[2]}" "from console.log"
	fi
done < <(grep -a 'mkvm: result ' "$console" || true)
last=$(grep -a 'mkvm: test [0-9]* .*: start$' "$console" | tail -n 1 || true)
if [[ $last =~ mkvm:\ test\ ([0-9]+)\ (.*):\ start$ ]] && [ -z "${seen[${BASH_REMATCH[1]}]:-}" ]; then
	count_result "${BASH_REMATCH[1]}" fail "${BASH_REMATCH[2]}" "no result: the machine crashed or hung during it"
fi

plan=$(grep -a -m1 -E '^1\.\.[0-9]+$' "$results" | cut -d. -f3 || true)
reported=$((passed + failed + skipped))
if [ -z "$plan" ]; then
	problems+=("no KTAP plan: the guest never reached its tests")
elif [ "$reported" -lt "$plan" ]; then
	echo "FAIL $((plan - reported)) tests never reported (planned $plan)"
	problems+=("$((plan - reported)) of $plan tests never ran")
	failed=$((failed + plan - reported))
fi

# Errors printed before our init started cannot come from minikvm (nothing of ours is loaded
# yet): emulator quirks such as Bochs' inconsistent XSAVE CPUID, which makes 6.1 WARN at boot.
# They are shown, not counted. Everything from init on fails the boot.
init_line=$(grep -an -m1 'mkvm: init started' "$console" | cut -d: -f1 || true)
if [ -n "$init_line" ]; then
	pre=$(head -n $((init_line - 1)) "$console" | grep -aE "$CONSOLE_BAD" | grep -avE "$CONSOLE_IGNORE" || true)
	bad=$(tail -n +"$init_line" "$console" | grep -aE "$CONSOLE_BAD" | grep -avE "$CONSOLE_IGNORE" || true)
else
	pre=
	bad=$(grep -aE "$CONSOLE_BAD" "$console" | grep -avE "$CONSOLE_IGNORE" || true)
fi
if [ -n "$pre" ]; then
	echo "note: kernel errors during boot, before init (not counted):"
	head -n 10 <<< "$pre" | sed 's/^/    /'
fi
if [ -n "$bad" ]; then
	problems+=("console.log has kernel errors")
	echo "console.log errors (first 20):"
	head -n 20 <<< "$bad" | sed 's/^/    /'
fi

# Guest uptime when init started its report (init prints "... up N s" first).
boot=$(grep -a -m1 -oE '^# mkvm: kernel .* up [0-9.]+ s$' "$results" | grep -oE '[0-9.]+ s$' | cut -d' ' -f1 || true)

status=ok
if [ ${#problems[@]} -gt 0 ]; then
	status=fail
	# A broken boot is a failure even if every test that did report passed.
	reasons=$(IFS=';'; echo "${problems[*]}")
	echo "FAIL boot (${reasons//;/; })"
	failed=$((failed + 1))
fi
[ "$failed" -gt 0 ] && status=fail
{
	echo "passed=$passed failed=$failed skipped=$skipped"
	echo "status=$status wall_seconds=$wall boot_seconds=${boot:-0}"
} > "$out/summary"
echo "$machine: boot to init ${boot:-?} s guest time, ${wall} s wall; logs in $out"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" = ok ]
