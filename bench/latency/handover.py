#!/usr/bin/python3
"""Handover latency (issue 7): from the MN's Router Solicitation on a link that comes up to
(i) the Router Advertisement carrying the MN's prefix and (ii) the first downlink packet of a
constant-rate flow on that link.

    sudo /usr/bin/python3 bench/latency/handover.py [--cycles 10] [--rate 10000]

One lab (`blt...ho`, torn down at the end, also on failure), shared prefixes (seed 001
§3.2.1): if1 via mag1 holds pref1, if2 via mag2 shares it (HI 6). The LMA's policy puts flow 1
= {dst: pref1, udp, dst port 5001} on mag2's binding; udp_pace in cn sends to if1's address at
RATE packets/s (the address stays while if2 is down), udp_sink in the MN records every
datagram. Each cycle:
  1. `ip link set if2 down` in the MN: mag2 sees the carrier go and de-registers; after
     MinDelayBeforeBCEDelete (500 ms here) the entry is gone and the flow falls back to mag1
     (the packets lost meanwhile are reported as "down-phase loss", not part of the handover).
  2. `ip link set if2 up` (timestamp right before): the MN agent sends an RS on if2, mag2
     registers with HI 6 (PBU/PBA), advertises pref1 and the LMA puts the flow back on mag2.
Measured on mag2's access link (dumpcap, the same clock as the command): the first RS after
the link came up, the first RA after it with pref1 (non-zero valid lifetime), the first
packet of the flow sent after the link came up (a few older ones wait in mag2's neighbor
queue while the MN's link is down and are flushed by the RS: counted apart); PBU and PBA on
the LMA. Loss in the up phase = sequence numbers never
received whose scheduled send time falls between the link-up and the next cycle."""
import argparse
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import common  # noqa: E402
from common import MAG1, MAG2, PORT, log, ms, summary  # noqa: E402


def run(args, tools, workdir):
    lab = common.BenchLab(f"{args.lab_prefix}ho", workdir)
    try:
        log(f"handover: lab {lab.name} up")
        # The flow's policy: an attach rule (seed 001 §3.3) puts it on every E-UTRAN attachment,
        # so each new registration of if2 (a new BID) takes it in its PBA.
        lab.up(True, attach_rule=f"    attach_flows:\n      - {{att: eutran, fid: 1, priority: 10, "
                                 f"selector: {{protocol: udp, dst_ports: {PORT}}}}}\n")
        by_coa = lab.attach_both(True)
        pref1 = by_coa[MAG1]["prefixes"][0]
        dst = lab.addresses("if1")[0]
        if2_index = lab.ifindex("mn", "if2")
        acc2 = lab.capture("mag2", "acc0", f"icmp6 or udp port {PORT}", workdir / "ho-mag2-acc0.pcap")
        acc1 = lab.capture("mag1", "acc0", f"udp port {PORT}", workdir / "ho-mag1-acc0.pcap")
        mh_cap = lab.capture("lma", "any", "ip6 proto 135", workdir / "ho-lma-mh.pcap")
        api = common.Api(lab)
        flow = common.Flow(lab, tools, dst, args.rate, workdir)
        time.sleep(args.warmup)

        def mag2_entries():
            return [b for b in api.call("GET", "/bindings")["body"] if b["proxy_coa"] == MAG2]

        def flow_bids():
            return [f for f in api.call("GET", "/flows")["body"] if f["fid"] == 1][0]["bids"]

        cycles = []
        for i in range(args.cycles):
            t_down = time.time_ns()
            lab.run("mn", "ip", "link", "set", "if2", "down")
            common.wait_for("mag2's entry gone", lambda: not mag2_entries(), timeout=15)
            t_gone = time.time_ns()
            time.sleep(args.settle)
            t_up = time.time_ns()
            lab.run("mn", "ip", "link", "set", "if2", "up")
            entry = common.wait_for("mag2 registered again",
                                    lambda: [b for b in mag2_entries() if b["state"] == "active"], timeout=15)[0]
            common.wait_for("the flow back on mag2", lambda: flow_bids() == [entry["bid"]], timeout=10)
            t_back = time.time_ns()
            time.sleep(args.dwell)
            cycles.append({"i": i, "t_down_ns": t_down, "t_up_ns": t_up, "down_to_gone_ms": ms(t_gone - t_down),
                           "up_to_flow_back_api_ms": ms(t_back - t_up), "bid": entry["bid"]})
        t_end = time.time_ns()
        sender, receiver = flow.stop()
        drops = common.stop_all([acc2, acc1, mh_cap])
        api.close()
        result = analyse(cycles, t_end, flow, sender, receiver, flow.records(), acc2, mh_cap, pref1, if2_index)
        result.update({"capture_drops": drops, "pref1": pref1, "dst": dst})
        return result
    finally:
        lab.down()


def analyse(cycles, t_end, flow, sender, receiver, records, acc2, mh_cap, pref1, if2_index):
    icmp = common.icmp6_packets(acc2.path)
    pkts = common.flow_packets(acc2.path)
    mh = common.mh_packets(mh_cap.path)
    received = {}
    for seq, _ts, trecv, ifx in records:
        received.setdefault(seq, (trecv, ifx))
    lost_seqs = [s for s in range(sender["sent"]) if s not in received]
    for k, c in enumerate(cycles):
        t_up = c["t_up_ns"]
        t_next = cycles[k + 1]["t_down_ns"] if k + 1 < len(cycles) else t_end
        rs = [ts for ts, typ, _ in icmp if typ == 133 and t_up <= ts < t_next]
        t_rs = rs[0] if rs else None
        ra = [ts for ts, typ, prefixes in icmp if typ == 134 and t_rs is not None and t_rs <= ts < t_next
              and any(p == pref1 and valid > 0 for p, valid in prefixes)]
        # Only datagrams sent after the link came up: a few sent while if2 was going down
        # wait in mag2's neighbor queue (INCOMPLETE entry for the MN) and are flushed when the
        # RS refreshes it, before any registration; they are counted, not taken as the handover.
        first = [ts for ts, seq in pkts if t_up <= ts < t_next and flow.sched_ns(seq) >= t_up]
        stale = [seq for ts, seq in pkts if t_up <= ts < t_next and flow.sched_ns(seq) < t_up]
        pbu = [ts for ts, src, _dst, t in mh if t == 5 and src == MAG2 and t_up <= ts < t_next]
        pba = [ts for ts, _src, dst, t in mh if t == 6 and dst == MAG2 and pbu and pbu[0] <= ts < t_next]
        rx = [tr for tr, ifx in received.values() if ifx == if2_index and t_up <= tr < t_next]
        c.update({
            "rs_seen": t_rs is not None, "ra_seen": bool(ra), "observed": bool(first),
            "up_to_rs_ms": ms(t_rs - t_up) if t_rs else None,
            "rs_to_ra_ms": ms(ra[0] - t_rs) if ra else None,
            "rs_to_first_packet_ms": ms(first[0] - t_rs) if first and t_rs else None,
            "up_to_first_packet_ms": ms(first[0] - t_up) if first else None,
            "rs_to_pbu_ms": ms(pbu[0] - t_rs) if pbu and t_rs else None,
            "pbu_to_pba_ms": ms(pba[0] - pbu[0]) if pba else None,
            "pba_to_ra_ms": ms(ra[0] - pba[0]) if pba and ra else None,
            "pba_to_first_packet_ms": ms(first[0] - pba[0]) if pba and first else None,
            "mn_first_rx_if2_ms": ms(min(rx) - t_up) if rx else None,
            "stale_packets_flushed": len(stale),
            "lost_up_phase": sum(1 for s in lost_seqs if t_up <= flow.sched_ns(s) < t_next),
            "lost_down_phase": sum(1 for s in lost_seqs if c["t_down_ns"] <= flow.sched_ns(s) < t_up),
            # when the datagrams lost in the up phase were sent, relative to the RS (ms)
            "lost_up_sent_after_rs_ms": [round(ms(flow.sched_ns(s) - t_rs), 3) for s in lost_seqs
                                         if t_up <= flow.sched_ns(s) < t_next] if t_rs else [],
        })
    keys = ("up_to_rs_ms", "rs_to_ra_ms", "rs_to_first_packet_ms", "rs_to_pbu_ms", "pbu_to_pba_ms", "pba_to_ra_ms",
            "pba_to_first_packet_ms", "down_to_gone_ms", "lost_up_phase", "lost_down_phase")
    return {
        "rate_pps": flow.rate, "cycles": cycles, "sender": sender, "receiver": receiver,
        "counts": {"sent": sender["sent"], "received_unique": len(received), "lost_total": len(lost_seqs),
                   "cycles": len(cycles), "rs_seen": sum(c["rs_seen"] for c in cycles),
                   "ra_seen": sum(c["ra_seen"] for c in cycles), "observed": sum(c["observed"] for c in cycles),
                   "stale_packets_flushed": sum(c["stale_packets_flushed"] for c in cycles),
            "lost_up_phase": sum(c["lost_up_phase"] for c in cycles),
                   "lost_down_phase": sum(c["lost_down_phase"] for c in cycles),
                   "lost_before_first_cycle": sum(1 for s in lost_seqs if flow.sched_ns(s) < cycles[0]["t_down_ns"])
                   if cycles else len(lost_seqs),
                   "lost_after_last_window": sum(1 for s in lost_seqs if flow.sched_ns(s) >= t_end)},
        "summary": {k: summary([c[k] for c in cycles]) for k in keys},
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description="handover latency (bench/latency)")
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--settle", type=float, default=0.3, help="seconds between the entry's removal and link-up")
    ap.add_argument("--dwell", type=float, default=0.5, help="seconds the flow runs on mag2 before the next cycle")
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--lab-prefix", default="blt")
    ap.add_argument("--out", default=str(common.RESULTS))
    ap.add_argument("--workdir")
    ap.add_argument("--no-render", action="store_true")
    a = ap.parse_args(argv)
    tools = common.build_tools()
    workdir = pathlib.Path(a.workdir or tempfile.mkdtemp(prefix="blt-handover-"))
    workdir.mkdir(parents=True, exist_ok=True)
    load0 = common.machine()["loadavg"]
    res = run(a, tools, workdir)
    res.update({"command": " ".join(["bench/latency/handover.py", *(argv if argv is not None else sys.argv[1:])]),
                "load_before": load0, "load_after": common.machine()["loadavg"], "workdir": str(workdir)})
    log(f"handover: {res['counts']}; RS->RA {res['summary']['rs_to_ra_ms']}; "
        f"RS->first packet {res['summary']['rs_to_first_packet_ms']}")
    path = common.merge_results(a.out, "handover", res)
    log(f"wrote {path}")
    if not a.no_render:
        import render
        render.render(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
