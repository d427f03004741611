#!/usr/bin/python3
"""Assemble BENCHMARKS.md from the fragments in bench/results/ (bench/run_all.sh calls it).

    /usr/bin/python3 bench/report.py [--out bench/results] [--output BENCHMARKS.md]
    /usr/bin/python3 bench/report.py --micro-only [--out DIR]   # only OUT/micro.md from the JSON

Inputs in OUT: run_all.json (what ran, with notes), latency.json/latency.md, dataplane.json/
dataplane.md, signaling.json/signaling.md, micro_wire.json/micro_engine.json (Google
Benchmark JSON) and the PNGs the fragments link. A fragment that is missing is named in the
report as not run. Headline ratios come from each part's JSON: a top-level "headline" list of
strings when the part provides one, otherwise the figures this script knows how to read."""
import argparse
import json
import os
import pathlib
import platform
import re
import subprocess
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
PARTS = [("dataplane", "Data plane"), ("signaling", "Signaling"), ("latency", "Flow-move and handover latency"),
         ("micro", "Micro-benchmarks (codec and engines)")]


def load(path):
    try:
        return json.loads(pathlib.Path(path).read_text())
    except (OSError, ValueError):
        return None


def fmt(x, digits=2):
    if x is None:
        return "–"
    if isinstance(x, int) or (isinstance(x, float) and x >= 1000):
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


# ------------------------------------------------------------------------------ machine

def machine():
    cpu, mem = "", 0
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1])

    def git(*args):
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem / 1048576, 1), "kernel": platform.release(),
            "os": _os_release(), "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "commit": git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)" if dirty else ""),
            "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def _os_release():
    try:
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return ""


# ------------------------------------------------------------------------------ micro

def gbench_rows(data):
    """Google Benchmark JSON -> rows (median aggregate when there are repetitions)."""
    rows = []
    if not data:
        return rows
    bms = data.get("benchmarks", [])
    has_agg = any(b.get("run_type") == "aggregate" for b in bms)
    for b in bms:
        if has_agg and not (b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"):
            continue
        name = b.get("run_name") or b["name"]
        extra = {k: v for k, v in b.items() if k in ("bytes_per_binding", "allocs_per_op", "alloc_bytes_per_op",
                                                     "bindings")}
        rows.append({"name": name, "real_time": b.get("real_time"), "cpu_time": b.get("cpu_time"),
                     "unit": b.get("time_unit", "ns"), "items_per_second": b.get("items_per_second"), **extra})
    return rows


def micro_md(out):
    wire, engine = load(out / "micro_wire.json"), load(out / "micro_engine.json")
    if not wire and not engine:
        return None
    lines = ["# Micro-benchmarks", ""]
    ctx = (wire or engine).get("context", {})
    lines += [f"Google Benchmark, {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
              f"library build {ctx.get('library_build_type', '?')}; medians of repetitions where repeated. "
              "Commands: `BUILD/bench/wire_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true`, "
              "`BUILD/bench/engine_bench` (bench/run_all.sh).", ""]
    if wire:
        lines += ["## Codec (`wire_bench`)", "", "| benchmark | ns/op (CPU) | heap allocations/op |", "|---|---:|---:|"]
        for r in gbench_rows(wire):
            t = r["cpu_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[r["unit"]]
            lines.append(f"| {r['name']} | {t:.0f} | {fmt(r.get('allocs_per_op'))} |")
        lines.append("")
    if engine:
        lines += ["## Engines (`engine_bench`)", "", "| benchmark | time | items/s | bytes per binding |",
                  "|---|---:|---:|---:|"]
        for r in gbench_rows(engine):
            lines.append(f"| {r['name']} | {r['real_time']:.1f} {r['unit']} | {fmt(r.get('items_per_second'))} | "
                         f"{fmt(r.get('bytes_per_binding'), 0)} |")
        lines.append("")
    return "\n".join(lines)


def micro_headline(out):
    h = []
    wire = {r["name"]: r for r in gbench_rows(load(out / "micro_wire.json"))}
    engine = {r["name"]: r for r in gbench_rows(load(out / "micro_engine.json"))}
    if "BM_Decode_PBU" in wire:
        r = wire["BM_Decode_PBU"]
        ns = r["cpu_time"] * {"ns": 1, "us": 1e3, "ms": 1e6}[r["unit"]]
        h.append(f"PBU decode: **{ns:.0f} ns** (aim < 250 ns).")
    refresh = engine.get("BM_LmaRefresh/1000000")
    reg = engine.get("BM_LmaInitialRegistration/1000000/iterations:1") or engine.get("BM_LmaInitialRegistration/1000000")
    if refresh and refresh.get("items_per_second"):
        h.append(f"LMA engine refreshes at 1M bindings: **{fmt(refresh['items_per_second'])}/s** (aim 500,000/s).")
    if reg and reg.get("bytes_per_binding"):
        h.append(f"LMA engine heap per binding at 1M: **{reg['bytes_per_binding']:.0f} B** (target < 512 B; "
                 "the daemon's resident memory per binding is the signaling benchmark's figure).")
    return h


# ------------------------------------------------------------------------------ latency

def latency_headline(out):
    data = load(out / "latency.json")
    if not data:
        return []
    h = []
    fm = (data.get("flow_move") or {}).get("cases", {})
    rtt = next((c["rtt_summary_ms"]["median"] for c in fm.values() if c.get("rtt_summary_ms", {}).get("median")),
               None)
    sh = fm.get("shared")
    if sh and sh["latency_ms"]["median"] is not None:
        h.append(f"Flow move, shared prefixes (no signaling): median **{sh['latency_ms']['median']:.2f} ms** "
                 f"(max {sh['latency_ms']['max']:.2f}) against the 1 ms target = "
                 f"**{sh['latency_ms']['median']:.1f}×** the target; {sh['counts']['lost_during_moves']} packets lost "
                 f"over {sh['counts']['moves']} moves at {sh['rate_pps']:,} packets/s.")
    fmi = fm.get("fmi")
    if fmi:
        g = fmi["latency_ms_by_group"].get("with FMI")
        if g and g["median"] is not None and rtt is not None:
            h.append(f"Flow move with FMI/FMA: median **{g['median']:.2f} ms** (max {g['max']:.2f}) against one "
                     f"LMA–MAG round trip + 1 ms = {rtt + 1:.2f} ms (RTT median {rtt:.3f} ms) = "
                     f"**{g['median'] / (rtt + 1):.1f}×** the target; {fmi['counts']['lost_during_moves']} packets "
                     "lost.")
    ho = data.get("handover")
    if ho:
        s = ho["summary"]
        if s["rs_to_ra_ms"]["median"] is not None:
            h.append(f"Handover: RS → RA with the prefix median **{s['rs_to_ra_ms']['median']:.2f} ms**, RS → first "
                     f"downlink packet median **{fmt(s['rs_to_first_packet_ms']['median'])} ms** "
                     f"({ho['counts']['cycles']} cycles).")
    return h


# ------------------------------------------------------------------------------ others

def generic_headline(out, part):
    """A part's own "headline" list, else its "targets" list ({target, goal, value, met, ...})."""
    data = load(out / f"{part}.json")
    if not isinstance(data, dict):
        return []
    if isinstance(data.get("headline"), list):
        return [str(x) for x in data["headline"]]
    h = []
    for t in data.get("targets") or []:
        if not isinstance(t, dict) or "target" not in t:
            continue
        extra = ", ".join(f"{k} {v}" for k, v in t.items() if k not in ("target", "goal", "value", "met", "note"))
        value, goal = t.get("value"), t.get("goal")
        ratio = f"**{value:.2f}**" if isinstance(value, (int, float)) else f"**{value}**"
        verdict = "met" if t.get("met") else "missed" if t.get("met") is False else "?"
        h.append(f"`{t['target']}`{' (' + extra + ')' if extra else ''}: {ratio} against {goal} → {verdict}"
                 + (f" ({t['note']})" if t.get("note") else ""))
    return h


def dataplane_headline(out):
    h = generic_headline(out, "dataplane")
    if h:
        return h
    data = load(out / "dataplane.json")
    ratios = data.get("ratios") if isinstance(data, dict) else None
    if isinstance(ratios, dict):
        for k, v in ratios.items():
            h.append(f"Data plane {k}: **{v if isinstance(v, str) else fmt(v)}**")
    return h


def signaling_headline(out):
    h = generic_headline(out, "signaling")
    if h:
        return h
    data = load(out / "signaling.json")
    if not isinstance(data, dict):
        return h
    ratios = data.get("ratios")
    if isinstance(ratios, dict):
        for k, v in ratios.items():
            h.append(f"Signaling {k}: **{v if isinstance(v, str) else fmt(v)}**")
    # bench/signaling/run.sh: per LMA data plane mode, phases with accepted/s and latency.
    for mode, run in (data.get("signaling") or {}).items():
        phases = {ph.get("name"): ph for ph in run.get("phases", []) if isinstance(ph, dict)}
        echo = (phases.get("echo") or {}).get("accepted_per_s")
        if not echo:
            continue
        parts = [f"{name} **{phases[name]['accepted_per_s']:,.0f}/s** ({phases[name]['accepted_per_s'] / echo:.0%} of the echo bound)"
                 for name in ("register", "refresh", "deregister") if name in phases]
        half = phases.get("refresh_half", {}).get("latency", {}).get("p99_us")
        if half is not None:
            parts.append(f"p99 at half the maximum refresh rate **{half / 1000:.2f} ms**")
        h.append(f"LMA data plane `{mode}`: echo {echo:,.0f}/s; " + "; ".join(parts)
                 + " (targets: ≥ 50 % of the echo bound, p99 < 1 ms)")
    for n, run in sorted((data.get("scale") or {}).items(), key=lambda kv: int(kv[0])):
        b = (run.get("memory") or {}).get("bytes_per_binding")
        if b is not None:
            h.append(f"{int(n):,} bindings: **{b:.0f} B** resident per binding (target < 512 B at 1M)")
    return h


def include(out, fragment, output):
    """A fragment's markdown without its title, headings one level down, local links pointing
    into OUT (relative to where the report is written)."""
    text = fragment.read_text()
    rel = os.path.relpath(out, pathlib.Path(output).resolve().parent)
    lines = []
    for k, line in enumerate(text.splitlines()):
        if line.startswith("# ") and not any(x.startswith("# ") for x in text.splitlines()[:k]):
            continue   # the fragment's title: the report's section heading replaces it
        if line.startswith("#"):
            line = "#" + line
        line = re.sub(r"\]\((?!https?:|/|#)([^)]+)\)", lambda m: f"]({rel}/{m.group(1)})", line)
        lines.append(line)
    return "\n".join(lines)


def report(out, output):
    m = machine()
    status = load(out / "run_all.json") or {}
    rel_out = os.path.relpath(out, pathlib.Path(output).resolve().parent)
    if status.get("started"):
        m["date"] = f"{status['started']} – {status.get('finished', '?')} (the run); report written {m['date']}"
    parts = status.get("parts", {})
    lines = ["# pmipx benchmarks", "",
             f"Generated by `sudo {status.get('command', 'bench/run_all.sh')}` → `bench/report.py` on {m['date']}. "
             "Do not edit by hand: run `sudo bench/run_all.sh` (all parts) or `sudo bench/run_all.sh --only "
             "latency,micro` (some) to regenerate it; raw results, fragments and plots are in "
             f"[`{rel_out}/`]({rel_out}/).", ""]
    if status.get("quick"):
        lines += ["> **Quick mode** (`--quick`): tiny runs that check the tooling; these are not figures to quote.",
                  ""]
    lines += ["## Machine", "", "| | |", "|---|---|",
              f"| CPUs | {m['nproc']} × {m['cpu']} |", f"| RAM | {m['ram_gib']} GiB |",
              f"| kernel | {m['kernel']} ({m['os']}) |", f"| date | {m['date']} |",
              f"| git commit | `{m['commit']}` |",
              f"| load average (1 min) at start / end of the run | {status.get('load_start', '?')} / "
              f"{status.get('load_end', '?')} |", ""]
    try:
        if float(status.get("load_start", 0)) > (m["nproc"] or 1) / 2:
            lines += ["The machine was not idle during the run (other builds and tests shared its "
                      f"{m['nproc']} cores): timings are noisy and pessimistic.", ""]
    except (TypeError, ValueError):
        pass
    headline = {"dataplane": dataplane_headline(out), "signaling": signaling_headline(out),
                "latency": latency_headline(out), "micro": micro_headline(out)}
    lines += ["## Headline", ""]
    for part, title in PARTS:
        if headline[part]:
            lines += [f"- **{title}**"] + [f"  - {x}" for x in headline[part]]
        else:
            st = parts.get(part, {})
            why = f"{st.get('status')}: {st.get('note')}" if st else "not run"
            lines.append(f"- **{title}**: no figures ({why}).")
    lines.append("")
    for part, title in PARTS:
        frag = out / f"{part}.md"
        lines += [f"## {title}", ""]
        st = parts.get(part)
        if st and st.get("status") != "ok":
            lines += [f"_This run: {st.get('status')} ({st.get('note')})._", ""]
        if frag.is_file():
            if st and st.get("status") != "ok":
                lines += ["_The fragment below is from an earlier run._", ""]
            lines += [include(out, frag, output), ""]
        else:
            lines += [f"_No `{rel_out}/{frag.name}`: the part has not run._", ""]
    pathlib.Path(output).write_text("\n".join(lines).rstrip() + "\n")


def main():
    ap = argparse.ArgumentParser(description="assemble BENCHMARKS.md")
    ap.add_argument("--out", default=str(REPO / "bench" / "results"))
    ap.add_argument("--output", default=str(REPO / "BENCHMARKS.md"))
    ap.add_argument("--micro-only", action="store_true", help="write OUT/micro.md from the micro JSON and stop")
    a = ap.parse_args()
    out = pathlib.Path(a.out).resolve()
    md = micro_md(out)
    if md:
        (out / "micro.md").write_text(md)
    if a.micro_only:
        return 0 if md else 1
    report(out, a.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
