"""lab.sh start/stop/status/up and its command line, with tests/lab/standin_daemon.py in place
of `pmipx` (PMIPX_BIN), so no real daemon is needed."""
import os
import pathlib
import shutil
import stat
import time

import pytest
from conftest import DAEMONS, LAB_SH, lab_sh

HERE = pathlib.Path(__file__).resolve().parent
ROLE = {"lma": "lma", "mag1": "mag", "mag2": "mag", "mn": "mn"}
PORT = {"lma": 7780, "mag1": 7781, "mag2": 7781, "mn": 7782}


@pytest.fixture
def standin(tmp_path):
    """An executable copy of the stand-in daemon (independent of the checkout's mode bits)."""
    path = tmp_path / "standin"
    shutil.copyfile(HERE / "standin_daemon.py", path)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def sh(lab, *args, bin, mode="serve", check=True, timeout=120):
    return lab_sh(*args, name=lab.name, check=check, timeout=timeout,
                  env={"PMIPX_BIN": bin, "PMIPX_STANDIN_MODE": mode})


def pid_of(lab, node):
    return int((lab.state_dir / f"{node}.pid").read_text())


def alive(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def netns_id(path):
    st = os.stat(path)
    return st.st_dev, st.st_ino


def health(lab, node, port=None):
    code = ("import urllib.request,sys;"
            f"r=urllib.request.urlopen('http://127.0.0.1:{port or PORT[node]}/health',timeout=2);"
            "print(r.status, r.read().decode().strip())")
    return lab.run(node, "/usr/bin/python3", "-c", code).stdout.strip()


def test_start_runs_each_daemon_in_its_namespace_and_stop_ends_it(lab, standin):
    p = sh(lab, "start", bin=standin)
    for node in DAEMONS:
        assert f"{node} started" in p.stdout
        pid = pid_of(lab, node)
        assert alive(pid)
        assert netns_id(f"/proc/{pid}/ns/net") == netns_id(f"/run/netns/{lab.ns(node)}"), node
        cmdline = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        assert [c.decode() for c in cmdline[-3:]] == [ROLE[node], "--config",
                                                      str(lab.config_path(node))], node
        assert os.getsid(pid) == pid, f"{node}: not a session leader"
        assert health(lab, node).startswith(f'200 {{"role": "{ROLE[node]}"'), node
        assert "standin: role=" in lab.log_path(node).read_text()
        # Only 0, 1 and 2 are open: no lock or pipe of the caller leaks into the daemon.
        assert sorted(os.listdir(f"/proc/{pid}/fd")) >= ["0", "1", "2"]
        fds = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        assert fds[1] == fds[2] == str(lab.log_path(node))
        assert all(fd <= 2 or target.startswith("socket:") for fd, target in fds.items()), fds

    st = lab.status()
    assert st.returncode == 0, st.stdout
    for node in DAEMONS:
        assert f"daemon {node:<5} running (pid {pid_of(lab, node)})" in st.stdout

    # start is idempotent for running daemons
    lma = pid_of(lab, "lma")
    assert "lma already running" in sh(lab, "start", "lma", bin=standin).stdout
    assert pid_of(lab, "lma") == lma

    mag2 = pid_of(lab, "mag2")
    p = sh(lab, "stop", "mag2", bin=standin)
    assert "mag2 stopped" in p.stdout
    assert not alive(mag2)
    assert not (lab.state_dir / "mag2.pid").exists()
    assert all(alive(pid_of(lab, n)) for n in ("lma", "mag1", "mn"))
    st = lab.status()
    assert st.returncode == 0 and "daemon mag2  stopped" in st.stdout, st.stdout
    assert "mag2 not running" in sh(lab, "stop", "mag2", bin=standin).stdout

    pids = [pid_of(lab, n) for n in ("lma", "mag1", "mn")]
    lab.down()
    assert not any(alive(p) for p in pids)


def test_start_reports_a_daemon_that_exits_early(lab, standin):
    p = sh(lab, "start", "mag1", bin=standin, mode="exit", check=False)
    assert p.returncode == 1
    assert "mag1 (mag) exited during start-up" in p.stderr
    assert "refusing to start (mode exit)" in p.stderr      # the tail of its log
    assert not (lab.state_dir / "mag1.pid").exists()
    assert lab.status().returncode == 0                     # stopped, not dead


def test_start_stops_at_the_first_failure(lab, standin):
    p = sh(lab, "start", bin=standin, mode="exit", check=False)
    assert p.returncode == 1 and "lma (lma) exited" in p.stderr
    assert not lab.log_path("mag1").exists()


def test_stop_sends_sigkill_after_3_s(lab, standin):
    sh(lab, "start", "lma", bin=standin, mode="ignore-term")
    pid = pid_of(lab, "lma")
    t0 = time.monotonic()
    p = sh(lab, "stop", "lma", bin=standin)
    elapsed = time.monotonic() - t0
    assert "ignored SIGTERM" in p.stderr
    assert 2.9 <= elapsed < 6, elapsed
    assert not alive(pid)


def test_start_uses_the_api_port_of_the_config(lab_factory, standin):
    variant = ("lma: 2001:db8:ffff::1\nmag_id: mag1@example.com\n"
               "api: {address: 127.0.0.1, port: 7791}\nlog: {level: debug}\n")
    lab = lab_factory(configs={"mag1": variant})
    p = sh(lab, "start", "mag1", bin=standin)
    assert "api 127.0.0.1:7791" in p.stdout
    assert health(lab, "mag1", port=7791).startswith("200")


def test_start_warns_when_the_api_never_answers(lab, standin):
    t0 = time.monotonic()
    p = sh(lab, "start", "mn", bin=standin, mode="no-api")
    assert 4.9 <= time.monotonic() - t0 < 15
    assert "did not answer 200 within 5 s" in p.stderr
    assert alive(pid_of(lab, "mn"))


def test_up_starts_the_daemons_and_restarts_dead_ones(lab_factory, standin):
    lab = lab_factory(up=False)
    p = sh(lab, "up", bin=standin)
    assert all(f"{n} started" in p.stdout for n in DAEMONS), p.stdout
    assert lab.status().returncode == 0
    mn = pid_of(lab, "mn")
    os.kill(mn, 9)
    deadline = time.monotonic() + 5
    while alive(mn) and time.monotonic() < deadline:
        time.sleep(0.05)
    st = lab.status()
    assert st.returncode == 1 and "daemon mn    dead" in st.stdout, st.stdout
    p = sh(lab, "up", bin=standin)                 # already up: starts what is not running
    assert "already up" in p.stdout and "mn started" in p.stdout and "lma already running" in p.stdout
    assert lab.status().returncode == 0


def test_start_needs_the_binary_and_the_lab(lab_factory, tmp_path):
    lab = lab_factory()
    p = sh(lab, "start", "lma", bin=str(tmp_path / "missing"), check=False)
    assert p.returncode == 1 and "is not an executable file" in p.stderr
    lab.down()
    p = sh(lab, "start", "lma", bin="/bin/true", check=False)
    assert p.returncode == 1 and "does not exist" in p.stderr


def test_command_line_errors(lab):
    def err(*args):
        p = lab_sh(*args, name=lab.name, check=False)
        assert p.returncode != 0, args
        assert p.stderr.startswith("lab: ") or "usage:" in p.stderr, p.stderr
        return p.stderr

    assert "unknown command 'frobnicate'" in err("frobnicate")
    assert "unknown daemon node 'cn'" in err("start", "cn")
    assert "unknown node 'router'" in err("exec", "router", "true")
    assert "--no-start is an option of 'up'" in err("start", "--no-start")
    assert "invalid lab name" in lab_sh("status", name="bad/name", check=False).stderr
    if not (LAB_SH.parent / "demo.sh").exists():
        assert "demo: not available yet" in err("demo")


def test_name_from_pmipx_lab_environment(lab):
    p = lab_sh("status", check=False, env={"PMIPX_LAB": lab.name})
    assert p.returncode == 0 and f"lab: {lab.name}: up" in p.stdout


def test_help(lab):
    p = lab_sh("--help")
    assert "usage: lab.sh COMMAND" in p.stdout
