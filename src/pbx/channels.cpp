// Channels by Uniqueid and the events that create, change and end them (Newchannel,
// Newstate, caller id, dialplan position, VarSet, Dial, renames, masquerades, Hangup).
// Every channel belongs to exactly one call (call_id); see calls.cpp and bridges.cpp.
#include <algorithm>

#include "pbx/engine_internal.hpp"

namespace opdesk::pbx {
Channel* Engine::channel_by_uid(std::string_view uid) {
  auto it = state_.channels.find(uid);
  return it == state_.channels.end() ? nullptr : &it->second;
}

Channel* Engine::channel_by_name(std::string_view name) {
  if (name.empty()) return nullptr;
  auto it = uid_by_name_.find(std::string(name));
  return it == uid_by_name_.end() ? nullptr : channel_by_uid(it->second);
}

Channel* Engine::channel_from(const ami::Message& msg, std::string_view prefix) {
  Channel* ch = channel_by_uid(field(msg, prefix, "Uniqueid"));
  if (ch == nullptr) ch = channel_by_name(field(msg, prefix, "Channel"));
  if (ch == nullptr) ++stats_.unknown_channel;
  return ch;
}

Channel* Engine::create_channel(std::string_view uid, std::string_view name,
                                std::string_view linkedid, int64_t t) {
  if (state_.channels.size() >= kMaxChannels) {
    ++stats_.capped;
    return nullptr;
  }
  auto [it, inserted] = state_.channels.try_emplace(std::string(uid));
  Channel& ch = it->second;
  if (!inserted) return &ch;
  ch.uniqueid.assign(uid);
  ch.name.assign(name);
  ch.linkedid.assign(linkedid.empty() ? uid : linkedid);
  ch.local = is_local_channel(name);
  ch.tech.assign(channel_tech(name));
  if (!ch.local) ch.device.assign(channel_resource(name));
  if (!ch.device.empty() && state_.extensions.count(ch.device)) ch.extension = ch.device;
  ch.created_at = t;
  uid_by_name_[ch.name] = ch.uniqueid;
  if (!ch.device.empty()) device_channels_[ch.device].push_back(ch.uniqueid);
  // Join the call of the Linkedid; if that call was merged away, its channel knows where.
  std::string call_id = ch.linkedid;
  if (!state_.calls.count(call_id)) {
    if (const Channel* lk = channel_by_uid(ch.linkedid); lk != nullptr && lk != &ch) call_id = lk->call_id;
  }
  ch.call_id = call_id;
  call_for(call_id, t).channels.push_back(ch.uniqueid);
  touch_call(call_id);
  if (!ch.extension.empty()) touch_extension(ch.extension);
  return &ch;
}

Channel* Engine::upsert_channel(const ami::Message& msg, std::string_view prefix, int64_t t) {
  std::string_view uid = field(msg, prefix, "Uniqueid");
  std::string_view name = field(msg, prefix, "Channel");
  if (uid.empty() || name.empty()) return nullptr;
  Channel* ch = channel_by_uid(uid);
  if (ch == nullptr) ch = create_channel(uid, name, field(msg, prefix, "Linkedid"), t);
  if (ch != nullptr) update_channel_fields(*ch, msg, prefix);
  return ch;
}

namespace {

// The channel snapshot fields of one frame (optionally prefixed), read in one pass over the
// frame instead of one scan per key: these events are the bulk of the channel traffic.
struct SnapshotView {
  std::string_view state, cid_num, cid_name, cl_num, cl_name, context, exten, channel, linkedid;
  bool has_cid_num = false, has_cid_name = false, has_cl_num = false, has_cl_name = false;
};

SnapshotView read_snapshot(const ami::Message& msg, std::string_view prefix) {
  SnapshotView v;
  auto take = [](std::string_view& dst, std::string_view val, bool* seen = nullptr) {
    if (seen != nullptr) {
      if (*seen) return;
      *seen = true;
    } else if (!dst.empty()) {
      return;
    }
    dst = val;
  };
  for (size_t i = 0; i < msg.size(); ++i) {
    std::string_view k = msg.key(i);
    if (!prefix.empty()) {
      if (k.size() <= prefix.size() || !ami::iequals(k.substr(0, prefix.size()), prefix)) continue;
      k.remove_prefix(prefix.size());
    }
    std::string_view val = msg.value(i);
    if (ami::iequals(k, "ChannelState")) take(v.state, val);
    else if (ami::iequals(k, "CallerIDNum")) take(v.cid_num, val, &v.has_cid_num);
    else if (ami::iequals(k, "CallerIDName")) take(v.cid_name, val, &v.has_cid_name);
    else if (ami::iequals(k, "ConnectedLineNum")) take(v.cl_num, val, &v.has_cl_num);
    else if (ami::iequals(k, "ConnectedLineName")) take(v.cl_name, val, &v.has_cl_name);
    else if (ami::iequals(k, "Context")) take(v.context, val);
    else if (ami::iequals(k, "Exten")) take(v.exten, val);
    else if (ami::iequals(k, "Channel")) take(v.channel, val);
    else if (ami::iequals(k, "Linkedid")) take(v.linkedid, val);
  }
  return v;
}

}  // namespace

void Engine::update_channel_fields(Channel& ch, const ami::Message& msg, std::string_view prefix) {
  ch.touched = counter_;
  const SnapshotView v = read_snapshot(msg, prefix);
  if (!v.state.empty()) ch.state = to_int(v.state, ch.state);
  // Unprefixed caller id fields may legitimately become empty; prefixed ones only update.
  auto assign = [&prefix](std::string& dst, std::string_view val, bool present) {
    if (!val.empty() || (prefix.empty() && present)) dst.assign(val);
  };
  assign(ch.caller_num, v.cid_num, v.has_cid_num);
  assign(ch.caller_name, v.cid_name, v.has_cid_name);
  assign(ch.connected_num, v.cl_num, v.has_cl_num);
  assign(ch.connected_name, v.cl_name, v.has_cl_name);
  if (!v.context.empty()) ch.context.assign(v.context);
  if (!v.exten.empty()) ch.exten.assign(v.exten);
  if (!v.channel.empty() && v.channel != ch.name) rename_channel(ch, v.channel);
  if (!v.linkedid.empty() && v.linkedid != ch.linkedid) {
    ch.linkedid.assign(v.linkedid);  // Asterisk moved it into an older call (bridge propagation)
    auto other = state_.calls.find(v.linkedid);
    if (other != state_.calls.end() && ch.call_id != other->first) {
      merge_calls(ch.call_id, std::string(v.linkedid), ch.created_at);
    }
  }
  touch_call(ch.call_id);
  if (!ch.extension.empty()) touch_extension(ch.extension);
}

void Engine::rename_channel(Channel& ch, std::string_view new_name) {
  uid_by_name_.erase(ch.name);
  if (!ch.device.empty()) erase_value(device_channels_[ch.device], ch.uniqueid);
  if (!ch.extension.empty()) touch_extension(ch.extension);
  ch.name.assign(new_name);
  ch.local = is_local_channel(new_name);
  ch.tech.assign(channel_tech(new_name));
  ch.device = ch.local ? std::string() : std::string(channel_resource(new_name));
  ch.extension = (!ch.device.empty() && state_.extensions.count(ch.device)) ? ch.device : std::string();
  uid_by_name_[ch.name] = ch.uniqueid;
  if (!ch.device.empty()) device_channels_[ch.device].push_back(ch.uniqueid);
  if (!ch.extension.empty()) touch_extension(ch.extension);
  touch_call(ch.call_id);
}

void Engine::remove_channel(std::string_view uid, int64_t t, int cause, std::string_view cause_txt) {
  auto it = state_.channels.find(uid);
  if (it == state_.channels.end()) return;
  Channel ch = std::move(it->second);
  state_.channels.erase(it);
  if (auto n = uid_by_name_.find(ch.name); n != uid_by_name_.end() && n->second == ch.uniqueid) {
    uid_by_name_.erase(n);
  }
  if (!ch.device.empty()) {
    auto d = device_channels_.find(ch.device);
    if (d != device_channels_.end()) {
      erase_value(d->second, ch.uniqueid);
      if (d->second.empty()) device_channels_.erase(d);
    }
  }
  if (!ch.bridge.empty()) {
    auto b = bridge_members_.find(ch.bridge);
    if (b != bridge_members_.end()) {
      erase_value(b->second, ch.uniqueid);
      if (b->second.empty()) bridge_members_.erase(b);
    }
  }
  if (!ch.extension.empty()) touch_extension(ch.extension);
  for (auto& [id, call] : state_.calls) {  // a spy leg is listed on the call it watched
    if (!ch.spy) break;
    auto before = call.spied_by.size();
    call.spied_by.erase(std::remove_if(call.spied_by.begin(), call.spied_by.end(),
                                       [&](const SpyInfo& s) { return s.uniqueid == ch.uniqueid; }),
                        call.spied_by.end());
    if (call.spied_by.size() != before) touch_call(id);
  }
  auto c = state_.calls.find(ch.call_id);
  if (c == state_.calls.end()) return;
  erase_value(c->second.channels, ch.uniqueid);
  if (!ch.local && !ch.spy) {
    std::string who = ch.extension.empty() ? (ch.device.empty() ? ch.name : ch.device) : ch.extension;
    std::string detail = who;
    if (cause >= 0) detail += " (" + std::string(cause_txt.empty() ? std::to_string(cause) : cause_txt) + ")";
    journey(c->second, t, "hung_up", detail);
    refresh_hold(c->second, t);
  }
  end_call_if_done(ch.call_id, t);
}

void Handlers::on_newchannel(Engine& e, const ami::Message& m, int64_t t) {
  Channel* ch = e.upsert_channel(m, {}, t);
  if (ch == nullptr) return;
  auto c = e.state_.calls.find(ch->call_id);
  if (c != e.state_.calls.end() && ch->uniqueid == c->first && c->second.destination.empty() && ch->exten != "s") {
    c->second.destination = ch->exten;
  }
  // The phone's own caller name names the extension until the directory says otherwise.
  if (Extension* x = e.ext_find(ch->extension); x != nullptr && x->name.empty() && ch->caller_num == x->number &&
                                                has_number(ch->caller_name)) {
    x->name = ch->caller_name;
    e.touch_extension(x->number);
  }
  // Weak spy-mode hints: FreePBX-style feature codes and the OpDesk originate CallerID.
  std::string_view x = ch->exten;
  if (ch->spy_mode_strength < 1 && x.size() >= 4 && x[0] == '*' && x.substr(1, 2) == "55") {
    char k = x[3];
    ch->spy_mode = k == '6' ? "whisper" : k == '7' ? "barge" : "listen";
    ch->spy_mode_strength = 1;
  }
}

void Handlers::on_newstate(Engine& e, const ami::Message& m, int64_t t) {
  Channel* ch = e.upsert_channel(m, {}, t);
  if (ch == nullptr) return;
  if (ch->state == 6) {
    if (ch->answered_at == 0) ch->answered_at = t;
    auto c = e.state_.calls.find(ch->call_id);
    if (c != e.state_.calls.end() && c->second.answered_at == 0 && ch->uniqueid != c->second.id &&
        !ch->local && !ch->spy) {
      c->second.answered_at = t;
      e.journey(c->second, t, "answered", ch->extension.empty() ? ch->caller_num : ch->extension);
    }
  }
}

void Handlers::on_newcallerid(Engine& e, const ami::Message& m, int64_t t) {
  Channel* ch = e.upsert_channel(m, {}, t);
  if (ch == nullptr) return;
  std::string_view n = ch->caller_name;
  if (ch->spy_mode_strength < 2) {
    if (ami::iequals(n, "Listen")) ch->spy_mode = "listen";
    else if (ami::iequals(n, "Whisper")) ch->spy_mode = "whisper";
    else if (ami::iequals(n, "Barge")) ch->spy_mode = "barge";
    else return;
    ch->spy_mode_strength = 2;
  }
}

// ChanSpy/ExtenSpy options: B barge, w/W whisper, otherwise listen.
void spy_mode_from_app(Channel& ch, std::string_view app, std::string_view data) {
  if (!ami::iequals(app, "ChanSpy") && !ami::iequals(app, "ExtenSpy")) return;
  auto comma = data.find(',');
  std::string_view opts = comma == std::string_view::npos ? std::string_view{} : data.substr(comma + 1);
  auto paren = opts.find('(');  // options with arguments, e.g. e(...)
  std::string_view flags = opts.substr(0, paren);
  if (flags.find('B') != std::string_view::npos) ch.spy_mode = "barge";
  else if (flags.find('w') != std::string_view::npos || flags.find('W') != std::string_view::npos) ch.spy_mode = "whisper";
  else ch.spy_mode = "listen";
  ch.spy_mode_strength = 3;
}

void Handlers::on_newexten(Engine& e, const ami::Message& m, int64_t) {
  // Hot path: only the dialplan position is kept; no call derivation is triggered.
  Channel* ch = e.channel_by_uid(m.get("Uniqueid"));
  if (ch == nullptr) return;
  std::string_view app = m.get("Application");
  ch->application.assign(app);
  ch->app_data.assign(m.get("AppData"));
  if (std::string_view c = m.get("Context"); !c.empty()) ch->context.assign(c);
  if (std::string_view x = m.get("Exten"); !x.empty()) ch->exten.assign(x);
  spy_mode_from_app(*ch, app, ch->app_data);
}

void Handlers::on_varset(Engine& e, const ami::Message& m, int64_t) {
  std::string_view var = m.get("Variable");
  if (var != "MIXMONITOR_FILENAME") return;  // the only variable the panel shows
  Channel* ch = e.channel_by_uid(m.get("Uniqueid"));
  if (ch == nullptr) return;
  auto c = e.state_.calls.find(ch->call_id);
  if (c == e.state_.calls.end()) return;
  std::string_view path = m.get("Value");
  c->second.recording_path.assign(path);
  c->second.recording.assign(basename(path));
  e.touch_call(c->first);
}

void Handlers::on_hangup(Engine& e, const ami::Message& m, int64_t t) {
  Channel* ch = e.channel_from(m);
  if (ch == nullptr) return;
  std::string uid = ch->uniqueid;
  e.remove_channel(uid, t, to_int(m.get("Cause"), -1), m.get("Cause-txt"));
}

void Handlers::on_rename(Engine& e, const ami::Message& m, int64_t) {
  Channel* ch = e.channel_by_uid(m.get("Uniqueid"));
  if (ch == nullptr) ch = e.channel_by_name(m.get("Channel"));
  std::string_view nn = m.get("Newname");
  if (ch == nullptr || nn.empty()) return;
  e.rename_channel(*ch, nn);
}

// Masquerade (old Asterisk): Clone takes Original's place; the clone's name wins.
void Handlers::on_masquerade(Engine& e, const ami::Message& m, int64_t) {
  Channel* orig = e.channel_by_name(m.get("Original"));
  Channel* clone = e.channel_by_name(m.get("Clone"));
  if (orig == nullptr || clone == nullptr) return;
  e.merge_calls(orig->call_id, clone->call_id, orig->created_at);
}

void Handlers::on_dialbegin(Engine& e, const ami::Message& m, int64_t t) {
  Channel* dest = e.upsert_channel(m, "Dest", t);
  Channel* src = m.get("Uniqueid").empty() ? nullptr : e.upsert_channel(m, {}, t);
  if (src == nullptr || dest == nullptr) return;
  src->dialed.assign(m.get("DialString"));
  if (src->call_id != dest->call_id) e.merge_calls(src->call_id, dest->call_id, t);
  auto c = e.state_.calls.find(src->call_id);
  if (c == e.state_.calls.end() || dest->local) return;
  std::string_view who = dest->extension.empty() ? std::string_view(dest->caller_num) : std::string_view(dest->extension);
  // An answered call whose remaining party dials again was redirected (AMI Redirect gives no
  // event of its own; a BlindTransfer already said so).
  if (c->second.answered_at != 0 && src->bridge.empty() && !c->second.transferred && !src->local) {
    c->second.transferred = true;
    e.journey(c->second, t, "transferred", who);
  }
  e.journey(c->second, t, "rang", who);
}

void Handlers::on_dialend(Engine& e, const ami::Message& m, int64_t t) {
  Channel* dest = e.upsert_channel(m, "Dest", t);
  Channel* src = m.get("Uniqueid").empty() ? nullptr : e.upsert_channel(m, {}, t);
  if (dest == nullptr) return;
  std::string_view status = m.get("DialStatus");
  Channel* anchor = src != nullptr ? src : dest;
  auto c = e.state_.calls.find(anchor->call_id);
  if (c == e.state_.calls.end() || dest->local) return;
  std::string_view who = dest->extension.empty() ? std::string_view(dest->caller_num) : std::string_view(dest->extension);
  if (status == "ANSWER") {
    if (c->second.answered_at == 0) c->second.answered_at = t;
    e.journey(c->second, t, "answered", who);
  } else if (c->second.answered_at == 0 && status != "CANCEL") {
    std::string d(who);
    d += " (";
    d += status;
    d += ")";
    e.journey(c->second, t, "not_answered", d);
  }
}

}  // namespace opdesk::pbx
