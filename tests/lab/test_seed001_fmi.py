"""Seed 001 §3.2.2, Figure 4: flow mobility when the interfaces hold different prefixes.

    MN --if1-- MAG1 (pref1) \
                             LMA -- cn
    MN --if2-- MAG2 (pref2) /

    1. if1 attaches via MAG1 (pref1), if2 via MAG2 (HI 1: its own pref2).
    2. Flow X (UDP to pref1, port 5001) runs through MAG1.
    3. The LMA moves X to MAG2: FMI (UPN reason 8) with the HNP of pref1 (L=1) and the flow's
       Flow Identification option to MAG2, FMA (UPA status 0) back; only then the LMA's flow
       rule changes.
    4. MAG2 routes pref1 off-link, towards the MN's link-local address on if2, and does NOT
       advertise it in its RA; X's packets to pref1 reach the MN through MAG2 while another
       flow to the same address stays on MAG1."""
import json
import subprocess

from conftest import PYTHON
from test_dataplane import dataplane, lab_bin, tunnels
from test_primary_hoa import tshark
from test_seed001_shared import UDP, addresses, ctl_lma, send
from test_signaling import MN, active, assert_oracle_clean, configure, lma_yaml, mag_yaml, mn_yaml, wait_for

MAG1, MAG2 = "2001:db8:1::2", "2001:db8:2::2"


def start_with_own_prefixes(lab):
    """if1 via mag1, if2 via mag2 with its own prefix (HI 1): the bindings by proxy-CoA."""
    configure(lab, lma=lma_yaml(dataplane(lab, "lma")), mag1=mag_yaml(1, MAG1, "wlan", dataplane(lab, "mag1")),
              mag2=mag_yaml(2, MAG2, "eutran", dataplane(lab, "mag2")), mn=mn_yaml())
    lab.start("lma", "mag1", "mag2", "mn")
    entries = wait_for("two bindings", lambda: len(active(lab.ctl("lma", "bindings"))) == 2
                       and active(lab.ctl("lma", "bindings")))
    return {e["proxy_coa"]: e for e in entries}


def test_fmi_moves_flow_x_to_mag2_which_routes_pref1_off_link_without_advertising_it(lab):
    by_coa = start_with_own_prefixes(lab)
    pref1, pref2 = by_coa[MAG1]["prefixes"][0], by_coa[MAG2]["prefixes"][0]
    assert pref1 != pref2
    if1 = wait_for("pref1 on if1", lambda: addresses(lab, "if1"))[0]
    ctl_lma(lab, "flow", "set", MN, "1", "10", str(by_coa[MAG1]["bid"]),
            f"{{dst: {pref1}, protocol: udp, dst_ports: 5001}}")

    with lab.capture("lma", "any") as signaling:
        ctl_lma(lab, "flow", "move", MN, "1", str(by_coa[MAG2]["bid"]))
        wait_for("the FMA", lambda: [f for f in lab.ctl("lma", "flows")
                                     if f["bids"] == [by_coa[MAG2]["bid"]] and not f["pending"]])
    stats = lab.ctl("lma", "stats")
    assert stats["fmi_sent"] == 1 and stats["flow_moves"] >= 1, stats
    # UPN (MH type 19, RFC 7077) to MAG2 and UPA (20) back, nothing else; judged by the oracle.
    mh = tshark(signaling, "mipv6", ("ipv6.src", "ipv6.dst", "mip6.mhtype"))
    assert sorted(set((m[2], m[0], m[1]) for m in mh)) == [("19", "2001:db8:ffff::1", MAG2),
                                                          ("20", MAG2, "2001:db8:ffff::1")], mh
    assert_oracle_clean(lab, signaling)
    decoded = subprocess.run([lab_bin(), "decode", "--json", str(signaling)], capture_output=True, text=True,
                             check=True).stdout
    frames = [f["message"] for f in json.loads(decoded)["frames"]]
    fmi = [m for m in frames if m["mh_type"]["value"] == 19]
    fma = [m for m in frames if m["mh_type"]["value"] == 20]
    assert len(fmi) == 1 and fmi[0]["reason"]["value"] == 8, fmi
    hnps = [(o["prefix"], o["off_link"]) for o in fmi[0]["options"] if o["option"] == "HNP"]
    assert hnps == [(pref1, True)], hnps
    fids = [(o["fid"], o["bids"]) for o in fmi[0]["options"] if o["option"] == "Flow Identification"]
    assert fids == [(1, [by_coa[MAG2]["bid"]])], fids
    assert len(fma) == 1 and fma[0]["status"]["value"] == 0 and fma[0]["sequence"] == fmi[0]["sequence"], fma

    # MAG2: pref1 is off-link there: routed to the MN, never advertised.
    mag2_entry = lab.ctl("mag2", "bindings")[0]
    assert mag2_entry["off_link_prefixes"] == [pref1] and mag2_entry["prefixes"] == [pref2], mag2_entry
    assert lab.ctl("mag2", "links")[0]["advertised"] == [pref2]
    route = lab.run("mag2", "ip", "-6", "route", "show", pref1).stdout
    assert "via fe80::" in route and "acc0" in route, route

    # Traffic: X through MAG2, another flow to the same address still through MAG1.
    t0 = tunnels(lab)
    with lab.capture("mag2", "acc0") as acc2:
        send(lab, if1, 5001)
        send(lab, if1, 5002)
    t1 = tunnels(lab)
    assert t1[MAG2]["tx_packets"] - t0[MAG2]["tx_packets"] == 20, (t0, t1)
    assert t1[MAG1]["tx_packets"] - t0[MAG1]["tx_packets"] == 20, (t0, t1)
    assert len(tshark(acc2, f"udp.dstport == 5001 && ipv6.dst == {if1}")) == 20
    ras = tshark(acc2, "icmpv6.type == 134", ("icmpv6.opt.prefix",))
    assert all(pref1.split("/")[0] not in r for r in ras), ras


def test_fma_132_from_a_mag_that_lost_the_mn_rolls_the_move_back_and_ctl_reports_it(lab):
    # RFC 7864 / seed 001 §3.2.2: a MAG without the MN answers the FMI with status 132 (MN
    # not attached); the LMA keeps the flow where it was and says so.
    by_coa = start_with_own_prefixes(lab)
    pref1 = by_coa[MAG1]["prefixes"][0]
    ctl_lma(lab, "flow", "set", MN, "1", "10", str(by_coa[MAG1]["bid"]),
            f"{{dst: {pref1}, protocol: udp, dst_ports: 5001}}")
    # mag2 restarts and forgets the MN, which stays silent (its agent is stopped), while the
    # LMA's binding for mag2 lives on.
    lab.stop("mn")
    lab.run("mag2", "kill", "-KILL", *map(str, lab.pids("mag2")), check=False)
    lab.start("mag2")
    wait_for("mag2 without the MN", lambda: lab.ctl("mag2", "bindings") == [])

    with lab.capture("lma", "any") as signaling:
        ctl_lma(lab, "flow", "move", MN, "1", str(by_coa[MAG2]["bid"]))
        flow = wait_for("the rollback", lambda: [f for f in lab.ctl("lma", "flows")
                                                 if f["fid"] == 1 and not f["pending"] and "last_move" in f])[0]
    assert flow["bids"] == [by_coa[MAG1]["bid"]], flow          # still where it was
    assert flow["last_move"]["result"] == "failed" and flow["last_move"]["status"] == 132, flow
    assert lab.ctl("lma", "stats")["flow_moves_failed"] == 1
    table = ctl_lma(lab, "flows").stdout
    assert "failed" in table and "132" in table, table
    frames = [f["message"] for f in json.loads(subprocess.run(
        [lab_bin(), "decode", "--json", str(signaling)], capture_output=True, text=True, check=True).stdout)["frames"]]
    assert [m["status"]["value"] for m in frames if m["mh_type"]["value"] == 20] == [132]
    # The data plane never moved: packets for the flow still go to mag1.
    t0 = tunnels(lab)
    send(lab, pref1.split("/")[0] + "1", 5001)
    t1 = tunnels(lab)
    assert t1[MAG1]["tx_packets"] - t0[MAG1]["tx_packets"] == 20 and t1[MAG2]["tx_packets"] == t0[MAG2]["tx_packets"]


def decoded(signaling):
    return [f for f in json.loads(subprocess.run([lab_bin(), "decode", "--json", str(signaling)], capture_output=True,
                                                 text=True, check=True).stdout)["frames"]]


def fids_of(message):
    return [o["fid"] for o in message["options"] if o["option"] == "Flow Identification"]


def test_an_attach_rule_moves_a_flow_in_the_pba_and_the_mags_flow_list_drops_a_flow_by_omission(lab):
    """Seed 001 §3.3: the LMA's policy moves UDP port 5001 to any E-UTRAN attachment; when if2
    attaches through MAG2, its PBA carries what an FMI would (pref1 with L = 1 and the flow's
    Flow Identification option), and no FMI follows. §3.4: a second flow joins MAG2 (pref1 is
    already routed there): an FMI refreshes MAG2's list with both; the first is removed: the
    next FMI omits it, which removes it at MAG2."""
    lma = lma_yaml(dataplane(lab, "lma")).replace("    features: {shared_prefixes: true}\n", """    features: {shared_prefixes: true}
    attach_flows:
      - {att: eutran, fid: 1, priority: 10, selector: {protocol: udp, dst_ports: 5001}}
""")
    configure(lab, lma=lma, mag1=mag_yaml(1, MAG1, "wlan", dataplane(lab, "mag1")),
              mag2=mag_yaml(2, MAG2, "eutran", dataplane(lab, "mag2")), mn=mn_yaml())
    lab.start("lma", "mag1", "mn")
    pref1 = wait_for("if1 via mag1", lambda: active(lab.ctl("lma", "bindings")))[0]["prefixes"][0]
    if1 = wait_for("pref1 on if1", lambda: addresses(lab, "if1"))[0]
    with lab.capture("lma", "any") as signaling:
        lab.start("mag2")
        entries = wait_for("if2 via mag2", lambda: len(active(lab.ctl("lma", "bindings"))) == 2
                           and active(lab.ctl("lma", "bindings")))
    by_coa = {e["proxy_coa"]: e for e in entries}
    bid2 = by_coa[MAG2]["bid"]
    frames = decoded(signaling)
    pba = [f["message"] for f in frames if f["message"]["mh_type"]["value"] == 6 and f["dst"] == MAG2]
    assert len(pba) == 1 and pba[0]["status"]["value"] == 0, pba
    hnps = [(o["prefix"], o["off_link"]) for o in pba[0]["options"] if o["option"] == "HNP"]
    assert hnps == [(by_coa[MAG2]["prefixes"][0], False), (pref1, True)], hnps
    fid = [o for o in pba[0]["options"] if o["option"] == "Flow Identification"]
    assert [(o["fid"], o["bids"]) for o in fid] == [(1, [bid2])], fid
    assert not [f for f in frames if f["message"]["mh_type"]["value"] == 19]  # no FMI
    assert_oracle_clean(lab, signaling)
    mag2_entry = wait_for("MAG2's off-link route", lambda: [
        e for e in lab.ctl("mag2", "bindings") if e["off_link_prefixes"] == [pref1]])[0]
    assert [f["fid"] for f in mag2_entry["flows"]] == [1], mag2_entry
    t0 = tunnels(lab)
    send(lab, if1, 5001)
    t1 = tunnels(lab)
    assert t1[MAG2]["tx_packets"] - t0[MAG2]["tx_packets"] == 20, (t0, t1)  # to if1's address, via mag2
    assert t1[MAG1]["tx_packets"] == t0[MAG1]["tx_packets"], (t0, t1)

    with lab.capture("lma", "any") as signaling:
        ctl_lma(lab, "flow", "set", MN, "2", "20", str(bid2), f"{{dst: {pref1}, protocol: udp, dst_ports: 5002}}")
        wait_for("MAG2 knows both flows", lambda: [f["fid"] for f in lab.ctl("mag2", "bindings")[0]["flows"]] == [1, 2])
        ctl_lma(lab, "flow", "remove", MN, "1")
        wait_for("MAG2 knows flow 2 only", lambda: [f["fid"] for f in lab.ctl("mag2", "bindings")[0]["flows"]] == [2])
    fmis = [f["message"] for f in decoded(signaling) if f["message"]["mh_type"]["value"] == 19]
    assert [fids_of(m) for m in fmis] == [[1, 2], [2]], fmis
    for m in fmis:  # each repeats the off-link list
        assert [(o["prefix"], o["off_link"]) for o in m["options"] if o["option"] == "HNP"] == [(pref1, True)], m
    assert_oracle_clean(lab, signaling)
    stats = lab.ctl("lma", "stats")
    assert stats["flow_info_updates_sent"] == 2 and stats["fmi_sent"] == 0, stats
    assert lab.ctl("mag2", "bindings")[0]["off_link_prefixes"] == [pref1]  # the route stays
