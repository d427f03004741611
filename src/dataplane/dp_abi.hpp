// The C data-plane ABI and the shared selector/hash code, for C++. common/*.h are plain C
// (also compiled by clang -target bpf); this wrapper gives them C linkage, silences C-style
// casts for C++'s stricter warnings, and pins their layouts with static_asserts.
#pragma once

#include <cstddef>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
extern "C" {
#include "dataplane/common/pmipx_dp.h"
#include "dataplane/common/flow_hash.h"
#include "dataplane/common/selector_match.h"
}
#pragma GCC diagnostic pop

namespace pmipx::dataplane {

// Layouts the BPF object was compiled with: a change here is an ABI change (pinned maps!).
static_assert(sizeof(pmipx_dp_config) == 12);
static_assert(sizeof(pmipx_dp_packet) == 48);
static_assert(offsetof(pmipx_dp_packet, flow_label) == 32 && offsetof(pmipx_dp_packet, flags) == 46);
static_assert(sizeof(pmipx_dp_selector) == 96);
static_assert(offsetof(pmipx_dp_selector, spi_start) == 68);
static_assert(sizeof(pmipx_dp_target) == 8);
static_assert(sizeof(pmipx_dp_tunnel) == 40);
static_assert(sizeof(pmipx_dp_group) == 8 + 8 * PMIPX_DP_GROUP_MAX_MEMBERS);
static_assert(sizeof(pmipx_dp_prefix_key) == 20);
static_assert(sizeof(pmipx_dp_prefix) == 16);
static_assert(sizeof(pmipx_dp_rule_set) == 4);
static_assert(sizeof(pmipx_dp_rule_key) == 8);
static_assert(sizeof(pmipx_dp_rule) == 96 + 16);
static_assert(sizeof(pmipx_dp_flow_entry) == 28);
static_assert(sizeof(pmipx_dp_hoa_rewrite_key) == 8);
static_assert(sizeof(pmipx_dp_hoa_rewrite) == 20);
static_assert(sizeof(pmipx_dp_peer) == 8);
static_assert(sizeof(pmipx_dp_tunnel_stats) == 32);
static_assert(sizeof(pmipx_dp_rule_stats) == 16);
static_assert(sizeof(pmipx_mn_config) == 4);
static_assert(sizeof(pmipx_mn_egress) == 32);
static_assert(sizeof(pmipx_mn_policy) == 20);
static_assert(sizeof(pmipx_mn_dest) == 4);

}  // namespace pmipx::dataplane
