#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# selftests/upstream/table.sh - the last entry of the upstream run-list: print, in the
# KTAP output, the table test | kvm | minikvm of what run.sh recorded in
# /tmp/upstream-results ("NAME DEVICE VERDICT" lines), and the targets that did not build.
# The host prints the same table, with reasons, from results.ktap
# (scripts/upstream-selftests.sh table); this copy is for whoever reads the guest's log.
here=$(dirname "$0")
[ -f /tmp/upstream-results ] || { echo "no upstream test ran"; exit 4; }
awk '
	{ if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } v[$1, $2] = $3; c[$3]++ }
	END {
		printf "%-36s %-8s %-8s\n", "test", "kvm", "minikvm"
		for (i = 1; i <= n; i++) {
			t = order[i]
			printf "%-36s %-8s %-8s\n", t, ((t, "kvm") in v) ? v[t, "kvm"] : "-", \
				((t, "minikvm") in v) ? v[t, "minikvm"] : "-"
		}
		printf "totals: PASS %d, SKIP %d, XFAIL %d, XPASS %d, FAIL %d, TIMEOUT %d\n", \
			c["PASS"], c["SKIP"], c["XFAIL"], c["XPASS"], c["FAIL"], c["TIMEOUT"]
	}' /tmp/upstream-results
if [ -s "$here/failed.list" ]; then
	echo "did not build (not run):"
	sed 's/^/  /' "$here/failed.list"
fi
exit 0
