#!/usr/bin/env python3
"""The README's run command, deploy/demo.sh (label e2e).

Runs the demo on the tests' own build (SESSACCT_DEMO_BUILD: nothing
installed or built) until it prints where to look, then asks its REST API
what it produced and stops it with SIGINT, as a user's Ctrl-C would. As
root the demo runs microsocks and tinyproxy on loopback with curl clients
through them, captured live on lo: the API must then hold a session with
a proxy user, one with a target, and refused ones (a wrong SOCKS5
password, a filtered domain) as rejected_by_acl. Not root: the demo must
say that it skipped the proxies. Either way every process the demo
started must be gone after the Ctrl-C. The demo must say where its work
folder is, print the URLs last (nothing after them while the traffic
generator runs: its lines go to a log in the work folder), and remove the
folder when it stops; with --keep (test_keep, with --once) it keeps it.

With --export (test_export) the demo starts a nats-server with JetStream
in its work folder and exports into the stream SESSACCT: the demo must
print the stream filling up to the history's count, and the stream, read
by js_consume (a durable pull consumer independent of the exporter),
must hold every closed session the API listed, each once, on its agent's
subject; after the Ctrl-C nats-server is gone with the rest.

usage: test_demo.py --build DIR [--js-consume BIN] [unittest args]
"""
import argparse
import collections
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

ARGS = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
READY_TIMEOUT = 150     # an ASan build replays every bundled capture
AGENT = "demo-proxies"


def url_tail(test, out):
    """The URLs are the last lines printed: the dashboard, then curl."""
    lines = out.rstrip("\n").split("\n")
    test.assertRegex(lines[-1], r"^  curl -s http://[0-9.:]+/metrics$", out)
    test.assertRegex(lines[-4], r"^  dashboard:  http://[0-9.:]+/$", out)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def get_json(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return json.loads(r.read())


class Demo(unittest.TestCase):

    def check_proxies(self, base):
        """As root: the proxy sessions, through the API."""
        hist = get_json(base, "/api/sessions/history?limit=100&agent=" +
                        AGENT)["sessions"]
        got = json.dumps(hist, indent=1)
        # What the demo's clients did: demo through microsocks (once
        # with the right password, once not), alice through tinyproxy
        # (forward, CONNECT, and a filtered domain).
        ok_socks = [s for s in hist if s["user"] == "demo" and
                    s["status"] == "closed"]
        self.assertTrue(ok_socks, got)
        self.assertTrue(all(s["target"] and s["target"].startswith(
            "localhost:") for s in ok_socks), got)
        self.assertTrue([s for s in hist if s["user"] == "demo" and
                         s["status"] == "rejected_by_acl"], got)
        self.assertGreaterEqual(len([
            s for s in hist if s["user"] == "alice" and
            s["status"] == "closed" and s["target"] and
            s["target"].startswith("localhost:")]), 2, got)
        self.assertTrue([s for s in hist if s["user"] == "alice" and
                         s["status"] == "rejected_by_acl" and
                         (s["target"] or "").startswith(
                             "blocked.test:")], got)
        # The same, filtered by the API.
        rej = get_json(base, "/api/sessions/history?status="
                       "rejected_by_acl&agent=" + AGENT)["sessions"]
        self.assertEqual(sorted(s["user"] for s in rej),
                         ["alice", "demo"], got)
        with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
            metrics = r.read().decode()
        m = re.search(r"^sessacct_sessions_rejected_total (\d+)$",
                      metrics, re.M)
        self.assertIsNotNone(m)
        self.assertEqual(int(m.group(1)), 2)
        m = re.search(r'^sessacct_agent_enrich_sessions_total\{agent='
                      r'"%s",kind="socks5"\} (\d+)$' % AGENT,
                      metrics, re.M)
        self.assertIsNotNone(m, metrics[-3000:])
        self.assertGreaterEqual(int(m.group(1)), 2)

    def test_demo_shows_proxy_users_targets_and_refusals(self):
        td = tempfile.mkdtemp(prefix="sessacct-demo-test.")
        out_path = os.path.join(td, "demo.out")
        work = os.path.join(td, "w")
        env = dict(os.environ, SESSACCT_DEMO_BUILD=ARGS.build,
                   SESSACCT_DEMO_DIR=work)
        env.pop("SESSACCT_DEMO_KEEP", None)
        with open(out_path, "wb") as out:
            p = subprocess.Popen(["sh", os.path.join(ROOT, "deploy",
                                                     "demo.sh")],
                                 cwd=ROOT, env=env, stdout=out,
                                 stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL,
                                 start_new_session=True)

        def text():
            with open(out_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while "/metrics\n" not in text():
                self.assertIsNone(p.poll(), "demo ended early:\n" + text())
                self.assertLess(time.monotonic(), deadline,
                                "demo not ready:\n" + text())
                time.sleep(0.5)
            out = text()
            m = re.search(r"dashboard:\s+(http://[0-9.:]+)/", out)
            self.assertIsNotNone(m, out)
            base = m.group(1)
            self.assertIn("demo: work folder %s (data and logs; removed "
                          "when the demo stops" % work, out)
            self.assertIn("Work folder: %s" % work, out)
            url_tail(self, out)
            if os.geteuid() != 0:
                self.assertIn("skipped, live capture on lo", out)
            else:
                self.check_proxies(base)
            # The generator ran (its report in its log), and printed
            # nothing: the URLs are still the last lines.
            gen = os.path.join(work, "generator.log")
            while "packets=" not in read(gen):
                self.assertIsNone(p.poll(), "demo ended early:\n" + text())
                self.assertLess(time.monotonic(), deadline + 60,
                                "no generator log:\n" + text())
                time.sleep(0.5)
            time.sleep(1)
            self.assertEqual(text(), out)
        finally:
            # Nothing the demo started may outlive it.
            left = stop_demo(p)
            after = text()
            work_left = os.path.exists(work)
            if os.environ.get("SA_E2E_KEEP") != "1":
                subprocess.run(["rm", "-rf", td])
        self.assertIsNotNone(p.returncode, "demo ignored Ctrl-C")
        self.assertEqual(left, "", "left running after Ctrl-C")
        self.assertFalse(work_left, "work folder left behind")
        self.assertIn("demo: stopped; removed the work folder %s" % work,
                      after)

    def test_keep(self):
        # --once --keep: the demo stops by itself and keeps its folder.
        td = tempfile.mkdtemp(prefix="sessacct-demo-test.")
        work = os.path.join(td, "w")
        env = dict(os.environ, SESSACCT_DEMO_BUILD=ARGS.build,
                   SESSACCT_DEMO_DIR=work)
        env.pop("SESSACCT_DEMO_KEEP", None)
        try:
            p = subprocess.run(["sh", os.path.join(ROOT, "deploy",
                                                   "demo.sh"), "--once",
                                "--keep"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL,
                               timeout=READY_TIMEOUT + 60,
                               start_new_session=True)
            out = p.stdout.decode("utf-8", "replace")
            self.assertEqual(p.returncode, 0, out)
            self.assertIn("demo: work folder %s (data and logs; kept after "
                          "the demo)" % work, out)
            last = "demo: stopped; kept the work folder %s\n" % work
            self.assertTrue(out.endswith(last), out)
            url_tail(self, out[:-len(last)])
            for f in ("aggregator.log", "api.log", "agent.log", "db"):
                self.assertTrue(os.path.exists(os.path.join(work, f)), f)
            self.assertFalse(os.path.exists(os.path.join(
                work, "generator.log")), "--once ran the generator")
        finally:
            if os.environ.get("SA_E2E_KEEP") != "1":
                subprocess.run(["rm", "-rf", td])


class DemoExport(unittest.TestCase):
    """deploy/demo.sh --export: the stream fills with every closed
    session, once."""

    def history(self, base):
        """Every closed session the API lists, through its cursor."""
        out, cursor = [], None
        while True:
            q = "/api/sessions/history?limit=1000"
            if cursor is not None:
                q += "&cursor=" + urllib.parse.quote(cursor, safe="")
            page = get_json(base, q)
            out.extend(page["sessions"])
            cursor = page["next_cursor"]
            if cursor is None:
                return out
            self.assertLess(len(out), 10000000)

    def stream_messages(self, jsz):
        with urllib.request.urlopen(jsz, timeout=10) as r:
            j = json.loads(r.read())
        for a in j.get("account_details") or []:
            for st in a.get("stream_detail") or []:
                if st["name"] == "SESSACCT":
                    return st["state"]["messages"]
        return 0

    def test_export(self):
        self.assertIsNotNone(ARGS.js_consume, "--js-consume is needed")
        td = tempfile.mkdtemp(prefix="sessacct-demo-test.")
        out_path = os.path.join(td, "demo.out")
        work = os.path.join(td, "w")
        env = dict(os.environ, SESSACCT_DEMO_BUILD=ARGS.build,
                   SESSACCT_DEMO_DIR=work)
        env.pop("SESSACCT_DEMO_KEEP", None)
        with open(out_path, "wb") as out:
            p = subprocess.Popen(["sh", os.path.join(ROOT, "deploy",
                                                     "demo.sh"), "--export"],
                                 cwd=ROOT, env=env, stdout=out,
                                 stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL,
                                 start_new_session=True)

        def text():
            with open(out_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        nats_pid = None
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while "/metrics\n" not in text():
                self.assertIsNone(p.poll(), "demo ended early:\n" + text())
                self.assertLess(time.monotonic(), deadline,
                                "demo not ready:\n" + text())
                time.sleep(0.5)
            out = text()
            url_tail(self, out)
            base = re.search(r"dashboard:\s+(http://[0-9.:]+)/", out).group(1)
            m = re.search(r"export on: starting nats-server with JetStream "
                          r"on (nats://127\.0\.0\.1:\d+) \(monitoring "
                          r"(http://127\.0\.0\.1:\d+),", out)
            self.assertIsNotNone(m, out)
            nats, mon = m.group(1), m.group(2)
            self.assertIn("  stream:     curl -s '%s/jsz?streams=1'" % mon,
                          out)
            # The stream filling, printed: counts that grow up to the
            # exporter having caught up, then the history's count.
            fill = [(int(a), b, c) for a, b, c in re.findall(
                r"^demo: export: stream SESSACCT holds (\d+) messages; "
                r"exporter (\w+), (\w+) sessions to export"
                r"(?: \(\d+ of \d+ captures replayed\))?$", out, re.M)]
            self.assertGreaterEqual(len(fill), 2, out)
            self.assertEqual([f[0] for f in fill],
                             sorted(f[0] for f in fill), out)
            self.assertEqual(fill[-1][1:], ("exporting", "0"), out)
            m = re.search(r"^== export: the stream SESSACCT holds (\d+) "
                          r"messages, the history (\d+) closed sessions$",
                          out, re.M)
            self.assertIsNotNone(m, out)
            self.assertEqual(m.group(1), m.group(2), out)
            self.assertGreater(int(m.group(1)), 1000, out)
            # /health carries the exporter's state.
            h = get_json(base, "/health")
            self.assertEqual(h["aggregator"]["export"]["state"],
                             "exporting", h)
            # The generator goes on adding sessions: what the API lists
            # now (h1) must all reach the stream; the stream then holds
            # nothing the API does not list afterwards (h2), nothing twice.
            h1 = self.history(base)
            self.assertGreaterEqual(len(h1), int(m.group(1)))
            jsz = mon + "/jsz?streams=1"
            while True:
                n = self.stream_messages(jsz)
                if n >= len(h1):
                    break
                self.assertIsNone(p.poll(), "demo ended early")
                self.assertLess(time.monotonic(), deadline + 60,
                                "the stream holds %d of %d sessions" % (
                                    n, len(h1)))
                time.sleep(0.5)
            # The stream is still being written: read the n messages it
            # held then (the idle time only guards against fewer).
            r = subprocess.run([ARGS.js_consume, nats, "SESSACCT",
                                "sessacct.sessions.>", "check", "5000",
                                "--max", str(n)],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            lines = r.stdout.decode().splitlines()
            self.assertTrue(lines[-1].startswith("# "), lines[-3:])
            got = [tuple(line.split()[:2]) for line in lines[:-1]]
            self.assertEqual(len(got), n)
            h2 = self.history(base)
            count = collections.Counter(i for i, _ in got)
            self.assertEqual([i for i, c in count.items() if c > 1], [],
                             "sessions in the stream twice")
            want1 = {s["session_id"] for s in h1}
            want2 = {s["session_id"]: s["agent"] for s in h2}
            self.assertEqual(want1 - set(count), set(),
                             "listed by the API, not in the stream")
            self.assertEqual(set(count) - set(want2), set(),
                             "in the stream, not listed by the API")
            for i, subj in got:
                self.assertEqual(subj, "sessacct.sessions." + want2[i])
            # nats-server is the demo's child, and must go with it.
            left = subprocess.run(["pgrep", "-g", str(p.pid), "-f",
                                   "nats-server"],
                                  stdout=subprocess.PIPE).stdout.split()
            self.assertEqual(len(left), 1, left)
            nats_pid = int(left[0])
            sys.stderr.write("  [demo --export: %d sessions listed, %d in "
                             "the stream, each once]\n" % (len(h1),
                                                             len(got)))
        finally:
            # Nothing the demo started may outlive it.
            left = stop_demo(p)
            after = text()
            work_left = os.path.exists(work)
            if os.environ.get("SA_E2E_KEEP") != "1":
                subprocess.run(["rm", "-rf", td])
        self.assertIsNotNone(p.returncode, "demo ignored Ctrl-C")
        self.assertEqual(left, "", "left running after Ctrl-C")
        if nats_pid is not None:
            self.assertFalse(os.path.exists("/proc/%d" % nats_pid),
                             "nats-server left running")
        self.assertFalse(work_left, "work folder left behind")
        self.assertIn("demo: stopped; removed the work folder %s" % work,
                      after)


def stop_demo(p):
    """Ctrl-C to the demo's process group, as a user would, then kill
    whatever is still there; returns what pgrep found left in the group
    after Ctrl-C (empty if the demo cleaned up after itself)."""
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGINT)
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
    left = subprocess.run(["pgrep", "-g", str(p.pid), "-a"],
                          stdout=subprocess.PIPE).stdout.decode()
    if p.poll() is None or left:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--js-consume")
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
