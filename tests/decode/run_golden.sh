#!/bin/sh
# run_golden.sh DECODE_DUMP PCAP EXPECTED [FLAGS...]: runs decode_dump on
# PCAP and diffs its output against EXPECTED (a golden test, see TESTLIST).
# Regenerate an expected file with update.sh after reviewing the change.
set -u
dump=$1 pcap=$2 expected=$3
shift 3
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
if ! "$dump" "$@" "$pcap" >"$out"; then
	echo "decode_dump failed on $pcap" >&2
	exit 1
fi
if ! diff -u "$expected" "$out"; then
	echo "output differs from $expected; if intended, run" \
	    "tests/decode/update.sh and review the diff" >&2
	exit 1
fi
