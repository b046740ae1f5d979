#!/usr/bin/env python3
"""Write the enrichment oracle of a capture from tshark's dissectors.

usage: gen_enrich_oracle.py PCAP...

For each PCAP, runs tshark (with the -d hints that tests/oracle/
enrich_decode_as.tsv gives for that file name) and writes
PCAP.tshark-enrich.tsv beside it: one row per TCP connection (tcp.stream)
on which tshark decoded SOCKS, an HTTP request or a TLS ClientHello.
Nothing is written for a capture without any such connection.

Columns: client_ip client_port server_ip server_port user target verdict.
The client is the sender of the SYN (SYN without ACK), else the sender of
the first request. Computed from tshark fields only, as the session model
of /work/shared/DESIGN.md says, from the first request of each kind in
the connection:

  user    SOCKS user name (SOCKS4 USERID, SOCKS5 RFC 1929), else the user
          of a Proxy-Authorization: Basic header of the first HTTP request;
          empty when none (the checker then expects the client IP).
  target  by precedence: SOCKS request host:port > HTTP CONNECT authority
          > absolute-URI host:port (default port 80 for http, 443 for
          https) > TLS SNI:server port > HTTP Host (":server port" added
          when it has none); IPv6 literals in brackets; empty when none.
  verdict rejected_by_acl: SOCKS5 method 0xFF, RFC 1929 status != 0,
          SOCKS5 REP 2, SOCKS4 reply 91-93, HTTP 401/403/407 to a CONNECT
          or absolute-URI request; failed: other SOCKS5 REP != 0, HTTP
          502/503/504 to a CONNECT; empty: no refusal seen.

SOCKS fields: tshark 4.0 puts the SOCKS5 request's port in socks.port
(socks.dstport is the SOCKS4 one) and both the SOCKS4 (version 0 reply)
and SOCKS5 replies' codes in socks.results. After the handshake tshark
repeats the request's command/address/port as generated fields on every
data frame, so only the first client frame with socks.command is the
request, and only a server frame with socks.results is a reply.

Exceptions (each one written as a comment line into the TSV and printed,
never dropped silently):
  - no-SYN: a connection whose client SYN is not in the capture (picked
    up mid-stream). sessacct reads enrichment only from a connection's
    SYN on (capture/enrich.c anchors the client stream on the SYN's
    sequence number: mid-stream there is no known message boundary), so
    it by design has no target for these while tshark, which dissects
    any segment that begins with a request line, does.
"""
import base64
import binascii
import ipaddress
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DECODE_AS = os.path.join(HERE, "enrich_decode_as.tsv")
AGG = "\x1e"		# between occurrences of one field

FIELDS = [
    "frame.number", "tcp.stream",
    "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport",
    "tcp.flags.syn", "tcp.flags.ack",
    "socks.version", "socks.command", "socks.address_type", "socks.dst",
    "socks.dstV6", "socks.v4a_dns_name", "socks.remote_name",
    "socks.dstport", "socks.port", "socks.results",
    "socks.auth_accepted_method", "socks.auth_status", "socks.username",
    "http.request.method", "http.request.uri", "http.host",
    "http.proxy_authorization", "http.response.code", "http.request_in",
    "tls.handshake.type", "tls.handshake.extensions_server_name",
]

COLUMNS = ["client_ip", "client_port", "server_ip", "server_port", "user",
       "target", "verdict"]


def decode_as(pcap):
    args = []
    name = os.path.basename(pcap)
    with open(DECODE_AS) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if cols[0] == name:
                for d in cols[1:]:
                    args += ["-d", d]
    return args


def tshark_version():
    out = subprocess.run(["tshark", "--version"], capture_output=True,
                 text=True, check=True).stdout
    return out.splitlines()[0].strip().rstrip(".")


def first(v):
    return v[0] if v else None


def last(v):
    return v[-1] if v else None


def bracket(host):
    """An IPv6 literal in brackets, anything else as is."""
    if host.startswith("["):
        return host
    try:
        if ipaddress.ip_address(host).version == 6:
            return "[%s]" % ipaddress.ip_address(host).compressed
    except ValueError:
        pass
    return host


def has_port(hostport):
    if hostport.startswith("["):
        return "]:" in hostport
    return ":" in hostport


def host_target(host, server_port):
    """HTTP Host: ":server port" added when it has none."""
    if ":" in host and not host.startswith("["):
        try:	# a bare IPv6 literal: no port in it
            ipaddress.IPv6Address(host)
            return "[%s]:%d" % (host, server_port)
        except ValueError:
            return host
    if has_port(host):
        return host
    return "%s:%d" % (host, server_port)


ABS = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)")


def absolute_target(uri):
    m = ABS.match(uri)
    if not m:
        return None
    scheme, auth = m.group(1).lower(), m.group(2)
    auth = auth.rsplit("@", 1)[-1]		# userinfo is not the target
    if not auth:
        return None
    if has_port(auth):
        return auth
    return "%s:%d" % (auth, 443 if scheme == "https" else 80)


def basic_user(value):
    m = re.match(r"^\s*Basic\s+(\S+)", value or "", re.I)
    if not m:
        return None
    try:
        raw = base64.b64decode(m.group(1), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.decode("utf-8", "replace").split(":", 1)[0]


def run_tshark(pcap):
    cmd = ["tshark", "-n", "-r", pcap] + decode_as(pcap) + [
        "-Y", "tcp && !icmp && !icmpv6", "-T", "fields", "-E", "separator=/t",
        "-E", "occurrence=a", "-E", "aggregator=" + AGG, "-E", "quote=n"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True,
                 errors="replace", check=True).stdout
    frames = []
    for line in out.splitlines():
        vals = line.split("\t")
        vals += [""] * (len(FIELDS) - len(vals))
        fr = {}
        for k, v in zip(FIELDS, vals):
            fr[k] = v.split(AGG) if v != "" else []
        if not (fr["tcp.stream"] and fr["tcp.srcport"] and fr["tcp.dstport"]):
            continue    # a TCP header cut short: no ports, no stream
        # Tunnels: the innermost IP header carries the flow.
        fr["src"] = (last(fr["ipv6.src"]) or last(fr["ip.src"]),
                 int(first(fr["tcp.srcport"])))
        fr["dst"] = (last(fr["ipv6.dst"]) or last(fr["ip.dst"]),
                 int(first(fr["tcp.dstport"])))
        fr["num"] = int(first(fr["frame.number"]))
        frames.append(fr)
    return frames


def conn_row(frames):
    """(row dict, exception or None) for one tcp.stream, or None."""
    def interesting(fr):
        return bool(fr["socks.version"] or fr["http.request.method"]
                or "1" in fr["tls.handshake.type"])
    if not any(interesting(fr) for fr in frames):
        return None

    syn = next((fr for fr in frames if first(fr["tcp.flags.syn"]) == "1"
            and first(fr["tcp.flags.ack"]) == "0"), None)
    if syn is not None:
        client, server = syn["src"], syn["dst"]
    else:
        req = next(fr for fr in frames if fr["socks.command"]
               or fr["socks.version"] or fr["http.request.method"]
               or "1" in fr["tls.handshake.type"])
        client, server = req["src"], req["dst"]
    cli = [fr for fr in frames if fr["src"] == client]
    srv = [fr for fr in frames if fr["src"] == server]

    user = None
    verdict = ""
    socks_target = None

    # SOCKS: the first client frame with a command is the request.
    sreq = next((fr for fr in cli if fr["socks.command"]), None)
    sver = first(sreq["socks.version"]) if sreq else None
    for fr in cli:
        if sreq is not None and fr["num"] > sreq["num"]:
            break
        u = first(fr["socks.username"])
        if u:
            user = u
            break
    if sreq is not None:
        if sver == "5":
            port = first(sreq["socks.port"])
            host = (first(sreq["socks.remote_name"])
                or first(sreq["socks.dst"]))
            v6 = first(sreq["socks.dstV6"])
            if v6 and not host:
                host = "[%s]" % ipaddress.ip_address(v6).compressed
        else:
            port = first(sreq["socks.dstport"])
            host = (first(sreq["socks.v4a_dns_name"])
                or first(sreq["socks.dst"]))
        if host and port:
            socks_target = "%s:%s" % (host, port)
    for fr in srv:
        m = first(fr["socks.auth_accepted_method"])
        if m is not None and int(m, 0) == 0xFF:
            verdict = "rejected_by_acl"
            break
        st = first(fr["socks.auth_status"])
        if st is not None and int(st, 0) != 0:
            verdict = "rejected_by_acl"
            break
        r = first(fr["socks.results"])
        if r is not None and sreq is not None:
            r = int(r, 0)
            if sver == "5":
                if r == 2:
                    verdict = "rejected_by_acl"
                elif r != 0:
                    verdict = "failed"
            elif 91 <= r <= 93:
                verdict = "rejected_by_acl"
            break

    # HTTP: the first request only.
    hreq = next((fr for fr in cli if fr["http.request.method"]), None)
    connect = absolute = host = None
    if hreq is not None:
        method = first(hreq["http.request.method"])
        uri = first(hreq["http.request.uri"]) or ""
        if method == "CONNECT":
            connect = uri
        else:
            absolute = absolute_target(uri)
        h = first(hreq["http.host"])
        if h:
            host = host_target(h, server[1])
        if user is None:
            user = basic_user(first(hreq["http.proxy_authorization"]))
        resp = next((fr for fr in srv if fr["http.response.code"] and
                 str(hreq["num"]) in fr["http.request_in"]), None)
        if resp is not None and not verdict and sreq is None:
            code = int(first(resp["http.response.code"]))
            if (connect or absolute) and code in (401, 403, 407):
                verdict = "rejected_by_acl"
            elif connect and code in (502, 503, 504):
                verdict = "failed"

    # TLS: the first ClientHello.
    sni = None
    hello = next((fr for fr in cli if "1" in fr["tls.handshake.type"]),
             None)
    if hello is not None:
        name = first(hello["tls.handshake.extensions_server_name"])
        if name:
            sni = "%s:%d" % (name, server[1])

    target = socks_target or connect or absolute or sni or host or ""
    row = {
        "client_ip": client[0], "client_port": str(client[1]),
        "server_ip": server[0], "server_port": str(server[1]),
        "user": user or "", "target": target, "verdict": verdict,
    }
    exc = None
    if syn is None:
        exc = "no-SYN"
    return row, exc


def generate(pcap, version):
    frames = run_tshark(pcap)
    streams = {}
    for fr in frames:
        streams.setdefault(int(first(fr["tcp.stream"])), []).append(fr)
    rows, skipped = [], []
    for sid in sorted(streams):
        r = conn_row(streams[sid])
        if r is None:
            continue
        row, exc = r
        if exc:
            skipped.append((sid, row, exc))
        else:
            rows.append(row)
    out = pcap + ".tshark-enrich.tsv"
    if not rows and not skipped:
        if os.path.exists(out):
            os.unlink(out)
        print("%s: no SOCKS, HTTP request or ClientHello" % pcap)
        return
    d = decode_as(pcap)
    with open(out, "w") as f:
        f.write("# %s; tests/oracle/gen_enrich_oracle.py%s\n" %
            (version, (" " + " ".join(d)) if d else ""))
        for sid, row, exc in skipped:
            f.write("# skipped %s (stream %d): %s:%s -> %s:%s, tshark "
                "target %r\n" % (exc, sid, row["client_ip"],
                row["client_port"], row["server_ip"],
                row["server_port"], row["target"]))
        f.write("\t".join(COLUMNS) + "\n")
        for row in rows:
            f.write("\t".join(row[c] for c in COLUMNS) + "\n")
    print("%s: %d rows, %d skipped -> %s" % (pcap, len(rows),
                          len(skipped), out))
    for sid, row, exc in skipped:
        print("  skipped %s: stream %d %s:%s -> %s:%s" % (exc, sid,
              row["client_ip"], row["client_port"], row["server_ip"],
              row["server_port"]))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    version = tshark_version()
    for pcap in sys.argv[1:]:
        generate(pcap, version)


if __name__ == "__main__":
    main()
