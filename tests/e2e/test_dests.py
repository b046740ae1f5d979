#!/usr/bin/env python3
"""End-to-end tests of the per-destination metrics (issue 12, item 4):
sessacct_destination_sessions_total and sessacct_destination_bytes_total
from real captures replayed by sessacct-capture into real aggregators,
read back through a real sessacct-api.

  Equal    every destination series equals the sums of the sessions the
           API's history lists under that name (the target, else the
           server's ip:port, "[ip]:port" for IPv6), one series per name,
           nothing under "other"; the stats' top destinations name the
           same; `promtool check metrics` passes.
  Bound    an aggregator with aggregator.max_destinations=3 behind an
           API with api.metrics_top_destinations=2: at most two named
           series, each still equal to its history sums, and "other"
           holds exactly the rest.
  Hostile  SOCKS5 target names with quotes, backslashes, braces and a
           newline byte (a capture made here, through the real agent),
           and a crafted agent's target and user with bytes that are not
           UTF-8: the exposition stays valid and each label reads back as
           the name history shows (a user cut to the 63 bytes the
           per-user counters keep, on a character boundary).
  Multi    one API over both aggregators: the series carry the
           aggregator label, each equal to that aggregator's alone.

usage: test_dests.py --capture BIN --aggregator BIN --api BIN --pcaps DIR
                     --static DIR [unittest args]

Reuses test_api.py's process helpers; the crafted agent needs
python3-zmq and python3-msgpack. Bounded polls only.
"""
import argparse
import os
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as ta       # noqa: E402  (Pipeline, Http, helpers)

import msgpack              # noqa: E402
import zmq                  # noqa: E402

ARGS = None
NS = 1000000000
PCAPS = ["socks.pcap", "http.pcapng", "http_connect.pcap", "http_ipv6.pcap",
         "zeek-socks-with-ssl.pcap", "dns.pcap"]
# SOCKS5 domain names as the client sends them; the agent writes bytes
# outside printable ASCII as '?' (capture/l7.c).
HOSTILE = [b'q"uote.example', b'back\\slash\\', b'x{a="b"} 1\nfake 2',
           b'"}\\"\\\\']
# A crafted agent's target: not UTF-8 (\xff, a cut sequence), quotes,
# a backslash and a valid two-byte character. Replaced by U+FFFD.
RAW_TARGET = b'bad\xff"utf\\8\xc3(\xc3\xa9:443'
# Its user: not UTF-8 either, and longer than the per-user counters keep
# (63 bytes), cut inside a two-byte character.
RAW_USER = b'u\xfe"x' + b'\xc3\xa9' * 40


def socks5_pcap(path, names, start_s):
    """A capture of one SOCKS5 CONNECT per name (no authentication), from
    10.7.0.x to 192.0.2.10:1080, each moving a few bytes and closing with
    FIN both ways."""
    pkt = ta.tcp_frame
    recs = []
    srv, sp = "192.0.2.10", 1080
    t = start_s
    for i, name in enumerate(names):
        cli, cp = "10.7.0.%d" % (i + 1), 41000 + i
        c, s = 1000, 9000       # next sequence numbers
        steps = [(0, 0x02, b""), (1, 0x12, b""), (0, 0x10, b""),
                 (0, 0x18, b"\x05\x01\x00"), (1, 0x18, b"\x05\x00"),
                 (0, 0x18, b"\x05\x01\x00\x03" + bytes([len(name)]) + name +
                  struct.pack("!H", 443)),
                 (1, 0x18, b"\x05\x00\x00\x01\xc6\x33\x64\x07\x01\xbb"),
                 (0, 0x18, b"c" * (50 + 10 * i)),
                 (1, 0x18, b"s" * (300 + 20 * i)),
                 (0, 0x11, b""), (1, 0x11, b""), (0, 0x10, b"")]
        for srv_side, flags, data in steps:
            if srv_side:
                p = pkt(srv, cli, sp, cp, flags, s, c if flags != 0x12
                        else c, data)
                s += len(data) + (1 if flags & 0x03 else 0)
            else:
                p = pkt(cli, srv, cp, sp, flags, c, s if flags != 0x02
                        else 0, data)
                c += len(data) + (1 if flags & 0x03 else 0)
            recs.append((t, p))
            t += 0.001
        t += 0.01
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
        for ts, p in recs:
            sec = int(ts)
            f.write(struct.pack("<IIII", sec, int(round((ts - sec) * 1e9)),
                                len(p), len(p)))
            f.write(p)


def crafted_agent(ingest, target, user):
    """One UDP session of agent "crafted" whose target and user are
    target and user (bytes, sent as msgpack str as they are); returns
    once it is acked."""
    now = time.time_ns()
    start = now - 5 * NS
    marker, umarker = "T" * len(target), "U" * len(user)
    ev = [1, 4, 17, bytes([10, 8, 0, 1]), 40000, bytes([10, 8, 0, 2]), 9999,
          start, start + NS, 1, 1, 70, 90, 98, 118, 0, 0, 0, 0, umarker,
          marker]
    close = list(ev)
    close[0], close[7], close[8] = 2, start, start + 2 * NS
    close[9:15] = [1, 0, 7, 0, 35, 0]
    close[17], close[18] = 1, 3
    body = msgpack.packb([1, 1, "crafted", "e2e", 77, 1, 1, now,
                          [0, 0, 0, 0, 0, {}], [ev, close], now - 10 * NS],
                         use_bin_type=True)
    # Same length: the msgpack str header stays right.
    assert body.count(marker.encode()) == 2
    assert body.count(umarker.encode()) == 2
    body = body.replace(marker.encode(), target)
    body = body.replace(umarker.encode(), user)
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    try:
        s.connect(ingest)
        s.send(body)
        assert s.poll(10000), "no ack from the aggregator"
        ack = msgpack.unpackb(s.recv(), raw=False)
        assert ack[4] == 0, "crafted batch not accepted: %r" % (ack,)
    finally:
        s.close(0)
        ctx.term()


def dest_key(s):
    """The name a session counts under: target, else server ip:port."""
    if s["target"] is not None:
        return s["target"]
    if ":" in s["dest_ip"]:
        return "[%s]:%d" % (s["dest_ip"], s["dest_port"])
    return "%s:%d" % (s["dest_ip"], s["dest_port"])


def sums(sessions):
    """name -> [sessions, bytes_sent, bytes_received]."""
    out = {}
    for s in sessions:
        v = out.setdefault(dest_key(s), [0, 0, 0])
        v[0] += 1
        v[1] += s["bytes_sent"]
        v[2] += s["bytes_received"]
    return out


def unescape(v):
    """A label value as written (escaped) -> the text."""
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\":
            out.append({"\\": "\\", '"': '"', "n": "\n"}[v[i + 1]])
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


def dest_series(ms, agg=None):
    """{name: [sessions, sent, received]} from parsed metrics (labels
    unescaped); agg: only that aggregator label's."""
    out = {}
    for (name, labels), val in ms.items():
        lab = dict(labels)
        if agg is not None and lab.get("aggregator") != agg:
            continue
        if name == "sessacct_destination_sessions_total":
            out.setdefault(unescape(lab["destination"]), [0, 0, 0])[0] = \
                int(val)
        elif name == "sessacct_destination_bytes_total":
            k = 1 if lab["direction"] == "sent" else 2
            out.setdefault(unescape(lab["destination"]), [0, 0, 0])[k] = \
                int(val)
    return out


class Dests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.pl = ta.Pipeline("dests")
        try:
            hostile = os.path.join(cls.pl.td, "hostile.pcap")
            socks5_pcap(hostile, HOSTILE, 1700000000)
            cls.a = cls.pl.aggregator()
            cls.b = cls.pl.aggregator(
                extra=["--set", "aggregator.max_destinations=3"])
            for agg in (cls.a, cls.b):
                for pcap in PCAPS:
                    cls.pl.replay(os.path.join(ARGS.pcaps, pcap),
                                  agg["ingest"], ta.agent_name(pcap))
                cls.pl.replay(hostile, agg["ingest"], "hostile")
                crafted_agent(agg["ingest"], RAW_TARGET, RAW_USER)
            cls.http_a = cls.pl.api(cls.a["query"], [
                "--set", "api.metrics_top_destinations=10000",
                "--set", "api.metrics_top_users=10000",
                "--set", "api.metrics_cache_ms=0"])
            cls.http_b = cls.pl.api(cls.b["query"], [
                "--set", "api.metrics_top_destinations=2",
                "--set", "api.metrics_cache_ms=0"])
            cls.http_ab = cls.pl.api(
                cls.a["query"] + "," + cls.b["query"], [
                    "--set", "api.aggregator_names=a,b",
                    "--set", "api.metrics_top_destinations=10000",
                    "--set", "api.metrics_cache_ms=0"])
            deadline = time.monotonic() + 30
            for h in (cls.http_a, cls.http_b):
                while h.json("/api/sessions/active")["total"] != 0:
                    assert time.monotonic() < deadline, "sessions stay open"
                    time.sleep(0.1)
            cls.hist_a = ta.history_all(cls.http_a)[0]
            cls.hist_b = ta.history_all(cls.http_b)[0]
        except BaseException:
            print(cls.pl.tails())
            cls.pl.stop(check=False)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pl.stop()

    def scrape(self, http):
        st, hdr, body = http.raw("/metrics")
        self.assertEqual(st, 200)
        r = subprocess.run(["promtool", "check", "metrics"], input=body,
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return ta.parse_metrics(body.decode("utf-8"))

    def test_equal_history(self):
        ms = self.scrape(self.http_a)
        got = dest_series(ms)
        want = sums(self.hist_a)
        self.assertGreater(len(want), 10)
        self.assertEqual(got.pop("other"), [0, 0, 0])
        self.assertEqual(got, want)
        # The stats rank destinations under the same names.
        oldest = min(ta.rfc3339_ns(s["end_time"]) for s in self.hist_a)
        hours = (time.time_ns() - oldest) // (3600 * NS) + 24
        st = self.http_a.json("/api/sessions/stats?window_hours=%d" % hours)
        self.assertGreater(len(st["top_destinations"]), 3)
        for d in st["top_destinations"]:
            self.assertEqual(d["sessions"], want[d["dest"]][0], d)
            self.assertEqual(d["bytes"], sum(want[d["dest"]][1:]), d)

    def test_bound(self):
        ms = self.scrape(self.http_b)
        got = dest_series(ms)
        want = sums(self.hist_b)
        rest = got.pop("other")
        self.assertEqual(len(got), 2)
        for name, v in got.items():
            self.assertEqual(v, want[name], name)
        total = [sum(v[k] for v in want.values()) for k in range(3)]
        self.assertEqual([rest[k] + sum(v[k] for v in got.values())
                          for k in range(3)], total)
        self.assertGreater(rest[0], 0)
        self.assertEqual(total[0], len(self.hist_b))

    def test_hostile_names(self):
        ms = self.scrape(self.http_a)
        got = dest_series(ms)
        for raw in HOSTILE:
            name = "".join(chr(c) if 0x20 <= c < 0x7f else "?"
                           for c in raw) + ":443"
            hist = [s for s in self.hist_a if s["target"] == name]
            self.assertEqual(len(hist), 1, name)
            self.assertEqual(got[name], sums(hist)[name], name)
        name = RAW_TARGET.decode("utf-8", "replace")
        self.assertIn("\ufffd", name)
        hist = [s for s in self.hist_a if s["target"] == name]
        self.assertEqual(len(hist), 1, name)
        self.assertEqual(got[name], [1, 77, 90])
        # Its user: the same replacement, cut to 63 bytes on a character
        # boundary (the per-user counters' name), one series.
        user = RAW_USER.decode("utf-8", "replace")
        self.assertEqual([s["user"] for s in hist], [user])
        short = user.encode()[:63].decode("utf-8", "ignore")
        self.assertEqual(len(short.encode()), 62)
        self.assertEqual(ta.metric(ms, "sessacct_user_sessions_total",
                                   user=short.replace("\\", "\\\\")
                                   .replace('"', '\\"')), 1)
        # The only session of the last hour: the stats name it alike.
        st = self.http_a.json("/api/sessions/stats?window_hours=1")
        self.assertEqual(st["top_destinations"],
                         [{"dest": name, "sessions": 1, "bytes": 167}])
        # The raw exposition: one line per series, the hostile labels
        # escaped (the parser above would have failed on a broken line).
        text = self.http_a.raw("/metrics")[2].decode("utf-8")
        self.assertIn('sessacct_destination_sessions_total{destination='
                      '"x{a=\\"b\\"} 1?fake 2:443"} 1\n', text)
        self.assertIn('sessacct_destination_sessions_total{destination='
                      '"\\"}\\\\\\"\\\\\\\\:443"} 1\n', text)

    def test_multi_label(self):
        ms = self.scrape(self.http_ab)
        for agg, hist in (("a", self.hist_a), ("b", self.hist_b)):
            got = dest_series(ms, agg)
            rest = got.pop("other")
            want = sums(hist)
            for name, v in got.items():
                self.assertEqual(v, want[name], (agg, name))
            self.assertEqual(
                [rest[k] + sum(v[k] for v in got.values())
                 for k in range(3)],
                [sum(v[k] for v in want.values()) for k in range(3)])
            if agg == "a":
                self.assertEqual(rest, [0, 0, 0])
                self.assertEqual(set(got), set(want))
            else:
                # b keeps three names (aggregator.max_destinations).
                self.assertEqual(len(got), 3)
        self.assertFalse([k for k in ms
                          if k[0].startswith("sessacct_destination_") and
                          "aggregator" not in dict(k[1])])


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--api", required=True)
    ap.add_argument("--pcaps", required=True)
    ap.add_argument("--static", required=True)
    ARGS, rest = ap.parse_known_args()
    ta.ARGS = ARGS
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
