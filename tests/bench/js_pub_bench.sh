#!/bin/sh
# The ceiling of export to JetStream on this machine (docs/PERFORMANCE.md
# "Export to JetStream"): sa_js_pub_bench publishes session-sized
# messages to the same single-node nats-server as export_bench.sh (file
# storage), in several modes, and prints one RESULT line per mode with
# the nats-server's CPU seconds over the run added (nats_cpu_s).
# usage: tests/bench/js_pub_bench.sh BUILD_DIR [MESSAGES] [MODE...]
# A MODE is the options of sa_js_pub_bench in one word, commas for
# spaces ("-H", "-M,-H", "-C,2", "-k,10"); "-" is the default (the
# exporter's way: file storage, a Nats-Msg-Id each, 4096 in flight).
# Without modes it runs: - -H -M -M,-H -c -r,1000 -C,2 -k,10.
set -eu
B=$(cd "$1" && pwd)
N=${2:-300000}
[ $# -ge 2 ] && shift 2 || shift $#
[ $# -eq 0 ] && set -- - -H -M -M,-H -c -r,1000 -C,2 -k,10
T=$(mktemp -d /tmp/sa-js-pub-bench.XXXXXX)
NPID=
trap 'kill $NPID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
NP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nats-server -js -a 127.0.0.1 -p "$NP" -sd "$T/js" >"$T/nats.log" 2>&1 &
NPID=$!
cpu() { awk '{print $14 + $15}' /proc/$NPID/stat; }
HZ=$(getconf CLK_TCK)
for i in 1 2 3 4 5 6 7 8 9 10; do
	nc -z 127.0.0.1 "$NP" 2>/dev/null && break
	sleep 0.2
done
for mode in "$@"; do
	opts=$(echo "$mode" | tr ',' ' ')
	[ "$opts" = "-" ] && opts=
	c0=$(cpu)
	r=$("$B/tests/bench/sa_js_pub_bench" -s "nats://127.0.0.1:$NP" \
	    -n "$N" $opts) || true
	c1=$(cpu)
	echo "$r nats_cpu_s=$(echo "$c0 $c1 $HZ" | awk '{printf "%.2f", ($2 - $1) / $3}') load=$(cut -d' ' -f1 /proc/loadavg)"
done
