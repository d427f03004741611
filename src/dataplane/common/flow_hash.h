/* Flow hash and weighted pick: how per-flow and per-packet distribution choose a tunnel of a
 * group. Plain C shared by the tc programs and the C++ side, so both compute the same value.
 *
 * The hash is MurmurHash3 (x86, 32-bit) over ten 32-bit words taken big-endian from the
 * packet: src (4 words), dst (4), src_port << 16 | dst_port, next_header << 24 | flow label.
 * It does not depend on the host's byte order. `reverse` hashes the CN -> MN view of an
 * MN -> CN packet (addresses and ports swapped, as selectors are evaluated), so the MAG's
 * uplink and the LMA's downlink hash a flow's 5-tuple alike. The flow label is each sender's
 * own choice, so the two directions of one connection agree only when it is 0 in both (zero it
 * in the packet passed here when cross-end agreement matters). */
#ifndef PMIPX_FLOW_HASH_H
#define PMIPX_FLOW_HASH_H

#include "pmipx_dp.h"

#ifndef PMIPX_INLINE
#define PMIPX_INLINE static inline __attribute__((always_inline))
#endif

#define PMIPX_FLOW_HASH_SEED 0x706d6970u /* "pmip" */

PMIPX_INLINE __u32 pmipx_rotl32(__u32 x, int r) { return (x << r) | (x >> (32 - r)); }

PMIPX_INLINE __u32 pmipx_murmur_mix(__u32 h, __u32 k) {
  k *= 0xcc9e2d51u;
  k = pmipx_rotl32(k, 15);
  k *= 0x1b873593u;
  h ^= k;
  h = pmipx_rotl32(h, 13);
  return h * 5u + 0xe6546b64u;
}

PMIPX_INLINE __u32 pmipx_be32_at(const __u8 *p) {
  return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) | (__u32)p[3];
}

PMIPX_INLINE __u32 pmipx_flow_hash(const struct pmipx_dp_packet *p, int reverse) {
  const __u8 *src = reverse ? p->dst : p->src;
  const __u8 *dst = reverse ? p->src : p->dst;
  __u32 sport = reverse ? p->dst_port : p->src_port;
  __u32 dport = reverse ? p->src_port : p->dst_port;
  __u32 h = PMIPX_FLOW_HASH_SEED;

  h = pmipx_murmur_mix(h, pmipx_be32_at(src));
  h = pmipx_murmur_mix(h, pmipx_be32_at(src + 4));
  h = pmipx_murmur_mix(h, pmipx_be32_at(src + 8));
  h = pmipx_murmur_mix(h, pmipx_be32_at(src + 12));
  h = pmipx_murmur_mix(h, pmipx_be32_at(dst));
  h = pmipx_murmur_mix(h, pmipx_be32_at(dst + 4));
  h = pmipx_murmur_mix(h, pmipx_be32_at(dst + 8));
  h = pmipx_murmur_mix(h, pmipx_be32_at(dst + 12));
  h = pmipx_murmur_mix(h, (sport << 16) | dport);
  h = pmipx_murmur_mix(h, ((__u32)p->next_header << 24) | (p->flow_label & 0xfffff));
  /* finalization */
  h ^= 40u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* The member of `g` that `r` (a flow hash, or a random number per packet) picks: member i
 * owns weight[i] consecutive values of r mod the total weight. 0 when the group has no member
 * with a non-zero weight. */
PMIPX_INLINE __u32 pmipx_group_pick(const struct pmipx_dp_group *g, __u32 r) {
  __u32 total = 0;
  __u32 n = g->count < PMIPX_DP_GROUP_MAX_MEMBERS ? g->count : PMIPX_DP_GROUP_MAX_MEMBERS;
  for (__u32 i = 0; i < PMIPX_DP_GROUP_MAX_MEMBERS; i++) {
    if (i < n) total += g->weight[i];
  }
  if (total == 0) return 0;
  r %= total;
  for (__u32 i = 0; i < PMIPX_DP_GROUP_MAX_MEMBERS; i++) {
    if (i >= n) break;
    if (r < g->weight[i]) return g->tunnel_id[i];
    r -= g->weight[i];
  }
  return 0;
}

#endif /* PMIPX_FLOW_HASH_H */
