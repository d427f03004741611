/* The maps of the tc programs. Layouts are in common/pmipx_dp.h; the user-space writer is
 * dataplane/bpf_forwarding.cpp, which pins every map under the node's bpffs so forwarding
 * outlives a daemon restart. */
#ifndef PMIPX_BPF_MAPS_H
#define PMIPX_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "pmipx_dp.h"

/* Mode (LMA/MAG) and the rule generation that validates flow cache entries. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pmipx_dp_config);
} pmx_config SEC(".maps");

/* MN prefixes (LMA: inner destination; MAG: inner source) -> owner, default target, drop. */
struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, PMIPX_DP_MAX_PREFIXES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct pmipx_dp_prefix_key);
  __type(value, struct pmipx_dp_prefix);
} pmx_prefixes SEC(".maps");

/* Tunnel id -> outer addresses, egress link, hop limit. RCU-freed: never read torn. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PMIPX_DP_MAX_TUNNELS);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, __u32);
  __type(value, struct pmipx_dp_tunnel);
} pmx_tunnels SEC(".maps");

/* Group id -> weighted tunnels, per-flow or per-packet distribution. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PMIPX_DP_MAX_GROUPS);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, __u32);
  __type(value, struct pmipx_dp_group);
} pmx_groups SEC(".maps");

/* Owner -> live bank and rule count. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PMIPX_DP_MAX_OWNERS);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, __u32);
  __type(value, struct pmipx_dp_rule_set);
} pmx_rule_sets SEC(".maps");

/* {owner, bank slot} -> flow rule (selector, action, target), in priority order. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PMIPX_DP_MAX_RULES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct pmipx_dp_rule_key);
  __type(value, struct pmipx_dp_rule);
} pmx_rules SEC(".maps");

/* Classified flows: packet tuple -> decision, valid while its generation is current. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, PMIPX_DP_FLOW_CACHE_SIZE);
  __type(key, struct pmipx_dp_packet);
  __type(value, struct pmipx_dp_flow_entry);
} pmx_flow_cache SEC(".maps");

/* LMA, seed 003: {owner, tunnel} -> prefix a primary-HoA packet's destination is rewritten to
 * (with a type 2 routing header) when it leaves through that tunnel. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PMIPX_DP_MAX_HOA_REWRITES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, struct pmipx_dp_hoa_rewrite_key);
  __type(value, struct pmipx_dp_hoa_rewrite);
} pmx_hoa_rewrites SEC(".maps");

/* Decap: our tunnel endpoint addresses (outer destination). */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PMIPX_DP_MAX_ENDPOINTS);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, __u8[16]);
  __type(value, struct pmipx_dp_endpoint);
} pmx_locals SEC(".maps");

/* Decap: known tunnel peers (outer source) -> tunnel for rx counters. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PMIPX_DP_MAX_PEERS);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, __u8[16]);
  __type(value, struct pmipx_dp_peer);
} pmx_peers SEC(".maps");

/* Global counters, enum pmipx_dp_stat. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, PMIPX_DP_STAT_MAX);
  __type(key, __u32);
  __type(value, __u64);
} pmx_stats SEC(".maps");

/* Per-tunnel tx/rx counters, indexed by tunnel id; zeroed when a tunnel is added. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, PMIPX_DP_MAX_TUNNELS);
  __type(key, __u32);
  __type(value, struct pmipx_dp_tunnel_stats);
} pmx_tun_stats SEC(".maps");

/* Per-rule counters, key {owner, rule id}; created by the first matching packet. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, PMIPX_DP_MAX_RULES);
  __type(key, struct pmipx_dp_rule_stats_key);
  __type(value, struct pmipx_dp_rule_stats);
} pmx_rule_stats SEC(".maps");

static __always_inline void pmx_count(__u32 stat) {
  __u64 *v = bpf_map_lookup_elem(&pmx_stats, &stat);
  if (v) *v += 1;
}

#endif /* PMIPX_BPF_MAPS_H */
