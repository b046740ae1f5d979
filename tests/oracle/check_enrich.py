#!/usr/bin/env python3
"""Compare sessacct-capture's enrichment with a tshark enrichment oracle.

Runs `sessacct-capture --read PCAP --print` and, for each row of the
oracle TSV (written by gen_enrich_oracle.py, columns client_ip
client_port server_ip server_port user target verdict), takes the
session with the same client and server (the first one if several) and
checks:
  user    the TSV user, or the client IP when the TSV has none;
  target  the TSV target, or null when the TSV has none;
  status  rejected_by_acl / failed for those verdicts, else closed (or
          active): no proxy refusal.
A proxy's upstream leg linked to its client leg (leg "upstream", its
peer_session_id naming a session of the output that is the "client" leg
naming it back) takes the client leg's user and target: for it, user and
target are checked against the client leg's row (and the client IP), and
its status against its own row.
Then checks that every session with a non-null target has a row in the
TSV, or is an upstream leg whose target is its client leg's: sessacct
invents no target tshark did not see. Connections the
generator skipped on purpose are listed in the TSV's comment lines; they
are not rows, so a target on one of them is reported too.

usage: check_enrich.py CAPTURE_BINARY PCAP TSV
"""
import ipaddress
import json
import subprocess
import sys

VERDICT_STATUS = {
    "rejected_by_acl": {"rejected_by_acl"},
    "failed": {"failed"},
    "": {"closed", "active"},
}


def norm(ip):
    return ipaddress.ip_address(ip).compressed


def tuple4(cip, cport, sip, sport):
    return (norm(cip), int(cport), norm(sip), int(sport))


def fmt(t):
    ip = lambda a: "[%s]" % a if ":" in a else a
    return "%s:%d -> %s:%d" % (ip(t[0]), t[1], ip(t[2]), t[3])


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    binary, pcap, tsv = sys.argv[1:4]
    out = subprocess.run([binary, "--read", pcap, "--print"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr)
        sys.exit("capture exited %d" % out.returncode)

    sessions = {}
    by_id = {}
    nsess = 0
    for line in out.stdout.splitlines():
        s = json.loads(line)
        nsess += 1
        by_id[s["session_id"]] = s
        if s["protocol"] != "tcp":
            continue
        k = tuple4(s["source_ip"], s["source_port"], s["dest_ip"],
                   s["dest_port"])
        sessions.setdefault(k, []).append(s)

    rows = []
    with open(tsv) as f:
        hdr = None
        for line in f:
            if line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if hdr is None:
                hdr = cols
                continue
            rows.append(dict(zip(hdr, cols)))

    by_tuple = {tuple4(r["client_ip"], r["client_port"], r["server_ip"],
                       r["server_port"]): r for r in rows}

    def client_leg(s):
        """The client leg an upstream leg names, checked both ways."""
        if s.get("leg") != "upstream":
            return None
        p = by_id.get(s.get("peer_session_id"))
        if p is None or p.get("leg") != "client" or \
                p.get("peer_session_id") != s["session_id"]:
            return None
        return p

    bad = 0
    known = set()
    for s in by_id.values():
        if s.get("leg") is not None and \
                by_id.get(s.get("peer_session_id")) is None:
            print("%s: leg %s names no session of the output (%s)" %
                  (s["session_id"], s["leg"], s.get("peer_session_id")))
            bad += 1
    for r in rows:
        k = tuple4(r["client_ip"], r["client_port"], r["server_ip"],
                   r["server_port"])
        known.add(k)
        if k not in sessions:
            # The reverse tuple would mean the two disagree on the client.
            rev = (k[2], k[3], k[0], k[1])
            print("%s: no session%s" % (fmt(k),
                  " (but one the other way round)" if rev in sessions
                  else ""))
            bad += 1
            continue
        s = sessions[k][0]
        want = {
            "user": r["user"] or s["source_ip"],
            "target": r["target"] or None,
        }
        p = client_leg(s)
        if s.get("leg") == "upstream" and p is None:
            print("%s: upstream leg without its client leg" % fmt(k))
            bad += 1
        if p is not None:
            pk = tuple4(p["source_ip"], p["source_port"], p["dest_ip"],
                        p["dest_port"])
            pr = by_tuple.get(pk)
            if pr is None:
                print("%s: linked to %s, which tshark has no row for" %
                      (fmt(k), fmt(pk)))
                bad += 1
            else:
                want = {"user": pr["user"] or p["source_ip"],
                        "target": pr["target"] or None}
        for f in ("user", "target"):
            if s[f] != want[f]:
                print("%s: %s: got %s, tshark %s" % (fmt(k), f,
                      json.dumps(s[f]), json.dumps(want[f])))
                bad += 1
        ok = VERDICT_STATUS[r["verdict"]]
        if s["status"] not in ok:
            print("%s: status: got %s, tshark verdict %r wants %s" %
                  (fmt(k), json.dumps(s["status"]), r["verdict"],
                   "/".join(sorted(ok))))
            bad += 1

    invented = 0
    for k, ss in sorted(sessions.items()):
        if k in known:
            continue
        for s in ss:
            p = client_leg(s)
            if s["target"] is not None and (p is None or
                                            p["target"] != s["target"]):
                print("%s: target %s that tshark did not see "
                      "(no row in the TSV)" % (fmt(k), json.dumps(s["target"])))
                invented += 1

    print("%s: %d sessions, %d oracle rows, %d mismatches, "
          "%d targets not in the oracle" % (pcap, nsess, len(rows), bad,
                                            invented))
    sys.exit(1 if bad or invented else 0)


if __name__ == "__main__":
    main()
