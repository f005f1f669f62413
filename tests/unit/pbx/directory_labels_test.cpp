// Engine::set_extension_directory: the directory's labels on an extension, one upsert per
// actual change, nothing for unknown numbers.
#include <gtest/gtest.h>

#include "pbx_test_util.hpp"

namespace opdesk::pbx::test {
namespace {

TEST(DirectoryLabels, ALabelChangeMarksTheExtensionOnceAndIsKept) {
  Pbx p;
  p.endpoint("1001");
  p.e.take_changes();
  EXPECT_TRUE(p.e.set_extension_directory("1001", "Alice Smith", "Sales", 3, false));
  auto b = p.e.take_changes();
  ASSERT_TRUE(b);
  ASSERT_EQ(b->changes.size(), 1u);
  EXPECT_EQ(b->changes[0].kind, EntityKind::kExtension);
  EXPECT_EQ(b->changes[0].id, "1001");
  const Extension* x = p.e.find_extension("1001");
  EXPECT_EQ(x->name, "Alice Smith");
  EXPECT_EQ(x->group, "Sales");
  EXPECT_EQ(x->order, 3);
  EXPECT_FALSE(x->hidden);
  // The same values again: no change, no batch.
  EXPECT_TRUE(p.e.set_extension_directory("1001", "Alice Smith", "Sales", 3, false));
  EXPECT_FALSE(p.e.take_changes());
  // Hiding is a change too.
  p.e.set_extension_directory("1001", "Alice Smith", "Sales", 3, true);
  ASSERT_TRUE(p.e.take_changes());
  EXPECT_TRUE(p.e.find_extension("1001")->hidden);
}

TEST(DirectoryLabels, AnUnknownNumberIsIgnored) {
  Pbx p;
  EXPECT_FALSE(p.e.set_extension_directory("9999", "Nobody", "", 0, false));
  EXPECT_FALSE(p.e.take_changes());
  EXPECT_EQ(p.e.find_extension("9999"), nullptr);
}

TEST(DirectoryLabels, ADirectoryNameStaysWhenThePhoneCallsWithAnotherCallerName) {
  Pbx p;
  p.endpoint("1001");
  p.e.set_extension_directory("1001", "Alice Smith", "", 0, false);
  p.newchannel("PJSIP/1001-00000001", "1.1", "1.1");  // caller name "Ext 1001"
  EXPECT_EQ(p.e.find_extension("1001")->name, "Alice Smith");
}

}  // namespace
}  // namespace opdesk::pbx::test
