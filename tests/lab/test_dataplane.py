"""The kernel data plane in the lab (issue 5): cn reaches the MN through the LMA's and the
MAGs' tc eBPF tunnels (no ip6tnl device anywhere) with ping and TCP; a flow moved with
`pmipx ctl flow move` changes tunnel while another flow to the same address stays put, and a
TCP connection whose flow moves keeps running to the last byte."""
import json
import pathlib
import subprocess
import time

from conftest import PYTHON
from test_signaling import MN, active, configure, lma_yaml, mag_yaml, mn_yaml, wait_for

PING6 = pathlib.Path(__file__).resolve().with_name("ping6.py")


def dataplane(lab, node):
    return f"dataplane: {{mode: bpf, pin_dir: {lab.state_dir}/bpf/{node}}}\n"


def start_lab(lab):
    configure(lab, lma=lma_yaml(dataplane(lab, "lma")),
              mag1=mag_yaml(1, "2001:db8:1::2", "wlan", dataplane(lab, "mag1")),
              mag2=mag_yaml(2, "2001:db8:2::2", "eutran", dataplane(lab, "mag2")), mn=mn_yaml())
    lab.start("lma", "mag1", "mag2", "mn")
    wait_for("two active bindings", lambda: len(active(lab.ctl("lma", "bindings"))) == 2)
    addr = {}
    for ifname in ("if1", "if2"):
        found = wait_for(f"an address on {ifname}", lambda: [a["local"] for a in json.loads(
            lab.run("mn", "ip", "-6", "-j", "addr", "show", "dev", ifname).stdout)[0]["addr_info"]
            if a.get("scope") == "global"])
        addr[ifname] = found[0]
    return addr


def tunnels(lab):
    return {t["remote"]: t for t in lab.ctl("lma", "dataplane")["kernel"]["tunnels"]}


def ping(lab, dst, count=3):
    return lab.run("cn", PYTHON, str(PING6), "-c", str(count), "-W", "1", dst, check=False)


def udp(lab, dst, n=5):
    code = ("import socket\ns = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
            f"[s.sendto(b'x' * 32, ('{dst}', 9)) for _ in range({n})]\n")
    lab.run("cn", PYTHON, "-c", code)


def test_cn_reaches_the_mn_through_each_mag_and_a_moved_flow_changes_tunnel(lab):
    addr = start_lab(lab)
    by_mag = {b["proxy_coa"]: b for b in lab.ctl("lma", "bindings")}
    mag1, mag2 = "2001:db8:1::2", "2001:db8:2::2"

    # Through each MAG, both ways.
    t0 = tunnels(lab)
    assert ping(lab, addr["if1"]).returncode == 0
    assert ping(lab, addr["if2"]).returncode == 0
    t1 = tunnels(lab)
    assert t1[mag1]["tx_packets"] - t0[mag1]["tx_packets"] >= 3
    assert t1[mag2]["tx_packets"] - t0[mag2]["tx_packets"] >= 3
    assert t1[mag1]["rx_packets"] > t0[mag1]["rx_packets"]  # uplink decapsulated at the LMA

    # Move ICMPv6 to if1's address over to mag2 (FMI/FMA: mag2 routes pref1 off-link).
    sel = f"{{dst: {addr['if1']}, protocol: icmpv6}}"
    subprocess.run([lab_bin(), "ctl", "--netns", lab.ns("lma"), "flow", "set", MN, "1", "10",
                    str(by_mag[mag1]["bid"]), sel], check=True, capture_output=True)
    subprocess.run([lab_bin(), "ctl", "--netns", lab.ns("lma"), "flow", "move", MN, "1",
                    str(by_mag[mag2]["bid"])], check=True, capture_output=True)
    wait_for("the move applied", lambda: [f for f in lab.ctl("lma", "flows")
                                          if f["bids"] == [by_mag[mag2]["bid"]] and not f["pending"]])
    t2 = tunnels(lab)
    with lab.capture("mag2", "wan0") as pcap:
        assert ping(lab, addr["if1"]).returncode == 0
        udp(lab, addr["if1"])  # another flow to the same address
    t3 = tunnels(lab)
    moved = [f for f in lab.ctl("lma", "flows") if f["fid"] == 1][0]
    assert moved["packets"] >= 3, moved  # the rule's own counter in the BPF map
    assert t3[mag2]["tx_packets"] - t2[mag2]["tx_packets"] >= 3   # the echo requests moved
    assert t3[mag1]["tx_packets"] - t2[mag1]["tx_packets"] >= 5   # the UDP flow stayed
    encapsulated = subprocess.run(["tshark", "-r", str(pcap), "-Y", "ipv6.nxt == 41 && icmpv6.type == 128",
                                   "-T", "fields", "-e", "frame.number"], capture_output=True, text=True,
                                  check=True).stdout.split()
    assert len(encapsulated) >= 3, "no IPv6-in-IPv6 echo request on mag2's WAN link"

    # No ip6tnl (or any tunnel device) in any node.
    for node in ("cn", "lma", "mag1", "mag2", "mn"):
        links = json.loads(lab.run(node, "ip", "-d", "-j", "link", "show").stdout)
        kinds = {l.get("linkinfo", {}).get("info_kind") for l in links}
        assert not kinds & {"ip6tnl", "ip6gre", "sit", "vti6"}, (node, kinds)


def lab_bin():
    from conftest import PMIPX_BIN
    return PMIPX_BIN


PTB_PROBE = """
import errno, socket, sys, time
dst = sys.argv[1]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, 62, 1)  # IPV6_DONTFRAG: no source fragmentation
s.connect((dst, 9))
results = []
for size in (1452, 1452):                   # 1500 octets on the wire: too big for the tunnel
    try:
        s.send(b"x" * size)
        results.append("sent")
    except OSError as e:
        results.append("EMSGSIZE" if e.errno == errno.EMSGSIZE else str(e))
    time.sleep(0.5)
mtu = s.getsockopt(socket.IPPROTO_IPV6, 24)  # IPV6_MTU: the path MTU the kernel learned
fits = mtu - 48                              # what fits the learned path MTU goes through
for attempt in range(3):                     # (an EMSGSIZE already queued is reported first)
    try:
        s.send(b"x" * fits)
        break
    except OSError:
        time.sleep(0.2)
print(" ".join(results), mtu, fits + 48)
"""


def test_too_big_for_the_tunnel_gets_packet_too_big_and_nothing_is_fragmented(lab):
    addr = start_lab(lab)
    # The MAG advertised link MTU - 40 and the MN applied it (RFC 4861 §6.3.4).
    assert lab.run("mn", "cat", "/proc/sys/net/ipv6/conf/if1/mtu").stdout.strip() == "1460"
    t0 = tunnels(lab)["2001:db8:1::2"]
    with lab.capture("mag1", "wan0") as pcap:
        out = lab.run("cn", PYTHON, "-c", PTB_PROBE, addr["if1"]).stdout.split()
    # The first 1500-octet datagram left cn and drew a Packet Too Big from the LMA (its route
    # to the MN prefix has MTU 1460); then cn knows the path MTU and sends what fits.
    assert out[0] == "sent" and out[1] == "EMSGSIZE" and out[2] == "1460", out
    t1 = tunnels(lab)["2001:db8:1::2"]
    assert t1["tx_bytes"] - t0["tx_bytes"] == int(out[3]) + 40  # the packet that fit + the outer header
    fragments = subprocess.run(["tshark", "-r", str(pcap), "-Y", "ipv6.fragment || ipv6.nxt == 44",
                                "-T", "fields", "-e", "frame.number"], capture_output=True, text=True,
                               check=True).stdout.split()
    assert fragments == [], "fragments inside the tunnel"


TCP_STREAM = pathlib.Path(__file__).resolve().with_name("tcp_stream.py")


class TcpTransfer:
    """A sink on the MN and a paced source on cn; result() waits for both."""

    def __init__(self, lab, dst, port, nbytes, seconds=0.0, sport=0):
        self.sink = subprocess.Popen(["ip", "netns", "exec", lab.ns("mn"), PYTHON, str(TCP_STREAM), "sink", dst,
                                      str(port), "--timeout", "30"], stdout=subprocess.PIPE, text=True)
        assert json.loads(self.sink.stdout.readline()) == {"listening": True}
        self.source = subprocess.Popen(["ip", "netns", "exec", lab.ns("cn"), PYTHON, str(TCP_STREAM), "source", dst,
                                        str(port), "--bytes", str(nbytes), "--seconds", str(seconds),
                                        "--sport", str(sport)],
                                       stdout=subprocess.PIPE, text=True)

    def result(self):
        sent = json.loads(self.source.communicate(timeout=60)[0])
        received = json.loads(self.sink.communicate(timeout=60)[0])
        return sent, received


def test_tcp_transfers_reach_the_mn_through_each_mag(lab):
    addr = start_lab(lab)
    for ifname, mag in (("if1", "2001:db8:1::2"), ("if2", "2001:db8:2::2")):
        t0 = tunnels(lab)[mag]
        sent, received = TcpTransfer(lab, addr[ifname], 5001, 2_000_000).result()
        assert sent["error"] is None and received["error"] is None, (sent, received)
        assert received["bytes"] == 2_000_000 and received["sha256"] == sent["sha256"]
        t1 = tunnels(lab)[mag]
        assert t1["tx_bytes"] - t0["tx_bytes"] > 2_000_000, (ifname, t0, t1)  # data downlink in the tunnel
        assert t1["rx_packets"] > t0["rx_packets"]                           # ACKs uplink out of it


def test_a_tcp_connection_survives_its_flow_moving_to_the_other_mag(lab):
    addr = start_lab(lab)
    by_mag = {b["proxy_coa"]: b for b in lab.ctl("lma", "bindings")}
    mag1, mag2 = "2001:db8:1::2", "2001:db8:2::2"
    sel = f"{{dst: {addr['if1']}, protocol: tcp, dst_ports: 5001}}"
    subprocess.run([lab_bin(), "ctl", "--netns", lab.ns("lma"), "flow", "set", MN, "1", "10",
                    str(by_mag[mag1]["bid"]), sel], check=True, capture_output=True)
    t0 = tunnels(lab)
    with lab.capture("mag2", "wan0") as pcap:
        transfer = TcpTransfer(lab, addr["if1"], 5001, 6_000_000, seconds=4.0)
        time.sleep(1.5)
        t1 = tunnels(lab)
        subprocess.run([lab_bin(), "ctl", "--netns", lab.ns("lma"), "flow", "move", MN, "1",
                        str(by_mag[mag2]["bid"])], check=True, capture_output=True)
        wait_for("the move applied", lambda: [f for f in lab.ctl("lma", "flows")
                                              if f["bids"] == [by_mag[mag2]["bid"]] and not f["pending"]])
        sent, received = transfer.result()
    t2 = tunnels(lab)
    assert sent["error"] is None and received["error"] is None, (sent, received)
    assert received["bytes"] == 6_000_000 and received["sha256"] == sent["sha256"]
    # Before the move the data went through mag1's tunnel, after it through mag2's.
    assert t1[mag1]["tx_bytes"] - t0[mag1]["tx_bytes"] > 1_000_000, (t0, t1)
    assert t1[mag2]["tx_bytes"] - t0[mag2]["tx_bytes"] < 100_000, (t0, t1)
    assert t2[mag2]["tx_bytes"] - t1[mag2]["tx_bytes"] > 1_000_000, (t1, t2)
    moved = [f for f in lab.ctl("lma", "flows") if f["fid"] == 1][0]
    assert moved["bytes"] >= 6_000_000, moved  # the rule's own counter, kept across the move
    seen = subprocess.run(["tshark", "-r", str(pcap), "-Y", "ipv6.nxt == 41 && tcp.dstport == 5001",
                           "-T", "fields", "-e", "frame.number"], capture_output=True, text=True,
                          check=True).stdout.split()
    assert len(seen) > 100, "the connection's segments are not in mag2's tunnel"


def test_a_deregistered_binding_drops_its_traffic_until_it_is_deleted(lab):
    # RFC 5213 §5.3.5: during MinDelayBeforeBCEDelete the entry stays, its traffic is dropped.
    configure(lab, lma=lma_yaml(dataplane(lab, "lma")).replace("min_delay_before_bce_delete_ms: 500",
                                                               "min_delay_before_bce_delete_ms: 6000"),
              mag1=mag_yaml(1, "2001:db8:1::2", "wlan", dataplane(lab, "mag1")), mn=mn_yaml(if2=False))
    lab.start("lma", "mag1", "mn")
    wait_for("registration", lambda: active(lab.ctl("lma", "bindings")))
    binding = lab.ctl("lma", "bindings")[0]
    prefix = binding["prefixes"][0]
    dst = prefix.split("/")[0] + "1"  # any address of the prefix: the LMA routes the prefix
    stats = lambda: lab.ctl("lma", "dataplane")["kernel"]["stats"]
    s0 = stats()
    ping(lab, dst, count=2)
    assert stats().get("encap_done", 0) - s0.get("encap_done", 0) >= 2

    lab.run("mn", "ip", "link", "set", "if1", "down")  # mag1 de-registers the MN
    wait_for("delete-pending", lambda: [b for b in lab.ctl("lma", "bindings") if b["state"] == "delete-pending"])
    s1 = stats()
    assert ping(lab, dst, count=3).returncode != 0
    s2 = stats()
    assert s2.get("encap_prefix_drop", 0) - s1.get("encap_prefix_drop", 0) >= 3, (s1, s2)
    assert s2.get("encap_done", 0) == s1.get("encap_done", 0), (s1, s2)

    wait_for("the entry deleted", lambda: lab.ctl("lma", "bindings") == [], timeout=15)
    assert lab.run("lma", "ip", "-6", "route", "show", prefix).stdout.strip() == ""


MULTIPATH_POLICY = """    multipath:
      distribution: per-packet
      weights: {{1: 3, 2: 1}}
      rules:
        - {{id: 1, priority: 10, selector: {{protocol: udp, dst_ports: {port}}}, labels: [2, 1]}}
"""

UDP_BURST = """
import socket, sys
dst, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(n):
    s.sendto(b"m" * 16, (dst, port))
"""


def test_multipath_spreads_packets_by_weight_and_label_rules_pin_flows_to_a_path(lab):
    # Seed 004 / RFC 8278 §3.2: mag1 registers the MN over wan0 (label 1, "RED") and wan1
    # (label 2, "BLUE"); both ends spread per packet 3:1 and send UDP port 7001 (downlink) /
    # 7002 (uplink) over BLUE.
    red, blue = "2001:db8:1::2", "2001:db8:3::2"
    lma = lma_yaml(dataplane(lab, "lma")).replace(
        "    features: {shared_prefixes: true}\n",
        "    features: {shared_prefixes: true, multipath: true}\n" + MULTIPATH_POLICY.format(port=7001))
    mag1 = mag_yaml(1, red, "wlan", dataplane(lab, "mag1")).replace(
        f"proxy_coa: {red}\n",
        f"wan_links:\n  - {{interface: wan0, address: {red}, label: 1}}\n"
        f"  - {{interface: wan1, address: {blue}, att: eutran, label: 2}}\n").replace(
        '"02:00:00:00:02:01"]}', '"02:00:00:00:02:01"], multipath: true}')
    mag1 += MULTIPATH_POLICY.replace("    ", "", 1).replace("\n    ", "\n").format(port=7002)
    configure(lab, lma=lma, mag1=mag1, mn=mn_yaml(if2=False))
    lab.start("lma", "mag1", "mn")
    wait_for("two paths", lambda: len(active(lab.ctl("lma", "bindings"))) == 2)
    mn_addr = wait_for("the MN's address", lambda: [a["local"] for a in json.loads(
        lab.run("mn", "ip", "-6", "-j", "addr", "show", "dev", "if1").stdout)[0]["addr_info"]
        if a.get("scope") == "global"])[0]
    wait_for("the LMA's plan", lambda: lab.ctl("lma", "dataplane")["kernel"]["multipath"])
    wait_for("the MAG's plan", lambda: lab.ctl("mag1", "dataplane")["multipath"])
    mag_tunnels = lambda: {t["local"]: t for t in lab.ctl("mag1", "dataplane")["tunnels"]}

    def delta(before, after, key):
        return {coa: after[coa][key] - before[coa][key] for coa in (red, blue)}

    n = 40000
    # Downlink, default distribution: 3:1 within 5 %.
    t0 = tunnels(lab)
    lab.run("cn", PYTHON, "-c", UDP_BURST, mn_addr, "9", str(n))
    d = delta(t0, tunnels(lab), "tx_packets")
    assert d[red] + d[blue] == n, d
    assert abs(d[red] / d[blue] - 3) <= 0.15, d
    # Uplink, default distribution, at the MAG.
    m0 = mag_tunnels()
    lab.run("mn", PYTHON, "-c", UDP_BURST, "2001:db8:c::2", "9", str(n))
    u = delta(m0, mag_tunnels(), "tx_packets")
    assert u[red] + u[blue] >= n, u
    assert abs(u[red] / u[blue] - 3) <= 0.15, u

    # Label rules: every packet of the pinned flows over BLUE, none over RED. One direction
    # at a time: the far end answers a port with no listener with an ICMPv6 error, which
    # takes the default distribution the other way.
    time.sleep(0.5)
    m1 = mag_tunnels()
    lab.run("mn", PYTHON, "-c", UDP_BURST, "2001:db8:c::2", "7002", "500")
    u = delta(m1, mag_tunnels(), "tx_packets")
    assert u == {red: 0, blue: 500}, u
    time.sleep(0.5)
    t1, m2 = tunnels(lab), mag_tunnels()
    lab.run("cn", PYTHON, "-c", UDP_BURST, mn_addr, "7001", "500")
    d = delta(t1, tunnels(lab), "tx_packets")
    assert d == {red: 0, blue: 500}, d
    # And they arrived: mag1 decapsulated them from BLUE.
    assert delta(m2, mag_tunnels(), "rx_packets")[blue] == 500
