#!/usr/bin/env python3
"""End-to-end test of one sessacct-api over several real aggregators
(issue 11 item 3; docs/API.md "Several aggregators").

Two sessacct-aggregator processes on 127.0.0.1, each fed by agents
(sessacct-capture --connect) replaying different captures of tests/pcap,
plus one capture replayed to both under two agent names, so users are
present on both. Three APIs: one over both (api.aggregator=A,B with
api.aggregator_names=a,b) and one over each alone. Checks:
  - history over both equals the union of each alone: the same session
    ids, newest first; pages of 7 through the merged cursor visit every
    session exactly once; the CSV of a page equals its JSON;
  - pages drawn mostly or wholly from one aggregator (api.multi_fetch_
    margin=0, so its first share runs out and it is asked again) equal
    the union's, with and without user= and dest_ip= filters;
  - an aggregator's history with row_cursors=1 (sessacct-aggregator
    --query): each row's cursor is the next_cursor of a page ending there;
  - stats totals are the sums of each; top lists are merged (a user on
    both is summed); each session is found by id; /api/agents has the
    agents of both with their aggregator; /metrics carries both
    aggregators' series under the aggregator label;
  - with b stopped: answers are partial and say so (partial, missing,
    X-Sessacct-Partial), /health is degraded and names b; b started again
    on the same store and ports: full answers again.

usage: test_multi.py --capture BIN --aggregator BIN --api BIN --pcaps DIR
                     --static DIR [unittest args]

Bounded polls only; logs are printed when a case fails.
"""
import argparse
import csv
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as ta       # noqa: E402  (Pipeline, Http, helpers)

ARGS = None
NS = 1000000000
POLL_TIMEOUT = 60
# Captures per aggregator, and one replayed to both (its users are on
# both aggregators' top lists).
CAPS = {"a": ["netflix.pcap", "ocs.pcap", "KakaoTalk_chat.pcap"],
        "b": ["sites.pcapng", "quickplay.pcap", "http_ipv6.pcap"]}
SHARED = "443-curl.pcap"


def poll(what, fn, timeout=POLL_TIMEOUT):
    """Calls fn until it returns a true value; fails after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            r = fn()
            if r:
                return r
        except AssertionError as e:
            last = e
        time.sleep(0.2)
    raise AssertionError("%s: not within %d s (%s)" % (what, timeout, last))


def pages(http, limit, query=""):
    """Every page of history at limit; returns (sessions, page count)."""
    out, cursor, n = [], None, 0
    while True:
        q = "limit=%d" % limit + ("&" + query if query else "")
        if cursor is not None:
            q += "&cursor=" + urllib.parse.quote(cursor, safe="")
        page = http.json("/api/sessions/history?" + q)
        n += 1
        assert len(page["sessions"]) <= limit
        if page["next_cursor"] is not None:
            assert len(page["sessions"]) == limit, "short page mid-way"
        out.extend(page["sessions"])
        cursor = page["next_cursor"]
        if cursor is None:
            return out, n
        assert n < 100000, "history never ends"


class Multi(unittest.TestCase):
    """Two aggregators behind one API."""

    @classmethod
    def setUpClass(cls):
        ta.ARGS = ARGS
        cls.pl = ta.Pipeline("multi")
        try:
            cls.aggs = {}
            for name in ("a", "b"):
                cls.aggs[name] = cls.start_agg(name)
            cls.agents = {"a": set(), "b": set()}
            for name, caps in sorted(CAPS.items()):
                for pcap in caps + [SHARED]:
                    agent = "%s-%s" % (name, ta.agent_name(pcap))
                    cls.agents[name].add(agent)
                    cls.pl.replay(os.path.join(ARGS.pcaps, pcap),
                                  cls.aggs[name]["ingest"], agent)
            cls.one = {n: cls.pl.api(cls.aggs[n]["query"])
                       for n in ("a", "b")}
            cls.http = cls.pl.api(
                cls.aggs["a"]["query"] + "," + cls.aggs["b"]["query"],
                ["--set", "api.aggregator_names=a,b",
                 "--set", "api.aggregator_timeout_ms=2000",
                 "--set", "api.health_timeout_ms=1000",
                 "--set", "api.metrics_cache_ms=0"])
            # Every batch acknowledged: nothing open on either.
            for n in ("a", "b"):
                poll("sessions still active on " + n, lambda n=n:
                     cls.one[n].json("/api/sessions/active")["total"] == 0)
            cls.alone = {n: ta.history_all(cls.one[n])[0]
                         for n in ("a", "b")}
        except BaseException:
            print(cls.pl.tails())
            cls.pl.stop(check=False)
            raise

    @classmethod
    def start_agg(cls, name, ready=None):
        """An aggregator on its own store; with ready (a previous ready
        file's contents), on the same store and ports again."""
        db = os.path.join(cls.pl.td, "db-" + name)
        rf = os.path.join(cls.pl.td, "agg-%s-%d.ready" % (name, cls.pl.n))
        ingest = ready["ingest"] if ready else "tcp://127.0.0.1:0"
        query = ready["query"] if ready else "tcp://127.0.0.1:0"
        p = cls.pl._spawn("aggregator-" + name, [
            ARGS.aggregator, "--set", "store.path=" + db,
            "--set", "store.retention_days=%d" % ta.RETENTION_DAYS,
            "--set", "aggregator.listen=" + ingest,
            "--set", "aggregator.query_listen=" + query,
            "--set", "aggregator.agent_timeout=3600",
            "--ready-file", rf])
        r = cls.pl._ready(rf, p, "aggregator-" + name)
        r["proc"] = p
        return r

    @classmethod
    def tearDownClass(cls):
        cls.pl.stop()

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        nbad = len(result.failures) + len(result.errors)
        super().run(result)
        if len(result.failures) + len(result.errors) > nbad:
            print(self.pl.tails())

    def window(self):
        every = self.alone["a"] + self.alone["b"]
        oldest = min(ta.rfc3339_ns(s["end_time"]) for s in every)
        return math.ceil((time.time_ns() - oldest) / (3600 * NS)) + 24

    # ---- full answers ---------------------------------------------------

    def test_1_history_is_the_union(self):
        a, b = self.alone["a"], self.alone["b"]
        self.assertGreater(len(a), 50)
        self.assertGreater(len(b), 50)
        ids_a = {s["session_id"] for s in a}
        ids_b = {s["session_id"] for s in b}
        self.assertEqual(ids_a & ids_b, set())
        merged, n = pages(self.http, 1000)
        ids = [s["session_id"] for s in merged]
        self.assertEqual(len(ids), len(set(ids)), "a session twice")
        self.assertEqual(set(ids), ids_a | ids_b)
        keys = [(s["end_time"], s["session_id"]) for s in merged]
        self.assertEqual(keys, sorted(keys, reverse=True),
                         "not newest first")
        # Each session as its own aggregator gives it.
        by_id = {s["session_id"]: s for s in a + b}
        for s in merged:
            self.assertEqual(s, by_id[s["session_id"]])
        # Small pages through the merged cursor: every session once, in
        # the same order.
        small, np = pages(self.http, 7)
        self.assertEqual([s["session_id"] for s in small], ids)
        self.assertEqual(np, math.ceil(len(ids) / 7) +
                         (1 if len(ids) % 7 == 0 else 0))
        # A filter passes through to both.
        udp, _ = pages(self.http, 7, "protocol=udp")
        self.assertEqual([s["session_id"] for s in udp],
                         [s["session_id"] for s in merged
                          if s["protocol"] == "udp"])
        # The merged answer says it is whole.
        page = self.http.json("/api/sessions/history?limit=7")
        self.assertIs(page["partial"], False)
        self.assertEqual(page["missing"], [])

    def test_2_csv_equals_json(self):
        cursor = None
        for _ in range(3):
            q = "limit=11" + ("&cursor=" + urllib.parse.quote(cursor, safe="")
                              if cursor else "")
            js = self.http.json("/api/sessions/history?" + q)
            st, hdr, body = self.http.raw("/api/sessions/history?format=csv&"
                                          + q)
            self.assertEqual(st, 200)
            self.assertTrue(hdr["Content-Type"].startswith("text/csv"))
            self.assertEqual(hdr.get("X-Next-Cursor"), js["next_cursor"])
            self.assertIsNone(hdr.get("X-Sessacct-Partial"))
            rows = list(csv.reader(io.StringIO(body.decode("utf-8"),
                                               newline="")))
            self.assertEqual(rows[0], ta.FIELDS)
            self.assertEqual(len(rows) - 1, len(js["sessions"]))
            for row, s in zip(rows[1:], js["sessions"]):
                for f, cell in zip(ta.FIELDS, row):
                    v = s[f]
                    if v is None:
                        self.assertEqual(cell, "", f)
                    elif isinstance(v, float):
                        self.assertAlmostEqual(float(cell), v, places=9)
                    else:
                        self.assertEqual(cell, str(v), f)
            cursor = js["next_cursor"]

    def test_3_stats_sum_and_top_merge(self):
        w = self.window()
        path = "/api/sessions/stats?window_hours=%d" % w
        st = self.http.json(path)
        one = {n: self.one[n].json(path) for n in ("a", "b")}
        for k in ("total_sessions", "total_bytes_sent",
                  "total_bytes_received", "failed_sessions",
                  "rejected_sessions", "active_sessions"):
            self.assertEqual(st[k], one["a"][k] + one["b"][k], k)
        self.assertEqual(st["total_sessions"],
                         len(self.alone["a"]) + len(self.alone["b"]))
        self.assertIs(st["partial"], False)
        for key, name in (("top_users", "user"),
                          ("top_destinations", "dest")):
            lists = {n: {e[name]: (e["sessions"], e["bytes"])
                         for e in one[n][key]} for n in ("a", "b")}
            both = set(lists["a"]) & set(lists["b"])
            if key == "top_users":
                self.assertTrue(both, "no user on both aggregators")
            got = st[key]
            self.assertEqual(len(got), max(len(one["a"][key]),
                                           len(one["b"][key])))
            order = [(-e["bytes"], -e["sessions"], e[name]) for e in got]
            self.assertEqual(order, sorted(order), key)
            for e in got:
                want = [lists[n][e[name]] for n in ("a", "b")
                        if e[name] in lists[n]]
                self.assertTrue(want, e)
                self.assertEqual((e["sessions"], e["bytes"]),
                                 (sum(x[0] for x in want),
                                  sum(x[1] for x in want)), e)
            # A name on both lists, if it made the merged list, is the
            # sum of both.
            names = {e[name] for e in got}
            self.assertTrue(both & names or key != "top_users",
                            "no summed user in the merged list")

    def test_4_session_by_id_on_each(self):
        for n in ("a", "b"):
            for s in self.alone[n][:5] + self.alone[n][-5:]:
                got = self.http.json("/api/sessions/" + s["session_id"])
                self.assertEqual(got["session_id"], s["session_id"])
                self.assertEqual(got["agent"], s["agent"])
                self.assertIn(got["agent"], self.agents[n])
        st, _, body = self.http.raw("/api/sessions/" + "0" * 32)
        self.assertEqual(st, 404, body)

    def test_5_agents_of_both(self):
        got = self.http.json("/api/agents")
        self.assertIs(got["partial"], False)
        by = {}
        for a in got["agents"]:
            by.setdefault(a["aggregator"], set()).add(a["agent"])
        self.assertEqual(by, self.agents)

    def test_6_metrics_labelled(self):
        st, hdr, body = self.http.raw("/metrics")
        self.assertEqual(st, 200)
        ms = ta.parse_metrics(body.decode())
        for n in ("a", "b"):
            alone = ta.parse_metrics(self.one[n].raw("/metrics")[2].decode())
            want = {k: v for k, v in alone.items()
                    if k[0] in ("sessacct_sessions_ended_total",
                                "sessacct_bytes_total")}
            self.assertTrue(want, "no session series from " + n)
            for (name, labels), v in want.items():
                k = (name, labels | {("aggregator", n)})
                self.assertTrue(k in ms, k)
                self.assertEqual(ms[k], v, k)
            agents = {dict(lb).get("agent") for (name, lb) in ms
                      if name == "sessacct_agent_up" and
                      ("aggregator", n) in lb}
            self.assertEqual(agents, self.agents[n])

    def test_7_uneven_spread_and_filters(self):
        """Pages where most or all sessions come from one aggregator: its
        first share (ceil(limit / 2) + api.multi_fetch_margin, here 0) is
        used up and it is asked again from its last row's cursor. Every
        page must still be exactly the union's, newest first, with and
        without filters that pick an index (user=, dest_ip=)."""
        http = self.pl.api(
            self.aggs["a"]["query"] + "," + self.aggs["b"]["query"],
            ["--set", "api.aggregator_names=a,b",
             "--set", "api.multi_fetch_margin=0"])
        side = {s["session_id"]: n for n in ("a", "b")
                for s in self.alone[n]}
        union = sorted(self.alone["a"] + self.alone["b"],
                       key=lambda s: (s["end_time"], s["session_id"]),
                       reverse=True)
        users = {}
        dests = {}
        for s in union:
            users.setdefault(s["user"], set()).add(side[s["session_id"]])
            dests.setdefault(s["dest_ip"], set()).add(side[s["session_id"]])
        # A user on both aggregators (the shared capture), the busiest
        # destination, and one found on one aggregator only.
        both = max((u for u in users if users[u] == {"a", "b"}),
                   key=lambda u: sum(1 for s in union if s["user"] == u))
        dest = max(dests, key=lambda d: sum(1 for s in union
                                            if s["dest_ip"] == d))
        only = max((d for d in dests if len(dests[d]) == 1),
                   key=lambda d: sum(1 for s in union if s["dest_ip"] == d))
        cases = [("", union),
                 ("user=" + urllib.parse.quote(both),
                  [s for s in union if s["user"] == both]),
                 ("dest_ip=" + dest,
                  [s for s in union if s["dest_ip"] == dest]),
                 ("dest_ip=" + only,
                  [s for s in union if s["dest_ip"] == only])]
        lopsided = 0
        for query, want in cases:
            self.assertTrue(want, query)
            ids = [s["session_id"] for s in want]
            for limit in (1, 2, 3, 7, 50, 1000):
                got, n = pages(http, limit, query)
                self.assertEqual([s["session_id"] for s in got], ids,
                                 "%s limit=%d" % (query, limit))
                # An empty last page only when the pages are full.
                self.assertIn(n, (math.ceil(len(ids) / limit),
                                  len(ids) // limit + 1))
                # Pages with more than the first share from one side:
                # the refetch ran for them.
                for k in range(0, len(ids), limit):
                    chunk = [side[i] for i in ids[k:k + limit]]
                    if max(chunk.count("a"), chunk.count("b")) > \
                            -(-limit // 2):
                        lopsided += 1
        self.assertGreater(lopsided, 10, "no page needed a refetch")

    def query(self, name, *params):
        """sessacct-aggregator --query history on aggregator name:
        (exit code, answer or None)."""
        r = subprocess.run(
            [ARGS.aggregator, "--set", "aggregator.query_listen=" +
             self.aggs[name]["query"], "--query", "history"] + list(params),
            capture_output=True, timeout=60)
        return r.returncode, (json.loads(r.stdout) if r.returncode == 0
                              else None)

    def test_8_row_cursors_on_the_socket(self):
        """row_cursors=1: entry i is the next_cursor of a page ending at
        row i, with the index a filter picks too; absent without it."""
        a = self.alone["a"]
        user = max({s["user"] for s in a},
                   key=lambda u: sum(1 for s in a if s["user"] == u))
        dest = max({s["dest_ip"] for s in a},
                   key=lambda d: sum(1 for s in a if s["dest_ip"] == d))
        for filt in ([], ["user=" + user], ["dest_ip=" + dest]):
            rc, full = self.query("a", "limit=6", "row_cursors=1", *filt)
            self.assertEqual(rc, 0)
            self.assertEqual(len(full["row_cursors"]), len(full["sessions"]))
            self.assertGreater(len(full["sessions"]), 1, filt)
            for i in range(len(full["sessions"]) - 1):
                rc, part = self.query("a", "limit=%d" % (i + 1), *filt)
                self.assertEqual(rc, 0)
                self.assertNotIn("row_cursors", part)
                self.assertEqual(part["next_cursor"],
                                 full["row_cursors"][i], (filt, i))
                # Going on from it gives the rest of the page.
                rc, rest = self.query("a", "limit=%d" % (5 - i),
                                      "cursor=" + full["row_cursors"][i],
                                      *filt)
                self.assertEqual(rc, 0)
                self.assertEqual(rest["sessions"],
                                 full["sessions"][i + 1:6])
        rc, _ = self.query("a", "row_cursors=yes")
        self.assertEqual(rc, 1)

    # ---- one aggregator stopped, then back -------------------------------

    def test_9_partial_then_whole(self):
        b = self.aggs["b"]
        b["proc"].send_signal(signal.SIGTERM)
        self.assertEqual(b["proc"].wait(30), 0)
        ids_a = [s["session_id"] for s in self.alone["a"]]

        def partial(path):
            st, hdr, body = self.http.raw(path)
            self.assertEqual(st, 200, body[:300])
            self.assertEqual(hdr.get("X-Sessacct-Partial"), "b", path)
            o = json.loads(body)
            self.assertIs(o["partial"], True, path)
            self.assertEqual(o["missing"], ["b"], path)
            return o

        # Pages of 30 (each waits api.aggregator_timeout_ms for b): a's sessions, each once,
        # every page marked; once only b is left, a 503 naming it (the
        # cursor keeps b's place).
        got, cursor = [], None
        while True:
            q = "/api/sessions/history?limit=30"
            if cursor is not None:
                q += "&cursor=" + urllib.parse.quote(cursor, safe="")
            st, hdr, body = self.http.raw(q)
            if st == 503:
                self.assertIsNotNone(cursor)
                self.assertIn(b"no aggregator answered: b (", body)
                self.assertEqual(hdr.get("X-Sessacct-Partial"), "b")
                break
            page = partial(q)
            got.extend(page["sessions"])
            cursor = page["next_cursor"]
            self.assertIsNotNone(cursor, "b's place lost")
            self.assertLess(len(got), 100000)
        self.assertEqual([s["session_id"] for s in got], ids_a)
        partial("/api/sessions/history?limit=7")
        st = partial("/api/sessions/stats?window_hours=%d" % self.window())
        self.assertEqual(st["total_sessions"], len(ids_a))
        ag = partial("/api/agents")
        self.assertEqual({a["aggregator"] for a in ag["agents"]}, {"a"})
        partial("/api/sessions/active")
        # CSV is marked by the header alone.
        s, hdr, _ = self.http.raw("/api/sessions/history?format=csv&limit=3")
        self.assertEqual((s, hdr.get("X-Sessacct-Partial")), (200, "b"))
        # A session of b cannot be found; one of a can.
        s, hdr, body = self.http.raw("/api/sessions/" +
                                     self.alone["b"][0]["session_id"])
        self.assertEqual(s, 503, body)
        self.assertIn(b"b (", body)
        got = self.http.json("/api/sessions/" + ids_a[0])
        self.assertEqual(got["session_id"], ids_a[0])
        h = self.http.json("/health")
        self.assertEqual(h["status"], "degraded")
        self.assertEqual(h["missing"], ["b"])
        hb = {x["name"]: x for x in h["aggregators"]}
        self.assertIs(hb["b"]["reachable"], False)
        self.assertIs(hb["a"]["reachable"], True)
        # The metrics keep a's series; of b's only that it is down.
        ms = ta.parse_metrics(self.http.raw("/metrics")[2].decode())
        of_b = {k: v for k, v in ms.items() if ("aggregator", "b") in k[1]}
        self.assertEqual(of_b, {("sessacct_aggregator_up", frozenset(
            {("aggregator", "b")})): 0.0})
        self.assertEqual(ta.metric(ms, "sessacct_aggregator_up",
                                   aggregator="a"), 1.0)
        self.assertTrue(any(("aggregator", "a") in k[1] and
                            k[0] == "sessacct_sessions_ended_total"
                            for k in ms))

        # b again, on the same store and ports.
        self.aggs["b"] = self.start_agg("b", b)
        poll("health ok again",
             lambda: self.http.json("/health")["status"] == "ok")
        page = poll("whole history again", lambda: (lambda p: p if p[
            "partial"] is False else None)(self.http.json(
                "/api/sessions/history?limit=7")))
        self.assertEqual(page["missing"], [])
        merged, _ = pages(self.http, 7)
        self.assertEqual(sorted(s["session_id"] for s in merged),
                         sorted(ids_a + [s["session_id"]
                                         for s in self.alone["b"]]))
        st, hdr, _ = self.http.raw("/api/sessions/stats?window_hours=%d" %
                                   self.window())
        self.assertEqual(st, 200)
        self.assertIsNone(hdr.get("X-Sessacct-Partial"))
        self.http.json("/api/sessions/" + self.alone["b"][0]["session_id"])


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
