#!/bin/sh
# The README's run command. Installs dependencies, builds a release, then:
#  1. prints the sessions of a bundled capture (offline mode);
#  2. starts the whole pipeline on loopback: an aggregator (RocksDB in a
#     local folder), the HTTP API and dashboard, and an agent that replays
#     the bundled captures into it, then synthetic traffic stamped with
#     the current time, again and again, at capture speed;
#  3. prints where to look, and runs until Ctrl-C.
# Usage: deploy/demo.sh [--once]   (--once: replay once, show, stop)
set -eu
cd "$(dirname "$0")/.."
ONCE=0
[ "${1:-}" = "--once" ] && ONCE=1
deploy/install-deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSA_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
B=build
W=${SESSACCT_DEMO_DIR:-$(mktemp -d /tmp/sessacct-demo.XXXXXX)}
mkdir -p "$W"
chmod 1777 "$W"

echo "== 1. offline: sessacct-capture --read tests/pcap/http_connect.pcap --print"
$B/capture/sessacct-capture --read tests/pcap/http_connect.pcap --print \
	2>/dev/null

echo
echo "== 2. pipeline on loopback (work dir $W)"
PIDS=""
CAP=""
cleanup() {
	# The agent first, while the aggregator can still take its last
	# batches; then the aggregator and the API.
	if [ -n "$CAP" ]; then
		kill "$CAP" 2>/dev/null
		wait "$CAP" 2>/dev/null || true
	fi
	# shellcheck disable=SC2086
	[ -n "$PIDS" ] && kill $PIDS 2>/dev/null
	wait 2>/dev/null || true
}
# A signal ends the script (and the EXIT trap stops everything); the
# agent runs in the background so that the wait for it is interruptible.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
$B/aggregator/sessacct-aggregator --set store.path="$W/db" \
	--set store.retention_days=36500 \
	--set aggregator.listen=tcp://127.0.0.1:0 \
	--set aggregator.query_listen=tcp://127.0.0.1:0 \
	--ready-file "$W/aggregator.json" 2>"$W/aggregator.log" &
PIDS="$!"
while [ ! -s "$W/aggregator.json" ]; do sleep 0.1; done
ING=$(sed -n 's/.*"ingest": "\([^"]*\)".*/\1/p' "$W/aggregator.json")
QRY=$(sed -n 's/.*"query": "\([^"]*\)".*/\1/p' "$W/aggregator.json")
HTTP=""
if [ -x $B/api/sessacct-api ]; then
	$B/api/sessacct-api --set api.listen=127.0.0.1:0 \
		--set api.static_dir="$(pwd)/api/static" \
		--set api.aggregator="$QRY" --ready-file "$W/api.json" \
		2>"$W/api.log" &
	PIDS="$PIDS $!"
	while [ ! -s "$W/api.json" ]; do sleep 0.1; done
	HTTP=$(sed -n 's/.*"http": "\([^"]*\)".*/\1/p' "$W/api.json")
fi
echo "aggregator: ingest $ING, queries $QRY (log $W/aggregator.log)"

replay() {	# $1: agent id suffix, $2: extra flags
	for f in tests/pcap/*.pcap tests/pcap/*.pcapng; do
		name=$(basename "$f" | tr -c 'A-Za-z0-9\n' '-')
		$B/capture/sessacct-capture --read "$f" --connect "$ING" \
			--set capture.agent_id="demo-$1-$name" $2 \
			2>>"$W/agent.log" || true
	done
}
replay 0 ""
Q="$B/aggregator/sessacct-aggregator --set aggregator.query_listen=$QRY --query"
echo
echo "== history, 3 newest of $($Q stats window_hours=876000 | sed -n 's/.*"total_sessions":\([0-9]*\).*/\1/p') sessions:"
$Q history limit=3
echo
echo "== stats (all time):"
$Q stats window_hours=876000
echo
echo "Look:"
echo "  $Q history limit=10 user=192.168.1.146"
echo "  $Q active"
echo "  $Q agents"
if [ -n "$HTTP" ]; then
	echo "  dashboard:  http://$HTTP/"
	echo "  curl -s http://$HTTP/api/sessions/history?limit=5"
	echo "  curl -s 'http://$HTTP/api/sessions/stats?window_hours=876000'"
	echo "  curl -s http://$HTTP/metrics"
fi
[ "$ONCE" = 1 ] && exit 0
echo
echo "Now live-looking traffic: synthetic captures stamped with the current"
echo "time (tests/bench/gen_pcap.c), replayed at capture speed, so sessions"
echo "come and go on the dashboard. Ctrl-C stops everything."
n=1
while :; do
	$B/tests/bench/sa_gen_pcap -o "$W/live.pcap" -n 20000 -c 200 \
		-t 3000 -s "$n" -T "$(date +%s)" >/dev/null
	$B/capture/sessacct-capture --read "$W/live.pcap" --connect "$ING" \
		--set capture.agent_id="demo-live-$n" --speed 1 \
		--set capture.ack_wait=3 2>>"$W/agent.log" &
	CAP=$!
	wait "$CAP" || true
	CAP=""
	n=$((n + 1))
done
