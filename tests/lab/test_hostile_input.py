"""Issue 8, hostile and malformed input: a corpus of bad messages sent at a running LMA and MAG.

One lab for the module: the LMA, mag1 and the MN run with the tc eBPF data plane, the MN is
registered through mag1 (one binding, routes and tunnels installed). Every row of CORPUS is
one crafted Mobility Header message (octets built here from PROTOCOL.md, not by pmipx):

    LMA rows  sent from mag2's namespace (an authorized MAG address with no daemon) to the LMAA,
              or from a second, unauthorized address there;
    MAG rows  sent from the LMA's namespace (source LMAA, as a spoofer would) to mag1.

and each row states what the RFCs require: the reply (a PBA status, a Binding Error status 2,
an FMA status, or nothing: silent discard), the counter that must rise (`pmipx ctl --json
stats` or `pmipx ctl metrics`; or the kernel's drop count of the daemon's raw socket for a
checksum the kernel verifies), the log line, and that the target's state (bindings, flows,
kernel routes) is the same before and after.
"""
import dataclasses
import ipaddress
import json
import os
import pathlib
import re
import struct
import subprocess
import time
from typing import Callable, Optional

import pytest

import conftest
from conftest import PMIPX_BIN, PYTHON
from mh_tool import pad_to   # Pad1/PadN so that len(buf) % x == y (RFC 6275 §6.2.1)
from test_dataplane import dataplane
from test_signaling import MN, active, mag_yaml, mn_yaml, stable, wait_for

MH_TOOL = pathlib.Path(__file__).resolve().with_name("mh_tool.py")
LMAA = "2001:db8:ffff::1"
MAG1 = "2001:db8:1::2"
MAG2 = "2001:db8:2::2"       # authorized at the LMA, no daemon: the LMA rows' source
ROGUE = "2001:db8:2::66"     # on mag2's link, not in the LMA's `mags`
MN2 = "mn2@example.com"      # configured at the LMA, never registered
STRANGER = "stranger@example.com"
WINDOW_S = 60                # timestamp_window_ms / 1000: room to send an older timestamp
MAX_LIFETIME_S = 3600

LMA_YAML = f"""address: {LMAA}
mags: [{MAG1}, 2001:db8:3::2, {MAG2}]
pool: {{prefix: 2001:db8:8000::/48, length: 64}}
fixed_mag_link_local: fe80::1
min_delay_before_bce_delete_ms: 500
timestamp_window_ms: {WINDOW_S * 1000}
max_lifetime_s: {MAX_LIFETIME_S}
mns:
  - id: {MN}
  - id: {MN2}
api: {{address: 127.0.0.1, port: 7780}}
log: {{level: debug}}
"""

# -- octets (PROTOCOL.md §2-§4) ------------------------------------------------------------
PBU, PBA, UPN, BE, UPA = 5, 6, 19, 7, 20


def o_mnid(nai):
    return (1, 0, bytes([8, len(nai) + 1, 1]) + nai.encode())


def o_hnp(prefix="::", plen=0, length=18):
    return (8, 4, bytes([22, length, 0, plen]) + ipaddress.IPv6Address(prefix).packed[:length - 2])


def o_hi(v=1):
    return (1, 0, bytes([23, 2, 0, v]))


def o_att(v=4):
    return (1, 0, bytes([24, 2, 0, v]))


def o_ts(offset=0.0, at=None):
    t = (time.time() + offset) if at is None else at
    return (8, 2, bytes([27, 8]) + struct.pack("!Q", int(t * 65536)))


def mh(mh_type, fixed, options, proto=59, header_len=None, tail=b""):
    """Payload proto, Header Len, MH type, reserved, checksum (0: mh_tool fills it in), the
    fixed part, the options at their alignment, padded to 8; then `tail` (raw octets)."""
    body = bytearray([proto, 0, mh_type, 0, 0, 0]) + fixed
    for x, y, opt in options:
        body = pad_to(body, x, y) + opt
    body = pad_to(body, 8, 0) + tail
    body[1] = (len(body) // 8 - 1) if header_len is None else header_len
    return bytes(body)


def pbu_fixed(seq=100, lifetime_units=900, flags=0x82):
    return struct.pack("!HBBH", seq, flags, 0, lifetime_units)   # A|P (RFC 5213 §8.1)


def pbu(mn=MN, options=None, **fixed):
    opts = options if options is not None else [o_hnp(), o_mnid(mn), o_hi(1), o_att(4), o_ts()]
    return mh(PBU, pbu_fixed(**fixed), opts)


def pba(mn, seq, status=0):
    return mh(PBA, struct.pack("!BBHH", status, 0x20, seq, 900), [o_mnid(mn), o_hi(1), o_att(4), o_ts()])


def upn(mn, seq=77, reason=8):
    return mh(UPN, struct.pack("!HHH", seq, reason, 0x8000), [o_mnid(mn)])   # A: ack requested


# -- the lab ---------------------------------------------------------------------------------
@dataclasses.dataclass
class Target:
    node: str        # namespace of the daemon under attack
    dst: str         # its address
    sender: str      # namespace the crafted packets leave from
    src: str         # their source address


LMA = Target("lma", LMAA, "mag2", MAG2)
LMA_FROM_ROGUE = Target("lma", LMAA, "mag2", ROGUE)
MAG = Target("mag1", MAG1, "lma", LMAA)
MAG_FROM_ROGUE = Target("mag1", MAG1, "lma", "2001:db8:1::66")   # on the LMA's link to mag1, not the LMAA


@pytest.fixture(scope="module")
def hostile_lab(tmp_path_factory):
    if conftest._skip_reason():
        pytest.skip(conftest._skip_reason())
    lab = conftest.Lab(conftest.new_lab_name(), tmp_path_factory.mktemp("lab"))
    conftest._live_labs[lab.name] = lab
    try:
        lab.state_dir.mkdir(parents=True, exist_ok=True)
        (lab.state_dir / conftest.OWNER_FILE).write_text(f"{os.getpid()}\n")
        lab.config_path("lma").write_text(LMA_YAML + dataplane(lab, "lma"))
        lab.config_path("mag1").write_text(mag_yaml(1, MAG1, "wlan", dataplane(lab, "mag1")))
        lab.config_path("mag2").write_text(mag_yaml(2, MAG2, "eutran"))
        lab.config_path("mn").write_text(mn_yaml(if2=False))
        lab.up()
        lab.run("mag2", "ip", "-6", "addr", "add", f"{ROGUE}/64", "dev", "wan0", "nodad")
        lab.run("lma", "ip", "-6", "addr", "add", f"{MAG_FROM_ROGUE.src}/64", "dev", "mag1a", "nodad")
        lab.start("lma", "mag1", "mn")
        [entry] = wait_for("mn1 registered via mag1", lambda: active(lab.ctl("lma", "bindings")), timeout=20)
        lab.registered_at = time.time()   # within 0.2 s of the accepted PBU's timestamp
        wait_for("mag1 registered", lambda: [b for b in lab.ctl("mag1", "bindings") if b["state"] == "registered"])
        lab.mn1_prefix = entry["prefixes"][0]
        yield lab
    finally:
        p = lab.down(check=False)
        assert p.returncode == 0, p.stderr


def send(lab, target, data, bad_checksum=False, wait=1.0, icmp=None):
    """The octets from target.sender to target.dst; the decoded Mobility Headers that came back.
    With a list as `icmp`, the ICMPv6 errors that came back are appended to it as
    (type, code, pointer)."""
    cmd = [PYTHON, str(MH_TOOL), "send", "--src", target.src, "--dst", target.dst, "--hex", data.hex(),
           "--wait", str(wait)]
    if bad_checksum:
        cmd.append("--bad-checksum")
    if icmp is not None:
        cmd.append("--icmp")
    out = lab.run(target.sender, *cmd).stdout
    replies = []
    for line in out.splitlines():
        r = json.loads(line)
        if "icmp" in r:
            b = bytes.fromhex(r["icmp"])
            icmp.append((b[0], b[1], struct.unpack("!I", b[4:8])[0]))
            continue
        d = subprocess.run([PMIPX_BIN, "decode", "--json", "--hex", r["hex"], "--src", target.dst,
                            "--dst", target.src], capture_output=True, text=True, check=True).stdout
        replies.append(json.loads(d)["frames"][0]["message"])
    return replies


def metrics(lab, node):
    """`pmipx ctl metrics` as {'name{labels}': value} (Prometheus text)."""
    out = subprocess.run([PMIPX_BIN, "ctl", "--netns", lab.ns(node), "metrics"], capture_output=True,
                         text=True, check=True, timeout=30).stdout
    m = {}
    for line in out.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            m[k] = float(v)
    return m


def raw6_drops(lab, node):
    """Drops counted by the kernel on the node's raw IPPROTO_MH (135) sockets (/proc/net/raw6):
    a Mobility Header with a bad checksum never reaches the daemon (IPV6_CHECKSUM)."""
    out = lab.run(node, "cat", "/proc/net/raw6").stdout.splitlines()[1:]
    return sum(int(f[-1]) for f in (line.split() for line in out) if f[1].endswith(":0087"))


def snapshot(lab, node):
    """What must not change: the daemon's tables and the kernel's routes in its namespace."""
    s = {"bindings": stable(lab.ctl(node, "bindings")),
         "routes": lab.run(node, "ip", "-6", "route", "show", "table", "all").stdout}
    if node == "lma":
        s["flows"] = lab.ctl(node, "flows")
    else:
        s["links"] = lab.ctl(node, "links")
    return s


@dataclasses.dataclass
class Counters:
    stats: dict
    metrics: dict
    drops: int


def counters(lab, node):
    return Counters(lab.ctl(node, "stats"), metrics(lab, node), raw6_drops(lab, node))


def rose(path):
    """A check that the stats value at `path` (dotted) rose by one."""
    def check(a, b):
        def get(c):
            v = c.stats
            for k in path.split("."):
                v = v.get(k, 0) if isinstance(v, dict) else 0
            return v
        return get(b) == get(a) + 1, f"stats {path}: {get(a)} -> {get(b)}"
    return check


def metric_rose(pattern):
    """A check that the sum of the metrics whose 'name{labels}' matches the regex rose."""
    def check(a, b):
        total = lambda c: sum(v for k, v in c.metrics.items() if re.search(pattern, k))
        return total(b) > total(a), f"metric /{pattern}/: {total(a)} -> {total(b)}"
    return check


def drops_rose(a, b):
    return b.drops > a.drops, f"raw6 drops: {a.drops} -> {b.drops}"


@dataclasses.dataclass
class Row:
    name: str
    target: Target
    message: Callable            # lab -> octets
    reply: Optional[tuple]       # None: silent discard; ("PBA", status), ("BE", 2), ("UPA", status)
    counter: Callable            # (Counters before, Counters after) -> (ok, description)
    log: Optional[str]           # regex a new line of the target's log must match (None: kernel drop)
    bad_checksum: bool = False
    reply_has: Optional[Callable] = None   # (lab, reply) -> [(what, got, expected)]: the reply's content
    icmp: Optional[tuple] = None           # an ICMPv6 error expected back: (type, code, pointer)
    xfail: Optional[str] = None            # a known gap in pmipx: why the row fails today


def options(m, name):
    return [o for o in m.get("options", []) if o["option"] == name]


def pba_content(seq=100, lma_time=False, hnp="::/0", mn=None, hi=1, no_ts=False):
    """A refusal (RFC 5213 §5.3.1, §5.3.6 / PROTOCOL.md §7.10): the PBU's sequence number, P set,
    lifetime 0; on 156/157 a Timestamp holding the LMA's time, not the PBU's; the HNP options
    echoed unchanged; the MN-ID (zero-length when the PBU had none), HI and ATT copied."""
    def check(lab, m):
        out = [("sequence", m["sequence"], seq), ("P flag", "P" in m["flags"], True), ("lifetime", m["lifetime"], 0)]
        if lma_time:
            ts = [round(abs(o["seconds"] - time.time())) <= 5 for o in options(m, "Timestamp")]
            out.append(("Timestamp = the LMA's current time", ts, [True]))
        if no_ts:
            out.append(("no Timestamp (the PBU had none)", options(m, "Timestamp"), []))
        out.append(("HNP echoed", [o["prefix"] for o in options(m, "HNP")], [hnp(lab) if callable(hnp) else hnp]))
        out.append(("HI copied", [o["hi"]["value"] for o in options(m, "Handoff Indicator")], [hi]))
        out.append(("ATT copied", [o["att"]["value"] for o in options(m, "Access Technology Type")], [4]))
        if mn is not None:
            out.append(("MN-ID echoed", [o.get("identifier") for o in options(m, "MN-ID")], [mn]))
        return out
    return check


def fma_content(seq, mn):
    """RFC 7077 §4.2 / RFC 7864: the UPA copies the UPN's sequence number and echoes its MN-ID."""
    return lambda lab, m: [("sequence", m["sequence"], seq),
                           ("MN-ID echoed", [o.get("identifier") for o in options(m, "MN-ID")], [mn])]


def be_content(lab, m):
    """RFC 6275 §6.1.9 / PROTOCOL.md §2.5: PMIPv6 has no Home Address option: the field is ::."""
    return [("home address", m["home_address"], "::")]


MN1_PREFIX = lambda lab: lab.mn1_prefix  # noqa: E731


def malformed(reason):
    return metric_rose(r"messages_malformed_total\{reason=\"" + re.escape(reason) + r"\"\}")


def truncated_option_header():
    # The last octet is an option type with no Length octet (RFC 6275 §6.2.1).
    body = bytearray(mh(PBU, pbu_fixed(), [o_hnp(), o_mnid(MN), o_hi(), o_att(), o_ts()]))
    body = pad_to(body, 8, 7) + b"\x13"
    body[1] = len(body) // 8 - 1
    return bytes(body)


def overlapping_option():
    # An MN-ID claiming 40 octets, 6 of them inside Header Len, the rest trailing the message.
    body = bytearray(mh(PBU, pbu_fixed(), [o_hnp(), o_mnid(MN), o_hi(), o_att(), o_ts()]))
    body += bytes([8, 40, 1]) + b"mn1@e" + bytes(8)
    body[1] = (len(body) - 8) // 8 - 1
    return bytes(body)


def older_than_registration(lab):
    """mn1's prefix, a handoff (HI 2) from mag2, timestamped 5 s before mn1's registration: inside
    the validity window but lower than the accepted one (RFC 5213 §5.5: 157)."""
    assert time.time() - lab.registered_at < WINDOW_S - 10, "too late for a timestamp inside the window"
    return pbu(options=[o_hnp(lab.mn1_prefix.split("/")[0], 64), o_mnid(MN), o_hi(2), o_att(4),
                        o_ts(at=lab.registered_at - 5)])


ICMP_GAP = ("the daemons send no ICMPv6 Parameter Problem for a bad Payload Proto or Header Len "
            "(RFC 6275 §9.2 SHOULD): the LMA has no ICMPv6 socket and the MH socket does not keep the "
            "invoking IPv6 header the error must quote")

CORPUS = [
    # ---- at the LMA: RFC 6275 §9.2 generic checks
    Row("lma-bad-checksum", LMA, lambda lab: pbu(seq=201), None, drops_rose, None, bad_checksum=True),
    Row("lma-header-len-too-small", LMA, lambda lab: mh(PBU, pbu_fixed(), [o_mnid(MN)], header_len=0), None,
        malformed("header length too small"), r"malformed .*header length too small"),
    Row("lma-payload-proto-not-59", LMA, lambda lab: mh(PBU, pbu_fixed(), [o_mnid(MN), o_ts()], proto=6), None,
        malformed("bad payload proto"), r"malformed .*bad payload proto"),
    # RFC 6275 §9.2: both SHOULD also draw an ICMPv6 Parameter Problem (type 4, code 0) whose
    # Pointer is the offset of the field in the invoking packet (40-octet IPv6 header + 0 / + 1).
    Row("lma-payload-proto-not-59-parameter-problem", LMA,
        lambda lab: mh(PBU, pbu_fixed(), [o_mnid(MN), o_ts()], proto=6), None, malformed("bad payload proto"),
        r"malformed .*bad payload proto", icmp=(4, 0, 40), xfail=ICMP_GAP),
    Row("lma-header-len-too-small-parameter-problem", LMA,
        lambda lab: mh(PBU, pbu_fixed(), [o_mnid(MN)], header_len=0), None, malformed("header length too small"),
        r"malformed .*header length too small", icmp=(4, 0, 41), xfail=ICMP_GAP),
    Row("lma-unknown-mh-type-42", LMA, lambda lab: mh(42, bytes(6), []), ("BE", 2),
        rose("binding_errors_sent"), r"malformed .*unknown mobility header type", reply_has=be_content),
    # ---- options (RFC 6275 §6.2.1, RFC 5213 §8.1 multiplicity)
    Row("lma-truncated-option-header", LMA, lambda lab: truncated_option_header(), None,
        malformed("option truncated"), r"malformed .*option truncated"),
    Row("lma-option-overlaps-message-end", LMA, lambda lab: overlapping_option(), None,
        malformed("option truncated"), r"malformed .*option runs past the message"),
    Row("lma-hnp-bad-length", LMA, lambda lab: pbu(options=[o_hnp(length=17), o_mnid(MN), o_hi(), o_att(), o_ts()]),
        None, malformed("bad option length"), r"malformed .*bad option length"),
    Row("lma-hnp-prefix-length-129", LMA,
        lambda lab: pbu(MN2, options=[o_hnp("2001:db8:8000:77::", 129), o_mnid(MN2), o_hi(), o_att(), o_ts()]),
        None, rose("malformed"), r"rx from .*: malformed"),
    Row("lma-two-mn-ids", LMA, lambda lab: pbu(options=[o_hnp(), o_mnid(MN), o_mnid(MN2), o_hi(), o_att(), o_ts()]),
        None, malformed("duplicate option"), r"malformed .*duplicate option"),
    Row("lma-two-timestamps", LMA, lambda lab: pbu(options=[o_hnp(), o_mnid(MN), o_hi(), o_att(), o_ts(), o_ts()]),
        None, malformed("duplicate option"), r"malformed .*duplicate option"),
    # ---- timestamps (RFC 5213 §5.5): the replay first, while the registration is recent
    Row("lma-replayed-older-timestamp", LMA, lambda lab: older_than_registration(lab),
        ("PBA", 157), rose("rejects_by_status.157"), r"status=157",
        reply_has=pba_content(lma_time=True, hnp=MN1_PREFIX, mn=MN, hi=2)),
    Row("lma-timestamp-an-hour-ahead", LMA, lambda lab: pbu(options=[o_hnp(), o_mnid(MN), o_hi(), o_att(), o_ts(3600)]),
        ("PBA", 156), rose("rejects_by_status.156"), r"status=156", reply_has=pba_content(lma_time=True, mn=MN)),
    Row("lma-timestamp-zero", LMA, lambda lab: pbu(MN2, options=[o_hnp(), o_mnid(MN2), o_hi(), o_att(), o_ts(at=0)]),
        ("PBA", 156), rose("rejects_by_status.156"), r"status=156", reply_has=pba_content(lma_time=True, mn=MN2)),
    Row("lma-no-timestamp-in-timestamp-domain", LMA, lambda lab: pbu(options=[o_hnp(), o_mnid(MN), o_hi(), o_att()]),
        ("PBA", 156), rose("rejects_by_status.156"), r"status=156",
        reply_has=pba_content(mn=MN, no_ts=True)),
    # ---- identity and authorization (RFC 5213 §5.3.1, §5.4.1)
    Row("lma-foreign-mn-id-claims-mn1-prefix", LMA,
        lambda lab: pbu(options=[o_hnp(lab.mn1_prefix.split("/")[0], 64), o_mnid(MN2), o_hi(1), o_att(4), o_ts()]),
        ("PBA", 155), rose("rejects_by_status.155"), r"status=155",
        reply_has=pba_content(hnp=MN1_PREFIX, mn=MN2)),
    Row("lma-refresh-of-mn1-from-another-mag", LMA,
        lambda lab: pbu(options=[o_hnp(lab.mn1_prefix.split("/")[0], 64), o_mnid(MN), o_hi(5), o_att(4), o_ts()]),
        ("PBA", 155), rose("rejects_by_status.155"), r"status=155", reply_has=pba_content(hnp=MN1_PREFIX, mn=MN, hi=5)),
    Row("lma-mn2-claims-a-prefix-outside-the-pool", LMA,
        lambda lab: pbu(options=[o_hnp("2001:db8:9999::", 64), o_mnid(MN2), o_hi(1), o_att(4), o_ts()]),
        ("PBA", 155), rose("rejects_by_status.155"), r"status=155",
        reply_has=pba_content(hnp="2001:db8:9999::/64", mn=MN2)),
    Row("lma-all-zero-and-non-zero-hnp-mixed", LMA,
        lambda lab: pbu(options=[o_hnp(), o_hnp("2001:db8:8000:99::", 64), o_mnid(MN2), o_hi(1), o_att(4), o_ts()]),
        ("PBA", 128), rose("rejects_by_status.128"), r"status=128"),
    Row("lma-missing-hnp", LMA, lambda lab: pbu(options=[o_mnid(MN2), o_hi(), o_att(), o_ts()]), ("PBA", 158),
        rose("rejects_by_status.158"), r"status=158", reply_has=pba_content(mn=MN2)),
    Row("lma-missing-hi", LMA, lambda lab: pbu(options=[o_hnp(), o_mnid(MN2), o_att(), o_ts()]), ("PBA", 161),
        rose("rejects_by_status.161"), r"status=161", reply_has=pba_content(mn=MN2, hi=0)),
    Row("lma-missing-att", LMA, lambda lab: pbu(options=[o_hnp(), o_mnid(MN2), o_hi(), o_ts()]), ("PBA", 162),
        rose("rejects_by_status.162"), r"status=162"),
    # RFC 6275 §9.5.1, §5.1: a home registration (H set, P clear) without its IPsec SA is
    # discarded; this node is no home agent.
    Row("lma-mipv6-home-registration", LMA, lambda lab: pbu(flags=0xC0), None, rose("unexpected"),
        r"binding update without P flag"),
    Row("lma-pbu-from-unauthorized-mag", LMA_FROM_ROGUE, lambda lab: pbu(seq=301), ("PBA", 154),
        rose("rejects_by_status.154"), r"status=154", reply_has=pba_content(seq=301, mn=MN)),
    Row("lma-missing-mn-id", LMA, lambda lab: pbu(options=[o_hnp(), o_hi(), o_att(), o_ts()]), ("PBA", 160),
        rose("rejects_by_status.160"), r"status=160", reply_has=pba_content(mn="")),
    # RFC 7077 §4.2 (PROTOCOL.md §10): an FMA that answers no FMI is discarded, logged, counted.
    Row("lma-fma-answering-no-fmi", LMA, lambda lab: mh(UPA, struct.pack("!HBBH", 999, 0, 0, 0), [o_mnid(MN)]), None,
        rose("unexpected"), r"UPA seq 999 answers no pending FMI"),
    # ---- lifetime edge cases
    Row("lma-lifetime-0-no-binding", LMA, lambda lab: pbu(MN2, lifetime_units=0, options=[
        o_hnp(), o_mnid(MN2), o_hi(4), o_att(4), o_ts()]), None, rose("pbu_ignored"),
        r"message-dropped .*de-registration .*ignored"),
    # §5.4.1 Case A: mn1's prefix, but neither mn1's MAG nor a handoff (HI 4, no MN-LLI): no entry
    # matches, and a de-registration that matches none is silently ignored, never applied.
    Row("lma-deregistration-of-mn1-from-another-mag", LMA, lambda lab: pbu(lifetime_units=0, options=[
        o_hnp(lab.mn1_prefix.split("/")[0], 64), o_mnid(MN), o_hi(4), o_att(4), o_ts()]), None, rose("pbu_ignored"),
        r"message-dropped .*de-registration .*ignored"),
    Row("lma-lifetime-0-unknown-mn", LMA, lambda lab: pbu(STRANGER, lifetime_units=0), ("PBA", 153),
        rose("rejects_by_status.153"), r"status=153", reply_has=pba_content(mn=STRANGER)),
    # ---- at the MAG
    Row("mag-bad-checksum", MAG, lambda lab: upn(MN), None, drops_rose, None, bad_checksum=True),
    Row("mag-unknown-mh-type-42", MAG, lambda lab: mh(42, bytes(6), []), ("BE", 2),
        malformed("unknown mobility header type"), r"malformed .*unknown mobility header type",
        reply_has=be_content),
    Row("mag-garbage", MAG, lambda lab: bytes.fromhex("3b0206000000deadbeefcafebabe00112233445566778899"),
        None, rose("malformed"), r"malformed"),
    Row("mag-pba-not-asked-for", MAG, lambda lab: pba(STRANGER, 4242), None, rose("pba_ignored"),
        r"matches no outstanding PBU"),
    Row("mag-pba-from-an-address-not-its-lma", MAG_FROM_ROGUE, lambda lab: pba(MN, 4243), None, rose("unexpected"),
        r"PBA from an address that is not our LMA"),
    Row("mag-fmi-from-an-address-not-its-lma", MAG_FROM_ROGUE, lambda lab: upn(MN, 79), None, rose("unexpected"),
        r"UPN from an address that is not our LMA"),
    Row("mag-pba-wrong-sequence", MAG, lambda lab: pba(MN, 4242), None, rose("pba_ignored"),
        r"PBA seq 4242 matches no outstanding PBU"),
    Row("mag-fmi-for-unknown-mn", MAG, lambda lab: upn(STRANGER), ("UPA", 132), rose("fma_failures_sent"),
        r"FMI for an MN not attached here", reply_has=fma_content(77, STRANGER)),
    # RFC 7077 §4.2: a notification the MAG cannot act on is refused: 128
    # FAILED-TO-UPDATE-SESSION-PARAMETERS, the sequence copied, the MN-ID echoed.
    Row("mag-upn-reason-it-cannot-act-on", MAG, lambda lab: upn(MN, 80, reason=200), ("UPA", 128),
        metric_rose(r'messages_sent_total\{type="UPA",status="128"\}'), r"tx .*UPA",
        reply_has=fma_content(80, MN)),
    Row("mag-fmi-two-mn-ids", MAG, lambda lab: mh(UPN, struct.pack("!HHH", 78, 8, 0x8000), [o_mnid(MN), o_mnid(MN)]),
        None, malformed("duplicate option"), r"malformed .*duplicate option"),
]


def reply_of(m):
    kind = {BE: "BE", PBA: "PBA", UPA: "UPA"}.get(m["mh_type"]["value"], str(m["mh_type"]["value"]))
    return (kind, m["status"]["value"])


@pytest.mark.parametrize("row", [pytest.param(r, id=r.name, marks=[pytest.mark.xfail(reason=r.xfail, strict=True)]
                                              if r.xfail else []) for r in CORPUS])
def test_hostile_message(hostile_lab, row):
    lab, node = hostile_lab, row.target.node
    state0, c0 = snapshot(lab, node), counters(lab, node)
    log = lab.log_path(node)
    log_at = log.stat().st_size

    errors = []
    replies = send(lab, row.target, row.message(lab), row.bad_checksum, icmp=errors)

    got = [reply_of(m) for m in replies]
    assert got == ([row.reply] if row.reply else []), f"{row.name}: replies {got}, expected {row.reply}"
    if row.reply_has:
        wrong = [(what, got_, want) for what, got_, want in row.reply_has(lab, replies[0]) if got_ != want]
        assert not wrong, f"{row.name}: reply content (what, got, expected): {wrong}\n{replies[0]}"
    if row.icmp:
        assert errors == [row.icmp], f"{row.name}: ICMPv6 errors {errors}, expected {row.icmp}"
    ok, what = row.counter(c0, counters(lab, node))
    assert ok, f"{row.name}: counter did not rise: {what}"
    if row.log:
        new = wait_for(f"{row.name}: a log line /{row.log}/",
                       lambda: [line for line in log.read_text(errors="replace")[log_at:].splitlines()
                                if re.search(row.log, line)], timeout=3)
        assert new
    assert snapshot(lab, node) == state0, f"{row.name}: the {node}'s state changed"


def test_max_lifetime_is_capped_and_the_state_comes_back(hostile_lab):
    """RFC 5213 §5.3.2 / RFC 6275 §6.1.8: a new session asking for the largest lifetime the
    field can hold (0xFFFF × 4 s) is granted no more than max_lifetime_s; its de-registration
    restores the bindings, flows and routes seen before."""
    lab = hostile_lab
    state0 = snapshot(lab, "lma")
    [r] = send(lab, LMA, pbu(MN2, lifetime_units=0xFFFF, options=[o_hnp(), o_mnid(MN2), o_hi(1), o_att(4), o_ts()]))
    assert reply_of(r) == ("PBA", 0), r
    assert 0 < r["lifetime_s"] <= MAX_LIFETIME_S, r
    prefix = [o["prefix"] for o in r["options"] if o["option"] == "HNP"][0]
    [d] = send(lab, LMA, pbu(MN2, lifetime_units=0, seq=101, options=[
        o_hnp(prefix.split("/")[0], 64), o_mnid(MN2), o_hi(4), o_att(4), o_ts()]))
    assert reply_of(d) == ("PBA", 0), d
    wait_for("mn2's entry deleted and the state restored", lambda: snapshot(lab, "lma") == state0, timeout=5)
