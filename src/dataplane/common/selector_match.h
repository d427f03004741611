/* RFC 6088 IPv6 traffic-selector match (PROTOCOL.md §12) over a parsed packet: the single
 * implementation used by the tc programs and by the C++ side (tests, tools). Plain C, static
 * inline, no libc, no loops over unbounded data: verifier-friendly.
 *
 * Semantics (mirror of wire::Ipv6TrafficSelector, converted by dataplane/selector_conv):
 *  - present fields are AND-ed, an absent field matches anything, ranges are inclusive;
 *  - addresses compare as unsigned 128-bit big-endian integers;
 *  - flow label: low 20 bits of packet and bounds; traffic class: DSCP (value >> 2) of both;
 *  - next header: the upper-layer protocol after the extension-header chain;
 *  - a selector with a port field never matches a packet without ports (not TCP/UDP/SCTP/
 *    UDP-Lite/DCCP, or a non-first fragment); one with an SPI field never matches a packet
 *    without ESP/AH;
 *  - the selector describes CN -> MN packets. `reverse` != 0 evaluates an MN -> CN packet by
 *    swapping its addresses and its ports (the MAG's uplink, PROTOCOL.md §12 step 1). */
#ifndef PMIPX_SELECTOR_MATCH_H
#define PMIPX_SELECTOR_MATCH_H

#include "pmipx_dp.h"

#ifndef PMIPX_INLINE
#define PMIPX_INLINE static inline __attribute__((always_inline))
#endif

/* The 16 octets as two host-order 64-bit halves of a big-endian integer. */
PMIPX_INLINE __u64 pmipx_load_be64(const __u8 *p) {
  __u64 v;
  __builtin_memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

/* -1, 0, 1 as a <, ==, > b (unsigned 128-bit, network order). */
PMIPX_INLINE int pmipx_addr_cmp(const __u8 *a, const __u8 *b) {
  __u64 ah = pmipx_load_be64(a), bh = pmipx_load_be64(b);
  if (ah != bh) return ah < bh ? -1 : 1;
  __u64 al = pmipx_load_be64(a + 8), bl = pmipx_load_be64(b + 8);
  if (al != bl) return al < bl ? -1 : 1;
  return 0;
}

PMIPX_INLINE int pmipx_addr_in(const __u8 *addr, const __u8 *start, const __u8 *end) {
  return pmipx_addr_cmp(addr, start) >= 0 && pmipx_addr_cmp(addr, end) <= 0;
}

/* Turns an MN -> CN packet into the CN -> MN view selectors are written for: swaps the
 * addresses and the ports in place. The tc program orients each packet once and matches with
 * reverse = 0: the verifier explores far fewer states than with a run-time `reverse` in every
 * rule. */
PMIPX_INLINE void pmipx_packet_reverse(struct pmipx_dp_packet *p) {
  __u64 a0, a1, b0, b1;
  __builtin_memcpy(&a0, p->src, 8);
  __builtin_memcpy(&a1, p->src + 8, 8);
  __builtin_memcpy(&b0, p->dst, 8);
  __builtin_memcpy(&b1, p->dst + 8, 8);
  __builtin_memcpy(p->src, &b0, 8);
  __builtin_memcpy(p->src + 8, &b1, 8);
  __builtin_memcpy(p->dst, &a0, 8);
  __builtin_memcpy(p->dst + 8, &a1, 8);
  __u16 port = p->src_port;
  p->src_port = p->dst_port;
  p->dst_port = port;
}

/* Non-zero when the packet `p` matches `ts`. */
PMIPX_INLINE int pmipx_selector_match(const struct pmipx_dp_selector *ts,
                                      const struct pmipx_dp_packet *p, int reverse) {
  __u32 f = ts->fields;
  const __u8 *src = reverse ? p->dst : p->src;
  const __u8 *dst = reverse ? p->src : p->dst;
  __u16 sport = reverse ? p->dst_port : p->src_port;
  __u16 dport = reverse ? p->src_port : p->dst_port;

  if ((f & PMIPX_TS_NEXT_HEADER) &&
      (p->next_header < ts->next_header_start || p->next_header > ts->next_header_end))
    return 0;
  if (f & PMIPX_TS_TRAFFIC_CLASS) {
    __u32 dscp = (__u32)p->traffic_class >> 2;
    if (dscp < ((__u32)ts->traffic_class_start >> 2) || dscp > ((__u32)ts->traffic_class_end >> 2))
      return 0;
  }
  if (f & PMIPX_TS_FLOW_LABEL) {
    __u32 fl = p->flow_label & 0xfffff;
    if (fl < (ts->flow_label_start & 0xfffff) || fl > (ts->flow_label_end & 0xfffff)) return 0;
  }
  if (f & (PMIPX_TS_SRC_PORT | PMIPX_TS_DST_PORT)) {
    if (!(p->flags & PMIPX_DP_PKT_PORTS)) return 0;
    if ((f & PMIPX_TS_SRC_PORT) && (sport < ts->src_port_start || sport > ts->src_port_end))
      return 0;
    if ((f & PMIPX_TS_DST_PORT) && (dport < ts->dst_port_start || dport > ts->dst_port_end))
      return 0;
  }
  if (f & PMIPX_TS_SPI) {
    if (!(p->flags & PMIPX_DP_PKT_SPI)) return 0;
    if (p->spi < ts->spi_start || p->spi > ts->spi_end) return 0;
  }
  if ((f & PMIPX_TS_DST) && !pmipx_addr_in(dst, ts->dst_start, ts->dst_end)) return 0;
  if ((f & PMIPX_TS_SRC) && !pmipx_addr_in(src, ts->src_start, ts->src_end)) return 0;
  return 1;
}

#endif /* PMIPX_SELECTOR_MATCH_H */
