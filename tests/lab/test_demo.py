"""`pmipx lab demo`: the README's main job, run end to end on a lab of its own."""
import pathlib
import re
import subprocess
import time

from conftest import PMIPX_BIN, lab_sh, new_lab_name


def test_demo_registers_both_interfaces_and_leaves_a_clean_capture():
    name = new_lab_name()
    try:
        p = subprocess.run([PMIPX_BIN, "lab", "demo", "--name", name], capture_output=True, text=True,
                           timeout=180, stdin=subprocess.DEVNULL)
        out = p.stdout + p.stderr
        assert p.returncode == 0, out
        # Two registrations at the LMA, an address per interface, the oracle satisfied.
        assert re.search(r"mn1@example\.com\s+2\s+active", out), out
        assert "2001:db8:8000:" in out
        assert "delete-pending" in out  # the detach step
        assert "Mobility Header packets are well formed" in out, out
        # Traffic through the tc eBPF tunnels, before and after the flow move.
        assert out.count("3 packets transmitted, 3 received") == 3, out
        # The move's FMI and FMA, as pmipx decode reads the demo's capture.
        assert re.search(r"^FMI .*reason=8", out, re.M) and re.search(r"^(FMA|UPA) .*status=0", out, re.M), out
        # The demo leaves the lab up for exploration; ctl sees the same state.
        bindings = None
        for _ in range(20):  # a sanitizer build answers slowly
            bindings = subprocess.run([PMIPX_BIN, "ctl", "--lab", name, "bindings"], capture_output=True,
                                      text=True, timeout=30)
            if bindings.returncode == 0:
                break
            time.sleep(0.5)
        logs = {n: _tail(f"/run/pmipx/{name}/{n}.log") for n in ("lma", "mag1", "mag2")}
        assert bindings.returncode == 0 and bindings.stdout.count(" active ") == 2, (bindings, logs)
    finally:
        lab_sh("down", name=name, check=False)
    assert subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.count(name) == 0


def _tail(path, lines=40):
    p = pathlib.Path(path)
    return "\n".join(p.read_text(errors="replace").splitlines()[-lines:]) if p.exists() else "(no log)"
