#include "daemon/lma_daemon.hpp"

#include <algorithm>
#include <random>

#include "core/overloaded.hpp"
#include "daemon/json_util.hpp"
#include "daemon/logging.hpp"
#include "wire/hex.hpp"
#include "wire/print.hpp"

namespace pmipx::daemon {
namespace {

core::PolicyStore make_policy(const LmaDaemonConfig& c) {
  std::optional<core::PrefixPool> pool;
  if (c.pool) pool = core::PrefixPool::create(*c.pool, c.pool_delegated_length);
  core::PolicyStore policy(std::move(pool));
  for (const auto& m : c.mags) policy.authorize_mag(m);
  for (const auto& mn : c.mns) policy.add_mn(mn);
  policy.set_default_mn(c.default_mn);
  return policy;
}

core::LmaConfig engine_config(LmaDaemonConfig c) {
  // RFC 7077 §6.2: the first UPN sequence number should be random.
  c.engine.upn_initial_sequence = static_cast<std::uint16_t>(std::random_device{}());
  return c.engine;
}

const char* state_name(core::BceState s) { return s == core::BceState::kActive ? "active" : "delete-pending"; }

}  // namespace

LmaDaemon::LmaDaemon(LmaDaemonConfig config, std::string config_path)
    : config_(std::move(config)),
      config_path_(std::move(config_path)),
      log_(make_logger("lma", config_.log)),
      engine_(engine_config(config_), make_policy(config_)),
      signaling_(log_, metrics_, config_.engine.codec),
      timer_(loop_.io(), [this] { on_timer(); }),
      api_(loop_, config_.api) {
  metrics_.describe("events_total", "engine events by kind");
  metrics_.describe("pba_status_total", "PBAs sent, by status");
  metrics_.describe("dataplane_ops_total", "forwarding changes requested, by kind");
  metrics_.describe("dataplane_errors_total", "forwarding changes the kernel refused, by kind");
  if (config_.dataplane.enabled) {
    const auto& pin_dir = config_.dataplane.pin_dir;
    auto plane = std::make_unique<dataplane::BpfForwarding>(dataplane::BpfForwarding::Options{pin_dir});
    log_->info("data plane: tc eBPF loaded{}, maps pinned under {}",
               plane->reused_pinned_maps() ? " (pinned maps reused)" : "", pin_dir.empty() ? "(nowhere)" : pin_dir);
    forwarding_ = std::make_unique<LmaForwarding>(config_.engine.address, config_.dataplane.hoa_option_type,
                                                  std::move(plane), netlink_, log_);
  }
  register_api();
}

LmaDaemon::~LmaDaemon() { api_.stop(); }

int LmaDaemon::run() {
  loop_.on_error([this](const std::string& what) {
    log_->error("internal error while handling input: {}", what);
    metrics_.add("internal_errors_total");
  });
  loop_.watch(signaling_.fd(), [this] { on_readable(); });
  api_.start();
  log_->info("LMA {} up: {} authorized MAGs, {} MN profiles, pool {}, API http://{}:{}",
             config_.engine.address.to_string(), config_.mags.size(), config_.mns.size(),
             config_.pool ? config_.pool->to_string() : "none", config_.api.address, config_.api.port);
  drain();
  loop_.run();
  log_->info("LMA stopping: {} bindings dropped from memory", engine_.bindings().size());
  api_.stop();
  return 0;
}

void LmaDaemon::on_readable() {
  auto now = clock_now();
  signaling_.receive([&](const io::Datagram& d, const wire::Message& m) { engine_.handle_message(now, d.src, d.dst, m); },
                     [&](const io::Datagram& d) { engine_.handle_datagram(now, d.src, d.dst, d.payload); });
  drain();
}

void LmaDaemon::on_timer() {
  engine_.handle_timeout(clock_now());
  drain();
}

void LmaDaemon::drain() {
  while (auto t = engine_.poll_transmit()) signaling_.send(*t);
  while (auto op = engine_.poll_dataplane()) apply(*op);
  while (auto e = engine_.poll_event()) {
    metrics_.add("events_total", {{"kind", core::to_string(e->kind)}});
    auto level = e->kind == core::EventKind::kMessageDropped || e->kind == core::EventKind::kPbuRejected ||
                         e->kind == core::EventKind::kFlowMoveFailed
                     ? spdlog::level::warn
                     : spdlog::level::info;
    log_->log(level, "event {} mn={} entry={} status={} {}", core::to_string(e->kind), e->mn, e->entry, e->status,
              e->detail);
    // The outcome of the latest change of each flow, for `pmipx ctl flows` (a failed FMI
    // rolls the flow back: the operator must see why it did not move).
    if (e->fid && (e->kind == core::EventKind::kFlowMoved || e->kind == core::EventKind::kFlowMoveFailed)) {
      last_move_[{e->mn, e->fid}] = LastMove{e->kind == core::EventKind::kFlowMoved, e->status, e->detail};
    }
  }
  timer_.arm(engine_.poll_timeout());
}

void LmaDaemon::apply(const core::LmaDataplaneOp& op) {
  std::visit(core::Overloaded{
                 [&](const core::lma_op::TunnelAdd& o) {
                   tunnels_.insert(o.proxy_coa);
                   log_->info("dataplane: tunnel {} <-> {} added", config_.engine.address.to_string(),
                              o.proxy_coa.to_string());
                 },
                 [&](const core::lma_op::TunnelRemove& o) {
                   tunnels_.erase(o.proxy_coa);
                   log_->info("dataplane: tunnel to {} removed", o.proxy_coa.to_string());
                 },
                 [&](const core::lma_op::RouteAdd& o) {
                   routes_[{o.prefix, o.entry}] = o;
                   blocked_.erase(o.entry);
                   log_->info("dataplane: route {} -> entry {} (BID {}) via {}", o.prefix.to_string(), o.entry,
                              o.bid, o.proxy_coa.to_string());
                 },
                 [&](const core::lma_op::RouteRemove& o) {
                   routes_.erase({o.prefix, o.entry});
                   log_->info("dataplane: route {} of entry {} removed", o.prefix.to_string(), o.entry);
                 },
                 [&](const core::lma_op::EntryBlock& o) {
                   blocked_.insert(o.entry);
                   log_->info("dataplane: entry {} blocked", o.entry);
                 },
                 [&](const core::lma_op::FlowRuleSet& o) {
                   flow_rules_[{o.mn, o.fid}] = o;
                   log_->info("dataplane: flow {} of {} -> {} entries", o.fid, o.mn.to_string(), o.entries.size());
                 },
                 [&](const core::lma_op::FlowRuleRemove& o) {
                   flow_rules_.erase({o.mn, o.fid});
                   log_->info("dataplane: flow {} of {} removed", o.fid, o.mn.to_string());
                 },
                 [&](const core::lma_op::PrimaryHoaSet& o) {
                   log_->info("dataplane: primary HoA plan for {}: {} targets", o.mn.to_string(), o.targets.size());
                 },
                 [&](const core::lma_op::PrimaryHoaRemove& o) {
                   log_->info("dataplane: primary HoA plan for {} removed", o.mn.to_string());
                 },
                 [&](const core::lma_op::MultipathSet& o) {
                   log_->info("dataplane: multipath for {}: {} paths", o.mn.to_string(), o.paths.size());
                 },
                 [&](const core::lma_op::MultipathRemove& o) {
                   log_->info("dataplane: multipath for {} removed", o.mn.to_string());
                 },
             },
             op);
  static constexpr const char* kNames[] = {"tunnel_add",      "tunnel_remove",   "route_add",       "route_remove",
                                           "entry_block",     "flow_rule_set",   "flow_rule_remove", "primary_hoa_set",
                                           "primary_hoa_remove", "multipath_set", "multipath_remove"};
  metrics_.add("dataplane_ops_total", {{"op", kNames[op.index()]}});
  if (forwarding_) {
    if (auto err = forwarding_->apply(op, engine_.bindings())) {
      log_->error("dataplane {}: {}", kNames[op.index()], *err);
      metrics_.add("dataplane_errors_total", {{"op", kNames[op.index()]}});
    }
  }
}

Json LmaDaemon::bindings_json() const {
  auto now = core::MonoClock::now();
  std::vector<const core::BindingCacheEntry*> sorted;
  for (const auto& [id, e] : engine_.bindings().entries()) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->id < b->id; });
  Json out = Json::array();
  for (const auto* e : sorted) {
    Json j;
    j["id"] = e->id;
    j["mn"] = e->mn_id.to_string();
    j["bid"] = e->bid;
    j["state"] = state_name(e->state);
    j["proxy_coa"] = e->proxy_coa.to_string();
    j["prefixes"] = prefixes_json(e->prefixes);
    j["off_link_prefixes"] = prefixes_json(e->off_link_prefixes);
    j["att"] = att_name(e->att);
    j["mn_ll_id"] = wire::to_hex(e->mn_ll_id);
    j["mag_link_local"] = e->mag_link_local.to_string();
    j["lifetime_s"] = e->lifetime.seconds();
    j["expires_in_s"] = seconds_until(e->expires, now);
    j["ifp"] = e->ifp;
    j["primary"] = e->primary;
    j["shares_prefixes"] = e->shares_prefixes;
    j["muho"] = e->muho;
    if (e->path) {
      j["multipath"] = {{"mag_id", e->path->mag_id}, {"bid", e->path->bid}, {"label", e->path->label},
                        {"if_att", att_name(e->path->if_att)}};
    }
    out.push_back(std::move(j));
  }
  return out;
}

Json LmaDaemon::flows_json() const {
  Json out = Json::array();
  std::set<core::MnId> mns;
  for (const auto& [id, e] : engine_.bindings().entries()) mns.insert(e.mn_id);
  for (const auto& p : config_.mns) mns.insert(p.id);
  for (const auto& mn : mns) {
    for (const auto* f : engine_.flows().flows(mn)) {
      Json j;
      j["mn"] = mn.to_string();
      j["fid"] = f->fid;
      j["priority"] = f->priority;
      j["selector"] = wire::selector_json(f->selector);
      j["bids"] = f->bids;
      j["action"] = f->action == core::FlowAction::kForward ? "forward" : "drop";
      j["active"] = engine_.flows().active(mn, *f, engine_.bindings());
      j["pending"] = engine_.flow_move_pending(mn);
      if (auto lm = last_move_.find({mn.to_string(), f->fid}); lm != last_move_.end()) {
        j["last_move"] = Json{{"result", lm->second.ok ? "moved" : "failed"}, {"status", lm->second.status},
                              {"detail", lm->second.detail}};
      }
      if (forwarding_) {
        auto c = forwarding_->flow_counters(mn, f->fid);
        j["packets"] = c.packets;
        j["bytes"] = c.bytes;
      }
      out.push_back(std::move(j));
    }
  }
  return out;
}

Json LmaDaemon::counters_json() const {
  const auto& c = engine_.counters();
  Json j;
  j["pbu_received"] = c.pbu_received;
  j["pba_accepted"] = c.pba_accepted;
  j["pba_rejected"] = c.pba_rejected;
  j["pbu_ignored"] = c.pbu_ignored;
  j["duplicates"] = c.duplicates;
  j["malformed"] = c.malformed;
  j["unexpected"] = c.unexpected;
  j["binding_errors_sent"] = c.binding_errors_sent;
  j["heartbeats_answered"] = c.heartbeats_answered;
  j["expired"] = c.expired;
  j["flow_moves"] = c.flow_moves;
  j["flow_moves_failed"] = c.flow_moves_failed;
  j["fmi_sent"] = c.fmi_sent;
  j["fmi_retransmitted"] = c.fmi_retransmitted;
  j["muho_updates_sent"] = c.muho_updates_sent;
  j["flow_info_updates_sent"] = c.flow_info_updates_sent;
  Json by = Json::object();
  for (const auto& [status, n] : c.rejects_by_status) by[std::to_string(status)] = n;
  j["rejects_by_status"] = by;
  j["bindings"] = engine_.bindings().size();
  j["flows"] = engine_.flows().size();
  return j;
}

std::string LmaDaemon::metrics_text() {
  metrics_.set("bindings", {}, static_cast<double>(engine_.bindings().size()));
  metrics_.set("flows", {}, static_cast<double>(engine_.flows().size()));
  metrics_.set("tunnels", {}, static_cast<double>(tunnels_.size()));
  const auto& c = engine_.counters();
  metrics_.set("engine_malformed", {}, static_cast<double>(c.malformed));
  metrics_.set("engine_unexpected", {}, static_cast<double>(c.unexpected));
  metrics_.set("engine_duplicates", {}, static_cast<double>(c.duplicates));
  metrics_.set("engine_expired", {}, static_cast<double>(c.expired));
  for (const auto& [status, n] : c.rejects_by_status) {
    metrics_.set("engine_rejects", {{"status", std::to_string(status)}}, static_cast<double>(n));
  }
  if (const auto* pool = engine_.policy().pool()) {
    metrics_.set("pool_prefixes_used", {}, static_cast<double>(pool->used()));
    metrics_.set("pool_prefixes_capacity", {}, static_cast<double>(pool->capacity()));
  }
  return metrics_.render();
}

core::MnId LmaDaemon::mn_arg(const Json& body) const {
  if (!body.contains("mn") || !body["mn"].is_string()) throw ApiError{400, "missing \"mn\" (the MN identifier)"};
  return core::MnId::nai(body["mn"].get<std::string>());
}

namespace {
std::uint16_t u16_arg(const Json& body, const char* key) {
  if (!body.contains(key) || !body[key].is_number_unsigned() || body[key].get<std::uint64_t>() > 0xffff) {
    throw ApiError{400, std::string("missing or bad \"") + key + "\" (0..65535)"};
  }
  return body[key].get<std::uint16_t>();
}
}  // namespace

void LmaDaemon::register_api() {
  api_.get("/health", [](const Json&) { return Json{{"role", "lma"}, {"ok", true}}; });
  api_.get("/bindings", [this](const Json&) { return bindings_json(); });
  api_.get("/flows", [this](const Json&) { return flows_json(); });
  api_.get("/counters", [this](const Json&) { return counters_json(); });
  api_.get("/mags", [this](const Json&) {
    Json out = Json::array();
    for (const auto& m : engine_.policy().mags()) {
      out.push_back({{"proxy_coa", m.to_string()},
                     {"bindings", engine_.bindings().by_proxy_coa(m).size()},
                     {"tunnel", tunnels_.count(m) != 0}});
    }
    return out;
  });
  api_.get("/pool", [this](const Json&) -> Json {
    const auto* pool = engine_.policy().pool();
    if (!pool) return Json{{"configured", false}};
    return Json{{"configured", true}, {"prefix", pool->base().to_string()}, {"length", pool->delegated_length()},
                {"capacity", pool->capacity()}, {"used", pool->used()}};
  });
  api_.get("/dataplane", [this](const Json&) {
    Json routes = Json::array();
    for (const auto& [k, r] : routes_) {
      routes.push_back({{"prefix", r.prefix.to_string()}, {"entry", r.entry}, {"bid", r.bid},
                        {"proxy_coa", r.proxy_coa.to_string()}, {"blocked", blocked_.count(r.entry) != 0}});
    }
    Json tunnels = Json::array();
    for (const auto& t : tunnels_) tunnels.push_back(t.to_string());
    Json rules = Json::array();
    for (const auto& [k, r] : flow_rules_) {
      rules.push_back({{"mn", r.mn.to_string()}, {"fid", r.fid}, {"priority", r.priority},
                       {"selector", wire::selector_json(r.selector)}, {"entries", r.entries},
                       {"action", r.action == core::FlowAction::kForward ? "forward" : "drop"}});
    }
    Json out{{"executed", false}, {"tunnels", tunnels}, {"routes", routes}, {"flow_rules", rules}};
    if (forwarding_) {
      auto k = forwarding_->state();
      out["executed"] = true;
      out["kernel"] = k;
    }
    return out;
  });
  api_.get("/tunnels", [this](const Json&) -> Json {
    if (!forwarding_) return Json::array();
    return forwarding_->state()["tunnels"];
  });
  api_.post("/flows/move", [this](const Json& body) {
    auto mn = mn_arg(body);
    auto fid = u16_arg(body, "fid");
    auto bid = u16_arg(body, "bid");
    if (auto why = engine_.move_flow(clock_now(), mn, fid, bid)) throw ApiError{409, *why};
    bool pending = engine_.flow_move_pending(mn);
    drain();
    return Json{{"ok", true}, {"pending_fma", pending}};
  });
  // Add or replace a flow: {mn, fid, priority, selector: {...}, bids: [..], action: forward|drop}.
  api_.post("/flows/set", [this](const Json& body) {
    auto mn = mn_arg(body);
    core::FlowEntry f;
    f.fid = u16_arg(body, "fid");
    f.priority = u16_arg(body, "priority");
    // The selector as JSON, or as the configuration's YAML text (what pmipx ctl sends).
    if (!body.contains("selector") || !(body["selector"].is_object() || body["selector"].is_string())) {
      throw ApiError{400, "missing \"selector\""};
    }
    try {
      const auto& sel = body["selector"];
      f.selector = parse_selector(sel.is_string() ? sel.get<std::string>() : sel.dump(), "selector");
    } catch (const ConfigError& e) {
      throw ApiError{400, e.what()};
    }
    if (body.contains("bids")) {
      if (!body["bids"].is_array()) throw ApiError{400, "\"bids\" must be a list of BIDs"};
      for (const auto& b : body["bids"]) {
        if (!b.is_number_unsigned() || b.get<std::uint64_t>() > 0xffff) throw ApiError{400, "a BID is 0..65535"};
        f.bids.push_back(b.get<std::uint16_t>());
      }
    }
    std::string action = body.value("action", "forward");
    if (action != "forward" && action != "drop") throw ApiError{400, "\"action\" is forward or drop"};
    f.action = action == "drop" ? core::FlowAction::kDrop : core::FlowAction::kForward;
    if (auto why = engine_.set_flow(clock_now(), mn, f)) throw ApiError{409, *why};
    bool pending = engine_.flow_move_pending(mn);
    drain();
    return Json{{"ok", true}, {"pending_fma", pending}};
  });
  api_.post("/flows/remove", [this](const Json& body) {
    auto mn = mn_arg(body);
    if (auto why = engine_.remove_flow(mn, u16_arg(body, "fid"))) throw ApiError{409, *why};
    drain();
    return Json{{"ok", true}};
  });
  api_.post("/policy/reload", [this](const Json&) {
    LmaDaemonConfig fresh;
    try {
      fresh = load_lma_config(config_path_);
    } catch (const ConfigError& e) {
      throw ApiError{400, e.what()};
    }
    engine_.reload_policy(fresh.mags, fresh.mns);
    config_.mags = fresh.mags;
    config_.mns = fresh.mns;
    log_->info("policy reloaded from {}: {} MAGs, {} MN profiles", config_path_, fresh.mags.size(), fresh.mns.size());
    // Only who may register changes on a reload; the pool, timers, addresses and the API
    // are read at start (a restart applies them).
    return Json{{"ok", true},
                {"mags", fresh.mags.size()},
                {"mns", fresh.mns.size()},
                {"applied", {"mags", "mns"}},
                {"restart_needed_for", "any other key"}};
  });
  api_.text("/metrics", [this] { return metrics_text(); });
}

}  // namespace pmipx::daemon
