/* IPv6-in-IPv6 encapsulation and decapsulation with bpf_skb_adjust_room (no ip6tnl device).
 * DESIGN.md "Data-plane facts": encapsulate at egress so the kernel enforces the route MTU
 * (MN prefix routes carry MTU - 40) and the sender gets a correct Packet Too Big. */
#ifndef PMIPX_BPF_ENCAP_H
#define PMIPX_BPF_ENCAP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "parse.h"
#include "pmipx_dp.h"

/* Pushes an outer header after the Ethernet header: version 6, traffic class and flow label
 * of the inner header, payload length = the inner packet, next header 41, src/dst of the
 * tunnel. 0 or a negative errno (the packet is then unchanged or must be dropped). */
static __always_inline int pmx_encap(struct __sk_buff *skb, const struct pmx_ip6 *inner,
                                     const struct pmipx_dp_tunnel *t) {
  __u32 inner_len = skb->len - PMIPX_ETH_HLEN;
  if (inner_len > 0xffff) return -PMIPX_EINVAL; /* no jumbograms in the tunnel */

  /* gso_size shrinks by 40 so segments still fit the link; UDP GSO needs it fixed. */
  __u64 flags = BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
  long ret = bpf_skb_adjust_room(skb, PMIPX_DP_ENCAP_LEN, BPF_ADJ_ROOM_MAC, flags);
  if (ret == -PMIPX_ENOTSUPP)
    ret = bpf_skb_adjust_room(skb, PMIPX_DP_ENCAP_LEN, BPF_ADJ_ROOM_MAC, flags | BPF_F_ADJ_ROOM_FIXED_GSO);
  if (ret < 0) return (int)ret;

  struct pmx_ip6 outer;
  __builtin_memcpy(outer.vtf, inner->vtf, 4);
  outer.payload_len = bpf_htons((__u16)inner_len);
  outer.next_header = PMIPX_NH_IPV6;
  outer.hop_limit = t->hop_limit ? t->hop_limit : PMIPX_DP_HOP_LIMIT_DEFAULT;
  __builtin_memcpy(outer.src, t->local, 16);
  __builtin_memcpy(outer.dst, t->remote, 16);
  return (int)bpf_skb_store_bytes(skb, PMIPX_ETH_HLEN, &outer, sizeof(outer), 0);
}

/* Removes the outer header after the Ethernet header. The segment size of a GRO'd packet is
 * the inner transport's, so it stays fixed. Kernels before 6.3 do not know the DECAP flag. */
static __always_inline int pmx_decap(struct __sk_buff *skb) {
  __u64 flags = BPF_F_ADJ_ROOM_FIXED_GSO;
  long ret = bpf_skb_adjust_room(skb, -PMIPX_DP_ENCAP_LEN, BPF_ADJ_ROOM_MAC,
                                 flags | PMIPX_ADJ_ROOM_DECAP_L3_IPV6);
  if (ret == -PMIPX_EINVAL) ret = bpf_skb_adjust_room(skb, -PMIPX_DP_ENCAP_LEN, BPF_ADJ_ROOM_MAC, flags);
  return (int)ret;
}

#endif /* PMIPX_BPF_ENCAP_H */
