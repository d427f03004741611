"""The namespace lab without daemons (`lab.sh up --no-start`): topology, addresses, routes,
sysctls, bpffs mounts, config files, status codes, and `down` leaving nothing behind."""
import hashlib
import pathlib
import subprocess
import time

import pytest
from conftest import DAEMONS, NODES, RUN_ROOT, lab_sh, new_lab_name

LMAA = "2001:db8:ffff::1"

# node -> {interface: [global or extra addresses]}
ADDRESSES = {
    "cn": {"eth0": ["2001:db8:c::2/64"]},
    "lma": {"lo": [f"{LMAA}/128"], "cn0": ["2001:db8:c::1/64"], "mag1a": ["2001:db8:1::1/64"],
            "mag1b": ["2001:db8:3::1/64"], "mag2a": ["2001:db8:2::1/64"]},
    "mag1": {"wan0": ["2001:db8:1::2/64"], "wan1": ["2001:db8:3::2/64"], "acc0": ["fe80::1/64"]},
    "mag2": {"wan0": ["2001:db8:2::2/64"], "acc0": ["fe80::1/64"]},
    "mn": {"if1": [], "if2": []},
}
LAB_IFACES = {node: [i for i in ifs if i != "lo"] for node, ifs in ADDRESSES.items()}
LAB_IFACES["lma"] = ["cn0", "mag1a", "mag1b", "mag2a"]

DEFAULT_CONFIGS = {
    "lma": """address: 2001:db8:ffff::1
mags: [2001:db8:1::2, 2001:db8:3::2, 2001:db8:2::2]
pool: {prefix: 2001:db8:8000::/48, length: 64}
fixed_mag_link_local: fe80::1
mns:
  - id: mn1@example.com
    features: {shared_prefixes: true, muho: true, multipath: true, primary_hoa: true}
dataplane: {mode: bpf, pin_dir: @STATE@/bpf/lma}
api: {address: 127.0.0.1, port: 7780}
log: {level: debug}
""",
    "mag1": """lma: 2001:db8:ffff::1
mag_id: mag1@example.com
wan_links:
  - {interface: wan0, address: 2001:db8:1::2, att: ethernet, label: 1}
  - {interface: wan1, address: 2001:db8:3::2, att: eutran, label: 2}
access_links:
  - {interface: acc0, att: wlan, mn: mn1@example.com}
mns:
  - {id: mn1@example.com, link_layer: ["02:00:00:00:01:01", "02:00:00:00:02:01"]}
link_local: fe80::1
dataplane: {mode: bpf, pin_dir: @STATE@/bpf/mag1}
api: {address: 127.0.0.1, port: 7781}
log: {level: debug}
""",
    "mag2": """lma: 2001:db8:ffff::1
mag_id: mag2@example.com
wan_links:
  - {interface: wan0, address: 2001:db8:2::2, att: ethernet, label: 1}
access_links:
  - {interface: acc0, att: eutran, mn: mn1@example.com}
mns:
  - {id: mn1@example.com, link_layer: ["02:00:00:00:01:01", "02:00:00:00:02:01"]}
link_local: fe80::1
dataplane: {mode: bpf, pin_dir: @STATE@/bpf/mag2}
api: {address: 127.0.0.1, port: 7781}
log: {level: debug}
""",
    "mn": """id: mn1@example.com
interfaces:
  - {interface: if1, att: wlan, ifp: 10}
  - {interface: if2, att: eutran, ifp: 5}
api: {address: 127.0.0.1, port: 7782}
log: {level: debug}
""",
}


def veth_prefix(name):
    return "px" + hashlib.sha1(name.encode()).hexdigest()[:8]


def netns_names():
    d = pathlib.Path("/run/netns")
    return {p.name for p in d.iterdir()} if d.is_dir() else set()


def root_links():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                         check=True).stdout
    return {line.split(": ")[1].split("@")[0] for line in out.splitlines()}


def mounts_under(path):
    path = str(path)
    with open("/proc/mounts") as f:
        return [line.split()[1] for line in f
                if line.split()[1] == path or line.split()[1].startswith(path + "/")]


def processes_mentioning(text):
    found = []
    for p in pathlib.Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            if text.encode() in (p / "cmdline").read_bytes():
                state = (p / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(p.name))
        except (OSError, IndexError):
            pass
    return found


def assert_nothing_left(name):
    assert not {n for n in netns_names() if n.startswith(name + "-")}, "namespaces left"
    assert not {v for v in root_links() if v.startswith(veth_prefix(name))}, "veths left"
    assert not mounts_under(RUN_ROOT / name), "mounts left"
    assert not (RUN_ROOT / name).exists(), "state dir left"
    assert not processes_mentioning(f"/run/pmipx/{name}/"), "processes left"


def addrs(lab, node):
    """{ifname: {"addr/len", ...}} with the address flags, from `ip -j addr`."""
    result = {}
    for link in lab.ip(node, "-6", "addr", "show"):
        result[link["ifname"]] = {f"{a['local']}/{a['prefixlen']}": a for a in link["addr_info"]}
    return result


def sysctl(lab, node, key):
    return lab.run(node, "sysctl", "-n", key).stdout.strip()


def status_of(name):
    return lab_sh("status", name=name, check=False)


# ------------------------------------------------------------------------------ topology


def test_every_namespace_exists(lab):
    assert {lab.ns(n) for n in NODES} <= netns_names()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for n in NODES:
        assert lab.ns(n) in listed


def test_interfaces_up_with_the_specified_addresses(lab):
    for node, ifaces in ADDRESSES.items():
        links = {link["ifname"]: link for link in lab.ip(node, "link", "show")}
        assert set(links) == {"lo", *LAB_IFACES[node]}, f"{node}: {sorted(links)}"
        for ifname, link in links.items():
            assert "UP" in link["flags"], f"{node} {ifname} is down"
            assert link["operstate"] in ("UP", "UNKNOWN"), f"{node} {ifname}: {link['operstate']}"
        have = addrs(lab, node)
        for ifname, want in ADDRESSES[node].items():
            for a in want:
                assert a in have.get(ifname, {}), f"{node} {ifname}: {a} missing ({have.get(ifname)})"
        for ifname in LAB_IFACES[node]:
            lls = [a for a in have.get(ifname, {}) if a.startswith("fe80:") and a != "fe80::1/64"]
            assert len(lls) == 1, f"{node} {ifname}: automatic link-local address {lls}"
            for a, info in have[ifname].items():
                assert not info.get("tentative") and not info.get("dadfailed"), f"{node} {ifname} {a}"
    # The MN has no global address yet: nothing advertises a prefix.
    assert not [a for ifn in ("if1", "if2") for a in addrs(lab, "mn")[ifn] if not a.startswith("fe80:")]


def test_dad_is_disabled_on_every_lab_interface(lab):
    for node in NODES:
        for key in ("default", "all", *LAB_IFACES[node]):
            assert sysctl(lab, node, f"net.ipv6.conf.{key}.accept_dad") == "0", f"{node} {key}"


def test_forwarding_and_router_advertisement_settings(lab):
    for node in ("lma", "mag1", "mag2"):
        assert sysctl(lab, node, "net.ipv6.conf.all.forwarding") == "1", node
    for node in ("mag1", "mag2"):
        assert sysctl(lab, node, "net.ipv6.conf.acc0.accept_ra") == "0", node
    assert sysctl(lab, "mn", "net.ipv6.conf.all.forwarding") == "0"
    for ifname in ("if1", "if2"):
        assert sysctl(lab, "mn", f"net.ipv6.conf.{ifname}.forwarding") == "0"
        assert sysctl(lab, "mn", f"net.ipv6.conf.{ifname}.accept_ra") == "1"
        assert sysctl(lab, "mn", f"net.ipv6.conf.{ifname}.autoconf") == "1"


def test_shared_mag_link_local_on_each_access_link(lab):
    for node in ("mag1", "mag2"):
        acc0 = addrs(lab, node)["acc0"]
        assert "fe80::1/64" in acc0, node
        assert len([a for a in acc0 if a.startswith("fe80:")]) == 2, f"{node}: {sorted(acc0)}"
    # The MN reaches fe80::1 over both of its links (one MAG answers on each).
    assert lab.ping("mn", "fe80::1%if1")
    assert lab.ping("mn", "fe80::1%if2")


def test_mn_mac_addresses(lab):
    links = {link["ifname"]: link for link in lab.ip("mn", "link", "show")}
    assert links["if1"]["address"] == "02:00:00:00:01:01"
    assert links["if2"]["address"] == "02:00:00:00:02:01"


def test_routes_to_the_lmaa(lab):
    def route_get(node, *extra):
        return lab.ip(node, "-6", "route", "get", LMAA, *extra)[0]

    r = route_get("mag1")
    assert (r["dev"], r["gateway"]) == ("wan0", "2001:db8:1::1")
    r = route_get("mag1", "from", "2001:db8:3::2")
    assert (r["dev"], r["gateway"]) == ("wan1", "2001:db8:3::1")
    r = route_get("mag2")
    assert (r["dev"], r["gateway"]) == ("wan0", "2001:db8:2::1")
    r = route_get("cn")
    assert (r["dev"], r["gateway"]) == ("eth0", "2001:db8:c::1")
    rules = lab.ip("mag1", "-6", "rule", "show")
    assert any(r.get("src") == "2001:db8:3::2" and r.get("table") == "103" for r in rules), rules
    assert lab.ip("lma", "-6", "route", "get", "2001:db8:3::2")[0]["dev"] == "mag1b"


def test_mags_and_cn_reach_the_lmaa(lab):
    assert lab.ping("mag1", LMAA, count=2)
    assert lab.ping("mag1", LMAA, src="2001:db8:3::2")
    assert lab.ping("mag2", LMAA)
    assert lab.ping("cn", LMAA)


def test_source_policy_route_leaves_on_wan1(lab):
    scapy = pytest.importorskip("scapy.all")
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6

    with lab.capture("mag1", "wan1") as wan1, lab.capture("mag1", "wan0") as wan0:
        assert lab.ping("mag1", LMAA, src="2001:db8:3::2")
        assert lab.ping("mag1", LMAA)

    def echo_sources(pcap):
        return [p[IPv6].src for p in scapy.rdpcap(str(pcap)) if ICMPv6EchoRequest in p]

    assert echo_sources(wan1) == ["2001:db8:3::2"]
    assert echo_sources(wan0) == ["2001:db8:1::2"]
    # The oracle finds no Mobility Header here and has nothing to complain about.
    rc, out = lab.oracle(wan1)
    assert rc == 0, out


def test_bpffs_mounted_per_node(lab):
    with open("/proc/mounts") as f:
        mounts = {line.split()[1]: line.split()[2] for line in f}
    for node in NODES:
        path = f"{lab.state_dir}/bpf/{node}"
        assert mounts.get(path) == "bpf", f"{path}: {mounts.get(path)}"
    # Five separate file systems: a pin in one node's bpffs is not seen in another's.
    devs = {(lab.state_dir / "bpf" / n).stat().st_dev for n in NODES}
    assert len(devs) == len(NODES)


def test_config_files_written(lab):
    for node, text in DEFAULT_CONFIGS.items():
        assert lab.config_path(node).read_text() == text.replace("@STATE@", str(lab.state_dir)), node


def test_up_keeps_preseeded_configs_unless_fresh_config(lab_factory):
    variant = "address: 2001:db8:ffff::1\napi: {address: 127.0.0.1, port: 7790}\n"
    lab = lab_factory(configs={"lma": variant})
    assert lab.config_path("lma").read_text() == variant
    assert lab.config_path("mag1").read_text() == DEFAULT_CONFIGS["mag1"].replace("@STATE@", str(lab.state_dir))
    p = lab.sh("up", "--no-start", "--fresh-config")   # already up: only rewrites the configs
    assert "already up" in p.stdout
    assert lab.config_path("lma").read_text() == DEFAULT_CONFIGS["lma"].replace("@STATE@", str(lab.state_dir))


def test_exec_runs_in_the_node_namespace(lab):
    p = lab.sh("exec", "mn", "ip", "-o", "link", "show", "if2")
    assert "02:00:00:00:02:01" in p.stdout
    assert lab.sh("exec", "lma", "false", check=False).returncode == 1


# ------------------------------------------------------------------------------ up / status


def test_up_on_an_up_lab_exits_0(lab):
    p = lab.sh("up", "--no-start")
    assert "already up" in p.stdout


def test_status_exit_codes(lab_factory):
    lab = lab_factory(up=False)
    p = status_of(lab.name)
    assert p.returncode == 3, p.stdout        # absent (a state dir alone does not count)
    lab.up()
    p = status_of(lab.name)
    assert p.returncode == 0, p.stdout        # topology complete; daemons not expected
    assert ": up" in p.stdout
    for d in DAEMONS:
        assert f"daemon {d:<5} stopped" in p.stdout
    # A stale pid file (the daemon crashed) makes the lab partial.
    (lab.state_dir / "mn.pid").write_text("999999999\n")
    p = status_of(lab.name)
    assert p.returncode == 1 and "dead" in p.stdout, p.stdout
    (lab.state_dir / "mn.pid").unlink()
    assert status_of(lab.name).returncode == 0
    # A missing interface or namespace makes it partial too.
    lab.run("mn", "ip", "link", "del", "if2")
    p = status_of(lab.name)
    assert p.returncode == 1 and "interfaces missing" in p.stdout, p.stdout
    subprocess.run(["ip", "netns", "del", lab.ns("cn")], check=True)
    assert status_of(lab.name).returncode == 1
    # `up` refuses a partial lab.
    p = lab.sh("up", "--no-start", check=False)
    assert p.returncode == 1 and "incomplete" in p.stderr, p.stderr
    lab.down()
    assert status_of(lab.name).returncode == 3


# ------------------------------------------------------------------------------ down


def test_down_leaves_nothing(lab):
    name = lab.name
    lab.down()
    assert_nothing_left(name)


def test_down_twice_exits_0(lab):
    lab.down()
    p = lab.down()
    assert p.returncode == 0 and "nothing to do" in p.stdout
    p = lab_sh("down", name=new_lab_name())   # a lab that never existed
    assert p.returncode == 0 and "nothing to do" in p.stdout


def test_down_after_a_half_built_up(lab_factory):
    lab = lab_factory(up=False)
    subprocess.run(["ip", "netns", "add", lab.ns("mag1")], check=True)
    (lab.state_dir / "bpf" / "lma").mkdir(parents=True)
    subprocess.run(["mount", "-t", "bpf", "bpf", str(lab.state_dir / "bpf" / "lma")], check=True)
    # A veth pair that an interrupted `up` left in the root namespace.
    v = veth_prefix(lab.name)
    subprocess.run(["ip", "link", "add", f"{v}0a", "type", "veth", "peer", "name", f"{v}0b"],
                   check=True)
    assert status_of(lab.name).returncode == 1
    lab.down()
    assert_nothing_left(lab.name)


def test_down_after_a_crash_kills_every_process_in_the_lab(lab):
    # A detached process (as a crashed daemon's child would be), one that ignores SIGTERM, and
    # a pid file whose daemon is gone.
    lab.run("mag1", "sh", "-c", "setsid -f sleep 1000 </dev/null >/dev/null 2>&1")
    stubborn = subprocess.Popen(["ip", "netns", "exec", lab.ns("lma"), "bash", "-c",
                                 "trap '' TERM; while :; do sleep 0.1; done"],
                                start_new_session=True)
    (lab.state_dir / "lma.pid").write_text("999999999\n")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (lab.pids("mag1") and lab.pids("lma")):
        time.sleep(0.05)
    victims = lab.pids("mag1") + lab.pids("lma")
    assert victims
    lab.down()
    assert stubborn.wait(timeout=10) == -9
    for pid in victims:
        try:
            state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        assert state == "Z", f"pid {pid} survived down"   # PID 1 may not reap orphans
    assert_nothing_left(lab.name)


# ------------------------------------------------------------------------------ two labs


def test_two_labs_coexist_and_down_is_per_lab(lab_factory):
    a, b = lab_factory(), lab_factory()
    for lab in (a, b):
        assert status_of(lab.name).returncode == 0
        assert lab.ping("mag1", LMAA, src="2001:db8:3::2")
    a.down()
    assert_nothing_left(a.name)
    assert status_of(b.name).returncode == 0
    assert b.ping("mag2", LMAA)
    assert {b.ns(n) for n in NODES} <= netns_names()
    assert len(mounts_under(b.state_dir / "bpf")) == len(NODES)
