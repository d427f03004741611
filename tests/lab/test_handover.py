"""Handover and failure (issue 6, scenario 6), with shared prefixes (seed 001 §3.2.1):

    1. if1 (mag1) and if2 (mag2) hold pref1; the LMA's policy (an attach rule, seed 001 §3.3:
       "this flow goes to a WLAN attachment") sends a TCP flow through mag1.
    2. The MN loses if1: mag1 sees the carrier go, de-registers, and once the entry is gone
       the flow is inactive and its packets take the remaining binding (mag2); the TCP
       connection keeps running.
    3. if1 comes back (sharing the prefix again, HI 6): a new registration with a new BID,
       and the attach rule brings the flow back to mag1."""
import time

from test_dataplane import TcpTransfer, dataplane, tunnels
from test_seed001_shared import addresses
from test_signaling import active, attach_if1_then_if2, configure, lma_yaml, mag_yaml, mn_yaml, wait_for

MAG1, MAG2 = "2001:db8:1::2", "2001:db8:2::2"
WLAN_RULE = """    features: {shared_prefixes: true}
    attach_flows:
      - {att: wlan, fid: 1, priority: 10, selector: {protocol: tcp, dst_ports: 5001}}
"""


def test_losing_if1_moves_its_flow_to_if2_without_breaking_tcp_and_the_flow_returns_with_if1(lab):
    lma = lma_yaml(dataplane(lab, "lma")).replace("    features: {shared_prefixes: true}\n", WLAN_RULE)
    configure(lab, lma=lma, mag1=mag_yaml(1, MAG1, "wlan", dataplane(lab, "mag1")),
              mag2=mag_yaml(2, MAG2, "eutran", dataplane(lab, "mag2")), mn=mn_yaml(if2_shared=True).replace(
                  "{interface: if1, att: wlan, ifp: 10}", "{interface: if1, att: wlan, ifp: 10, shared_prefixes: true}"))
    entries = attach_if1_then_if2(lab)
    by_coa = {e["proxy_coa"]: e for e in entries}
    pref1 = by_coa[MAG1]["prefixes"][0]
    if2 = wait_for("pref1 on if2", lambda: addresses(lab, "if2"))[0]
    assert [f["bids"] for f in lab.ctl("lma", "flows") if f["fid"] == 1] == [[by_coa[MAG1]["bid"]]]
    assert pref1 == by_coa[MAG2]["prefixes"][0]

    t0 = tunnels(lab)
    transfer = TcpTransfer(lab, if2, 5001, 8_000_000, seconds=5.0)
    time.sleep(1.5)
    t1 = tunnels(lab)
    lab.run("mn", "ip", "link", "set", "if1", "down")  # the MN loses if1
    lost = time.monotonic()
    wait_for("mag1's entry gone", lambda: [e["proxy_coa"] for e in lab.ctl("lma", "bindings")] == [MAG2])
    detected = time.monotonic() - lost
    sent, received = transfer.result()
    t2 = tunnels(lab)
    assert sent["error"] is None and received["error"] is None, (sent, received)
    assert received["bytes"] == 8_000_000 and received["sha256"] == sent["sha256"]
    assert t1[MAG1]["tx_bytes"] - t0[MAG1]["tx_bytes"] > 1_000_000, (t0, t1)  # via mag1 first
    assert t2[MAG2]["tx_bytes"] - t1[MAG2]["tx_bytes"] > 1_000_000, (t1, t2)  # then via mag2
    assert detected < 3, detected  # carrier loss + MinDelayBeforeBCEDelete (500 ms here)

    lab.run("mn", "ip", "link", "set", "if1", "up")
    wait_for("if1 back", lambda: len(active(lab.ctl("lma", "bindings"))) == 2, timeout=30)
    new_bid = [b["bid"] for b in active(lab.ctl("lma", "bindings")) if b["proxy_coa"] == MAG1][0]
    assert new_bid != by_coa[MAG1]["bid"]  # a BID still named by the flow is not reused
    flow = wait_for("the flow on mag1 again", lambda: [
        f for f in lab.ctl("lma", "flows") if f["fid"] == 1 and f["active"]
        and f["bids"] == [b["bid"] for b in active(lab.ctl("lma", "bindings")) if b["proxy_coa"] == MAG1]])
    t3 = tunnels(lab)
    sent, received = TcpTransfer(lab, if2, 5001, 1_000_000).result()
    t4 = tunnels(lab)
    assert received["bytes"] == 1_000_000 and received["sha256"] == sent["sha256"]
    assert t4[MAG1]["tx_bytes"] - t3[MAG1]["tx_bytes"] > 1_000_000, (flow, t3, t4)
