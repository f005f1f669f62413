// The web root (#25): any client build can be served, with SPA fallback to its index.html, and
// inline scripts moved to files so they run under script-src 'self'.
#include "api/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"

namespace opdesk::api {
namespace {

Request get(const std::string& path) {
  Request r;
  r.method = "GET";
  r.path = path;
  return r;
}

TEST(StaticFiles, AnotherClientBuildIsServedWithSpaFallbackAndItsInlineScriptsAsFiles_25) {
  test::TempDir dir;
  std::filesystem::path root(dir.path());
  std::filesystem::create_directories(root / "assets");
  std::ofstream(root / "index.html")
      << "<html><head><script>\n  document.documentElement.dataset.theme = 'dark';\n</script>"
         "<script type=\"module\" crossorigin src=\"/assets/app.js\"></script><script></script></head></html>";
  std::ofstream(root / "assets" / "app.js") << "console.log(1)";
  StaticFiles files(dir.path());
  auto index = files.serve(get("/"));
  ASSERT_EQ(index.status, 200);
  const std::string& html = index.payload();
  EXPECT_EQ(html.find("dataset.theme"), std::string::npos) << html;
  EXPECT_NE(html.find("<script type=\"module\" crossorigin src=\"/assets/app.js\"></script>"), std::string::npos) << html;
  EXPECT_NE(html.find("<script></script>"), std::string::npos) << "an empty script stays";
  auto at = html.find("src=\"/.inline/");
  ASSERT_NE(at, std::string::npos) << html;
  std::string path = html.substr(at + 5, html.find('"', at + 5) - at - 5);
  auto js = files.serve(get(path));
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(js.payload().find("document.documentElement.dataset.theme = 'dark';"), std::string::npos);
  // Client-side routes of that client fall back to its index.html; a missing asset is a 404.
  EXPECT_EQ(files.serve(get("/settings")).payload(), html);
  EXPECT_EQ(files.serve(get("/assets/missing.js")).status, 404);
}

}  // namespace
}  // namespace opdesk::api
