#!/usr/bin/env python3
"""End-to-end tests of the trust boundaries of issue 10, items 1, 2 and 4
(docs/SECURITY.md), against the real binaries on loopback.

Groups (one ctest entry each):
  Curve     agents and the aggregator with CurveZMQ: an allowed key
            delivers every session; an unknown key (or none) delivers
            nothing; a key added to the allow-list works without a
            restart, a removed one stops; the bytes on the wire show no
            session field (and do without CURVE).
  Spoof     a key allowed for one agent id sending batches for another:
            rejected and counted (metrics query and /metrics through a
            CURVE-speaking sessacct-api), the real agent's sessions all
            arrive exactly once.
  Insecure  a non-loopback bind without CURVE is refused at start; with
            aggregator.allow_insecure it starts and says so.
  Query     a 200 MB query message is dropped without the aggregator
            growing; backups only below store.backup_dir.

usage: test_security.py --capture BIN --aggregator BIN --api BIN
                        --gen-pcap BIN --pcaps DIR [unittest args]

Reuses test_pipeline.py's harness (temp dir per case, logs on failure).
Needs python3-zmq (with CURVE) and python3-msgpack.
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_pipeline as tp                      # noqa: E402
from test_pipeline import (Aggregator, PipelineCase, pack, text,  # noqa
                           valid_batch)
import msgpack                                  # noqa: E402
import zmq                                      # noqa: E402

ARGS = None
PCAP = "http_ipv6.pcap"         # sessions with HTTP targets
WAIT = 30                       # s, any condition polled for


def poll(cond, what, timeout=WAIT, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("%s: not within %d s" % (what, timeout))
        time.sleep(step)


def read_cert(path):
    """The public (and, from PATH_secret, secret) Z85 keys and the
    metadata of a czmq certificate."""
    out = {}
    for p in (path, path + "_secret"):
        if not os.path.exists(p):
            continue
        with open(p) as fp:
            for line in fp:
                line = line.strip()
                if "=" not in line or line.startswith("#"):
                    continue
                k, v = (x.strip() for x in line.split("=", 1))
                out[k] = v.strip('"')
    return out


def write_cert(path, public, agent_ids=None):
    """A public certificate in czmq's format, from a key made here."""
    with open(path, "w") as fp:
        fp.write("#   ZeroMQ CURVE Public Certificate\n")
        if agent_ids is not None:
            fp.write('metadata\n    agent_ids = "%s"\n' % agent_ids)
        fp.write('curve\n    public-key = "%s"\n' % public.decode())


class SecureAggregator(Aggregator):
    """An aggregator whose --query speaks CURVE with its own key."""

    def __init__(self, tc, store, cert=None, **kw):
        self.cert = cert
        super().__init__(tc, store, **kw)

    def query_raw(self, kind, **params):
        argv = [ARGS.aggregator, "--set",
                "aggregator.query_listen=" + self.query_ep]
        if self.cert:
            argv += ["--set", "aggregator.curve_cert=" + self.cert]
        argv += ["--query", kind] + ["%s=%s" % kv for kv in params.items()]
        return subprocess.run(argv, capture_output=True,
                              timeout=tp.QUERY_TIMEOUT)


class Recorder:
    """A TCP proxy on 127.0.0.1 that keeps every byte it forwards."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.data = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            u = socket.create_connection(self.target)
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self.pump, args=(a, b),
                                 daemon=True).start()

    def pump(self, a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                with self.lock:
                    self.data += d
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.lsock.close()


class SecurityCase(PipelineCase):

    def gen_key(self, name, ids=None):
        path = os.path.join(self.tmp, "keys", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        argv = [ARGS.aggregator, "--gen-key", path]
        if ids:
            argv += ["--agent-ids", ids]
        r = subprocess.run(argv, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, text(r.stderr))
        self.assertEqual(os.stat(path + "_secret").st_mode & 0o777, 0o600)
        return path

    def allow_dir(self):
        d = os.path.join(self.tmp, "allow")
        os.makedirs(d, exist_ok=True)
        return d

    def allow(self, cert, name=None):
        dst = os.path.join(self.allow_dir(), name or os.path.basename(cert))
        with open(cert) as fp, open(dst + ".tmp", "w") as out:
            out.write(fp.read())
        os.rename(dst + ".tmp", dst)
        return dst

    def curve_aggregator(self, sets=()):
        self.agg_cert = self.gen_key("aggregator")
        return SecureAggregator(
            self, os.path.join(self.tmp, "db"), cert=self.agg_cert,
            sets=("aggregator.curve_cert=" + self.agg_cert,
                  "aggregator.curve_allow_dir=" + self.allow_dir()) +
            tuple(sets))

    def curve_sets(self, cert):
        return ("capture.curve_cert=" + cert,
                "capture.aggregator_cert=" + self.agg_cert)

    def curve_dealer(self, ctx, endpoint, cert):
        """A DEALER with the key pair of cert, for the aggregator."""
        me, srv = read_cert(cert), read_cert(self.agg_cert)
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.curve_publickey = me["public-key"].encode()
        s.curve_secretkey = me["secret-key"].encode()
        s.curve_serverkey = srv["public-key"].encode()
        s.connect(endpoint)
        self.addCleanup(s.close, 0)
        return s

    def recv_ack(self, s, timeout_ms=5000):
        if not s.poll(timeout_ms):
            return None
        return msgpack.unpackb(s.recv(), raw=False)

    def ack_ok(self, s, seq, timeout_ms=10000):
        """Waits for an ACK that covers seq; returns the last ack."""
        deadline = time.monotonic() + timeout_ms / 1000
        while time.monotonic() < deadline:
            a = self.recv_ack(s, 500)
            if a is not None and a[4] == 0 and a[3] >= seq:
                return a
        return None

    def security(self, agg):
        return agg.query("metrics")["security"]


# ---- 1. CURVE on the ingest socket -----------------------------------------

class Curve(SecurityCase):

    def test_allowed_key_delivers_every_session(self):
        agg = self.curve_aggregator()
        cert = self.gen_key("edge", "e2e-curve")
        self.allow(cert)
        pcap = os.path.join(ARGS.pcaps, PCAP)
        want = self.offline(pcap, "e2e-curve")
        self.assert_replay_ok(*self.replay(pcap, "e2e-curve", agg.ingest,
                                           sets=self.curve_sets(cert)),
                              what="CURVE replay")
        self.assert_same_sessions(agg.history_all() + agg.active_all(),
                                  want, "CURVE")
        sec = self.security(agg)
        self.assertTrue(sec["curve"])
        self.assertGreaterEqual(sec["handshakes_allowed_ingest"], 1)
        self.assertEqual(sec["agent_id_denied"], 0)
        agg.stop()

    def test_unknown_key_or_none_delivers_nothing(self):
        agg = self.curve_aggregator()
        self.allow(self.gen_key("someone", "e2e-other"))
        stranger = self.gen_key("stranger", "e2e-stranger")
        pcap = os.path.join(ARGS.pcaps, PCAP)
        rc, log = self.replay(pcap, "e2e-stranger", agg.ingest,
                              sets=self.curve_sets(stranger) +
                              ("capture.ack_wait=2",))
        self.assertNotEqual(rc, 0, log)
        self.assertIn("not acknowledged", log)
        # No CURVE at all: the handshake fails, nothing is answered.
        ctx = zmq.Context()
        self.addCleanup(ctx.term)
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(agg.ingest)
        self.addCleanup(s.close, 0)
        s.send(pack(valid_batch(agent="e2e-plain")))
        self.assertIsNone(self.recv_ack(s, 2000))
        m = agg.query("metrics")
        self.assertEqual(m["messages"], 0, m)
        self.assertEqual(m["events_applied"], 0, m)
        self.assertGreaterEqual(m["security"]["handshakes_denied_ingest"],
                                1, m["security"])
        self.assertEqual(agg.agents(), {})
        self.assertEqual(agg.history_all(), [])
        agg.stop()

    def test_key_added_then_removed(self):
        agg = self.curve_aggregator()
        ctx = zmq.Context()
        self.addCleanup(ctx.term)
        late = self.gen_key("late", "e2e-late,e2e-late-py")
        pcap = os.path.join(ARGS.pcaps, PCAP)
        rc, log = self.replay(pcap, "e2e-late", agg.ingest,
                              sets=self.curve_sets(late) +
                              ("capture.ack_wait=2",))
        self.assertNotEqual(rc, 0, "delivered before its key was "
                            "allowed:\n" + log)
        # Added: the next agent with it delivers, no restart.
        placed = self.allow(late)
        want = self.offline(pcap, "e2e-late")
        self.assert_replay_ok(*self.replay(pcap, "e2e-late", agg.ingest,
                                           sets=self.curve_sets(late)),
                              what="after the key was added")
        self.assert_same_sessions(agg.history_all() + agg.active_all(),
                                  want, "key added")
        # Removed: a connection opened while it was allowed is heard
        # no more.
        s = self.curve_dealer(ctx, agg.ingest, late)
        s.send(pack(valid_batch(agent="e2e-late-py", boot=77, seq=1)))
        self.assertIsNotNone(self.ack_ok(s, 1), "allowed key not acked")
        reloads = self.security(agg)["allow_list_reloads"]
        os.unlink(placed)
        poll(lambda: self.security(agg)["allow_list_reloads"] > reloads,
             "allow-list read again after a removal")
        messages = agg.query("metrics")["messages"]
        s.send(pack(valid_batch(agent="e2e-late-py", boot=77, seq=2)))
        self.assertIsNone(self.recv_ack(s, 2000), "removed key answered")
        m = agg.query("metrics")
        self.assertEqual(m["messages"], messages, "removed key's message "
                         "reached the core")
        self.assertGreaterEqual(m["security"]["unauthorized_messages"], 1)
        self.assertEqual(m["security"]["agent_keys"], 0, m["security"])
        # And a new connection with it is refused at the handshake.
        rc, log = self.replay(pcap, "e2e-late", agg.ingest,
                              sets=self.curve_sets(late) +
                              ("capture.ack_wait=2",))
        self.assertNotEqual(rc, 0, log)
        agg.stop()

    def wire_bytes(self, agg, agent, sets):
        rec = Recorder(agg.ingest_port)
        self.addCleanup(rec.close)
        pcap = os.path.join(ARGS.pcaps, PCAP)
        self.assert_replay_ok(*self.replay(
            pcap, agent, "tcp://127.0.0.1:%d" % rec.port, sets=sets),
            what="through the recorder")
        with rec.lock:
            return bytes(rec.data)

    def test_wire_not_readable(self):
        agent = "e2e-wire-agent-7f3a"
        pcap = os.path.join(ARGS.pcaps, PCAP)
        targets = sorted({s["target"] for s in self.offline(pcap, agent)
                          if s["target"]})
        self.assertTrue(targets, "the capture has no targets to look for")
        needles = [agent.encode()] + [t.encode() for t in targets]
        # Without CURVE the fields are there to read (the test can fail).
        plain = Aggregator(self, os.path.join(self.tmp, "plain-db"))
        data = self.wire_bytes(plain, agent, ())
        for n in needles:
            self.assertIn(n, data, "plain run: %r not on the wire" % n)
        plain.stop()
        # With CURVE none of them is.
        agg = self.curve_aggregator()
        cert = self.gen_key("edge", agent)
        self.allow(cert)
        data = self.wire_bytes(agg, agent, self.curve_sets(cert))
        self.assertGreater(len(data), 1000)
        for n in needles:
            self.assertNotIn(n, data, "CURVE run: %r readable on the wire"
                             % n)
        self.assertEqual(len(agg.history_all() + agg.active_all()),
                         len(self.offline(pcap, agent)))
        agg.stop()


# ---- 2. an agent is its key ------------------------------------------------

class Api:
    """A sessacct-api process asking agg's query socket."""

    def __init__(self, tc, agg, sets=()):
        ready = os.path.join(tc.tmp, "api.ready")
        argv = [ARGS.api, "--set", "api.listen=127.0.0.1:0",
                "--set", "api.aggregator=" + agg.query_ep,
                "--ready-file", ready]
        for s in sets:
            argv += ["--set", s]
        self.proc = tc.spawn("api", argv)
        d = poll(lambda: self.ready(ready), "api ready file")
        self.base = "http://" + d["http"]

    def ready(self, path):
        if self.proc.poll() is not None:
            raise AssertionError("sessacct-api exited %d" %
                                 self.proc.returncode)
        try:
            with open(path) as fp:
                return json.load(fp)
        except (OSError, ValueError):
            return None

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=30) as r:
            return r.read().decode()


def metric(text_, line_start):
    for line in text_.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


class Spoof(SecurityCase):

    def test_key_for_one_id_cannot_speak_for_another(self):
        agg = self.curve_aggregator()
        attacker = self.gen_key("a", "e2e-a")
        victim = self.gen_key("b", "e2e-b")
        self.allow(attacker)
        self.allow(victim)
        ctx = zmq.Context()
        self.addCleanup(ctx.term)
        s = self.curve_dealer(ctx, agg.ingest, attacker)
        # What issue 10 did to a real agent: a new boot, a huge floor.
        attacks = [valid_batch(agent="e2e-b", boot=0xbad, seq=1),
                   valid_batch(agent="e2e-b", boot=0xbad, seq=10**9)]
        attacks[1][6] = 10**9
        for a in attacks:
            s.send(pack(a))
            ack = self.recv_ack(s)
            self.assertIsNotNone(ack, "spoofed batch not answered")
            self.assertEqual(ack[4], 1, ack)
            self.assertEqual(ack[5], "agent id not allowed for this key")
            self.assertEqual(ack[3], a[5])
        # Its own id it may use.
        s.send(pack(valid_batch(agent="e2e-a", boot=5, seq=1)))
        self.assertIsNotNone(self.ack_ok(s, 1))
        pcap = os.path.join(ARGS.pcaps, PCAP)
        want = self.offline(pcap, "e2e-b")
        replay = self.start_replay(pcap, "e2e-b", agg.ingest,
                                   sets=self.curve_sets(victim))
        # More of the same while the real agent works.
        s.send(pack(valid_batch(agent="e2e-b", boot=0xbad, seq=2)))
        self.assertEqual(self.recv_ack(s)[4], 1)
        self.assert_replay_ok(*self.wait_replay(replay), what="victim")
        got = [x for x in agg.history_all() + agg.active_all()
               if x["agent"] == "e2e-b"]
        self.assert_same_sessions(got, want, "victim after the attack")
        self.assertEqual(len({x["session_id"] for x in got}), len(want))
        sec = self.security(agg)
        self.assertEqual(sec["agent_id_denied"], 3, sec)
        self.assertEqual(sec["agent_id_denied_by_agent"], {"e2e-b": 3})
        # The same through sessacct-api speaking CURVE with its own key.
        api_cert = self.gen_key("api")
        self.allow(api_cert)
        api = Api(self, agg, sets=("api.curve_cert=" + api_cert,
                                   "api.aggregator_cert=" + self.agg_cert))
        body = poll(lambda: (lambda t: t if metric(
            t, "sessacct_aggregator_agent_id_denied_total") is not None
            else None)(api.get("/metrics")), "/metrics with the counters")
        self.assertEqual(metric(body, "sessacct_aggregator_curve"), 1)
        self.assertEqual(metric(
            body, "sessacct_aggregator_agent_id_denied_total"), 3)
        self.assertEqual(metric(
            body, 'sessacct_aggregator_agent_id_denied_by_agent_total'
            '{agent="e2e-b"}'), 3, [x for x in body.splitlines()
                                    if "denied" in x])
        agg.stop()


# ---- insecure binds --------------------------------------------------------

class Insecure(SecurityCase):

    def start(self, sets):
        return subprocess.run(
            [ARGS.aggregator, "--set", "store.path=" +
             os.path.join(self.tmp, "db"),
             "--set", "aggregator.query_listen=tcp://127.0.0.1:0"] +
            sum((["--set", s] for s in sets), []),
            capture_output=True, timeout=30)

    def test_non_loopback_without_curve_refused(self):
        for key in ("listen", "query_listen"):
            r = self.start(["aggregator.%s=tcp://0.0.0.0:0" % key] +
                           (["aggregator.listen=tcp://127.0.0.1:0"]
                            if key == "query_listen" else []))
            self.assertEqual(r.returncode, 2, text(r.stderr))
            self.assertIn("aggregator.%s = tcp://0.0.0.0:0" % key,
                          text(r.stderr))
            self.assertIn("allow_insecure", text(r.stderr))
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "db")))

    def test_allow_insecure_starts_and_says_so(self):
        agg = SecureAggregator(self, os.path.join(self.tmp, "db"),
                               listen="tcp://0.0.0.0:0",
                               sets=("aggregator.allow_insecure=yes",))
        self.assertIn("INSECURE", agg.log())
        sec = agg.query("metrics")["security"]
        self.assertTrue(sec["insecure"])
        self.assertFalse(sec["curve"])
        self.assertTrue(agg.query("ping")["security"]["insecure"])
        # Agents reach it (over loopback).
        port = agg.ingest_port
        pcap = os.path.join(ARGS.pcaps, PCAP)
        self.assert_replay_ok(*self.replay(
            pcap, "e2e-insecure", "tcp://127.0.0.1:%d" % port),
            what="insecure aggregator")
        api = Api(self, agg)
        body = api.get("/metrics")
        self.assertEqual(metric(body,
                                "sessacct_aggregator_insecure_transport"), 1)
        self.assertEqual(metric(body, "sessacct_aggregator_curve"), 0)
        # /health says it too.
        health = json.loads(api.get("/health"))
        self.assertTrue(health["aggregator"]["security"]["insecure"])
        self.assertFalse(health["aggregator"]["security"]["curve"])
        agg.stop()

    def test_loopback_default_is_not_insecure(self):
        agg = Aggregator(self, os.path.join(self.tmp, "db"))
        sec = agg.query("metrics")["security"]
        self.assertFalse(sec["insecure"])
        self.assertFalse(sec["curve"])
        agg.stop()


# ---- 4. the query socket ---------------------------------------------------

def rss_kb(pid):
    with open("/proc/%d/status" % pid) as fp:
        for line in fp:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Query(SecurityCase):

    def test_200mb_query_dropped(self):
        agg = Aggregator(self, os.path.join(self.tmp, "db"))
        agg.query("ping")
        before = rss_kb(agg.pid)
        ctx = zmq.Context()
        self.addCleanup(ctx.term)
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SNDTIMEO, 20000)
        s.connect(agg.query_ep)
        self.addCleanup(s.close, 0)
        big = b"\x95" + bytes(200 << 20)
        s.send(big, copy=False)
        del big
        self.assertIsNone(self.recv_ack(s, 3000), "a 200 MB query answered")
        # It keeps answering, and never held the message.
        self.assertTrue(agg.query("ping")["ok"])
        after = rss_kb(agg.pid)
        self.assertTrue(agg.alive())
        self.assertLess(after - before, 50 * 1024,
                        "RSS grew from %d to %d kB" % (before, after))
        tp.note("200 MB query: RSS %d kB before, %d kB after" %
                (before, after))
        agg.stop()

    def backup(self, agg, path):
        return subprocess.run([ARGS.aggregator, "--set",
                               "aggregator.query_listen=" + agg.query_ep,
                               "--backup", path], capture_output=True,
                              timeout=tp.QUERY_TIMEOUT)

    def test_backup_only_below_backup_dir(self):
        bdir = os.path.join(self.tmp, "backups")
        outside = os.path.join(self.tmp, "outside")
        os.mkdir(bdir)
        os.mkdir(outside)
        os.symlink(outside, os.path.join(bdir, "link"))
        # Not configured: refused, saying why.
        agg = Aggregator(self, os.path.join(self.tmp, "db0"))
        r = self.backup(agg, os.path.join(bdir, "b0"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("store.backup_dir", text(r.stdout + r.stderr))
        self.assertFalse(os.path.exists(os.path.join(bdir, "b0")))
        agg.stop()
        agg = Aggregator(self, os.path.join(self.tmp, "db"),
                         sets=("store.backup_dir=" + bdir,))
        for bad in (os.path.join(outside, "b1"),
                    os.path.join(bdir, "..", "outside", "b2"),
                    os.path.join(bdir, "link", "b3"),
                    "/b4", os.path.join(self.tmp, "b5")):
            r = self.backup(agg, bad)
            self.assertNotEqual(r.returncode, 0, bad)
            self.assertIn("backup refused", text(r.stdout), bad)
        self.assertEqual(os.listdir(outside), [])
        self.assertFalse(os.path.exists("/b4"))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "b5")))
        good = os.path.join(bdir, "b6")
        r = self.backup(agg, good)
        self.assertEqual(r.returncode, 0, text(r.stdout + r.stderr))
        self.assertTrue(os.path.exists(os.path.join(good, "CURRENT")))
        agg.stop()


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--api", required=True)
    ap.add_argument("--gen-pcap", required=True)
    ap.add_argument("--pcaps", required=True)
    ARGS, rest = ap.parse_known_args()
    tp.ARGS = ARGS
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
