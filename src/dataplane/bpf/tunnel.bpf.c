// SPDX-License-Identifier: GPL-2.0
/* pmipx tc entry points: `encap` (clsact egress) and `decap` (clsact ingress). Only the
 * pipeline steps live here; parsing, encapsulation, maps and the shared selector/hash code
 * are in the headers. DESIGN.md "Data flows":
 *   encap:  IPv6 -> local scope? pass -> flow cache -> (miss) prefix LPM -> owner's ordered
 *           flow rules -> target (tunnel or weighted group) -> IPv6-in-IPv6 -> redirect to the
 *           tunnel's link if it is not this one; LMA, seed 003: a primary-HoA prefix's packet
 *           leaving through a tunnel with a rewrite gets a type 2 routing header first;
 *   decap:  IPv6, next header 41, outer dst a local endpoint, outer src a known peer ->
 *           (LMA: a primary HoA option is checked against the sender's prefixes) -> strip the
 *           outer header (and restore the source), the kernel routes the inner packet. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "encap.h"
#include "hoa.h"
#include "maps.h"
#include "parse.h"
#include "flow_hash.h"
#include "selector_match.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void pmx_count_rule(__u32 owner, __u32 rule_id, __u32 bytes) {
  struct pmipx_dp_rule_stats_key k = {.owner = owner, .rule_id = rule_id};
  struct pmipx_dp_rule_stats *st = bpf_map_lookup_elem(&pmx_rule_stats, &k);
  if (!st) {
    struct pmipx_dp_rule_stats zero = {};
    bpf_map_update_elem(&pmx_rule_stats, &k, &zero, BPF_NOEXIST);
    st = bpf_map_lookup_elem(&pmx_rule_stats, &k);
    if (!st) return;
  }
  st->packets += 1;
  st->bytes += bytes;
}

/* Prefix default, then the owner's rules in priority order (first match wins). */
/* `view` is the packet oriented as selectors are written (CN -> MN). */
static __always_inline void pmx_classify(const struct pmipx_dp_prefix *pfx, const struct pmipx_dp_packet *view,
                                         struct pmipx_dp_flow_entry *d) {
  d->owner = pfx->owner;
  d->prefix_flags = pfx->flags;
  d->rule_id = PMIPX_DP_NO_RULE;
  d->target = pfx->target;
  if (pfx->flags & PMIPX_DP_PREFIX_DROP) {
    d->action = PMIPX_DP_ACTION_DROP;
    return;
  }
  d->action = PMIPX_DP_ACTION_FORWARD;

  __u32 owner = pfx->owner;
  struct pmipx_dp_rule_set *setp = bpf_map_lookup_elem(&pmx_rule_sets, &owner);
  if (!setp) return;
  __u32 word;
  __builtin_memcpy(&word, setp, sizeof(word)); /* count and bank in one load */
  struct pmipx_dp_rule_set set;
  __builtin_memcpy(&set, &word, sizeof(set));
  __u32 count = set.count;
  __u32 base = (set.bank & 1) * PMIPX_DP_MAX_RULES_PER_OWNER;

  /* A real loop (5.3+ verifier), not 32 unrolled copies: one key slot on the stack. */
#pragma clang loop unroll(disable)
  for (__u32 i = 0; i < PMIPX_DP_MAX_RULES_PER_OWNER; i++) {
    if (i >= count) break;
    struct pmipx_dp_rule_key k = {.owner = owner, .slot = base + i};
    struct pmipx_dp_rule *r = bpf_map_lookup_elem(&pmx_rules, &k);
    if (!r) continue;
    if (pmipx_selector_match(&r->selector, view, 0)) {
      d->rule_id = r->rule_id;
      d->action = r->action;
      d->target = r->target;
      return;
    }
  }
}

/* Seed 003 §4.1: the MN's primary-prefix packet (LMA mode) leaves through `tunnel_id`; a
 * rewrite for {owner, tunnel} sends it to the interface HoA behind that tunnel with an RH2
 * holding the primary HoA. The RH2 goes right after the fixed header, so two kinds of packet
 * are refused rather than rewritten:
 *  - Hop-by-Hop first: RFC 8200 §4.1 keeps it immediately after the IPv6 header, so the RH2
 *    would have to go behind a header of variable length;
 *  - a routing header already present (or a chain we could not walk to its end): the
 *    destination would then not be final, RFC 6275 §6.4 puts the RH2 after any other routing
 *    header, and the final destination that the transport checksum covers would change.
 * 0: go on (rewritten or not concerned); -1: drop (counted here).
 *
 * Verifier cost: a global function is checked once on its own, and it counts for itself, so
 * encap gains one branch to an exit. Its inputs travel in skb->cb (tc's scratch area): scalar
 * arguments of a global function are made precise back through all of encap, which defeats
 * state pruning and doubled the instructions the verifier processed. */
enum pmx_rewrite_cb { PMX_CB_OWNER, PMX_CB_TUNNEL, PMX_CB_MAG, PMX_CB_PREFIX_FLAGS };

__attribute__((noinline)) int pmx_rewrite_primary_hoa(struct __sk_buff *skb) {
  __u32 owner = skb->cb[PMX_CB_OWNER], tunnel_id = skb->cb[PMX_CB_TUNNEL];
  if (skb->cb[PMX_CB_MAG] || !(skb->cb[PMX_CB_PREFIX_FLAGS] & PMIPX_DP_PREFIX_PRIMARY_HOA)) return 0;
  struct pmipx_dp_hoa_rewrite_key rk = {.owner = owner, .tunnel_id = tunnel_id};
  struct pmipx_dp_hoa_rewrite *rw = bpf_map_lookup_elem(&pmx_hoa_rewrites, &rk);
  if (!rw) return 0; /* the primary interface's own tunnel: basic PMIPv6 */
  struct pmx_ip6 ip;
  if (bpf_skb_load_bytes(skb, PMIPX_ETH_HLEN, &ip, sizeof(ip)) < 0) goto failed;
  __u32 plen = bpf_ntohs(ip.payload_len);
  __u32 pos = PMIPX_ETH_HLEN + PMIPX_IPV6_HLEN;
  if (ip.next_header == PMIPX_NH_HOPOPTS || plen > 0xffff - PMIPX_DP_RH2_LEN ||
      pmx_chain_has_routing(skb, pos, pos + plen, ip.next_header)) {
    pmx_count(PMIPX_DP_STAT_ENC_HOA_REFUSED);
    return -1;
  }
  if (pmx_rh2_insert(skb, &ip, rw) < 0) goto failed;
  pmx_count(PMIPX_DP_STAT_ENC_HOA_REWRITTEN);
  return 0;
failed:
  pmx_count(PMIPX_DP_STAT_ENC_ADJUST_FAILED);
  return -1;
}

SEC("tc/encap")
int encap(struct __sk_buff *skb) {
  if (skb->protocol != bpf_htons(PMIPX_ETH_P_IPV6)) return PMIPX_TC_ACT_OK;
  pmx_count(PMIPX_DP_STAT_ENC_PACKETS);

  struct pmx_ip6 ip;
  if (bpf_skb_load_bytes(skb, PMIPX_ETH_HLEN, &ip, sizeof(ip)) < 0) {
    pmx_count(PMIPX_DP_STAT_ENC_TRUNCATED);
    return PMIPX_TC_ACT_OK;
  }
  /* ND, MLD and anything link-scoped never enter a tunnel. */
  if (pmx_is_local_scope(ip.dst)) {
    pmx_count(PMIPX_DP_STAT_ENC_LOCAL_SCOPE);
    return PMIPX_TC_ACT_OK;
  }
  __u32 zero = 0;
  struct pmipx_dp_config *cfg = bpf_map_lookup_elem(&pmx_config, &zero);
  if (!cfg) return PMIPX_TC_ACT_OK;
  int mag = cfg->mode == PMIPX_DP_MODE_MAG;
  __u32 generation = cfg->generation;

  struct pmipx_dp_prefix_key pk = {.prefixlen = 128};
  __builtin_memcpy(pk.addr, mag ? ip.src : ip.dst, 16);

  struct pmipx_dp_packet pkt = {};
  if (pmx_parse_flow(skb, PMIPX_ETH_HLEN, &ip, &pkt) != PMX_PARSE_OK) {
    /* Not ours: not our business. Ours: never leaves unencapsulated. */
    if (!bpf_map_lookup_elem(&pmx_prefixes, &pk)) {
      pmx_count(PMIPX_DP_STAT_ENC_NO_PREFIX);
      return PMIPX_TC_ACT_OK;
    }
    pmx_count(PMIPX_DP_STAT_ENC_MALFORMED);
    return PMIPX_TC_ACT_SHOT;
  }

  /* From here on the packet is oriented as selectors are written (CN -> MN); the flow cache
   * is keyed by this view too. */
  if (mag) pmipx_packet_reverse(&pkt);

  struct pmipx_dp_flow_entry d = {};
  struct pmipx_dp_flow_entry *cached = bpf_map_lookup_elem(&pmx_flow_cache, &pkt);
  if (cached && cached->generation == generation) {
    pmx_count(PMIPX_DP_STAT_ENC_CACHE_HIT);
    d = *cached;
  } else {
    struct pmipx_dp_prefix *pfx = bpf_map_lookup_elem(&pmx_prefixes, &pk);
    if (!pfx) {
      pmx_count(PMIPX_DP_STAT_ENC_NO_PREFIX);
      return PMIPX_TC_ACT_OK;
    }
    pmx_count(PMIPX_DP_STAT_ENC_CACHE_MISS);
    pmx_classify(pfx, &pkt, &d);
    d.generation = generation;
    bpf_map_update_elem(&pmx_flow_cache, &pkt, &d, BPF_ANY);
  }

  __u32 inner_len = skb->len - PMIPX_ETH_HLEN;
  if (d.rule_id != PMIPX_DP_NO_RULE) pmx_count_rule(d.owner, d.rule_id, inner_len);
  if (d.action == PMIPX_DP_ACTION_DROP) {
    pmx_count(d.rule_id == PMIPX_DP_NO_RULE ? PMIPX_DP_STAT_ENC_PREFIX_DROP : PMIPX_DP_STAT_ENC_RULE_DROP);
    return PMIPX_TC_ACT_SHOT;
  }

  __u32 tunnel_id = d.target.tunnel_id;
  if (d.target.group_id) {
    __u32 gid = d.target.group_id;
    struct pmipx_dp_group *g = bpf_map_lookup_elem(&pmx_groups, &gid);
    if (!g) {
      pmx_count(PMIPX_DP_STAT_ENC_NO_TUNNEL);
      return PMIPX_TC_ACT_SHOT;
    }
    __u32 r = g->distribution == PMIPX_DP_DIST_PER_PACKET ? bpf_get_prandom_u32() : pmipx_flow_hash(&pkt, 0);
    tunnel_id = pmipx_group_pick(g, r);
  }
  struct pmipx_dp_tunnel *t = bpf_map_lookup_elem(&pmx_tunnels, &tunnel_id);
  if (!t) {
    pmx_count(PMIPX_DP_STAT_ENC_NO_TUNNEL);
    return PMIPX_TC_ACT_SHOT;
  }
  __u32 ifindex = t->ifindex;
  skb->cb[PMX_CB_OWNER] = d.owner;
  skb->cb[PMX_CB_TUNNEL] = tunnel_id;
  skb->cb[PMX_CB_MAG] = mag;
  skb->cb[PMX_CB_PREFIX_FLAGS] = d.prefix_flags;
  if (pmx_rewrite_primary_hoa(skb) < 0)
    return PMIPX_TC_ACT_SHOT;
  if (pmx_encap(skb, &ip, t) < 0) {
    pmx_count(PMIPX_DP_STAT_ENC_ADJUST_FAILED);
    return PMIPX_TC_ACT_SHOT;
  }
  struct pmipx_dp_tunnel_stats *ts = bpf_map_lookup_elem(&pmx_tun_stats, &tunnel_id);
  if (ts) {
    ts->tx_packets += 1;
    ts->tx_bytes += skb->len - PMIPX_ETH_HLEN;
  }
  pmx_count(PMIPX_DP_STAT_ENC_DONE);
  if (ifindex && ifindex != skb->ifindex) {
    pmx_count(PMIPX_DP_STAT_ENC_REDIRECTED);
    return (int)bpf_redirect_neigh(ifindex, NULL, 0, 0);
  }
  return PMIPX_TC_ACT_OK;
}

/* An uplink primary HoA option (seed 003 §4.2) checked before anything changes. */
struct pmx_hoa_claim {
  __u32 found;
  __u32 hdr_len; /* of the Destination Options header */
  struct pmx_hoa_option opt;
};

/* The inner packet (fixed header `inner`, still behind the outer header) starts with a
 * Destination Options header. 0: no primary HoA option in it, or one that may be honored
 * (claim->found); -1: drop. Honored only when the inner source and the claimed HoA fall into
 * prefixes of the same MN and the HoA's is that MN's primary prefix: an MN can never take
 * another MN's address, nor an address outside its primary prefix. */
static __always_inline int pmx_check_hoa_claim(struct __sk_buff *skb, const struct pmx_ip6 *inner, __u8 type,
                                               struct pmx_hoa_claim *claim) {
  __u32 hdr = PMIPX_ETH_HLEN + 2 * PMIPX_IPV6_HLEN;
  __u32 end = hdr + bpf_ntohs(inner->payload_len); /* checked against the packet by the caller */
  __u8 b[2];
  if (hdr + 8 > end || bpf_skb_load_bytes(skb, hdr, b, 2) < 0) return -1;
  __u32 hdr_len = ((__u32)b[1] + 1) * 8;
  if (hdr + hdr_len > end) return -1;
  int r = pmx_hoa_find(skb, hdr, hdr_len, type, &claim->opt);
  if (r == PMX_HOA_MALFORMED) return -1;
  if (r == PMX_HOA_ABSENT) return 0;

  struct pmipx_dp_prefix_key k = {.prefixlen = 128};
  __builtin_memcpy(k.addr, inner->src, 16);
  struct pmipx_dp_prefix *from = bpf_map_lookup_elem(&pmx_prefixes, &k);
  if (!from) return -1;
  __u32 owner = from->owner;
  __builtin_memcpy(k.addr, claim->opt.hoa, 16);
  struct pmipx_dp_prefix *home = bpf_map_lookup_elem(&pmx_prefixes, &k);
  if (!home || home->owner != owner || !(home->flags & PMIPX_DP_PREFIX_PRIMARY_HOA)) return -1;
  claim->found = 1;
  claim->hdr_len = hdr_len;
  return 0;
}

/* After decapsulation (the inner header now at PMIPX_ETH_HLEN): source = the primary HoA.
 * A header holding nothing but the option and padding goes; otherwise the option becomes a
 * PadN of the same size (RFC 8200 §4.2) and the other options stay. The stores recompute
 * skb->csum for CHECKSUM_COMPLETE packets; the transport checksum already covers the HoA. */
static __always_inline int pmx_restore_source(struct __sk_buff *skb, const struct pmx_ip6 *inner,
                                              const struct pmx_hoa_claim *claim) {
  struct pmx_ip6 h = *inner;
  __builtin_memcpy(h.src, claim->opt.hoa, 16);
  __u32 rel = claim->opt.offset - PMIPX_DP_ENCAP_LEN; /* the option's offset after decap */
  if (!claim->opt.only) {
    __u8 padn[2 + PMIPX_DP_HOA_OPTION_LEN] = {};
    padn[0] = 1; /* PadN: set one by one, or clang keeps the array in .rodata */
    padn[1] = PMIPX_DP_HOA_OPTION_LEN;
    if (bpf_skb_store_bytes(skb, rel, padn, sizeof(padn), BPF_F_RECOMPUTE_CSUM) < 0) return -1;
    return (int)bpf_skb_store_bytes(skb, PMIPX_ETH_HLEN, &h, sizeof(h), BPF_F_RECOMPUTE_CSUM);
  }
  __u8 nh;
  if (bpf_skb_load_bytes(skb, PMIPX_ETH_HLEN + PMIPX_IPV6_HLEN, &nh, 1) < 0) return -1;
  h.next_header = nh;
  h.payload_len = bpf_htons((__u16)(bpf_ntohs(inner->payload_len) - claim->hdr_len));
  if (bpf_skb_store_bytes(skb, PMIPX_ETH_HLEN, &h, sizeof(h), BPF_F_RECOMPUTE_CSUM) < 0) return -1;
  return (int)pmx_net_shrink(skb, claim->hdr_len);
}

SEC("tc/decap")
int decap(struct __sk_buff *skb) {
  if (skb->protocol != bpf_htons(PMIPX_ETH_P_IPV6)) return PMIPX_TC_ACT_OK;
  pmx_count(PMIPX_DP_STAT_DEC_PACKETS);

  struct pmx_ip6 outer;
  if (bpf_skb_load_bytes(skb, PMIPX_ETH_HLEN, &outer, sizeof(outer)) < 0) {
    pmx_count(PMIPX_DP_STAT_DEC_TRUNCATED);
    return PMIPX_TC_ACT_OK;
  }
  if (outer.next_header != PMIPX_NH_IPV6) {
    pmx_count(PMIPX_DP_STAT_DEC_NOT_TUNNEL);
    return PMIPX_TC_ACT_OK;
  }
  if (!bpf_map_lookup_elem(&pmx_locals, outer.dst)) {
    pmx_count(PMIPX_DP_STAT_DEC_NOT_LOCAL);
    return PMIPX_TC_ACT_OK;
  }
  struct pmipx_dp_peer *peer = bpf_map_lookup_elem(&pmx_peers, outer.src);
  if (!peer) {
    pmx_count(PMIPX_DP_STAT_DEC_UNKNOWN_PEER);
    return PMIPX_TC_ACT_SHOT;
  }
  __u32 tunnel_id = peer->tunnel_id;

  __u32 outer_len = skb->len - PMIPX_ETH_HLEN;
  __u32 plen = bpf_ntohs(outer.payload_len);
  struct pmx_ip6 inner;
  if ((outer.vtf[0] >> 4) != 6 || plen < PMIPX_IPV6_HLEN || PMIPX_IPV6_HLEN + plen > outer_len ||
      bpf_skb_load_bytes(skb, PMIPX_ETH_HLEN + PMIPX_IPV6_HLEN, &inner, sizeof(inner)) < 0 ||
      (inner.vtf[0] >> 4) != 6 || PMIPX_IPV6_HLEN + (__u32)bpf_ntohs(inner.payload_len) > plen) {
    pmx_count(PMIPX_DP_STAT_DEC_MALFORMED);
    return PMIPX_TC_ACT_SHOT;
  }
  __u32 zero = 0;
  struct pmipx_dp_config *cfg = bpf_map_lookup_elem(&pmx_config, &zero);
  struct pmx_hoa_claim claim = {};
  if (cfg && cfg->mode == PMIPX_DP_MODE_LMA && inner.next_header == PMIPX_NH_DSTOPTS &&
      pmx_check_hoa_claim(skb, &inner, pmx_hoa_option_type(cfg->hoa_option_type), &claim) < 0) {
    pmx_count(PMIPX_DP_STAT_DEC_HOA_REJECTED);
    return PMIPX_TC_ACT_SHOT;
  }
  if (pmx_decap(skb) < 0) {
    pmx_count(PMIPX_DP_STAT_DEC_ADJUST_FAILED);
    return PMIPX_TC_ACT_SHOT;
  }
  if (claim.found) {
    if (pmx_restore_source(skb, &inner, &claim) < 0) {
      pmx_count(PMIPX_DP_STAT_DEC_ADJUST_FAILED);
      return PMIPX_TC_ACT_SHOT;
    }
    pmx_count(PMIPX_DP_STAT_DEC_HOA_RESTORED);
  }
  struct pmipx_dp_tunnel_stats *ts = bpf_map_lookup_elem(&pmx_tun_stats, &tunnel_id);
  if (ts) {
    ts->rx_packets += 1;
    ts->rx_bytes += outer_len;
  }
  pmx_count(PMIPX_DP_STAT_DEC_DONE);
  return PMIPX_TC_ACT_OK;
}
