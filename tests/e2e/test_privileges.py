#!/usr/bin/env python3
"""Least privilege (docs/SECURITY.md, "Units and privileges").

Groups (one ctest entry each):
  Units   `systemd-analyze security --offline=true` scores every unit of
          deploy/systemd: at most 2.0 for the aggregator and the API, at
          most 3.0 for the capture agent; the agent's unit grants only
          CAP_NET_RAW and CAP_NET_ADMIN. Skipped, saying so, only when
          systemd-analyze is missing.
  Agent   a running sessacct-capture has no capability left and
          no_new_privs set (/proc/PID/status), whether it started as root
          or not.

usage: test_privileges.py --capture BIN --units DIR --pcaps DIR
                          [unittest args, e.g. Units]
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ARGS = None

GOALS = {
    "sessacct-aggregator.service": 2.0,
    "sessacct-api.service": 2.0,
    "sessacct-capture@.service": 3.0,
}
SCORE_RE = re.compile(r"Overall exposure level for \S+: ([0-9]+\.[0-9]+) ")


def unit_settings(path):
    """Every Key=value of a unit file, a list per key, in order."""
    out = {}
    with open(path) as fp:
        for line in fp:
            line = line.strip()
            if not line or line[0] in "#;[" or "=" not in line:
                continue
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


class Units(unittest.TestCase):

    def setUp(self):
        self.analyze = shutil.which("systemd-analyze")
        if self.analyze is None:
            self.skipTest("systemd-analyze is not installed (Debian: "
                          "systemd); the unit scores are not checked")

    def score(self, unit):
        r = subprocess.run([self.analyze, "security", "--offline=true",
                            "--no-pager", os.path.join(ARGS.units, unit)],
                           capture_output=True, timeout=60,
                           env=dict(os.environ, SYSTEMD_COLORS="0"))
        out = r.stdout.decode("utf-8", "replace")
        m = SCORE_RE.search(out)
        self.assertIsNotNone(m, "%s: no score in systemd-analyze's output "
                             "(exit %d):\n%s%s" % (unit, r.returncode, out,
                                                   r.stderr.decode()))
        return float(m.group(1)), out

    def test_every_unit_is_scored(self):
        have = sorted(f for f in os.listdir(ARGS.units)
                      if f.endswith(".service"))
        self.assertEqual(have, sorted(GOALS))

    def test_scores(self):
        for unit, goal in sorted(GOALS.items()):
            with self.subTest(unit=unit):
                s, out = self.score(unit)
                sys.stderr.write("  [%s: exposure %.1f, goal <= %.1f]\n" %
                                 (unit, s, goal))
                bad = [ln for ln in out.splitlines() if ln.startswith("✗")]
                self.assertLessEqual(s, goal, "%s scores %.1f:\n%s" %
                                     (unit, s, "\n".join(bad)))

    def test_agent_capabilities(self):
        u = unit_settings(os.path.join(ARGS.units,
                                       "sessacct-capture@.service"))
        want = {"CAP_NET_RAW", "CAP_NET_ADMIN"}
        self.assertEqual(set(" ".join(u["CapabilityBoundingSet"]).split()),
                         want)
        self.assertEqual(set(" ".join(u["AmbientCapabilities"]).split()),
                         want)
        self.assertNotIn("root", u.get("User", ["root"]))
        self.assertIn("AF_PACKET", u["RestrictAddressFamilies"][0].split())

    def test_daemons_have_no_capability(self):
        for unit in ("sessacct-aggregator.service", "sessacct-api.service"):
            with self.subTest(unit=unit):
                u = unit_settings(os.path.join(ARGS.units, unit))
                self.assertEqual(u["CapabilityBoundingSet"], [""])
                self.assertEqual(u["User"], ["sessacct"])
                self.assertEqual(u["NoNewPrivileges"], ["yes"])
                self.assertEqual(u["MemoryDenyWriteExecute"], ["yes"])

    def test_users_declared(self):
        users = set()
        with open(os.path.join(ARGS.units, "sysusers-sessacct.conf")) as fp:
            for line in fp:
                f = line.split()
                if len(f) >= 2 and f[0] == "u":
                    users.add(f[1])
        for unit in GOALS:
            u = unit_settings(os.path.join(ARGS.units, unit))
            self.assertIn(u["User"][0], users, unit)


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as fp:
        for line in fp:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


class Agent(unittest.TestCase):

    def test_running_agent_dropped_everything(self):
        tmp = tempfile.mkdtemp(prefix="sessacct-priv.")
        os.chmod(tmp, 0o777)
        # An endpoint nobody answers: the agent replays slowly, holds its
        # batches and keeps running while we look at it.
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        log = os.path.join(tmp, "capture.log")
        pcap = os.path.join(ARGS.pcaps, "netflix.pcap")
        with open(log, "wb") as fp:
            p = subprocess.Popen([ARGS.capture, "--read", pcap, "--connect",
                                  "tcp://127.0.0.1:%d" % port, "--speed",
                                  "0.01", "--set",
                                  "capture.agent_id=e2e-priv"],
                                 stdin=subprocess.DEVNULL, stdout=fp,
                                 stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            st = None
            while time.monotonic() < deadline:
                self.assertIsNone(p.poll(), "the agent exited: " +
                                  open(log, errors="replace").read())
                st = proc_status(p.pid)
                # Privileges drop once the capture is open; wait for it.
                if st.get("NoNewPrivs") == "1":
                    break
                time.sleep(0.05)
            self.assertEqual(st.get("NoNewPrivs"), "1", st)
            for k in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
                self.assertEqual(int(st[k], 16), 0, "%s %s" % (k, st[k]))
            if os.geteuid() == 0:
                uids = st["Uid"].split()
                self.assertNotIn("0", uids, "still root: %s" % st["Uid"])
            sys.stderr.write("  [agent pid %d: uid %s, NoNewPrivs %s, "
                             "CapEff %s]\n" % (p.pid, st["Uid"].split()[0],
                                               st["NoNewPrivs"],
                                               st["CapEff"]))
        finally:
            p.kill()
            p.wait()
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    ap.add_argument("--units", required=True)
    ap.add_argument("--pcaps", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
