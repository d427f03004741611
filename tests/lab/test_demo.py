"""`pmipx lab demo`: the README's main job, run end to end on a lab of its own: the
introduction (registrations, traffic through the tc eBPF tunnels), then the six scenario
steps of issue 6, each checked by the key observable it prints."""
import pathlib
import re
import subprocess
import time

from conftest import PMIPX_BIN, lab_sh, new_lab_name


def section(out, start, end=None):
    """The demo output from the heading matching `start` up to the one matching `end`."""
    m = re.search(start, out, re.M)
    assert m, f"no section {start!r} in:\n{out}"
    rest = out[m.end():]
    if end:
        n = re.search(end, rest, re.M)
        rest = rest[:n.start()] if n else rest
    return rest


def tunnel(text, name, unit="packets"):
    """What a tunnel carried, from the demo's counter lines
    `tunnel lma -> NAME [COA]: +N packets, +M bytes` (downlink) and `tunnel NAME [COA] -> lma: ...` (uplink)."""
    found = re.findall(r"tunnel (?:lma -> )?" + re.escape(name) + r" \[\S+\](?: -> lma)?: \+(\d+) packets, \+(\d+) bytes",
                       text)
    found = [f[0] if unit == "packets" else f[1] for f in found]
    assert found, f"no counter line for {name} in:\n{text}"
    return [int(x) for x in found]


def test_demo_list_prints_the_six_steps():
    p = subprocess.run([PMIPX_BIN, "lab", "demo", "--list"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert [line.split(".")[0] for line in lines] == ["1", "2", "3", "4", "5", "6"], p.stdout
    assert "shared prefixes" in lines[0] and "handover" in lines[5]
    bad = subprocess.run([PMIPX_BIN, "lab", "demo", "--step", "7"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "--step takes a number 1-6" in bad.stderr, bad


def test_demo_walks_through_registration_traffic_and_the_six_scenarios():
    name = new_lab_name()
    try:
        t0 = time.monotonic()
        p = subprocess.run([PMIPX_BIN, "lab", "demo", "--name", name], capture_output=True, text=True,
                           timeout=400, stdin=subprocess.DEVNULL)
        took = time.monotonic() - t0
        out = re.sub(r"\x1b\[[0-9;]*m", "", p.stdout + p.stderr)  # headings are bold
        assert p.returncode == 0, out
        print(f"demo took {took:.0f} s")

        # Introduction: two registrations at the LMA, an address per interface, a detach, pings
        # through the tunnels, the oracle satisfied.
        intro = section(out, r"^== pmipx demo", r"^== step 1/6")
        assert re.search(r"mn1@example\.com\s+2\s+active", intro), intro
        assert "2001:db8:8000:" in intro
        assert "delete-pending" in intro  # the detach
        assert intro.count("3 packets transmitted, 3 received") == 2, intro
        assert "Mobility Header packets of intro-lma.pcap are well formed" in intro, intro
        # The steps, in order.
        heads = re.findall(r"^== step (\d)/6", out, re.M)
        assert heads == ["1", "2", "3", "4", "5", "6"], heads

        # 1. Shared prefixes: HI 6, Y moved to mag1 with no message; Figure 3.
        s1 = section(out, r"^== step 1/6", r"^== step 2/6")
        assert re.search(r"Handoff Indicator.*hi=6", s1), s1
        assert "shares_prefixes=True" in s1
        before = section(s1, r"^-- 1\.2", r"^-- 1\.3")
        assert tunnel(before, "mag1 wan0 (RED)") == [20] and tunnel(before, "mag2") == [20], before
        after = section(s1, r"^-- 1\.3", r"^-- 1\.4")
        assert tunnel(after, "mag1 wan0 (RED)") == [40] and tunnel(after, "mag2") == [0], after
        assert "Mobility Header messages during the move: 0" in after and "fmi_sent: 0 before, 0 after" in after
        fig3 = section(s1, r"^-- 1\.4")
        prefixes = re.findall(r"mn1@example\.com\s+([12])\s+active\s+\S+\s+(2001:db8:8000:\S+)", fig3)
        assert sorted(b for b, _ in prefixes) == ["1", "2"] and len({p for _, p in prefixes}) == 1, fig3
        assert len(re.findall(r"mn1@example\.com\s+[12]\s+\d+\s+1\s+forward\s+yes", fig3)) == 2, fig3

        # 2. Different prefixes: the FMI (reason 8, HNP L=1, FID) and FMA 0, decoded; off-link.
        s2 = section(out, r"^== step 2/6", r"^== step 3/6")
        assert re.search(r"^\s+FMI .*reason=8", s2, re.M) and re.search(r"^\s+(FMA|UPA) .*status=0", s2, re.M), s2
        assert re.search(r"HNP.*off_link=true", s2) and "Flow Identification" in s2, s2
        traffic = section(s2, r"^-- 2\.4")
        assert tunnel(traffic, "mag2") == [20] and tunnel(traffic, "mag1 wan0 (RED)") == [20], traffic

        # 3. MuHo: options in the PBAs, two flows to one address via two MAGs, no FMI.
        s3 = section(out, r"^== step 3/6", r"^== step 4/6")
        assert re.search(r"MuHo.*prefix=2001:db8:8000:", s3), s3
        flows = section(s3, r"^-- 3\.3")
        assert tunnel(flows, "mag2") == [20] and tunnel(flows, "mag1 wan0 (RED)") == [20], flows
        assert "received 20 datagrams" in flows and "fmi_sent: 0" in flows, flows

        # 4. Primary HoA: rewritten with RH2 via if2, then plain via if1 after the IFP change.
        s4 = section(out, r"^== step 4/6", r"^== step 5/6")
        down = section(s4, r"^-- 4\.2", r"^-- 4\.3")
        assert "3 packets transmitted, 3 received" in down
        assert "encap_hoa_rewritten: +3" in down and "decap_hoa_restored: +3" in down, down
        assert down.count("routing header type 2") == 3 and down.count("destination options: primary HoA option") == 3, down
        back = section(s4, r"^-- 4\.3")
        assert "3 packets transmitted, 3 received" in back
        assert "encap_hoa_rewritten: +0" in back and "3 plain echo requests" in back, back

        # 5. Multipath: 3:1 per packet, the pinned flow RED -> BLUE when RED fails -> RED.
        s5 = section(out, r"^== step 5/6", r"^== step 6/6")
        assert re.search(r"MAG Multipath Binding", s5), s5
        assert "tbf" in s5, s5
        m = re.search(r"RED:BLUE = (\d+):(\d+)", s5)
        assert m and int(m[1]) + int(m[2]) == 4000 and abs(int(m[1]) / int(m[2]) - 3) < 0.45, m and m[0]
        for part, path, other in (("5.3", "mag1 wan0 (RED)", "mag1 wan1 (BLUE)"),
                                  ("5.4", "mag1 wan1 (BLUE)", "mag1 wan0 (RED)"),
                                  ("5.5", "mag1 wan0 (RED)", "mag1 wan1 (BLUE)")):
            text = section(s5, r"^-- " + re.escape(part), r"^-- 5\.\d")
            assert tunnel(text, path) == [100, 100], (part, text)  # down at the LMA, up at mag1
            assert tunnel(text, other) in ([0, 0], [0]), (part, text)

        unauthorized = section(s5, r"^-- 5\.6")  # RFC 8278 §4.3: 180, then one path
        assert re.search(r"PBA .*status=180 .*\n.*PBA .*status=0 ", unauthorized), unauthorized
        assert "mag1 multipath_refused: 1" in unauthorized and "2001:db8:3::2" not in unauthorized.split("PBA")[-1]

        # 6. Handover: mag1's binding gone, the TCP transfer intact, then the binding back.
        s6 = section(out, r"^== step 6/6", r"^== the lab stays up")
        first = section(s6, r"^-- 6\.1", r"^-- 6\.2")
        assert tunnel(first, "mag1 wan0 (RED)", "bytes")[0] > 500_000 and tunnel(first, "mag2") == [0], first
        lost = section(s6, r"^-- 6\.2", r"^-- 6\.3")
        assert re.search(r"deleted the entry [0-2]\.\d+ s after the carrier loss", lost), lost
        assert "2001:db8:1::2" not in lost.split("TCP:")[0].split("carrier loss")[1], lost
        assert re.search(r"TCP: sent 4000000 bytes \(error: None\), received 4000000 \(error: None\), SHA-256 identical",
                         lost), lost
        assert tunnel(lost, "mag2", "bytes")[0] > 1_000_000, lost  # the rest of the 4 MB
        back = section(s6, r"^-- 6\.3")
        assert re.search(r"mn1@example\.com\s+\d+\s+active\s+2001:db8:1::2", back), back
        assert tunnel(back, "mag1 wan0 (RED)", "bytes")[0] > 1_000_000, back  # 1 MB through mag1 again

        # The demo leaves the lab up for exploration; ctl sees the same state.
        bindings = None
        for _ in range(20):  # a sanitizer build answers slowly
            bindings = subprocess.run([PMIPX_BIN, "ctl", "--lab", name, "bindings"], capture_output=True,
                                      text=True, timeout=30)
            if bindings.returncode == 0:
                break
            time.sleep(0.5)
        logs = {n: _tail(f"/run/pmipx/{name}/{n}.log") for n in ("lma", "mag1", "mag2")}
        assert bindings.returncode == 0 and bindings.stdout.count(" active ") == 2, (bindings, logs)
    finally:
        lab_sh("down", name=name, check=False)
    assert subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.count(name) == 0


def _tail(path, lines=40):
    p = pathlib.Path(path)
    return "\n".join(p.read_text(errors="replace").splitlines()[-lines:]) if p.exists() else "(no log)"
