#!/bin/sh
# The README's run command. Installs dependencies, builds a release, then:
#  1. prints the sessions of a bundled capture (offline mode);
#  2. starts the whole pipeline on loopback: an aggregator (RocksDB in a
#     local folder), the HTTP API and dashboard, and an agent that replays
#     the bundled captures into it, then synthetic traffic stamped with
#     the current time, again and again, at capture speed;
#  3. as root: real proxies on loopback, microsocks (SOCKS5 with a
#     username) and tinyproxy (HTTP CONNECT and forward proxy with
#     BasicAuth and a domain filter), a few curl clients through them, one
#     refused by each, captured live on lo by an agent (demo-proxies), so
#     the dashboard shows proxy users, targets and refused sessions (live
#     capture needs root: without it, this step is skipped, saying so);
#  4. prints where to look (the URLs last), and runs until Ctrl-C.
# With --export, a local nats-server with JetStream (store and log in the
# work folder, free loopback ports) is started first and the aggregator
# exports every closed session into its stream SESSACCT
# (docs/SCALING.md); after each step the demo prints how many messages
# the stream holds and how far the exporter is behind, until it has
# caught up. nats-server stops with the demo.
# Every step says what it does; the output of apt, the build, the daemons
# and the traffic generator goes to logs in the work folder, which is
# removed when the demo stops unless --keep (or SESSACCT_DEMO_KEEP=1).
# Usage: deploy/demo.sh [--once] [--keep] [--export]
#   --once: replay once, show, stop; --keep: keep the work folder;
#   --export: export to a local JetStream and show the stream filling
# SESSACCT_DEMO_BUILD=DIR uses an existing build (the tests' own) and
# installs and builds nothing; SESSACCT_DEMO_DIR=DIR is the work folder
# (a folder that exists already is kept).
set -eu
cd "$(dirname "$0")/.."
ONCE=0
KEEP=${SESSACCT_DEMO_KEEP:-0}
EXPORT=0
for a in "$@"; do
	case $a in
	--once) ONCE=1 ;;
	--keep) KEEP=1 ;;
	--export) EXPORT=1 ;;
	-h|--help)
		echo "usage: deploy/demo.sh [--once] [--keep] [--export]"
		echo "  --once    replay the captures once, show, stop"
		echo "  --keep    keep the work folder (SESSACCT_DEMO_KEEP=1)"
		echo "  --export  export every closed session to a local NATS" \
			"JetStream (nats-server) and show the stream filling"
		echo "SESSACCT_DEMO_DIR=DIR: the work folder;" \
			"SESSACCT_DEMO_BUILD=DIR: an existing build"
		exit 0 ;;
	*)
		echo "usage: deploy/demo.sh [--once] [--keep] [--export]" >&2
		exit 2 ;;
	esac
done
say() {
	echo "demo: $*"
}

W=${SESSACCT_DEMO_DIR:-}
OURS=1
if [ -z "$W" ]; then
	W=$(mktemp -d /tmp/sessacct-demo.XXXXXX)
elif [ -e "$W" ]; then
	OURS=0
fi
mkdir -p "$W"
chmod 1777 "$W"
W=$(cd "$W" && pwd)
PIDS=""
CAP=""
LIVE=""
NATSPID=""
cleanup() {
	# The agents first, while the aggregator can still take their last
	# batches; then the proxies, the aggregator and the API.
	for p in $CAP $LIVE; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	# shellcheck disable=SC2086
	[ -n "$PIDS" ] && kill $PIDS 2>/dev/null || true
	# nats-server last: the aggregator's last publishes are acked.
	for p in $PIDS; do
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$NATSPID" ]; then
		kill "$NATSPID" 2>/dev/null || true
	fi
	wait 2>/dev/null || true
	if [ "$KEEP" = 1 ] || [ "$OURS" = 0 ]; then
		echo "demo: stopped; kept the work folder $W"
	else
		rm -rf "$W"
		echo "demo: stopped; removed the work folder $W"
	fi
}
# A signal ends the script (and the EXIT trap stops everything); the
# agent runs in the background so that the wait for it is interruptible.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "$KEEP" = 1 ] || [ "$OURS" = 0 ]; then
	say "work folder $W (data and logs; kept after the demo)"
else
	say "work folder $W (data and logs; removed when the demo" \
		"stops, --keep keeps it)"
fi

# Runs "$@" with its output in log $1; on failure shows the log's end.
logged() {
	log=$1
	shift
	if ! "$@" >"$log" 2>&1; then
		echo "demo: failed: $*; the last lines of $log:" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
}
if [ -n "${SESSACCT_DEMO_BUILD:-}" ]; then
	B=$SESSACCT_DEMO_BUILD
	say "using the build in $B (SESSACCT_DEMO_BUILD)"
else
	say "installing dependencies with apt (deploy/install-deps.sh," \
		"log $W/install.log)"
	SESSACCT_DEPS_LOG="$W/install.log" deploy/install-deps.sh
	say "configuring a release build in build/ (cmake, log" \
		"$W/build.log)"
	logged "$W/build.log" cmake -S . -B build \
		-DCMAKE_BUILD_TYPE=Release -DSA_BUILD_TESTS=ON
	say "building (a minute or two the first time; log $W/build.log)"
	logged "$W/build.log.2" cmake --build build -j"$(nproc)"
	cat "$W/build.log.2" >>"$W/build.log"
	rm -f "$W/build.log.2"
	B=build
fi

# A free TCP port on 127.0.0.1.
freeport() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Waits until something accepts on 127.0.0.1:$1 (5 s at most).
waitport() {
	n=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -gt 50 ] && return 1
		sleep 0.1
	done
}

# --export: a local nats-server with JetStream, before the aggregator.
AGG_EXPORT=""
if [ "$EXPORT" = 1 ]; then
	PATH=$PATH:/usr/sbin:/sbin
	if ! command -v nats-server >/dev/null; then
		echo "demo: --export needs nats-server (deploy/install-deps.sh" \
			"installs it)" >&2
		exit 1
	fi
	NPORT=$(freeport)
	NMON=$(freeport)
	say "export on: starting nats-server with JetStream on" \
		"nats://127.0.0.1:$NPORT (monitoring http://127.0.0.1:$NMON," \
		"store $W/nats, log $W/nats.log)"
	nats-server -a 127.0.0.1 -p "$NPORT" -m "$NMON" -js -sd "$W/nats" \
		>"$W/nats.log" 2>&1 &
	NATSPID=$!
	if ! waitport "$NPORT"; then
		echo "demo: nats-server did not start; the last lines of" \
			"$W/nats.log:" >&2
		tail -n 20 "$W/nats.log" >&2
		exit 1
	fi
	# settle=0: a session is published as soon as it is written (the
	# default waits 130 s for late TCP packets; docs/SCALING.md).
	AGG_EXPORT="--set export.enabled=yes
		--set export.servers=nats://127.0.0.1:$NPORT
		--set export.settle=0"
fi

echo "== 1. offline: sessacct-capture --read tests/pcap/http_connect.pcap --print"
$B/capture/sessacct-capture --read tests/pcap/http_connect.pcap --print \
	2>/dev/null

echo
echo "== 2. pipeline on loopback (work folder $W)"
say "starting the aggregator (RocksDB in $W/db)"
# shellcheck disable=SC2086
$B/aggregator/sessacct-aggregator --set store.path="$W/db" \
	--set store.retention_days=36500 $AGG_EXPORT \
	--set aggregator.listen=tcp://127.0.0.1:0 \
	--set aggregator.query_listen=tcp://127.0.0.1:0 \
	--ready-file "$W/aggregator.json" 2>"$W/aggregator.log" &
PIDS="$!"
while [ ! -s "$W/aggregator.json" ]; do sleep 0.1; done
ING=$(sed -n 's/.*"ingest": "\([^"]*\)".*/\1/p' "$W/aggregator.json")
QRY=$(sed -n 's/.*"query": "\([^"]*\)".*/\1/p' "$W/aggregator.json")
HTTP=""
if [ -x $B/api/sessacct-api ]; then
	say "starting the API and dashboard"
	$B/api/sessacct-api --set api.listen=127.0.0.1:0 \
		--set api.static_dir="$(pwd)/api/static" \
		--set api.aggregator="$QRY" --ready-file "$W/api.json" \
		2>"$W/api.log" &
	PIDS="$PIDS $!"
	while [ ! -s "$W/api.json" ]; do sleep 0.1; done
	HTTP=$(sed -n 's/.*"http": "\([^"]*\)".*/\1/p' "$W/api.json")
fi
echo "aggregator: ingest $ING, queries $QRY (log $W/aggregator.log)"
Q="$B/aggregator/sessacct-aggregator --set aggregator.query_listen=$QRY --query"

# --export: one line on the stream, "MESSAGES STATE LAG": the messages in
# the stream SESSACCT (nats-server's monitoring endpoint), the exporter's
# state and the sessions it has still to publish (the aggregator's
# metrics, which /health shows too).
exportstate() {
	$Q metrics 2>/dev/null | python3 -c '
import json, sys, urllib.request
try:
    x = json.load(sys.stdin).get("export") or {}
except ValueError:
    x = {}
n = 0
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        for a in json.load(r).get("account_details") or []:
            for s in a.get("stream_detail") or []:
                if s.get("name") == "SESSACCT":
                    n = s["state"]["messages"]
except (OSError, ValueError, KeyError):
    pass
print(n, x.get("state", "unknown"), x.get("lag_sessions", "unknown"))
' "http://127.0.0.1:$NMON/jsz?streams=1"
}
# --export: sets XMSG, XSTATE, XLAG and XLINE, the export line ($1: what
# was done so far, or empty).
exportline() {
	sfx=$1
	# shellcheck disable=SC2046
	set -- $(exportstate) 0 unknown unknown
	XMSG=$1
	XSTATE=$2
	XLAG=$3
	XLINE="export: stream SESSACCT holds $1 messages; exporter $2, $3"
	XLINE="$XLINE sessions to export${sfx:+ $sfx}"
}
# --export: prints the stream filling until the exporter has caught up
# (60 s at most), then the history's count of closed sessions beside it.
showexport() {
	[ "$EXPORT" = 1 ] || return 0
	n=0
	last=""
	while :; do
		exportline ""
		[ "$XLINE" != "$last" ] && say "$XLINE"
		last=$XLINE
		[ "$XSTATE" = exporting ] && [ "$XLAG" = 0 ] && break
		n=$((n + 1))
		if [ "$n" -gt 120 ]; then
			say "export: not caught up within 60 s; see" \
				"$W/aggregator.log and $W/nats.log"
			return 0
		fi
		sleep 0.5
	done
	total=$($Q stats window_hours=876000 | sed -n 's/.*"total_sessions":\([0-9]*\).*/\1/p')
	echo "== export: the stream SESSACCT holds $XMSG messages, the history" \
		"$total closed sessions"
}

replay() {	# $1: agent id suffix, $2: extra flags
	i=0
	nf=$(ls tests/pcap/*.pcap tests/pcap/*.pcapng | wc -l)
	for f in tests/pcap/*.pcap tests/pcap/*.pcapng; do
		name=$(basename "$f" | tr -c 'A-Za-z0-9\n' '-')
		$B/capture/sessacct-capture --read "$f" --connect "$ING" \
			--set capture.agent_id="demo-$1-$name" $2 \
			2>>"$W/agent.log" || true
		i=$((i + 1))
		# --export: the stream filling while the captures go in.
		if [ "$EXPORT" = 1 ] && [ $((i % 5)) = 0 ]; then
			exportline "($i of $nf captures replayed)"
			say "$XLINE"
		fi
	done
}
say "replaying every bundled capture into it (tests/pcap, log" \
	"$W/agent.log)"
replay 0 ""
showexport
echo
echo "== history, 3 newest of $($Q stats window_hours=876000 | sed -n 's/.*"total_sessions":\([0-9]*\).*/\1/p') sessions:"
$Q history limit=3
echo
echo "== stats (all time):"
$Q stats window_hours=876000

# One curl client: prints what it asked and the HTTP status it got (000:
# no HTTP answer, e.g. a SOCKS refusal). The caller's proxy variables
# must not redirect it.
client() {	# $1: description, then curl's arguments
	d=$1
	shift
	code=$(env -u http_proxy -u https_proxy -u all_proxy -u no_proxy \
		-u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY -u NO_PROXY \
		curl -sS -o /dev/null -m 10 -w '%{http_code}' "$@" \
		2>>"$W/curl.log") || true
	echo "  $d -> $code"
}
PROXIES=0
proxies() {
	echo
	if [ "$(id -u)" != 0 ]; then
		echo "== 3. real proxies on loopback: skipped, live capture on lo"
		echo "   needs root (CAP_NET_RAW); run the demo as root to see"
		echo "   proxy users, targets and refused sessions"
		return 0
	fi
	PATH=$PATH:/usr/sbin:/sbin
	for b in microsocks tinyproxy curl python3; do
		if ! command -v "$b" >/dev/null; then
			echo "== 3. real proxies on loopback: skipped, $b is not"
			echo "   installed (deploy/install-deps.sh installs it)"
			return 0
		fi
	done
	WEB=$(freeport)
	SOCKS=$(freeport)
	HTTPP=$(freeport)
	echo "== 3. real proxies on loopback, captured live on lo by agent" \
		"demo-proxies:"
	echo "   web server 127.0.0.1:$WEB; microsocks (SOCKS5, user demo)" \
		"127.0.0.1:$SOCKS;"
	echo "   tinyproxy (CONNECT and forward proxy, user alice," \
		"blocked.test filtered) 127.0.0.1:$HTTPP"
	# The agent first, so that it sees every connection from its SYN.
	$B/capture/sessacct-capture --interface lo --connect "$ING" \
		--filter "tcp and (port $WEB or port $SOCKS or port $HTTPP)" \
		--set capture.agent_id=demo-proxies \
		--set sessions.service_ports="$WEB,$SOCKS,$HTTPP" \
		--set sessions.tcp_close_linger=1 \
		--ready-file "$W/live-agent.json" 2>>"$W/agent-live.log" &
	LIVE=$!
	n=0
	while [ ! -s "$W/live-agent.json" ]; do
		n=$((n + 1))
		if [ "$n" -gt 100 ] || ! kill -0 "$LIVE" 2>/dev/null; then
			echo "   the live agent did not start: see" \
				"$W/agent-live.log"
			return 0
		fi
		sleep 0.1
	done
	mkdir -p "$W/www"
	echo "hello from the demo's web server" >"$W/www/index.html"
	python3 -m http.server --bind 127.0.0.1 --directory "$W/www" \
		"$WEB" >"$W/web.log" 2>&1 &
	PIDS="$PIDS $!"
	microsocks -i 127.0.0.1 -p "$SOCKS" -b 127.0.0.1 -u demo \
		-P demopass >"$W/microsocks.log" 2>&1 &
	PIDS="$PIDS $!"
	echo '^blocked\.test$' >"$W/tinyproxy.filter"
	{
		echo "Port $HTTPP"
		echo "Listen 127.0.0.1"
		echo "Bind 127.0.0.1"
		echo "Timeout 30"
		echo "Allow 127.0.0.1"
		echo "BasicAuth alice wonder"
		echo "Filter \"$W/tinyproxy.filter\""
		echo "FilterExtended On"
		echo "ConnectPort $WEB"
		echo "PidFile \"$W/tinyproxy.pid\""
		echo "User nobody"
		echo "Group nogroup"
	} >"$W/tinyproxy.conf"
	chmod 644 "$W/tinyproxy.conf" "$W/tinyproxy.filter"
	tinyproxy -d -c "$W/tinyproxy.conf" >"$W/tinyproxy.log" 2>&1 &
	PIDS="$PIDS $!"
	for p in "$WEB" "$SOCKS" "$HTTPP"; do
		if ! waitport "$p"; then
			echo "   nothing listens on 127.0.0.1:$p: see $W/*.log"
			return 0
		fi
	done
	U=http://localhost:$WEB/
	client "SOCKS5 as demo:         curl --socks5-hostname -U demo:demopass $U" \
		--socks5-hostname "127.0.0.1:$SOCKS" -U demo:demopass "$U"
	client "SOCKS5, wrong password: curl --socks5-hostname -U demo:guess $U" \
		--socks5-hostname "127.0.0.1:$SOCKS" -U demo:guess "$U"
	client "HTTP proxy as alice:    curl -x ... -U alice:wonder $U" \
		-x "http://127.0.0.1:$HTTPP" -U alice:wonder "$U"
	client "CONNECT as alice:       curl -x ... -U alice:wonder -p $U" \
		-x "http://127.0.0.1:$HTTPP" -U alice:wonder -p "$U"
	client "filtered domain:        curl -x ... -U alice:wonder http://blocked.test:$WEB/" \
		-x "http://127.0.0.1:$HTTPP" -U alice:wonder \
		"http://blocked.test:$WEB/"
	# The ring hands packets over within capture.timeout_ms; FIN and
	# the linger (1 s) close the sessions; the next flush sends them.
	sleep 3
	PROXIES=1
	echo
	echo "== the proxy sessions (agent demo-proxies), newest first:"
	$Q history agent=demo-proxies limit=8
	showexport
}
proxies

echo
if [ "$ONCE" != 1 ]; then
	echo "== 4. live-looking traffic: synthetic captures stamped with the"
	echo "   current time (tests/bench/gen_pcap.c), replayed at capture"
	echo "   speed, so sessions come and go on the dashboard (logs"
	echo "   $W/generator.log and $W/agent.log). Ctrl-C stops everything."
	echo
fi
echo "Work folder: $W (logs: $W/*.log)"
echo "Look:"
if [ "$PROXIES" = 1 ]; then
	echo "  $Q history agent=demo-proxies status=rejected_by_acl"
fi
echo "  $Q history limit=10 user=192.168.1.146"
echo "  $Q active"
echo "  $Q agents"
if [ "$EXPORT" = 1 ]; then
	echo "  $Q metrics    (\"export\": state, lag, acks)"
	if [ -x "$B/tests/e2e/js_consume" ]; then
		echo "  $B/tests/e2e/js_consume nats://127.0.0.1:$NPORT SESSACCT 'sessacct.sessions.>' demo 2000 --body"
	fi
	echo "  stream:     curl -s 'http://127.0.0.1:$NMON/jsz?streams=1'"
fi
if [ -n "$HTTP" ]; then
	echo "  dashboard:  http://$HTTP/"
	echo "  curl -s http://$HTTP/api/sessions/history?limit=5"
	echo "  curl -s 'http://$HTTP/api/sessions/stats?window_hours=876000'"
	echo "  curl -s http://$HTTP/metrics"
fi
[ "$ONCE" = 1 ] && exit 0
# Nothing more is printed from here on: the URLs above stay the last
# lines on the screen.
n=1
while :; do
	$B/tests/bench/sa_gen_pcap -o "$W/live.pcap" -n 20000 -c 200 \
		-t 3000 -s "$n" -T "$(date +%s)" >>"$W/generator.log" 2>&1
	$B/capture/sessacct-capture --read "$W/live.pcap" --connect "$ING" \
		--set capture.agent_id="demo-live-$n" --speed 1 \
		--set capture.ack_wait=3 2>>"$W/agent.log" &
	CAP=$!
	wait "$CAP" || true
	CAP=""
	n=$((n + 1))
done
