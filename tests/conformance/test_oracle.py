"""Conformance of the wire codec against independent oracles (PROTOCOL.md §13, §14.10).

gen_oracle_capture (C++, the real codec) writes a raw-IPv6 pcap with every message type and
mobility option the codec emits, plus an expectations file: per frame, the tshark fields that
PROTOCOL.md §13 lists, with the values the program *encoded*. This test then checks the capture

  (a) with tshark 4.0: no malformed packet, no expert info >= Warning, every expected field
      decoded with the expected value, and tshark's option framing equal to the encoder's;
  (b) with scapy: the MH checksum (which tshark does not verify, §13) and Header Len against
      the IPv6 payload length; the ICMPv6 checksum of the data packets;
  (c) with shared/oracles/mh_oracle.py, the project's reference oracle (exit status 0).

Negative controls at the end prove the checks can fail: a corrupted checksum, a wrong
expected value and a corrupted option framing must each be reported.

Run: /usr/bin/python3 -m pytest -q tests/conformance/test_oracle.py (ctest: conformance_oracles)
Environment:
  PMIPX_GEN_ORACLE_CAPTURE  the generator binary (set by CMake; default: <repo>/build/...)
  PMIPX_TSHARK              tshark binary (default: tshark on PATH)
  PMIPX_ORACLE_WORKDIR      where the capture is written (default: a pytest temp dir)
  PMIPX_SHARED_DIR          the shared/ directory (default: <repo>/../shared, as CI clones it)
"""
import calendar
import copy
import ipaddress
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import raw, rdpcap  # noqa: E402
from scapy.layers.inet6 import IPv6, ICMPv6EchoRequest, in6_chksum  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]

# Everything the generator must cover (the brief of this test; PROTOCOL.md §1.2/§1.3).
REQUIRED_MH_TYPES = {5, 6, 7, 13, 16, 19, 20}
REQUIRED_OPTION_TYPES = {
    3, 8, 9, 10, 18, 19, 22, 23, 24, 25, 26, 27, 28, 33, 35, 36, 37, 38, 39, 44, 45, 50, 55, 63, 64,
}
REQUIRED_COVERAGE = {
    "bu:proxy", "bu:mipv6", "ba:proxy", "ba:mipv6", "binding_error",
    "heartbeat:request", "heartbeat:response", "restart_counter", "bri", "bra",
    "upn:reason:8", "upa",
    "hnp:l_flag", "hi:6", "mnlli:ifp", "mnlli:primary", "muho",
    "gre_key:key", "gre_key:no_key", "bid:no_coa", "bid:coa_ipv4", "bid:coa_ipv6", "bid:priority",
    "fid:ts_ipv4", "fid:ts_ipv6", "fid:bid_ref", "fid:action",
    "fid:target_coa_ipv4", "fid:target_coa_ipv6",
    "dmnp:ipv4", "dmnp:ipv6", "vsm", "auth:last", "replay_protection",
    "ext:type2_routing", "ext:primary_hoa_destopts",
}

# tshark 4.0 does not dissect UPN/UPA bodies (§13): no option fields, only raw body data.
UNDISSECTED_MH_TYPES = {19, 20}

# expert severities (epan/proto.h): Chat 0x200000, Note 0x400000, Warning 0x600000, Error 0x800000
SEVERITY_WARNING = 0x600000

# Display defects of tshark 4.0.17's packet-mip6.c, verified against its source. These are
# not codec bugs: the encoded bytes are right (see the comments), only tshark's view is off.
#  * truncated: the data field's length is computed as option_len - offset where offset
#    already counts the 2-octet Type/Length header, so the field shows 2 octets fewer
#    (dissect_mip6_opt_vsm, dissect_mip6_opt_auth, dissect_mip6_opt_em; §13 notes the last).
#  * raw: MESG-ID is added as FT_ABSOLUTE_TIME with ENC_BIG_ENDIAN = Unix seconds + nanoseconds,
#    while RFC 4285 §6.1 defines an NTP 32.32 timestamp: compare the raw 8 octets instead.
TRUNCATED_BY_2 = {"mip6.vsm.data", "mip6.auth.auth_data", "mip6.em.data"}
RAW_COMPARE = {"mip6.mseg_id.timestamp"}

NTP_UNIX_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01 (RFC 5905)


# ---------------------------------------------------------------- locating tools and files

def _generator():
    env = os.environ.get("PMIPX_GEN_ORACLE_CAPTURE")
    path = Path(env) if env else REPO_ROOT / "build" / "tests" / "conformance" / "gen_oracle_capture"
    if not path.is_file():
        pytest.fail(f"generator not found at {path}: build it (ninja gen_oracle_capture) or set "
                    "PMIPX_GEN_ORACLE_CAPTURE", pytrace=False)
    return path


def _tshark():
    path = os.environ.get("PMIPX_TSHARK") or shutil.which("tshark")
    if not path:
        pytest.fail("tshark not found (the setup script installs it)", pytrace=False)
    return path


def _mh_oracle():
    shared = os.environ.get("PMIPX_SHARED_DIR")
    base = Path(shared) if shared else REPO_ROOT.parent / "shared"
    return base / "oracles" / "mh_oracle.py"


def _tshark_env(tmp_dir):
    env = dict(os.environ)
    # Times print in UTC with C month names; no personal preferences change the dissection.
    env.update(TZ="UTC", LC_ALL="C", WIRESHARK_CONFIG_DIR=str(tmp_dir))
    return env


# ---------------------------------------------------------------- fixtures

@dataclass
class Capture:
    pcap: Path
    expectations: dict
    workdir: Path


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    workdir = os.environ.get("PMIPX_ORACLE_WORKDIR")
    workdir = Path(workdir) if workdir else tmp_path_factory.mktemp("oracle")
    workdir.mkdir(parents=True, exist_ok=True)
    pcap, expect = workdir / "oracle.pcap", workdir / "oracle.expect.json"
    for stale in (pcap, expect):
        stale.unlink(missing_ok=True)
    run = subprocess.run([str(_generator()), str(pcap), str(expect)], capture_output=True, text=True)
    assert run.returncode == 0, f"generator failed ({run.returncode}):\n{run.stderr}"
    return Capture(pcap, json.loads(expect.read_text()), workdir)


@dataclass
class Elem:
    tag: str        # proto | field
    name: str
    show: str
    value: str      # raw octets in hex, as tshark attributes them to the field
    pos: int
    size: int


def tshark_pdml(pcap, workdir):
    """Frame number -> every PDML proto/field of the frame, in tree (= packet) order."""
    cfg = workdir / "wireshark-config"
    cfg.mkdir(exist_ok=True)
    out = subprocess.run([_tshark(), "-n", "-r", str(pcap), "-T", "pdml"], capture_output=True,
                         text=True, env=_tshark_env(cfg))
    assert out.returncode == 0, f"tshark failed:\n{out.stderr}"
    frames = {}
    for packet in ET.fromstring(out.stdout).iter("packet"):
        elems = [Elem(e.tag, e.get("name"), e.get("show", ""), e.get("value", ""),
                      int(e.get("pos", "0")), int(e.get("size", "0")))
                 for e in packet.iter() if e.tag in ("proto", "field") and e.get("name")]
        number = int(next(e.show for e in elems if e.name == "frame.number"))
        frames[number] = elems
    return frames


@pytest.fixture(scope="module")
def pdml(capture):
    return tshark_pdml(capture.pcap, capture.workdir)


# ---------------------------------------------------------------- checks (return problems)

_TIME_RE = re.compile(r"^([A-Z][a-z]{2})\s+(\d{1,2}), (\d{4}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))? UTC$")
_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}


def _tshark_time_ns(show):
    m = _TIME_RE.match(show)
    if not m:
        return None
    mon, day, year, hh, mm, ss, frac = m.groups()
    secs = calendar.timegm((int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss)))
    return secs * 10**9 + int((frac or "0").ljust(9, "0"))


def _expected_time_ns(t):
    secs = t["seconds"] - (NTP_UNIX_OFFSET if t["epoch"] == "ntp" else 0)
    return Fraction(secs * 10**9) + Fraction(t["fraction"] * 10**9, 2 ** t["fraction_bits"])


def _time_raw_hex(t):
    return format((t["seconds"] << t["fraction_bits"]) | t["fraction"], "016x")


def compare_value(field, kind, expected, elem):
    """None if tshark's `elem` shows `expected`, else a description of the difference."""
    show, value = elem.show, elem.value.lower()
    try:
        if kind == "uint":
            ok = int(show, 0) == expected
        elif kind == "bool":
            ok = show.lower() in ("1", "true") if expected else show.lower() in ("0", "false")
        elif kind == "ipv6":
            ok = ipaddress.IPv6Address(show) == ipaddress.IPv6Address(expected)
        elif kind == "ipv4":
            ok = ipaddress.IPv4Address(show) == ipaddress.IPv4Address(expected)
        elif kind == "string":
            # Raw octets: FT_STRING in tshark 4.0, FT_BYTES in newer versions (§13).
            ok = value == expected.encode().hex()
        elif kind == "bytes":
            ok = value == expected or (field in TRUNCATED_BY_2 and value == expected[:-4])
        elif kind == "time" and field in RAW_COMPARE:
            ok = value == _time_raw_hex(expected)
        elif kind == "time":
            # tshark prints nanoseconds; the encoded fraction may need more digits.
            got = _tshark_time_ns(show)
            ok = got is not None and abs(got - _expected_time_ns(expected)) <= 1
        else:
            return f"unknown kind {kind!r} in expectations"
    except ValueError as e:
        ok = False
        show = f"{show} ({e})"
    return None if ok else f"tshark shows {show!r} (raw {value or '-'}), encoded {expected!r}"


def field_problems(expectations, pdml_frames):
    problems = []
    for frame in expectations["frames"]:
        n = frame["number"]
        elems = pdml_frames.get(n)
        if elems is None:
            problems.append(f"frame {n}: not in tshark's output")
            continue
        for field, spec in frame["fields"].items():
            got = [e for e in elems if e.name == field]
            want = spec["values"]
            where = f"frame {n} ({frame['description']}) {field}"
            if len(got) != len(want):
                problems.append(f"{where}: {len(got)} occurrence(s) decoded "
                                f"{[e.show for e in got]}, {len(want)} encoded {want}")
                continue
            for i, (w, e) in enumerate(zip(want, got)):
                diff = compare_value(field, spec["kind"], w, e)
                if diff:
                    problems.append(f"{where}[{i}]: {diff}")
    return problems


def expert_problems(pdml_frames):
    problems = []
    for n, elems in sorted(pdml_frames.items()):
        if any(e.name == "_ws.malformed" for e in elems):
            problems.append(f"frame {n}: tshark reports a malformed packet")
        message = ""
        for e in elems:  # PDML lists an expert item's message before its severity
            if e.name == "_ws.expert.message":
                message = e.show
            elif e.name == "_ws.expert.severity" and int(e.show) >= SEVERITY_WARNING:
                problems.append(f"frame {n}: tshark expert info severity 0x{int(e.show):x}: {message}")
    return problems


def framing_problems(expectations, pdml_frames):
    """tshark's option walk must find the encoder's TLVs (offset, type, size), pads included."""
    problems = []
    for frame in expectations["frames"]:
        if frame["kind"] != "mh" or frame["mh_type"] in UNDISSECTED_MH_TYPES:
            continue
        n, elems = frame["number"], pdml_frames.get(frame["number"], [])
        mh = next((e for e in elems if e.tag == "proto" and e.name == "mipv6"), None)
        if mh is None:
            problems.append(f"frame {n}: tshark did not see a Mobility Header")
            continue
        seen = []
        for e in elems:
            if e.tag == "field" and e.name.startswith("mip6.options.") and e.value:
                seen.append([e.pos - mh.pos, int(e.value[:2], 16), e.size])
            elif e.name == "mip6.mobility_opt":
                # Unknown to tshark 4.0; its displayed Length is wrong (§13), so no size.
                seen.append([e.pos - mh.pos, int(e.show, 0), None])
        seen.sort(key=lambda t: t[0])
        want = frame["tlvs"]
        same = len(seen) == len(want) and all(
            s[:2] == w[:2] and (s[2] is None or s[2] == w[2]) for s, w in zip(seen, want))
        if not same:
            problems.append(f"frame {n} ({frame['description']}): option TLVs [offset, type, size]"
                            f"\n  encoded: {want}\n  tshark:  {seen}")
    return problems


def scapy_problems(pcap):
    """MH checksum and Header Len per MH packet; ICMPv6 checksum of the data packets."""
    problems = []
    for n, pkt in enumerate(rdpcap(str(pcap)), 1):
        if IPv6 not in pkt:
            problems.append(f"frame {n}: scapy finds no IPv6 header")
            continue
        ip6 = pkt[IPv6]
        if ip6.nh == 135:
            mh = raw(ip6)[40:]
            if len(mh) < 8:
                problems.append(f"frame {n}: MH shorter than 8 octets")
                continue
            calc = in6_chksum(135, ip6, mh[:4] + b"\0\0" + mh[6:])
            wire = int.from_bytes(mh[4:6], "big")
            if calc != wire:
                problems.append(f"frame {n}: MH checksum 0x{wire:04x}, scapy computes 0x{calc:04x}")
            if (mh[1] + 1) * 8 != ip6.plen:
                problems.append(f"frame {n}: Header Len {mh[1]} -> {(mh[1] + 1) * 8} octets, "
                                f"IPv6 payload length {ip6.plen}")
        elif ICMPv6EchoRequest in pkt:
            icmp = pkt[ICMPv6EchoRequest]
            data = raw(icmp)
            # in6_chksum follows the routing header to the final destination (RFC 8200 §8.1).
            calc = in6_chksum(58, icmp, data[:2] + b"\0\0" + data[4:])
            if calc != icmp.cksum:
                problems.append(f"frame {n}: ICMPv6 checksum 0x{icmp.cksum:04x}, "
                                f"scapy computes 0x{calc:04x}")
        else:
            problems.append(f"frame {n}: neither MH nor ICMPv6 echo (nh {ip6.nh})")
    return problems


def _report(problems):
    return "\n".join(problems)


# ---------------------------------------------------------------- the tests

def test_capture_covers_every_message_and_option(capture):
    exp = capture.expectations
    frames = exp["frames"]
    assert [f["number"] for f in frames] == list(range(1, len(frames) + 1))
    assert len(rdpcap(str(capture.pcap))) == len(frames)
    mh_types = {f["mh_type"] for f in frames if f["kind"] == "mh"}
    option_types = {t[1] for f in frames if f["kind"] == "mh" for t in f["tlvs"]} - {0, 1}
    assert REQUIRED_MH_TYPES <= mh_types, f"missing MH types {REQUIRED_MH_TYPES - mh_types}"
    assert REQUIRED_OPTION_TYPES <= option_types, \
        f"missing option types {sorted(REQUIRED_OPTION_TYPES - option_types)}"
    missing = REQUIRED_COVERAGE - set(exp["coverage"])
    assert not missing, f"missing variants {sorted(missing)}"


def test_tshark_no_malformed_or_warning(pdml):
    problems = expert_problems(pdml)
    assert not problems, _report(problems)


def test_tshark_decodes_the_encoded_values(capture, pdml):
    problems = field_problems(capture.expectations, pdml)
    assert not problems, _report(problems)


def test_tshark_option_framing_matches_encoder(capture, pdml):
    problems = framing_problems(capture.expectations, pdml)
    assert not problems, _report(problems)


def test_tshark_sees_the_protocols(capture, pdml):
    for frame in capture.expectations["frames"]:
        protos = {e.name for e in pdml[frame["number"]] if e.tag == "proto"}
        want = "mipv6" if frame["kind"] == "mh" else "icmpv6"
        assert want in protos, f"frame {frame['number']}: tshark found {sorted(protos)}"
        if frame["kind"] == "data":
            # tshark verifies ICMPv6 checksums (1 = Good), through the RH2 to the HoA.
            status = [e.show for e in pdml[frame["number"]] if e.name == "icmpv6.checksum.status"]
            assert status == ["1"], f"frame {frame['number']}: ICMPv6 checksum status {status}"


def test_scapy_checksums_and_lengths(capture):
    problems = scapy_problems(capture.pcap)
    assert not problems, _report(problems)


def test_shared_mh_oracle(capture):
    oracle = _mh_oracle()
    if not oracle.is_file():
        pytest.skip(f"shared MH oracle not found at {oracle}: clone shared/ beside the repo or "
                    "set PMIPX_SHARED_DIR (only this check is skipped)")
    run = subprocess.run([sys.executable, str(oracle), str(capture.pcap)], capture_output=True,
                         text=True, env=_tshark_env(capture.workdir / "wireshark-config"))
    assert run.returncode == 0, f"mh_oracle.py exit {run.returncode}:\n{run.stdout}{run.stderr}"


# ---------------------------------------------------------------- negative controls

def _corrupt(capture, name, frame_number, mh_offset, xor):
    """Copy of the capture with one octet of one frame's MH flipped (raw pcap records)."""
    data = bytearray(capture.pcap.read_bytes())
    pos = 24  # pcap global header
    for _ in range(frame_number - 1):
        pos += 16 + int.from_bytes(data[pos + 8:pos + 12], "little" if data[0] == 0xd4 else "big")
    data[pos + 16 + 40 + mh_offset] ^= xor
    out = capture.workdir / name
    out.write_bytes(bytes(data))
    return out


def test_negative_control_bad_checksum_is_caught(capture):
    bad = _corrupt(capture, "negative-checksum.pcap", 1, 4, 0x01)
    assert any("MH checksum" in p for p in scapy_problems(bad))
    oracle = _mh_oracle()
    if oracle.is_file():
        run = subprocess.run([sys.executable, str(oracle), str(bad)], capture_output=True,
                             text=True, env=_tshark_env(capture.workdir / "wireshark-config"))
        assert run.returncode != 0, "mh_oracle.py accepted a corrupted checksum"


def test_negative_control_wrong_value_is_caught(capture, pdml):
    exp = copy.deepcopy(capture.expectations)
    frame = next(f for f in exp["frames"] if f["kind"] == "mh" and f["mh_type"] == 5)
    frame["fields"]["mip6.bu.seqnr"]["values"][0] += 1
    assert any("mip6.bu.seqnr" in p for p in field_problems(exp, pdml))


def test_negative_control_bad_framing_is_caught(capture):
    # Frame 1's first option is MN-ID at MH offset 12: lengthen it by one octet, so every
    # later TLV shifts and tshark's walk no longer matches the encoder's.
    bad = _corrupt(capture, "negative-framing.pcap", 1, 13, 0x01)
    frames = tshark_pdml(bad, capture.workdir)
    assert framing_problems(capture.expectations, frames)
