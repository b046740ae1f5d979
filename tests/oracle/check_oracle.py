#!/usr/bin/env python3
"""Compare sessacct-capture's offline sessions with a tshark oracle.

Runs `sessacct-capture --read PCAP --print`, sums the sessions per
conversation (protocol plus the two endpoints, in either order) and checks,
for each direction, packets against frames_*, wire bytes against
ip_bytes_* and payload bytes against payload_* of the oracle TSV (columns
in tests/pcap/README.md). Also checks that each TCP conversation has as
many sessions as tshark has TCP streams (one connection, one session: late
packets after a close belong to it, a new SYN opens the next; the SYN
timeout is raised to tshark's view, which never splits a connection whose
SYN goes unanswered for long), and that no session lacks required fields.

usage: check_oracle.py CAPTURE_BINARY PCAP ORACLE_TSV
"""
import ipaddress
import json
import subprocess
import sys

FIELDS = ["session_id", "agent", "protocol", "source_ip", "source_port",
          "dest_ip", "dest_port", "user", "target", "start_time", "end_time",
          "duration_secs", "bytes_sent", "bytes_received", "packets_sent",
          "packets_received", "wire_bytes_sent", "wire_bytes_received",
          "status", "close_reason", "origin", "leg",
          "peer_session_id"]


def norm(ip):
    return ipaddress.ip_address(ip).compressed


def key(proto, a, pa, b, pb):
    ea, eb = (norm(a), int(pa)), (norm(b), int(pb))
    return (proto,) + ((ea, eb) if ea <= eb else (eb, ea))


def main():
    binary, pcap, tsv = sys.argv[1:4]
    out = subprocess.run([binary, "--read", pcap, "--print", "--set",
                          "sessions.tcp_syn_timeout=3600"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr)
        sys.exit("capture exited %d" % out.returncode)

    got = {}
    nconn, streams = {}, {}
    ids = set()
    nsess = 0
    for line in out.stdout.splitlines():
        s = json.loads(line)
        nsess += 1
        if list(s.keys()) != FIELDS:
            sys.exit("bad field list: %s" % list(s.keys()))
        if s["session_id"] in ids:
            sys.exit("duplicate session_id %s" % s["session_id"])
        ids.add(s["session_id"])
        if s["close_reason"] is None or s["end_time"] is None:
            sys.exit("closed session without close_reason/end_time")
        k = key(s["protocol"], s["source_ip"], s["source_port"],
                s["dest_ip"], s["dest_port"])
        if s["protocol"] == "tcp":
            nconn[k] = nconn.get(k, 0) + 1
        src = (norm(s["source_ip"]), s["source_port"])
        g = got.setdefault(k, {})
        # Per endpoint: what the endpoint sent.
        dst = (norm(s["dest_ip"]), s["dest_port"])
        for ep, sfx in ((src, "sent"), (dst, "received")):
            e = g.setdefault(ep, [0, 0, 0])
            e[0] += s["packets_" + sfx]
            e[1] += s["wire_bytes_" + sfx]
            e[2] += s["bytes_" + sfx]

    want = {}
    with open(tsv) as f:
        hdr = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(hdr, line.rstrip("\n").split("\t")))
            k = key(r["proto"], r["addr_a"], r["port_a"], r["addr_b"],
                    r["port_b"])
            w = want.setdefault(k, {})
            if r["proto"] == "tcp":
                streams[k] = streams.get(k, 0) + 1
            a = (norm(r["addr_a"]), int(r["port_a"]))
            b = (norm(r["addr_b"]), int(r["port_b"]))
            for ep, d in ((a, "a2b"), (b, "b2a")):
                e = w.setdefault(ep, [0, 0, 0])
                e[0] += int(r["frames_" + d])
                e[1] += int(r["ip_bytes_" + d])
                e[2] += int(r["payload_" + d])

    bad = 0
    for k in sorted(set(got) | set(want)):
        g, w = got.get(k), want.get(k)
        if g is None or w is None:
            print("%s: %s" % ("missing" if g is None else "extra", k))
            bad += 1
            continue
        for ep in set(g) | set(w):
            ge, we = g.get(ep, [0, 0, 0]), w.get(ep, [0, 0, 0])
            if ge != we:
                print("%s from %s: got pkts/wire/payload %s want %s" %
                      (k, ep, ge, we))
                bad += 1
    for k in sorted(set(nconn) | set(streams)):
        if nconn.get(k, 0) != streams.get(k, 0):
            print("%s: %d sessions, tshark has %d TCP streams" %
                  (k, nconn.get(k, 0), streams.get(k, 0)))
            bad += 1
    print("%s: %d sessions, %d conversations, %d mismatches" %
          (pcap, nsess, len(want), bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
