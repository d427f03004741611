"""Issue 4: the daemons on real sockets in the namespace lab.

Each test builds its own lab (`lab` fixture), writes the configuration variant it needs,
starts only the daemons it needs, captures on the LMA's links, and ends by passing every
captured Mobility Header packet through ../shared/oracles/mh_oracle.py.
"""
import json
import pathlib
import subprocess
import time

import pytest

from conftest import PMIPX_BIN, PYTHON

MH_TOOL = pathlib.Path(__file__).resolve().with_name("mh_tool.py")
LMAA = "2001:db8:ffff::1"
MAG1 = "2001:db8:1::2"
MN = "mn1@example.com"


def lma_yaml(extra=""):
    return f"""address: {LMAA}
mags: [2001:db8:1::2, 2001:db8:3::2, 2001:db8:2::2]
pool: {{prefix: 2001:db8:8000::/48, length: 64}}
fixed_mag_link_local: fe80::1
min_delay_before_bce_delete_ms: 500
mns:
  - id: {MN}
    features: {{shared_prefixes: true}}
api: {{address: 127.0.0.1, port: 7780}}
log: {{level: debug}}
{extra}"""


def mag_yaml(n, coa, att, extra=""):
    return f"""lma: {LMAA}
mag_id: mag{n}@example.com
proxy_coa: {coa}
access_links:
  - {{interface: acc0, att: {att}, mn: {MN}}}
mns:
  - {{id: {MN}, link_layer: ["02:00:00:00:01:01", "02:00:00:00:02:01"]}}
link_local: fe80::1
api: {{address: 127.0.0.1, port: 7781}}
log: {{level: debug}}
{extra}"""


def mn_yaml(if2=True, if2_shared=False):
    s = f"""id: {MN}
rs_interval_ms: 500
interfaces:
  - {{interface: if1, att: wlan, ifp: 10}}
"""
    if if2:
        s += f"  - {{interface: if2, att: eutran, ifp: 5, shared_prefixes: {'true' if if2_shared else 'false'}}}\n"
    return s + "api: {address: 127.0.0.1, port: 7782}\nlog: {level: debug}\n"


def configure(lab, lma=None, mag1=None, mag2=None, mn=None):
    texts = {"lma": lma or lma_yaml(), "mag1": mag1 or mag_yaml(1, MAG1, "wlan"),
             "mag2": mag2 or mag_yaml(2, "2001:db8:2::2", "eutran"), "mn": mn or mn_yaml()}
    for node, text in texts.items():
        lab.config_path(node).write_text(text)


def attach_if1_then_if2(lab):
    """if1 registers through mag1 first, then if2 through mag2 (the order of the seeds' message
    charts, and the one that makes if1's prefix the one if2 may share): the two active entries."""
    lab.start("lma", "mag1", "mn")
    wait_for("if1 via mag1", lambda: active(lab.ctl("lma", "bindings")))
    lab.start("mag2")
    return wait_for("if2 via mag2", lambda: len(active(lab.ctl("lma", "bindings"))) == 2
                    and active(lab.ctl("lma", "bindings")))


def wait_for(what, fn, timeout=15.0, interval=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


def active(bindings):
    return [b for b in bindings if b["state"] == "active"]


def mn_addresses(lab, ifname):
    out = lab.run("mn", "ip", "-6", "-j", "addr", "show", "dev", ifname).stdout
    addrs = json.loads(out)[0].get("addr_info", [])
    return [a["local"] for a in addrs if a.get("scope") == "global"]


def mh_types(pcap):
    out = subprocess.run(["tshark", "-r", str(pcap), "-Y", "mipv6", "-T", "fields", "-e", "mip6.mhtype",
                          "-e", "mip6.bu.lifetime", "-e", "mip6.ba.status"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def assert_oracle_clean(lab, pcap):
    rc, out = lab.oracle(pcap)
    assert rc == 0, out
    assert mh_types(pcap), "the capture holds no Mobility Header packet"


def test_mn_attaches_on_if1_via_mag1(lab):
    configure(lab, mn=mn_yaml(if2=False))
    with lab.capture("lma", "mag1a") as pcap, lab.capture("mn", "if1") as access:
        lab.start("lma", "mag1", "mn")
        bindings = wait_for("one active binding at the LMA", lambda: active(lab.ctl("lma", "bindings")))
        addr = wait_for("an address on if1", lambda: mn_addresses(lab, "if1"))
    assert len(bindings) == 1
    b = bindings[0]
    assert b["mn"] == MN and b["bid"] == 1 and b["proxy_coa"] == MAG1
    prefix = b["prefixes"][0]
    assert prefix.startswith("2001:db8:8000:") and prefix.endswith("/64")
    # The MN configured an address from the HNP (checked in the kernel, not the agent).
    net = prefix.split("/")[0].rstrip(":")
    assert any(a.startswith(net) for a in addr), (addr, prefix)
    # The MAG's view agrees.
    mag = lab.ctl("mag1", "bindings")
    assert [(m["mn"], m["state"], m["prefixes"]) for m in mag] == [(MN, "registered", [prefix])]
    # PBU and PBA on the wire, judged by the oracle; the RA on if1 carries the HNP.
    types = [t[0] for t in mh_types(pcap)]
    assert "5" in types and "6" in types, types
    assert_oracle_clean(lab, pcap)
    ra = subprocess.run(["tshark", "-r", str(access), "-Y", "icmpv6.type == 134", "-T", "fields",
                         "-e", "icmpv6.opt.prefix", "-e", "ipv6.src"], capture_output=True, text=True,
                        check=True).stdout.split()
    assert prefix.split("/")[0] in ra and "fe80::1" in ra, ra


@pytest.mark.parametrize("shared", [False, True], ids=["hi1-new-prefix", "hi6-shared-prefix"])
def test_second_interface_via_mag2(lab, shared):
    configure(lab, mn=mn_yaml(if2=True, if2_shared=shared))
    with lab.capture("lma", "any") as pcap:
        lab.start("lma", "mag1", "mn")
        first = wait_for("if1 registered", lambda: active(lab.ctl("lma", "bindings")))
        lab.start("mag2")
        both = wait_for("two active bindings", lambda: len(active(lab.ctl("lma", "bindings"))) == 2
                        and active(lab.ctl("lma", "bindings")))
        wait_for("an address on if2", lambda: mn_addresses(lab, "if2"))
    by_bid = {b["bid"]: b for b in both}
    assert set(by_bid) == {1, 2}
    assert by_bid[1]["proxy_coa"] == MAG1 and by_bid[2]["proxy_coa"] == "2001:db8:2::2"
    assert by_bid[1]["prefixes"] == first[0]["prefixes"]
    mag2 = lab.ctl("mag2", "bindings")
    assert len(mag2) == 1 and mag2[0]["hi"] == (6 if shared else 1)
    if shared:
        assert by_bid[2]["prefixes"] == by_bid[1]["prefixes"] and by_bid[2]["shares_prefixes"]
    else:
        assert set(by_bid[2]["prefixes"]).isdisjoint(by_bid[1]["prefixes"])
    assert_oracle_clean(lab, pcap)


def test_detach_sends_deregistration_and_removes_the_entry(lab):
    configure(lab, mn=mn_yaml(if2=False))
    with lab.capture("lma", "mag1a") as pcap:
        lab.start("lma", "mag1", "mn")
        wait_for("registration", lambda: active(lab.ctl("lma", "bindings")))
        lab.run("mn", "ip", "link", "set", "if1", "down")  # mag1's acc0 loses carrier
        wait_for("the entry gone", lambda: lab.ctl("lma", "bindings") == [], timeout=10)
        wait_for("the MAG's entry gone", lambda: lab.ctl("mag1", "bindings") == [], timeout=10)
    dereg = [t for t in mh_types(pcap) if t[0] == "5" and t[1] == "0"]
    assert dereg, "no PBU with lifetime 0 on the LMA link"
    assert_oracle_clean(lab, pcap)


def test_binding_expires_when_the_mag_stops_refreshing(lab):
    configure(lab, mag1=mag_yaml(1, MAG1, "wlan", "lifetime_s: 8\n"), mn=mn_yaml(if2=False))
    with lab.capture("lma", "mag1a") as pcap:
        lab.start("lma", "mag1", "mn")
        wait_for("registration", lambda: active(lab.ctl("lma", "bindings")))
        lab.run("mag1", "kill", "-KILL", *map(str, lab.pids("mag1")), check=False)
        wait_for("expiry", lambda: lab.ctl("lma", "bindings") == [], timeout=15)
    assert lab.ctl("lma", "stats")["expired"] == 1
    assert_oracle_clean(lab, pcap)


def send_mh(lab, hexdata, bad_checksum=False, wait=1.0):
    cmd = [PYTHON, str(MH_TOOL), "send", "--src", MAG1, "--dst", LMAA, "--hex", hexdata, "--wait", str(wait)]
    if bad_checksum:
        cmd.append("--bad-checksum")
    out = lab.run("mag1", *cmd).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def decode(reply):
    out = subprocess.run([PMIPX_BIN, "decode", "--json", "--hex", reply["hex"], "--src", LMAA, "--dst", MAG1],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["frames"][0]["message"]


def build_pbu(**kw):
    args = [PYTHON, str(MH_TOOL), "pbu"]
    for k, v in kw.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def stable(bindings):
    return [{k: v for k, v in b.items() if k != "expires_in_s"} for b in bindings]


def test_malformed_and_refused_pbus_leave_the_cache_unchanged(lab):
    configure(lab)
    with lab.capture("lma", "mag1a") as pcap:
        lab.start("lma")
        # A valid PBU from the tool first: accepted, one entry.
        [reply] = send_mh(lab, build_pbu(mn=MN, seq=1))
        assert decode(reply)["status"]["value"] == 0
        before = stable(lab.ctl("lma", "bindings"))
        assert len(before) == 1
        stats0 = lab.ctl("lma", "stats")

        # Bad checksum: the kernel drops it (IPV6_CHECKSUM); no answer.
        assert send_mh(lab, build_pbu(mn=MN, seq=2), bad_checksum=True) == []
        # Header Len larger than the datagram: malformed, silently dropped and counted.
        bad_len = bytearray.fromhex(build_pbu(mn=MN, seq=3))
        bad_len[1] += 2
        assert send_mh(lab, bad_len.hex()) == []
        # Unknown MN: 153 NOT_LMA_FOR_THIS_MOBILE_NODE (RFC 5213 §5.3.1 step 7).
        [r] = send_mh(lab, build_pbu(mn="stranger@example.com", seq=4))
        assert decode(r)["status"]["value"] == 153
        # Stale timestamp (an hour old): 156 TIMESTAMP_MISMATCH (§5.5).
        [r] = send_mh(lab, build_pbu(mn=MN, seq=5, ts_offset=-3600))
        assert decode(r)["status"]["value"] == 156
        # Unknown MH type: Binding Error status 2 (RFC 6275 §9.2).
        [r] = send_mh(lab, "3b011e000000000001020000")
        m = decode(r)
        assert m["message"] == "BE" and m["status"]["value"] == 2

        assert stable(lab.ctl("lma", "bindings")) == before
        stats = lab.ctl("lma", "stats")
        assert stats["malformed"] >= stats0["malformed"] + 1
        assert stats["rejects_by_status"].get("153") == 1 and stats["rejects_by_status"].get("156") == 1
        assert stats["binding_errors_sent"] == stats0["binding_errors_sent"] + 1
    # Everything the LMA sent passes the oracle; of what the tool sent, only the two packets
    # broken on purpose (checksum, Header Len) and the unknown MH type may fail it.
    rc, out = lab.oracle(pcap)
    src = dict(line.split("\t") for line in subprocess.run(
        ["tshark", "-r", str(pcap), "-T", "fields", "-e", "frame.number", "-e", "ipv6.src"],
        capture_output=True, text=True, check=True).stdout.splitlines())
    bad = [line.split()[2] for line in out.splitlines() if line.startswith("BAD")]
    assert all(src[n] != LMAA for n in bad), out
    assert len(bad) <= 3, out


def test_config_errors_give_file_line_key_and_nonzero_exit(tmp_path):
    bad = tmp_path / "lma.yaml"
    bad.write_text(lma_yaml("colour: blue\n"))
    p = subprocess.run([PMIPX_BIN, "lma", "--config", str(bad)], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2
    assert f"{bad}:11: colour: unknown key" in p.stderr, p.stderr
    p = subprocess.run([PMIPX_BIN, "mag", "--config", str(tmp_path / "missing.yaml")], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 2 and "missing.yaml" in p.stderr
