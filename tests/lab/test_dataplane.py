"""The kernel data plane in the lab (issue 5, first slice): cn reaches the MN through the
LMA's and the MAGs' tc eBPF tunnels (no ip6tnl device anywhere), and a flow moved with
`pmipx ctl flow move` changes tunnel while another flow to the same address stays put."""
import json
import pathlib
import subprocess

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
