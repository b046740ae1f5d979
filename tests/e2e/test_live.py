#!/usr/bin/env python3
"""Live capture on the loopback interface (label e2e).

sessacct-capture --interface lo --print, with a BPF filter on ports this
test picked; the test makes a TCP connection and sends a UDP datagram on
127.0.0.1, then stops the agent with SIGTERM and checks the sessions it
printed against what was sent. Needs root (CI runs as root); skipped
otherwise. Only loopback traffic.

usage: test_live.py --capture BINARY
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

ARGS = None


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@unittest.skipUnless(os.geteuid() == 0, "live capture needs root")
class Live(unittest.TestCase):

    def test_loopback_sessions(self):
        tmp = tempfile.mkdtemp(prefix="sessacct-live.")
        os.chmod(tmp, 0o1777)
        ready = os.path.join(tmp, "ready.json")
        tport = free_port(socket.SOCK_STREAM)
        uport = free_port(socket.SOCK_DGRAM)
        flt = "tcp port %d or udp port %d" % (tport, uport)
        p = subprocess.Popen(
            [ARGS.capture, "--interface", "lo", "--print", "--filter", flt,
             "--set", "capture.agent_id=live-test",
             # The ports are ephemeral ones: say which side serves, as an
             # operator names the proxy's ports.
             "--set", "sessions.service_ports=%d,%d" % (tport, uport),
             "--set", "capture.stats_interval=0",
             "--ready-file", ready],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 20
            while not os.path.exists(ready):
                if p.poll() is not None:
                    self.fail("capture exited %d: %s" %
                              (p.returncode, p.stderr.read()))
                self.assertLess(time.monotonic(), deadline, "no ready file")
                time.sleep(0.05)
            with open(ready) as f:
                info = json.load(f)
            self.assertEqual(info["capture"], "interface")

            # TCP: 1000 bytes up, 500 down, then both sides close.
            srv = socket.socket()
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(("127.0.0.1", tport))
            srv.listen(1)
            cli = socket.create_connection(("127.0.0.1", tport))
            conn, _ = srv.accept()
            cli.sendall(b"x" * 1000)
            got = b""
            while len(got) < 1000:
                got += conn.recv(4096)
            conn.sendall(b"y" * 500)
            got = b""
            while len(got) < 500:
                got += cli.recv(4096)
            cport = cli.getsockname()[1]
            cli.close()
            conn.close()
            srv.close()
            # UDP: one 5-byte datagram.
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.sendto(b"hello", ("127.0.0.1", uport))
            u.close()
            # The kernel hands TPACKET_V3 blocks over when full or after
            # the block timeout (capture.timeout_ms, 100 ms): wait out a
            # few of those, or the last packets stay in the ring.
            time.sleep(0.5)
        finally:
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=20)
        self.assertEqual(p.returncode, 0, err)
        sessions = [json.loads(l) for l in out.splitlines()]
        tcp = [s for s in sessions if s["protocol"] == "tcp"]
        udp = [s for s in sessions if s["protocol"] == "udp"]
        self.assertEqual(len(tcp), 1, sessions)
        self.assertEqual(len(udp), 1, sessions)
        t = tcp[0]
        self.assertEqual((t["source_ip"], t["source_port"], t["dest_port"]),
                         ("127.0.0.1", cport, tport))
        self.assertEqual((t["bytes_sent"], t["bytes_received"]), (1000, 500))
        self.assertEqual(t["status"], "closed")
        self.assertEqual(t["close_reason"], "fin")
        self.assertEqual(t["agent"], "live-test")
        # Every packet is at least a 40-byte IP+TCP header.
        self.assertGreaterEqual(t["wire_bytes_sent"],
                                1000 + 40 * t["packets_sent"])
        v = udp[0]
        self.assertEqual((v["dest_port"], v["bytes_sent"],
                          v["packets_sent"], v["wire_bytes_sent"]),
                         (uport, 5, 1, 33))
        self.assertEqual(v["close_reason"], "shutdown")
        self.assertIn("packets=", err)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--capture", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
