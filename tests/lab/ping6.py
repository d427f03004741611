#!/usr/bin/python3
"""Minimal ICMPv6 echo client for the lab (the machine has no iputils-ping).

usage: ping6.py [-c COUNT] [-W TIMEOUT] [-i INTERVAL] [-I SRC_ADDR|IFACE] [-s SIZE] DST

Run it inside a namespace (`ip netns exec NS /usr/bin/python3 ping6.py ...`). Prints one
line per reply and a summary; exit status 0 when every request was answered, 1 otherwise,
2 on a usage or socket error. DST may be link-local with a zone (fe80::1%acc0).
"""
import argparse
import os
import socket
import struct
import sys
import time

ECHO_REQUEST, ECHO_REPLY = 128, 129


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-c", "--count", type=int, default=1)
    ap.add_argument("-W", "--timeout", type=float, default=2.0, help="seconds to wait per reply")
    ap.add_argument("-i", "--interval", type=float, default=0.2)
    ap.add_argument("-I", "--source", help="source address or interface name")
    ap.add_argument("-s", "--size", type=int, default=56, help="payload octets")
    ap.add_argument("dst")
    a = ap.parse_args()

    try:
        info = socket.getaddrinfo(a.dst, None, socket.AF_INET6, socket.SOCK_RAW)[0][4]
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        if a.source:
            if ":" in a.source:
                s.bind((a.source, 0))
            else:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.source.encode())
    except OSError as e:
        print(f"ping6: {a.dst}: {e}", file=sys.stderr)
        return 2

    ident = os.getpid() & 0xFFFF
    payload = bytes(i & 0xFF for i in range(a.size))
    received = 0
    for seq in range(1, a.count + 1):
        # The kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets.
        s.sendto(struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, seq) + payload, info)
        sent_at = time.monotonic()
        deadline = sent_at + a.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                print(f"no reply from {a.dst} icmp_seq={seq}")
                break
            s.settimeout(left)
            try:
                data, peer = s.recvfrom(65535)
            except socket.timeout:
                continue
            if len(data) < 8:
                continue
            typ, _code, _sum, rid, rseq = struct.unpack("!BBHHH", data[:8])
            if typ == ECHO_REPLY and rid == ident and rseq == seq:
                ms = (time.monotonic() - sent_at) * 1000
                print(f"{len(data)} bytes from {peer[0]}: icmp_seq={seq} time={ms:.3f} ms")
                received += 1
                break
        if seq < a.count:
            time.sleep(a.interval)
    print(f"{a.count} packets transmitted, {received} received")
    return 0 if received == a.count else 1


if __name__ == "__main__":
    sys.exit(main())
