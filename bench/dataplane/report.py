#!/usr/bin/python3
"""Turn bench/dataplane/run.sh's raw measurements into dataplane.json, dataplane.md and plots.

    report.py --raw RAW.jsonl --out DIR --command CMD --runs N --duration S ...

RAW.jsonl: one line per measurement run: {scheme, rules, run, udp: {pps, ...}, tcp: {bps, ...},
extra}. Medians are compared with the plain-forwarding median (scheme "plain").
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

LABELS = {
    "plain": "(a) plain IPv6 forwarding",
    "bpf": "(b) pmipx tc eBPF",
    "nfqueue": "(c) NFQUEUE + fwmark",
}
ORDER = {"plain": 0, "bpf": 1, "nfqueue": 2}
TARGETS = {"bpf_pps_vs_plain": 0.90, "bpf_tcp_vs_plain": 0.97, "bpf_tcp_vs_nfqueue": 5.0}


def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    debian = ""
    try:
        debian = open("/etc/debian_version").read().strip()
    except OSError:
        pass
    load = ""
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(), "debian": debian,
            "loadavg_at_end": load}


def stats(values):
    return {"runs": values, "min": min(values), "median": statistics.median(values), "max": max(values)}


def build(raw, a):
    groups = {}
    for r in raw:
        groups.setdefault((r["scheme"], r["rules"]), []).append(r)
    schemes = []
    for (scheme, rules), runs in sorted(groups.items(), key=lambda kv: (ORDER.get(kv[0][0], 9), kv[0][1])):
        runs.sort(key=lambda r: r["run"])
        entry = {
            "id": f"{scheme}" if scheme == "plain" else f"{scheme}-{rules}",
            "scheme": scheme,
            "label": LABELS.get(scheme, scheme),
            "rules": rules if scheme != "plain" else None,
            "pps": stats([round(r["udp"]["pps"], 1) for r in runs]),
            "tcp_bps": stats([round(r["tcp"]["bps"], 0) for r in runs]),
            "udp_runs": [r["udp"] for r in runs],
            "tcp_runs": [r["tcp"] for r in runs],
        }
        if scheme == "bpf":
            ex = runs[0]["extra"]
            entry["install"] = {"mode": ex.get("install_mode"), **ex.get("install", {})}
            entry["lma"] = ex.get("lma", {})
            entry["matching_rule_packets"] = [r["extra"].get("matching_rule_packets", 0) for r in runs]
        if scheme == "nfqueue":
            entry["classifier"] = [r["extra"].get("classifier", {}) for r in runs]
        schemes.append(entry)
    plain = next((s for s in schemes if s["scheme"] == "plain"), None)
    for s in schemes:
        if plain and plain["pps"]["median"] > 0 and plain["tcp_bps"]["median"] > 0:
            s["ratio_to_plain"] = {"pps": round(s["pps"]["median"] / plain["pps"]["median"], 4),
                                   "tcp": round(s["tcp_bps"]["median"] / plain["tcp_bps"]["median"], 4)}
        else:
            s["ratio_to_plain"] = {"pps": None, "tcp": None}
    targets = []
    for s in schemes:
        if s["scheme"] != "bpf":
            continue
        r = s["ratio_to_plain"]
        nfq = next((x for x in schemes if x["scheme"] == "nfqueue" and x["rules"] == s["rules"]), None)
        vs_nfq = None
        if nfq and nfq["tcp_bps"]["median"] > 0:
            vs_nfq = round(s["tcp_bps"]["median"] / nfq["tcp_bps"]["median"], 3)
        for name, value in (("bpf_pps_vs_plain", r["pps"]), ("bpf_tcp_vs_plain", r["tcp"]),
                            ("bpf_tcp_vs_nfqueue", vs_nfq)):
            targets.append({"target": name, "rules": s["rules"], "goal": TARGETS[name], "value": value,
                            "met": None if value is None else value >= TARGETS[name]})
    return {
        "benchmark": "dataplane",
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": a.command,
        "quick": bool(int(a.quick)),
        "elapsed_s": int(a.elapsed),
        "machine": machine(),
        "parameters": {
            "runs": int(a.runs), "duration_s": float(a.duration), "warmup_s": float(a.warmup),
            "udp_payload_bytes": int(a.payload), "ipv6_packet_bytes": 40 + 8 + int(a.payload),
            "frame_bytes_cn_link": 14 + 40 + 8 + int(a.payload),
            "frame_bytes_tunnel_link": 14 + 40 + 40 + 8 + int(a.payload),
            "tcp_omit_s": int(a.tcp_omit), "sender_cpu": int(a.send_cpu), "receiver_cpu": int(a.recv_cpu),
            "tcp_tool": tool_version(["iperf3", "--version"]),
        },
        "schemes": schemes,
        "targets": targets,
    }


def tool_version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=5).stdout.splitlines()[0].strip()
    except Exception:  # noqa: BLE001
        return ""


def fmt_k(v):
    return f"{v / 1e3:.1f}"


def fmt_g(v):
    return f"{v / 1e9:.2f}"


def pct(v):
    return "" if v is None else f"{v * 100:.0f} %"


def markdown(d):
    p, m = d["parameters"], d["machine"]
    out = ["## Data plane: cn → MN forwarding (pmipx tc eBPF vs plain forwarding vs NFQUEUE)", ""]
    out.append(f"Generated {d['generated']} by `sudo {d['command']}` ({d['elapsed_s']} s"
               + (", **quick mode: not a measurement**" if d["quick"] else "") + ").")
    out.append(f"Machine: {m['nproc']} CPUs, {m['cpu_model']}, Linux {m['kernel']}, Debian {m['debian']}; "
               f"load average at the end {' '.join(m['loadavg_at_end'])}.")
    out.append("")
    out.append(f"- **64-byte packets** are 64-octet IPv6 packets: 40 (IPv6) + 8 (UDP) + {p['udp_payload_bytes']} "
               f"octets of UDP payload, i.e. {p['frame_bytes_cn_link']}-octet Ethernet frames on the cn link and "
               f"{p['frame_bytes_tunnel_link']} on the tunneled LMA → MAG link (veth, no FCS).")
    out.append(f"- **pps**: one UDP flow sent flat out from cn with `sendmmsg` (bench/dataplane/udp_flood.c, "
               f"64 per call, pinned to CPU {p['sender_cpu']}); counted as packets received by the MN's interface "
               f"(if1 rx_packets) over {p['duration_s']:g} s after {p['warmup_s']:g} s of warm-up, the window "
               f"kept by udp_sink.c, which drains the datagrams with `recvmmsg` on CPU {p['receiver_cpu']} (its "
               f"own count, bounded by the receiving process too, is `socket_pps` in the JSON). veth forwarding runs in the sender's softirq, so the whole "
               f"cn → lma → mag1 → mn path is one CPU's work.")
    out.append(f"- **TCP**: one iperf3 stream cn → MN, {p['duration_s']:g} s (first second omitted), client on CPU "
               f"{p['sender_cpu']}, server on CPU {p['receiver_cpu']} ({p['tcp_tool']}); veth carries GSO "
               f"super-packets, so TCP hides most per-packet cost.")
    out.append(f"- {p['runs']} run(s) per row: min / **median** / max; ratios are medians over the plain median.")
    out.append("- (a) the lab's namespaces (cn — lma — mag1 — mn) with static routes, no pmipx. "
               "(b) `pmipx lma`, `pmipx mag` (mag1) and `pmipx mn` with `dataplane: {mode: bpf}`: "
               "IPv6-in-IPv6 encapsulation on the LMA's tc egress, decapsulation on mag1's tc ingress; N flow "
               "rules at the LMA (see below). (c) the same namespaces as (a), every cn → MN packet through "
               "an NFQUEUE at the LMA, classified in user space against N rules "
               "(bench/dataplane/nfq_classify.c: ordered 6-tuple rules behind an exact-match flow cache, "
               "headers-only copy, NFQA_CFG_F_GSO), verdict with a mark, `ip -6 rule fwmark` routing. "
               "(c) forwards natively, without a tunnel (this kernel has no ip6tnl): it measures the cost of "
               "user-space classification, as the seed 002 prototype's baseline did. Its classifier runs on CPU "
               f"{p['receiver_cpu']} and re-injects packets there, so (c) spreads the path over both CPUs while "
               "(a) and (b) forward in the sender's softirq on one; with GSO queueing and a headers-only copy "
               "one NFQUEUE verdict covers a 64 KB TCP super-packet, which is why (c) keeps up in TCP.")
    out.append("")
    out.append("| scheme | rules | 64-byte kpps min / **median** / max | vs (a) | TCP Gbit/s min / **median** / max | vs (a) |")
    out.append("|---|---:|---|---:|---|---:|")
    for s in d["schemes"]:
        pp, tt, r = s["pps"], s["tcp_bps"], s["ratio_to_plain"]
        rules = "—" if s["rules"] is None else s["rules"]
        out.append(f"| {s['label']} | {rules} | "
                   f"{fmt_k(pp['min'])} / **{fmt_k(pp['median'])}** / {fmt_k(pp['max'])} | {pct(r['pps'])} | "
                   f"{fmt_g(tt['min'])} / **{fmt_g(tt['median'])}** / {fmt_g(tt['max'])} | {pct(r['tcp'])} |")
    out.append("")
    if d["targets"]:
        out.append("Targets (issue 7; reported, not asserted):")
        out.append("")
        out.append("| target | rules | goal | measured | met |")
        out.append("|---|---:|---:|---:|---|")
        names = {"bpf_pps_vs_plain": "BPF / plain, 64-byte pps", "bpf_tcp_vs_plain": "BPF / plain, TCP",
                 "bpf_tcp_vs_nfqueue": "BPF / NFQUEUE, TCP"}
        for t in d["targets"]:
            goal = f"≥ {t['goal'] * 100:.0f} %" if t["goal"] < 2 else f"≥ {t['goal']:g}×"
            val = "—" if t["value"] is None else (f"{t['value'] * 100:.0f} %" if t["goal"] < 2 else f"{t['value']:.1f}×")
            met = "—" if t["met"] is None else ("yes" if t["met"] else "**no**")
            out.append(f"| {names[t['target']]} | {t['rules']} | {goal} | {val} | {met} |")
        out.append("")
    bpf = [s for s in d["schemes"] if s["scheme"] == "bpf"]
    if bpf:
        out.append("Flow rules at the LMA for (b): the measured MN holds min(N, 32) rules (the data plane checks at "
                   "most 32 ordered rules per MN): N − 1 that do not match (UDP/TCP to other ports) with higher "
                   "precedence, then the one that does (`{dst: <its prefix>}`); the rest are 32 per extra MN, each "
                   "registered by a real PBU (sent from mag2's address, bench/dataplane/lma_load.py) and holding real "
                   "flow mobility cache entries and BPF rule-map entries. The data plane's flow cache (LRU) means "
                   "only a flow's first packet walks its MN's rule list.")
        out.append("")
        out.append("| rules | install | LMA flow cache entries | BPF rules (kernel) | packets on the matching rule (run 1) |")
        out.append("|---:|---|---:|---:|---:|")
        for s in bpf:
            inst = s.get("install", {})
            reg, api = inst.get("registration", {}), inst.get("api", {})
            desc = (f"{reg.get('accepted', 0)} PBUs in {reg.get('seconds', 0):.1f} s; "
                    f"{api.get('installed', 0)} rules by POST /flows/set in {api.get('seconds', 0):.1f} s")
            if inst.get("mode") == "attach":
                desc += " (the other rules as attach_flows, with the PBUs)"
            out.append(f"| {s['rules']} | {desc} | {s['lma'].get('cache', '?')} | {s['lma'].get('kernel_rules', '?')} | "
                       f"{s['matching_rule_packets'][0] if s['matching_rule_packets'] else 0} |")
        out.append("")
    out.append("![64-byte packets per second](dataplane_pps.png)")
    out.append("![TCP throughput](dataplane_tcp.png)")
    out.append("")
    return "\n".join(out)


def plots(d, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [s["label"].split(" ", 1)[0] + (f" {s['scheme']}" if s["rules"] is None else f" {s['scheme']}\n{s['rules']} rules")
             for s in d["schemes"]]
    colors = {"plain": "#4a4a4a", "bpf": "#2a7ab9", "nfqueue": "#c8553d"}
    for key, scale, unit, fname, title in (
            ("pps", 1e3, "kpps (64-byte IPv6 packets)", "dataplane_pps.png", "cn → MN, 64-byte UDP"),
            ("tcp_bps", 1e9, "Gbit/s", "dataplane_tcp.png", "cn → MN, one TCP stream (iperf3)")):
        fig, ax = plt.subplots(figsize=(8, 4.2))
        med = [s[key]["median"] / scale for s in d["schemes"]]
        lo = [m - s[key]["min"] / scale for m, s in zip(med, d["schemes"])]
        hi = [s[key]["max"] / scale - m for m, s in zip(med, d["schemes"])]
        bars = ax.bar(range(len(med)), med, yerr=[lo, hi], capsize=4,
                      color=[colors.get(s["scheme"], "#888") for s in d["schemes"]])
        for b, s in zip(bars, d["schemes"]):
            r = s["ratio_to_plain"]["pps" if key == "pps" else "tcp"]
            if r is not None:
                ax.annotate(f"{r * 100:.0f} %", (b.get_x() + b.get_width() / 2, b.get_height()),
                            ha="center", va="bottom", fontsize=8, xytext=(0, 3), textcoords="offset points")
        ax.set_xticks(range(len(med)))
        ax.set_xticklabels(names, fontsize=8)
        ax.set_ylabel(unit)
        m = d["machine"]
        ax.set_title(f"{title}: median, min–max of {d['parameters']['runs']} run(s)\n"
                     f"{m['nproc']} CPUs, {m['cpu_model']}, Linux {m['kernel']}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(outdir, fname), dpi=110)
        plt.close(fig)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rerender", help="rewrite the Markdown and plots next to this dataplane.json")
    import sys
    if "--rerender" in sys.argv:
        a = ap.parse_known_args()[0]
        d = json.load(open(a.rerender))
        out = os.path.dirname(os.path.abspath(a.rerender))
        plots(d, out)
        with open(os.path.join(out, "dataplane.md"), "w") as f:
            f.write(markdown(d))
            f.write("\n")
        return
    for k in ("raw", "out", "command", "runs", "duration", "warmup", "payload", "send-cpu", "recv-cpu", "tcp-omit", "quick",
              "elapsed"):
        ap.add_argument("--" + k, required=True)
    a = ap.parse_args()
    raw = [json.loads(l) for l in open(a.raw) if l.strip()]
    d = build(raw, a)
    os.makedirs(a.out, exist_ok=True)
    d["plots"] = plots(d, a.out)
    with open(os.path.join(a.out, "dataplane.json"), "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")
    with open(os.path.join(a.out, "dataplane.md"), "w") as f:
        f.write(markdown(d))
        f.write("\n")


if __name__ == "__main__":
    main()
