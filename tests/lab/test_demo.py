"""`pmipx lab demo`: the README's main job, run end to end on a lab of its own."""
import re
import subprocess

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
        # The demo leaves the lab up for exploration; ctl sees the same state.
        bindings = subprocess.run([PMIPX_BIN, "ctl", "--lab", name, "bindings"], capture_output=True,
                                  text=True, timeout=30)
        assert bindings.returncode == 0 and bindings.stdout.count(" active ") == 2, bindings.stdout
    finally:
        lab_sh("down", name=name, check=False)
    assert subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.count(name) == 0
