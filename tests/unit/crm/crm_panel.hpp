// Shared set-up of the CRM tests: one "panel run" (event-loop thread + SQLite store + CRM
// service), a config pointing at a test receiver, and a sample call.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "crm/crm_service.hpp"
#include "store/crm_outbox.hpp"
#include "store/store.hpp"
#include "support/http_receiver.hpp"

namespace opdesk::crm {

struct CrmPanel {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<store::Store> store;
  std::unique_ptr<CrmService> svc;
  std::thread thread;

  CrmPanel(const std::string& db, CrmConfig cfg, CrmServiceOptions o = fast_options()) {
    store::DbConfig dc;
    dc.sqlite_path = db;
    store = std::make_unique<store::Store>(dc);
    svc = std::make_unique<CrmService>(io.get_executor(), *store, cfg, o);
    svc->migrate();
    svc->start();
    thread = std::thread([this] { io.run(); });
  }
  ~CrmPanel() {
    svc.reset();
    guard.reset();
    thread.join();
    store.reset();
  }
  static CrmServiceOptions fast_options() {
    CrmServiceOptions o;
    o.retry = RetryPolicy{10, 40, 1000, 0.5, 50};  // ms-scale backoff so tests run fast
    return o;
  }
  // The coroutine is created on the loop thread (asio frames belong to the loop's threads).
  template <class F>
  auto run(F f) {
    return boost::asio::co_spawn(io, std::move(f), boost::asio::use_future).get();
  }
  // Polls the outbox (up to 20 s) until `n` rows have `status`.
  bool wait_status(const std::string& status, int64_t n) {
    for (int i = 0; i < 4000; ++i) {
      if (svc->outbox().count(status) == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
};

inline CrmConfig test_config(const test::HttpReceiver& rx) {
  CrmConfig c;
  c.enabled = true;
  c.server_url = rx.url();
  c.endpoint_path = "/api/calls";
  c.api_key = "key-123";
  c.signing_secret = "sign-secret";
  c.timeout_s = 1;
  c.allow_private = true;  // the receiver is on 127.0.0.1
  return c;
}

inline CallRecord test_call(const std::string& id) {
  CallRecord r;
  r.linkedid = id;
  r.caller_number = "+15551234567";
  r.callee_number = "201";
  r.start_ms = 1700000000000;
  r.end_ms = 1700000065000;
  r.outcome = Outcome::kAnswered;
  return r;
}

}  // namespace opdesk::crm
