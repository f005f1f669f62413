// libFuzzer target: plan_action() over engine states replayed from real traces (calls up, in
// queues, spied, held, transferred). Input: byte 0 picks the engine, byte 1 the principal
// (admin, supervisor, agent, supervisor without a phone), byte 2 the action; the rest is the
// parameters as JSON text (not JSON: used as the `target` string). Placeholders name live
// entities (fuzz_support.hpp). Findings: any exception (plan_action must only answer), and a
// plan that would act outside the principal's scope: a live channel of a call without a
// visible party (Hangup, Redirect, Park, Atxfer, MixMonitor, the ChanSpy target), a queue
// outside the supervisor's queues, a queue member who is not a visible extension, or an audit
// target longer than the audit column (191).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/actions.hpp"
#include "fuzz_support.hpp"

using opdesk::api::ActionPlan;
using opdesk::api::Principal;

namespace {

bool member_visible(const Principal& who, const std::string& iface) {
  auto slash = iface.find('/');
  if (slash == std::string::npos) return false;
  std::string rest = iface.substr(slash + 1);
  if (iface.rfind("Local/", 0) == 0) return false;  // Local members: admins only
  auto end = rest.find_first_of("@/");
  return who.sees_extension(end == std::string::npos ? rest : rest.substr(0, end));
}

void check(const ActionPlan& plan, const Principal& who, const opdesk::pbx::Engine& e) {
  if (plan.target.size() > 191) std::abort();
  if (who.all) return;
  for (const auto& a : plan.ami) {
    std::string name(a.name());
    for (const auto& [k, v] : a.fields()) {
      if ((k == "Channel" && name != "Originate") || k == "TimeoutChannel") {
        if (!opdesk::fuzz::channel_in_scope(e, who, v)) std::abort();
      }
      if (k == "Data" && name == "Originate") {
        std::string spied = v.substr(0, v.find(','));
        if (!opdesk::fuzz::channel_in_scope(e, who, spied)) std::abort();
      }
      if (k == "Queue" && !who.sees_queue(v) && who.role != "agent") std::abort();
      if (k == "Interface" && name == "QueueAdd" && !member_visible(who, v)) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const auto& engines = opdesk::fuzz::engines();
  const auto& engine = *engines[data[0] % engines.size()];
  static thread_local std::vector<std::vector<Principal>> people;
  if (people.empty()) {
    for (const auto& e : engines) people.push_back(opdesk::fuzz::principals(*e));
  }
  const auto& who_list = people[data[0] % engines.size()];
  const Principal& who = who_list[data[1] % who_list.size()];
  const auto& names = opdesk::api::action_names();
  const std::string& action = names[data[2] % names.size()];
  std::string text(reinterpret_cast<const char*>(data + 3), size - 3);
  nlohmann::json params = nlohmann::json::parse(text, nullptr, false);
  if (params.is_discarded()) params = nlohmann::json{{"target", text}};
  opdesk::fuzz::substitute(params, engine, who_list[1]);
  opdesk::api::ActionOptions opts;
  auto r = opdesk::api::plan_action(action, params, who, engine, opts, 1795502000000);
  if (auto* plan = std::get_if<ActionPlan>(&r)) check(*plan, who, engine);
  return 0;
}
