#!/usr/bin/env python3
"""Store damage (docs/SECURITY.md, "Store damage"): a block of each column
family damaged in turn, on a copy of one real store.

The store: netflix.pcap replayed whole (closed sessions, indexes,
rollups, meta) and a synthetic capture replayed slowly and cut by a
SIGTERM of the aggregator (open sessions checkpointed in `active`); a
second start turns the write-ahead log into one table file per family.
Which file holds which family is read from the file itself (its
properties block names the family), not from the product.

Groups (one ctest entry each):
  Verify   --verify exits 0 on the clean store, and 1 naming the family
           and file on each damaged copy.
  Damage   each family damaged in turn: the aggregator starts every time
           and says what it lost (log, metrics, the `degraded` reasons that
           /health shows, a telemetry event); history answers for the
           rest; a healed checkpoint takes new data again.

usage: test_heal.py --capture BIN --aggregator BIN --gen-pcap BIN
                    --pcaps DIR [unittest args]
"""
import argparse
import atexit
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_pipeline as tp      # noqa: E402  (helpers: Aggregator, replays)

FAMILIES = ["sessions", "by_id", "idx_user", "idx_dest", "idx_client",
            "rollups", "active", "meta"]
FAMILY_RE = re.compile(rb"column\.family\.id.{1,16}?\x16\x04(.)name", re.S)


def sst_families(store):
    """table file -> column family, from each file's properties block
    (the entry after rocksdb.column.family.id is .name: 22 shared bytes,
    4 more, then the value)."""
    out = {}
    for f in sorted(os.listdir(store)):
        if not f.endswith(".sst"):
            continue
        with open(os.path.join(store, f), "rb") as fp:
            b = fp.read()
        m = FAMILY_RE.search(b)
        if m is None:
            raise AssertionError("%s: no column family property" % f)
        out[f] = b[m.end():m.end() + m.group(1)[0]].decode()
    return out


def damage(path):
    """Flips 16 bytes inside a data block: at 30 % of a file of 32 KiB or
    more (past the first 4 KiB block, before the index and filter at the
    end), else at byte 8 (the first block, which starts the file).
    Returns the offset."""
    size = os.path.getsize(path)
    off = int(size * 0.3) if size >= 32768 else 8
    with open(path, "r+b") as fp:
        fp.seek(off)
        b = fp.read(16)
        fp.seek(off)
        fp.write(bytes(x ^ 0xff for x in b))
    return off


class HealCase(tp.PipelineCase):
    template = None
    dir = None          # the template's, shared by every class

    @classmethod
    def setUpClass(cls):
        if HealCase.dir is None:
            HealCase.dir = tempfile.mkdtemp(prefix="sessacct-heal.")
            os.chmod(HealCase.dir, 0o777)
            atexit.register(shutil.rmtree, HealCase.dir, True)

    def build_template(self):
        """Once per class: the store every case damages a copy of."""
        if HealCase.template is not None:
            return HealCase.template
        store = os.path.join(self.dir, "db")
        syn = os.path.join(self.dir, "syn.pcap")
        self.gen_pcap(syn, 60000, 5000, 7)
        agg = tp.Aggregator(self, store)
        self.assert_replay_ok(*self.replay(
            os.path.join(tp.ARGS.pcaps, "netflix.pcap"), "e2e-heal-nf",
            agg.ingest), what="netflix")
        p = self.start_replay(syn, "e2e-heal-syn", agg.ingest, speed=1)
        self.wait_progress(agg, "e2e-heal-syn", 20000, p)
        agg.stop()              # checkpoints the open sessions
        p.kill()
        p.wait()
        agg = tp.Aggregator(self, store)    # the WAL into table files
        hist = history(agg)
        active = agg.active_all()
        agg.stop()
        fams = sst_families(store)
        for fam in FAMILIES:
            self.assertIn(fam, fams.values(), "no table file of %s: %s" %
                          (fam, fams))
        self.assertGreater(len(hist["sessions"]), 200)
        self.assertGreater(len(active), 500)
        HealCase.template = {"store": store, "history": hist["sessions"],
                             "active": active, "files": fams}
        return HealCase.template

    def damaged_copy(self, fam):
        t = self.build_template()
        store = os.path.join(self.tmp, "db")
        shutil.copytree(t["store"], store)
        files = [f for f, x in t["files"].items() if x == fam]
        self.assertEqual(len(files), 1, "%s: %s" % (fam, files))
        off = damage(os.path.join(store, files[0]))
        tp.note("%s: damaged %s (%d bytes) at %d" %
                (fam, files[0], os.path.getsize(os.path.join(store,
                                                             files[0])), off))
        return store, files[0]

    def verify(self, store):
        r = subprocess.run([tp.ARGS.aggregator, "--set", "store.path=" +
                            store, "--verify"], capture_output=True,
                           timeout=tp.QUERY_TIMEOUT)
        return r.returncode, tp.text(r.stdout)


def history(agg, **filters):
    """Every page; the sessions, and how many damaged ranges were met."""
    out, damaged, cursor = [], 0, None
    for _ in range(1000):
        p = dict(filters, limit=1000)
        if cursor is not None:
            p["cursor"] = cursor
        d = agg.query("history", **p)
        out.extend(d["sessions"])
        damaged += d.get("damaged", 0)
        cursor = d["next_cursor"]
        if cursor is None:
            break
    return {"sessions": out, "damaged": damaged}


class Verify(HealCase):

    def test_clean_store(self):
        t = self.build_template()
        rc, out = self.verify(t["store"])
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.count("FAMILY-OK"), 9, out)
        self.assertNotIn("DAMAGED", out)
        self.assertIn("is clean", out)

    def test_each_family_damaged(self):
        for fam in FAMILIES:
            with self.subTest(family=fam):
                store, f = self.damaged_copy(fam)
                rc, out = self.verify(store)
                self.assertEqual(rc, 1, out)
                self.assertRegex(out, r"DAMAGED family=%s file=%s " %
                                 (fam, re.escape(f)))
                self.assertIn("FAMILY-DAMAGED family=%s " % fam, out)
                # Only that family.
                self.assertEqual(out.count("FAMILY-OK"), 8, out)
                shutil.rmtree(store)
        # Not a database at all.
        rc, out = self.verify(os.path.join(self.tmp, "nothing"))
        self.assertEqual(rc, 1, out)
        self.assertIn("UNREADABLE", out)


class Damage(HealCase):

    def said_so(self, agg, fam, reset):
        """Metrics count it, the degraded reasons name it, and a telemetry
        event follows within the next ticks."""
        m = agg.query("metrics")
        if reset:
            self.assertEqual(m["store_families_reset"][fam], 1, m)
        else:
            self.assertGreaterEqual(m["store_corrupt_reads"][fam], 1, m)
        deadline = time.monotonic() + 10
        while True:
            ev = agg.query("events", minutes=60)
            cats = [e["category"] for e in ev["events"]]
            if "store_damage" in cats:
                break
            self.assertLess(time.monotonic(), deadline, "no store_damage "
                            "event: %s" % ev)
            time.sleep(0.2)
        self.assertTrue(any(fam in r for r in ev["degraded"]), ev)
        msg = [e for e in ev["events"] if e["category"] == "store_damage"]
        self.assertEqual(msg[0]["severity"], "error")
        self.assertIn(fam, msg[0]["message"])

    def ids(self, sessions):
        return {s["session_id"] for s in sessions}

    def test_checkpoint_damaged(self):
        t = self.build_template()
        store, f = self.damaged_copy("active")
        agg = tp.Aggregator(self, store)
        self.assertIn("FAMILY DAMAGED family=active", agg.log())
        self.assertIn("LOST", agg.log())
        active = agg.active_all()
        self.assertLess(len(active), len(t["active"]))
        self.assertTrue(self.ids(active) <= self.ids(t["active"]))
        tp.note("active: %d of %d open sessions kept" %
                (len(active), len(t["active"])))
        self.assertEqual(self.ids(history(agg)["sessions"]),
                         self.ids(t["history"]))
        self.said_so(agg, "active", reset=True)
        # The healed store takes new data and keeps it across a restart.
        pcap = os.path.join(tp.ARGS.pcaps, "http.pcapng")
        self.assert_replay_ok(*self.replay(pcap, "e2e-heal-new",
                                           agg.ingest), what="after heal")
        want = self.offline(pcap, "e2e-heal-new")
        agg.stop()
        agg = tp.Aggregator(self, store)
        self.assertNotIn("DAMAGED", agg.log())
        self.assertEqual(len(agg.active_all()), len(active))
        got = [s for s in history(agg)["sessions"]
               if s["agent"] == "e2e-heal-new"]
        self.assert_same_sessions(got, want, "after heal")
        agg.stop()
        rc, out = self.verify(store)
        self.assertEqual(rc, 0, out)

    def test_meta_damaged(self):
        t = self.build_template()
        store, f = self.damaged_copy("meta")
        agg = tp.Aggregator(self, store)
        self.assertIn("FAMILY DAMAGED family=meta", agg.log())
        self.assertEqual(self.ids(agg.active_all()), self.ids(t["active"]))
        self.assertEqual(self.ids(history(agg)["sessions"]),
                         self.ids(t["history"]))
        self.said_so(agg, "meta", reset=True)
        agg.stop()
        rc, out = self.verify(store)
        self.assertEqual(rc, 0, out)

    def test_sessions_damaged(self):
        t = self.build_template()
        store, f = self.damaged_copy("sessions")
        agg = tp.Aggregator(self, store)
        h = history(agg)
        got = self.ids(h["sessions"])
        self.assertGreaterEqual(h["damaged"], 1)
        self.assertGreater(len(got), 0, "nothing answered")
        self.assertLess(len(got), len(t["history"]))
        self.assertTrue(got <= self.ids(t["history"]))
        tp.note("sessions: history answers %d of %d" %
                (len(got), len(t["history"])))
        # Lookups of answered sessions still work.
        for sid in sorted(got)[:3]:
            self.assertEqual(agg.query("session", id=sid)["session_id"],
                             sid)
        self.said_so(agg, "sessions", reset=False)
        agg.kill9()

    def test_by_id_damaged(self):
        t = self.build_template()
        store, f = self.damaged_copy("by_id")
        agg = tp.Aggregator(self, store)
        ids = sorted(self.ids(t["history"]))
        # The first block holds the smallest ids (by_id keys are the id).
        bad = 0
        for sid in ids[:5]:
            r = agg.query_raw("session", id=sid)
            bad += r.returncode != 0
        self.assertGreater(bad, 0)
        for sid in ids[-3:]:
            self.assertEqual(agg.query("session", id=sid)["session_id"],
                             sid)
        self.assertEqual(self.ids(history(agg)["sessions"]),
                         self.ids(t["history"]))
        self.said_so(agg, "by_id", reset=False)
        agg.kill9()

    def index_case(self, fam, key, sortkey, param):
        t = self.build_template()
        store, f = self.damaged_copy(fam)
        agg = tp.Aggregator(self, store)
        values = sorted({key(s) for s in t["history"] if key(s)},
                        key=sortkey)
        self.assertGreater(len(values), 1)
        # The first block holds the smallest keys: the first value's.
        first = [s for s in t["history"] if key(s) == values[0]]
        h = history(agg, **{param: values[0]})
        self.assertGreaterEqual(h["damaged"], 1, h)
        self.assertLess(len(h["sessions"]), len(first))
        # Another value, past the damage, answers in full (unless the
        # file is one block: then every entry is gone).
        if os.path.getsize(os.path.join(store, f)) > 8192:
            last = [s for s in t["history"] if key(s) == values[-1]]
            h = history(agg, **{param: values[-1]})
            self.assertEqual(self.ids(h["sessions"]), self.ids(last))
        self.assertEqual(self.ids(history(agg)["sessions"]),
                         self.ids(t["history"]))
        self.said_so(agg, fam, reset=False)
        agg.kill9()

    def test_idx_user_damaged(self):
        def user(s):
            try:
                ipaddress.ip_address(s["user"] or "")
                return None
            except ValueError:
                return s["user"]
        self.index_case("idx_user", user, lambda u: u.encode(), "user")

    def test_idx_dest_damaged(self):
        def addr(a):
            ip = ipaddress.ip_address(a)
            return (ip.version, ip.packed)
        self.index_case("idx_dest", lambda s: tp.norm(s["dest_ip"]), addr,
                        "dest_ip")

    def test_idx_client_damaged(self):
        def addr(a):
            ip = ipaddress.ip_address(a)
            return (ip.version, ip.packed)
        self.index_case("idx_client", lambda s: tp.norm(s["source_ip"]),
                        addr, "source_ip")

    def test_rollups_damaged(self):
        t = self.build_template()
        store, f = self.damaged_copy("rollups")
        agg = tp.Aggregator(self, store)
        self.assertEqual(self.ids(history(agg)["sessions"]),
                         self.ids(t["history"]))
        self.assertEqual(self.ids(agg.active_all()), self.ids(t["active"]))
        agg.kill9()


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
