"""Fixtures for the namespace-lab tests (label `lab`).

Every lab made here gets a name unique to the run (`pt` + 5 hex digits, namespaces
`ptXXXXX-lma` ...), is built with `lab/lab.sh up --no-start` and is always torn down with
`lab/lab.sh down`: by the fixture's finalizer, by an atexit hook if the finalizer never ran,
and, for labs whose pytest process died (SIGKILL, ctest timeout), at the start of the next run.

    def test_x(lab):                     # a fresh lab, daemons not started
        lab.start("lma", "mag1")
        assert lab.ping("mag1", "2001:db8:ffff::1")
        with lab.capture("mag1", "wan0") as pcap:
            ...
        rc, out = lab.oracle(pcap)

    def test_y(lab_factory):             # several labs, or pre-seeded config variants
        a = lab_factory(configs={"lma": "address: ...\\n"})
        b = lab_factory()

Environment: PMIPX_BIN (set by ctest to the built binary; default <repo>/build/pmipx).
Run as root with /usr/bin/python3 (Debian's pytest and scapy).
"""
import atexit
import contextlib
import json
import os
import pathlib
import secrets
import signal
import subprocess
import threading
import time

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
LAB_SH = REPO / "lab" / "lab.sh"
SHARED = REPO.parent / "shared"
MH_ORACLE = SHARED / "oracles" / "mh_oracle.py"
PING6 = pathlib.Path(__file__).resolve().with_name("ping6.py")
PYTHON = "/usr/bin/python3"
PMIPX_BIN = os.environ.get("PMIPX_BIN", str(REPO / "build" / "pmipx"))
RUN_ROOT = pathlib.Path("/run/pmipx")
NODES = ("cn", "lma", "mag1", "mag2", "mn")
DAEMONS = ("lma", "mag1", "mag2", "mn")
NAME_PREFIX = "pt"
OWNER_FILE = ".pytest-owner"   # pid of the pytest process that owns the lab

_live_labs = {}   # name -> Lab, for the atexit hook


def _skip_reason():
    if os.geteuid() != 0:
        return "lab tests need root (network namespaces, veth, bpffs mounts)"
    if not LAB_SH.is_file():
        return f"{LAB_SH} not found"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _skip_reason()
    if reason:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))


# ctest (timeout) and CI stop with SIGTERM: turn it into KeyboardInterrupt so pytest still runs
# the fixture finalizers, which tear the labs down. Set at import: this conftest is loaded
# before any lab exists.
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def lab_sh(*args, name=None, check=True, env=None, timeout=120):
    """Run lab/lab.sh with PMIPX_BIN set; returns the CompletedProcess (text)."""
    e = dict(os.environ, PMIPX_BIN=PMIPX_BIN)
    e.pop("PMIPX_LAB", None)
    if env:
        e.update(env)
    # --name right after the command: for `exec NODE CMD...` everything after NODE is CMD.
    cmd = ["bash", str(LAB_SH), *args[:1]]
    if name is not None:
        cmd += ["--name", name]
    cmd += args[1:]
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} -> exit {p.returncode}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def _pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def new_lab_name():
    """`pt` + 5 hex digits, not used by any namespace or state dir on this machine."""
    for _ in range(100):
        name = NAME_PREFIX + secrets.token_hex(3)[:5]
        if not (RUN_ROOT / name).exists() and not any(
                p.name.startswith(name + "-") for p in _netns_dir()):
            return name
    raise RuntimeError("no free lab name")


def _netns_dir():
    d = pathlib.Path("/run/netns")
    return list(d.iterdir()) if d.is_dir() else []


def _reap_stale_labs():
    """Tear down `pt?????` labs whose owning pytest process is gone."""
    names = set()
    if RUN_ROOT.is_dir():
        for d in RUN_ROOT.iterdir():
            if not (d.name.startswith(NAME_PREFIX) and len(d.name) == 7 and d.is_dir()):
                continue
            try:
                owner = int((d / OWNER_FILE).read_text().strip())
            except (OSError, ValueError):
                owner = None
            if owner is None or not _pid_alive(owner):
                names.add(d.name)
    for p in _netns_dir():
        base = p.name.split("-", 1)[0]
        if base.startswith(NAME_PREFIX) and len(base) == 7 and "-" in p.name \
                and not (RUN_ROOT / base).exists():
            names.add(base)   # namespaces whose state dir is already gone
    for name in sorted(names):
        lab_sh("down", name=name, check=False)


class Lab:
    """One lab: namespaces <name>-<node>, state dir /run/pmipx/<name>/."""

    def __init__(self, name, workdir):
        self.name = name
        self.state_dir = RUN_ROOT / name
        self.workdir = pathlib.Path(workdir)   # pcaps and other test artefacts (kept)
        self._captures = 0

    # -- lab.sh
    def sh(self, *args, check=True, timeout=120):
        return lab_sh(*args, name=self.name, check=check, timeout=timeout)

    def up(self, *args, check=True):
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / OWNER_FILE).write_text(f"{os.getpid()}\n")
        return self.sh("up", "--no-start", *args, check=check)

    def down(self, check=True):
        _live_labs.pop(self.name, None)
        return self.sh("down", check=check)

    def status(self):
        return self.sh("status", check=False)

    def start(self, *nodes, check=True):
        return self.sh("start", *nodes, check=check)

    def stop(self, *nodes, check=True):
        return self.sh("stop", *nodes, check=check)

    # -- nodes
    def ns(self, node):
        assert node in NODES, f"unknown node {node!r}"
        return f"{self.name}-{node}"

    def config_path(self, node):
        return self.state_dir / f"{node}.yaml"

    def log_path(self, node):
        return self.state_dir / f"{node}.log"

    def run(self, node, *cmd, check=True, timeout=60):
        """Run CMD in the node's namespace; CompletedProcess with text output."""
        full = ["ip", "netns", "exec", self.ns(node), *map(str, cmd)]
        p = subprocess.run(full, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(full)} -> exit {p.returncode}\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return p

    def ip(self, node, *args):
        """`ip -j ARGS` in the node's namespace, parsed."""
        out = subprocess.run(["ip", "-n", self.ns(node), "-j", *args], capture_output=True,
                             text=True, check=True).stdout
        return json.loads(out) if out.strip() else []

    def pids(self, node):
        p = subprocess.run(["ip", "netns", "pids", self.ns(node)], capture_output=True, text=True)
        return [int(x) for x in p.stdout.split() if _pid_alive(int(x))]

    def ping(self, node, dst, src=None, count=1, timeout=2.0):
        """ICMPv6 echo from the node (tests/lab/ping6.py); True when every request was answered."""
        cmd = [PYTHON, PING6, "-c", count, "-W", timeout, dst]
        if src:
            cmd[2:2] = ["-I", src]
        return self.run(node, *cmd, check=False, timeout=count * (timeout + 1) + 10).returncode == 0

    # -- captures and oracles
    @contextlib.contextmanager
    def capture(self, node, iface="any", path=None, pcapng=False, startup_timeout=10.0,
                settle=0.5):
        """dumpcap in the node's namespace; yields the capture file path once capturing.

        Stopped with SIGINT on exit, so the file is complete when the block ends. libpcap
        reads through a TPACKET_V3 ring whose blocks are handed over 250 ms after their
        first packet, and dumpcap drops the unfinished block when stopped: the last packets
        are lost unless it runs `settle` seconds past the last packet of interest.
        """
        self._captures += 1
        path = pathlib.Path(path) if path else \
            self.workdir / f"{node}-{iface}-{self._captures}.{'pcapng' if pcapng else 'pcap'}"
        cmd = ["ip", "netns", "exec", self.ns(node), "dumpcap", "-q", "-i", iface,
               "-w", str(path)]
        if not pcapng:
            cmd.insert(-2, "-P")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        started = threading.Event()
        lines = []

        def reader():
            for line in proc.stderr:
                lines.append(line.rstrip("\n"))
                if line.startswith("File:"):
                    started.set()
            started.set()   # EOF: dumpcap exited

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        if not started.wait(startup_timeout) or proc.poll() is not None:
            proc.kill()
            proc.wait()
            raise AssertionError(f"dumpcap did not start in {self.ns(node)} on {iface}:\n"
                                 + "\n".join(lines))
        try:
            yield path
        finally:
            if proc.poll() is None:
                time.sleep(settle)
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            t.join(timeout=5)

    def oracle(self, pcap):
        """shared/oracles/mh_oracle.py PCAP -> (returncode, stdout + stderr)."""
        if not MH_ORACLE.is_file():
            pytest.skip(f"MH oracle not found at {MH_ORACLE} (shared/ must sit beside the repo)")
        p = subprocess.run([PYTHON, str(MH_ORACLE), str(pcap)], capture_output=True, text=True,
                           timeout=300)
        return p.returncode, p.stdout + p.stderr

    # -- management
    def ctl(self, node, *args, check=True, timeout=30):
        """`pmipx ctl --netns NS ARGS --json`, parsed JSON."""
        cmd = [PMIPX_BIN, "ctl", "--netns", self.ns(node), *map(str, args), "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} -> exit {p.returncode}\n"
                                 f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
        return json.loads(p.stdout) if p.stdout.strip() else None


def _down_leftovers():
    for name in list(_live_labs):
        lab_sh("down", name=name, check=False)
        _live_labs.pop(name, None)


atexit.register(_down_leftovers)


@pytest.fixture(scope="session", autouse=True)
def _stale_lab_reaper():
    if _skip_reason() is None:
        _reap_stale_labs()
    yield


@pytest.fixture
def lab_factory(request, tmp_path_factory):
    """make(configs=None, up=True) -> Lab; every lab made is torn down after the test.

    configs: {node: yaml_text} written to the state dir before `up`, which keeps them.
    up=False: only reserve a name (and a state dir) and return the Lab.
    """
    made = []

    def make(configs=None, up=True):
        lab = Lab(new_lab_name(), tmp_path_factory.mktemp("lab"))
        made.append(lab)
        _live_labs[lab.name] = lab
        lab.state_dir.mkdir(parents=True, exist_ok=True)
        (lab.state_dir / OWNER_FILE).write_text(f"{os.getpid()}\n")
        for node, text in (configs or {}).items():
            lab.config_path(node).write_text(text)
        if up:
            lab.up()
        return lab

    def teardown():
        errors = []
        for lab in made:
            p = lab.down(check=False)
            if p.returncode != 0:
                errors.append(f"{lab.name}: {p.stderr}")
        assert not errors, "lab.sh down failed: " + "; ".join(errors)

    request.addfinalizer(teardown)
    return make


@pytest.fixture
def lab(lab_factory):
    """A fresh lab (`up --no-start`), torn down after the test."""
    return lab_factory()
