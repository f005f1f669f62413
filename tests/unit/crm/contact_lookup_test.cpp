// Caller lookup: local contacts first, then the CRM (real receiver), cached with a TTL.
#include <gtest/gtest.h>

#include "crm/contact_lookup.hpp"
#include "crm_panel.hpp"
#include "support/temp_dir.hpp"

using namespace opdesk;
using namespace opdesk::crm;

namespace {

CrmConfig lookup_config(const test::HttpReceiver& rx) {
  CrmConfig c = test_config(rx);
  c.lookup_enabled = true;
  c.lookup_url = "/contacts/search?phone=[Number]";
  c.lookup_name_template = "[data.0.first] [data.0.last]";
  c.lookup_number_format = "plus";
  return c;
}

}  // namespace

TEST(CrmContactLookup, TheCrmAnswerIsNamedByTheTemplateCachedAndRemembered) {
  test::TempDir dir;
  test::HttpReceiver rx;
  rx.start();
  rx.route("/contacts/search", [](const test::ReceivedRequest& r) {
    if (r.target.find("phone=%2B4930123456") == std::string::npos) return test::Reply{404, "{}", {}, 0};
    return test::Reply{200, R"({"data":[{"first":"Ada","last":"Lovelace"}]})", {}, 0};
  });
  CrmPanel p(dir.file("crm.db"), lookup_config(rx));
  ContactLookup lookup(*p.svc);
  LookupResult first = p.run([&] { return lookup.lookup("004930123456"); });
  ASSERT_TRUE(first.name);
  EXPECT_EQ(*first.name, "Ada Lovelace");
  EXPECT_EQ(first.source, "crm");
  EXPECT_EQ(rx.requests().at(0).header("x-api-key"), "key-123");  // the push's auth applies
  LookupResult again = p.run([&] { return lookup.lookup("0049 30 123456"); });
  EXPECT_TRUE(again.cached);
  EXPECT_EQ(*again.name, "Ada Lovelace");
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(lookup.cached_name("004930123456"), std::optional<std::string>("Ada Lovelace"));
  auto saved = p.svc->outbox().contact_by_key("004930123456");
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->source, "crm");
  LookupResult miss = p.run([&] { return lookup.lookup("+1 555 000 0000"); });
  EXPECT_FALSE(miss.name);
  p.run([&] { return lookup.lookup("+1 555 000 0000"); });
  EXPECT_EQ(rx.request_count(), 2u);  // the miss is cached too
}

TEST(CrmContactLookup, ALocalContactWinsAndShortNumbersNeverReachTheCrm) {
  test::TempDir dir;
  test::HttpReceiver rx;
  rx.start();
  CrmPanel p(dir.file("crm.db"), lookup_config(rx));
  store::CrmContact c;
  c.name = "Reception";
  c.phone = "+49 30 999999";
  c.phone_key = phone_key(c.phone);
  c.source = "manual";
  p.svc->outbox().create_contact(c);
  ContactLookup lookup(*p.svc);
  LookupResult local = p.run([&] { return lookup.lookup("+4930999999"); });
  EXPECT_EQ(local.name, std::optional<std::string>("Reception"));
  EXPECT_EQ(local.source, "contacts");
  lookup.clear();
  LookupResult twin = p.run([&] { return lookup.lookup("0049 30 999999"); });  // 00 prefix form
  EXPECT_EQ(twin.name, std::optional<std::string>("Reception"));
  LookupResult ext = p.run([&] { return lookup.lookup("201"); });
  EXPECT_FALSE(ext.name);
  EXPECT_EQ(rx.request_count(), 0u);
}
