"""`pmipx bench signaling` against a real LMA in a lab (issue 7): a few hundred MNs through
four emulated MAGs (extra proxy-CoAs on mag1's wan0), every phase including flow moves with
FMI/FMA, the echo bound beside the LMA. Asserts outcomes and the report's bookkeeping only,
never timings."""
import json
import subprocess

from conftest import PMIPX_BIN

MAGS = 4
MNS = 300
MOVES = 40
LMAA = "2001:db8:ffff::1"


def mag_addr(i):
    return f"2001:db8:1::{0x1000 + i:x}"


def lma_yaml(state_dir):
    mags = "".join(f"  - {mag_addr(i)}\n" for i in range(MAGS))
    return (f"address: {LMAA}\nmags:\n{mags}"
            "pool: {prefix: 2001:db8:8000::/44, length: 64}\n"
            "default_mn_profile: {features: {shared_prefixes: true}}\n"
            f"dataplane: {{mode: bpf, pin_dir: {state_dir}/bpf/lma}}\n"
            # every address: the generator in mag1 reaches it through 2001:db8:1::1
            "api: {address: \"::\", port: 7780}\nlog: {level: warn}\n")


def test_generator_registers_refreshes_and_deregisters_every_mn(lab_factory):
    lab = lab_factory(up=False)
    lab.config_path("lma").write_text(lma_yaml(lab.state_dir))
    lab.up()
    for i in range(MAGS):
        subprocess.run(["ip", "-n", lab.ns("mag1"), "-6", "addr", "add", f"{mag_addr(i)}/64", "dev", "wan0",
                        "nodad"], check=True)
    lab.start("lma")
    lma_pid = int((lab.state_dir / "lma.pid").read_text())
    echo = subprocess.Popen(["ip", "netns", "exec", lab.ns("lma"), PMIPX_BIN, "bench", "echo"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # its socket is open once it says so; before, echoes would be lost
        assert "echoing protocol 253" in echo.stdout.readline()
        p = lab.run("mag1", PMIPX_BIN, "bench", "signaling", "--mags", MAGS, "--mns", MNS, "--window", 16,
                    "--moves", MOVES, "--api", "[2001:db8:1::1]:7780",
                    "--lma-pid", lma_pid, "--json", check=False, timeout=60)
    finally:
        echo.terminate()
        echo_out, _ = echo.communicate(timeout=10)
    report = json.loads(p.stdout)
    summary = [" ".join(f"{k}={ph[k]}" for k in ("name", "sent", "accepted", "rejected", "malformed", "timeouts",
                                                  "send_errors", "unmatched", "rejects_by_status"))
               for ph in report["phases"] if ph["accepted"] != ph["sent"] or ph["send_errors"]]
    assert p.returncode == 0, (summary, report["notes"], p.stderr)
    phases = {ph["name"]: ph for ph in report["phases"]}
    assert list(phases) == ["echo", "register", "refresh", "refresh_half", "attach_second", "move",
                            "deregister_second", "deregister"]
    for name, ph in phases.items():
        n = MOVES if name in ("attach_second", "move", "deregister_second") else MNS
        # every request has exactly one outcome, and here every outcome is an acceptance
        assert ph["consistent"], ph
        assert ph["sent"] == ph["accepted"] + ph["rejected"] + ph["malformed"] + ph["timeouts"]
        assert (ph["sent"], ph["accepted"], ph["rejected"], ph["timeouts"], ph["send_errors"]) == \
            (n, n, 0, 0, 0), (name, ph)
        assert ph["latency"]["count"] == n
        lat = ph["latency"]
        assert lat["min_us"] <= lat["p50_us"] <= lat["p99_us"] <= lat["p999_us"] <= lat["max_us"]
        assert ph["target"] == ("echo" if name == "echo" else "lma")
    assert phases["refresh_half"]["rate_limit_per_s"] > 0
    assert set(report["ratios_to_echo"]) == {"register", "refresh", "deregister"}
    assert report["memory"]["bindings"] == MNS
    assert report["setup"]["mns"] == MNS and report["setup"]["mags"] == MAGS
    assert f"{MNS} echoed, 0 send errors" in echo_out, echo_out

    # The LMA saw exactly what the generator counted: four phases of MNS accepted PBUs each and
    # two of MOVES; every flow change (the set that places the flow, then its move) was applied
    # on its FMA, none retransmitted.
    stats = lab.ctl("lma", "stats")
    assert stats["pba_accepted"] == 4 * MNS + 2 * MOVES, stats
    assert stats["pba_rejected"] == 0, stats
    assert stats["flow_moves"] == 2 * MOVES and stats["flow_moves_failed"] == 0, stats
    assert stats["fmi_sent"] == 2 * MOVES and stats["fmi_retransmitted"] == 0, stats
