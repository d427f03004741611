"""Smoke test of the data-plane benchmark (bench/dataplane/run.sh --quick, issue 7).

Runs the whole benchmark in its tiny mode (1 run of 1 s, 10 flow rules) into a temporary
directory and checks that the report is consistent and that each scheme really forwarded:
packets delivered to the MN, the BPF path's matching rule counted them, the NFQUEUE
classifier saw and marked them, the LMA holds the 10 rules in its flow mobility cache and
its BPF maps. No timing thresholds. Labs `bdptXXXs`/`bdptXXXb` are removed by run.sh's trap;
the test checks that nothing is left.
"""
import json
import os
import pathlib
import secrets
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
RUN = REPO / "bench" / "dataplane" / "run.sh"
PMIPX_BIN = pathlib.Path(os.environ.get("PMIPX_BIN", str(REPO / "build" / "pmipx")))


def namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    out = tmp_path_factory.mktemp("dataplane")
    prefix = "bdpt" + secrets.token_hex(2)
    # --no-build: test the binary ctest built (PMIPX_BIN), do not rebuild the tree (tens of seconds)
    p = subprocess.run([str(RUN), "--quick", "--no-build", "--build-dir", str(PMIPX_BIN.parent), "--out", str(out),
                        "--lab-prefix", prefix], capture_output=True, text=True, timeout=240,
                       stdin=subprocess.DEVNULL)
    left = {n for n in namespaces() if n.startswith(prefix)}
    assert p.returncode == 0, f"run.sh failed ({p.returncode}):\n{p.stderr[-4000:]}"
    assert not left, f"namespaces left behind: {left}"
    d = json.loads((out / "dataplane.json").read_text())
    return d, out, p.stderr


def test_report_has_every_scheme_and_is_consistent(report):
    d, out, _ = report
    assert d["benchmark"] == "dataplane" and d["quick"] is True
    assert d["parameters"]["ipv6_packet_bytes"] == 64
    assert d["machine"]["nproc"] >= 1 and d["machine"]["kernel"]
    ids = [s["id"] for s in d["schemes"]]
    assert ids == ["plain", "bpf-10", "nfqueue-10"], ids
    plain = d["schemes"][0]
    for s in d["schemes"]:
        for key in ("pps", "tcp_bps"):
            st = s[key]
            assert len(st["runs"]) == d["parameters"]["runs"] == 1
            assert st["min"] <= st["median"] <= st["max"]
            assert st["median"] > 0, f"{s['id']} delivered nothing ({key})"
        assert s["ratio_to_plain"]["pps"] == pytest.approx(s["pps"]["median"] / plain["pps"]["median"], rel=1e-3)
        assert s["ratio_to_plain"]["tcp"] == pytest.approx(s["tcp_bps"]["median"] / plain["tcp_bps"]["median"],
                                                           rel=1e-3)
        udp = s["udp_runs"][0]
        assert udp["complete"] is True
        # pps is what the MN's interface received in the window; nothing beyond what was sent
        # arrives, and the socket cannot get more than the interface did
        assert udp["pps"] == pytest.approx(udp["if_packets"] / udp["seconds"], rel=1e-3)
        assert 0 < udp["if_packets"] <= udp["if1_rx_packets"] <= udp["sent"] + 100  # + ND, RA, ...
        assert 0 < udp["packets"] <= udp["received_total"] <= udp["if1_rx_packets"]
    assert {t["target"] for t in d["targets"]} == {"bpf_pps_vs_plain", "bpf_tcp_vs_plain", "bpf_tcp_vs_nfqueue"}
    for t in d["targets"]:
        assert t["value"] is not None and t["met"] == (t["value"] >= t["goal"])


def test_bpf_path_classified_with_the_installed_rules(report):
    d, _, _ = report
    bpf = next(s for s in d["schemes"] if s["scheme"] == "bpf")
    assert bpf["lma"]["cache"] == 10, bpf["lma"]      # flow mobility cache entries
    assert bpf["lma"]["kernel_rules"] == 10, bpf["lma"]  # entries in the BPF rule map
    assert bpf["install"]["api"]["installed"] == 10 and bpf["install"]["api"]["failed"] == 0
    # the matching rule's kernel counter saw at least the datagrams the MN received
    assert bpf["matching_rule_packets"][0] >= bpf["udp_runs"][0]["received_total"] > 0


def test_nfqueue_classified_every_packet(report):
    d, _, _ = report
    nfq = next(s for s in d["schemes"] if s["scheme"] == "nfqueue")
    c = nfq["classifier"][0]
    assert c["rules"] == 10
    assert c["packets"] >= nfq["udp_runs"][0]["received_total"] > 0
    assert c["matched"] == c["packets"]  # every cn -> MN packet got the mark fwmark routing needs


def test_markdown_and_plots(report):
    d, out, _ = report
    md = (out / "dataplane.md").read_text()
    assert "64-octet IPv6 packets" in md and "run.sh --quick" in md
    assert d["machine"]["cpu_model"] in md
    for label in ("(a) plain IPv6 forwarding", "(b) pmipx tc eBPF", "(c) NFQUEUE + fwmark"):
        assert label in md
    if d["plots"]:
        for name in ("dataplane_pps.png", "dataplane_tcp.png"):
            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
