/* The maps of the MN programs (mn.bpf.c). Layouts are in common/pmipx_dp.h; the user-space
 * writer is dataplane/mn_hoa_plane.cpp, which pins them like the tunnel maps. Names stay
 * within the kernel's 15 characters. */
#ifndef PMIPX_BPF_MN_MAPS_H
#define PMIPX_BPF_MN_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "pmipx_dp.h"

/* The primary HoA option type. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct pmipx_mn_config);
} mnx_config SEC(".maps");

/* Non-primary interface (ifindex) -> {primary HoA, that interface's HoA}. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PMIPX_MN_MAX_INTERFACES);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, __u32);
  __type(value, struct pmipx_mn_egress);
} mnx_egress SEC(".maps");

/* Key 0 -> the RH2 policy's primary HoA; a hash so an update replaces the value whole. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, __u32);
  __type(value, struct pmipx_mn_policy);
} mnx_policy SEC(".maps");

/* The destinations (the MN's own HoAs) at which an RH2 is honored. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, PMIPX_MN_MAX_DESTINATIONS);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, __u8[16]);
  __type(value, struct pmipx_mn_dest);
} mnx_dests SEC(".maps");

/* Counters, enum pmipx_mn_stat. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, PMIPX_MN_STAT_MAX);
  __type(key, __u32);
  __type(value, __u64);
} mnx_stats SEC(".maps");

static __always_inline void mnx_count(__u32 stat) {
  __u64 *v = bpf_map_lookup_elem(&mnx_stats, &stat);
  if (v) *v += 1;
}

#endif /* PMIPX_BPF_MN_MAPS_H */
