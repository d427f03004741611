#!/usr/bin/env python3
"""Turns the JSON reports of bench/signaling/run.sh into bench/results/signaling.json and the
markdown fragment signaling.md (with PNG latency plots), self-contained for BENCHMARKS.md."""
import argparse
import json
import pathlib
import platform

TARGET_RATIO = 0.5      # issue 7: signaling at least 50 % of the echo bound
TARGET_P99_US = 1000.0  # p99 under 1 ms at half the maximum rate
TARGET_BYTES = 512      # under 512 bytes of resident memory per binding at 1M


# Why targets are missed, from this machine's runs (see the report of the session that built
# the benchmark); kept with the figures so BENCHMARKS.md says it next to them.
ANALYSIS = """### Where the targets are met or missed, why, and what would close them

The runs of 2026-11-29 16:50 UTC measure the daemon after four fixes that came out of the
first runs of this benchmark (refresh 18,600/s → 165,000/s, de-registration with the BPF
data plane 971/s → 60,000/s): message lines were rendered before spdlog checked the level,
`io::RawSocket::receive` zero-filled 64 KiB per datagram, the Mobility Header socket kept the
default 212,992-byte queue (PBUs dropped under bursts: the timeouts of the first runs), and
blocking a de-registered entry scanned every prefix of the forwarding edge.

- **Signaling vs the echo bound (target ≥ 50 %)**: refreshes reach 69-81 % of the echo
  rate (met). Initial registrations reach 48 % with the data plane off and 24 % with it on:
  a new binding allocates a prefix and, with `bpf`, installs a kernel route over rtnetlink and
  BPF map entries, one synchronous netlink round trip per binding on the event loop. Closing:
  batch route installs (one netlink message per burst) or move them off the signaling thread.
- **p99 at half the maximum rate (target < 1 ms)**: 0.17-0.18 ms (met).
- **Memory per binding at 1M (target < 512 B)**: about 677 B of resident memory per binding
  for the whole daemon, of which about 496 B are the engine's binding cache and indexes
  (`engine_bench`); the rest is the daemon's own copy of the forwarding state (`routes_`, a
  `std::map` node per prefix kept for `pmipx ctl dataplane` even with the data plane off) and
  allocator overhead. Closing: keep that copy only when the data plane runs, or derive the API
  view from the binding cache.
"""


def load(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        return {"error": f"{path.name}: {e}"}


def phase(report, name):
    for p in report.get("phases", []):
        if p["name"] == name:
            return p
    return None


def fmt_rate(v):
    return f"{v:,.0f}"


def fmt_us(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def phase_table(report):
    rows = ["| phase | target | rate limit | sent | accepted | rejected | timeouts | accepted/s | p50 µs | p99 µs | p99.9 µs |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for p in report.get("phases", []):
        lat = p["latency"]
        rate = fmt_rate(p["rate_limit_per_s"]) + "/s" if p["rate_limit_per_s"] > 0 else f"window {p['window']}"
        rows.append(f"| {p['name']} | {p['target']} | {rate} | {p['sent']} | {p['accepted']} | "
                    f"{p['rejected'] + p['malformed']} | {p['timeouts']} | {fmt_rate(p['accepted_per_s'])} | "
                    f"{fmt_us(lat['p50_us'])} | {fmt_us(lat['p99_us'])} | {fmt_us(lat['p999_us'])} |")
    return "\n".join(rows)


def plot(reports, out_dir, md):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        md.append("(no plots: python3-matplotlib is not installed; scripts/setup.sh installs it)\n")
        return
    for label, report in reports.items():
        fig, ax = plt.subplots(figsize=(7, 4))
        for p in report.get("phases", []):
            cdf = p["latency"].get("cdf_us", [])
            if not cdf:
                continue
            ax.plot([v for _, v in cdf], [q for q, _ in cdf], label=p["name"])
        ax.set_xscale("log")
        ax.set_xlabel("latency (µs, log)")
        ax.set_ylabel("percentile")
        ax.set_title(f"pmipx bench signaling: request → reply latency ({label})")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        name = f"signaling_latency_{label}.png"
        fig.tight_layout()
        fig.savefig(out_dir / name, dpi=100)
        plt.close(fig)
        md.append(f"![latency distribution, {label}]({name})\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--rerender", help="signaling.json of an earlier run: write its markdown and plots again")
    ap.add_argument("--work")
    ap.add_argument("--command")
    ap.add_argument("--mns", type=int)
    ap.add_argument("--mags", type=int)
    ap.add_argument("--window", type=int)
    ap.add_argument("--moves", type=int, default=0)
    ap.add_argument("--scale", default="")
    ap.add_argument("--quick", type=int, default=0)
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    if a.rerender:
        render(json.loads(pathlib.Path(a.rerender).read_text()), out)
        return
    work = pathlib.Path(a.work)

    signaling = {dp: load(work / f"signaling_{dp}.json") for dp in ("bpf", "none")}
    scale = {n: load(work / f"scale_{n}.json") for n in a.scale.split()}
    for name, report in [(f"signaling_{dp}", r) for dp, r in signaling.items()] + \
            [(f"scale_{n}", r) for n, r in scale.items()]:
        try:
            report["lma_mh_socket_drops"] = int((work / f"{name}.drops").read_text())
        except (OSError, ValueError):
            pass
    any_report = next((r for r in list(signaling.values()) + list(scale.values()) if "setup" in r), {})
    machine = any_report.get("setup", {}).get("machine", {})
    machine.setdefault("kernel", platform.release())

    combined = {"command": a.command, "machine": machine, "quick": bool(a.quick),
                "params": {"mns": a.mns, "mags": a.mags, "window": a.window, "moves": a.moves},
                "signaling": signaling, "scale": scale,
                "targets": {"ratio_to_echo": TARGET_RATIO, "p99_at_half_max_us": TARGET_P99_US,
                            "bytes_per_binding_at_1M": TARGET_BYTES}}
    (out / "signaling.json").write_text(json.dumps(combined, indent=1) + "\n")
    render(combined, out)


def render(combined, out):
    a = argparse.Namespace(command=combined["command"].strip(), **combined["params"])
    machine, signaling, scale = combined["machine"], combined["signaling"], combined["scale"]
    md = ["## Signaling load and binding scale (`pmipx bench signaling`)\n",
          f"Produced by `{a.command}` (as root, from the repository) on {machine.get('nproc', '?')} × "
          f"{machine.get('cpu', '?')}, kernel {machine.get('kernel', '?')}. "
          f"The generator runs in the lab's mag1 namespace and emulates {a.mags} MAGs (proxy-CoAs "
          f"2001:db8:1::1000 + i on one veth) and {a.mns:,} MNs (`mn<i>@bench.pmipx`, MN i via MAG "
          f"i mod {a.mags}); `pmipx lma` runs in the lma namespace with `default_mn_profile: {{features: {{shared_prefixes: true}}}}`, a "
          f"/40 pool of /64s and `log: {{level: warn}}`. PBUs are built and PBAs decoded with the "
          f"wire codec; requests go as fast as a window of {a.window} in flight allows, except "
          f"`refresh_half` (half the measured refresh rate). Latency is send → reply in the "
          f"generator. **Flow moves** (`move`, {a.moves:,} MNs, one at a time): each MN gets a "
          f"second binding through the next MAG (`attach_second`, HI 1, a prefix of its own), flow 1 "
          f"is placed on BID 1 with `POST /flows/set`, then `POST /flows/move` to BID 2 (what "
          f"`pmipx ctl flow move` sends) is timed until the FMI reaches the emulated MAG, which "
          f"answers with an FMA at once (the move is applied on it; the LMA's counters confirm "
          f"every move). Generator, LMA and echo share the machine's cores (and other work was "
          f"running on it), so absolute figures are noisy; ratios within one run are the point.\n",
          "**Physical bound (`echo`)**: `pmipx bench echo` in the LMA's namespace, a raw IPv6 "
          "socket on protocol 253 (RFC 3692 experimental) with the same kernel checksum handling "
          "(IPV6_CHECKSUM at octet 4) as the LMA's Mobility Header socket, sends every datagram "
          "back unchanged. The generator sends it the same encoded PBUs, from the same proxy-CoAs "
          "over the same veth, and matches the echoes like PBAs: same size, same path, same socket "
          "code (`io::RawSocket`), no protocol work. A UDP echo would add a different header and "
          "socket layer; a second raw socket is the closest to the LMA's own path.\n"]

    for dp, report in signaling.items():
        md.append(f"### Signaling, LMA data plane `{dp}`\n")
        if "error" in report:
            md.append(f"not measured: {report['error']}\n")
            continue
        md.append(phase_table(report) + "\n")
        ratios = report.get("ratios_to_echo", {})
        if ratios:
            md.append("Ratio to the echo bound (accepted/s ÷ echoes/s, target ≥ "
                      f"{TARGET_RATIO:.0%}): " + ", ".join(f"{k} {v:.0%}" for k, v in ratios.items()) + ".\n")
        drops = report.get("lma_mh_socket_drops")
        timeouts = sum(p["timeouts"] for p in report["phases"])
        if drops is not None:
            md.append(f"Requests that timed out: {timeouts}; PBUs the kernel dropped at the LMA's full "
                      f"Mobility Header socket queue (/proc/net/raw6): {drops}.\n")
        half = phase(report, "refresh_half")
        if half:
            p99 = half["latency"]["p99_us"]
            verdict = "meets" if p99 < TARGET_P99_US else "misses"
            md.append(f"p99 at half the maximum refresh rate ({fmt_rate(half['rate_limit_per_s'])}/s): "
                      f"{fmt_us(p99)} µs ({verdict} the 1 ms target).\n")
        mem = report.get("memory")
        if mem:
            md.append(f"LMA VmRSS {mem['rss_before_kib']:,} → {mem['rss_after_kib']:,} KiB for "
                      f"{mem['bindings']:,} bindings: {mem['bytes_per_binding']:,.0f} bytes per binding.\n")

    md.append("### Binding scale (LMA data plane `none`)\n")
    rows = ["| bindings | registrations/s | reg p99 µs | refreshes/s | refresh p50 µs | refresh p99 µs | "
            "VmRSS before → after (KiB) | bytes per binding |",
            "|---|---|---|---|---|---|---|---|"]
    for n, report in scale.items():
        if "error" in report:
            rows.append(f"| {int(n):,} | not measured: {report['error']} | | | | | | |")
            continue
        reg, ref, mem = phase(report, "register"), phase(report, "refresh"), report.get("memory") or {}
        rows.append(f"| {mem.get('bindings', 0):,} of {int(n):,} | {fmt_rate(reg['accepted_per_s']) if reg else '-'} | "
                    f"{fmt_us(reg['latency']['p99_us']) if reg else '-'} | "
                    f"{fmt_rate(ref['accepted_per_s']) if ref else '-'} | "
                    f"{fmt_us(ref['latency']['p50_us']) if ref else '-'} | "
                    f"{fmt_us(ref['latency']['p99_us']) if ref else '-'} | "
                    f"{mem.get('rss_before_kib', 0):,} → {mem.get('rss_after_kib', 0):,} | "
                    f"{mem.get('bytes_per_binding', 0):,.0f} |")
    md.append("\n".join(rows) + "\n")
    md.append(f"Target: under {TARGET_BYTES} bytes of resident memory per binding at 1M bindings. "
              "Bytes per binding = VmRSS delta of the LMA process across the registrations "
              "(/proc/PID/status) ÷ bindings accepted; it includes the daemon's own copy of the "
              "forwarding state it shows in `pmipx ctl dataplane`. The scale runs use "
              "`dataplane: {mode: none}`: the BPF prefix map holds 65536 prefixes "
              "(PMIPX_DP_MAX_PREFIXES, a build-time default) and each binding would also add a "
              "kernel route. **Restart/reload time** of the bindings is not measured: it needs the "
              "persistence of issue 8, which is not built yet (an LMA restart loses every binding "
              "today).\n")
    md.append(ANALYSIS)
    md.append("### Latency distributions\n")
    plot({f"dataplane_{dp}": r for dp, r in signaling.items() if "phases" in r}, out, md)
    (out / "signaling.md").write_text("\n".join(md))


if __name__ == "__main__":
    main()
