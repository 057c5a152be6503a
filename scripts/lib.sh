# SPDX-License-Identifier: GPL-2.0
# scripts/lib.sh - helpers shared by every minikvm script. Source it; do not run it.
#
# need_pkgs PKG...   install the Debian packages that are missing (apt-get, non-interactive).
# die MSG            print "minikvm: MSG" on stderr and exit 2.
# log MSG            print "==> MSG" on stderr.
# MKVM_CACHE         where downloaded/derived artefacts live (outside the repository).

MKVM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MKVM_CACHE=${MKVM_CACHE:-/var/cache/minikvm}

die() { echo "minikvm: $*" >&2; exit 2; }
log() { echo "==> $*" >&2; }

# apt-get update runs at most once per shell session (and only when something is missing).
_mkvm_apt_updated=${_mkvm_apt_updated:-}
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
	log "installing ${missing[*]}"
	# check.sh's two lanes may both install at once: take turns (fd 9, released when this
	# subshell ends), and wait for any other apt user's locks rather than fail.
	(
		flock 9
		apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
		if [ -z "$_mkvm_apt_updated" ]; then
			apt-get update -qq "${apt_opts[@]}" >&2 || die "apt-get update failed"
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${apt_opts[@]}" "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
	) 9>/var/lock/minikvm-apt.lock || exit $?
	_mkvm_apt_updated=1
}

# The Debian mirror the host already uses (first URIs line of debian.sources), so the
# backports file and the sid chroot follow whatever mirror this machine is set up with.
debian_mirror() {
	local f=/etc/apt/sources.list.d/debian.sources uri
	uri=$(awk '/^URIs:/ { print $2; exit }' "$f" 2>/dev/null || true)
	echo "${uri:-http://deb.debian.org/debian}"
}

debian_keyring() {
	local f=/etc/apt/sources.list.d/debian.sources k
	k=$(awk '/^Signed-By:/ { print $2; exit }' "$f" 2>/dev/null || true)
	echo "${k:-/usr/share/keyrings/debian-archive-keyring.gpg}"
}
