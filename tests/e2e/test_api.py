#!/usr/bin/env python3
"""End-to-end tests of sessacct-api with the real three binaries on
127.0.0.1 (stdlib only, plus promtool, prometheus and chromium).

Groups (one ctest entry each):
  Data       every capture of tests/pcap replayed through a real
             aggregator (one agent per capture), then read back through
             the API: history summed per conversation equals the tshark
             oracle; stats totals equal sums over history for the window;
             /metrics agrees with the API's totals and passes
             `promtool check metrics`; pagination visits every session
             exactly once, newest first; CSV has the same rows as JSON;
             one session by id; agents.
  Errors     every error case (unknown route, method, unknown parameter,
             malformed values, window 0 or over retention, unknown
             session, oversized request) asserts status and message;
             an unreachable aggregator gives 503 on data routes while
             /health and /metrics still answer.
  Prometheus a real Prometheus server scrapes the API every second and
             its query API returns the session counters.
  Dashboard  the page in headless Chromium, while a paced replay keeps
             sessions open, shows the sessions and numbers the API returns.

usage: test_api.py --capture BIN --aggregator BIN --api BIN --pcaps DIR
                   --static DIR [unittest args, e.g. Data]

Ports are picked by the OS (port 0) and read back from --ready-file;
Prometheus gets a port found free just before it starts. Each group has
its own temp dir (kept when SA_E2E_KEEP=1); a failing case prints the
tail of every log. Bounded waits only, no fixed sleeps for readiness.
"""
import argparse
import calendar
import csv
import html
import io
import ipaddress
import json
import math
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

ARGS = None
RETENTION_DAYS = 36500          # the captures are years old
READY_TIMEOUT = 30
REPLAY_TIMEOUT = 120
HTTP_TIMEOUT = 30
FIELDS = ["session_id", "agent", "protocol", "source_ip", "source_port",
          "dest_ip", "dest_port", "user", "target", "start_time", "end_time",
          "duration_secs", "bytes_sent", "bytes_received", "packets_sent",
          "packets_received", "wire_bytes_sent", "wire_bytes_received",
          "status", "close_reason", "origin", "leg",
          "peer_session_id"]
TIME_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{9})Z$")
NS = 1000000000


def rfc3339_ns(s):
    """RFC 3339 UTC with 9 decimals -> ns since the epoch (exact)."""
    m = TIME_RE.match(s)
    if m is None:
        raise ValueError("not RFC 3339 UTC with 9 decimals: %r" % s)
    y, mo, d, h, mi, sec, frac = (int(x) for x in m.groups())
    y -= mo <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return (days * 86400 + h * 3600 + mi * 60 + sec) * NS + frac


def norm(ip):
    return ipaddress.ip_address(ip).compressed


def conv_key(proto, a, pa, b, pb):
    ea, eb = (norm(a), int(pa)), (norm(b), int(pb))
    return (proto,) + ((ea, eb) if ea <= eb else (eb, ea))


def pcaps_with_oracle():
    return sorted(f[:-len(".tshark-conv.tsv")] for f in os.listdir(ARGS.pcaps)
                  if f.endswith(".tshark-conv.tsv"))


def agent_name(pcap):
    return re.sub(r"[^A-Za-z0-9_-]", "_", pcap.rsplit(".", 1)[0])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Http:
    """GET requests against one base URL; returns (status, headers,
    body bytes) for every status."""

    def __init__(self, base):
        self.base = base

    def raw(self, path, method="GET", headers=None):
        req = urllib.request.Request(self.base + path, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, path, want=200):
        st, hdr, body = self.raw(path)
        if st != want:
            raise AssertionError("%s: status %d, want %d: %s" %
                                 (path, st, want, body[:400]))
        if not hdr.get("Content-Type", "").startswith("application/json"):
            raise AssertionError("%s: content type %s" %
                                 (path, hdr.get("Content-Type")))
        return json.loads(body)


class Pipeline:
    """The real binaries in one temp dir; stop() checks exit codes."""

    def __init__(self, name):
        self.td = tempfile.mkdtemp(prefix="sessacct-api-e2e.%s." % name)
        os.chmod(self.td, 0o777)    # capture drops to nobody as root
        self.procs = []             # (name, Popen, log path)
        self.logs = []
        self.n = 0

    def _spawn(self, name, argv):
        self.n += 1
        log = os.path.join(self.td, "%02d-%s.log" % (self.n, name))
        fp = open(log, "wb")
        p = subprocess.Popen(argv, stdout=fp, stderr=subprocess.STDOUT)
        fp.close()
        self.procs.append((name, p, log))
        self.logs.append(log)
        return p

    def _ready(self, path, p, name):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path) as f:
                    return json.load(f)
            if p.poll() is not None:
                raise AssertionError("%s exited %d before ready\n%s" %
                                     (name, p.returncode, self.tails()))
            time.sleep(0.02)
        raise AssertionError("%s not ready in %d s" % (name, READY_TIMEOUT))

    def aggregator(self, retention=RETENTION_DAYS, extra=()):
        self.n += 0
        db = os.path.join(self.td, "db%d" % self.n)
        ready = os.path.join(self.td, "agg%d.ready" % self.n)
        p = self._spawn("aggregator", [
            ARGS.aggregator, "--set", "store.path=" + db,
            "--set", "store.retention_days=%d" % retention,
            "--set", "aggregator.listen=tcp://127.0.0.1:0",
            "--set", "aggregator.query_listen=tcp://127.0.0.1:0",
            "--set", "aggregator.agent_timeout=3600",
            "--ready-file", ready] + list(extra))
        return self._ready(ready, p, "aggregator")

    def api(self, query_endpoint, extra=()):
        ready = os.path.join(self.td, "api%d.ready" % self.n)
        p = self._spawn("api", [
            ARGS.api, "--set", "api.listen=127.0.0.1:0",
            "--set", "api.aggregator=" + query_endpoint,
            "--set", "api.static_dir=" + ARGS.static,
            "--ready-file", ready] + list(extra))
        r = self._ready(ready, p, "api")
        host, port = r["http"].rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0, r
        return Http("http://" + r["http"])

    def replay(self, pcap, ingest, agent, extra=()):
        log = os.path.join(self.td, "capture-%s.log" % agent)
        with open(log, "wb") as fp:
            r = subprocess.run([
                ARGS.capture, "--read", pcap, "--connect", ingest,
                "--set", "capture.agent_id=" + agent] + list(extra),
                stdout=fp, stderr=subprocess.STDOUT, timeout=REPLAY_TIMEOUT)
        self.logs.append(log)
        if r.returncode != 0:
            raise AssertionError("replay of %s exited %d\n%s" %
                                 (pcap, r.returncode, self.tails()))

    def start_replay(self, pcap, ingest, agent, extra=()):
        return self._spawn("capture-" + agent, [
            ARGS.capture, "--read", pcap, "--connect", ingest,
            "--set", "capture.agent_id=" + agent] + list(extra))

    def tails(self):
        out = []
        for log in self.logs:
            try:
                with open(log, "rb") as f:
                    lines = f.read().decode("utf-8", "replace").splitlines()
            except OSError:
                continue
            out.append("--- %s\n%s" % (log, "\n".join(lines[-15:])))
        return "\n".join(out)

    def stop(self, check=True):
        bad = []
        for name, p, _ in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                    bad.append("%s did not stop on SIGTERM" % name)
                    continue
            if p.returncode != 0 and not name.startswith("capture"):
                bad.append("%s exited %d" % (name, p.returncode))
        if os.environ.get("SA_E2E_KEEP") != "1":
            shutil.rmtree(self.td, ignore_errors=True)
        if check and bad:
            raise AssertionError("; ".join(bad))


def history_all(http, query="", limit=1000):
    """Every page of /api/sessions/history?query; returns (sessions,
    pages)."""
    out, cursor, pages = [], None, 0
    while True:
        q = "limit=%d" % limit + ("&" + query if query else "")
        if cursor is not None:
            q += "&cursor=" + urllib.parse.quote(cursor, safe="")
        page = http.json("/api/sessions/history?" + q)
        pages += 1
        assert list(page.keys()) == ["sessions", "next_cursor"], page.keys()
        out.extend(page["sessions"])
        cursor = page["next_cursor"]
        if cursor is None:
            return out, pages
        assert pages < 100000


def parse_metrics(text):
    """Prometheus text -> {(name, frozenset(labels)): value}."""
    out = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line)
        assert m, "bad metrics line: %r" % line
        labels = frozenset(label_re.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def metric(ms, name, **labels):
    return ms[(name, frozenset(labels.items()))]


class Data(unittest.TestCase):
    """The API's answers after replaying every capture."""

    @classmethod
    def setUpClass(cls):
        cls.pl = Pipeline("data")
        try:
            ready = cls.pl.aggregator()
            cls.ingest = ready["ingest"]
            cls.agents = {}
            for pcap in pcaps_with_oracle():
                agent = agent_name(pcap)
                cls.agents[agent] = pcap
                cls.pl.replay(os.path.join(ARGS.pcaps, pcap), cls.ingest,
                              agent)
            cls.http = cls.pl.api(ready["query"],
                                  ["--set", "api.metrics_top_users=3"])
            # The last batches are acknowledged once durable: nothing is
            # left open, every session is in history.
            deadline = time.monotonic() + 30
            while cls.http.json("/api/sessions/active")["total"] != 0:
                assert time.monotonic() < deadline, "sessions stay active"
                time.sleep(0.1)
            cls.all, cls.pages = history_all(cls.http)
        except BaseException:
            print(cls.pl.tails())
            cls.pl.stop(check=False)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pl.stop()

    def test_history_matches_oracle(self):
        """Per agent (= capture), history summed per conversation equals
        tshark's per-direction packets, IP bytes and payload bytes
        (tests/oracle/check_oracle.py's comparison)."""
        bad = []
        for agent, pcap in sorted(self.agents.items()):
            sessions, _ = history_all(self.http, "agent=" + agent)
            got = {}
            for s in sessions:
                self.assertEqual(list(s.keys()), FIELDS)
                self.assertEqual(s["agent"], agent)
                k = conv_key(s["protocol"], s["source_ip"], s["source_port"],
                             s["dest_ip"], s["dest_port"])
                g = got.setdefault(k, {})
                src = (norm(s["source_ip"]), s["source_port"])
                dst = (norm(s["dest_ip"]), s["dest_port"])
                for ep, sfx in ((src, "sent"), (dst, "received")):
                    e = g.setdefault(ep, [0, 0, 0])
                    e[0] += s["packets_" + sfx]
                    e[1] += s["wire_bytes_" + sfx]
                    e[2] += s["bytes_" + sfx]
            want = {}
            with open(os.path.join(ARGS.pcaps, pcap + ".tshark-conv.tsv")) \
                    as f:
                hdr = f.readline().rstrip("\n").split("\t")
                for line in f:
                    r = dict(zip(hdr, line.rstrip("\n").split("\t")))
                    k = conv_key(r["proto"], r["addr_a"], r["port_a"],
                                 r["addr_b"], r["port_b"])
                    w = want.setdefault(k, {})
                    a = (norm(r["addr_a"]), int(r["port_a"]))
                    b = (norm(r["addr_b"]), int(r["port_b"]))
                    for ep, d in ((a, "a2b"), (b, "b2a")):
                        e = w.setdefault(ep, [0, 0, 0])
                        e[0] += int(r["frames_" + d])
                        e[1] += int(r["ip_bytes_" + d])
                        e[2] += int(r["payload_" + d])
            for k in sorted(set(got) | set(want)):
                g, w = got.get(k), want.get(k)
                if g is None or w is None:
                    bad.append("%s: %s %s" % (pcap, "missing" if g is None
                                              else "extra", k))
                    continue
                for ep in set(g) | set(w):
                    ge, we = g.get(ep, [0, 0, 0]), w.get(ep, [0, 0, 0])
                    if ge != we:
                        bad.append("%s %s from %s: got %s want %s" %
                                   (pcap, k, ep, ge, we))
        self.assertEqual(bad[:20], [], "%d mismatches" % len(bad))
        self.assertEqual(sum(1 for s in self.all), len(self.all))
        self.assertGreater(len(self.all), 1000)

    def test_pagination_exactly_once(self):
        ids = [s["session_id"] for s in self.all]
        self.assertEqual(len(ids), len(set(ids)), "a session twice")
        self.assertGreater(self.pages, 1)
        # Newest first: end times never increase from page to page.
        ends = [rfc3339_ns(s["end_time"]) for s in self.all]
        self.assertEqual(ends, sorted(ends, reverse=True))
        # Small pages, several filters: the same set, each once.
        small, pages = history_all(self.http, limit=97)
        self.assertEqual([s["session_id"] for s in small], ids)
        self.assertGreater(pages, len(ids) // 97)
        for q, pred in (
                ("status=failed", lambda s: s["status"] == "failed"),
                ("protocol=udp", lambda s: s["protocol"] == "udp"),
                ("agent=synscan", lambda s: s["agent"] == "synscan"),
                ("min_bytes=1000", lambda s: s["bytes_sent"] +
                 s["bytes_received"] >= 1000)):
            got, _ = history_all(self.http, q, limit=13)
            want = [s["session_id"] for s in self.all if pred(s)]
            self.assertEqual([s["session_id"] for s in got], want, q)
            self.assertGreater(len(want), 0, q)

    def test_history_filters(self):
        s0 = next(s for s in self.all if s["protocol"] == "tcp" and
                  s["bytes_sent"] > 0)
        checks = [
            ("user=" + urllib.parse.quote(s0["user"]),
             lambda s: s["user"] == s0["user"]),
            ("dest_ip=" + urllib.parse.quote(s0["dest_ip"]),
             lambda s: norm(s["dest_ip"]) == norm(s0["dest_ip"])),
            ("source_ip=" + urllib.parse.quote(s0["source_ip"]),
             lambda s: norm(s["source_ip"]) == norm(s0["source_ip"])),
            ("min_duration_secs=1.5",
             lambda s: s["duration_secs"] >= 1.5),
        ]
        start = rfc3339_ns(s0["start_time"])
        checks.append(("start_after=" + urllib.parse.quote(
            s0["start_time"]), lambda s: rfc3339_ns(s["start_time"]) > start))
        # The same instant as epoch seconds with a fraction, and as
        # RFC 3339 with an offset.
        sec, frac = divmod(start, NS)
        checks.append(("start_before=%d.%09d" % (sec, frac),
                       lambda s: rfc3339_ns(s["start_time"]) < start))
        for q, pred in checks:
            got, _ = history_all(self.http, q)
            want = [s["session_id"] for s in self.all if pred(s)]
            self.assertEqual(sorted(s["session_id"] for s in got),
                             sorted(want), q)
        t = time.gmtime(sec)
        shifted = time.gmtime(sec + 2 * 3600)
        off = time.strftime("%Y-%m-%dT%H:%M:%S", shifted) + \
            ".%09d+02:00" % frac
        a, _ = history_all(self.http, "start_before=" +
                           urllib.parse.quote(off))
        b, _ = history_all(self.http, "start_before=" + urllib.parse.quote(
            time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".%09dZ" % frac))
        self.assertEqual(a, b)

    def test_csv_same_rows_as_json(self):
        for q in ("limit=250", "limit=40&agent=1kxun", "limit=1000"):
            js = self.http.json("/api/sessions/history?" + q)
            st, hdr, body = self.http.raw("/api/sessions/history?format=csv&"
                                          + q)
            self.assertEqual(st, 200)
            self.assertTrue(hdr["Content-Type"].startswith("text/csv"))
            self.assertEqual(hdr.get("X-Next-Cursor"), js["next_cursor"])
            rows = list(csv.reader(io.StringIO(body.decode("utf-8"),
                                               newline="")))
            self.assertEqual(rows[0], FIELDS)
            self.assertEqual(len(rows) - 1, len(js["sessions"]))
            for row, s in zip(rows[1:], js["sessions"]):
                for f, cell in zip(FIELDS, row):
                    v = s[f]
                    if v is None:
                        self.assertEqual(cell, "", f)
                    elif isinstance(v, float):
                        self.assertAlmostEqual(float(cell), v, places=9)
                    else:
                        self.assertEqual(cell, str(v), f)
        # The CSV cursor pages on like the JSON one.
        js = self.http.json("/api/sessions/history?limit=5")
        st, hdr, _ = self.http.raw("/api/sessions/history?format=csv&"
                                   "limit=5&cursor=" + urllib.parse.quote(
                                       js["next_cursor"]))
        self.assertEqual(st, 200)
        page2 = self.http.json("/api/sessions/history?limit=5&cursor=" +
                               urllib.parse.quote(js["next_cursor"]))
        self.assertEqual(hdr.get("X-Next-Cursor"), page2["next_cursor"])

    def test_stats_equal_history_sums(self):
        now = time.time_ns()
        oldest = min(rfc3339_ns(s["end_time"]) for s in self.all)
        whole = math.ceil((now - oldest) / (3600 * NS)) + 24
        # A window boundary in the widest gap between end times, so the
        # per-minute rollups cannot blur it.
        ends = sorted(rfc3339_ns(s["end_time"]) for s in self.all)
        gap = max(range(1, len(ends)), key=lambda i: ends[i] - ends[i - 1])
        mid = (ends[gap] + ends[gap - 1]) // 2
        split = math.ceil((now - mid) / (3600 * NS))
        self.assertTrue(ends[gap - 1] < now - split * 3600 * NS -
                        120 * NS < ends[gap] - 240 * NS)
        for hours in (whole, split):
            st = self.http.json("/api/sessions/stats?window_hours=%d" %
                                hours)
            self.assertEqual(list(st.keys()), [
                "window_hours", "active_sessions", "total_sessions",
                "total_bytes_sent", "total_bytes_received", "top_users",
                "top_destinations", "failed_sessions", "rejected_sessions"])
            since = time.time_ns() - hours * 3600 * NS
            inw = [s for s in self.all if rfc3339_ns(s["end_time"]) >= since]
            self.assertEqual(st["window_hours"], hours)
            self.assertEqual(st["active_sessions"], 0)
            self.assertEqual(st["total_sessions"], len(inw), hours)
            self.assertEqual(st["total_bytes_sent"],
                             sum(s["bytes_sent"] for s in inw))
            self.assertEqual(st["total_bytes_received"],
                             sum(s["bytes_received"] for s in inw))
            self.assertEqual(st["failed_sessions"],
                             sum(s["status"] == "failed" for s in inw))
            self.assertEqual(st["rejected_sessions"],
                             sum(s["status"] == "rejected_by_acl"
                                 for s in inw))
            users = {}
            for s in inw:
                u = users.setdefault(s["user"], [0, 0])
                u[0] += 1
                u[1] += s["bytes_sent"] + s["bytes_received"]
            for u in st["top_users"]:
                self.assertEqual(users[u["user"]], [u["sessions"],
                                                    u["bytes"]], u)
            if st["top_users"]:
                self.assertEqual(st["top_users"][0]["bytes"],
                                 max(v[1] for v in users.values()))
        self.assertLess(self.http.json("/api/sessions/stats?window_hours=%d"
                                       % split)["total_sessions"],
                        len(self.all))

    def test_timeseries_equal_history_sums(self):
        now = time.time_ns()
        newest = max(rfc3339_ns(s["end_time"]) for s in self.all)
        hours = (math.ceil((now - newest) / (3600 * NS)) // 24 + 3) * 24
        ts = self.http.json("/api/sessions/timeseries?window_hours=%d&"
                            "step=1d" % hours)
        self.assertEqual(ts["step_secs"], 86400)
        # Rollups are per minute of the end time; the minute holding
        # "from" counts in the first point.
        frm = rfc3339_ns(ts["from"])
        frm -= frm % (60 * NS)
        inw = [s for s in self.all if rfc3339_ns(s["end_time"]) >= frm]
        self.assertIn(len(ts["points"]), (hours // 24, hours // 24 + 1))
        self.assertEqual(sum(p["sessions"] for p in ts["points"]), len(inw))
        self.assertEqual(sum(p["bytes_sent"] for p in ts["points"]),
                         sum(s["bytes_sent"] for s in inw))

    def test_metrics_agree_and_promtool(self):
        st, hdr, body = self.http.raw("/metrics")
        self.assertEqual(st, 200)
        self.assertEqual(hdr["Content-Type"],
                         "text/plain; version=0.0.4; charset=utf-8")
        text = body.decode("utf-8")
        r = subprocess.run(["promtool", "check", "metrics"], input=body,
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout + r.stderr, b"")
        ms = parse_metrics(text)
        n = len(self.all)
        self.assertEqual(metric(ms, "sessacct_aggregator_up"), 1)
        self.assertEqual(metric(ms, "sessacct_sessions_active"), 0)
        self.assertEqual(metric(ms, "sessacct_sessions_created_total"), n)
        for status in ("closed", "failed", "rejected_by_acl"):
            self.assertEqual(metric(ms, "sessacct_sessions_ended_total",
                                    status=status),
                             sum(s["status"] == status for s in self.all))
        self.assertEqual(metric(ms, "sessacct_sessions_rejected_total"),
                         sum(s["status"] == "rejected_by_acl"
                             for s in self.all))
        reasons = {}
        for s in self.all:
            reasons[s["close_reason"]] = reasons.get(s["close_reason"], 0) + 1
        for reason, count in reasons.items():
            self.assertEqual(metric(ms, "sessacct_sessions_closed_total",
                                    reason=reason), count, reason)
        for d in ("sent", "received"):
            self.assertEqual(metric(ms, "sessacct_bytes_total", direction=d),
                             sum(s["bytes_" + d] for s in self.all))
            self.assertEqual(metric(ms, "sessacct_packets_total",
                                    direction=d),
                             sum(s["packets_" + d] for s in self.all))
            self.assertEqual(metric(ms, "sessacct_wire_bytes_total",
                                    direction=d),
                             sum(s["wire_bytes_" + d] for s in self.all))
        # Duration histogram: count, and each bucket, from history.
        self.assertEqual(metric(ms, "sessacct_session_duration_seconds_count"),
                         n)
        for le in ("0.1", "0.5", "1", "5", "10", "30", "60", "300"):
            self.assertEqual(
                metric(ms, "sessacct_session_duration_seconds_bucket", le=le),
                sum(s["duration_secs"] <= float(le) for s in self.all), le)
        self.assertEqual(metric(ms, "sessacct_session_duration_seconds_bucket",
                                le="+Inf"), n)
        # Per user: top 3 (api.metrics_top_users) plus other, summing to
        # the totals.
        users = {k: v for k, v in ms.items()
                 if k[0] == "sessacct_user_sessions_total"}
        self.assertEqual(len(users), 4)
        self.assertIn(("sessacct_user_sessions_total",
                       frozenset({("user", "other")})), users)
        self.assertEqual(sum(users.values()), n)
        self.assertEqual(sum(v for k, v in ms.items()
                             if k[0] == "sessacct_user_bytes_total" and
                             ("direction", "sent") in k[1]),
                         sum(s["bytes_sent"] for s in self.all))
        # Agents: one series each, and the packets they saw.
        agents = self.http.json("/api/agents")["agents"]
        self.assertEqual(sorted(a["agent"] for a in agents),
                         sorted(self.agents))
        for a in agents:
            self.assertEqual(metric(ms, "sessacct_agent_packets_seen_total",
                                    agent=a["agent"]), a["packets_seen"])
            self.assertEqual(metric(ms, "sessacct_agent_batches_lost_total",
                                    agent=a["agent"]), a["batches_lost"])
            self.assertEqual(metric(ms, "sessacct_agent_up",
                                    agent=a["agent"]), 1)
        self.assertEqual(
            metric(ms, "sessacct_aggregator_store_sessions_written_total"), n)
        self.assertGreater(metric(
            ms, "sessacct_aggregator_store_write_duration_seconds_count"), 0)
        # The API's own requests, by route and status.
        self.http.raw("/api/sessions/history?limit=oops")
        ms = parse_metrics(self.http.raw("/metrics")[2].decode())
        self.assertGreaterEqual(metric(
            ms, "sessacct_api_requests_total",
            route="/api/sessions/history", code="400"), 1)
        self.assertGreaterEqual(metric(
            ms, "sessacct_api_requests_total", route="/metrics", code="200"),
            1)

    def test_session_by_id_and_agents(self):
        for s in (self.all[0], self.all[len(self.all) // 2], self.all[-1]):
            self.assertEqual(self.http.json("/api/sessions/" +
                                            s["session_id"]), s)
        agents = self.http.json("/api/agents")["agents"]
        for a in agents:
            for k in ("agent", "host", "last_heard", "lost", "packets_seen",
                      "kernel_drops", "interface_drops", "decode_errors",
                      "decode_reasons", "batches_lost"):
                self.assertIn(k, a)
            self.assertIsNotNone(TIME_RE.match(a["last_heard"]))
        h = self.http.json("/health")
        self.assertEqual(h["status"], "ok")
        self.assertTrue(h["aggregator"]["reachable"])
        ev = self.http.json("/api/telemetry/events?minutes=60&limit=5")
        self.assertLessEqual(len(ev["events"]), 5)


class Errors(unittest.TestCase):
    """Every error: status, error text, and the parameter named first in
    the detail."""

    @classmethod
    def setUpClass(cls):
        cls.pl = Pipeline("errors")
        try:
            ready = cls.pl.aggregator(retention=2)
            cls.pl.replay(os.path.join(ARGS.pcaps, "http.pcapng"),
                          ready["ingest"], "http")
            cls.http = cls.pl.api(ready["query"],
                                  ["--set", "api.max_limit=500"])
            # Nothing listens on this port: a dead aggregator.
            cls.dead = cls.pl.api("tcp://127.0.0.1:%d" % free_port(), [
                "--set", "api.aggregator_timeout_ms=300",
                "--set", "api.health_timeout_ms=200"])
        except BaseException:
            print(cls.pl.tails())
            cls.pl.stop(check=False)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pl.stop()

    def expect(self, http, path, status, error, detail, method="GET"):
        st, hdr, body = http.raw(path, method=method)
        self.assertEqual(st, status, "%s %s: %s" % (method, path, body))
        self.assertTrue(hdr["Content-Type"].startswith("application/json"),
                        path)
        o = json.loads(body)
        self.assertEqual(sorted(o.keys()), ["detail", "error"], path)
        self.assertEqual(o["error"], error, path)
        self.assertTrue(o["detail"].startswith(detail),
                        "%s: detail %r, want %r..." % (path, o["detail"],
                                                       detail))
        return hdr

    def test_unknown_route(self):
        for p in ("/api", "/api/session", "/api/sessions", "/api/agents/x",
                  "/api/sessions/history/x", "/metrics/x", "/static/",
                  "/favicon.ico"):
            self.expect(self.http, p, 404, "not found", p + ": no such")
        self.expect(self.http, "/static/nope.js", 404, "not found", "nope.js")

    def test_method(self):
        for m in ("POST", "PUT", "DELETE", "PATCH"):
            hdr = self.expect(self.http, "/api/sessions/history", 405,
                              "method not allowed", m + ": ", method=m)
            self.assertEqual(hdr["Allow"], "GET, HEAD")
        st, hdr, body = self.http.raw("/api/agents", method="HEAD")
        self.assertEqual((st, body), (200, b""))
        self.assertGreater(int(hdr["Content-Length"]), 0)

    def test_unknown_parameter(self):
        for path, name in (
                ("/api/sessions/history?limit=5&usr=a", "usr"),
                ("/api/sessions/active?page=2", "page"),
                ("/api/sessions/stats?window=24", "window"),
                ("/api/sessions/timeseries?steps=5", "steps"),
                ("/api/agents?all=1", "all"),
                ("/api/telemetry/events?level=info", "level"),
                ("/health?x=1", "x"), ("/metrics?x=1", "x")):
            self.expect(self.http, path, 400, "unknown parameter",
                        name + ": not a parameter")

    def test_malformed_values(self):
        H = "/api/sessions/history?"
        for q, detail in (
                ("limit=ten", "limit: 'ten' is not a whole number in "
                 "[1, 500]"),
                ("limit=0", "limit: '0'"), ("limit=501", "limit: '501'"),
                ("limit=", "limit: empty value"),
                ("limit=1&limit=2", "limit: given more than once"),
                ("start_after=2024-13-01T00:00:00Z", "start_after: "
                 "'2024-13-01T00:00:00Z' is not an RFC 3339 time"),
                ("start_before=tomorrow", "start_before: 'tomorrow'"),
                ("start_after=1700000000&start_before=1600000000",
                 "start_before: must be later"),
                ("status=active", "status: 'active' is not one of"),
                ("protocol=sctp", "protocol: 'sctp'"),
                ("dest_ip=300.1.1.1", "dest_ip: '300.1.1.1'"),
                ("source_ip=localhost", "source_ip: 'localhost'"),
                ("min_duration_secs=1e3", "min_duration_secs: '1e3'"),
                ("min_bytes=-5", "min_bytes: '-5'"),
                ("format=xlsx", "format: 'xlsx'"),
                ("cursor=not-a-cursor", "cursor: "),
                ("user=%G1", "user: bad percent-encoding")):
            self.expect(self.http, H + q, 400, "bad parameter", detail)
        for path, detail in (
                ("/api/sessions/active?limit=-1", "limit: '-1'"),
                ("/api/sessions/active?protocol=any", "protocol: 'any'"),
                ("/api/sessions/active?dest_ip=x", "dest_ip: 'x'"),
                ("/api/sessions/stats?window_hours=abc", "window_hours: "),
                ("/api/sessions/timeseries?window_hours=1&step=10",
                 "step: '10'"),
                ("/api/sessions/timeseries?to=noon", "to: 'noon'"),
                ("/api/telemetry/events?severity=loud", "severity: 'loud'"),
                ("/api/telemetry/events?category=bogus",
                 "category: 'bogus' is not one of agent_back, "),
                ("/api/telemetry/events?minutes=x", "minutes: 'x'"),
                ("/api/sessions/12345", "id: '12345' is not a session id")):
            self.expect(self.http, path, 400, "bad parameter", detail)

    def test_window_zero_or_over_retention(self):
        for path in ("/api/sessions/stats?window_hours=0",
                     "/api/sessions/timeseries?window_hours=0"):
            self.expect(self.http, path, 400, "bad parameter",
                        "window_hours: '0'")
        # Retention is 2 days here: 48 hours is fine, 49 is not.
        self.http.json("/api/sessions/stats?window_hours=48")
        self.expect(self.http, "/api/sessions/stats?window_hours=49", 400,
                    "bad parameter", "window_hours: ")

    def test_event_categories(self):
        # The categories the aggregator notes (every agg_core_note call in
        # aggregator/), those docs/API.md lists, and those the API takes
        # are the same; any other is a 400 naming them all.
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        noted = set()
        adir = os.path.join(root, "aggregator")
        for dp, _, files in os.walk(adir):
            for f in files:
                if f.endswith(".c"):
                    with open(os.path.join(dp, f)) as fh:
                        noted.update(re.findall(
                            r'agg_core_note\([^,]+,\s*AGG_SEV_[A-Z]+,\s*'
                            r'"([a-z_]+)"', fh.read()))
        with open(os.path.join(root, "docs", "API.md")) as fh:
            doc = fh.read()
        sec = doc[doc.index("### GET /api/telemetry/events"):]
        sec = sec[:sec.index("\n### ", 1)]
        listed = set(re.findall(r"^\| `([a-z_]+)` \| (?:info|warning|error)"
                                r" \|", sec, re.M))
        self.assertGreaterEqual(len(noted), 10, noted)
        self.assertEqual(listed, noted, "docs/API.md vs aggregator/")
        for c in sorted(noted):
            ev = self.http.json("/api/telemetry/events?minutes=525600&"
                                "category=" + c)["events"]
            self.assertTrue(all(e["category"] == c for e in ev), ev)
        for bad in ("bogus", "Agent_lost", "agent_lost,rejected"):
            st, _, body = self.http.raw("/api/telemetry/events?category=" +
                                        bad)
            self.assertEqual(st, 400, body)
            o = json.loads(body)
            self.assertEqual(o["error"], "bad parameter")
            self.assertTrue(o["detail"].startswith(
                "category: '%s' is not one of " % bad), o["detail"])
            names = o["detail"].split(" is not one of ", 1)[1]
            self.assertEqual(set(names.split(", ")), noted, o["detail"])

    def test_unknown_session(self):
        self.expect(self.http, "/api/sessions/" + "0" * 32, 404, "not found",
                    "0" * 32)

    def test_oversized_request(self):
        st, hdr, body = self.http.raw("/health",
                                      headers={"X-Big": "a" * 40000})
        # civetweb 1.15 calls a head over max_request_size malformed
        # (400); the body is still our JSON error.
        self.assertIn(st, (400, 413, 431))
        self.assertTrue(hdr["Content-Type"].startswith("application/json"))
        o = json.loads(body)
        self.assertEqual(sorted(o.keys()), ["detail", "error"])
        self.assertIn(o["error"], ("bad request", "request too large"))

    def test_aggregator_unreachable(self):
        for path in ("/api/sessions/active", "/api/sessions/history",
                     "/api/sessions/stats", "/api/sessions/timeseries",
                     "/api/agents", "/api/telemetry/events",
                     "/api/sessions/" + "a" * 32):
            self.expect(self.dead, path, 503, "aggregator unavailable",
                        "tcp://127.0.0.1:")
        h = self.dead.json("/health")
        self.assertEqual(h["status"], "degraded")
        self.assertFalse(h["aggregator"]["reachable"])
        st, _, body = self.dead.raw("/metrics")
        self.assertEqual(st, 200)
        ms = parse_metrics(body.decode())
        self.assertEqual(metric(ms, "sessacct_aggregator_up"), 0)
        self.assertGreater(metric(ms, "sessacct_api_aggregator_errors_total",
                                  reason="unreachable"), 0)
        # Input errors are still 400s without an aggregator.
        self.expect(self.dead, "/api/sessions/history?limit=x", 400,
                    "bad parameter", "limit: ")


class Prometheus(unittest.TestCase):
    """A real Prometheus scrapes /metrics; its query API agrees."""

    def test_scrape(self):
        if shutil.which("prometheus") is None:
            self.fail("prometheus is not installed (deploy/install-deps.sh)")
        pl = Pipeline("prom")
        try:
            ready = pl.aggregator()
            for pcap in ("dns.pcap", "socks.pcap", "http.pcapng"):
                pl.replay(os.path.join(ARGS.pcaps, pcap), ready["ingest"],
                          agent_name(pcap))
            http = pl.api(ready["query"])
            sessions, _ = history_all(http)
            target = http.base[len("http://"):]
            port = free_port()
            cfgp = os.path.join(pl.td, "prometheus.yml")
            with open(cfgp, "w") as f:
                f.write("global:\n  scrape_interval: 1s\n"
                        "  evaluation_interval: 1s\n"
                        "scrape_configs:\n  - job_name: sessacct\n"
                        "    static_configs:\n"
                        "      - targets: ['%s']\n" % target)
            pl._spawn("prometheus", [
                "prometheus", "--config.file=" + cfgp,
                "--storage.tsdb.path=" + os.path.join(pl.td, "tsdb"),
                "--web.listen-address=127.0.0.1:%d" % port,
                "--log.level=warn"])
            prom = Http("http://127.0.0.1:%d" % port)
            want = {
                "sessacct_sessions_created_total": len(sessions),
                'sessacct_bytes_total{direction="sent"}':
                    sum(s["bytes_sent"] for s in sessions),
                "sum(sessacct_sessions_ended_total)": len(sessions),
                'up{job="sessacct"}': 1,
            }
            got = {}
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and got != want:
                for q in want:
                    try:
                        r = prom.json("/api/v1/query?query=" +
                                      urllib.parse.quote(q))
                    except (OSError, AssertionError):
                        break
                    res = r["data"]["result"]
                    if len(res) == 1:
                        got[q] = float(res[0]["value"][1])
                time.sleep(0.5)
            self.assertEqual(got, want, pl.tails())
            # Prometheus' own view of the target: healthy, our labels.
            t = prom.json("/api/v1/targets")["data"]["activeTargets"]
            self.assertEqual(len(t), 1)
            self.assertEqual(t[0]["health"], "up", t[0])
            # A scrape counts itself in the next one.
            q = "/api/v1/query?query=" + urllib.parse.quote(
                'sessacct_api_requests_total{route="/metrics",code="200"}')
            deadline = time.monotonic() + 30
            while not prom.json(q)["data"]["result"]:
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.5)
            self.assertGreaterEqual(
                float(prom.json(q)["data"]["result"][0]["value"][1]), 1)
        except BaseException:
            print(pl.tails())
            pl.stop(check=False)
            raise
        # Prometheus exits 0 on SIGTERM too.
        pl.stop()


def ip_csum(b):
    """The Internet checksum (RFC 1071) of b."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def tcp_frame(src, dst, sport, dport, flags, seq, ack, payload=b""):
    """An Ethernet frame of one IPv4 TCP segment (IP checksum set, TCP
    checksum left 0, as the agent does not check it)."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4,
                      flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64,
                     6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", ip_csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp


def write_open_sessions_pcap(path, start_s, hold_s, n=3):
    """A capture of n TCP sessions from 10.9.0.x to 192.0.2.80:1080 that
    complete their handshake and move data at start_s, then keep-alive
    ACKs for hold_s: replayed at speed 1 they stay open that long."""
    pkt = tcp_frame
    recs = []
    srv = "192.0.2.80"
    for i in range(n):
        cli = "10.9.0.%d" % (i + 1)
        sp = 40000 + i
        t = start_s + i * 0.01
        recs += [(t, pkt(cli, srv, sp, 1080, 0x02, 100, 0)),
                 (t + 0.001, pkt(srv, cli, 1080, sp, 0x12, 500, 101)),
                 (t + 0.002, pkt(cli, srv, sp, 1080, 0x10, 101, 501)),
                 (t + 0.003, pkt(cli, srv, sp, 1080, 0x18, 101, 501,
                                 b"x" * (100 + i))),
                 (t + 0.004, pkt(srv, cli, 1080, sp, 0x18, 501, 201 + i,
                                 b"y" * (200 + i)))]
    # Keep-alive ACKs on the first session: the agent flushes batches
    # as packet time moves on, so a paced replay needs packets to send.
    k = 0.25
    while k <= hold_s:
        recs.append((start_s + k, pkt("10.9.0.1", srv, 40000, 1080, 0x10,
                                      201, 701)))
        k += 0.25
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
        for t, p in recs:
            sec = int(t)
            f.write(struct.pack("<IIII", sec, int((t - sec) * 1e9), len(p),
                                len(p)))
            f.write(p)


def dump_dom(url, td, size="1280,1600"):
    prof = tempfile.mkdtemp(dir=td, prefix="chromium.")
    r = subprocess.run([
        "chromium", "--headless", "--no-sandbox", "--disable-gpu",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + prof, "--virtual-time-budget=8000",
        "--window-size=" + size, "--dump-dom", url],
        capture_output=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError("chromium exited %d: %s" %
                             (r.returncode, r.stderr[-2000:]))
    return r.stdout.decode("utf-8", "replace")


def iso_ns(s):
    """RFC 3339 UTC with any decimals (JavaScript's 3) -> ns."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$", s)
    if m is None:
        raise ValueError("not an RFC 3339 UTC time: %r" % s)
    secs = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return secs * NS + int((m.group(2) or "0").ljust(9, "0"))


def dom_rows(dom, elem_id):
    """Session ids of the rows of table elem_id, in order."""
    m = re.search(r'<table id="%s"[^>]*>(.*?)</table>' % elem_id, dom, re.S)
    if m is None:
        raise AssertionError(elem_id + " not in the page")
    return re.findall(r'<tr data-session-id="([0-9a-f]{32})"', m.group(1))


def dom_attr(dom, elem_id, attr):
    m = re.search(r'<[a-z]+ id="%s"([^>]*)>' % elem_id, dom)
    if m is None:
        raise AssertionError(elem_id + " not in the page")
    a = re.search(r'\b%s="([^"]*)"' % attr, m.group(1))
    return None if a is None else html.unescape(a.group(1))


class Dashboard(unittest.TestCase):
    """The page, rendered by headless Chromium, shows what the API says."""

    def test_dashboard_shows_api_data(self):
        if shutil.which("chromium") is None:
            self.fail("chromium is not installed (deploy/install-deps.sh)")
        pl = Pipeline("dash")
        slow = None
        try:
            ready = pl.aggregator()
            for pcap in ("http.pcapng", "socks.pcap", "dns.pcap"):
                pl.replay(os.path.join(ARGS.pcaps, pcap), ready["ingest"],
                          agent_name(pcap))
            http = pl.api(ready["query"])
            # Sessions that stay open while the page loads.
            cap = os.path.join(pl.td, "open.pcap")
            write_open_sessions_pcap(cap, time.time(), 90)
            slow = pl.start_replay(cap, ready["ingest"], "live",
                                   ["--speed", "1"])
            deadline = time.monotonic() + 30
            while http.json("/api/sessions/active")["total"] < 3:
                self.assertLess(time.monotonic(), deadline,
                                "no active sessions\n" + pl.tails())
                time.sleep(0.1)
            closed, _ = history_all(http)
            oldest = min(rfc3339_ns(s["end_time"]) for s in closed)
            hours = math.ceil((time.time_ns() - oldest) / (3600 * NS)) + 24
            active = http.json("/api/sessions/active")
            stats = http.json("/api/sessions/stats?window_hours=%d" % hours)
            agents = http.json("/api/agents")["agents"]
            ts = http.json("/api/sessions/timeseries?window_hours=%d" % hours)
            dom = dump_dom("%s/?window_hours=%d&refresh=60" %
                           (http.base, hours), pl.td)
            self.assertIn('data-loaded="1"', dom)
            self.assertIn('data-status="ok"', dom)

            def value(elem_id):
                m = re.search(r'id="%s"[^>]*data-value="(\d+)"' % elem_id,
                              dom)
                self.assertIsNotNone(m, elem_id + " has no value")
                return int(m.group(1))
            self.assertEqual(value("active-sessions"), active["total"])
            self.assertEqual(value("total-sessions"), stats["total_sessions"])
            self.assertEqual(value("total-bytes-sent"),
                             stats["total_bytes_sent"])
            self.assertEqual(value("total-bytes-received"),
                             stats["total_bytes_received"])
            self.assertEqual(value("failed-sessions"), stats["failed_sessions"])
            self.assertEqual(value("rejected-sessions"),
                             stats["rejected_sessions"])
            def table(elem_id):
                m = re.search(r'<table id="%s"[^>]*>(.*?)</table>' % elem_id,
                              dom, re.S)
                self.assertIsNotNone(m, elem_id)
                return m.group(1)
            # Each open session is a row, with its user and bytes.
            rows = re.findall(r'<tr data-session-id="([0-9a-f]{32})"[^>]*>'
                              r'(.*?)</tr>', table("active"), re.S)
            self.assertEqual(sorted(r[0] for r in rows),
                             sorted(s["session_id"] for s in
                                    active["sessions"]))
            by_id = {s["session_id"]: s for s in active["sessions"]}
            for sid, row in rows:
                s = by_id[sid]
                self.assertRegex(row, '<td class="user"><a [^>]*>%s</a></td>'
                                 % re.escape(s["user"]))
                self.assertIn('data-value="%d"' % s["bytes_sent"], row)
                self.assertIn('data-value="%d"' % s["bytes_received"], row)
            self.assertTrue(all(s["user"].startswith("10.9.0.")
                                for s in active["sessions"]))
            # The newest closed sessions: user, target and status each,
            # refused and failed ones marked, and counted in view.
            recent = http.json("/api/sessions/history?limit=50")["sessions"]
            rows = dict(re.findall(r'<tr data-session-id="([0-9a-f]{32})"'
                                   r'[^>]*>(.*?)</tr>', table("history"),
                                   re.S))
            self.assertEqual(sorted(rows),
                             sorted(s["session_id"] for s in recent))
            self.assertTrue(any(s["target"] for s in recent))
            for s in recent:
                row = rows[s["session_id"]]
                self.assertRegex(row, '<td class="user"><a [^>]*>%s</a></td>'
                                 % re.escape(html.escape(s["user"],
                                                         quote=False)))
                if s["target"]:
                    self.assertRegex(row, '<td class="target"><a [^>]*>%s'
                                     '</a></td>' % re.escape(html.escape(
                                         s["target"], quote=False)))
                else:
                    self.assertIn('<td class="target"></td>', row)
                self.assertIn('<span class="badge st-%s">%s</span>' %
                              (s["status"], s["status"]), row)
            for st, elem_id in (("rejected_by_acl", "history-rejected"),
                                ("failed", "history-failed")):
                n = sum(1 for s in recent if s["status"] == st)
                self.assertIn('id="%s" class="badge st-%s" data-value="%d"'
                              % (elem_id, st, n), dom)
                marked = re.findall(r'<tr data-session-id="[0-9a-f]{32}" '
                                    r'class="st-%s"' % st, table("history"))
                self.assertEqual(len(marked), n)
            # Top users and destinations, with their numbers.
            for u in stats["top_users"]:
                m = re.search(r'<tr data-user="%s">(.*?)</tr>' %
                              re.escape(u["user"]), dom, re.S)
                self.assertIsNotNone(m, u)
                self.assertIn('data-value="%d"' % u["bytes"], m.group(1))
                self.assertIn('data-value="%d"' % u["sessions"], m.group(1))
            for d in stats["top_destinations"]:
                self.assertIn('data-dest="%s"' % d["dest"], dom)
            self.assertGreater(len(stats["top_users"]), 0)
            # Agents with their counters.
            for a in agents:
                m = re.search(r'<tr data-agent="%s"[^>]*>(.*?)</tr>' %
                              re.escape(a["agent"]), dom, re.S)
                self.assertIsNotNone(m, a["agent"])
                if a["agent"] != "live":
                    self.assertIn('class="num packets-seen" data-value="%d"'
                                  % a["packets_seen"], m.group(1))
            # The chart: as many points as the API's, same sums.
            # (At the page's own step; it cuts the range to the data.)
            m = re.search(r'<div id="chart"([^>]*)>', dom)
            attrs = m.group(1)
            ts = http.json("/api/sessions/timeseries?window_hours=%d&step=%s"
                           % (hours, dom_attr(dom, "chart", "data-fine-step")))
            self.assertLessEqual(int(dom_attr(dom, "chart", "data-points")),
                                 len(ts["points"]))
            self.assertIn('data-bytes-sent="%d"' %
                          sum(p["bytes_sent"] for p in ts["points"]), attrs)
            self.assertIn("uplot", dom)
        except BaseException:
            print(pl.tails())
            if slow is not None and slow.poll() is None:
                slow.kill()
            pl.stop(check=False)
            raise
        pl.stop()


    # The dashboard as a place to work, in headless Chromium at 1280
    # pixels: the history explorer's filters (set from the fragment, as
    # its form and links do) give the API's rows for the same query, page
    # on with its cursor and export as CSV; a click's link opens a user's,
    # destination's or agent's sessions; a session's detail shows every
    # field; the chart's range fits the data; no table is wider than the
    # page.

    def page(self, pl, http, frag, hours):
        dom = dump_dom("%s/?window_hours=%d&refresh=600#%s" %
                       (http.base, hours, frag), pl.td, "1280,800")
        self.assertIn('data-loaded="1"', dom, frag)
        self.assertEqual(dom_attr(dom, "explorer", "data-state") != "loading",
                         True, frag)
        return dom

    def check_rows(self, pl, http, frag, query, hours):
        """The explorer's rows for fragment frag are the API's for query
        (in order), and its next-page link the API's cursor."""
        dom = self.page(pl, http, frag, hours)
        want = http.json("/api/sessions/history?" + query)
        self.assertEqual(dom_attr(dom, "explorer", "data-state"), "loaded",
                         frag)
        self.assertEqual(dom_rows(dom, "explorer-table"),
                         [s["session_id"] for s in want["sessions"]], frag)
        self.assertEqual(dom_attr(dom, "explorer", "data-next-cursor"),
                         want["next_cursor"] or "", frag)
        return dom, want

    def test_explorer(self):
        if shutil.which("chromium") is None:
            self.fail("chromium is not installed (deploy/install-deps.sh)")
        pl = Pipeline("explore")
        try:
            ready = pl.aggregator()
            for pcap in ("http.pcapng", "socks.pcap", "dns.pcap",
                         "synscan.pcap"):
                pl.replay(os.path.join(ARGS.pcaps, pcap), ready["ingest"],
                          agent_name(pcap))
            http = pl.api(ready["query"])
            closed, _ = history_all(http)
            ends = [rfc3339_ns(s["end_time"]) for s in closed]
            hours = math.ceil((time.time_ns() - min(ends)) / (3600 * NS)) + 1

            # No filter: the newest 50, every table within 1280 pixels.
            dom, want = self.check_rows(pl, http, "", "limit=50", hours)
            self.assertEqual(re.search(r'<body[^>]*data-overflow="([^"]*)"',
                                       dom).group(1), "", "a table overflows")
            self.assertLessEqual(int(re.search(
                r'<body[^>]*data-width="(\d+)"', dom).group(1)), 1280)
            # Links: a user, a destination, an agent fill the explorer.
            s0 = want["sessions"][0]
            self.assertIn('<a href="#user=%s"' % urllib.parse.quote_plus(
                s0["user"]), dom)
            self.assertIn('<a href="#dest_ip=%s"' % urllib.parse.quote_plus(
                s0["dest_ip"]), dom)
            agents = http.json("/api/agents")["agents"]
            for a in agents:
                self.assertIn('<a href="#agent=%s"' % a["agent"], dom)
                self.assertRegex(dom, r'<tr data-agent="%s">.*?<td class="num '
                                 r'memory" data-value="%d"' % (
                                     a["agent"], a["process"][
                                         "resident_memory_bytes"]))
            self.check_rows(pl, http, "agent=" + agents[-1]["agent"],
                            "agent=%s&limit=50" % agents[-1]["agent"], hours)
            # The chart's range: the part of the window with sessions.
            self.assertEqual(dom_attr(dom, "chart", "data-fitted"), "1")
            frm = iso_ns(dom_attr(dom, "chart", "data-from"))
            to = iso_ns(dom_attr(dom, "chart", "data-to"))
            self.assertLessEqual(frm, min(ends))
            self.assertGreaterEqual(to, max(ends))
            self.assertLessEqual(int(dom_attr(dom, "chart", "data-points")),
                                 130)
            ts = http.json("/api/sessions/timeseries?window_hours=%d&step=%s"
                           % (hours, dom_attr(dom, "chart", "data-fine-step")))
            self.assertEqual(int(dom_attr(dom, "chart", "data-bytes-sent")),
                             sum(p["bytes_sent"] for p in ts["points"]))

            # A status, set apart: the API's rows and badges.
            by_status = {}
            for s in closed:
                by_status.setdefault(s["status"], []).append(s)
            st = "failed" if "failed" in by_status else "closed"
            dom, want = self.check_rows(pl, http, "status=" + st,
                                        "status=%s&limit=50" % st, hours)
            self.assertTrue(want["sessions"])
            # A user, two rows a page: page 1, its cursor, page 2, CSV.
            user = max(set(s["user"] for s in closed),
                       key=lambda u: sum(1 for s in closed if s["user"] == u))
            q = {"user": user, "limit": "2"}
            frag = urllib.parse.urlencode(q)
            dom, p1 = self.check_rows(pl, http, frag,
                                      urllib.parse.urlencode(q), hours)
            self.assertIsNotNone(p1["next_cursor"], "one page only")
            nxt = dom_attr(dom, "explorer-next", "href")
            self.assertIn("cursor=", nxt)
            self.check_rows(pl, http, nxt[1:], urllib.parse.urlencode(
                dict(q, cursor=p1["next_cursor"])), hours)
            csv_href = dom_attr(dom, "explorer-csv", "href")
            body = http.raw(csv_href)[2].decode()
            rows = list(csv.reader(io.StringIO(body)))
            self.assertEqual(rows[0][0], "session_id")
            self.assertEqual([r[0] for r in rows[1:]],
                             [s["session_id"] for s in p1["sessions"]])
            # A target pattern, a protocol, a time range, minimums.
            tg = sorted(s["target"] for s in closed
                        if s["target"] and "." in s["target"].split(":")[0]
                        and not re.match(r"^[\d.]+:", s["target"]))
            if tg:
                host = tg[0].rsplit(":", 1)[0]
                pat = "*." + ".".join(host.split(".")[-2:])
                self.check_rows(pl, http, urllib.parse.urlencode(
                    {"target": pat}), urllib.parse.urlencode(
                    {"target": pat, "limit": 50}), hours)
            mid = sorted(rfc3339_ns(s["start_time"]) for s in closed)
            mid = mid[len(mid) // 2]
            after = "%d.%09d" % (mid // NS, mid % NS)
            f = {"protocol": "tcp", "start_after": after, "min_bytes": "1",
                 "min_duration_secs": "0.001"}
            self.check_rows(pl, http, urllib.parse.urlencode(f),
                            urllib.parse.urlencode(dict(f, limit=50)), hours)
            f = {"start_before": after, "source_ip": closed[0]["source_ip"]}
            self.check_rows(pl, http, urllib.parse.urlencode(f),
                            urllib.parse.urlencode(dict(f, limit=50)), hours)
            # A bad filter: the API's 400 detail, no rows.
            dom = self.page(pl, http, "min_bytes=lots", hours)
            self.assertEqual(dom_attr(dom, "explorer", "data-state"), "error")
            self.assertIn("min_bytes", re.search(
                r'<span id="explorer-error"[^>]*>(.*?)</span>', dom).group(1))
            self.assertEqual(dom_rows(dom, "explorer-table"), [])

            # A session's detail: every field; the other leg a link.
            linked = [s for s in closed if s.get("peer_session_id")]
            one = linked[0] if linked else closed[0]
            dom = self.page(pl, http, "session=" + one["session_id"], hours)
            self.assertEqual(dom_attr(dom, "detail", "data-state"), "loaded")
            full = http.json("/api/sessions/" + one["session_id"])
            self.assertEqual(len(full), 23)
            for k, v in full.items():
                m = re.search(r'<dd data-field="%s" data-value="([^"]*)"' % k,
                              dom)
                self.assertIsNotNone(m, k)
                want_v = "" if v is None else (
                    ("true" if v else "false") if isinstance(v, bool)
                    else str(v))
                got_v = html.unescape(m.group(1))
                if isinstance(v, float):
                    self.assertAlmostEqual(float(got_v), v, places=6)
                else:
                    self.assertEqual(got_v, want_v, k)
            if linked:
                self.assertIn('href="#session=%s"' % one["peer_session_id"],
                              dom)
        except BaseException:
            print(pl.tails())
            pl.stop(check=False)
            raise
        pl.stop()


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--api", required=True)
    ap.add_argument("--pcaps", required=True)
    ap.add_argument("--static", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
