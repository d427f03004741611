/* Seed 003 primary-HoA address rewriting, shared by the LMA (tunnel.bpf.c) and the MN
 * (mn.bpf.c): the type 2 routing header (RFC 6275 §6.4, PROTOCOL.md §11.2) and the primary HoA
 * destination option (DESIGN.md "Corrections to PROTOCOL.md §11").
 *
 * No rewrite here touches an upper-layer checksum: RFC 8200 §8.1 computes it over the final
 * destination (the address inside an RH2) and, like the MIPv6 Home Address option, over the
 * home address carried in the option. The sender already did exactly that. */
#ifndef PMIPX_BPF_HOA_H
#define PMIPX_BPF_HOA_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "parse.h"
#include "pmipx_dp.h"

/* TLVs of one Destination Options header looked at (Pad1 counts as one). A 24-octet header
 * has at most 22; more than this is refused, not skipped: an option we did not reach could be
 * a claim. */
#define PMX_HOA_MAX_TLVS 24

static __always_inline __u8 pmx_hoa_option_type(__u8 configured) {
  return configured ? configured : PMIPX_DP_HOA_OPTION_TYPE_DEFAULT;
}

/* Makes `len` octets of room right after the fixed IPv6 header (BPF_ADJ_ROOM_NET: the
 * kernel moves the Ethernet and IPv6 headers, the transport header stays where it is). A GSO
 * packet's segment size shrinks by `len` so its segments still fit; UDP GSO only allows a
 * fixed size, as in pmx_encap. */
static __always_inline long pmx_net_grow(struct __sk_buff *skb, __u32 len) {
  long ret = bpf_skb_adjust_room(skb, (__s32)len, BPF_ADJ_ROOM_NET, 0);
  if (ret == -PMIPX_ENOTSUPP) ret = bpf_skb_adjust_room(skb, (__s32)len, BPF_ADJ_ROOM_NET, BPF_F_ADJ_ROOM_FIXED_GSO);
  return ret;
}

/* Removes the `len` octets right after the fixed IPv6 header. The segment size stays: the
 * segments get smaller, never larger than they arrived. */
static __always_inline long pmx_net_shrink(struct __sk_buff *skb, __u32 len) {
  return bpf_skb_adjust_room(skb, -(__s32)len, BPF_ADJ_ROOM_NET, BPF_F_ADJ_ROOM_FIXED_GSO);
}

/* dst = the first `prefixlen` bits of `prefix`, then the rest of dst (interface identifier).
 * Four 32-bit words rather than 16 octets: fewer live values, no spills. */
static __always_inline void pmx_splice_prefix(__u8 *dst, const __u8 *prefix, __u32 prefixlen) {
#pragma unroll
  for (__u32 w = 0; w < 4; w++) {
    __u32 bits = prefixlen > w * 32 ? prefixlen - w * 32 : 0;
    if (bits > 32) bits = 32;
    __u32 mask = bpf_htonl(bits ? 0xffffffffu << (32 - bits) : 0);
    __u32 d, p;
    __builtin_memcpy(&d, dst + 4 * w, 4);
    __builtin_memcpy(&p, prefix + 4 * w, 4);
    d = (p & mask) | (d & ~mask);
    __builtin_memcpy(dst + 4 * w, &d, 4);
  }
}

/* 1 if the extension-header chain of the packet whose first next header is `nh` and whose
 * headers start at `pos` (payload ends at `end`) holds a routing header, or cannot be walked
 * to its end within PMIPX_MAX_EXT_HEADERS headers (then nobody can vouch that it does not). */
static __always_inline int pmx_chain_has_routing(struct __sk_buff *skb, __u32 pos, __u32 end, __u8 nh) {
  __u8 b[4];
#pragma clang loop unroll(disable)
  for (int i = 0; i < PMIPX_MAX_EXT_HEADERS; i++) {
    if (nh == PMIPX_NH_ROUTING) return 1;
    if (nh == PMIPX_NH_HOPOPTS || nh == PMIPX_NH_DSTOPTS) {
      if (pos + 8 > end || bpf_skb_load_bytes(skb, pos, b, 2) < 0) return 1;
      nh = b[0];
      pos += ((__u32)b[1] + 1) * 8;
    } else if (nh == PMIPX_NH_FRAGMENT) {
      /* RFC 8200 §4.5: routing headers belong to the unfragmentable part, before it. */
      return 0;
    } else if (nh == PMIPX_NH_AH) {
      if (pos + 8 > end || bpf_skb_load_bytes(skb, pos, b, 2) < 0) return 1;
      nh = b[0];
      pos += ((__u32)b[1] + 2) * 4;
    } else {
      return 0; /* the upper layer (or ESP, No Next Header) */
    }
  }
  return 1;
}

/* LMA downlink (seed 003 §4.1): the packet whose fixed header `ip` is at PMIPX_ETH_HLEN gets a
 * type 2 routing header holding its destination right after that header, and the destination
 * spliced onto `rw`'s prefix. The caller has checked that no Hop-by-Hop or routing header is
 * present and that the payload length leaves room. `ip` is rewritten in place (it is the
 * caller's copy); small buffers only, the caller's stack is large. 0 or a negative errno. */
static __always_inline int pmx_rh2_insert(struct __sk_buff *skb, struct pmx_ip6 *ip,
                                          const struct pmipx_dp_hoa_rewrite *rw) {
  /* NH, Hdr Ext Len 2 (24 octets), Routing Type 2, Segments Left 1, reserved */
  __u8 head[8] = {ip->next_header, 2, 2, 1};
  long ret = pmx_net_grow(skb, PMIPX_DP_RH2_LEN);
  if (ret < 0) return (int)ret;
  if (bpf_skb_store_bytes(skb, PMIPX_ETH_HLEN + PMIPX_IPV6_HLEN, head, sizeof(head), 0) < 0 ||
      bpf_skb_store_bytes(skb, PMIPX_ETH_HLEN + PMIPX_IPV6_HLEN + 8, ip->dst, 16, 0) < 0)
    return -PMIPX_EINVAL;
  ip->payload_len = bpf_htons((__u16)(bpf_ntohs(ip->payload_len) + PMIPX_DP_RH2_LEN));
  ip->next_header = PMIPX_NH_ROUTING;
  pmx_splice_prefix(ip->dst, rw->prefix, rw->prefixlen > 128 ? 128 : rw->prefixlen);
  return (int)bpf_skb_store_bytes(skb, PMIPX_ETH_HLEN, ip, sizeof(*ip), 0);
}

/* What a Destination Options header says about the primary HoA option. */
enum pmx_hoa_find {
  PMX_HOA_ABSENT = 0, /* walked to the end: no such option */
  PMX_HOA_FOUND,      /* exactly one, of length 16 */
  PMX_HOA_MALFORMED,  /* an option runs beyond the header, the option's length is not 16, it
                         appears twice, or there are more than PMX_HOA_MAX_TLVS options */
};

struct pmx_hoa_option {
  __u32 offset;    /* of the option's type octet */
  __u32 only;      /* nothing but Pad1/PadN beside it: the whole header can go */
  __u8 hoa[16];
};

/* Walks the options of the Destination Options header at `hdr` (`hdr_len` octets, already
 * checked to lie within the packet's payload), RFC 8200 §4.2. */
static __always_inline int pmx_hoa_find(struct __sk_buff *skb, __u32 hdr, __u32 hdr_len, __u8 type,
                                        struct pmx_hoa_option *o) {
  __u32 pos = hdr + 2;
  __u32 end = hdr + hdr_len;
  int found = 0;
  o->only = 1;

#pragma clang loop unroll(disable)
  for (int i = 0; i < PMX_HOA_MAX_TLVS; i++) {
    if (pos >= end) break;
    __u8 tl[2];
    if (bpf_skb_load_bytes(skb, pos, tl, 1) < 0) return PMX_HOA_MALFORMED;
    if (tl[0] == 0) { /* Pad1: a lone octet */
      pos += 1;
      continue;
    }
    if (pos + 2 > end || bpf_skb_load_bytes(skb, pos, tl, 2) < 0) return PMX_HOA_MALFORMED;
    __u32 next = pos + 2 + tl[1];
    if (next > end) return PMX_HOA_MALFORMED;
    if (tl[0] == type) {
      if (found || tl[1] != PMIPX_DP_HOA_OPTION_LEN) return PMX_HOA_MALFORMED;
      if (bpf_skb_load_bytes(skb, pos + 2, o->hoa, 16) < 0) return PMX_HOA_MALFORMED;
      found = 1;
      o->offset = pos;
    } else if (tl[0] != 1) { /* PadN is padding too; anything else must stay */
      o->only = 0;
    }
    pos = next;
  }
  if (pos < end) return PMX_HOA_MALFORMED;
  return found ? PMX_HOA_FOUND : PMX_HOA_ABSENT;
}

#endif /* PMIPX_BPF_HOA_H */
