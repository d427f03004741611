"""Seed 002 (draft-bernardos-mif-pmip), multihoming on real traffic:

    1. if1 attaches via mag1 (pref1), if2 via mag2 (pref2); both MAGs ask for the MN's other
       prefixes with the MuHo option and the PBAs carry them back as MuHo options.
    2. mag2 routes pref1 towards the MN (not advertised), mag1 likewise pref2.
    3. The LMA's per-flow policy (the 6-tuple table = the flow mobility cache) sends two flows
       to the same address pref1::if1 through different MAGs, with no FMI: mag2 already
       routes pref1. The weak-host MN accepts pref1 traffic arriving on if2."""
import json
import subprocess

from conftest import PYTHON

from test_dataplane import dataplane, lab_bin, tunnels
from test_primary_hoa import tshark
from test_seed001_shared import addresses, ctl_lma, send
from test_signaling import (MN, active, assert_oracle_clean, attach_if1_then_if2, configure, lma_yaml, mag_yaml,
                            mn_yaml, wait_for)

MAG1, MAG2 = "2001:db8:1::2", "2001:db8:2::2"

SINK = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(2)
print("ready", flush=True)
n = 0
try:
    while True:
        s.recv(2048)
        n += 1
except socket.timeout:
    pass
print(n)
"""


def muho_mag(n, coa, att, lab):
    return mag_yaml(n, coa, att, dataplane(lab, f"mag{n}")).replace(
        '"02:00:00:00:02:01"]}', '"02:00:00:00:02:01"], muho: true}')


def test_muho_mags_route_each_others_prefixes_and_two_flows_to_one_address_take_different_mags(lab):
    lma = lma_yaml(dataplane(lab, "lma")).replace("features: {shared_prefixes: true}",
                                                  "features: {shared_prefixes: true, muho: true}")
    configure(lab, lma=lma, mag1=muho_mag(1, MAG1, "wlan", lab), mag2=muho_mag(2, MAG2, "eutran", lab), mn=mn_yaml())
    with lab.capture("lma", "any") as signaling:
        entries = attach_if1_then_if2(lab)
        by_coa = {e["proxy_coa"]: e for e in entries}
        pref1, pref2 = by_coa[MAG1]["prefixes"][0], by_coa[MAG2]["prefixes"][0]
        wait_for("mag1 learns pref2", lambda: lab.ctl("mag1", "bindings")[0]["muho_prefixes"] == [pref2])
    assert pref1 != pref2 and all(e["muho"] for e in entries), entries
    assert lab.ctl("mag2", "bindings")[0]["muho_prefixes"] == [pref1]
    # Routed, never advertised.
    assert lab.ctl("mag2", "links")[0]["advertised"] == [pref2]
    assert "via fe80::" in lab.run("mag2", "ip", "-6", "route", "show", pref1).stdout
    frames = [f["message"] for f in json.loads(subprocess.run(
        [lab_bin(), "decode", "--json", str(signaling)], capture_output=True, text=True, check=True).stdout)["frames"]]
    muho_in_pba = [o["prefix"] for m in frames if m["mh_type"]["value"] == 6
                   for o in m["options"] if o["option"] == "MuHo" and o.get("prefix") not in (None, "::/0")]
    assert pref1 in muho_in_pba, muho_in_pba  # mag2's PBA names if1's prefix
    assert_oracle_clean(lab, signaling)

    # Two flows to the same address, through different MAGs; no FMI needed.
    if1 = wait_for("pref1 on if1", lambda: addresses(lab, "if1"))[0]
    ctl_lma(lab, "flow", "set", MN, "1", "10", str(by_coa[MAG1]["bid"]), f"{{dst: {pref1}, protocol: udp, dst_ports: 5001}}")
    ctl_lma(lab, "flow", "set", MN, "2", "20", str(by_coa[MAG2]["bid"]), f"{{dst: {pref1}, protocol: udp, dst_ports: 5002}}")
    wait_for("both flows programmed", lambda: len([f for f in lab.ctl("lma", "flows") if f["active"]]) == 2)
    t0 = tunnels(lab)
    sink = subprocess.Popen(["ip", "netns", "exec", lab.ns("mn"), PYTHON, "-c", SINK, if1, "5002"],
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().strip() == "ready"
    with lab.capture("mag2", "acc0") as acc2:
        send(lab, if1, 5001)
        send(lab, if1, 5002)
    t1 = tunnels(lab)
    assert int(sink.communicate(timeout=10)[0]) == 20  # the MN took pref1 traffic on if2
    assert t1[MAG1]["tx_packets"] - t0[MAG1]["tx_packets"] == 20, (t0, t1)
    assert t1[MAG2]["tx_packets"] - t0[MAG2]["tx_packets"] == 20, (t0, t1)
    assert len(tshark(acc2, f"udp.dstport == 5002 && ipv6.dst == {if1}")) == 20  # pref1 over if2
    assert lab.ctl("lma", "stats")["fmi_sent"] == 0
