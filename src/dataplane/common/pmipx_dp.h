/* pmipx data plane ABI: the one header both the tc eBPF programs (bpf/tunnel.bpf.c) and the
 * C++ loader (bpf_forwarding.cpp) include. Map keys and values, constants, counter indexes.
 * Plain C, fixed-width <linux/types.h> types, no libc. Fields ending in _be are in network
 * order; addresses are 16 octets in network order; everything else is host order (maps never
 * leave the host). C++ static_asserts the sizes in bpf_forwarding.cpp.
 *
 * Changing a layout here changes the pinned maps: the loader refuses to reuse a pinned map
 * whose key or value size differs (remove the pin directory after such an upgrade). */
#ifndef PMIPX_DP_H
#define PMIPX_DP_H

#include <linux/types.h>

/* ---- sizes (the build may override any of them with -D) ----------------------------------- */
#ifndef PMIPX_DP_MAX_RULES_PER_OWNER
#define PMIPX_DP_MAX_RULES_PER_OWNER 32 /* flow rules per MN, checked in priority order */
#endif
#ifndef PMIPX_DP_GROUP_MAX_MEMBERS
#define PMIPX_DP_GROUP_MAX_MEMBERS 8 /* tunnels in one distribution group */
#endif
#ifndef PMIPX_DP_MAX_TUNNELS
#define PMIPX_DP_MAX_TUNNELS 4096 /* tunnel ids are 1..MAX-1 (0 = none) */
#endif
#ifndef PMIPX_DP_MAX_GROUPS
#define PMIPX_DP_MAX_GROUPS 4096
#endif
#ifndef PMIPX_DP_MAX_PREFIXES
#define PMIPX_DP_MAX_PREFIXES 65536
#endif
#ifndef PMIPX_DP_MAX_OWNERS
#define PMIPX_DP_MAX_OWNERS 65536 /* MNs with flow rules */
#endif
#ifndef PMIPX_DP_MAX_RULES
#define PMIPX_DP_MAX_RULES 262144 /* all owners' rules, both banks */
#endif
#ifndef PMIPX_DP_FLOW_CACHE_SIZE
#define PMIPX_DP_FLOW_CACHE_SIZE 65536
#endif
#ifndef PMIPX_DP_MAX_ENDPOINTS
#define PMIPX_DP_MAX_ENDPOINTS 256 /* local tunnel endpoints (LMA address, proxy-CoAs) */
#endif
#ifndef PMIPX_DP_MAX_PEERS
#define PMIPX_DP_MAX_PEERS 65536
#endif

#ifndef PMIPX_DP_MAX_HOA_REWRITES
#define PMIPX_DP_MAX_HOA_REWRITES 65536 /* {MN, tunnel} pairs with a primary-HoA rewrite */
#endif

#define PMIPX_DP_HOP_LIMIT_DEFAULT 64
#define PMIPX_DP_ENCAP_LEN 40 /* outer IPv6 header */

/* ---- configuration: array map, one element --------------------------------------------- */
enum pmipx_dp_mode {
  PMIPX_DP_MODE_LMA = 0, /* downlink: key = inner destination, selectors used as written */
  PMIPX_DP_MODE_MAG = 1, /* uplink: key = inner source, selectors evaluated swapped (§12) */
};

/* Seed 003 primary HoA option (DESIGN.md "Corrections to PROTOCOL.md §11"): no type was ever
 * assigned; RFC 4727's experimental destination option 0x1E (skip if unrecognized, does not
 * change en route) unless configured otherwise. */
#define PMIPX_DP_HOA_OPTION_TYPE_DEFAULT 0x1e
#define PMIPX_DP_HOA_OPTION_LEN 16 /* option data: the 128-bit primary HoA */
#define PMIPX_DP_HOA_DSTOPTS_LEN 24 /* NH, HdrExtLen 2, PadN(4), type, 16, HoA */
#define PMIPX_DP_RH2_LEN 24         /* type 2 routing header, RFC 6275 §6.4 */

struct pmipx_dp_config {
  __u32 mode;       /* enum pmipx_dp_mode */
  __u32 generation; /* bumped after every prefix/rule/tunnel/group change: older flow cache
                       entries are misses */
  __u8 hoa_option_type; /* primary HoA destination option type; 0: the default 0x1E */
  __u8 pad[3];
};

/* ---- a packet as the classifier sees it: also the flow cache key ------------------------ */
enum pmipx_dp_packet_flags {
  PMIPX_DP_PKT_PORTS = 1 << 0,     /* src_port/dst_port are valid (TCP, UDP, SCTP, UDP-Lite, DCCP) */
  PMIPX_DP_PKT_SPI = 1 << 1,       /* spi is valid (ESP, AH) */
  PMIPX_DP_PKT_FRAGMENT = 1 << 2,  /* non-first fragment: no transport header */
};

struct pmipx_dp_packet {
  __u8 src[16];
  __u8 dst[16];
  __u32 flow_label; /* low 20 bits */
  __u32 spi;
  __u16 src_port;
  __u16 dst_port;
  __u8 traffic_class; /* full octet; selectors compare the DSCP (>> 2) */
  __u8 next_header;   /* upper-layer protocol after the extension headers */
  __u8 flags;         /* enum pmipx_dp_packet_flags */
  __u8 pad;           /* zero: the struct is a hash key */
};

/* ---- RFC 6088 IPv6 traffic selector (TS format 2), ranges inclusive -------------------- */
enum pmipx_dp_selector_fields {
  PMIPX_TS_SRC = 1 << 0,
  PMIPX_TS_DST = 1 << 1,
  PMIPX_TS_SPI = 1 << 2,
  PMIPX_TS_FLOW_LABEL = 1 << 3,
  PMIPX_TS_SRC_PORT = 1 << 4,
  PMIPX_TS_DST_PORT = 1 << 5,
  PMIPX_TS_TRAFFIC_CLASS = 1 << 6,
  PMIPX_TS_NEXT_HEADER = 1 << 7,
};

/* A field whose bit is clear in `fields` matches anything. A start-only wire field is stored
 * with end = start. Written for downlink packets (CN -> MN), PROTOCOL.md §12. */
struct pmipx_dp_selector {
  __u32 fields; /* enum pmipx_dp_selector_fields */
  __u8 src_start[16];
  __u8 src_end[16];
  __u8 dst_start[16];
  __u8 dst_end[16];
  __u32 spi_start, spi_end;
  __u32 flow_label_start, flow_label_end; /* low 20 bits compared */
  __u16 src_port_start, src_port_end;
  __u16 dst_port_start, dst_port_end;
  __u8 traffic_class_start, traffic_class_end; /* DSCP (>> 2) compared */
  __u8 next_header_start, next_header_end;
};

/* ---- where a packet goes: a tunnel, or a group of tunnels ------------------------------- */
/* group_id != 0 wins over tunnel_id. Both 0 with action forward: drop (no tunnel). */
struct pmipx_dp_target {
  __u32 tunnel_id;
  __u32 group_id;
};

enum pmipx_dp_action {
  PMIPX_DP_ACTION_FORWARD = 0,
  PMIPX_DP_ACTION_DROP = 1,
};

/* tunnels: hash, key __u32 tunnel id (1..PMIPX_DP_MAX_TUNNELS-1) */
struct pmipx_dp_tunnel {
  __u8 local[16];  /* outer source: LMA address or proxy-CoA */
  __u8 remote[16]; /* outer destination */
  __u32 ifindex;   /* egress link; 0 or the current link: no redirect */
  __u8 hop_limit;  /* 0: PMIPX_DP_HOP_LIMIT_DEFAULT */
  __u8 pad[3];
};

/* groups: hash, key __u32 group id. Per-flow: the flow hash picks a member by weight, so a
 * flow never changes path; per-packet: a random number does (RFC 8278 §3.2). */
enum pmipx_dp_distribution {
  PMIPX_DP_DIST_PER_FLOW = 0,
  PMIPX_DP_DIST_PER_PACKET = 1,
};

struct pmipx_dp_group {
  __u32 distribution; /* enum pmipx_dp_distribution */
  __u32 count;        /* members used, <= PMIPX_DP_GROUP_MAX_MEMBERS */
  __u32 tunnel_id[PMIPX_DP_GROUP_MAX_MEMBERS];
  __u32 weight[PMIPX_DP_GROUP_MAX_MEMBERS]; /* 0: member never picked */
};

/* prefixes: LPM trie over the inner destination (LMA) or source (MAG) */
struct pmipx_dp_prefix_key {
  __u32 prefixlen; /* 0..128 */
  __u8 addr[16];
};

enum pmipx_dp_prefix_flags {
  PMIPX_DP_PREFIX_DROP = 1 << 0, /* e.g. MinDelayBeforeBCEDelete: drop the MN's traffic */
  /* LMA, seed 003: the MN's primary prefix. Downlink may be rewritten for the tunnel chosen
   * (see pmipx_dp_hoa_rewrite); an uplink primary HoA option may only name an address in it. */
  PMIPX_DP_PREFIX_PRIMARY_HOA = 1 << 1,
};

struct pmipx_dp_prefix {
  __u32 owner; /* the MN index: selects the flow rules */
  __u32 flags; /* enum pmipx_dp_prefix_flags */
  struct pmipx_dp_target target; /* default when no rule matches */
};

/* rule_sets: hash, key __u32 owner. Rules live in one of two banks; a change writes the whole
 * ordered list into the other bank and then flips this one 4-octet value, so a packet sees the
 * old list or the new one, never a mix. */
struct pmipx_dp_rule_set {
  __u16 count; /* rules in the live bank, <= PMIPX_DP_MAX_RULES_PER_OWNER */
  __u16 bank;  /* 0 or 1 */
};

/* rules: hash, key {owner, slot = bank * PMIPX_DP_MAX_RULES_PER_OWNER + index}, index in
 * priority order (lowest priority value first). */
struct pmipx_dp_rule_key {
  __u32 owner;
  __u32 slot;
};

struct pmipx_dp_rule {
  struct pmipx_dp_selector selector;
  __u32 rule_id;  /* stable id (the FID): counters are keyed by it */
  __u16 priority; /* FID-PRI; the loader keeps the list sorted by it */
  __u16 action;   /* enum pmipx_dp_action */
  struct pmipx_dp_target target;
};

/* flow_cache: LRU hash, key struct pmipx_dp_packet oriented CN -> MN (swapped in MAG mode) */
#define PMIPX_DP_NO_RULE 0xffffffffu
struct pmipx_dp_flow_entry {
  __u32 generation; /* pmipx_dp_config.generation when cached */
  __u32 owner;
  __u32 rule_id; /* PMIPX_DP_NO_RULE: the prefix default */
  __u32 action;  /* enum pmipx_dp_action */
  struct pmipx_dp_target target;
  __u32 prefix_flags; /* enum pmipx_dp_prefix_flags of the prefix that classified the flow */
};

/* hoa_rewrites: hash, key {owner, tunnel id}. LMA downlink, seed 003 §4.1: a packet of a
 * PMIPX_DP_PREFIX_PRIMARY_HOA prefix leaving through this tunnel gets a type 2 routing header
 * holding its destination, and the destination's first prefixlen bits replaced by `prefix`
 * (the interface identifier is kept). No entry: the packet goes unchanged. */
struct pmipx_dp_hoa_rewrite_key {
  __u32 owner;
  __u32 tunnel_id;
};

struct pmipx_dp_hoa_rewrite {
  __u8 prefix[16];
  __u32 prefixlen; /* 0..128 */
};

/* locals: hash, key 16-octet address -> struct pmipx_dp_endpoint (decap: outer destination) */
struct pmipx_dp_endpoint {
  __u32 flags; /* reserved, 0 */
};

/* peers: hash, key 16-octet address -> struct pmipx_dp_peer (decap: outer source) */
struct pmipx_dp_peer {
  __u32 tunnel_id; /* rx counters go to this tunnel; 0: none */
  __u32 flags;     /* reserved, 0 */
};

/* tunnel_stats: per-CPU array indexed by tunnel id */
struct pmipx_dp_tunnel_stats {
  __u64 tx_packets, tx_bytes; /* encapsulated into the tunnel (outer bytes) */
  __u64 rx_packets, rx_bytes; /* decapsulated from its peer (outer bytes) */
};

/* rule_stats: per-CPU hash, key {owner, rule id} */
struct pmipx_dp_rule_stats_key {
  __u32 owner;
  __u32 rule_id;
};

struct pmipx_dp_rule_stats {
  __u64 packets, bytes; /* matched packets, inner bytes */
};

/* stats: per-CPU array of __u64, indexed by enum pmipx_dp_stat */
enum pmipx_dp_stat {
  /* encap (tc egress) */
  PMIPX_DP_STAT_ENC_PACKETS = 0,    /* IPv6 packets seen */
  PMIPX_DP_STAT_ENC_DONE,           /* encapsulated */
  PMIPX_DP_STAT_ENC_REDIRECTED,     /* encapsulated and redirected to another link */
  PMIPX_DP_STAT_ENC_NO_PREFIX,      /* passed untouched: no prefix matched */
  PMIPX_DP_STAT_ENC_LOCAL_SCOPE,    /* passed untouched: multicast or link-local destination */
  PMIPX_DP_STAT_ENC_PREFIX_DROP,    /* dropped: prefix flagged drop */
  PMIPX_DP_STAT_ENC_RULE_DROP,      /* dropped: flow rule action drop */
  PMIPX_DP_STAT_ENC_NO_TUNNEL,      /* dropped: target tunnel or group missing */
  PMIPX_DP_STAT_ENC_CACHE_HIT,
  PMIPX_DP_STAT_ENC_CACHE_MISS,
  PMIPX_DP_STAT_ENC_TRUNCATED,      /* passed untouched: IPv6 header incomplete */
  PMIPX_DP_STAT_ENC_MALFORMED,      /* dropped: payload length beyond the packet, too big */
  PMIPX_DP_STAT_ENC_ADJUST_FAILED,  /* dropped: bpf_skb_adjust_room/store failed */
  PMIPX_DP_STAT_ENC_HOA_REWRITTEN,  /* primary HoA: type 2 routing header added, dst rewritten */
  PMIPX_DP_STAT_ENC_HOA_REFUSED,    /* dropped: to be rewritten, but Hop-by-Hop first, a routing
                                       header already, an unreadable header chain or too long */
  /* decap (tc ingress) */
  PMIPX_DP_STAT_DEC_PACKETS,        /* IPv6 packets seen */
  PMIPX_DP_STAT_DEC_DONE,           /* decapsulated */
  PMIPX_DP_STAT_DEC_NOT_TUNNEL,     /* passed untouched: next header not 41 */
  PMIPX_DP_STAT_DEC_NOT_LOCAL,      /* passed untouched: outer destination not ours */
  PMIPX_DP_STAT_DEC_UNKNOWN_PEER,   /* dropped: outer source unknown */
  PMIPX_DP_STAT_DEC_TRUNCATED,      /* passed untouched: outer header incomplete */
  PMIPX_DP_STAT_DEC_MALFORMED,      /* dropped: lengths inconsistent, inner not IPv6 */
  PMIPX_DP_STAT_DEC_ADJUST_FAILED,  /* dropped */
  PMIPX_DP_STAT_DEC_HOA_RESTORED,   /* LMA: primary HoA option honored, source restored */
  PMIPX_DP_STAT_DEC_HOA_REJECTED,   /* dropped: primary HoA option malformed, or naming an
                                       address that is not the sender's primary prefix */
  PMIPX_DP_STAT_MAX
};

/* ---- MN side (bpf/mn.bpf.c), seed 003 §4 ------------------------------------------------- */
#ifndef PMIPX_MN_MAX_INTERFACES
#define PMIPX_MN_MAX_INTERFACES 64
#endif
#ifndef PMIPX_MN_MAX_DESTINATIONS
#define PMIPX_MN_MAX_DESTINATIONS 256 /* the MN's own HoAs an RH2 may arrive at */
#endif

/* mn_config: array map, one element */
struct pmipx_mn_config {
  __u8 hoa_option_type; /* 0: PMIPX_DP_HOA_OPTION_TYPE_DEFAULT */
  __u8 pad[3];
};

/* mn_egress: hash, key __u32 ifindex (a non-primary interface). A packet leaving it with
 * source primary_hoa gets source interface_hoa and the primary HoA option. */
struct pmipx_mn_egress {
  __u8 primary_hoa[16];
  __u8 interface_hoa[16];
};

/* mn_policy: hash, key __u32 0. Replaced whole (RCU), so a packet never sees half an address.
 * No element or flag clear: no RH2 is honored. */
enum pmipx_mn_policy_flags {
  PMIPX_MN_POLICY_PRIMARY = 1 << 0, /* primary_hoa is valid */
};

struct pmipx_mn_policy {
  __u32 flags; /* enum pmipx_mn_policy_flags */
  __u8 primary_hoa[16];
};

/* mn_dests: hash, key 16-octet address -> struct pmipx_mn_dest: the destinations an RH2 is
 * honored at. */
struct pmipx_mn_dest {
  __u32 flags; /* reserved, 0 */
};

/* mn_stats: per-CPU array of __u64, indexed by enum pmipx_mn_stat */
enum pmipx_mn_stat {
  /* hoa_egress (tc egress of a non-primary interface) */
  PMIPX_MN_STAT_EGR_PACKETS = 0,   /* IPv6 packets seen on a configured interface */
  PMIPX_MN_STAT_EGR_INSERTED,      /* source replaced, primary HoA option inserted */
  PMIPX_MN_STAT_EGR_HOP_BY_HOP,    /* dropped: Hop-by-Hop header first */
  PMIPX_MN_STAT_EGR_MALFORMED,     /* dropped: payload length beyond the packet, or too big */
  PMIPX_MN_STAT_EGR_ADJUST_FAILED, /* dropped: bpf_skb_adjust_room/store failed */
  /* hoa_ingress */
  PMIPX_MN_STAT_ING_PACKETS,       /* IPv6 packets seen */
  PMIPX_MN_STAT_ING_RH2_HONORED,   /* destination restored from the RH2, RH2 removed */
  PMIPX_MN_STAT_ING_RH2_MALFORMED, /* dropped: Hdr Ext Len not 2, Segments Left not 1, cut short */
  PMIPX_MN_STAT_ING_RH2_REFUSED,   /* dropped: not the primary HoA, or not one of our destinations */
  PMIPX_MN_STAT_ING_ADJUST_FAILED, /* dropped */
  PMIPX_MN_STAT_MAX
};

#endif /* PMIPX_DP_H */
