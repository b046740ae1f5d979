#!/usr/bin/env python3
"""End-to-end tests of the aggregator's defences against agents that lie
(issue 10, item 3; docs/PROTOCOL.md "Boots" and "Limits"), each beside a
real sessacct-capture replaying a capture into a real
sessacct-aggregator on loopback. Every test asserts that the real agent's
sessions all arrive exactly once (the same as the offline --print output)
and that the attacker's messages are rejected and counted, per reason,
in the agents query, the metrics query and the telemetry events.

  Spoof    another boot id for the real agent's id (older, without a
           start time, and later while the real one speaks), and a
           floor_seq of 10^9 under the real boot id; a crafted agent whose
           floor_seq jumps past the window.
  Agents   1,100 made-up agent ids fill max_agents; once they are silent
           past agent_retention, a real agent gets in.
  Counters deltas of 2^64-1, and a batch carrying more than a link could.
  Future   sessions stamped in the year 2554 and 301 s ahead; a replay of
           a 2009 capture beside them.
  Flood    one agent opens far more sessions than its share of
           max_sessions; the good agent beside it loses none.

usage: test_attacks.py --capture BIN --aggregator BIN --gen-pcap BIN
                       --pcaps DIR [unittest args]

Reuses test_pipeline.py's process helpers (same directory).
"""
import argparse
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_pipeline as tp     # noqa: E402

import msgpack                  # noqa: E402
import zmq                      # noqa: E402

GOOD = "e2e-real"
ACK_MS = 3000
NS = 10**9
M64 = 2**64 - 1


def now_ns():
    return time.time_ns()


def udp_event(kind, i, start_ns, last_ns, pkts=(1, 0), byts=(30, 0),
              status=0, reason=0):
    cli = bytes([10, 66, (i >> 8) & 255, i & 255])
    srv = bytes([10, 66, 0, 1])
    return [kind, 4, 17, cli, 20000 + (i % 40000), srv, 53, start_ns, last_ns,
            pkts[0], pkts[1], byts[0], byts[1],
            min(byts[0] + 28 * pkts[0], M64), min(byts[1] + 28 * pkts[1], M64),
            0, 0, status, reason, None, None]


def batch(agent, boot, seq, events, floor=None, boot_ns=None, host="e2e",
          clock_ns=None):
    """A BATCH (docs/PROTOCOL.md); boot_ns None: the 10 elements of old;
    clock_ns (with boot_ns) the 12th."""
    b = [1, 1, agent, host, boot, seq, seq if floor is None else floor,
         now_ns(), [0, 0, 0, 0, 0, {}], events]
    if boot_ns is not None:
        b.append(boot_ns)
    if clock_ns is not None:
        b.append(clock_ns)
    return tp.pack(b)


class Attacks(tp.PipelineCase):

    def dealer(self, ep):
        if not hasattr(self, "ctx"):
            self.ctx = zmq.Context()
            self.addCleanup(self.ctx.term)
        s = self.ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(ep)
        self.addCleanup(s.close, 0)
        return s

    def ask(self, s, body, timeout_ms=ACK_MS):
        """Sends one message; its ack [1, 2, boot, seq, status, reason],
        or None if none came within the timeout."""
        s.send(body)
        if not s.poll(timeout_ms):
            return None
        return msgpack.unpackb(s.recv(), raw=False)

    def assert_rejected(self, ack, why, what):
        self.assertIsNotNone(ack, what + ": no answer")
        self.assertEqual(ack[4], 1, "%s: not rejected: %r" % (what, ack))
        self.assertIn(why, ack[5], what)

    def paced(self, name, packets=20000, slots=300, seconds=8.0, seed=3):
        """A synthetic capture whose replay takes about `seconds`."""
        pcap = os.path.join(self.tmp, name)
        span = self.gen_pcap(pcap, packets, slots, seed)
        return pcap, max(1.0, span / seconds)

    def assert_good(self, agg, replay, want, agent=GOOD):
        rc, log = self.wait_replay(replay)
        self.assert_replay_ok(rc, log, agent)
        got = agg.history_all(limit=10000, agent=agent) + \
            [x for x in agg.active_all() if x["agent"] == agent]
        self.assert_sums_equal(got, want, agent + " beside the attack")
        self.assert_same_sessions(got, want, agent)
        self.assertEqual(len({x["session_id"] for x in got}), len(got),
                         "a session twice")
        return got

    def assert_counted(self, agg, reason, n, agent=None, exact=False):
        """reason counted n times (at least, unless exact) in the metrics
        query, the agent's entry and the telemetry events."""
        m = agg.query("metrics")["rejected"]
        cmp = self.assertEqual if exact else self.assertGreaterEqual
        cmp(m[reason], n, "metrics rejected %s: %r" % (reason, m))
        if agent is not None:
            a = agg.agents()[agent]
            cmp(a["rejected"][reason], n, "agents %s rejected %s: %r" %
                (agent, reason, a["rejected"]))
        ev = agg.query("events", minutes=10, limit=1000)["events"]
        self.assertTrue(any(reason in e.get("message", "") for e in ev),
                        "no telemetry event for %s" % reason)

    # ---- attacks ----

    def test_spoof_boot_and_floor(self):
        pcap, speed = self.paced("spoof.pcap")
        want = self.offline(pcap, GOOD)
        agg = tp.Aggregator(self, os.path.join(self.tmp, "db"))
        good = self.start_replay(pcap, GOOD, agg.ingest, speed=speed)
        self.wait_progress(agg, GOOD, 2000, good)
        s = self.dealer(agg.ingest)
        ev = [udp_event(1, 1, 1262304000 * NS, 1262304001 * NS)]

        # The 40-byte batch: a new boot id, no start time.
        self.assert_rejected(self.ask(s, batch(GOOD, 42, 1, [])),
                             "stale boot", "new boot without a start")
        # An older start than the real boot's.
        self.assert_rejected(self.ask(s, batch(GOOD, 43, 1, ev,
                                               boot_ns=1)),
                             "stale boot", "older boot")
        # A later start: held while the real agent speaks (no answer).
        for k in range(3):
            self.assertIsNone(self.ask(s, batch(GOOD, 44, 1, ev,
                                                boot_ns=now_ns()), 500),
                              "a later boot answered while the real one "
                              "speaks")
        # The real boot id (as /api/agents shows it) with floor_seq
        # 10^9: without the boot's start time it is not that boot.
        shown = agg.agents()[GOOD]["boot_id"]
        for boot in (shown << 1, shown << 1 | 1):
            self.assert_rejected(self.ask(s, batch(
                GOOD, boot, 10**9, ev, floor=10**9)), "stale boot",
                "floor_seq 10^9 under the real boot id")
        self.assert_good(agg, good, want)
        self.assert_counted(agg, "stale_boot", 4, GOOD)
        self.assert_counted(agg, "boot_busy", 3, GOOD)
        a = agg.agents()[GOOD]
        self.assertEqual(a["batches_lost"], 0)

        # An agent that knows its own boot: a floor_seq past the window
        # is rejected and moves nothing; the next batch applies.
        t0 = 1262304000 * NS
        bns = now_ns()
        upd = udp_event(1, 7, t0, t0 + NS, (1, 1), (10, 20))
        close = udp_event(2, 7, t0, t0 + 2 * NS, (1, 0), (5, 0), 1, 3)
        ack = self.ask(s, batch("e2e-floor", 5, 1, [upd], boot_ns=bns))
        self.assertEqual(ack[4], 0, ack)
        self.assert_rejected(self.ask(s, batch(
            "e2e-floor", 5, 10**9, [], floor=10**9, boot_ns=bns)),
            "floor_jump", "floor_seq 10^9")
        ack = self.ask(s, batch("e2e-floor", 5, 2, [close], boot_ns=bns))
        self.assertEqual(ack[:5], [1, 2, 5, 2, 0], ack)
        self.assertEqual(agg.agents()["e2e-floor"]["batches_lost"], 0)
        h = agg.history_all(agent="e2e-floor")
        self.assertEqual([(x["packets_sent"], x["bytes_sent"],
                           x["bytes_received"]) for x in h], [(2, 15, 20)])
        self.assert_counted(agg, "floor_jump", 1, "e2e-floor", exact=True)
        agg.stop()

    def test_fake_agents_then_real(self):
        agg = tp.Aggregator(self, os.path.join(self.tmp, "db"), sets=(
            "aggregator.agent_retention=6",))
        s = self.dealer(agg.ingest)
        full = 0
        t0 = time.monotonic()
        # In rounds: the aggregator's ROUTER holds at most 1000 acks per
        # peer (ZeroMQ's high-water mark) and drops the rest.
        for r in range(0, 1100, 100):
            for i in range(r, r + 100):
                s.send(batch("fake-%04d" % i, 1000 + i, 1, [],
                             boot_ns=now_ns()))
            for i in range(r, r + 100):
                self.assertTrue(s.poll(30000), "ack %d missing" % i)
                ack = msgpack.unpackb(s.recv(), raw=False)
                if ack[4] == 1:
                    self.assertIn("too many agents", ack[5])
                    full += 1
        tp.note("1,100 fake agents in %.1f s, %d refused" %
                (time.monotonic() - t0, full))
        self.assertEqual(full, 1100 - 1024)
        self.assertLessEqual(len(agg.agents()), 1024)
        self.assert_counted(agg, "agents_full", full, exact=True)
        time.sleep(6.5)         # the fakes fall silent past retention
        name = "dns.pcap"
        path = os.path.join(tp.ARGS.pcaps, name)
        want = self.offline(path, GOOD)
        self.assert_good(agg, self.start_replay(path, GOOD, agg.ingest),
                         want)
        m = agg.query("metrics")
        self.assertGreaterEqual(m["agents_forgotten"], 1)
        self.assertIn(GOOD, agg.agents())
        agg.stop()

    def test_wrapped_counters(self):
        pcap, speed = self.paced("wrap.pcap", seconds=5.0, seed=5)
        want = self.offline(pcap, GOOD)
        agg = tp.Aggregator(self, os.path.join(self.tmp, "db"), sets=(
            "aggregator.max_link_bps=40000000000",))
        good = self.start_replay(pcap, GOOD, agg.ingest, speed=speed)
        s = self.dealer(agg.ingest)
        t0 = 1262304000 * NS
        m64 = 2**64 - 1
        bns = now_ns()
        opened = udp_event(1, 3, t0, t0 + NS)
        self.assertEqual(self.ask(s, batch("e2e-wrap", 9, 1, [opened],
                                           boot_ns=bns))[4], 0)
        # 2^64-1 more: would wrap the session's 30 bytes to 29.
        for seq, ev in enumerate((
                udp_event(1, 3, t0, t0 + 2 * NS, (0, 0), (m64, 0)),
                udp_event(1, 3, t0, t0 + 2 * NS, (m64, 0), (0, 0)),
                # 20 GB in a session 1 s old: 40 Gbit/s (max_link_bps
                # above) carries 10 GB in its 1 s plus the 1 s slack.
                udp_event(1, 3, t0, t0 + NS, (1, 0), (2 * 10**10, 0))),
                2):
            self.assert_rejected(self.ask(s, batch(
                "e2e-wrap", 9, seq, [ev], boot_ns=bns)), "counter_range",
                "delta %r" % ev[9:13])
        close = udp_event(2, 3, t0, t0 + 3 * NS, (1, 0), (1, 0), 1, 3)
        self.assertEqual(self.ask(s, batch("e2e-wrap", 9, 2, [close],
                                           boot_ns=bns))[4], 0)
        self.assert_good(agg, good, want)
        h = agg.history_all(agent="e2e-wrap")
        self.assertEqual([(x["packets_sent"], x["bytes_sent"]) for x in h],
                         [(2, 31)])
        self.assert_counted(agg, "counter_range", 3, "e2e-wrap", exact=True)
        m = agg.query("metrics")
        total = sum(x["bytes_sent"] for x in want) + 31
        self.assertEqual(m["bytes_sent"], total, "aggregator byte total")
        agg.stop()

    def test_far_future(self):
        name = "http.pcapng"            # a capture from 2009
        path = os.path.join(tp.ARGS.pcaps, name)
        want = self.offline(path, GOOD)
        agg = tp.Aggregator(self, os.path.join(self.tmp, "db"))
        s = self.dealer(agg.ingest)
        bns = now_ns()
        y2554 = M64 - 2 * NS            # 2554-07-21
        # Known first (a batch with nothing in it), then the lies.
        self.assertEqual(self.ask(s, batch("e2e-future", 11, 1, [],
                                           boot_ns=bns))[4], 0)
        for seq, (start, last) in enumerate((
                (y2554, y2554 + NS),
                (now_ns() - NS, now_ns() + 301 * NS)), 2):
            self.assert_rejected(self.ask(s, batch(
                "e2e-future", 11, seq, [udp_event(2, 1, start, last,
                                                  status=1, reason=3)],
                boot_ns=bns)), "future_time", "times %d" % start)
        # A boot that claims to start in the future would outrank every
        # real restart: refused too.
        self.assert_rejected(self.ask(s, batch("e2e-future", 12, 2, [],
                                               boot_ns=y2554)),
                             "future_time", "boot_ns in 2554")
        # A clock in the future would idle out every session of the
        # agent at once (its own only, since docs/PROTOCOL.md "Idle
        # expiry"): refused like the times of its events.
        self.assert_rejected(self.ask(s, batch("e2e-future", 11, 4, [],
                                               boot_ns=bns,
                                               clock_ns=y2554)),
                             "future_time", "clock_ns in 2554")
        self.assert_good(agg, self.start_replay(path, GOOD, agg.ingest),
                         want)
        newest = agg.query("history", limit=1)["sessions"]
        self.assertEqual(newest[0]["agent"], GOOD, newest)
        self.assertEqual(agg.history_all(agent="e2e-future"), [])
        self.assert_counted(agg, "future_time", 4, "e2e-future", exact=True)
        agg.stop()

    def test_session_flood(self):
        pcap, speed = self.paced("flood.pcap", packets=20000, slots=300,
                                 seconds=5.0, seed=7)
        want = self.offline(pcap, GOOD)
        t0 = min(tp.rfc3339_ns(x["start_time"]) for x in want)
        agg = tp.Aggregator(self, os.path.join(self.tmp, "db"), sets=(
            "sessions.max_sessions=4000",))
        s = self.dealer(agg.ingest)
        bns = now_ns()
        n, per = 6000, 1000
        for seq in range(1, n // per + 1):
            evs = [udp_event(1, i, t0, t0 + NS)
                   for i in range((seq - 1) * per, seq * per)]
            self.assertEqual(self.ask(s, batch("e2e-flood", 13, seq, evs,
                                               boot_ns=bns))[4], 0)
        # Its share (half of max_sessions) open, the rest refused.
        self.assertEqual(agg.agents()["e2e-flood"]["sessions_active"], 2000)
        good = self.start_replay(pcap, GOOD, agg.ingest, speed=speed)
        got = self.assert_good(agg, good, want)
        self.assertFalse([x for x in got if x["close_reason"] == "evicted"])
        self.assert_counted(agg, "session_share", n - 2000, "e2e-flood",
                            exact=True)
        self.assertEqual(agg.query("metrics")["sessions_closed"]["evicted"],
                         0)
        agg.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--gen-pcap", required=True)
    ap.add_argument("--pcaps", required=True)
    tp.ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
