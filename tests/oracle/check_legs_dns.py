#!/usr/bin/env python3
"""Checks leg linking by DNS on a real capture against tshark's DNS fields.

usage: check_legs_dns.py SESSACCT-CAPTURE PCAP TSV

PCAP holds a SOCKS5 proxy's client legs asking for names and, between a
request and the proxy's reply, several SYNs to the requested port (one of
them not the proxy's); TSV (PCAP.tshark-dns.tsv) is what tshark's DNS
dissector read from the responses in it: question name and A/AAAA
addresses. For every client leg whose target is a name that tshark saw
answered, the upstream leg must be the one TCP session to the target's
port whose server address tshark read in an answer for that name, and
the two must name each other (leg, peer_session_id), the upstream with
the client leg's target; no other session has a leg, and the agent's
legs.dns counter counts the links. With capture.link_dns = 0 the same
capture links nothing (the SYNs are several and carry no name, so only
the DNS answers could tell them apart).
"""
import json
import os
import subprocess
import sys
import tempfile


def run(binary, pcap, *extra):
    with tempfile.TemporaryDirectory() as td:
        st = os.path.join(td, "stats.json")
        r = subprocess.run([binary, "--read", pcap, "--print",
                            "--stats-json=" + st] + list(extra),
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            sys.exit("%s exited %d: %s" % (binary, r.returncode, r.stderr))
        with open(st) as fp:
            stats = json.load(fp)
    sessions = [json.loads(line) for line in r.stdout.splitlines()
                if line.startswith("{")]
    return sessions, stats["enrichment"]["legs"]


def answers(tsv):
    out = {}
    with open(tsv) as fp:
        for line in fp:
            if line.startswith("#") or line.startswith("frame\t"):
                continue
            f = line.rstrip("\n").split("\t")
            addrs = [a for col in f[2:4] for a in col.split(",") if a]
            out.setdefault(f[1].lower(), set()).update(addrs)
    return out


def main():
    binary, pcap, tsv = sys.argv[1:4]
    names = answers(tsv)
    sessions, legs = run(binary, pcap)
    by_id = {s["session_id"]: s for s in sessions}
    expected = {}
    for c in sessions:
        host, _, port = (c.get("target") or "").rpartition(":")
        if c.get("leg") == "upstream" or host.lower() not in names:
            continue
        ups = [s for s in sessions if s["protocol"] == "tcp" and
               s["dest_port"] == int(port) and
               s["dest_ip"] in names[host.lower()]]
        if len(ups) != 1:
            sys.exit("%s: %d sessions to an answer of %s" %
                     (c["session_id"], len(ups), host))
        expected[c["session_id"]] = ups[0]["session_id"]
    if not expected:
        sys.exit("no client leg asked for a name tshark saw answered")
    for cid, uid in expected.items():
        c, u = by_id[cid], by_id[uid]
        if (c.get("leg"), c.get("peer_session_id")) != ("client", uid):
            sys.exit("client leg %s: leg %r peer %r, want client %s" %
                     (cid, c.get("leg"), c.get("peer_session_id"), uid))
        if (u.get("leg"), u.get("peer_session_id"), u.get("target")) != \
                ("upstream", cid, c["target"]):
            sys.exit("upstream leg %s: %r %r %r" % (uid, u.get("leg"),
                     u.get("peer_session_id"), u.get("target")))
    linked = set(expected) | set(expected.values())
    stray = [s["session_id"] for s in sessions
             if s.get("leg") and s["session_id"] not in linked]
    if stray:
        sys.exit("sessions with a leg but no DNS answer: %s" % stray)
    if legs["dns"] != len(expected):
        sys.exit("legs.dns %d, want %d" % (legs["dns"], len(expected)))
    sessions, legs = run(binary, pcap, "--set", "capture.link_dns=0")
    if any(s.get("leg") for s in sessions) or legs["dns"] != 0:
        sys.exit("linked with capture.link_dns=0: %s" % legs)
    # A competing SYN to the port: tell how many candidates there were.
    ports = {int(by_id[c]["target"].rpartition(":")[2]) for c in expected}
    cands = [s for s in sessions if s["protocol"] == "tcp" and
             s["dest_port"] in ports]
    if len(cands) < 2 * len(expected):
        sys.exit("the capture has no competing SYN: it tests nothing")
    print("ok: %d link(s) by DNS, none without" % len(expected))


if __name__ == "__main__":
    main()
