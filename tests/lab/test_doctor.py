"""`pmipx lab doctor` on this host: everything present, and no scratch namespace left."""
import subprocess

from conftest import PMIPX_BIN


def test_doctor_finds_everything_and_leaves_nothing():
    p = subprocess.run([PMIPX_BIN, "lab", "doctor"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "MISSING" not in p.stdout
    for check in ("tc clsact qdisc", "BPF helper bpf_redirect_neigh", "raw IPv6 sockets", "bpffs"):
        assert check in p.stdout, p.stdout
    assert "pmxdoc" not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
