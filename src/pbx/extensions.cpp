// Extensions: who exists (EndpointList, ContactList, hints in ExtensionStatus, PeerStatus,
// SIPpeers/IAX2 PeerEntry), registration (contacts with status, RTT, user agent), hint state
// and DND (AstDB DND/<ext> from DBGetResponse/DBGetTreeResponse, Custom:DND device states,
// set_dnd()). DeviceStateChange is the second most frequent event: it is dropped after one
// prefix test unless it is a DND custom device.
#include <algorithm>

#include "pbx/engine_internal.hpp"

namespace opdesk::pbx {
namespace {

// First "TECH/resource" device of a hint ("PJSIP/1001&Custom:DND1001" → PJSIP/1001).
std::string_view hint_device(std::string_view hint) {
  while (!hint.empty()) {
    auto amp = hint.find('&');
    std::string_view part = hint.substr(0, amp);
    if (part.find('/') != std::string_view::npos) return part;
    if (amp == std::string_view::npos) break;
    hint.remove_prefix(amp + 1);
  }
  return {};
}

bool phone_tech(std::string_view tech) {
  return ami::iequals(tech, "PJSIP") || ami::iequals(tech, "SIP") || ami::iequals(tech, "IAX2") ||
         ami::iequals(tech, "DAHDI") || ami::iequals(tech, "IAX") || ami::iequals(tech, "WebRTC");
}

bool dnd_value(std::string_view v) {
  return truthy(v) || ami::iequals(v, "YES") || ami::iequals(v, "DND") || ami::iequals(v, "INUSE") ||
         ami::iequals(v, "BUSY");
}

}  // namespace

Extension* Engine::ext_find(std::string_view number) {
  auto it = state_.extensions.find(number);
  return it == state_.extensions.end() ? nullptr : &it->second;
}

Extension& Engine::ext_upsert(std::string_view number) {
  auto it = state_.extensions.find(number);
  if (it != state_.extensions.end()) return it->second;
  static Extension overflow;  // writes beyond the cap land here and are never shown
  if (state_.extensions.size() >= kMaxExtensions) {
    ++stats_.capped;
    overflow = Extension{};
    return overflow;
  }
  Extension& e = state_.extensions[std::string(number)];
  e.number.assign(number);
  mark(EntityKind::kExtension, number);
  // Channels that appeared before the extension was known now resolve to it.
  auto d = device_channels_.find(e.number);
  if (d != device_channels_.end()) {
    for (const auto& uid : d->second) {
      auto c = state_.channels.find(uid);
      if (c == state_.channels.end()) continue;
      c->second.extension = e.number;
      touch_call(c->second.call_id);
    }
  }
  return e;
}

void Engine::touch_extension(std::string_view number) {
  if (state_.extensions.count(number)) mark(EntityKind::kExtension, number);
}

std::string Engine::extension_of_channel(std::string_view channel_name) const {
  std::string_view res = channel_resource(channel_name);
  return state_.extensions.count(res) ? std::string(res) : std::string();
}

void Handlers::on_extensionstatus(Engine& e, const ami::Message& m, int64_t) {
  std::string_view exten = m.get("Exten");
  if (exten.empty()) return;
  std::string_view dev = hint_device(m.get("Hint"));
  std::string_view tech = channel_tech(dev);
  Extension* x = e.ext_find(exten);
  if (x == nullptr) {
    if (!phone_tech(tech) || channel_resource(dev) != exten) return;  // queue/park/custom hints
    x = &e.ext_upsert(exten);
  }
  if (x->tech.empty() && !tech.empty()) x->tech.assign(tech);
  if (std::string_view ctx = m.get("Context"); !ctx.empty()) x->context.assign(ctx);
  x->hint_code = to_int(m.get("Status"), x->hint_code);
  if (!m.action_id().empty()) e.list_item(m, "hints", std::string(exten));
  e.touch_extension(exten);
}

void Handlers::on_endpointlist(Engine& e, const ami::Message& m, int64_t) {
  std::string_view name = m.get("ObjectName");
  if (name.empty()) return;
  Extension& x = e.ext_upsert(name);
  if (x.number.empty()) return;
  x.tech = "PJSIP";
  std::string_view transport = m.get("Transport");
  if (transport.find("ws") != std::string_view::npos) x.webrtc = true;
  x.peer_reachable = !ami::iequals(m.get("DeviceState"), "Unavailable") && !m.get("Contacts").empty();
  e.list_item(m, "endpoints", std::string(name));
  e.touch_extension(name);
}

static void contact_fields(Contact& c, const ami::Message& m) {
  std::string_view rtt = m.get("RoundtripUsec");
  if (!rtt.empty()) {
    int us = to_int(rtt, -1);
    c.rtt_ms = us > 0 ? us / 1000.0 : (us == 0 ? c.rtt_ms : -1);
  }
  if (std::string_view ua = m.get("UserAgent"); !ua.empty()) c.user_agent.assign(ua);
  std::string_view addr = m.get("ViaAddr");
  if (!addr.empty()) {
    c.address.assign(addr);
    if (std::string_view port = m.get("ViaPort"); !port.empty() && port != "0") c.address.append(":").append(port);
  }
  if (std::string_view exp = m.get("ExpirationTime"); !exp.empty()) c.expires = to_int(exp, 0);
}

void Handlers::on_contactlist(Engine& e, const ami::Message& m, int64_t) {
  std::string_view ep = m.get("Endpoint");
  if (ep.empty()) ep = m.get("Aor");
  std::string_view uri = m.get("Uri");
  if (ep.empty() || uri.empty()) return;
  Extension& x = e.ext_upsert(ep);
  if (x.number.empty()) return;
  Contact& c = x.contacts[std::string(uri)];
  c.uri.assign(uri);
  c.status.assign(m.get("Status"));
  c.touched = e.counter_;
  contact_fields(c, m);
  if (uri.find("transport=ws") != std::string_view::npos) x.webrtc = true;
  if (!c.user_agent.empty()) x.user_agent = c.user_agent;
  std::string key(ep);
  key.push_back('\x1f');
  key.append(uri);
  e.list_item(m, "contacts", std::move(key));
  e.touch_extension(ep);
}

void Handlers::on_contactstatus(Engine& e, const ami::Message& m, int64_t) {
  std::string_view ep = m.get("EndpointName");
  if (ep.empty()) ep = m.get("AOR");
  std::string_view uri = m.get("URI");
  std::string_view status = m.get("ContactStatus");
  if (ep.empty() || uri.empty()) return;
  Extension& x = e.ext_upsert(ep);
  if (x.number.empty()) return;
  if (status == "Removed") {
    x.contacts.erase(std::string(uri));
  } else {
    Contact& c = x.contacts[std::string(uri)];
    c.uri.assign(uri);
    if (status != "Updated" || c.status.empty()) c.status.assign(status);
    c.touched = e.counter_;
    contact_fields(c, m);
    if (uri.find("transport=ws") != std::string_view::npos) x.webrtc = true;
  }
  e.touch_extension(ep);
}

// chan_sip/IAX2 peers have no contact objects: their address is kept as one pseudo-contact.
static void peer_contact(Extension& x, bool reachable, std::string_view address, std::string_view status,
                         double rtt_ms) {
  if (!reachable && (status == "Unregistered" || address.empty())) {
    x.contacts.clear();
    return;
  }
  Contact& c = x.contacts["peer"];
  c.uri.assign(address);
  c.status = reachable ? "Reachable" : "Unreachable";
  if (rtt_ms >= 0) c.rtt_ms = rtt_ms;
}

void Handlers::on_peerstatus(Engine& e, const ami::Message& m, int64_t) {
  std::string_view peer = m.get("Peer");
  std::string_view tech = channel_tech(peer);
  std::string_view name = channel_resource(peer);
  if (name.empty()) return;
  std::string_view st = m.get("PeerStatus");
  bool reachable = st == "Registered" || st == "Reachable" || st == "Lagged";
  Extension* x = e.ext_find(name);
  if (x == nullptr) {
    if (!phone_tech(tech)) return;
    x = &e.ext_upsert(name);
    if (x->number.empty()) return;
  }
  if (x->tech.empty()) x->tech.assign(tech);
  x->peer_reachable = reachable;
  if (!ami::iequals(tech, "PJSIP")) {
    double rtt = m.has("Time") ? to_int(m.get("Time"), -1) : -1;
    peer_contact(*x, reachable, m.get("Address"), st, rtt);
  }
  e.touch_extension(name);
}

void Handlers::on_peerentry(Engine& e, const ami::Message& m, int64_t) {
  std::string_view name = m.get("ObjectName");
  if (name.empty()) return;
  Extension& x = e.ext_upsert(name);
  if (x.number.empty()) return;
  std::string_view tech = m.get("Channeltype");
  x.tech.assign(tech.empty() ? "SIP" : tech);
  std::string_view ip = m.get("IPaddress");
  std::string_view status = m.get("Status");
  bool has_addr = !ip.empty() && ip != "-none-" && ip != "(null)";
  bool reachable = has_addr && status.substr(0, 2) != "UN";  // UNREACHABLE / UNKNOWN
  double rtt = -1;
  if (auto p = status.find('('); p != std::string_view::npos) rtt = to_int(status.substr(p + 1), -1);
  std::string addr(ip);
  if (std::string_view port = m.get("IPport"); has_addr && !port.empty() && port != "0") addr.append(":").append(port);
  x.peer_reachable = reachable;
  peer_contact(x, reachable, has_addr ? std::string_view(addr) : std::string_view{}, reachable ? "" : "Unregistered", rtt);
  e.list_item(m, "peers", std::string(name));
  e.touch_extension(name);
}

void Handlers::on_devicestatechange(Engine& e, const ami::Message& m, int64_t t) {
  constexpr std::string_view kDnd = "Custom:DND";
  std::string_view dev = m.get("Device");
  if (dev.size() <= kDnd.size() || dev.substr(0, kDnd.size()) != kDnd) return;
  e.set_dnd(dev.substr(kDnd.size()), ami::iequals(m.get("State"), "INUSE") || ami::iequals(m.get("State"), "BUSY"), t);
}

void Handlers::on_dbgetresponse(Engine& e, const ami::Message& m, int64_t t) {
  std::string_view family = m.get("Family");
  std::string_view key = m.get("Key");
  if (family.empty()) {  // DBGetTreeResponse: Key is "/DND/1001"
    if (key.substr(0, 5) != "/DND/") return;
    key.remove_prefix(5);
  } else if (family != "DND") {
    return;
  }
  e.set_dnd(key, dnd_value(m.get("Val")), t);
}

void Handlers::on_userevent(Engine& e, const ami::Message& m, int64_t t) {
  std::string_view ue = m.get("UserEvent");
  if (!ami::iequals(ue, "DND") && !ami::iequals(ue, "DNDState")) return;
  std::string_view ext = m.get("Extension");
  if (ext.empty()) ext = m.get("Exten");
  std::string_view v = m.get("State");
  if (v.empty()) v = m.get("Status");
  if (!ext.empty()) e.set_dnd(ext, dnd_value(v), t);
}

void Handlers::on_fullybooted(Engine& e, const ami::Message&, int64_t) { e.mark(EntityKind::kPbx, "pbx"); }

void Handlers::on_coresettings(Engine& e, const ami::Message& m, int64_t) {
  std::string_view v = m.get("AsteriskVersion");
  if (v.empty()) return;
  e.state_.pbx.version.assign(v);
  e.mark(EntityKind::kPbx, "pbx");
}

}  // namespace opdesk::pbx
