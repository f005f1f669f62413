// AMI actions answered by the simulated PBX (everything except the session-level Login,
// Logoff, Challenge and Events, which session.cpp handles).
#pragma once

#include <memory>

#include "ami/message.hpp"
#include "model.hpp"

namespace opdesk::sim {

// Where an action's response and list events go (one AMI session).
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void send(const Fields& frame) = 0;
  // Sync Originate (quirk 2): events for this session wait until the response is sent.
  virtual void hold_events(bool on) = 0;
  virtual bool alive() const = 0;
};

void handle_action(Pbx& pbx, const ami::Message& action, const std::shared_ptr<Responder>& out);

// List actions (lists.cpp). Each sends the start response, the items, and the Complete event.
bool handle_list_action(Pbx& pbx, const ami::Message& action, Responder& out);

}  // namespace opdesk::sim
