"""Seed 001 §3.2.1, Figures 1-3: flow mobility with a common set of prefixes.

    MN1 --if1-- MAG1 \
                      LMA -- cn          both interfaces hold pref1 (HI 6 on if2)
    MN1 --if2-- MAG2 /

    1. if1 attaches via MAG1 (PBU/PBA, pref1), if2 via MAG2 with HI 6: the same pref1.
    2. Flow X (UDP to port 5001) runs through MAG1, flow Y (UDP to port 5002) through MAG2.
    3. Flow Y moves to MAG1: no signaling between the LMA and the MAGs (Figure 2).
    4. Figure 3: two binding cache entries for MN1 with pref1 (BID1 -> MAG1, BID2 -> MAG2) and
       a flow mobility cache of X -> BID1, Y -> BID1.

Per-interface addresses (pref1::if1, pref1::if2) are used, which the seed allows as long as
each is valid on every interface: the MAGs route pref1 to the MN's link-local address, so any
of them reaches the MN over either link."""
import json
import subprocess

from conftest import PYTHON
from test_dataplane import dataplane, lab_bin, tunnels
from test_primary_hoa import tshark
from test_signaling import (MN, active, assert_oracle_clean, attach_if1_then_if2, configure, lma_yaml, mag_yaml,
                            mn_yaml, wait_for)

MAG1, MAG2 = "2001:db8:1::2", "2001:db8:2::2"

UDP = """
import socket, sys
dst, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(n):
    s.sendto(b"flow" * 8, (dst, port))
"""


def addresses(lab, ifname):
    return [a["local"] for a in json.loads(lab.run("mn", "ip", "-6", "-j", "addr", "show", "dev", ifname).stdout)[0]
            ["addr_info"] if a.get("scope") == "global"]


def ctl_lma(lab, *args):
    return subprocess.run([lab_bin(), "ctl", "--netns", lab.ns("lma"), *args], check=True, capture_output=True,
                          text=True)


def send(lab, dst, port, n=20):
    lab.run("cn", PYTHON, "-c", UDP, dst, str(port), str(n))


def test_flow_y_moves_to_mag1_without_signaling_and_the_caches_match_figure_3(lab):
    configure(lab, lma=lma_yaml(dataplane(lab, "lma")), mag1=mag_yaml(1, MAG1, "wlan", dataplane(lab, "mag1")),
              mag2=mag_yaml(2, MAG2, "eutran", dataplane(lab, "mag2")), mn=mn_yaml(if2_shared=True))
    with lab.capture("lma", "any") as signaling:
        # 1. Attach if1 via MAG1, then if2 via MAG2 sharing the prefix (HI 6).
        entries = attach_if1_then_if2(lab)
        by_bid = {e["bid"]: e for e in entries}
        pref1 = by_bid[1]["prefixes"]
        assert by_bid[2]["prefixes"] == pref1 and by_bid[2]["shares_prefixes"]
        if1 = wait_for("pref1 on if1", lambda: addresses(lab, "if1"))[0]
        if2 = wait_for("pref1 on if2", lambda: addresses(lab, "if2"))[0]
        assert if1 != if2 and if1.split(":")[:4] == if2.split(":")[:4], (if1, if2)

        # 2. Flow X through MAG1, flow Y through MAG2 (the LMA's policy, set by the operator).
        ctl_lma(lab, "flow", "set", MN, "1", "10", "1", f"{{dst: {pref1[0]}, protocol: udp, dst_ports: 5001}}")
        ctl_lma(lab, "flow", "set", MN, "2", "20", "2", f"{{dst: {pref1[0]}, protocol: udp, dst_ports: 5002}}")
        t0 = tunnels(lab)
        send(lab, if1, 5001)
        send(lab, if1, 5002)
        t1 = tunnels(lab)
        assert t1[MAG1]["tx_packets"] - t0[MAG1]["tx_packets"] == 20   # X
        assert t1[MAG2]["tx_packets"] - t0[MAG2]["tx_packets"] == 20   # Y

        # 3. Move Y to MAG1: the flow mobility cache changes, no message is sent.
        stats0 = lab.ctl("lma", "stats")
        ctl_lma(lab, "flow", "move", MN, "2", "1")
        wait_for("the move applied", lambda: [f for f in lab.ctl("lma", "flows") if f["fid"] == 2
                                              and f["bids"] == [1] and not f["pending"]])
        with lab.capture("mag1", "acc0") as acc1, lab.capture("mag2", "acc0") as acc2:
            send(lab, if1, 5001)
            send(lab, if2, 5002)  # Y to the other address of pref1: still through MAG1
        t2 = tunnels(lab)
        stats1 = lab.ctl("lma", "stats")
    assert t2[MAG1]["tx_packets"] - t1[MAG1]["tx_packets"] == 40, (t1, t2)
    assert t2[MAG2]["tx_packets"] == t1[MAG2]["tx_packets"], (t1, t2)
    assert len(tshark(acc1, "udp.dstport == 5002")) == 20  # delivered to the MN over if1
    assert tshark(acc2, "udp && !icmpv6") == []  # (the MN's port-unreachable errors may go up there)
    assert stats1["fmi_sent"] == stats0["fmi_sent"] == 0, (stats0, stats1)
    # No Update Notification (MH type 11) anywhere: only the registrations were signaled.
    assert {t[0] for t in tshark(signaling, "mipv6", ("mip6.mhtype",))} == {"5", "6"}
    assert_oracle_clean(lab, signaling)

    # 4. Figure 3.
    bce = sorted((e["mn"], e["bid"], e["proxy_coa"], tuple(e["prefixes"])) for e in active(lab.ctl("lma", "bindings")))
    assert bce == [(MN, 1, MAG1, tuple(pref1)), (MN, 2, MAG2, tuple(pref1))]
    fmc = sorted((f["fid"], f["bids"], f["active"]) for f in lab.ctl("lma", "flows"))
    assert fmc == [(1, [1], True), (2, [1], True)]
