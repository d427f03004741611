"""Seed 003, the primary-HoA scheme on real traffic (issue 5 data plane): the MN's if1 holds
the primary HoA, if2 has the higher interface priority. Downlink to the primary HoA leaves the
LMA towards mag2 with the destination rewritten into if2's prefix and a type 2 routing header
holding the primary HoA; the MN's ingress program swaps them back. The MN's answer leaves
through if2 with if2's address as source and the primary HoA option; the LMA restores the
primary HoA as source and strips the option. Raising if1's priority hands traffic back."""
import ipaddress
import json
import subprocess
import time

from conftest import PYTHON, PING6
from test_signaling import MN, active, assert_oracle_clean, configure, lma_yaml, mag_yaml, wait_for
from test_dataplane import dataplane, lab_bin, ping

MAG1, MAG2 = "2001:db8:1::2", "2001:db8:2::2"


def mn_yaml(lab):
    return f"""id: {MN}
rs_interval_ms: 500
primary_hoa: true
interfaces:
  - {{interface: if1, att: wlan, ifp: 5, primary: true}}
  - {{interface: if2, att: eutran, ifp: 10}}
dataplane: {{mode: bpf, pin_dir: {lab.state_dir}/bpf/mn}}
api: {{address: 127.0.0.1, port: 7782}}
log: {{level: debug}}
"""


def global_address(lab, ifname):
    return wait_for(f"an address on {ifname}", lambda: [a["local"] for a in json.loads(
        lab.run("mn", "ip", "-6", "-j", "addr", "show", "dev", ifname).stdout)[0]["addr_info"]
        if a.get("scope") == "global"])[0]


def tshark(pcap, display_filter, fields=("frame.number",)):
    cmd = ["tshark", "-r", str(pcap), "-Y", display_filter, "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def start(lab):
    lma = lma_yaml(dataplane(lab, "lma")).replace("features: {shared_prefixes: true}",
                                                  "features: {shared_prefixes: true, primary_hoa: true}")
    configure(lab, lma=lma, mag1=mag_yaml(1, MAG1, "wlan", dataplane(lab, "mag1")),
              mag2=mag_yaml(2, MAG2, "eutran", dataplane(lab, "mag2")), mn=mn_yaml(lab))
    with lab.capture("lma", "any") as signaling:
        lab.start("lma", "mag1", "mag2", "mn")
        wait_for("two active bindings", lambda: len(active(lab.ctl("lma", "bindings"))) == 2)
        hoa, if2 = global_address(lab, "if1"), global_address(lab, "if2")
        wait_for("the LMA's rewrite", lambda: [p for p in lab.ctl("lma", "dataplane")["kernel"]["primary_hoa"]
                                               if p["rewrites"]])
    assert_ifp_and_p_reached_the_lma(lab, signaling)
    route = wait_for("the MN's primary HoA via if2", lambda: lab.ctl("mn", "dataplane")["primary_hoa_route"])
    assert route["interface"] == "if2" and route["mtu"] == 1460 - 24, route
    return hoa, if2


def assert_ifp_and_p_reached_the_lma(lab, pcap):
    """Seed 003 §4: each MAG's PBUs carry the MN's interface priority (IFP) in the MN
    Link-layer Identifier option, mag1's with P set for the primary interface; judged by the
    oracle and decoded by pmipx decode."""
    assert_oracle_clean(lab, pcap)
    frames = json.loads(subprocess.run([lab_bin(), "decode", "--json", str(pcap)], capture_output=True, text=True,
                                       check=True).stdout)["frames"]
    seen = {(f["src"], o["ifp"], o["primary"]) for f in frames if f["message"]["mh_type"]["value"] == 5
            for o in f["message"]["options"] if o["option"] == "MN Link-layer ID"}
    assert (MAG1, 5, True) in seen and (MAG2, 10, False) in seen, seen


def lma_stats(lab):
    return lab.ctl("lma", "dataplane")["kernel"]["stats"]


def test_downlink_to_the_primary_hoa_takes_the_higher_priority_interface_with_a_type_2_routing_header(lab):
    hoa, if2 = start(lab)
    # One interface identifier on both interfaces: the LMA rewrites only the prefix.
    assert ipaddress.IPv6Address(hoa).packed[8:] == ipaddress.IPv6Address(if2).packed[8:], (hoa, if2)
    s0, m0 = lma_stats(lab), lab.ctl("mn", "dataplane")["stats"]
    with lab.capture("mag2", "acc0") as acc2, lab.capture("mag1", "acc0") as acc1, \
            lab.capture("cn", "eth0") as cn:
        assert ping(lab, hoa, count=3).returncode == 0
    s1, m1 = lma_stats(lab), lab.ctl("mn", "dataplane")["stats"]

    # On mag2's access link: the echo requests to if2's address carry RH2 with the primary
    # HoA; the replies come from if2's address with the primary HoA option.
    requests = tshark(acc2, "icmpv6.type == 128 && ipv6.routing.type == 2", ("ipv6.dst", "ipv6.routing.mipv6.home_address"))
    assert len(requests) == 3, requests
    assert all(r[0] == if2 and hoa in r[1] for r in requests), requests
    replies = tshark(acc2, "icmpv6.type == 129 && ipv6.dstopts", ("ipv6.src",))
    assert len(replies) == 3 and all(r[0] == if2 for r in replies), replies
    assert tshark(acc1, "icmpv6.type == 128 || icmpv6.type == 129") == []  # nothing via mag1
    # At cn: the replies come from the primary HoA, with neither header, checksums valid.
    at_cn = tshark(cn, "icmpv6.type == 129", ("ipv6.src", "icmpv6.checksum.status", "ipv6.nxt"))
    assert at_cn == [[hoa, "1", "58"]] * 3, at_cn
    assert s1.get("encap_hoa_rewritten", 0) - s0.get("encap_hoa_rewritten", 0) == 3, (s0, s1)
    assert s1.get("decap_hoa_restored", 0) - s0.get("decap_hoa_restored", 0) == 3, (s0, s1)
    assert sum(m1.values()) > sum(m0.values()), (m0, m1)


def test_raising_the_primary_interface_priority_hands_traffic_back_without_rewriting(lab):
    hoa, if2 = start(lab)
    subprocess.run([PMIPX_BIN(), "ctl", "--netns", lab.ns("mn"), "--port", "7782", "ifp", "if1", "20", "primary"],
                   check=True, capture_output=True)
    wait_for("no rewrite at the LMA", lambda: [p for p in lab.ctl("lma", "dataplane")["kernel"]["primary_hoa"]
                                               if not p["rewrites"]])
    wait_for("the MN's primary HoA back on if1",
             lambda: (lab.ctl("mn", "dataplane")["primary_hoa_route"] or {}).get("interface") == "if1")
    s0 = lma_stats(lab)
    with lab.capture("mag1", "acc0") as acc1, lab.capture("mag2", "acc0") as acc2:
        assert ping(lab, hoa, count=3).returncode == 0
    s1 = lma_stats(lab)
    plain = tshark(acc1, "icmpv6.type == 128 && !ipv6.routing", ("ipv6.dst",))
    assert plain == [[hoa]] * 3, plain
    assert tshark(acc1, "icmpv6.type == 129 && !ipv6.dstopts", ("ipv6.src",)) == [[hoa]] * 3
    assert tshark(acc2, "icmpv6.type == 128 || icmpv6.type == 129") == []
    assert s1.get("encap_hoa_rewritten", 0) == s0.get("encap_hoa_rewritten", 0)


def PMIPX_BIN():
    from conftest import PMIPX_BIN as b
    return b


def test_a_tcp_connection_on_the_primary_hoa_survives_the_hand_back(lab):
    # Seed 003 Figure 9: the connection starts over if2 (rewrite + RH2 down, option up) and
    # continues over if1 once IFP1 > IFP2, with no reset and every byte in order.
    from test_dataplane import TcpTransfer
    hoa, if2 = start(lab)
    s0 = lma_stats(lab)
    transfer = TcpTransfer(lab, hoa, 5001, 6_000_000, seconds=4.0)
    time.sleep(1.5)
    s1 = lma_stats(lab)
    subprocess.run([PMIPX_BIN(), "ctl", "--netns", lab.ns("mn"), "--port", "7782", "ifp", "if1", "20", "primary"],
                   check=True, capture_output=True)
    wait_for("no rewrite at the LMA", lambda: [p for p in lab.ctl("lma", "dataplane")["kernel"]["primary_hoa"]
                                               if not p["rewrites"]])
    s2 = lma_stats(lab)
    sent, received = transfer.result()
    s3 = lma_stats(lab)
    assert sent["error"] is None and received["error"] is None, (sent, received)
    assert received["bytes"] == 6_000_000 and received["sha256"] == sent["sha256"]
    assert received["peer"] == "2001:db8:c::2"
    rewritten = lambda a, b: b.get("encap_hoa_rewritten", 0) - a.get("encap_hoa_rewritten", 0)
    restored = lambda a, b: b.get("decap_hoa_restored", 0) - a.get("decap_hoa_restored", 0)
    assert rewritten(s0, s1) > 10 and restored(s0, s1) > 10, (s0, s1)  # over if2 first
    assert rewritten(s2, s3) == 0 and restored(s2, s3) == 0, (s2, s3)   # then plain over if1
