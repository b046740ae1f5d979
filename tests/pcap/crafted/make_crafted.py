#!/usr/bin/env python3
"""Writes the crafted captures in this directory (stdlib only, no scapy).

The real captures in tests/pcap lack several link types and corner cases
the decoder handles; these small files cover them for the golden tests
(tests/decode/TESTLIST). Output is deterministic: fixed addresses, ports,
payloads and timestamps, so re-running the script reproduces the checked-in
files byte for byte.

    python3 tests/pcap/crafted/make_crafted.py [OUTDIR]
"""

import os
import struct
import sys

# Link types (pcap LINKTYPE_ values).
EN10MB, NULL, LOOP, IPV4, IPV6, SLL2 = 1, 0, 108, 228, 229, 276

SRC4, DST4 = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 2])
SRC4B = bytes([192, 0, 2, 7])
OUT4S, OUT4D = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")
OUT6S = bytes.fromhex("fd000000000000000000000000000001")
OUT6D = bytes.fromhex("fd000000000000000000000000000002")

SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


def payload(n, seed=0):
    return bytes((i * 7 + seed) & 0xff for i in range(n))


# ---- transport -----------------------------------------------------------

def tcp(sport, dport, seq, flags, data=b"", hlen=20, doff=None, ack=0):
    if doff is None:
        doff = hlen // 4
    h = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags,
                    65535, 0, 0)
    h += b"\x01" * (hlen - 20)              # NOP options
    return h + data


def udp(sport, dport, data=b"", ulen=None):
    if ulen is None:
        ulen = 8 + len(data)
    return struct.pack(">HHHH", sport, dport, ulen, 0) + data


# ---- IP ------------------------------------------------------------------

def ipv4(proto, body, src=SRC4, dst=DST4, ihl=5, ident=1, frag=0,
         tot=None, ver=4):
    opts = b""
    if ihl > 5:
        opts = b"\x01" * ((ihl - 5) * 4 - 1) + b"\x00"
    if tot is None:
        tot = ihl * 4 + len(body)
    h = struct.pack(">BBHHHBBH4s4s", ver << 4 | ihl, 0, tot, ident, frag,
                    64, proto, 0, src, dst)
    return h + opts + body


def ipv6(nh, body, src=SRC6, dst=DST6, plen=None):
    if plen is None:
        plen = len(body)
    return struct.pack(">IHBB16s16s", 6 << 28, plen, nh, 64, src, dst) + body


def ip6ext(nh, units, body):
    return bytes([nh, units]) + bytes((units + 1) * 8 - 2) + body


def ip6ah(nh, words, body):
    return (bytes([nh, words, 0, 0]) + struct.pack(">II", 0x1000, 1) +
            bytes((words + 2) * 4 - 12) + body)


def ip6frag(nh, off8, more, ident, body):
    return struct.pack(">BBHI", nh, 0, off8 << 3 | more, ident) + body


def gre(ptype, body, key=None, seq=None, csum=False, flags=0):
    if csum:
        flags |= 0x8000
    if key is not None:
        flags |= 0x2000
    if seq is not None:
        flags |= 0x1000
    h = struct.pack(">HH", flags, ptype)
    if csum:
        h += bytes(4)
    if key is not None:
        h += struct.pack(">I", key)
    if seq is not None:
        h += struct.pack(">I", seq)
    return h + body


# ---- link ----------------------------------------------------------------

MACS = bytes.fromhex("020000000002020000000001")


def eth(etype, body, pad=True):
    f = MACS + struct.pack(">H", etype) + body
    if pad and len(f) < 60:
        f += bytes(60 - len(f))
    return f


def tag(etype, vid, body):
    return struct.pack(">HH", vid, etype) + body


def snap(etype, body):
    return b"\xaa\xaa\x03\x00\x00\x00" + struct.pack(">H", etype) + body


def pppoe(ppp, body):
    return struct.pack(">BBHHH", 0x11, 0, 0x1234, len(body) + 2, ppp) + body


def mpls(label, bos, body):
    return struct.pack(">I", label << 12 | (0x100 if bos else 0) | 64) + body


def sll2(proto, body, pkttype=0):
    return (struct.pack(">HHIHBB", proto, 0, 3, 1, pkttype, 6) +
            bytes.fromhex("020000000001") + bytes(2) + body)


def loop(family, body):
    return struct.pack(">I", family) + body


def null(family, body, big_endian=False):
    return struct.pack(">I" if big_endian else "<I", family) + body


ARP = bytes.fromhex("0001080006040001020000000001c0000201"
                    "000000000000c6336402")


# ---- pcap writer ---------------------------------------------------------

def write_pcap(path, linktype, frames, snaplen=65535):
    """frames: list of bytes, or (bytes, wirelen) for a cut capture."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen,
                            linktype))
        for i, fr in enumerate(frames):
            wire = len(fr)
            if isinstance(fr, tuple):
                fr, wire = fr
            fr = fr[:snaplen]
            ts = 1700000000 + i // 4
            f.write(struct.pack("<IIII", ts, (i % 4) * 250000, len(fr),
                                wire))
            f.write(fr)


def cut(frame, caplen):
    return (frame[:caplen], len(frame))


# ---- the captures --------------------------------------------------------

def tcp_conv(ip, src, dst, sport=40000, dport=80, data=b"hello"):
    """A short TCP exchange: handshake, data both ways, FIN, FIN."""
    def seg(fwd, seq, flags, d=b""):
        if fwd:
            return ip(6, tcp(sport, dport, seq, flags, d), src, dst)
        return ip(6, tcp(dport, sport, seq, flags, d), dst, src)
    return [seg(True, 100, SYN), seg(False, 500, SYN | ACK),
            seg(True, 101, ACK), seg(True, 101, PSH | ACK, data),
            seg(False, 501, PSH | ACK, data * 3),
            seg(True, 101 + len(data), FIN | ACK),
            seg(False, 501 + 3 * len(data), FIN | ACK),
            seg(True, 102 + len(data), ACK)]


def v4(proto, body, src=SRC4, dst=DST4):
    return ipv4(proto, body, src, dst)


def v6(proto, body, src=SRC6, dst=DST6):
    return ipv6(proto, body, src, dst)


def cap_sll2():
    fr = [sll2(0x0800, p) for p in tcp_conv(v4, SRC4, DST4)]
    fr += [sll2(0x86dd, v6(17, udp(50000, 53, payload(30))), pkttype=4),
           sll2(0x86dd, v6(17, udp(53, 50000, payload(90))))]
    fr.append(sll2(0x0806, ARP))
    return SLL2, fr


def cap_loop():
    fr = [loop(2, p) for p in tcp_conv(v4, SRC4, DST4, dport=22)]
    fr += [loop(24, v6(17, udp(40001, 123, payload(48)))),
           loop(24, v6(6, tcp(40002, 443, 9, SYN))),
           loop(7, payload(20))]
    return LOOP, fr


def cap_null():
    """BSD NULL in both byte orders with every AF_INET6 value."""
    fr = []
    for be in (False, True):
        fr.append(null(2, v4(17, udp(40000, 53, payload(10))), be))
        for fam in (10, 24, 28, 30):
            fr.append(null(fam, v6(17, udp(40000 + fam, 53, payload(10))),
                           be))
    fr.append(null(99, payload(40)))
    return NULL, fr


def cap_raw_ipv4():
    fr = tcp_conv(v4, SRC4, DST4, dport=8080)
    fr.append(v4(17, udp(40000, 27015, payload(100))))
    fr.append(v4(1, bytes([8, 0, 0, 0, 0, 1, 0, 1]) + payload(56)))
    return IPV4, fr


def cap_raw_ipv6():
    fr = tcp_conv(v6, SRC6, DST6, dport=443)
    fr.append(v6(17, udp(40000, 4500, payload(64))))
    fr.append(v6(58, bytes([128, 0, 0, 0, 0, 1, 0, 1]) + payload(56)))
    return IPV6, fr


def cap_vlan():
    """802.1Q, QinQ 0x88a8 and 0x9100, 802.3/SNAP, too many tags."""
    p4 = v4(6, tcp(40000, 80, 1, ACK, payload(10)))
    p6 = v6(17, udp(40000, 53, payload(20)))
    fr = [eth(0x8100, tag(0x0800, 10, p4)),
          eth(0x88a8, tag(0x8100, 100, tag(0x86dd, 10, p6))),
          eth(0x9100, tag(0x8100, 200, tag(0x0800, 20, p4))),
          eth(0x9100, tag(0x0800, 30, p4)),
          eth(0x8100, tag(0x0806, 10, ARP))]
    body = snap(0x0800, p4)
    fr.append(eth(len(body), body))
    stp = b"\x42\x42\x03" + payload(35)
    fr.append(eth(len(stp), stp))
    deep = tag(0x0800, 1, p4)
    for i in range(8):
        deep = tag(0x8100, i + 2, deep)
    fr.append(eth(0x8100, deep))
    return EN10MB, fr


def cap_pppoe():
    fr = [eth(0x8864, pppoe(0x0021, p))
          for p in tcp_conv(v4, SRC4, DST4, dport=80)[:4]]
    fr.append(eth(0x8864, pppoe(0x0057, v6(17, udp(40000, 53,
                                                    payload(12))))))
    fr.append(eth(0x8864, pppoe(0xc021, bytes([1, 1, 0, 4]))))
    fr.append(eth(0x8863, bytes([0x11, 0x09, 0, 0, 0, 0])))    # PADI
    return EN10MB, fr


def cap_mpls():
    p4 = v4(6, tcp(40000, 179, 7, PSH | ACK, payload(19)))
    fr = [eth(0x8847, mpls(16, 0, mpls(17, 1, p4))),
          eth(0x8847, mpls(18, 1, v6(17, udp(40000, 53, payload(4))))),
          eth(0x8848, mpls(19, 0, mpls(20, 0, mpls(21, 1, p4)))),
          eth(0x8847, mpls(22, 1, bytes(4) + eth(0x0800, p4)))]
    return EN10MB, fr


def frag4(proto, dgram, off, n, ident, src=SRC4):
    more = 0x2000 if off + n < len(dgram) else 0
    return ipv4(proto, dgram[off:off + n], src, DST4, ident=ident,
                frag=more | off // 8)


def cap_frag_v4():
    """UDP in order, out of order, an orphan; TCP in both orders."""
    du = udp(40000, 53, payload(1000))             # 1008: 400 400 208
    dt = tcp(40001, 80, 1, PSH | ACK, payload(600))    # 620: 400 220
    fr = [frag4(17, du, 0, 400, 0x100), frag4(17, du, 400, 400, 0x100),
          frag4(17, du, 800, 208, 0x100),
          frag4(17, du, 800, 208, 0x101), frag4(17, du, 400, 400, 0x101),
          frag4(17, du, 0, 400, 0x101),
          frag4(17, du, 400, 400, 0x102, SRC4B),      # never a first
          frag4(6, dt, 0, 400, 0x200), frag4(6, dt, 400, 220, 0x200),
          frag4(6, dt, 400, 220, 0x201), frag4(6, dt, 0, 400, 0x201),
          frag4(1, payload(400), 0, 400, 0x300)]
    return EN10MB, [eth(0x0800, f) for f in fr]


def cap_frag_v6():
    du = udp(40000, 53, payload(1000))             # 1008: 400 400 208
    dt = tcp(40001, 443, 1, ACK, payload(700))     # 720: 400 320

    def f6(off, n, ident, d=du, nh=17):
        more = 1 if off + n < len(d) else 0
        return v6(44, ip6frag(nh, off // 8, more, ident, d[off:off + n]))
    fr = [f6(0, 400, 0x10000001), f6(400, 400, 0x10000001),
          f6(800, 208, 0x10000001),
          f6(800, 208, 0x20000001), f6(0, 400, 0x20000001),
          f6(400, 400, 0x20000001),
          f6(0, 400, 7, dt, 6), f6(400, 320, 7, dt, 6),
          v6(44, ip6frag(17, 0, 0, 9, udp(40002, 53, payload(8))))]
    return IPV6, fr


def cap_ip6_ext():
    t = tcp(40000, 80, 5, PSH | ACK, payload(25), hlen=24)
    u = udp(40000, 53, payload(12))
    fr = [v6(0, ip6ext(43, 0, ip6ext(60, 1, ip6ext(6, 2, t)))),
          v6(0, ip6ext(51, 0, ip6ah(17, 4, u))),
          v6(51, ip6ah(50, 4, payload(40))),                  # ESP
          v6(60, ip6ext(59, 0, b"")),                         # no next
          v6(135, ip6ext(139, 0, ip6ext(140, 0, ip6ext(17, 0, u))))]
    deep = ip6ext(17, 0, u)
    for _ in range(16):
        deep = ip6ext(0, 0, deep)
    fr.append(v6(0, deep))
    bad = bytearray(v6(60, ip6ext(17, 0, u)))
    bad[41] = 9                                     # 80 bytes claimed
    fr.append(bytes(bad))
    fr = [eth(0x86dd, f) for f in fr]
    fr.append(cut(eth(0x86dd, v6(0, ip6ext(43, 0, ip6ext(6, 1, t)))),
                  14 + 40 + 8 + 4))
    return EN10MB, fr


def cap_snaplen():
    """Frames cut by a 96-byte snaplen, and TSO frames (IP length 0)."""
    big = v4(6, tcp(40000, 80, 1000, ACK, payload(1400), hlen=32))
    tso = bytearray(v4(6, tcp(40000, 80, 2400, PSH | ACK, payload(6000))))
    tso[2:4] = b"\x00\x00"
    tso6 = bytearray(v6(17, udp(40000, 53, payload(3000), ulen=0)))
    tso6[4:6] = b"\x00\x00"
    fr = [eth(0x0800, big), eth(0x0800, bytes(tso)),
          eth(0x86dd, bytes(tso6)),
          eth(0x0800, v4(17, udp(40000, 53, payload(1000))))]
    out = [cut(f, 96) for f in fr]
    # Cut inside TCP after the ports, before them, inside the IP header.
    out += [cut(eth(0x0800, big), 14 + 20 + 6),
            cut(eth(0x0800, big), 14 + 20 + 2),
            cut(eth(0x0800, big), 14 + 12),
            cut(eth(0x0800, big), 10)]
    return EN10MB, out


def cap_tunnels():
    inner4 = v4(6, tcp(40000, 80, 1, PSH | ACK, payload(30)))
    inner6 = v6(17, udp(40000, 53, payload(30)))
    fr = [ipv4(4, inner4, OUT4S, OUT4D),
          ipv4(41, inner6, OUT4S, OUT4D),
          ipv6(4, inner4, OUT6S, OUT6D),
          ipv4(47, gre(0x0800, inner4), OUT4S, OUT4D),
          ipv4(47, gre(0x86dd, inner6, key=0xabcdef01, seq=77), OUT4S,
               OUT4D),
          ipv6(47, gre(0x0800, inner4, key=1, seq=2, csum=True), OUT6S,
               OUT6D),
          ipv4(47, gre(0x6558, eth(0x0800, inner4, pad=False), key=42),
               OUT4S, OUT4D),
          ipv4(47, gre(0x880b, inner4, flags=0x0001), OUT4S, OUT4D),
          ipv6(41, ipv4(4, ipv4(4, inner4, OUT4S, OUT4D), OUT4S, OUT4D),
               OUT6S, OUT6D)]
    return EN10MB, [eth(0x0800 if f[0] >> 4 == 4 else 0x86dd, f)
                    for f in fr]


def cap_malformed():
    ok = v4(6, tcp(40000, 80, 1, ACK, payload(10)))
    bad_ihl = bytearray(ok)
    bad_ihl[0] = 0x43
    bad_ver = bytearray(ok)
    bad_ver[0] = 0x55
    short_tot = bytearray(ok)
    short_tot[2:4] = b"\x00\x13"
    fr = [eth(0x0800, bytes(bad_ihl)), eth(0x0800, bytes(bad_ver)),
          eth(0x0800, bytes(short_tot)),
          eth(0x0800, v4(6, tcp(40000, 80, 1, ACK, payload(10), doff=4))),
          eth(0x0800, v4(6, tcp(40000, 80, 1, ACK, payload(10), doff=15))),
          eth(0x0800, v4(1, bytes([8, 0, 0, 0, 0, 1, 0, 1]))),
          eth(0x0806, ARP),
          eth(0x86dd, v6(17, udp(40000, 53, payload(10)))[:46]),
          eth(0x0800, v4(17, udp(40000, 53, payload(10), ulen=3)))]
    return EN10MB, fr


CAPTURES = {
    "sll2.pcap": cap_sll2,
    "loop.pcap": cap_loop,
    "null.pcap": cap_null,
    "raw_ipv4.pcap": cap_raw_ipv4,
    "raw_ipv6.pcap": cap_raw_ipv6,
    "vlan.pcap": cap_vlan,
    "pppoe.pcap": cap_pppoe,
    "mpls.pcap": cap_mpls,
    "frag_v4.pcap": cap_frag_v4,
    "frag_v6.pcap": cap_frag_v6,
    "ip6_ext.pcap": cap_ip6_ext,
    "snaplen.pcap": cap_snaplen,
    "tunnels.pcap": cap_tunnels,
    "malformed.pcap": cap_malformed,
}


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.abspath(__file__))
    for name, fn in CAPTURES.items():
        linktype, frames = fn()
        snaplen = 96 if name == "snaplen.pcap" else 65535
        write_pcap(os.path.join(outdir, name), linktype, frames, snaplen)


if __name__ == "__main__":
    main()
