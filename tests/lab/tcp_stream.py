"""A TCP transfer for the lab tests, independent of pmipx: `sink` accepts one connection and
reads to the end; `source` sends a known byte pattern at a steady pace. Both print one JSON
line, so a test can tell a complete transfer from a reset or a stall.

    tcp_stream.py sink ADDR PORT [--timeout S]
    tcp_stream.py source DST PORT --bytes N [--seconds S] [--src ADDR] [--sport PORT]

The sink reports the bytes received and their SHA-256; the source reports what it sent and
the error that ended it, if any. Pacing (`--seconds`) keeps the connection open long enough
for something to happen to it in between (a flow move, a handover)."""
import argparse
import hashlib
import json
import socket
import sys
import time

CHUNK = 16384


PERIOD = 65521  # prime: no chunk boundary lines up with the pattern's period
_CYCLE = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(PERIOD)) * 2


def pattern(offset, n):
    """Bytes [offset, offset+n) of the stream: position-dependent, so a lost, duplicated or
    reordered segment would change the digest."""
    out = bytearray()
    while n:
        start = offset % PERIOD
        take = min(n, PERIOD)
        out += _CYCLE[start:start + take]
        offset += take
        n -= take
    return bytes(out)


def sink(args):
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.addr, args.port))
    srv.listen(1)
    srv.settimeout(args.timeout)
    print(json.dumps({"listening": True}), flush=True)
    result = {"bytes": 0, "error": None}
    digest = hashlib.sha256()
    try:
        conn, peer = srv.accept()
        conn.settimeout(args.timeout)
        result["peer"] = peer[0]
        while True:
            data = conn.recv(65536)
            if not data:
                break
            digest.update(data)
            result["bytes"] += len(data)
    except OSError as e:
        result["error"] = f"{type(e).__name__}: {e}"
    result["sha256"] = digest.hexdigest()
    print(json.dumps(result), flush=True)


def source(args):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    if args.src or args.sport:  # --sport: e.g. 80, a web server's answers as seen downlink
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((args.src or "::", args.sport))
    s.settimeout(10)
    result = {"bytes": 0, "error": None}
    digest = hashlib.sha256()
    try:
        s.connect((args.dst, args.port))
        start = time.monotonic()
        while result["bytes"] < args.bytes:
            n = min(CHUNK, args.bytes - result["bytes"])
            data = pattern(result["bytes"], n)
            s.sendall(data)
            digest.update(data)
            result["bytes"] += n
            if args.seconds:  # stay on schedule: bytes sent ~ elapsed share of the total
                due = start + args.seconds * result["bytes"] / args.bytes
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):  # the sink closes after reading everything
            pass
    except OSError as e:
        result["error"] = f"{type(e).__name__}: {e}"
    result["sha256"] = digest.hexdigest()
    print(json.dumps(result), flush=True)
    return 0 if result["error"] is None else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("sink")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("--timeout", type=float, default=30)
    b = sub.add_parser("source")
    b.add_argument("dst")
    b.add_argument("port", type=int)
    b.add_argument("--bytes", type=int, required=True)
    b.add_argument("--seconds", type=float, default=0)
    b.add_argument("--src")
    b.add_argument("--sport", type=int, default=0)
    args = p.parse_args()
    if args.mode == "sink":
        sink(args)
        return 0
    return source(args)


if __name__ == "__main__":
    sys.exit(main())
