"""Seed 004 (RFC 8278), MAG multipath on real traffic: mag1 registers the MN over its two WAN
links, RED (wan0, label 1) and BLUE (wan1, label 2). A label rule sends one flow over RED and
falls back to BLUE: when RED goes down the path is de-registered over BLUE and the flow follows
in both directions; when RED returns, so does the flow.

    cn -- LMA ==RED== mag1 -- MN (if1)
              ==BLUE=="""
import json
import subprocess
import time

from conftest import PYTHON
from test_dataplane import UDP_BURST, TcpTransfer, dataplane, lab_bin, tunnels
from test_primary_hoa import tshark
from test_signaling import MN, active, assert_oracle_clean, configure, lma_yaml, mag_yaml, mn_yaml, wait_for

RED, BLUE = "2001:db8:1::2", "2001:db8:3::2"
CN = "2001:db8:c::2"

POLICY = """multipath:
  distribution: per-flow
  rules:
    - {{id: 1, priority: 10, selector: {{{selector}}}, labels: [1, 2]}}
"""
# "Web over RED, else BLUE": the LMA's rule describes packets to the MN (from port 80), the
# MAG's the MN's packets to the web server (configuration.md, "Orientation").
WEB_DOWN, WEB_UP = "protocol: tcp, src_ports: 80", "protocol: tcp, dst_ports: 80"


def indent(text, n):
    return "".join(" " * n + line + "\n" for line in text.splitlines())


def start(lab, down="protocol: udp, dst_ports: 7001", up="protocol: udp, dst_ports: 7002"):
    lma = lma_yaml(dataplane(lab, "lma")).replace(
        "    features: {shared_prefixes: true}\n",
        "    features: {shared_prefixes: true, multipath: true}\n" + indent(POLICY.format(selector=down), 4))
    mag1 = mag_yaml(1, RED, "wlan", dataplane(lab, "mag1")).replace(
        f"proxy_coa: {RED}\n",
        f"wan_links:\n  - {{interface: wan0, address: {RED}, label: 1}}\n"
        f"  - {{interface: wan1, address: {BLUE}, att: eutran, label: 2}}\n").replace(
        '"02:00:00:00:02:01"]}', '"02:00:00:00:02:01"], multipath: true}') + POLICY.format(selector=up)
    configure(lab, lma=lma, mag1=mag1, mn=mn_yaml(if2=False))
    with lab.capture("lma", "any") as signaling:
        lab.start("lma", "mag1", "mn")
        wait_for("two paths", lambda: len(active(lab.ctl("lma", "bindings"))) == 2)
    assert_registered_with_multipath_options(lab, signaling)
    return wait_for("the MN's address", lambda: [a["local"] for a in json.loads(
        lab.run("mn", "ip", "-6", "-j", "addr", "show", "dev", "if1").stdout)[0]["addr_info"]
        if a.get("scope") == "global"])[0]


def assert_registered_with_multipath_options(lab, pcap):
    """RFC 8278 §4: a PBU over each WAN link with the MAG Multipath Binding option (its
    label) and the MAG Identifier; each PBA accepts it and carries the option back."""
    assert_oracle_clean(lab, pcap)
    frames = json.loads(subprocess.run([lab_bin(), "decode", "--json", str(pcap)], capture_output=True,
                                       text=True, check=True).stdout)["frames"]
    pbus = {f["src"]: f["message"] for f in frames if f["message"]["mh_type"]["value"] == 5}
    pbas = {f["dst"]: f["message"] for f in frames if f["message"]["mh_type"]["value"] == 6}
    assert set(pbus) == {RED, BLUE} and set(pbas) == {RED, BLUE}, (list(pbus), list(pbas))
    for coa, label in ((RED, 1), (BLUE, 2)):
        opts = {o["option"]: o for o in pbus[coa]["options"]}
        assert opts["MAG Multipath Binding"]["if_label"] == label, opts
        assert opts["MAG Identifier"]["identifier"] == "mag1@example.com", opts
        assert pbas[coa]["status"]["value"] == 0
        assert "MAG Multipath Binding" in [o["option"] for o in pbas[coa]["options"]], pbas[coa]


def mag_tunnels(lab):
    return {t["local"]: t for t in lab.ctl("mag1", "dataplane")["tunnels"]}


def pinned_flow_path(lab, mn_addr, n=100):
    """Which path carries n packets of the pinned flow each way: (downlink, uplink)."""
    t0, m0 = tunnels(lab), mag_tunnels(lab)
    lab.run("cn", PYTHON, "-c", UDP_BURST, mn_addr, "7001", str(n))
    t1 = tunnels(lab)
    lab.run("mn", PYTHON, "-c", UDP_BURST, CN, "7002", str(n))
    m1 = mag_tunnels(lab)
    down = {coa: t1[coa]["tx_packets"] - t0[coa]["tx_packets"] for coa in t1 if coa in t0}
    up = {coa: m1[coa]["tx_packets"] - m0.get(coa, {"tx_packets": 0})["tx_packets"] for coa in m1}
    pick = lambda d: [coa for coa, c in d.items() if c >= n]
    return pick(down), pick(up), down, up


def test_a_flow_pinned_to_red_falls_back_to_blue_when_red_fails_and_returns_with_it(lab):
    mn_addr = start(lab)
    down, up, *_ = pinned_flow_path(lab, mn_addr)
    assert (down, up) == ([RED], [RED]), _

    # RED fails. Its address stays (as on a modem that lost its bearer); its routes go.
    lab.run("mag1", "sysctl", "-qw", "net.ipv6.conf.wan0.keep_addr_on_down=1")
    lab.run("mag1", "ip", "link", "set", "wan0", "down")
    wait_for("RED de-registered", lambda: [b["proxy_coa"] for b in active(lab.ctl("lma", "bindings"))] == [BLUE])
    down, up, d, u = pinned_flow_path(lab, mn_addr)
    assert (down, up) == ([BLUE], [BLUE]), (d, u)
    assert lab.ctl("mag1", "counters")["path_failovers"] >= 1

    lab.run("mag1", "ip", "link", "set", "wan0", "up")
    wait_for("wan0's connected route", lambda: "2001:db8:1::/64" in lab.run("mag1", "ip", "-6", "route").stdout)
    lab.run("mag1", "ip", "-6", "route", "replace", "2001:db8:ffff::1/128", "via", "2001:db8:1::1", "dev", "wan0")
    wait_for("RED back", lambda: len(active(lab.ctl("lma", "bindings"))) == 2, timeout=40)
    wait_for("the plan with RED", lambda: pinned_flow_path(lab, mn_addr, n=20)[:2] == ([RED], [RED]), timeout=20)


def single_path_fallback(lab, lma_text):
    mag1 = mag_yaml(1, RED, "wlan", dataplane(lab, "mag1")).replace(
        f"proxy_coa: {RED}\n",
        f"wan_links:\n  - {{interface: wan0, address: {RED}, label: 1}}\n"
        f"  - {{interface: wan1, address: {BLUE}, att: eutran, label: 2}}\n").replace(
        '"02:00:00:00:02:01"]}', '"02:00:00:00:02:01"], multipath: true}')
    configure(lab, lma=lma_text, mag1=mag1, mn=mn_yaml(if2=False))
    with lab.capture("lma", "any") as signaling:
        lab.start("lma", "mag1", "mn")
        wait_for("one binding", lambda: active(lab.ctl("lma", "bindings")))
        mn_addr = wait_for("the MN's address", lambda: [a["local"] for a in json.loads(
            lab.run("mn", "ip", "-6", "-j", "addr", "show", "dev", "if1").stdout)[0]["addr_info"]
            if a.get("scope") == "global"])[0]
        wait_for("the MAG's fallback", lambda: lab.ctl("mag1", "counters")["multipath_refused"] >= 1)
    bindings = active(lab.ctl("lma", "bindings"))
    assert [b["proxy_coa"] for b in bindings] == [RED] and "multipath" not in bindings[0], bindings
    assert lab.ctl("mag1", "dataplane")["multipath"] == []
    t0 = tunnels(lab)
    lab.run("cn", PYTHON, "-c", UDP_BURST, mn_addr, "9", "50")
    t1 = tunnels(lab)
    assert t1[RED]["tx_packets"] - t0[RED]["tx_packets"] == 50 and BLUE not in t1, (t0, t1)
    return signaling


def test_an_unauthorized_mn_gets_180_and_the_mag_falls_back_to_one_path(lab):
    # The LMA's profile does not grant multipath: PBA 180 (RFC 8278 §4.3), then one path.
    pcap = single_path_fallback(lab, lma_yaml(dataplane(lab, "lma")))
    statuses = [s[0] for s in tshark(pcap, "mip6.mhtype == 6", ("mip6.ba.status",))]
    assert "180" in statuses and "0" in statuses, statuses


def test_an_lma_without_multipath_support_makes_the_mag_use_one_path(lab):
    # RFC 8278 §4.4: an LMA that ignores the options answers without them; the MAG notices.
    lma = lma_yaml(dataplane(lab, "lma") + "multipath: false\n").replace(
        "    features: {shared_prefixes: true}\n", "    features: {shared_prefixes: true, multipath: true}\n")
    pcap = single_path_fallback(lab, lma)
    statuses = [s[0] for s in tshark(pcap, "mip6.mhtype == 6", ("mip6.ba.status",))]
    assert statuses and set(statuses) == {"0"}, statuses


def qdisc_sent_bytes(lab, node, dev):
    """Bytes the node's root TBF qdisc on dev has sent (mag1's BLUE link is shaped as "LTE")."""
    out = json.loads(lab.run(node, "tc", "-s", "-j", "qdisc", "show", "dev", dev).stdout)
    return next(q["bytes"] for q in out if q["kind"] == "tbf")


def test_web_traffic_goes_over_red_and_a_tcp_download_survives_falling_back_to_shaped_blue(lab):
    """Issue 6 scenario 5: "web over RED, else BLUE" (RFC 8278 label rules at the LMA and
    at the MAG). A paced download from port 80 runs over RED; RED fails in the middle; the
    rest goes over BLUE, the rate-limited "LTE" link, and arrives byte for byte."""
    mn_addr = start(lab, down=WEB_DOWN, up=WEB_UP)
    t0, blue0 = tunnels(lab), qdisc_sent_bytes(lab, "lma", "mag1b")
    transfer = TcpTransfer(lab, mn_addr, 5080, 6_000_000, seconds=5.0, sport=80)
    time.sleep(1.5)
    t1 = tunnels(lab)
    lab.run("mag1", "sysctl", "-qw", "net.ipv6.conf.wan0.keep_addr_on_down=1")
    lab.run("mag1", "ip", "link", "set", "wan0", "down")
    wait_for("RED de-registered", lambda: [b["proxy_coa"] for b in active(lab.ctl("lma", "bindings"))] == [BLUE])
    sent, received = transfer.result()
    t2, blue2 = tunnels(lab), qdisc_sent_bytes(lab, "lma", "mag1b")
    assert sent["error"] is None and received["error"] is None, (sent, received)
    assert received["bytes"] == 6_000_000 and received["sha256"] == sent["sha256"]
    assert t1[RED]["tx_bytes"] - t0[RED]["tx_bytes"] > 1_000_000, (t0, t1)       # RED first
    assert t1[BLUE]["tx_bytes"] - t0[BLUE]["tx_bytes"] < 100_000, (t0, t1)       # not BLUE
    assert t2[BLUE]["tx_bytes"] - t1[BLUE]["tx_bytes"] > 1_000_000, (t1, t2)     # then BLUE
    assert blue2 - blue0 > 1_000_000, (blue0, blue2)  # through the LTE link's token bucket
