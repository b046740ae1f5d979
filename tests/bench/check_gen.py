#!/usr/bin/env python3
"""Checks the benchmark capture's handshakes against tshark and the agent.

usage: check_gen.py PCAP PRINT_JSONL

PCAP is a capture written by sa_gen_pcap; PRINT_JSONL the output of
`sessacct-capture --read PCAP --print` on it. For every TCP connection
whose handshake tshark's dissectors read (TLS server_name, HTTP Host,
request-target and Proxy-Authorization, the proxy's status code, SOCKS
username, remote name or address and port, reply code), the user, target
and rejected status they imply must be exactly what the agent printed
for that connection (docs/ENRICHMENT.md's precedence). Prints a summary
by kind and every mismatch; exits 1 on any mismatch or when tshark read
no handshake at all.
"""
import base64
import collections
import json
import subprocess
import sys

FIELDS = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst",
          "ipv6.dst", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
          "tls.handshake.extensions_server_name", "http.request.method",
          "http.request.uri", "http.host", "http.proxy_authorization",
          "http.response.code", "socks.version", "socks.command",
          "socks.username", "socks.remote_name", "socks.v4a_dns_name",
          "socks.dst", "socks.dstV6", "socks.dstport", "socks.port",
          "socks.results",
          "socks.auth_status", "socks.auth_accepted_method"]


def tshark_rows(pcap):
    out = subprocess.run(
        ["tshark", "-r", pcap, "-T", "fields", "-E", "separator=\t",
         "-E", "occurrence=f"] + sum((["-e", f] for f in FIELDS), []),
        check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        v = line.split("\t")
        v += [""] * (len(FIELDS) - len(v))
        yield dict(zip(FIELDS, v))


def basic_user(h):
    # "Basic dXNlcjox..." -> the user-id before the first colon (RFC 7617).
    if not h.startswith("Basic "):
        return ""
    return base64.b64decode(h[6:]).decode().split(":", 1)[0]


def expected(pcap):
    conns = {}
    for r in tshark_rows(pcap):
        s = r["tcp.stream"]
        if s == "":
            continue
        c = conns.setdefault(s, {"kind": None, "user": "", "target": "",
                                 "rejected": False, "key": None})
        if r["tcp.flags.syn"] in ("1", "True") and \
                r["tcp.flags.ack"] in ("0", "False"):
            c["key"] = (r["ip.src"] or r["ipv6.src"], int(r["tcp.srcport"]),
                        r["ip.dst"] or r["ipv6.dst"], int(r["tcp.dstport"]))
        dport = c["key"][3] if c["key"] else 0
        sni = r["tls.handshake.extensions_server_name"]
        meth = r["http.request.method"]
        code = r["http.response.code"]
        if r["socks.version"] and c["kind"] in (None, "socks"):
            c["kind"] = "socks"
            if r["socks.username"]:
                c["user"] = r["socks.username"]
            # The request is the first frame with a command; tshark
            # repeats (generated) request fields on the tunnel's frames.
            if r["socks.command"] and not c["target"]:
                host = (r["socks.remote_name"] or r["socks.v4a_dns_name"] or
                        r["socks.dst"] or
                        ("[%s]" % r["socks.dstV6"] if r["socks.dstV6"]
                         else ""))
                c["target"] = "%s:%s" % (host, r["socks.dstport"] or
                                         r["socks.port"])
            if r["socks.results"] in ("2", "91", "92", "93"):
                c["rejected"] = True
            if r["socks.auth_status"] not in ("", "0"):
                c["rejected"] = True
            if r["socks.auth_accepted_method"] == "255":
                c["rejected"] = True
        elif meth == "CONNECT" and c["kind"] is None:
            c["kind"] = "connect"
            c["target"] = r["http.request.uri"]
            c["user"] = basic_user(r["http.proxy_authorization"])
        elif meth and c["kind"] is None:
            uri = r["http.request.uri"]
            if uri.startswith("http://"):
                c["kind"] = "http_proxy"
                hp = uri[7:].split("/", 1)[0]
                c["target"] = hp if ":" in hp else hp + ":80"
                c["user"] = basic_user(r["http.proxy_authorization"])
            else:
                c["kind"] = "http"
                h = r["http.host"]
                c["target"] = h if ":" in h else "%s:%d" % (h, dport)
        elif sni and c["kind"] is None:
            c["kind"] = "tls"
            c["target"] = "%s:%d" % (sni, dport)
        if code and c["kind"] in ("connect", "http_proxy") and \
                code in ("401", "403", "407"):
            c["rejected"] = True
    return {c["key"]: c for c in conns.values()
            if c["kind"] is not None and c["key"] is not None}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exp = expected(sys.argv[1])
    got = {}
    with open(sys.argv[2]) as fp:
        for line in fp:
            o = json.loads(line)
            if o.get("protocol") != "tcp":
                continue
            got[(o["source_ip"], o["source_port"], o["dest_ip"],
                 o["dest_port"])] = o
    by_kind = collections.Counter()
    users = set()
    targets = set()
    rejected = 0
    bad = 0
    for key, c in sorted(exp.items()):
        o = got.get(key)
        want_user = c["user"] or key[0]
        if o is None:
            print("missing session %s (%s)" % (key, c["kind"]))
            bad += 1
            continue
        ok = (o["user"] == want_user and (o["target"] or "") == c["target"] and
              (o["status"] == "rejected_by_acl") == c["rejected"])
        if not ok:
            bad += 1
            print("mismatch %s %s: tshark user=%r target=%r rejected=%s; "
                  "agent user=%r target=%r status=%s" % (
                      key, c["kind"], want_user, c["target"], c["rejected"],
                      o["user"], o["target"], o["status"]))
            continue
        by_kind[c["kind"]] += 1
        if c["user"]:
            users.add(c["user"])
        if c["target"]:
            targets.add(c["target"])
        rejected += c["rejected"]
    print("handshakes tshark read and the agent matched: %s" %
          " ".join("%s=%d" % kv for kv in sorted(by_kind.items())))
    print("distinct proxy users %d, distinct targets %d, rejected %d, "
          "mismatches %d" % (len(users), len(targets), rejected, bad))
    sys.exit(1 if bad or not by_kind else 0)


if __name__ == "__main__":
    main()
