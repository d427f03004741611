#!/usr/bin/python3
"""Flow-move latency (issue 7): how long from a flow move to the flow's first packet on the
new path, and how many packets are lost, with shared prefixes (HI 6, no signaling) and with
different prefixes (FMI/FMA).

    sudo /usr/bin/python3 bench/latency/flow_move.py [--moves 20] [--rate 10000] [--cases shared,fmi]

For each case a lab of its own (`blt...`, torn down at the end, also on failure):
  1. if1 attaches via mag1, if2 via mag2 (HI 6 sharing pref1, or HI 1 with its own pref2);
     flow 1 = {dst: pref1, udp, dst port 5001} on mag1's BID.
  2. udp_pace in cn sends to if1's address at RATE packets/s (sequence number and send time
     in each payload); udp_sink in the MN records every datagram (kernel receive time and
     arrival interface). dumpcap captures the flow on both MAGs' access links (acc0) and the
     Mobility Header packets on the LMA.
  3. MOVES moves, alternately to mag2 and back to mag1, through the LMA's management API
     (POST /flows/move, the call `pmipx ctl flow move` makes) from a helper process inside the
     LMA's namespace; the move's timestamp is taken right before the HTTP request. With
     different prefixes only a move to mag2 needs an FMI, and only while mag2 does not route
     pref1 yet (pmipx never withdraws an off-link prefix from a MAG), so after each move back
     to mag1 the MN's if2 goes down and up: mag2's binding is made afresh and the next move
     to it is signaled again.
  4. Per move: latency = first packet of the flow on the new MAG's access link (capture
     timestamp, same clock) - move timestamp; loss = sequence numbers the MN never received
     whose scheduled send time falls between this move and the next; with FMI/FMA the
     breakdown command -> FMI (UPN) on the wire -> FMA (UPA) -> first packet.
An LMA-MAG round trip (ICMPv6 echo lma -> mag2, the kernel answers) is measured in the same
lab for the target "under one LMA-MAG round trip + 1 ms"."""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import common  # noqa: E402
from common import MAG1, MAG2, MN, PORT, log, ms, summary  # noqa: E402


def run_case(case, args, tools, workdir):
    shared = case == "shared"
    lab = common.BenchLab(f"{args.lab_prefix}{'fs' if shared else 'ff'}", workdir)
    try:
        log(f"{case}: lab {lab.name} up")
        lab.up(shared)
        by_coa = lab.attach_both(shared)
        bid = {MAG1: by_coa[MAG1]["bid"], MAG2: by_coa[MAG2]["bid"]}
        pref1 = by_coa[MAG1]["prefixes"][0]
        dst = lab.addresses("if1")[0]
        ifindex = {MAG1: lab.ifindex("mn", "if1"), MAG2: lab.ifindex("mn", "if2")}
        lab.ctl("lma", "flow", "set", MN, 1, 10, bid[MAG1], f"{{dst: {pref1}, protocol: udp, dst_ports: {PORT}}}")
        rtts = common.rtt(lab, "lma", MAG2, args.rtt_count)

        caps = {MAG1: lab.capture("mag1", "acc0", f"udp port {PORT}", workdir / f"{case}-mag1.pcap"),
                MAG2: lab.capture("mag2", "acc0", f"udp port {PORT}", workdir / f"{case}-mag2.pcap")}
        mh_cap = lab.capture("lma", "any", "ip6 proto 135", workdir / f"{case}-lma-mh.pcap")
        api = common.Api(lab)
        flow = common.Flow(lab, tools, dst, args.rate, workdir)
        time.sleep(args.warmup)
        moves = []
        for i in range(args.moves):
            target, source = (MAG2, MAG1) if i % 2 == 0 else (MAG1, MAG2)
            if args.trigger == "ctl":
                t_call = time.time_ns()
                p = subprocess.run([common.pmipx_bin(), "ctl", "--netns", lab.ns("lma"), "flow", "move", MN, "1",
                                    str(bid[target]), "--json"], capture_output=True, text=True)
                r = {"t_call_ns": t_call, "t_return_ns": time.time_ns(), "status": 200 if p.returncode == 0 else 409,
                     "body": json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else {"error": p.stderr}}
            else:
                r = api.call("POST", "/flows/move", {"mn": MN, "fid": 1, "bid": bid[target]})
            if r["status"] != 200:
                raise RuntimeError(f"move {i} refused: {r}")
            time.sleep(args.dwell)

            def applied():
                flows = api.call("GET", "/flows")["body"]
                f = [f for f in flows if f["fid"] == 1]
                return f and f[0]["bids"] == [bid[target]] and not f[0]["pending"] and f[0]
            f = common.wait_for(f"move {i} applied", applied, timeout=10)
            if not shared and target == MAG1 and i + 1 < args.moves:
                # mag2 keeps routing pref1 off-link once told: the next move to it would need
                # no FMI. A fresh registration of if2 (link down/up) clears that state.
                bid[MAG2] = lab.flap("if2", MAG2)["bid"]
            moves.append({"i": i, "from": source, "to": target, "to_bid": bid[target],
                          "t_cmd_ns": r["t_call_ns"], "api_ms": ms(r["t_return_ns"] - r["t_call_ns"]),
                          "pending_fma": r["body"].get("pending_fma") if isinstance(r["body"], dict) else None, "last_move": f.get("last_move")})
        t_end = time.time_ns()
        sender, receiver = flow.stop()
        drops = common.stop_all([*caps.values(), mh_cap])
        api.close()
        records = flow.records()
        result = analyse(case, moves, t_end, flow, sender, receiver, records, caps, mh_cap, ifindex)
        result.update({"rtt_lma_mag2_ms": rtts, "rtt_summary_ms": summary(rtts), "capture_drops": drops,
                       "pref1": pref1, "dst": dst, "bids": {"mag1": bid[MAG1], "mag2": bid[MAG2]},
                       "prefixes": {"mag1": by_coa[MAG1]["prefixes"], "mag2": by_coa[MAG2]["prefixes"]}})
        return result
    finally:
        lab.down()


def analyse(case, moves, t_end, flow, sender, receiver, records, caps, mh_cap, ifindex):
    on = {coa: common.flow_packets(c.path, with_send_time=True) for coa, c in caps.items()}
    mh = common.mh_packets(mh_cap.path)
    received = {}
    dup = 0
    for seq, _ts, trecv, ifx in records:
        if seq in received:
            dup += 1
        else:
            received[seq] = (trecv, ifx)
    sent = sender["sent"]
    lost_seqs = [s for s in range(sent) if s not in received]
    bounds = [m["t_cmd_ns"] for m in moves] + [t_end]
    for k, m in enumerate(moves):
        t0, t1 = bounds[k], bounds[k + 1]
        new = [(ts, s, sent) for ts, s, sent in on[m["to"]] if t0 <= ts < t1]
        old = [(ts, s, sent) for ts, s, sent in on[m["from"]] if t0 <= ts < t1]
        m["observed"] = bool(new)
        m["latency_ms"] = ms(new[0][0] - t0) if new else None
        m["first_new_seq"] = new[0][1] if new else None
        # when that packet left the sender: a stalled sender delays the observation, not the move
        m["first_new_sent_after_cmd_ms"] = ms(new[0][2] - t0) if new else None
        m["last_old_ms"] = ms(old[-1][0] - t0) if old else None
        m["last_old_seq"] = old[-1][1] if old else None
        m["packets_new_path"] = len(new)
        m["packets_old_path_after_cmd"] = len(old)
        # The MN's own view: the first datagram received on the new interface after the command.
        rx = [tr for s, (tr, ifx) in received.items() if ifx == ifindex[m["to"]] and t0 <= tr < t1]
        m["mn_first_rx_ms"] = ms(min(rx) - t0) if rx else None
        lost_here = [s for s in lost_seqs if t0 <= flow.sched_ns(s) < t1]
        m["lost"] = len(lost_here)
        # when the lost datagrams were sent, relative to the move command (first 20, ms)
        m["lost_sent_after_cmd_ms"] = [round(ms(flow.sched_ns(s) - t0), 3) for s in lost_here[:20]]
        # first on the new path right after the last on the old one: 0 = no gap, no reordering
        m["seq_gap"] = (new[0][1] - old[-1][1] - 1) if new and old else None
        sig = [(ts, src, dst, t) for ts, src, dst, t in mh if t0 <= ts < t1]
        fmi = [ts for ts, src, dst, t in sig if t == 19 and dst == m["to"]]
        fma = [ts for ts, src, dst, t in sig if t == 20 and src == m["to"]]
        m["mh_messages"] = len(sig)
        m["fmi"] = bool(fmi)
        m["cmd_to_fmi_ms"] = ms(fmi[0] - t0) if fmi else None
        m["fmi_to_fma_ms"] = ms(fma[0] - fmi[0]) if fmi and fma else None
        m["fma_to_first_ms"] = ms(new[0][0] - fma[0]) if fma and new else None
    before = sum(1 for s in lost_seqs if flow.sched_ns(s) < bounds[0])
    after = sum(1 for s in lost_seqs if flow.sched_ns(s) >= bounds[-1])
    lat = [m["latency_ms"] for m in moves]
    groups = {"all": moves, "to mag2": [m for m in moves if m["to"] == MAG2],
              "to mag1": [m for m in moves if m["to"] == MAG1],
              "with FMI": [m for m in moves if m["fmi"]], "without FMI": [m for m in moves if not m["fmi"]]}
    return {
        "case": case, "rate_pps": flow.rate, "moves": moves,
        "sender": sender, "receiver": receiver,
        "counts": {"sent": sent, "received_unique": len(received), "duplicates": dup,
                   "lost_total": len(lost_seqs), "lost_before_first_move": before,
                   "lost_during_moves": sum(m["lost"] for m in moves), "lost_after_last_window": after,
                   "moves": len(moves), "moves_observed": sum(1 for m in moves if m["observed"])},
        "latency_ms": summary(lat),
        "latency_ms_by_group": {g: summary([m["latency_ms"] for m in ms_]) for g, ms_ in groups.items() if ms_},
        "lost_per_move": summary([m["lost"] for m in moves]),
        "moves_seamless": sum(1 for m in moves if m["seq_gap"] == 0 and m["lost"] == 0),
        "api_ms": summary([m["api_ms"] for m in moves]),
        "fmi_breakdown_ms": {k: summary([m[k] for m in moves if m["fmi"]])
                             for k in ("cmd_to_fmi_ms", "fmi_to_fma_ms", "fma_to_first_ms")},
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description="flow-move latency (bench/latency)")
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--rate", type=int, default=10000, help="packets per second of the flow")
    ap.add_argument("--cases", default="shared,fmi", help="shared (HI 6, no signaling) and/or fmi (FMI/FMA)")
    ap.add_argument("--dwell", type=float, default=0.3, help="seconds between a move and the check it applied")
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--rtt-count", type=int, default=50)
    ap.add_argument("--trigger", choices=("api", "ctl"), default="api",
                    help="api: POST /flows/move from a helper in the LMA's namespace (default); "
                         "ctl: run `pmipx ctl flow move` (adds its process start-up)")
    ap.add_argument("--lab-prefix", default="blt")
    ap.add_argument("--out", default=str(common.RESULTS), help="results directory (latency.json)")
    ap.add_argument("--workdir", help="captures and raw records (default: a temporary directory, kept)")
    ap.add_argument("--no-render", action="store_true")
    a = ap.parse_args(argv)
    tools = common.build_tools()
    workdir = pathlib.Path(a.workdir or tempfile.mkdtemp(prefix="blt-flow-move-"))
    workdir.mkdir(parents=True, exist_ok=True)
    m0 = common.machine()
    results = {"command": " ".join(["bench/latency/flow_move.py", *(argv if argv is not None else sys.argv[1:])]),
               "load_before": m0["loadavg"], "workdir": str(workdir), "trigger": a.trigger, "cases": {}}
    for case in a.cases.split(","):
        results["cases"][case] = run_case(case, a, tools, workdir)
        c = results["cases"][case]
        log(f"{case}: {c['counts']}; latency ms {c['latency_ms']}")
    results["load_after"] = common.machine()["loadavg"]
    path = common.merge_results(a.out, "flow_move", results)
    log(f"wrote {path}")
    if not a.no_render:
        import render
        render.render(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
