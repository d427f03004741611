"""Shared pieces of the latency benchmarks (bench/latency/): the lab, the C traffic tools,
captures, a pcap reader and statistics. Run with /usr/bin/python3 as root.

Every lab made here is torn down by `BenchLab.down()`, which the benchmarks call in a
`finally`, from an atexit hook and on SIGTERM (turned into KeyboardInterrupt)."""
import atexit
import json
import os
import pathlib
import platform
import signal
import struct
import subprocess
import threading
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
LAB_SH = REPO / "lab" / "lab.sh"
RESULTS = REPO / "bench" / "results"
LMAA = "2001:db8:ffff::1"
MAG1, MAG2 = "2001:db8:1::2", "2001:db8:2::2"
MN = "mn1@example.com"
PORT = 5001

_live = {}


def pmipx_bin():
    return os.environ.get("PMIPX_BIN", str(REPO / "build" / "pmipx"))


def _down_all():
    for lab in list(_live.values()):
        lab.down()


atexit.register(_down_all)
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def log(*args):
    print("latency:", *args, flush=True)


# ------------------------------------------------------------------------------ tools

def tools_dir():
    """The C tools are built next to the pmipx binary (BUILD/bench/latency-tools)."""
    d = pathlib.Path(pmipx_bin()).resolve().parent / "bench" / "latency-tools"
    d.mkdir(parents=True, exist_ok=True)
    return d


def build_tools():
    out = {}
    src_dir = pathlib.Path(__file__).resolve().parent
    for name in ("udp_pace", "udp_sink"):
        src, exe = src_dir / f"{name}.c", tools_dir() / name
        if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
            subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-o", str(exe), str(src)], check=True)
        out[name] = str(exe)
    return out


# ------------------------------------------------------------------------------ configs

def lma_yaml(lab, attach_rule=""):
    return f"""address: {LMAA}
mags: [{MAG1}, 2001:db8:3::2, {MAG2}]
pool: {{prefix: 2001:db8:8000::/48, length: 64}}
fixed_mag_link_local: fe80::1
min_delay_before_bce_delete_ms: 500
mns:
  - id: {MN}
    features: {{shared_prefixes: true}}
{attach_rule}dataplane: {{mode: bpf, pin_dir: {lab.state_dir}/bpf/lma}}
api: {{address: 127.0.0.1, port: 7780}}
log: {{level: info}}
"""


def mag_yaml(lab, n, coa, att):
    return f"""lma: {LMAA}
mag_id: mag{n}@example.com
proxy_coa: {coa}
access_links:
  - {{interface: acc0, att: {att}, mn: {MN}}}
mns:
  - {{id: {MN}, link_layer: ["02:00:00:00:01:01", "02:00:00:00:02:01"]}}
link_local: fe80::1
dataplane: {{mode: bpf, pin_dir: {lab.state_dir}/bpf/mag{n}}}
api: {{address: 127.0.0.1, port: 7781}}
log: {{level: info}}
"""


def mn_yaml(if2_shared):
    return f"""id: {MN}
rs_interval_ms: 500
interfaces:
  - {{interface: if1, att: wlan, ifp: 10}}
  - {{interface: if2, att: eutran, ifp: 5, shared_prefixes: {'true' if if2_shared else 'false'}}}
api: {{address: 127.0.0.1, port: 7782}}
log: {{level: info}}
"""


# ------------------------------------------------------------------------------ the lab

class BenchLab:
    def __init__(self, name, workdir):
        self.name = name
        self.state_dir = pathlib.Path("/run/pmipx") / name
        self.workdir = pathlib.Path(workdir)
        self.procs = []

    def sh(self, *args, check=True, timeout=120):
        cmd = ["bash", str(LAB_SH), args[0], "--name", self.name, *args[1:]]
        env = dict(os.environ, PMIPX_BIN=pmipx_bin())
        env.pop("PMIPX_LAB", None)
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} -> {p.returncode}\n{p.stdout}{p.stderr}")
        return p

    def up(self, shared, attach_rule=""):
        self.sh("down", check=False)   # idempotent: a leftover of a killed run goes first
        _live[self.name] = self
        self.state_dir.mkdir(parents=True, exist_ok=True)
        texts = {"lma": lma_yaml(self, attach_rule), "mag1": mag_yaml(self, 1, MAG1, "wlan"),
                 "mag2": mag_yaml(self, 2, MAG2, "eutran"), "mn": mn_yaml(shared)}
        for node, text in texts.items():
            (self.state_dir / f"{node}.yaml").write_text(text)
        self.sh("up", "--no-start")

    def start(self, *nodes):
        self.sh("start", *nodes)

    def down(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.procs = []
        if _live.pop(self.name, None) is not None:
            for log_file in self.state_dir.glob("*.log"):   # keep the daemons' logs
                try:
                    (self.workdir / f"{self.name}-{log_file.name}").write_bytes(log_file.read_bytes())
                except OSError:
                    pass
            self.sh("down", check=False)

    def ns(self, node):
        return f"{self.name}-{node}"

    def run(self, node, *cmd, check=True, timeout=60):
        full = ["ip", "netns", "exec", self.ns(node), *map(str, cmd)]
        p = subprocess.run(full, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(full)} -> {p.returncode}\n{p.stdout}{p.stderr}")
        return p

    def popen(self, node, *cmd, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(node), *map(str, cmd)], **kw)
        self.procs.append(p)
        return p

    def ctl(self, node, *args):
        cmd = [pmipx_bin(), "ctl", "--netns", self.ns(node), *map(str, args), "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} -> {p.returncode}\n{p.stdout}{p.stderr}")
        return json.loads(p.stdout) if p.stdout.strip() else None

    def active(self):
        return [b for b in self.ctl("lma", "bindings") if b["state"] == "active"]

    def addresses(self, ifname):
        out = self.run("mn", "ip", "-6", "-j", "addr", "show", "dev", ifname).stdout
        return [a["local"] for a in json.loads(out)[0].get("addr_info", []) if a.get("scope") == "global"]

    def ifindex(self, node, ifname):
        out = self.run(node, "ip", "-j", "link", "show", "dev", ifname).stdout
        return json.loads(out)[0]["ifindex"]

    def attach_both(self, shared):
        """if1 via mag1, then if2 via mag2 (HI 6 sharing pref1, or HI 1 with its own prefix)."""
        self.start("lma", "mag1", "mn")
        wait_for("if1 registered", lambda: self.active())
        self.start("mag2")
        entries = wait_for("two bindings", lambda: len(self.active()) == 2 and self.active())
        by_coa = {e["proxy_coa"]: e for e in entries}
        wait_for("an address on if1", lambda: self.addresses("if1"))
        wait_for("an address on if2", lambda: self.addresses("if2"))
        if shared:
            assert by_coa[MAG1]["prefixes"] == by_coa[MAG2]["prefixes"], by_coa
        return by_coa

    def flap(self, ifname, coa, settle=0.2):
        """The MN's ifname down until coa's entry is gone at the LMA, then up until it is
        registered again: a fresh binding (no off-link prefixes). Returns the new entry."""
        self.run("mn", "ip", "link", "set", ifname, "down")
        wait_for(f"{coa}'s entry gone", lambda: coa not in [e["proxy_coa"] for e in self.ctl("lma", "bindings")])
        time.sleep(settle)
        self.run("mn", "ip", "link", "set", ifname, "up")
        return wait_for(f"{coa} registered again",
                        lambda: [e for e in self.active() if e["proxy_coa"] == coa] and
                        [e for e in self.active() if e["proxy_coa"] == coa][0])

    # -- captures
    def capture(self, node, iface, bpf_filter, path):
        """dumpcap (pcap format) in the node's namespace; returns a Capture once it runs."""
        cmd = ["ip", "netns", "exec", self.ns(node), "dumpcap", "-q", "-P", "-s", "160", "-B", "32",
               "-i", iface, "-f", bpf_filter, "-w", str(path)]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return Capture(proc, path, f"{node}:{iface}")


class Capture:
    def __init__(self, proc, path, what):
        self.proc, self.path, self.what, self.lines = proc, pathlib.Path(path), what, []
        started = threading.Event()

        def reader():
            for line in proc.stderr:
                self.lines.append(line.rstrip("\n"))
                if line.startswith("File:"):
                    started.set()
            started.set()

        self.thread = threading.Thread(target=reader, daemon=True)
        self.thread.start()
        if not started.wait(10) or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(f"dumpcap did not start on {what}: {self.lines}")

    def stop(self):
        """SIGINT; dumpcap then reports what the kernel dropped (returned, None if unknown)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(timeout=5)
        for line in self.lines:   # "Packets captured: N" / "Packets received/dropped on interface ...: N/M"
            if "dropped" in line and "/" in line.split(":")[-1]:
                try:
                    return int(line.split(":")[-1].split("/")[1].split()[0])
                except (ValueError, IndexError):
                    pass
        return None


def stop_all(captures, settle=0.6):
    """dumpcap drops the unfinished 250 ms ring block when stopped: run past the last packet."""
    time.sleep(settle)
    return {c.what: c.stop() for c in captures}


def wait_for(what, fn, timeout=20.0, interval=0.05):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


# ------------------------------------------------------------------------------ API helper

# Runs inside the LMA's namespace: one JSON request per stdin line, one JSON answer per line.
# The timestamp of a move is taken right before the HTTP call, in the process that makes it.
API_HELPER = r"""
import http.client, json, sys, time
port = int(sys.argv[1])
def call(method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.connect()
    data = json.dumps(body).encode() if body is not None else None
    t0 = time.time_ns()
    c.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    r = c.getresponse()
    text = r.read().decode()
    t1 = time.time_ns()
    c.close()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text
    return {"t_call_ns": t0, "t_return_ns": t1, "status": r.status, "body": parsed}
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps(call(req["method"], req["path"], req.get("body"))), flush=True)
"""


class Api:
    def __init__(self, lab, node="lma", port=7780):
        self.proc = lab.popen(node, "/usr/bin/python3", "-c", API_HELPER, port, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
        assert json.loads(self.proc.stdout.readline())["ready"]

    def call(self, method, path, body=None):
        self.proc.stdin.write(json.dumps({"method": method, "path": path, "body": body}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)


# ------------------------------------------------------------------------------ traffic

class Flow:
    """udp_pace in cn -> udp_sink in the MN."""

    def __init__(self, lab, tools, dst, rate, workdir):
        self.sink_file = pathlib.Path(workdir) / "sink.bin"
        self.sink = lab.popen("mn", tools["udp_sink"], PORT, self.sink_file, stdout=subprocess.PIPE, text=True)
        assert json.loads(self.sink.stdout.readline())["event"] == "ready"
        self.pace = lab.popen("cn", tools["udp_pace"], dst, PORT, rate, 64, stdout=subprocess.PIPE, text=True)
        self.start = json.loads(self.pace.stdout.readline())
        self.rate = rate

    def sched_ns(self, seq):
        return self.start["t0_realtime_ns"] + seq * self.start["interval_ns"]

    def stop(self):
        self.pace.send_signal(signal.SIGINT)
        sender = json.loads(self.pace.stdout.readline())
        self.pace.wait(timeout=5)
        time.sleep(0.3)   # what is in flight arrives
        self.sink.send_signal(signal.SIGINT)
        receiver = json.loads(self.sink.stdout.readline())
        self.sink.wait(timeout=5)
        return sender, receiver

    def records(self):
        """[(seq, t_send_ns, t_recv_ns, ifindex)] in arrival order."""
        data = self.sink_file.read_bytes()
        return list(struct.iter_unpack("<QQQQ", data))


# ------------------------------------------------------------------------------ pcap

def read_pcap(path):
    """Yield (ts_ns, ipv6_packet_bytes) from a classic pcap (Ethernet, SLL or SLL2)."""
    data = pathlib.Path(path).read_bytes()
    if len(data) < 24:
        return
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = "<"
    else:
        end = ">"
        magic = struct.unpack_from(">I", data, 0)[0]
    nano = magic == 0xa1b23c4d
    linktype = struct.unpack_from(end + "I", data, 20)[0] & 0xffff
    off = 24
    hdr = struct.Struct(end + "IIII")
    while off + 16 <= len(data):
        sec, frac, incl, _orig = hdr.unpack_from(data, off)
        off += 16
        frame = data[off:off + incl]
        off += incl
        ts = sec * 1_000_000_000 + (frac if nano else frac * 1000)
        if linktype == 1:            # Ethernet
            if len(frame) < 14 or frame[12:14] != b"\x86\xdd":
                continue
            yield ts, frame[14:]
        elif linktype == 113:        # Linux cooked (any)
            if len(frame) < 16 or frame[14:16] != b"\x86\xdd":
                continue
            yield ts, frame[16:]
        elif linktype == 276:        # Linux cooked v2
            if len(frame) < 20 or frame[0:2] != b"\x86\xdd":
                continue
            yield ts, frame[20:]


def inner(pkt):
    """Strip IPv6-in-IPv6 encapsulation: (next_header, src, dst, payload) of the innermost IPv6."""
    while len(pkt) >= 40:
        nh = pkt[6]
        if nh == 41:
            pkt = pkt[40:]
            continue
        return nh, pkt[8:24], pkt[24:40], pkt[40:]
    return None


def flow_packets(path, port=PORT, with_send_time=False):
    """[(ts_ns, seq)] (or (ts_ns, seq, sent_ns)) of udp_pace datagrams to PORT in a capture."""
    out = []
    for ts, pkt in read_pcap(path):
        r = inner(pkt)
        if not r or r[0] != 17 or len(r[3]) < 40:
            continue
        udp = r[3]
        if struct.unpack_from("!H", udp, 2)[0] != port or udp[8:12] != b"pmxp":
            continue
        seq = struct.unpack_from("!Q", udp, 16)[0]
        out.append((ts, seq, struct.unpack_from("!Q", udp, 32)[0]) if with_send_time else (ts, seq))
    return out


def mh_packets(path):
    """[(ts_ns, src, dst, mh_type)] of Mobility Header packets in a capture."""
    import ipaddress
    out = []
    for ts, pkt in read_pcap(path):
        r = inner(pkt)
        if r and r[0] == 135 and len(r[3]) >= 4:
            out.append((ts, str(ipaddress.IPv6Address(r[1])), str(ipaddress.IPv6Address(r[2])), r[3][2]))
    return out


def icmp6_packets(path):
    """[(ts_ns, type, [prefix-information (prefix, valid_lifetime)])] of RS/RA."""
    import ipaddress
    out = []
    for ts, pkt in read_pcap(path):
        r = inner(pkt)
        if not r or r[0] != 58 or len(r[3]) < 4:
            continue
        icmp = r[3]
        prefixes = []
        if icmp[0] == 134:
            o = 16
            while o + 2 <= len(icmp) and icmp[o + 1] > 0:
                typ, ln = icmp[o], icmp[o + 1] * 8
                if typ == 3 and ln == 32 and o + 32 <= len(icmp):
                    plen, valid = icmp[o + 2], struct.unpack_from("!I", icmp, o + 4)[0]
                    prefixes.append((f"{ipaddress.IPv6Address(icmp[o + 16:o + 32])}/{plen}", valid))
                o += ln
        out.append((ts, icmp[0], prefixes))
    return out


# ------------------------------------------------------------------------------ statistics

def percentile(values, p):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary(values):
    values = [x for x in values if x is not None]
    if not values:
        return {"n": 0, "min": None, "median": None, "p90": None, "max": None}
    return {"n": len(values), "min": min(values), "median": percentile(values, 50),
            "p90": percentile(values, 90), "max": max(values)}


def ms(ns):
    return None if ns is None else ns / 1e6


def rtt(lab, src_node, dst, count):
    """ICMPv6 echo RTTs (ms) from src_node to dst with tests/lab/ping6.py (kernel answers)."""
    ping6 = REPO / "tests" / "lab" / "ping6.py"
    p = lab.run(src_node, "/usr/bin/python3", ping6, "-c", count, "-i", 0.02, "-W", 1, dst, check=False,
                timeout=count + 30)
    return [float(line.split("time=")[1].split()[0]) for line in p.stdout.splitlines() if "time=" in line]


# ------------------------------------------------------------------------------ machine

def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kb / 1048576, 1),
            "kernel": platform.release(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "git_commit": commit, "loadavg": os.getloadavg()[0]}


def merge_results(out_dir, section, value):
    """Read-modify-write OUT_DIR/latency.json (bench/results/ by default): one section per benchmark."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "latency.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[section] = value
    data["machine"] = machine()
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path
