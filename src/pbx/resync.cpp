// Resync after (re)connect: the answers to the list actions (CoreShowChannels, Status,
// QueueStatus, ExtensionStateList, PJSIPShowEndpoints/Contacts, SIPpeers, ParkedCalls,
// ConfbridgeListRooms) are applied like live events and, when a list's *Complete arrives
// (matched by ActionID), its family is reconciled: what the list did not name and no live
// event touched since the list began is gone. Channels the list names keep their identity
// (same Uniqueid ⇒ same channel, same Linkedid ⇒ same call); new ones get their real start
// (now − Duration/Seconds); hold is restored from hint state 16 (the held side hears MOH).
#include <algorithm>

#include "pbx/engine_internal.hpp"

namespace opdesk::pbx {

namespace {
constexpr size_t kMaxOpenLists = 256;  // ActionIDs come from outside: bound the table
}

Engine::ListRun* Engine::list_item(const ami::Message& msg, std::string_view family, std::string key) {
  std::string_view aid = msg.action_id();
  if (aid.empty()) return nullptr;
  auto it = lists_.find(std::string(aid));
  if (it == lists_.end()) {
    if (lists_.size() >= kMaxOpenLists) {
      ++stats_.capped;
      lists_.clear();
    }
    it = lists_.emplace(std::string(aid), ListRun{}).first;
    it->second.started_counter = counter_;
  }
  if (it->second.family.empty()) it->second.family.assign(family);
  it->second.seen.insert(std::move(key));
  return &it->second;
}

void Handlers::on_response(Engine& e, const ami::Message& m, int64_t t) {
  if (std::string_view v = m.get("AsteriskVersion"); !v.empty()) on_coresettings(e, m, t);
  std::string_view aid = m.action_id();
  if (aid.empty()) return;
  if (ami::iequals(m.get("EventList"), "start")) {
    if (e.lists_.size() >= kMaxOpenLists) e.lists_.clear();
    Engine::ListRun run;
    run.started_counter = e.counter_;
    e.lists_[std::string(aid)] = std::move(run);
    return;
  }
  // PJSIPShowContacts with nothing registered answers an Error instead of an empty list.
  std::string_view msg = m.get("Message");
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r' || msg.back() == ' ')) msg.remove_suffix(1);
  if (ami::iequals(m.response(), "Error") && ami::iequals(msg, "No Contacts found")) {
    for (auto& [num, x] : e.state_.extensions) {
      size_t before = x.contacts.size();
      std::erase_if(x.contacts, [&](const auto& kv) {
        return kv.first != "peer" && kv.second.touched <= e.connection_counter_;
      });
      if (before != x.contacts.size()) e.mark(EntityKind::kExtension, num);
    }
  }
}

void Handlers::reconcile_channel_from_list(Engine& e, const ami::Message& m, int64_t t, long long secs) {
  std::string_view uid = m.get("Uniqueid");
  std::string_view name = m.get("Channel");
  if (uid.empty() || name.empty()) return;
  e.list_item(m, "channels", std::string(uid));
  Channel* ch = e.channel_by_uid(uid);
  const int64_t started = t - std::max(0LL, secs) * 1000;
  if (ch == nullptr) {
    ch = e.create_channel(uid, name, m.get("Linkedid"), started);
    if (ch == nullptr) return;
    if (auto c = e.state_.calls.find(ch->call_id); c != e.state_.calls.end()) {
      c->second.started_at = std::min(c->second.started_at, started);
    }
  }
  e.update_channel_fields(*ch, m, {});
  std::string_view app = m.get("Application");
  std::string_view data = m.has("ApplicationData") ? m.get("ApplicationData") : m.get("Data");
  if (!app.empty()) {
    ch->application.assign(app);
    ch->app_data.assign(data);
    spy_mode_from_app(*ch, app, data);
  }
  std::string_view bridge = m.get("BridgeId");
  if (!bridge.empty() && bridge != ch->bridge) {
    ch->bridge.assign(bridge);
    auto& members = e.bridge_members_[ch->bridge];
    std::string call_id = ch->call_id;
    for (const auto& other : members) {
      if (const Channel* o = e.channel_by_uid(other); o != nullptr && o->call_id != call_id) {
        call_id = e.merge_calls(call_id, o->call_id, t);
      }
    }
    members.push_back(ch->uniqueid);
    auto c = e.state_.calls.find(call_id);
    if (c != e.state_.calls.end() && c->second.answered_at == 0 && members.size() >= 2) {
      int64_t answered = 0;
      for (const auto& u : members) {
        if (const Channel* o = e.channel_by_uid(u)) answered = std::max(answered, o->created_at);
      }
      c->second.answered_at = answered;
    }
  }
  if (ami::iequals(app, "ChanSpy") && !ch->spy) {
    // A supervisor already listening: attach to the channel its data names.
    std::string_view target = data.substr(0, data.find(','));
    for (auto& [u, o] : e.state_.channels) {
      if (target.empty() || o.spy || o.local || &o == ch || o.name.compare(0, target.size(), target) != 0) continue;
      ch->spy = true;
      auto c = e.state_.calls.find(o.call_id);
      if (c == e.state_.calls.end()) break;
      c->second.spied_by.push_back(SpyInfo{ch->extension.empty() ? ch->device : ch->extension, ch->name,
                                           ch->uniqueid, ch->spy_mode.empty() ? "listen" : ch->spy_mode, started});
      e.touch_call(c->first);
      e.touch_call(ch->call_id);
      break;
    }
  }
}

void Handlers::on_coreshowchannel(Engine& e, const ami::Message& m, int64_t t) {
  reconcile_channel_from_list(e, m, t, hms_seconds(m.get("Duration")));
}

void Handlers::on_status(Engine& e, const ami::Message& m, int64_t t) {
  reconcile_channel_from_list(e, m, t, hms_seconds(m.get("Seconds")));
}

void Handlers::restore_hold_from_hints(Engine& e, int64_t t) {
  std::unordered_set<std::string> calls;
  for (auto& [num, x] : e.state_.extensions) {
    if (x.hint_code == -100 || x.hint_code < 0) continue;
    const bool held = (x.hint_code & 16) != 0;
    for (const Channel* cc : e.channels_of_extension(num)) {
      Channel* ch = e.channel_by_uid(cc->uniqueid);
      if (ch == nullptr || ch->bridge.empty() || ch->spy) continue;
      if (ch->moh != held) {
        ch->moh = held;
        calls.insert(ch->call_id);
      }
    }
  }
  for (const auto& id : calls) {
    auto c = e.state_.calls.find(id);
    if (c == e.state_.calls.end()) continue;
    bool any_moh = false;
    for (const auto& u : c->second.channels) {
      if (const Channel* ch = e.channel_by_uid(u)) any_moh = any_moh || ch->moh;
    }
    if (!any_moh) {
      for (const auto& u : c->second.channels) {
        if (Channel* ch = e.channel_by_uid(u)) ch->holding = false;
      }
    }
    e.refresh_hold(c->second, t);
  }
}

void Handlers::on_list_complete(Engine& e, const ami::Message& m, int64_t t) {
  auto it = e.lists_.find(std::string(m.action_id()));
  Engine::ListRun run;
  if (it != e.lists_.end()) {
    run = std::move(it->second);
    e.lists_.erase(it);
  } else {
    // An empty list whose start we did not see: whatever no event touched in this
    // connection is gone (parked calls and rooms carry no such mark and are left alone).
    run.started_counter = e.connection_counter_ + 1;
    run.family = "unseen";
  }
  const bool unseen = run.family == "unseen";
  auto stale = [&run](uint64_t touched, const std::string& key) {
    return touched < run.started_counter && !run.seen.count(key);
  };
  std::string_view ev = m.event();
  if (ev == "CoreShowChannelsComplete" || ev == "StatusComplete") {
    std::vector<std::string> gone;
    for (const auto& [uid, ch] : e.state_.channels) {
      if (stale(ch.touched, uid)) gone.push_back(uid);
    }
    for (const auto& uid : gone) e.remove_channel(uid, t, -1, {});
  } else if (ev == "QueueStatusComplete") {
    for (auto& [qname, q] : e.state_.queues) {
      const std::string name = qname;  // clang 14 cannot capture structured bindings
      if (!run.seen.count("q:" + name)) continue;
      std::erase_if(q.members, [&](const auto& kv) {
        std::string key = "m:" + name + '\x1f' + kv.first;
        return stale(kv.second.touched, key);
      });
      std::erase_if(q.entries, [&](const QueueEntry& en) {
        return stale(en.touched, "e:" + name + '\x1f' + en.uniqueid);
      });
      e.mark(EntityKind::kQueue, name);
    }
  } else if (ev == "ExtensionStateListComplete") {
    restore_hold_from_hints(e, t);
  } else if (ev == "ContactListComplete") {
    for (auto& [number, x] : e.state_.extensions) {
      const std::string num = number;
      size_t before = x.contacts.size();
      std::erase_if(x.contacts, [&](const auto& kv) {
        return kv.first != "peer" && stale(kv.second.touched, num + '\x1f' + kv.first);
      });
      if (before != x.contacts.size()) e.mark(EntityKind::kExtension, num);
    }
  } else if (ev == "ParkedCallsComplete" && !unseen) {
    std::erase_if(e.state_.parked, [&](const auto& kv) {
      bool gone = !run.seen.count(kv.first);
      if (gone) e.mark(EntityKind::kParked, kv.first);
      return gone;
    });
  } else if (ev == "ConfbridgeListRoomsComplete" && !unseen) {
    std::erase_if(e.state_.conferences, [&](const auto& kv) {
      bool gone = !run.seen.count(kv.first);
      if (gone) e.mark(EntityKind::kConference, kv.first);
      return gone;
    });
  }
}

}  // namespace opdesk::pbx
