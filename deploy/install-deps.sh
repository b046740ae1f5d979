#!/bin/sh
# Installs everything sessacct needs to build and test on Debian 12.
# Run as root (or with sudo available). Safe to run again.
#
# Another apt or dpkg (unattended-upgrades, say) holding the apt lock is
# waited for, saying so on stderr, up to SESSACCT_APT_LOCK_WAIT seconds
# (default 600), instead of failing at once. apt-get's own
# DPkg::Lock::Timeout would not do: it waits silently, and apt-get update
# does not honour it for the lists lock (apt 2.6).
# SESSACCT_DEPS_LOG=FILE appends apt-get's output to FILE instead of
# stdout (the demo keeps it in its work folder); this script's own lines
# go to stderr either way.
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
LOCK_WAIT=${SESSACCT_APT_LOCK_WAIT:-600}
if [ -n "${SESSACCT_DEPS_LOG:-}" ]; then
	exec 3>>"$SESSACCT_DEPS_LOG"
else
	exec 3>&1
fi
OUT=$(mktemp)
trap 'rm -f "$OUT" "$OUT.rc"' EXIT

# apt-get "$@", again every 2 s while another process holds the lock.
apt_get() {
	waited=0
	while :; do
		{
			rc=0
			$SUDO apt-get "$@" 2>&1 || rc=$?
			echo "$rc" >"$OUT.rc"
		} | tee "$OUT" >&3
		rc=$(cat "$OUT.rc")
		[ "$rc" = 0 ] && break
		held=$(grep -m 1 'Could not get lock\|Unable to lock' "$OUT" ||
		    true)
		if [ -z "$held" ]; then
			if [ -n "${SESSACCT_DEPS_LOG:-}" ]; then
				echo "install-deps: apt-get $1 failed; the last" \
				    "lines of $SESSACCT_DEPS_LOG:" >&2
				tail -n 15 "$OUT" >&2
			fi
			exit "$rc"
		fi
		if [ "$waited" -ge "$LOCK_WAIT" ]; then
			echo "install-deps: gave up after $waited s: another" \
			    "process still holds the apt lock ($held)" >&2
			exit 1
		fi
		if [ "$waited" = 0 ]; then
			echo "install-deps: waiting for the apt lock, held by" \
			    "another process ($held), up to $LOCK_WAIT s" \
			    "(SESSACCT_APT_LOCK_WAIT)" >&2
		elif [ $((waited % 30)) = 0 ]; then
			echo "install-deps: still waiting for the apt lock" \
			    "($waited s)" >&2
		fi
		sleep 2
		waited=$((waited + 2))
	done
	if [ "$waited" -gt 0 ]; then
		echo "install-deps: got the apt lock after $waited s" >&2
	fi
}

apt_get update
apt_get install -y --no-install-recommends \
	build-essential clang cmake pkg-config python3 \
	libpcap-dev libinih-dev libcmocka-dev \
	libzmq3-dev libczmq-dev librocksdb-dev libmsgpack-dev libcivetweb-dev \
	libjansson-dev python3-zmq python3-msgpack python3-yaml \
	nats-server libnats-dev \
	prometheus chromium wrk \
	dante-server microsocks tinyproxy haproxy curl openssl passwd \
	debhelper lintian man-db
