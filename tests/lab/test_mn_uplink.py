"""MN uplink rules as Linux policy routing ("MN agent: uplink interface choice per flow";
DESIGN.md: "MN agent mirrors the uplink policy").

The MN is attached through both MAGs (if1 -> mag1 is the default uplink, IFP 10; if2 -> mag2,
IFP 5). Its configuration steers UDP to port 5001 to if2: that flow leaves through mag2's
access link with if2's own address as source (so mag2 forwards it: cn receives it), while
UDP to port 5002 leaves through mag1. With if2 gone the rule falls back to if1 and comes back
when if2 does. A second rule (a flow label) cannot be expressed by a kernel rule: it is
refused, counted and never installed. Stopping the MN takes its rules out.
"""
import json
import subprocess

import pytest

from conftest import PMIPX_BIN, PYTHON
from test_signaling import active, configure, lma_yaml, mag_yaml, mn_yaml, wait_for

CN = "2001:db8:c::2"
STEERED, OTHER = 5001, 5002
SEND = """
import socket, sys
dst = sys.argv[1]
for port in map(int, sys.argv[2:]):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)   # no bound source: the route picks it
    for _ in range(5):
        s.sendto(b"x" * 32, (dst, port))
    s.close()
"""
RULES = f"""rules:
  - {{id: 1, priority: 10, selector: {{protocol: udp, dst_ports: {STEERED}}}, interface: if2}}
  - {{id: 2, priority: 20, selector: {{protocol: udp, flow_label: 7}}, interface: if2}}
"""


def dataplane(lab, node):
    return f"dataplane: {{mode: bpf, pin_dir: {lab.state_dir}/bpf/{node}}}\n"


def global_address(lab, ifname):
    info = lab.ip("mn", "-6", "addr", "show", "dev", ifname)
    found = [a["local"] for a in (info[0]["addr_info"] if info else []) if a.get("scope") == "global"]
    return found[0] if found else None


def ifindex(lab, ifname):
    return lab.ip("mn", "link", "show", "dev", ifname)[0]["ifindex"]


def uplink_rules(lab):
    """The MN namespace's rules between the local table (0) and the source rules (1000)."""
    return [r for r in lab.ip("mn", "-6", "rule", "show") if 0 < r["priority"] < 1000]


def send(lab, *ports):
    lab.run("mn", PYTHON, "-c", SEND, CN, *ports)


def udp_sources(pcap, port):
    """Source addresses of the UDP datagrams to `port` in the capture, one per datagram (not
    the ones quoted in cn's ICMPv6 Port Unreachable answers)."""
    out = subprocess.run(["tshark", "-r", str(pcap), "-Y", f"!icmpv6 && udp.dstport == {port}", "-T", "fields",
                          "-e", "ipv6.src"], capture_output=True, text=True, check=True).stdout
    return out.split()


def rule(lab, rule_id):
    return next(r for r in lab.ctl("mn", "rules") if r["id"] == rule_id)


def errors_total(lab):
    text = subprocess.run([PMIPX_BIN, "ctl", "--netns", lab.ns("mn"), "metrics"], capture_output=True,
                          text=True, check=True).stdout
    line = [l for l in text.splitlines()
            if l.startswith('pmipx_mn_dataplane_errors_total{op="uplink_rule_set"}')]
    return int(line[0].split()[-1]) if line else 0


# HI 1: if2 gets a prefix of its own; HI 6: both interfaces share one prefix and each has its
# own address in it. Either way the kernel picks if2's address for the steered flow.
@pytest.mark.parametrize("shared", [False, True], ids=["hi1-own-prefix", "hi6-shared-prefix"])
def test_an_uplink_rule_sends_one_flow_out_of_if2_and_falls_back_without_it(lab, shared):
    configure(lab, lma=lma_yaml(dataplane(lab, "lma")),
              mag1=mag_yaml(1, "2001:db8:1::2", "wlan", dataplane(lab, "mag1")),
              mag2=mag_yaml(2, "2001:db8:2::2", "eutran", dataplane(lab, "mag2")),
              mn=mn_yaml(if2_shared=shared) + RULES)
    # if1 first, so the prefix if2 may share (HI 6) is if1's.
    lab.start("lma", "mag1", "mn")
    wait_for("if1 registered", lambda: active(lab.ctl("lma", "bindings")))
    lab.start("mag2")
    wait_for("two active bindings", lambda: len(active(lab.ctl("lma", "bindings"))) == 2)
    addr = {i: wait_for(f"an address on {i}", lambda i=i: global_address(lab, i)) for i in ("if1", "if2")}
    assert addr["if1"] != addr["if2"]
    assert (addr["if1"].split(":")[:4] == addr["if2"].split(":")[:4]) == shared, addr
    if1, if2 = ifindex(lab, "if1"), ifindex(lab, "if2")

    # The kernel holds the rule, ahead of the source rules, into if2's table.
    r1 = wait_for("rule 1 on if2", lambda: [r for r in lab.ctl("mn", "rules")
                                             if r["id"] == 1 and r["state"] == "installed"])[0]
    assert r1["interface"] == "if2" and r1["in_kernel"] is True and not r1["fallback"], r1
    kernel = uplink_rules(lab)
    assert len(kernel) == 1, kernel
    assert kernel[0]["priority"] == 110 and kernel[0]["table"] == str(2000 + if2), kernel
    assert kernel[0]["ipproto"] in ("udp", 17) and kernel[0]["dport"] == STEERED, kernel

    # Rule 2 (a flow label) cannot be a kernel rule: refused, counted, not installed.
    r2 = rule(lab, 2)
    assert r2["state"] == "refused" and "flow label" in r2["error"], r2
    assert "in_kernel" not in r2
    assert errors_total(lab) >= 1
    assert "uplink rule 2" in lab.log_path("mn").read_text()

    # 5001 leaves on if2 with if2's address (mag2 forwards it to cn); 5002 on if1.
    with lab.capture("mag1", "acc0") as p1, lab.capture("mag2", "acc0") as p2, lab.capture("cn", "eth0") as pc:
        send(lab, STEERED, OTHER)
    assert udp_sources(p2, STEERED) == [addr["if2"]] * 5
    assert udp_sources(p2, OTHER) == []
    assert udp_sources(p1, OTHER) == [addr["if1"]] * 5
    assert udp_sources(p1, STEERED) == []
    assert udp_sources(pc, STEERED) == [addr["if2"]] * 5, "mag2 did not forward the steered flow"
    assert udp_sources(pc, OTHER) == [addr["if1"]] * 5

    # Without if2 the rule falls back to the default uplink (if1), in the kernel as well.
    lab.run("mn", "ip", "link", "set", "if2", "down")
    wait_for("rule 1 falls back to if1",
             lambda: rule(lab, 1)["interface"] == "if1" and rule(lab, 1)["fallback"])
    kernel = uplink_rules(lab)
    assert [(r["priority"], r["table"]) for r in kernel] == [(110, str(2000 + if1))], kernel
    with lab.capture("mag1", "acc0") as p1:
        send(lab, STEERED)
    assert udp_sources(p1, STEERED) == [addr["if1"]] * 5

    # if2 back: the rule returns to it.
    lab.run("mn", "ip", "link", "set", "if2", "up")
    wait_for("rule 1 back on if2", lambda: rule(lab, 1)["interface"] == "if2" and not rule(lab, 1)["fallback"],
             timeout=30)
    addr["if2"] = wait_for("an address on if2 again", lambda: global_address(lab, "if2"))
    kernel = uplink_rules(lab)
    assert [(r["priority"], r["table"]) for r in kernel] == [(110, str(2000 + if2))], kernel
    with lab.capture("mag1", "acc0") as p1, lab.capture("mag2", "acc0") as p2:
        send(lab, STEERED)
    assert udp_sources(p2, STEERED) == [addr["if2"]] * 5
    assert udp_sources(p1, STEERED) == []

    # A stopped MN leaves no uplink rule behind.
    lab.stop("mn")
    assert uplink_rules(lab) == []
