#!/bin/sh
# update.sh [NAME...]: regenerates the golden .out files of the named
# TESTLIST entries (all of them without a name) with decode_dump from
# $SA_BUILD_DIR (default: build-test as tests/run.sh makes it, else
# build). Review the diff like code before committing it (tcpdump's
# update-test.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# The build tests/run.sh makes, else ./build, unless SA_BUILD_DIR says.
if [ -n "${SA_BUILD_DIR:-}" ]; then
	build=$SA_BUILD_DIR
elif [ -x "$top/build-test/tests/decode/decode_dump" ]; then
	build=$top/build-test
else
	build=$top/build
fi
dump=$build/tests/decode/decode_dump
if [ ! -x "$dump" ]; then
	echo "update.sh: no $dump; build first or set SA_BUILD_DIR" >&2
	exit 1
fi
found=0
while read -r name pcap out flags; do
	case $name in ''|'#'*) continue ;; esac
	if [ $# -gt 0 ]; then
		want=0
		for n in "$@"; do
			[ "$n" = "$name" ] && want=1
		done
		[ $want -eq 1 ] || continue
	fi
	found=$((found + 1))
	# shellcheck disable=SC2086 # flags are words on purpose
	"$dump" $flags "$top/tests/pcap/$pcap" >"$here/$out"
	echo "updated $out"
done <"$here/TESTLIST"
if [ $found -eq 0 ]; then
	echo "update.sh: no TESTLIST entry named $*" >&2
	exit 1
fi
