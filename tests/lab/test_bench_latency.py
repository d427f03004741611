"""Smoke test of the latency benchmarks (bench/latency/, issue 7) in their tiny mode: two flow
moves per case (shared prefixes; FMI/FMA) and one handover, each in a lab of its own that the
benchmark tears down. Asserts that the JSON is consistent (every move and the handover seen
on the new path, the FMI where one is due and none where none is, the packet counts add up)
and that latency.md and the plots are written; no timing thresholds."""
import json
import pathlib
import secrets
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench" / "latency"))

import flow_move  # noqa: E402
import handover  # noqa: E402


def our_namespaces(prefix):
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix)]


def test_latency_benchmark_tiny_mode_gives_consistent_results(tmp_path):
    prefix = "blt" + secrets.token_hex(2)
    out, work = tmp_path / "results", tmp_path / "work"
    common = ["--lab-prefix", prefix, "--out", str(out), "--workdir", str(work)]
    assert flow_move.main(["--moves", "2", "--rtt-count", "3", "--dwell", "0.2", "--warmup", "0.3", *common]) == 0
    assert handover.main(["--cycles", "1", "--dwell", "0.3", "--warmup", "0.3", *common]) == 0
    assert our_namespaces(prefix) == []   # every lab torn down

    data = json.loads((out / "latency.json").read_text())
    assert data["machine"]["nproc"] >= 1 and data["machine"]["kernel"]
    cases = data["flow_move"]["cases"]
    assert set(cases) == {"shared", "fmi"}
    for name, c in cases.items():
        n = c["counts"]
        assert n["moves"] == len(c["moves"]) == 2
        assert n["moves_observed"] == 2, c["moves"]
        for m in c["moves"]:
            assert m["observed"] and m["latency_ms"] is not None and m["latency_ms"] >= 0, m
            assert m["packets_new_path"] > 0, m
            assert m["lost"] >= 0
        assert [m["to"] for m in c["moves"]] == ["2001:db8:2::2", "2001:db8:1::2"]
        assert n["sent"] == c["sender"]["sent"] > 0
        assert n["received_unique"] + n["lost_total"] == n["sent"], n
        assert n["lost_before_first_move"] + n["lost_during_moves"] + n["lost_after_last_window"] == n["lost_total"]
        assert n["lost_during_moves"] == sum(m["lost"] for m in c["moves"])
        assert c["receiver"]["records"] == n["received_unique"] + n["duplicates"]
        assert c["latency_ms"]["n"] == 2
        assert c["rtt_summary_ms"]["n"] >= 1
    # Shared prefixes: no signaling at all. Different prefixes: the move to mag2 is an FMI
    # answered by an FMA; the move back to mag1 (pref1 is on-link there) is not signaled.
    assert not any(m["fmi"] or m["mh_messages"] for m in cases["shared"]["moves"])
    to_mag2, back = cases["fmi"]["moves"]
    assert to_mag2["fmi"] and to_mag2["cmd_to_fmi_ms"] is not None and to_mag2["fmi_to_fma_ms"] is not None
    assert to_mag2["cmd_to_fmi_ms"] <= to_mag2["latency_ms"]
    assert not back["fmi"]

    h = data["handover"]
    n = h["counts"]
    assert n["cycles"] == len(h["cycles"]) == 1
    assert n["rs_seen"] == n["ra_seen"] == n["observed"] == 1, h["cycles"]
    c = h["cycles"][0]
    assert c["rs_to_ra_ms"] >= 0 and c["rs_to_first_packet_ms"] is not None
    assert c["rs_to_pbu_ms"] is not None and c["pbu_to_pba_ms"] is not None
    assert n["received_unique"] + n["lost_total"] == n["sent"]
    assert n["lost_before_first_cycle"] + n["lost_down_phase"] + n["lost_up_phase"] + n["lost_after_last_window"] \
        == n["lost_total"], n

    md = (out / "latency.md").read_text()
    assert "## Flow-move latency" in md and "## Handover latency" in md
    assert (out / "latency_flow_move.png").stat().st_size > 0 and (out / "latency_handover.png").stat().st_size > 0
