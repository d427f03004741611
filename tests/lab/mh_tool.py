#!/usr/bin/python3
"""Craft Mobility Header messages and send them from inside a lab namespace.

Written independently of pmipx's encoder (byte layouts from PROTOCOL.md §2-§4), so the
daemons are tested against octets they did not produce.

    mh_tool.py pbu --mn mn1@example.com --seq 7 [--ts-offset -3600] [--hi 1] [--att 4]
        prints the PBU as hex (checksum 0; `send` fills it in)
    mh_tool.py send --src S --dst D --hex HEX [--bad-checksum] [--wait 1.5] [--icmp]
        sends it from S, prints one JSON line per Mobility Header (and with --icmp, per ICMPv6
        error) that arrives from D
"""
import argparse
import json
import select
import socket
import struct
import sys
import time

IPPROTO_MH = 135
NTP_UNIX = 0  # RFC 5213 timestamps count from the Unix epoch here (PROTOCOL.md §3.8)


def pad_to(buf, modulus, remainder):
    """PadN/Pad1 so that len(buf) % modulus == remainder (RFC 6275 §6.2.1)."""
    need = (remainder - len(buf)) % modulus
    if need == 1:
        buf += b"\x00"
    elif need > 1:
        buf += bytes([1, need - 2]) + bytes(need - 2)
    return buf


def pbu(mn, seq, ts_offset=0.0, hi=1, att=4, lifetime_units=900, mn_ll=None, ts=True):
    body = bytearray(b"\x3b\x00\x05\x00\x00\x00")
    body += struct.pack("!HBBH", seq, 0x82, 0x00, lifetime_units)  # A and P (RFC 5213 §8.1)
    body = pad_to(body, 8, 4)
    body += bytes([22, 18, 0, 0]) + bytes(16)  # HNP ::/0: "assign me a prefix"
    ident = mn.encode()
    body += bytes([8, len(ident) + 1, 1]) + ident  # MN-ID, NAI subtype
    body += bytes([23, 2, 0, hi])
    body += bytes([24, 2, 0, att])
    if mn_ll:
        body += bytes([25, 2 + len(mn_ll), 0, 0]) + mn_ll
    if ts:
        body = pad_to(body, 8, 2)
        now = time.time() + ts_offset
        secs = int(now)
        frac = int((now - secs) * 65536) & 0xFFFF
        body += bytes([27, 8]) + struct.pack("!Q", (secs << 16) | frac)
    body = pad_to(body, 8, 0)
    body[1] = len(body) // 8 - 1
    return bytes(body)


def checksum(src, dst, data):
    pseudo = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
    pseudo += struct.pack("!I3xB", len(data), IPPROTO_MH)
    msg = pseudo + data + (b"\x00" if len(data) % 2 else b"")
    s = sum(struct.unpack("!%dH" % (len(msg) // 2), msg))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF or 0xFFFF


def send(src, dst, data, bad_checksum=False, wait=1.5, icmp=False):
    """With icmp, ICMPv6 errors from dst are printed too ({"src", "icmp": hex})."""
    socks = []
    if icmp:
        ic = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        ic.bind((src, 0))
        socks.append(ic)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_MH)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM, -1)  # we write the checksum
    s.bind((src, 0))
    data = bytearray(data)
    if len(data) >= 6:
        data[4:6] = b"\x00\x00"
        c = checksum(src, dst, bytes(data))
        if bad_checksum:
            c ^= 0x5555
        data[4:6] = struct.pack("!H", c)
    s.sendto(bytes(data), (dst, 0))
    deadline = time.time() + wait
    while True:
        left = deadline - time.time()
        if left <= 0:
            break
        r, _, _ = select.select([s] + socks, [], [], left)
        if not r:
            break
        for sock in r:
            pkt, addr = sock.recvfrom(65535)
            if addr[0] != dst:
                continue
            if sock is s:
                print(json.dumps({"src": addr[0], "hex": pkt.hex()}), flush=True)
            elif pkt[0] < 128:   # errors only, not the lab's RAs or echo traffic
                print(json.dumps({"src": addr[0], "icmp": pkt.hex()}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pbu")
    p.add_argument("--mn", required=True)
    p.add_argument("--seq", type=int, default=1)
    p.add_argument("--ts-offset", type=float, default=0.0)
    p.add_argument("--no-timestamp", action="store_true")
    p.add_argument("--hi", type=int, default=1)
    p.add_argument("--att", type=int, default=4)
    p.add_argument("--lifetime-units", type=int, default=900)
    p.add_argument("--mn-ll", default="")
    s = sub.add_parser("send")
    s.add_argument("--src", required=True)
    s.add_argument("--dst", required=True)
    s.add_argument("--hex", required=True)
    s.add_argument("--bad-checksum", action="store_true")
    s.add_argument("--wait", type=float, default=1.5)
    s.add_argument("--icmp", action="store_true", help="also print ICMPv6 errors from DST")
    a = ap.parse_args()
    if a.cmd == "pbu":
        mn_ll = bytes.fromhex(a.mn_ll) if a.mn_ll else None
        print(pbu(a.mn, a.seq, a.ts_offset, a.hi, a.att, a.lifetime_units, mn_ll, not a.no_timestamp).hex())
    else:
        send(a.src, a.dst, bytes.fromhex(a.hex), a.bad_checksum, a.wait, a.icmp)


if __name__ == "__main__":
    sys.exit(main())
