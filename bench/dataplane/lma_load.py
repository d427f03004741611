#!/usr/bin/python3
"""Fill a running `pmipx lma` with bindings and flow rules for bench/dataplane (issue 7).

    lma_load.py register --src PROXY_COA --lma LMAA --prefix NAME --count N [--first 1]
        Registers MNs NAME1@bdp.example .. NAMEN@bdp.example with real PBUs sent from a
        raw Mobility Header socket bound to PROXY_COA (run it inside that MAG's namespace;
        the LMA must authorise PROXY_COA and have a profile per MN). Windowed: at most 64
        PBUs wait for their PBA. Prints one JSON line: accepted, rejected, seconds.
    lma_load.py flows --api HOST:PORT --file RULES.jsonl
        POSTs each line ({mn, fid, priority, selector, bids|action}) to /flows/set, what
        `pmipx ctl flow set` sends, without a process per rule; --jobs requests at a time
        (lines of one MN must not depend on each other's order). Prints one JSON line:
        installed, failed, seconds, first error.

The PBU octets come from tests/lab/mh_tool.py (written independently of pmipx's encoder).
"""
import argparse
import http.client
import json
import os
import select
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lab"))
import mh_tool  # noqa: E402

IPPROTO_MH = 135


def register(a):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_MH)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM, -1)
    s.bind((a.src, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    t0 = time.monotonic()
    todo = list(range(a.first, a.first + a.count))
    outstanding = {}  # seq -> (mn index, send time, tries)
    accepted = rejected = 0
    statuses = {}
    seq_of = {}
    next_i = 0
    window = a.window
    while next_i < len(todo) or outstanding:
        while next_i < len(todo) and len(outstanding) < window:
            i = todo[next_i]
            next_i += 1
            seq = i & 0xFFFF
            mn = f"{a.prefix}{i}@bdp.example"
            data = bytearray(mh_tool.pbu(mn, seq, att=a.att))
            data[4:6] = b"\x00\x00"
            data[4:6] = struct.pack("!H", mh_tool.checksum(a.src, a.lma, bytes(data)))
            s.sendto(bytes(data), (a.lma, 0))
            outstanding[i] = (time.monotonic(), 1, bytes(data))
            seq_of.setdefault(seq, []).append(i)
        r, _, _ = select.select([s], [], [], 0.2)
        if r:
            while True:
                try:
                    pkt, addr = s.recvfrom(4096, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                if addr[0] != a.lma or len(pkt) < 12 or pkt[2] != 6:  # PBA is MH type 6
                    continue
                status = pkt[6]
                seq = struct.unpack("!H", pkt[8:10])[0]
                # match by MN-ID option (type 8) in the PBA
                i = None
                off = 12
                while off + 2 <= len(pkt):
                    t = pkt[off]
                    if t == 0:
                        off += 1
                        continue
                    ln = pkt[off + 1]
                    if t == 8 and ln >= 2:
                        ident = pkt[off + 3:off + 2 + ln].decode(errors="replace")
                        if ident.startswith(a.prefix) and ident.endswith("@bdp.example"):
                            try:
                                i = int(ident[len(a.prefix):-len("@bdp.example")])
                            except ValueError:
                                i = None
                    off += 2 + ln
                if i is None or i not in outstanding:
                    continue
                del outstanding[i]
                statuses[status] = statuses.get(status, 0) + 1
                if status < 128:
                    accepted += 1
                else:
                    rejected += 1
        now = time.monotonic()
        for i, (sent, tries, data) in list(outstanding.items()):
            if now - sent > 1.0:
                if tries >= 5:
                    del outstanding[i]
                    rejected += 1
                    statuses["timeout"] = statuses.get("timeout", 0) + 1
                else:
                    s.sendto(data, (a.lma, 0))
                    outstanding[i] = (now, tries + 1, data)
    el = time.monotonic() - t0
    print(json.dumps({"accepted": accepted, "rejected": rejected, "statuses": {str(k): v for k, v in statuses.items()},
                      "seconds": round(el, 3)}))
    return 0 if rejected == 0 else 1


def post(host, port, path, body):
    # One connection per request: on a keep-alive connection each request to the pmipx API
    # took ~38 ms here (its HTTP server does not set TCP_NODELAY, so Nagle meets the
    # client's delayed ACK); a fresh connection takes ~2 ms.
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json", "Connection": "close"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def flows(a):
    host, port = a.api.rsplit(":", 1)
    port = int(port)
    with open(a.file) as f:
        lines = [line.strip() for line in f if line.strip()]
    t0 = time.monotonic()
    results = [None] * len(lines)

    def work(k):
        for i in range(k, len(lines), a.jobs):
            try:
                results[i] = post(host, port, "/flows/set", lines[i])
            except (http.client.HTTPException, OSError) as exc:
                results[i] = (0, str(exc).encode())

    threads = [threading.Thread(target=work, args=(k,)) for k in range(a.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    el = time.monotonic() - t0
    failed = [(r, l) for r, l in zip(results, lines) if r[0] != 200]
    first_error = None
    if failed:
        (status, body), line = failed[0]
        first_error = f"{status} {body.decode(errors='replace')[:200]} for {line[:200]}"
    print(json.dumps({"installed": len(lines) - len(failed), "failed": len(failed), "seconds": round(el, 3),
                      "jobs": a.jobs, "first_error": first_error}))
    return 0 if not failed else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("register")
    r.add_argument("--src", required=True)
    r.add_argument("--lma", required=True)
    r.add_argument("--prefix", default="f")
    r.add_argument("--first", type=int, default=1)
    r.add_argument("--count", type=int, required=True)
    r.add_argument("--att", type=int, default=4)
    r.add_argument("--window", type=int, default=64)
    f = sub.add_parser("flows")
    f.add_argument("--api", required=True)
    f.add_argument("--file", required=True)
    f.add_argument("--jobs", type=int, default=2, help="concurrent requests")
    a = ap.parse_args()
    return register(a) if a.cmd == "register" else flows(a)


if __name__ == "__main__":
    sys.exit(main())
