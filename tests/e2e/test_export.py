#!/usr/bin/env python3
"""End-to-end tests of the export to NATS JetStream ([export],
docs/SCALING.md): real nats-server processes with JetStream on loopback
(temp store dirs, free ports), a real sessacct-aggregator with export on,
real replays, and js_consume, a durable pull consumer that shares nothing
with the exporter, to read the stream back.

Groups (one ctest entry each):
  Single   one node: captures replayed; the stream holds exactly the
           sessions the aggregator's history lists, each once, on
           <prefix>.<agent>, each body the history's object.
  Crash    the aggregator SIGKILLed mid-export and restarted on the same
           store: every session once.
  Cluster  a 3-node JetStream cluster, a stream of 3 replicas, two
           aggregators exporting into it (each with its own agents) and
           one sessacct-api over both: the stream holds exactly the
           sessions the API's history pages list, each once, on the
           subject of its agent; again after one node SIGKILLed
           mid-export and the whole cluster stopped while ingest goes
           on into both and started again.
  Expiry   an outage past a short retention: the sessions that expired
           unexported are counted exactly, the others exported once.
  Batched  export.sessions_per_message above 1: captures exported as
           messages of one agent's sessions (JSON lines), each session
           once and each line the history's object; then the Crash
           kills with the cut changed at every restart (10, 1, 7): the
           repeats of the rounds in flight are cut as before (the plan)
           and dropped as duplicates.

usage: test_export.py --capture BIN --aggregator BIN --gen-pcap BIN
                      --pcaps DIR --js-consume BIN [--api BIN]
                      [unittest args]
(--api: sessacct-api, needed by Cluster)
"""
import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_pipeline as tp      # noqa: E402  (Aggregator, replays)

JS_CONSUME = None
API = None
STREAM = "SESSACCT"
PREFIX = "sessacct.sessions"
EXPORT_TIMEOUT = 90     # s, for the exporter to catch up
NATS_TIMEOUT = 30       # s, for a node (or cluster) to be ready
# s, for a cluster restarted after a SIGKILL to be ready: its raft groups
# (meta, stream, each consumer) elect again, slowly on a loaded machine.
RESTART_TIMEOUT = 120


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class NatsNode:
    """One nats-server with JetStream; a cluster member when routes are
    given. Its ports and store dir stay the same across restarts."""

    def __init__(self, tc, name, cluster=None):
        self.tc = tc
        self.name = name
        self.port = free_port()
        self.http = free_port()
        self.cport = free_port() if cluster is not None else None
        self.dir = os.path.join(tc.tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "nats.conf")
        self.proc = None
        self.cluster = cluster

    def url(self):
        return "nats://127.0.0.1:%d" % self.port

    def write_conf(self, peers):
        lines = ["server_name: %s" % self.name,
                 "listen: 127.0.0.1:%d" % self.port,
                 "http: 127.0.0.1:%d" % self.http,
                 "jetstream { store_dir: \"%s\" }" % os.path.join(
                     self.dir, "js")]
        if self.cluster is not None:
            routes = ", ".join("nats-route://127.0.0.1:%d" % p.cport
                               for p in peers if p is not self)
            lines.append("cluster { name: %s, listen: 127.0.0.1:%d, "
                         "routes: [%s] }" % (self.cluster, self.cport,
                                             routes))
        with open(self.conf, "w") as fp:
            fp.write("\n".join(lines) + "\n")

    def start(self):
        self.proc = self.tc.spawn("nats-%s-%d" % (self.name,
                                                  next(self.tc.counter)),
                                  ["nats-server", "-c", self.conf])

    def health(self):
        """(healthy, what /healthz said)."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" %
                                        self.http, timeout=2) as r:
                return r.status == 200, tp.text(r.read())
        except urllib.error.HTTPError as e:
            return False, "%d %s" % (e.code, tp.text(e.read()))
        except OSError as e:
            return False, str(e)

    def healthy(self):
        return self.health()[0]

    def kill9(self):
        self.proc.kill()
        self.proc.wait(10)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class Http:
    """GETs against one sessacct-api."""

    def __init__(self, base):
        self.base = base

    def json(self, path):
        with urllib.request.urlopen(self.base + path, timeout=30) as r:
            return json.loads(r.read())


class ExportCase(tp.PipelineCase):

    def nats(self, n=1):
        """Starts n nodes (a cluster when n > 1), waits until healthy."""
        nodes = [NatsNode(self, "n%d" % i, "sa" if n > 1 else None)
                 for i in range(n)]
        for node in nodes:
            node.write_conf(nodes)
        self.start_nodes(nodes)
        return nodes

    def start_nodes(self, nodes, timeout=NATS_TIMEOUT):
        for node in nodes:
            node.start()
        deadline = time.monotonic() + timeout
        while not all(node.healthy() for node in nodes):
            for node in nodes:
                self.assertIsNone(node.proc.poll(), "%s exited" % node.name)
            if time.monotonic() > deadline:
                self.fail("nats-server not healthy in %d s: %s" % (
                    timeout, "; ".join("%s: %s" % (n.name, n.health()[1])
                                       for n in nodes)))
            time.sleep(0.1)

    def aggregator(self, store, nodes, sets=(), urls=None, **kw):
        servers = urls if urls is not None else \
            ",".join(n.url() for n in nodes)
        base = ["export.enabled=yes", "export.servers=" + servers,
                "export.settle=0", "export.duplicate_window=300",
                "export.ack_timeout_ms=2000",
                "aggregator.agent_timeout=86400"]
        if len(nodes) > 1:
            base.append("export.stream_replicas=%d" % len(nodes))
        return tp.Aggregator(self, store, sets=base + list(sets), **kw)

    def export_state(self, agg):
        return agg.query("metrics")["export"]

    def wait_exported(self, agg, timeout=EXPORT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            x = self.export_state(agg)
            if x["lag_sessions"] == 0 and x["state"] == "exporting":
                return x
            self.assertLess(time.monotonic(), deadline,
                            "export not caught up: %s" % x)
            time.sleep(0.2)

    def consume(self, nodes, idle_ms=1500, sessions=False):
        """Every message of the stream through a new durable consumer:
        [(Nats-Msg-Id, subject)]; with sessions, every session of every
        message: [(session_id, subject, Nats-Msg-Id)]."""
        durable = "check%d" % next(self.counter)
        urls = ",".join(n.url() for n in nodes
                        if n.proc is not None and n.proc.poll() is None)
        r = subprocess.run([JS_CONSUME, urls, STREAM, PREFIX + ".>",
                            durable, str(idle_ms)] +
                           (["--sessions"] if sessions else []),
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, tp.text(r.stderr))
        lines = tp.text(r.stdout).splitlines()
        self.assertTrue(lines and lines[-1].startswith("# "), lines[-3:])
        if sessions:
            out = [tuple(line.split()) for line in lines[:-1]]
            self.assertTrue(all(len(t) == 3 for t in out), out[:3])
            return out
        out = [tuple(line.split()[:2]) for line in lines[:-1]]
        self.assertEqual(len(out), int(lines[-1].split()[1]))
        return out

    def consume_bodies(self, nodes, subject):
        """[(Nats-Msg-Id, body)] of the messages on subject."""
        r = subprocess.run([JS_CONSUME, nodes[0].url(), STREAM, subject,
                            "body%d" % next(self.counter), "1000",
                            "--body"], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, tp.text(r.stderr))
        out, pos, data = [], 0, r.stdout
        while not data.startswith(b"# ", pos):
            nl = data.index(b"\n", pos)
            mid, _, n = data[pos:nl].decode().split()
            out.append((mid, data[nl + 1:nl + 1 + int(n)].decode()))
            pos = nl + 1 + int(n) + 1
        return out

    def assert_exactly_once(self, agg, nodes, what, sessions=False):
        x = self.wait_exported(agg)
        hist = agg.history_all(limit=10000)
        got = self.consume(nodes, sessions=sessions)
        if sessions:
            # Each message once, and each of one agent.
            msgs = {}
            for _, subj, mid in got:
                msgs.setdefault(mid, set()).add(subj)
            self.assertTrue(all(len(s) == 1 for s in msgs.values()))
            got = [(i, subj) for i, subj, _ in got]
        ids = collections.Counter(i for i, _ in got)
        twice = [i for i, c in ids.items() if c > 1]
        self.assertEqual(twice, [], "%s: sessions in the stream more than "
                         "once" % what)
        want = {s["session_id"]: s["agent"] for s in hist}
        self.assertEqual(set(ids), set(want), "%s: stream vs history: "
                         "%d missing, %d extra" % (
                             what, len(set(want) - set(ids)),
                             len(set(ids) - set(want))))
        for i, subj in got:
            self.assertEqual(subj, PREFIX + "." + want[i])
        self.assertEqual(x["expired_unexported"], 0)
        tp.note("%s: %d sessions, each once; exporter %s" % (
            what, len(hist), json.dumps(x)))
        return hist, x

    def api(self, aggs):
        """One sessacct-api over every aggregator of aggs ({name: agg}),
        named after them."""
        names = sorted(aggs)
        ready = os.path.join(self.tmp, "api-%d.ready" % next(self.counter))
        p = self.spawn("api-%d" % next(self.counter), [
            API, "--set", "api.listen=127.0.0.1:0",
            "--set", "api.aggregator=" + ",".join(aggs[n].query_ep
                                                  for n in names),
            "--set", "api.aggregator_names=" + ",".join(names),
            "--set", "api.aggregator_timeout_ms=5000",
            "--set", "api.health_timeout_ms=2000",
            "--ready-file", ready])
        deadline = time.monotonic() + tp.READY_TIMEOUT
        while True:
            try:
                with open(ready) as fp:
                    d = json.load(fp)
                break
            except (OSError, ValueError):
                pass
            self.assertIsNone(p.poll(), "sessacct-api exited")
            self.assertLess(time.monotonic(), deadline, "no API ready file")
            time.sleep(0.05)
        return Http("http://" + d["http"])

    def api_history(self, http, limit=1000):
        """Every page of the API's history, through its cursor; each page
        must be whole (no aggregator missing)."""
        out, cursor, pages = [], None, 0
        while True:
            q = "/api/sessions/history?limit=%d" % limit
            if cursor is not None:
                q += "&cursor=" + urllib.parse.quote(cursor, safe="")
            page = http.json(q)
            self.assertIs(page["partial"], False, page.get("missing"))
            self.assertLessEqual(len(page["sessions"]), limit)
            out.extend(page["sessions"])
            cursor = page["next_cursor"]
            pages += 1
            if cursor is None:
                return out, pages
            self.assertLess(pages, 100000, "history never ends")

    def assert_stream_is_api(self, aggs, agents, http, nodes, what):
        """The stream holds exactly the sessions the API lists over every
        aggregator: the same ids, each consumed once, on the subject of
        its agent, and each agent on the aggregator it was assigned."""
        t0 = time.monotonic()
        xs = {n: self.wait_exported(a) for n, a in sorted(aggs.items())}
        t1 = time.monotonic()
        hist, pages = self.api_history(http)
        ids = [s["session_id"] for s in hist]
        self.assertEqual(len(ids), len(set(ids)), "%s: the API lists a "
                         "session twice" % what)
        # Each agent on the aggregator it was assigned to, and every
        # session of the API from one of them.
        by = {}
        ag = http.json("/api/agents")
        self.assertIs(ag["partial"], False)
        for a in ag["agents"]:
            by.setdefault(a["aggregator"], set()).add(a["agent"])
        self.assertEqual(by, agents, what)
        self.assertLessEqual({s["agent"] for s in hist},
                             set().union(*agents.values()), what)
        for n in aggs:
            self.assertTrue(any(s["agent"] in agents[n] for s in hist),
                            "%s: nothing of %s in the API" % (what, n))
        t2 = time.monotonic()
        got = self.consume(nodes)
        t3 = time.monotonic()
        count = collections.Counter(i for i, _ in got)
        twice = [i for i, c in count.items() if c > 1]
        self.assertEqual(twice, [], "%s: sessions in the stream more than "
                         "once" % what)
        want = {s["session_id"]: s["agent"] for s in hist}
        self.assertEqual(set(count), set(want), "%s: stream vs API: "
                         "%d missing, %d extra" % (
                             what, len(set(want) - set(count)),
                             len(set(count) - set(want))))
        for i, subj in got:
            self.assertEqual(subj, PREFIX + "." + want[i])
        for n, x in xs.items():
            self.assertEqual(x["expired_unexported"], 0, n)
        tp.note("%s: %d sessions over %d API pages (%s), each once in "
                "the stream; caught up in %.1f s, the API read in %.1f "
                "s, consumed in %.1f s" % (
                    what, len(hist), pages, ", ".join(
                        "%s %d acks" % (n, x["acks"])
                        for n, x in sorted(xs.items())),
                    t1 - t0, t2 - t1, t3 - t2))
        return hist


class Single(ExportCase):

    def test_captures_exactly_once(self):
        nodes = self.nats(1)
        agg = self.aggregator(os.path.join(self.tmp, "db"), nodes,
                              sets=["export.batch=100",
                                    "export.max_in_flight=50"])
        names = ["netflix.pcap", "1kxun.pcap", "synscan.pcap",
                 "sites.pcapng", "http_ipv6.pcap"]
        for name in names:
            rc, log = self.replay(os.path.join(tp.ARGS.pcaps, name),
                                  tp.agent_for(name), agg.ingest)
            self.assert_replay_ok(rc, log, name)
        hist, x = self.assert_exactly_once(agg, nodes, "captures")
        self.assertGreater(len(hist), 2000)
        self.assertEqual(x["acks"], len(hist))
        self.assertEqual(x["publish_errors"], 0)
        self.assertEqual(x["position"], x["queued"])
        # The body is the history's object.
        r = subprocess.run([JS_CONSUME, nodes[0].url(), STREAM,
                            PREFIX + "." + tp.agent_for("netflix.pcap"),
                            "body1", "1000", "--body"],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, tp.text(r.stderr))
        lines = tp.text(r.stdout).splitlines()[:-1]
        bodies = {json.loads(b)["session_id"]: json.loads(b)
                  for b in lines[1::2]}
        byid = {s["session_id"]: s for s in hist}
        self.assertGreater(len(bodies), 10)
        for i, b in bodies.items():
            self.assertEqual(b, byid[i])
        # /health's source: the events answer says the exporter's state.
        ev = agg.query("events", minutes="1", limit="1")
        self.assertEqual(ev["export"]["state"], "exporting")
        self.assertEqual(ev["degraded"], [])
        # A restart publishes nothing again.
        agg.stop()
        agg2 = self.aggregator(os.path.join(self.tmp, "db"), nodes)
        time.sleep(1)
        x2 = self.wait_exported(agg2)
        self.assertEqual(x2["published"], 0)
        self.assertEqual(len(self.consume(nodes)), len(hist))
        agg2.stop()


class Crash(ExportCase):
    PACKETS = 200000
    AGENT = "e2e-export-crash"

    def test_kill_aggregator_mid_export(self):
        self.kill_mid_export(lambda kill: [])

    def kill_mid_export(self, cut_at, sessions=False):
        """SIGKILLs the aggregator mid-export and restarts it, with
        cut_at(restarts so far) added to its settings each time, until a
        restart's repeats were dropped as duplicates."""
        nodes = self.nats(1)
        pcap = os.path.join(self.tmp, "synthetic.pcap")
        self.gen_pcap(pcap, self.PACKETS, 20000, 21)
        store = os.path.join(self.tmp, "db")
        sets = ["export.batch=200", "export.max_in_flight=100"]
        agg = self.aggregator(store, nodes, sets=sets + cut_at(0))
        port = agg.ingest_port
        p = self.start_replay(pcap, self.AGENT, agg.ingest, speed=0.5,
                              sets=["capture.resend_timeout_ms=500",
                                    "capture.ack_wait=90"])
        kill, dups = 0, 0
        while True:
            deadline = time.monotonic() + 60
            while True:
                x = self.export_state(agg)
                if x["acks"] > 500:
                    break
                self.assertIsNone(p.poll(), "replay ended before the kill")
                self.assertLess(time.monotonic(), deadline, x)
                time.sleep(0.05)
            frozen = kill >= 1
            if frozen:
                # Publishes sent and never acked: JetStream is frozen
                # while they go out; then the aggregator is frozen in
                # turn, with its connections open, while JetStream reads
                # and stores them, and dies before it reads one ack. The
                # restart publishes them again, and the duplicate window
                # must drop them. (Killed while JetStream was still
                # frozen, what reached it was stored or not as the
                # kernel's handling of the closed connections decided:
                # twice in CI, not.)
                nodes[0].proc.send_signal(signal.SIGSTOP)
                sent = x["published"]
                deadline = time.monotonic() + 30
                while self.export_state(agg)["published"] <= sent:
                    self.assertLess(time.monotonic(), deadline,
                                    "nothing published while frozen")
                    time.sleep(0.05)
                time.sleep(0.3)
                x = self.export_state(agg)
                agg.proc.send_signal(signal.SIGSTOP)
                nodes[0].proc.send_signal(signal.SIGCONT)
                time.sleep(0.5)
            agg.kill9()
            tp.note("aggregator killed at position %d of %d, %d "
                    "published, %d acked" % (x["position"], x["queued"],
                                             x["published"], x["acks"]))
            time.sleep(0.5)
            kill += 1
            agg = self.aggregator(store, nodes, sets=sets + cut_at(kill),
                                  listen="tcp://127.0.0.1:%d" % port)
            if not frozen:
                continue
            # Whether the frozen publishes reached JetStream before the
            # kill is the kernel's to say; when they did, the restart's
            # repeats are dropped as duplicates (within the restart's
            # first rounds). Kill frozen again (at most five times, while
            # the replay runs) until one was: once, in CI, the replay
            # ended after a single frozen kill whose publishes were lost.
            deadline = time.monotonic() + 6
            while time.monotonic() < deadline:
                dups = self.export_state(agg)["duplicates"]
                if dups > 0:
                    break
                time.sleep(0.1)
            if dups > 0 or kill >= 6 or p.poll() is not None:
                break
        rc, log = self.wait_replay(p)
        self.assert_replay_ok(rc, log, "replay across kills")
        hist, x = self.assert_exactly_once(agg, nodes, "aggregator killed",
                                           sessions=sessions)
        self.assertGreater(len(hist), 1000)
        self.assertGreater(dups, 0, "no repeat was published in %d frozen "
                           "kills: the window was not tested" % (kill - 1))
        agg.stop()


class Cluster(ExportCase):
    """Two aggregators, each with its own agents, export into one stream
    of 3 replicas on a 3-node cluster; one sessacct-api over both."""
    PACKETS = 60000
    CAPS = {"a": ["netflix.pcap", "ocs.pcap"],
            "b": ["sites.pcapng", "KakaoTalk_chat.pcap"]}

    def test_two_aggregators_node_kill_and_cluster_outage(self):
        nodes = self.nats(3)
        sets = ["export.batch=200", "export.max_in_flight=100"]
        aggs = {n: self.aggregator(os.path.join(self.tmp, "db-" + n),
                                   nodes, sets=sets) for n in "ab"}
        http = self.api(aggs)
        # Each aggregator's own agents (agent ids name it).
        agents = {n: set() for n in aggs}
        for n, caps in sorted(self.CAPS.items()):
            for name in caps:
                agent = "%s-%s" % (n, tp.agent_for(name))
                agents[n].add(agent)
                rc, log = self.replay(os.path.join(tp.ARGS.pcaps, name),
                                      agent, aggs[n].ingest)
                self.assert_replay_ok(rc, log, agent)
        self.assert_stream_is_api(aggs, agents, http, nodes, "captures")
        # Live replays into both while the faults come.
        ps = {}
        for i, n in enumerate(sorted(aggs)):
            pcap = os.path.join(self.tmp, "synthetic-%s.pcap" % n)
            self.gen_pcap(pcap, self.PACKETS, 6000, 31 + i)
            agent = "%s-e2e-export-cluster" % n
            agents[n].add(agent)
            ps[n] = self.start_replay(pcap, agent, aggs[n].ingest,
                                      speed=0.4,
                                      sets=["capture.resend_timeout_ms=500",
                                            "capture.ack_wait=90"])
        acks = {n: self.export_state(a)["acks"] for n, a in aggs.items()}
        deadline = time.monotonic() + 60
        while any(self.export_state(a)["acks"] < acks[n] + 200
                  for n, a in aggs.items()):
            for n, p in ps.items():
                self.assertIsNone(p.poll(), "replay %s ended before the "
                                  "kill" % n)
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        nodes[1].kill9()        # one node of three: quorum stays
        for n, a in sorted(aggs.items()):
            x = self.export_state(a)
            tp.note("node n1 killed: %s at position %d of %d" % (
                n, x["position"], x["queued"]))
        time.sleep(2)
        # The whole cluster down while ingest goes on into both.
        for node in (nodes[0], nodes[2]):
            node.stop()
        before = {n: a.query("metrics")["store_sessions_written"]
                  for n, a in aggs.items()}
        for n, p in ps.items():
            self.assertIsNone(p.poll(), "replay %s ended before the "
                              "outage" % n)
        time.sleep(4)
        for n, a in sorted(aggs.items()):
            x = self.export_state(a)
            self.assertNotEqual(x["state"], "exporting", (n, x))
            self.assertGreater(a.query("metrics")["store_sessions_written"],
                               before[n], "ingest into %s stopped with the "
                               "cluster" % n)
        # The API's /health names both exporters' trouble.
        h = http.json("/health")
        self.assertEqual(h["status"], "degraded", h)
        for e in h["aggregators"]:
            self.assertTrue(any("export" in r for r in e.get("degraded",
                                                             [])), h)
        t0 = time.monotonic()
        for n, p in sorted(ps.items()):
            rc, log = self.wait_replay(p)
            self.assert_replay_ok(rc, log, "replay into %s across the "
                                  "outage" % n)
        for n, a in sorted(aggs.items()):
            self.assertGreater(self.export_state(a)["lag_sessions"], 0, n)
        t1 = time.monotonic()
        self.start_nodes(nodes, RESTART_TIMEOUT)
        t2 = time.monotonic()
        self.assert_stream_is_api(aggs, agents, http, nodes,
                                  "cluster faults")
        tp.note("replays ended %.1f s into the outage; cluster healthy "
                "in %.1f s; caught up and checked in %.1f s" % (
                    t1 - t0, t2 - t1, time.monotonic() - t2))
        self.assertEqual(http.json("/health")["status"], "ok")
        for a in aggs.values():
            a.stop()


class Expiry(ExportCase):
    DAY = 86400

    def gen_at(self, path, start, seed):
        r = subprocess.run([tp.ARGS.gen_pcap, "-o", path, "-n", "3000",
                            "-c", "100", "-t", "200", "-s", str(seed),
                            "-T", str(int(start))], capture_output=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, tp.text(r.stderr))

    def test_outage_past_retention(self):
        now = time.time()
        old = os.path.join(self.tmp, "old.pcap")
        new = os.path.join(self.tmp, "new.pcap")
        self.gen_at(old, now - 10 * self.DAY, 41)
        self.gen_at(new, now - 3600, 42)
        store = os.path.join(self.tmp, "db")
        # JetStream down (nothing listens there): ingest goes on.
        dead = "nats://127.0.0.1:%d" % free_port()
        agg = self.aggregator(store, [], urls=dead)
        for path, agent in ((old, "e2e-old"), (new, "e2e-new")):
            rc, log = self.replay(path, agent, agg.ingest)
            self.assert_replay_ok(rc, log, agent)
        hist = agg.history_all(limit=10000)
        n_old = sum(1 for s in hist if s["agent"] == "e2e-old")
        n_new = len(hist) - n_old
        self.assertGreater(n_old, 100)
        self.assertGreater(n_new, 100)
        x = self.export_state(agg)
        self.assertEqual(x["state"], "connecting")
        self.assertEqual(x["lag_sessions"], len(hist))
        agg.stop()
        # Back with JetStream, and a retention the old capture is past.
        nodes = self.nats(1)
        agg = self.aggregator(store, nodes,
                              sets=["store.retention_days=5"])
        x = self.wait_exported(agg)
        self.assertEqual(x["expired_unexported"], n_old)
        got = self.consume(nodes)
        want = {s["session_id"] for s in hist if s["agent"] == "e2e-new"}
        self.assertEqual(len(got), n_new)
        self.assertEqual({i for i, _ in got}, want)
        self.assertIn("expired before they were exported", agg.log())
        ev = agg.query("events", minutes="1", limit="1")
        self.assertTrue(any("expired" in r for r in ev["degraded"]), ev)
        # Counted once, also across a restart.
        agg.stop()
        agg = self.aggregator(store, nodes,
                              sets=["store.retention_days=5"])
        self.assertEqual(self.wait_exported(agg)["expired_unexported"],
                         n_old)
        agg.stop()


class Batched(Crash):
    PER = 10

    def test_kill_aggregator_mid_export(self):
        cuts = [self.PER, 1, 7, self.PER, 1]
        self.kill_mid_export(lambda kill: [
            "export.sessions_per_message=%d" % cuts[kill % len(cuts)]],
            sessions=True)

    def test_captures_batched(self):
        nodes = self.nats(1)
        # Rounds of 95: cuts of 10 straddle them.
        agg = self.aggregator(os.path.join(self.tmp, "db"), nodes,
                              sets=["export.batch=95",
                                    "export.max_in_flight=50",
                                    "export.sessions_per_message=%d" %
                                    self.PER])
        names = ["netflix.pcap", "1kxun.pcap", "synscan.pcap"]
        for name in names:
            rc, log = self.replay(os.path.join(tp.ARGS.pcaps, name),
                                  tp.agent_for(name), agg.ingest)
            self.assert_replay_ok(rc, log, name)
        hist, x = self.assert_exactly_once(agg, nodes, "batched",
                                           sessions=True)
        self.assertGreater(len(hist), 2000)
        self.assertEqual(x["acks"], len(hist))
        self.assertEqual(x["published"], len(hist))
        self.assertEqual(x["position"], x["queued"])
        msgs = self.consume(nodes)
        self.assertLess(len(msgs), len(hist) / 3, "few sessions a message")
        # Every body: JSON lines of one agent, at most PER of them, each
        # the history's object; the id names the store and the numbers.
        byid = {s["session_id"]: s for s in hist}
        agent = tp.agent_for("netflix.pcap")
        bodies = self.consume_bodies(nodes, PREFIX + "." + agent)
        self.assertGreater(len(bodies), 3)
        self.assertTrue(any(b.count("\n") > 1 for _, b in bodies))
        seen = 0
        for mid, body in bodies:
            store_id, numbers, who = mid.split(":", 2)
            lo, hi = (int(v) for v in numbers.split("-"))
            self.assertEqual(len(store_id), 16)
            self.assertEqual(who, agent)
            self.assertLess(hi - lo, self.PER)
            self.assertTrue(body.endswith("\n"))
            lines = body[:-1].split("\n")
            self.assertLessEqual(len(lines), hi - lo + 1)
            for line in lines:
                s = json.loads(line)
                self.assertEqual(s, byid[s["session_id"]])
                self.assertEqual(s["agent"], agent)
                seen += 1
        self.assertEqual(seen, sum(1 for s in hist if s["agent"] == agent))
        # A restart publishes nothing again.
        agg.stop()
        agg2 = self.aggregator(os.path.join(self.tmp, "db"), nodes,
                               sets=["export.sessions_per_message=3"])
        time.sleep(1)
        self.assertEqual(self.wait_exported(agg2)["published"], 0)
        self.assertEqual(len(self.consume(nodes, sessions=True)),
                         len(hist))
        agg2.stop()


def main():
    global JS_CONSUME, API
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--gen-pcap", required=True)
    ap.add_argument("--pcaps", required=True)
    ap.add_argument("--js-consume", required=True)
    ap.add_argument("--api")
    args, rest = ap.parse_known_args()
    tp.ARGS = args
    JS_CONSUME = args.js_consume
    API = args.api
    if shutil.which("nats-server") is None:
        sys.exit("test_export.py needs nats-server (deploy/install-deps.sh)")
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
