#!/usr/bin/env python3
"""End-to-end tests of the real sessacct binaries (stdlib only).

Two groups, one ctest entry each:
  Cli      the command line all three binaries share: --help, --version,
           --check-config, --config and --set errors, exit codes 0/1/2.
  Offline  sessacct-capture --read FILE --print on the captures of
           tests/pcap: BPF filters, --stats-json, determinism, and the
           exact DESIGN.md field list of every session line.

usage: test_binaries.py --capture BIN --aggregator BIN --api BIN
                        --pcaps DIR [unittest args, e.g. Cli]

When run as root, sessacct-capture drops to `nobody` once the capture is
open, so files it writes at exit go to a world-writable temp dir.
"""
import argparse
import csv
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

ARGS = None

FIELDS = ["session_id", "agent", "protocol", "source_ip", "source_port",
          "dest_ip", "dest_port", "user", "target", "start_time", "end_time",
          "duration_secs", "bytes_sent", "bytes_received", "packets_sent",
          "packets_received", "wire_bytes_sent", "wire_bytes_received",
          "status", "close_reason", "origin", "leg",
          "peer_session_id"]
STATUSES = {"active", "closed", "failed", "rejected_by_acl"}
REASONS = {"fin", "rst", "idle_timeout", "evicted", "shutdown",
           "agent_lost", "capture_end"}
TIME_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{9})Z$")
DURATION_RE = re.compile(rb'"duration_secs":(\d+)\.(\d{9}),')
TIMEOUT = 60


def run(argv, cwd=None):
    return subprocess.run(argv, capture_output=True, timeout=TIMEOUT,
                          cwd=cwd)


def text(b):
    return b.decode("utf-8", "replace")


def binaries():
    return [("sessacct-capture", ARGS.capture),
            ("sessacct-aggregator", ARGS.aggregator),
            ("sessacct-api", ARGS.api)]


def pcaps():
    return sorted(f for f in os.listdir(ARGS.pcaps)
                  if f.endswith((".pcap", ".pcapng")))


def manifest():
    """file name -> packet count, from tests/pcap/MANIFEST.tsv."""
    with open(os.path.join(ARGS.pcaps, "MANIFEST.tsv"), newline="") as fp:
        return {row["file"]: int(row["packets"])
                for row in csv.DictReader(fp, delimiter="\t")}


def rfc3339_ns(s):
    """RFC 3339 UTC with nanoseconds -> ns since the epoch (no datetime:
    it keeps only microseconds)."""
    m = TIME_RE.match(s)
    if m is None:
        raise ValueError("not RFC 3339 UTC with 9 decimals: %r" % s)
    y, mo, d, h, mi, sec, frac = (int(x) for x in m.groups())
    # Days from civil (H. Hinnant), exact for the proleptic Gregorian
    # calendar.
    y -= mo <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (mo + (-3 if mo > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    return ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000000 + frac)


class TempDir:
    """A temp dir the capture can still write to after dropping to
    nobody."""

    def __enter__(self):
        self.td = tempfile.TemporaryDirectory(prefix="sessacct-e2e.")
        os.chmod(self.td.name, 0o777)
        return self.td.name

    def __exit__(self, *exc):
        self.td.cleanup()


class Cli(unittest.TestCase):
    """The command line shared by the three binaries."""

    def check(self, r, code, what):
        self.assertEqual(r.returncode, code, "%s: exit %d, want %d\n"
                         "stdout: %s\nstderr: %s" % (what, r.returncode, code,
                                                     text(r.stdout),
                                                     text(r.stderr)))

    def test_help_and_version(self):
        for name, b in binaries():
            r = run([b, "--help"])
            self.check(r, 0, name + " --help")
            self.assertTrue(text(r.stdout).startswith("usage: " + name),
                            text(r.stdout))
            for flag in ("--config", "--set", "--check-config", "--help",
                         "--version"):
                self.assertIn(flag, text(r.stdout))
            r = run([b, "--version"])
            self.check(r, 0, name + " --version")
            self.assertRegex(text(r.stdout), r"^%s \d+\.\d+\.\d+\n$" % name)

    def test_check_config_defaults(self):
        for name, b in binaries():
            r = run([b, "--check-config"])
            self.check(r, 0, name + " --check-config")
            self.assertIn("configuration OK", text(r.stdout))
            self.assertRegex(text(r.stdout), r"(?m)^\[[a-z]+\]$")

    def test_check_config_file_and_set(self):
        with TempDir() as d:
            path = os.path.join(d, "ok.ini")
            with open(path, "w") as fp:
                fp.write("# comment\n[sessions]\nudp_idle_timeout = 2m\n"
                         "tcp_idle_timeout = 100\n\n[store]\n"
                         "retention_days = 30\n[api]\nthreads = 2\n"
                         "[capture]\nsnaplen = 1500\n"
                         "[aggregator]\nlisten = tcp://127.0.0.1:0\n")
            for name, b in binaries():
                r = run([b, "--config", path, "--set",
                         "sessions.tcp_idle_timeout=42", "--set",
                         "api.threads=3", "--check-config"])
                self.check(r, 0, name + " --config --set --check-config")
                out = text(r.stdout)
                self.assertIn("configuration OK", out)
                # Each binary prints the sections it uses; --set comes
                # after the file.
                if name == "sessacct-api":
                    self.assertIn("threads = 3\n", out)
                else:
                    self.assertIn("udp_idle_timeout = 120\n", out)
                    self.assertIn("tcp_idle_timeout = 42\n", out)

    def test_bad_config_file(self):
        cases = [
            ("[sessions]\nudp_idle_timeout = 30\nmax_sessions = lots\n",
             3, "max_sessions"),
            ("[sessions]\n\n\nudp_idle_timout = 30\n", 4, "udp_idle_timout"),
            ("[store]\nretention_days = 0\n", 2, "retention_days"),
            ("[capture]\npromisc = perhaps\n", 2, "promisc"),
            ("[sessions]\ntcp_idle_timeout\n", 2, "tcp_idle_timeout"),
            ("[api]\nthreads = 4\n[bogus]\nkey = 1\n", 3, "[bogus]"),
            # A key twice: which one was meant?
            ("[sessions]\nmax_sessions = 100\n\nmax_sessions = 200\n", 4,
             "first on line 2"),
            # Endpoints the binaries would refuse at start.
            ("[aggregator]\nlisten = tcp://127.0.0.1\n", 2, "listen"),
            ("[capture]\naggregator = 127.0.0.1:7710\n", 2, "aggregator"),
            ("[api]\nlisten = [::1]:9090\n", 2, "listen"),
        ]
        with TempDir() as d:
            path = os.path.join(d, "bad.ini")
            for body, line, key in cases:
                with open(path, "w") as fp:
                    fp.write(body)
                for name, b in binaries():
                    for extra in (["--check-config"], []):
                        r = run([b, "--config", path] + extra)
                        what = "%s %s on %r" % (name, extra, body)
                        self.check(r, 2, what)
                        err = text(r.stderr)
                        self.assertIn("%s:%d:" % (path, line), err, what)
                        self.assertIn(key, err, what)
                        self.assertEqual(r.stdout, b"", what)

    def test_missing_config_file(self):
        with TempDir() as d:
            path = os.path.join(d, "absent.ini")
            for name, b in binaries():
                r = run([b, "--config", path, "--check-config"])
                self.check(r, 2, name + " missing --config")
                self.assertIn(path, text(r.stderr))

    def test_set_errors(self):
        cases = [("sessions.bogus=1", "bogus"),
                 ("nosuch.key=1", "nosuch"),
                 ("sessions.max_sessions=0", "max_sessions"),
                 ("sessions.udp_idle_timeout=soon", "udp_idle_timeout"),
                 ("no-dot-no-equals", "SECTION.KEY=VALUE")]
        for name, b in binaries():
            for arg, word in cases:
                r = run([b, "--set", arg, "--check-config"])
                self.check(r, 2, "%s --set %s" % (name, arg))
                self.assertIn(word, text(r.stderr))

    def test_bad_usage(self):
        for name, b in binaries():
            r = run([b, "--no-such-flag"])
            self.check(r, 2, name + " --no-such-flag")
            r = run([b, "--config"])
            self.check(r, 2, name + " --config without a value")
        # An unknown query kind is a usage error, told at once (no
        # aggregator runs at this endpoint: it is never asked).
        agg = dict(binaries())["sessacct-aggregator"]
        r = run([agg, "--set", "aggregator.query_listen=tcp://127.0.0.1:9",
                 "--query", "bogus"])
        self.check(r, 2, "--query bogus")
        self.assertIn("unknown kind", text(r.stderr))


class Offline(unittest.TestCase):
    """sessacct-capture reading captures from tests/pcap."""

    def capture(self, *argv, cwd=None):
        return run([ARGS.capture] + list(argv), cwd=cwd)

    def check_ok(self, r, what):
        self.assertEqual(r.returncode, 0, "%s: exit %d\nstderr: %s" %
                         (what, r.returncode, text(r.stderr)))

    def pcap(self, name):
        return os.path.join(ARGS.pcaps, name)

    def test_missing_capture_file(self):
        with TempDir() as d:
            path = os.path.join(d, "absent.pcap")
            r = self.capture("--read", path, "--print")
            self.assertEqual(r.returncode, 1, text(r.stderr))
            self.assertIn(path, text(r.stderr))
            self.assertIn("No such file", text(r.stderr))
            self.assertEqual(r.stdout, b"")

    def test_not_a_capture_file(self):
        r = self.capture("--read", self.pcap("MANIFEST.tsv"), "--print")
        self.assertEqual(r.returncode, 1, text(r.stderr))
        self.assertIn("cannot open capture", text(r.stderr))
        self.assertEqual(r.stdout, b"")

    def test_bad_usage(self):
        r = self.capture("--read", self.pcap("http.pcapng"), "--print",
                         "--interface", "lo")
        self.assertEqual(r.returncode, 2, text(r.stderr))
        r = self.capture("--read", self.pcap("http.pcapng"), "--print",
                         "stray")
        self.assertEqual(r.returncode, 2, text(r.stderr))
        self.assertIn("stray", text(r.stderr))

    def test_filter(self):
        r = self.capture("--read", self.pcap("http.pcapng"), "--print",
                         "--filter", "udp")
        self.check_ok(r, "--filter udp")
        self.assertEqual(r.stdout, b"")
        r = self.capture("--read", self.pcap("http.pcapng"), "--print",
                         "--filter", "tcp")
        self.check_ok(r, "--filter tcp")
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 1, r.stdout)
        s = json.loads(lines[0])
        self.assertEqual(s["protocol"], "tcp")
        self.assertEqual(s["packets_sent"] + s["packets_received"], 10)
        # The flag beats the configuration file and --set.
        r = self.capture("--read", self.pcap("http.pcapng"), "--print",
                         "--set", "capture.filter=tcp", "--filter", "udp")
        self.check_ok(r, "--set filter then --filter")
        self.assertEqual(r.stdout, b"")

    def test_bad_filter(self):
        r = self.capture("--read", self.pcap("http.pcapng"), "--print",
                         "--filter", "tcp and (")
        self.assertIn(r.returncode, (1, 2), text(r.stderr))
        self.assertIn("tcp and (", text(r.stderr))
        self.assertEqual(r.stdout, b"")

    def test_stats_json_file(self):
        counts = manifest()
        self.assertIn("http.pcapng", counts)
        with TempDir() as d:
            for name in pcaps():
                path = os.path.join(d, name + ".stats.json")
                r = self.capture("--read", self.pcap(name), "--print",
                                 "--stats-json=" + path)
                self.check_ok(r, name)
                with open(path) as fp:
                    st = json.load(fp)
                if name in counts:
                    self.assertEqual(st["packets"], counts[name], name)
                nlines = len(r.stdout.splitlines())
                self.assertEqual(st["sessions"], nlines, name)
                self.assertEqual(st["sessions_active"], 0, name)
                self.assertEqual(sum(st["close_reasons"].values()), nlines,
                                 name)
                self.assertLessEqual(st["sessions_peak"], nlines, name)
                for k in ("wire_bytes", "attributed", "skipped",
                          "decode_errors", "kernel_drops", "reasons"):
                    self.assertIn(k, st, name)
                if name == "http.pcapng":
                    self.assertEqual(st["packets"], 10)
                    self.assertEqual(st["sessions"], 1)
                    self.assertEqual(st["close_reasons"]["fin"], 1)

    def test_stats_json_stderr(self):
        r = self.capture("--read", self.pcap("http.pcapng"), "--print",
                         "--stats-json")
        self.check_ok(r, "--stats-json")
        last = text(r.stderr).strip().splitlines()[-1]
        self.assertEqual(json.loads(last)["packets"], 10)

    def test_stats_json_unwritable(self):
        with TempDir() as d:
            path = os.path.join(d, "no", "such", "dir", "stats.json")
            r = self.capture("--read", self.pcap("http.pcapng"), "--print",
                             "--stats-json=" + path)
            self.assertEqual(r.returncode, 1, text(r.stderr))
            self.assertIn(path, text(r.stderr))

    def test_deterministic(self):
        for name in pcaps():
            a = self.capture("--read", self.pcap(name), "--print")
            b = self.capture("--read", self.pcap(name), "--print")
            self.check_ok(a, name)
            self.check_ok(b, name)
            self.assertEqual(a.stdout, b.stdout, name)

    def test_read_stdin(self):
        # --read - reads standard input as tcpdump's -r - does: through a
        # pipe (no seeking, no size), a classic pcap or a pcapng, with and
        # without a filter, gives the sessions the file itself gives.
        for name, extra in (("1kxun.pcap", ()), ("http.pcapng", ()),
                            ("rtp.pcapng", ()),
                            ("http_connect.pcap", ("--filter", "tcp"))):
            want = self.capture("--read", self.pcap(name), "--print",
                                *extra)
            self.check_ok(want, name)
            self.assertTrue(want.stdout, name)
            got = run(["sh", "-c", 'f=$1; shift; cat "$f" | "$@"', "sh",
                       self.pcap(name), ARGS.capture, "--read", "-",
                       "--print"] + list(extra))
            self.check_ok(got, "cat %s | --read -" % name)
            self.assertEqual(got.stdout, want.stdout, name)
        # Nothing, or not a capture, on standard input: an error naming it.
        for data in (b"", b"not a capture file at all, just some text\n"):
            r = subprocess.run([ARGS.capture, "--read", "-", "--print"],
                               input=data, capture_output=True,
                               timeout=TIMEOUT)
            self.assertEqual(r.returncode, 1, text(r.stderr))
            self.assertIn("standard input", text(r.stderr))
            self.assertEqual(r.stdout, b"")

    def check_session(self, line, where):
        # Strict UTF-8, one object, no duplicate keys, DESIGN.md order.
        pairs = json.loads(line.decode("utf-8"), object_pairs_hook=list)
        keys = [k for k, _ in pairs]
        self.assertEqual(keys, FIELDS, where)
        s = dict(pairs)
        self.assertRegex(s["session_id"], r"^[0-9a-f]{32}$", where)
        self.assertIsInstance(s["agent"], str, where)
        self.assertIn(s["protocol"], ("tcp", "udp"), where)
        for k in ("source_ip", "dest_ip"):
            ipaddress.ip_address(s[k])
            self.assertEqual(ipaddress.ip_address(s[k]).compressed, s[k],
                             where)
        for k in ("source_port", "dest_port"):
            self.assertIsInstance(s[k], int, where)
            self.assertTrue(0 <= s[k] <= 65535, where)
        self.assertIsInstance(s["user"], str, where)
        self.assertTrue(s["target"] is None or
                        isinstance(s["target"], str), where)
        # Offline sessions are all closed when printed.
        self.assertIn(s["status"], STATUSES - {"active"}, where)
        self.assertIn(s["close_reason"], REASONS, where)
        start = rfc3339_ns(s["start_time"])
        end = rfc3339_ns(s["end_time"])
        self.assertLessEqual(start, end, where)
        m = DURATION_RE.search(line)
        self.assertIsNotNone(m, where)
        self.assertEqual(int(m.group(1)) * 1000000000 + int(m.group(2)),
                         end - start, where)
        for k in FIELDS[12:18]:
            self.assertIsInstance(s[k], int, where)
            self.assertGreaterEqual(s[k], 0, where)
        self.assertGreater(s["packets_sent"] + s["packets_received"], 0,
                           where)
        self.assertGreaterEqual(s["wire_bytes_sent"], s["bytes_sent"], where)
        self.assertGreaterEqual(s["wire_bytes_received"],
                                s["bytes_received"], where)
        if s["protocol"] == "udp":
            self.assertEqual(s["status"], "closed", where)
        if s["status"] == "failed":
            self.assertEqual(s["protocol"], "tcp", where)
        return s

    def test_session_fields(self):
        total = 0
        for name in pcaps():
            r = self.capture("--read", self.pcap(name), "--print")
            self.check_ok(r, name)
            self.assertTrue(r.stdout == b"" or r.stdout.endswith(b"\n"),
                            name)
            ids = set()
            for i, line in enumerate(r.stdout.splitlines()):
                s = self.check_session(line, "%s line %d" % (name, i + 1))
                self.assertNotIn(s["session_id"], ids, name)
                ids.add(s["session_id"])
                total += 1
        self.assertGreater(total, 1000)

    def test_agent_id_escaped(self):
        agent = 'edge "7" \\ \u00e9'
        r = self.capture("--read", self.pcap("http.pcapng"), "--print",
                         "--set", "capture.agent_id=" + agent)
        self.check_ok(r, "agent_id")
        s = self.check_session(r.stdout.splitlines()[0], "agent_id")
        self.assertEqual(s["agent"], agent)

    def test_config_changes_sessions(self):
        """A tiny UDP idle timeout splits dns.pcap's flows further."""
        a = self.capture("--read", self.pcap("dns.pcap"), "--print")
        b = self.capture("--read", self.pcap("dns.pcap"), "--print",
                         "--set", "sessions.udp_idle_timeout=1")
        self.check_ok(a, "default")
        self.check_ok(b, "udp_idle_timeout=1")
        na, nb = len(a.stdout.splitlines()), len(b.stdout.splitlines())
        self.assertGreater(nb, na)
        pk = [sum(json.loads(x)["packets_sent"] +
                  json.loads(x)["packets_received"]
                  for x in out.stdout.splitlines()) for out in (a, b)]
        self.assertEqual(pk[0], pk[1])

    def test_users_labels(self):
        """[users]: the longest prefix names a client without a proxy
        user; other clients keep their IP; enrichment off leaves the
        target null."""
        r = self.capture("--read", self.pcap("http_ipv6.pcap"), "--print",
                         "--set", "users.2a00:d40::/32=lab",
                         "--set", "users.2a00:d40:1:3::/64=desk")
        self.check_ok(r, "users")
        rows = [json.loads(x) for x in r.stdout.splitlines()]
        self.assertTrue(rows)
        for s in rows:
            src = ipaddress.ip_address(s["source_ip"])
            if src in ipaddress.ip_network("2a00:d40:1:3::/64"):
                self.assertEqual(s["user"], "desk", s)
            elif src in ipaddress.ip_network("2a00:d40::/32"):
                self.assertEqual(s["user"], "lab", s)
            else:
                self.assertEqual(s["user"], s["source_ip"], s)
        self.assertTrue(any(s["user"] == "desk" for s in rows))
        off = self.capture("--read", self.pcap("http_ipv6.pcap"), "--print",
                           "--set", "capture.enrich=no")
        self.check_ok(off, "enrich=no")
        self.assertTrue(all(json.loads(x)["target"] is None
                            for x in off.stdout.splitlines()))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    ap.add_argument("--aggregator", required=True)
    ap.add_argument("--api", required=True)
    ap.add_argument("--pcaps", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)


if __name__ == "__main__":
    main()
