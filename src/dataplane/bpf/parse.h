/* Packet parsing for the tc programs: the IPv6 header and the flow tuple behind the
 * extension-header chain. Every read goes through bpf_skb_load_bytes, which fails instead of
 * reading beyond the packet (linear or not), so truncated packets are safe by construction. */
#ifndef PMIPX_BPF_PARSE_H
#define PMIPX_BPF_PARSE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "consts.h"
#include "pmipx_dp.h"

/* The IPv6 header without bitfields. */
struct pmx_ip6 {
  __u8 vtf[4]; /* version 4 bits, traffic class 8, flow label 20 */
  __be16 payload_len;
  __u8 next_header;
  __u8 hop_limit;
  __u8 src[16];
  __u8 dst[16];
};

enum pmx_parse_result {
  PMX_PARSE_OK = 0,
  PMX_PARSE_MALFORMED, /* not version 6, or the payload length runs beyond the packet */
};

static __always_inline int pmx_is_local_scope(const __u8 *dst) {
  return dst[0] == 0xff || (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80);
}

/* Constant time over 16 octets, no memcmp call (BPF has no libc). */
static __always_inline int pmx_addr_eq(const __u8 *a, const __u8 *b) {
  __u8 diff = 0;
#pragma unroll
  for (int i = 0; i < 16; i++) diff |= (__u8)(a[i] ^ b[i]);
  return diff == 0;
}

static __always_inline int pmx_has_ports(__u8 nh) {
  return nh == PMIPX_NH_TCP || nh == PMIPX_NH_UDP || nh == PMIPX_NH_SCTP ||
         nh == PMIPX_NH_UDPLITE || nh == PMIPX_NH_DCCP;
}

/* Fills `pkt` from the header `ip` found at `off` and what follows it, up to the end of its
 * payload. An extension-header chain that is cut short or longer than PMIPX_MAX_EXT_HEADERS
 * leaves the last next-header value and no ports: such packets match only selectors without
 * ports. */
static __always_inline int pmx_parse_flow(struct __sk_buff *skb, __u32 off, const struct pmx_ip6 *ip,
                                          struct pmipx_dp_packet *pkt) {
  __u32 plen = bpf_ntohs(ip->payload_len);
  if ((ip->vtf[0] >> 4) != 6) return PMX_PARSE_MALFORMED;
  if (plen == 0 || off + PMIPX_IPV6_HLEN + plen > skb->len) return PMX_PARSE_MALFORMED;

  __builtin_memcpy(pkt->src, ip->src, 16);
  __builtin_memcpy(pkt->dst, ip->dst, 16);
  pkt->traffic_class = (__u8)((ip->vtf[0] << 4) | (ip->vtf[1] >> 4));
  pkt->flow_label = ((__u32)(ip->vtf[1] & 0x0f) << 16) | ((__u32)ip->vtf[2] << 8) | ip->vtf[3];

  __u32 pos = off + PMIPX_IPV6_HLEN;
  __u32 end = pos + plen;
  __u8 nh = ip->next_header;
  __u8 b[8];
  int fragment = 0;

  for (int i = 0; i < PMIPX_MAX_EXT_HEADERS; i++) {
    if (nh == PMIPX_NH_HOPOPTS || nh == PMIPX_NH_ROUTING || nh == PMIPX_NH_DSTOPTS) {
      if (pos + 8 > end || bpf_skb_load_bytes(skb, pos, b, 2) < 0) break;
      nh = b[0];
      pos += ((__u32)b[1] + 1) * 8;
    } else if (nh == PMIPX_NH_FRAGMENT) {
      if (pos + 8 > end || bpf_skb_load_bytes(skb, pos, b, 4) < 0) break;
      nh = b[0];
      pos += 8;
      if ((((__u32)b[2] << 8) | b[3]) & 0xfff8) { /* non-first fragment: no upper header */
        fragment = 1;
        break;
      }
    } else if (nh == PMIPX_NH_AH) {
      if (pos + 8 > end || bpf_skb_load_bytes(skb, pos, b, 8) < 0) break;
      pkt->spi = ((__u32)b[4] << 24) | ((__u32)b[5] << 16) | ((__u32)b[6] << 8) | b[7];
      pkt->flags |= PMIPX_DP_PKT_SPI;
      nh = b[0];
      pos += ((__u32)b[1] + 2) * 4;
    } else {
      break;
    }
  }
  pkt->next_header = nh;
  if (fragment) {
    pkt->flags |= PMIPX_DP_PKT_FRAGMENT;
    return PMX_PARSE_OK;
  }
  if (pmx_has_ports(nh)) {
    if (pos + 4 <= end && bpf_skb_load_bytes(skb, pos, b, 4) == 0) {
      pkt->src_port = (__u16)(((__u32)b[0] << 8) | b[1]);
      pkt->dst_port = (__u16)(((__u32)b[2] << 8) | b[3]);
      pkt->flags |= PMIPX_DP_PKT_PORTS;
    }
  } else if (nh == PMIPX_NH_ESP) {
    if (pos + 4 <= end && bpf_skb_load_bytes(skb, pos, b, 4) == 0) {
      pkt->spi = ((__u32)b[0] << 24) | ((__u32)b[1] << 16) | ((__u32)b[2] << 8) | b[3];
      pkt->flags |= PMIPX_DP_PKT_SPI;
    }
  }
  return PMX_PARSE_OK;
}

#endif /* PMIPX_BPF_PARSE_H */
