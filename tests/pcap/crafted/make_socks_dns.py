#!/usr/bin/env python3
"""Records socks_dns.pcap: a real SOCKS5 proxy resolving a name by DNS.

microsocks (Debian's package) listens on 127.0.0.1:31080 and resolves
through a DNS responder this script serves on 127.0.0.1:53 (run in a
private mount namespace whose /etc/resolv.conf names it: the host's own
file is never touched). A client asks the proxy for a.test:38443; the
responder answers a.test with a CNAME edge.a.test and its A record
127.0.0.2, after 300 ms. Meanwhile another connection from this host goes
to 127.0.0.3:38443 directly, so two SYNs to the requested port fall
between the client's request and the proxy's reply; only the DNS answer
tells which one is the proxy's upstream leg (microsocks sends a zero
BND.ADDR, neither connection sends a TLS SNI or an HTTP Host). dumpcap
records lo with a filter on the test's ports. Traffic stays on loopback.

    sudo unshare -m --propagation private \\
        python3 tests/pcap/crafted/make_socks_dns.py OUT.pcap

The file is checked in; the test (tests/oracle/check_legs_dns.py) reads
it, not this script.
"""

import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

PROXY = ("127.0.0.1", 31080)
PORT = 38443
REAL, DECOY = "127.0.0.2", "127.0.0.3"
DELAY = 0.3


def dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_serve(sock, stop):
    """Answers a.test A with a CNAME chain (after DELAY), else empty."""
    while not stop.is_set():
        try:
            q, peer = sock.recvfrom(512)
        except socket.timeout:
            continue
        qid, = struct.unpack(">H", q[:2])
        end = q.index(b"\0", 12) + 5
        question = q[12:end]
        qtype, = struct.unpack(">H", q[end - 4:end - 2])
        name = []
        i = 12
        while q[i]:
            name.append(q[i + 1:i + 1 + q[i]].decode())
            i += 1 + q[i]
        name = ".".join(name).lower()
        answers = []
        if name == "a.test" and qtype == 1:
            cname = dns_name("edge.a.test")
            answers.append(b"\xc0\x0c" + struct.pack(">HHIH", 5, 1, 60,
                                                    len(cname)) + cname)
            # The A record's owner: a pointer to the CNAME's data.
            answers.append(struct.pack(">H", 0xc000 | (end + 12)) +
                           struct.pack(">HHIH", 1, 1, 60, 4) +
                           socket.inet_aton(REAL))
        rcode = 0 if name == "a.test" else 3
        msg = struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, len(answers),
                          0, 0) + question + b"".join(answers)
        if answers:
            threading.Timer(DELAY, sock.sendto, (msg, peer)).start()
        else:
            sock.sendto(msg, peer)


def target(addr, stop):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, PORT))
    s.listen(8)
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        c.settimeout(2)
        try:
            data = c.recv(100)
            if data:
                c.sendall(b"ok " + data)
        except OSError:
            pass
        c.close()
    s.close()


def client():
    s = socket.create_connection(PROXY, timeout=5)
    s.sendall(b"\x05\x01\x00")
    assert s.recv(2) == b"\x05\x00"
    s.sendall(b"\x05\x01\x00\x03" + bytes([6]) + b"a.test" +
              struct.pack(">H", PORT))
    rep = s.recv(10)
    assert rep[:2] == b"\x05\x00", rep
    s.sendall(b"through the proxy")
    s.recv(100)
    s.close()


def decoy():
    time.sleep(DELAY / 3)
    s = socket.create_connection((DECOY, PORT), timeout=5)
    s.sendall(b"direct")
    s.recv(100)
    s.close()


def main():
    out = os.path.abspath(sys.argv[1])
    td = tempfile.mkdtemp()
    resolv = os.path.join(td, "resolv.conf")
    with open(resolv, "w") as fp:
        fp.write("nameserver 127.0.0.1\noptions timeout:2 attempts:1\n")
    subprocess.run(["mount", "--bind", resolv, "/etc/resolv.conf"],
                   check=True)
    stop = threading.Event()
    ds = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ds.bind(("127.0.0.1", 53))
    ds.settimeout(0.2)
    threads = [threading.Thread(target=dns_serve, args=(ds, stop))]
    threads += [threading.Thread(target=target, args=(a, stop))
                for a in (REAL, DECOY)]
    for t in threads:
        t.start()
    cap = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-P", "-w", out,
                            "-f", "udp port 53 or tcp port %d or tcp port %d"
                            % (PROXY[1], PORT)])
    time.sleep(2)
    proxy = subprocess.Popen(["microsocks", "-i", PROXY[0], "-p",
                              str(PROXY[1])])
    time.sleep(0.5)
    d = threading.Thread(target=decoy)
    d.start()
    client()
    d.join()
    time.sleep(1)
    proxy.terminate()
    proxy.wait()
    cap.terminate()
    cap.wait()
    stop.set()
    for t in threads:
        t.join()
    subprocess.run(["umount", "/etc/resolv.conf"], check=True)


if __name__ == "__main__":
    main()
