// SPDX-License-Identifier: GPL-2.0
/* pmipx MN tc entry points for the seed 003 primary-HoA scheme (PROTOCOL.md §11, DESIGN.md
 * "Corrections to PROTOCOL.md §11"):
 *   hoa_egress  (clsact egress of each non-primary interface): a packet sourced from the
 *               primary HoA leaves with the interface's own HoA as source and the primary HoA
 *               in a destination option; the LMA swaps them back (seed 003 §4.2);
 *   hoa_ingress (clsact ingress): a packet whose first extension header is a type 2 routing
 *               header is delivered to the primary HoA it carries, without the RH2, if the
 *               policy allows it; every other RH2 packet is dropped (seed 003 §4.1,
 *               RFC 6275 §6.4 / §9.3.1 checks). Everything else passes untouched. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "hoa.h"
#include "mn_maps.h"
#include "parse.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tc/hoa_egress")
int hoa_egress(struct __sk_buff *skb) {
  if (skb->protocol != bpf_htons(PMIPX_ETH_P_IPV6)) return PMIPX_TC_ACT_OK;
  __u32 ifindex = skb->ifindex;
  struct pmipx_mn_egress *e = bpf_map_lookup_elem(&mnx_egress, &ifindex);
  if (!e) return PMIPX_TC_ACT_OK; /* the primary interface, or one without a HoA yet */

  struct pmx_ip6 ip;
  if (bpf_skb_load_bytes(skb, PMIPX_ETH_HLEN, &ip, sizeof(ip)) < 0) return PMIPX_TC_ACT_OK;
  mnx_count(PMIPX_MN_STAT_EGR_PACKETS);
  /* The interface HoA's own traffic, and link-scoped packets (ND, MLD: they never reach the
   * LMA that would strip the option) leave as they are. */
  if (!pmx_addr_eq(ip.src, e->primary_hoa) || pmx_is_local_scope(ip.dst)) return PMIPX_TC_ACT_OK;

  /* RFC 8200 §4.1: Hop-by-Hop must stay first, so the option's header would go behind a header
   * of variable length; such packets (rare from a host) are dropped rather than leave with the
   * primary HoA on the wrong link. */
  if (ip.next_header == PMIPX_NH_HOPOPTS) {
    mnx_count(PMIPX_MN_STAT_EGR_HOP_BY_HOP);
    return PMIPX_TC_ACT_SHOT;
  }
  __u32 plen = bpf_ntohs(ip.payload_len);
  if ((ip.vtf[0] >> 4) != 6 || PMIPX_ETH_HLEN + PMIPX_IPV6_HLEN + plen > skb->len ||
      plen > 0xffff - PMIPX_DP_HOA_DSTOPTS_LEN) {
    mnx_count(PMIPX_MN_STAT_EGR_MALFORMED);
    return PMIPX_TC_ACT_SHOT;
  }

  __u32 zero = 0;
  struct pmipx_mn_config *cfg = bpf_map_lookup_elem(&mnx_config, &zero);
  /* NH, Hdr Ext Len 2, PadN(2 octets of data) so the option sits at 8n+6 like the Home
   * Address option (RFC 6275 §6.3), then type, length 16, the primary HoA. */
  __u8 opts[PMIPX_DP_HOA_DSTOPTS_LEN] = {
      ip.next_header, 2, 1, 2, 0, 0, pmx_hoa_option_type(cfg ? cfg->hoa_option_type : 0), PMIPX_DP_HOA_OPTION_LEN,
  };
  __builtin_memcpy(opts + 8, ip.src, 16);
  struct pmx_ip6 h = ip;
  __builtin_memcpy(h.src, e->interface_hoa, 16);
  h.next_header = PMIPX_NH_DSTOPTS;
  h.payload_len = bpf_htons((__u16)(plen + PMIPX_DP_HOA_DSTOPTS_LEN));

  if (pmx_net_grow(skb, PMIPX_DP_HOA_DSTOPTS_LEN) < 0 ||
      bpf_skb_store_bytes(skb, PMIPX_ETH_HLEN, &h, sizeof(h), 0) < 0 ||
      bpf_skb_store_bytes(skb, PMIPX_ETH_HLEN + PMIPX_IPV6_HLEN, opts, sizeof(opts), 0) < 0) {
    mnx_count(PMIPX_MN_STAT_EGR_ADJUST_FAILED);
    return PMIPX_TC_ACT_SHOT;
  }
  mnx_count(PMIPX_MN_STAT_EGR_INSERTED);
  return PMIPX_TC_ACT_OK;
}

SEC("tc/hoa_ingress")
int hoa_ingress(struct __sk_buff *skb) {
  if (skb->protocol != bpf_htons(PMIPX_ETH_P_IPV6)) return PMIPX_TC_ACT_OK;
  struct pmx_ip6 ip;
  if (bpf_skb_load_bytes(skb, PMIPX_ETH_HLEN, &ip, sizeof(ip)) < 0) return PMIPX_TC_ACT_OK;
  mnx_count(PMIPX_MN_STAT_ING_PACKETS);
  if (ip.next_header != PMIPX_NH_ROUTING) return PMIPX_TC_ACT_OK;
  __u8 rh[PMIPX_DP_RH2_LEN];
  /* Other routing types, or a header too short to say: the kernel's business. */
  if (bpf_skb_load_bytes(skb, PMIPX_ETH_HLEN + PMIPX_IPV6_HLEN, rh, 4) < 0 || rh[2] != 2) return PMIPX_TC_ACT_OK;

  /* RFC 6275 §9.3.1 / PROTOCOL.md §11.2: Hdr Ext Len 2 and Segments Left 1, inside the payload. */
  __u32 plen = bpf_ntohs(ip.payload_len);
  if (rh[1] != 2 || rh[3] != 1 || plen < PMIPX_DP_RH2_LEN || (ip.vtf[0] >> 4) != 6 ||
      PMIPX_ETH_HLEN + PMIPX_IPV6_HLEN + plen > skb->len ||
      bpf_skb_load_bytes(skb, PMIPX_ETH_HLEN + PMIPX_IPV6_HLEN, rh, sizeof(rh)) < 0) {
    mnx_count(PMIPX_MN_STAT_ING_RH2_MALFORMED);
    return PMIPX_TC_ACT_SHOT;
  }
  /* Only the primary HoA may be reached this way, and only at one of our own addresses: an
   * RH2 must never turn this node into a relay for someone else's address. */
  __u32 zero = 0;
  struct pmipx_mn_policy *pol = bpf_map_lookup_elem(&mnx_policy, &zero);
  if (!pol || !(pol->flags & PMIPX_MN_POLICY_PRIMARY) || !pmx_addr_eq(rh + 8, pol->primary_hoa) ||
      !bpf_map_lookup_elem(&mnx_dests, ip.dst)) {
    mnx_count(PMIPX_MN_STAT_ING_RH2_REFUSED);
    return PMIPX_TC_ACT_SHOT;
  }

  /* Swap done for good: destination = the home address, the RH2 goes (the upper layer sees a
   * packet to the primary HoA, whose checksum the sender computed over it). */
  struct pmx_ip6 h = ip;
  __builtin_memcpy(h.dst, rh + 8, 16);
  h.next_header = rh[0];
  h.payload_len = bpf_htons((__u16)(plen - PMIPX_DP_RH2_LEN));
  if (bpf_skb_store_bytes(skb, PMIPX_ETH_HLEN, &h, sizeof(h), BPF_F_RECOMPUTE_CSUM) < 0 ||
      pmx_net_shrink(skb, PMIPX_DP_RH2_LEN) < 0) {
    mnx_count(PMIPX_MN_STAT_ING_ADJUST_FAILED);
    return PMIPX_TC_ACT_SHOT;
  }
  mnx_count(PMIPX_MN_STAT_ING_RH2_HONORED);
  return PMIPX_TC_ACT_OK;
}
