"""Operator actions through `pmipx ctl`, carried over real sockets: a flow move that needs
FMI/FMA (seed 001 §3.2.2), an interface-priority change from the MN (seed 003 §6.2), a
policy reload, and the Prometheus endpoint."""
import subprocess

from conftest import PMIPX_BIN
from test_signaling import MN, active, assert_oracle_clean, configure, lma_yaml, mh_types, mn_yaml, wait_for


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
        # The two MAGs register in either order: name the entries by MAG, not by BID.
        by_mag = {b["proxy_coa"]: b for b in both_registered(lab)}
        at_mag1, at_mag2 = by_mag["2001:db8:1::2"], by_mag["2001:db8:2::2"]
        pref1 = at_mag1["prefixes"][0]
        host = pref1.split("/")[0] + "1/128"
        p = ctl_text(lab, "lma", "flow", "set", MN, "1", "10", str(at_mag1["bid"]), f"{{dst: {host}, protocol: udp}}")
        assert p.returncode == 0, p.stderr
        p = ctl_text(lab, "lma", "flow", "move", MN, "1", str(at_mag2["bid"]))
        assert p.returncode == 0, p.stderr
        flows = wait_for("the move applied on the FMA",
                         lambda: [f for f in lab.ctl("lma", "flows")
                                  if f["bids"] == [at_mag2["bid"]] and not f["pending"]])
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
    assert [f["bids"] for f in lab.ctl("lma", "flows")] == [[at_mag2["bid"]]]


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


def test_refused_mn_registers_after_a_policy_fix_without_a_link_flap(lab):
    configure(lab, lma=lma_yaml().replace(f"  - id: {MN}\n", "  - id: other@example.com\n"))
    lab.start("lma", "mag1")
    lab.config_path("mn").write_text(mn_yaml(if2=False))
    lab.start("mn")
    wait_for("the PBA refusal (153) at mag1",
             lambda: [b for b in lab.ctl("mag1", "bindings") if b.get("last_status") == 153])
    lab.config_path("lma").write_text(lma_yaml())
    assert lab.ctl("lma", "reload")["mns"] == 1
    # The MN keeps soliciting (no RA came); the MAG tries again on its next RS.
    wait_for("registration after the reload", lambda: active(lab.ctl("lma", "bindings")), timeout=20)


def test_router_address_comes_back_after_the_access_link_flaps(lab):
    configure(lab, mn=mn_yaml(if2=False))
    lab.start("lma", "mag1", "mn")
    wait_for("registration", lambda: active(lab.ctl("lma", "bindings")))
    lab.run("mag1", "ip", "link", "set", "acc0", "down")  # the kernel drops fe80::1 with it
    wait_for("the detach", lambda: lab.ctl("mag1", "bindings") == [], timeout=10)
    lab.run("mag1", "ip", "link", "set", "acc0", "up")
    wait_for("re-registration", lambda: active(lab.ctl("lma", "bindings")), timeout=20)
    wait_for("fe80::1 back on acc0",
             lambda: "fe80::1/64" in lab.run("mag1", "ip", "-6", "addr", "show", "dev", "acc0").stdout)
    wait_for("an RA reaching the MN again", lambda: lab.ctl("mn", "interfaces")[0]["addresses"], timeout=20)
