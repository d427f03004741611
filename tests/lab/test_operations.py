"""Operator actions through `pmipx ctl`, carried over real sockets: a flow move that needs
FMI/FMA (seed 001 §3.2.2), an interface-priority change from the MN (seed 003 §6.2), a
policy reload, and the Prometheus endpoint."""
import subprocess

from conftest import PMIPX_BIN
from test_signaling import MN, active, assert_oracle_clean, configure, mh_types, wait_for


def ctl_text(lab, node, *args):
    return subprocess.run([PMIPX_BIN, "ctl", "--netns", lab.ns(node), *args], capture_output=True, text=True,
                          timeout=30)


def both_registered(lab):
    lab.start("lma", "mag1", "mag2", "mn")
    return wait_for("two active bindings",
                    lambda: len(active(lab.ctl("lma", "bindings"))) == 2 and active(lab.ctl("lma", "bindings")))


def test_flow_move_to_another_prefix_goes_through_fmi_and_fma(lab):
    configure(lab)
    with lab.capture("lma", "any") as pcap:
        by_bid = {b["bid"]: b for b in both_registered(lab)}
        pref1 = by_bid[1]["prefixes"][0]
        host = pref1.split("/")[0] + "1/128"
        p = ctl_text(lab, "lma", "flow", "set", MN, "1", "10", "1", f"{{dst: {host}, protocol: udp}}")
        assert p.returncode == 0, p.stderr
        p = ctl_text(lab, "lma", "flow", "move", MN, "1", "2")
        assert p.returncode == 0, p.stderr
        flows = wait_for("the move applied on the FMA",
                         lambda: [f for f in lab.ctl("lma", "flows") if f["bids"] == [2] and not f["pending"]])
        route = wait_for("mag2 routes pref1 off-link",
                         lambda: pref1 in lab.run("mag2", "ip", "-6", "route", "show", pref1).stdout)
    assert flows[0]["fid"] == 1 and flows[0]["active"]
    assert route
    mag2 = lab.ctl("mag2", "bindings")[0]
    assert mag2["off_link_prefixes"] == [pref1]
    assert pref1 not in lab.ctl("mag2", "links")[0]["advertised"]  # routed, never advertised
    types = [t[0] for t in mh_types(pcap)]
    assert "19" in types and "20" in types, types  # FMI (UPN) and FMA (UPA)
    assert_oracle_clean(lab, pcap)
    # A refused move names its reason and changes nothing.
    p = ctl_text(lab, "lma", "flow", "move", MN, "1", "9")
    assert p.returncode == 1 and p.stderr.strip(), p
    assert [f["bids"] for f in lab.ctl("lma", "flows")] == [[2]]


def test_interface_priority_from_the_mn_reaches_the_lma(lab):
    configure(lab)
    both_registered(lab)
    p = ctl_text(lab, "mn", "ifp", "if2", "20")
    assert p.returncode == 0, p.stderr
    wait_for("IFP 20 on the if2 entry",
             lambda: any(b["ifp"] == 20 and b["proxy_coa"] == "2001:db8:2::2" for b in lab.ctl("lma", "bindings")))


def test_policy_reload_and_metrics(lab):
    configure(lab)
    lab.start("lma")
    text = lab.config_path("lma").read_text().replace(f"  - id: {MN}\n", f"  - id: {MN}\n  - id: mn2@example.com\n")
    lab.config_path("lma").write_text(text)
    assert lab.ctl("lma", "reload")["mns"] == 2
    lab.config_path("lma").write_text(text + "bogus: 1\n")
    p = ctl_text(lab, "lma", "reload")
    assert p.returncode == 1 and "bogus: unknown key" in p.stderr, p
    m = ctl_text(lab, "lma", "metrics")
    assert m.returncode == 0
    assert "# TYPE pmipx_lma_bindings gauge" in m.stdout and "pmipx_lma_bindings 0" in m.stdout, m.stdout
