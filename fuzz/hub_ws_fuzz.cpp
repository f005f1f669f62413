// libFuzzer target: the WebSocket message handler (Hub::Client::on_message) of the real Hub over
// an engine replayed from a real trace. The transport is an in-memory peer, authentication a
// table of fake principals (tokens "admin", "sup", "agent"), actions are planned for real with
// plan_action (nothing is sent anywhere). Input: byte 0 picks how the socket starts (auth as
// admin / supervisor / agent by message, by ?token= query, v1 protocol, or not at all); the rest
// is split at '\n' into messages. Findings: an exception escaping on_message (it would end the
// session without its cleanup), a client left in the hub after on_close (a leaked session),
// a frame that is not JSON, and an action message without an answer.
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "api/actions.hpp"
#include "api/hub.hpp"
#include "fuzz_support.hpp"

namespace asio = boost::asio;
using opdesk::api::Principal;
using json = nlohmann::json;

namespace {

struct Peer : opdesk::api::WsPeer {
  size_t frames = 0, results = 0;
  bool closed = false;
  void send(std::shared_ptr<const std::string> text) override {
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) std::abort();
    ++frames;
    if (j.value("type", "") == "action_result" || j.value("type", "") == "error") ++results;
  }
  void close(uint16_t, std::string) override { closed = true; }
  size_t queued_bytes() const override { return 0; }
  size_t queued_messages() const override { return 0; }
  void drop_queued() override {}
};

struct Auth : opdesk::api::Authenticator {
  std::map<std::string, Principal> by_token;
  asio::awaitable<Result> authenticate(std::string token) override {
    auto it = by_token.find(token);
    if (it == by_token.end()) co_return Result{std::nullopt, "auth.token.invalid", "bad token"};
    co_return Result{it->second, "", ""};
  }
  asio::awaitable<Result> reload(const Principal& p) override { co_return Result{p, "", ""}; }
};

struct Planner : opdesk::api::ActionRunner {
  const opdesk::pbx::Engine* engine = nullptr;
  asio::awaitable<Outcome> run(const Principal& p, std::string action, json params, std::string) override {
    auto r = opdesk::api::plan_action(action, params, p, *engine, opdesk::api::ActionOptions{}, 1795502000000);
    if (auto* e = std::get_if<opdesk::api::ActionError>(&r)) co_return Outcome{false, {}, e->status, e->code, e->message};
    co_return Outcome{true, std::get<opdesk::api::ActionPlan>(r).data, 200, "", ""};
  }
};

struct World {
  asio::io_context io;
  Auth auth;
  Planner planner;
  int64_t now = 1795502000000;
  std::unique_ptr<opdesk::api::Hub> hub;
  World() {
    const auto& e = *opdesk::fuzz::engines()[0];
    auto people = opdesk::fuzz::principals(e);
    auth.by_token = {{"admin", people[0]}, {"sup", people[1]}, {"agent", people[2]}};
    planner.engine = &e;
    opdesk::api::HubOptions o;
    o.actions_per_second = 1000;
    o.actions_burst = 1000;
    hub = std::make_unique<opdesk::api::Hub>(io.get_executor(), e, auth, planner, o, [this] { return now; });
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static World* w = new World();  // lives for the process (the hub's timer keeps a reference)
  const uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  auto peer = std::make_shared<Peer>();
  opdesk::api::Request req;
  req.method = "GET";
  req.path = "/ws";
  req.remote_ip = "127.0.0.1";
  static const char* tokens[] = {"admin", "sup", "agent", "nope"};
  if (mode & 0x10) req.query["token"] = tokens[(mode >> 2) & 3];
  if (mode & 0x20) req.query["protocol"] = (mode & 0x40) ? "v1" : "opdesk";
  auto acc = w->hub->accept(peer, req);
  if (!acc.handler) return 0;
  auto& h = *acc.handler;
  h.on_open();
  if ((mode & 3) != 3 && !(mode & 0x10)) {
    h.on_message(json{{"type", "auth"}, {"token", tokens[mode & 3]}}.dump());
  }
  w->io.poll();
  size_t actions = 0;
  while (!rest.empty() && !peer->closed) {  // the transport stops reading once it closes
    size_t nl = rest.find('\n');
    std::string_view msg = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    json j = json::parse(msg, nullptr, false);
    bool typed_action = j.is_object() && (j.contains("type") ? j["type"] == "action" : j.contains("action"));
    if (typed_action && j.contains("action")) {
      const json& a = j["action"];
      bool state_request = a.is_string() && (a == "get_state" || a.get<std::string>().rfind("sync", 0) == 0);
      if (!state_request) ++actions;
    }
    h.on_message(msg);
    w->io.poll();
    w->now += 37;
  }
  w->io.poll();
  // Every action message of an open, authenticated socket is answered.
  if (!peer->closed && actions > 0 && peer->results == 0) std::abort();
  h.on_close();
  w->io.poll();
  if (w->hub->client_count() != 0) std::abort();
  return 0;
}
