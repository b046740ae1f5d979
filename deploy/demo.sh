#!/bin/sh
# The README's run command: installs dependencies, builds a release, and
# runs the capture agent's offline mode on a bundled real capture, printing
# every session as a JSON line. Usage: deploy/demo.sh [PCAP]
set -eu
cd "$(dirname "$0")/.."
deploy/install-deps.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
PCAP=${1:-tests/pcap/http_connect.pcap}
OUT=${TMPDIR:-/tmp}/sessacct-demo.jsonl
echo "== sessacct-capture --read $PCAP --print"
./build/capture/sessacct-capture --read "$PCAP" --print | tee "$OUT"
echo
echo "Sessions above (also in $OUT), counters on stderr."
echo "Binaries: build/capture/sessacct-capture, build/aggregator/sessacct-aggregator, build/api/sessacct-api"
echo "Try:  ./build/capture/sessacct-capture --read tests/pcap/1kxun.pcap --print --filter 'udp'"
echo "Live: sudo ./build/capture/sessacct-capture --interface lo --print   (Ctrl-C to stop)"
echo "Docs: README.md, docs/CAPTURE.md, docs/ARCHITECTURE.md"
