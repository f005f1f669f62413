// `opdesk setup`: the plan (which files change, with what) and the unified diff shown before
// each write; see setup.hpp. Secrets are reused from what is already installed, so running
// setup twice produces no change the second time.
#include <toml++/toml.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "setup.hpp"

namespace opdesk::app::setup {
namespace fs = std::filesystem;

namespace {

// Diffs are for config files; beyond this the LCS table would be too large to be worth it.
constexpr size_t kMaxDiffLines = 4000;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

FileChange change_for(const fs::path& path) {
  FileChange c;
  c.path = path;
  c.exists = fs::exists(path);
  if (c.exists) c.before = slurp(path);
  c.after = c.before;
  return c;
}

struct Existing {
  std::string ami_user, ami_secret, db_user, db_password;
};

Existing read_config(const std::string& text, const fs::path& where) {
  Existing e;
  if (text.empty()) return e;
  toml::table t;
  try {
    t = toml::parse(text, where.string());
  } catch (const toml::parse_error& err) {
    throw std::runtime_error(where.string() + ": " + std::string(err.description()));
  }
  e.ami_user = t["ami"]["username"].value_or(std::string());
  e.ami_secret = t["ami"]["secret"].value_or(std::string());
  e.db_user = t["freepbx"]["user"].value_or(std::string());
  e.db_password = t["freepbx"]["password"].value_or(std::string());
  return e;
}

void check_name(const std::string& what, const std::string& v, const char* pattern) {
  if (!std::regex_match(v, std::regex(pattern))) throw std::invalid_argument(what + " '" + v + "' is not allowed");
}

// The panel configuration: our keys set in place in the existing file (or a new one).
std::string render_config(const std::string& before, const Inputs& in, const Plan& plan, bool has_db) {
  const Detection& d = plan.detected;
  std::string t = before.empty()
                      ? "# OpDesk configuration written by `opdesk setup` (see opdesk.example.toml for every key).\n"
                      : before;
  t = set_toml_key(t, "ami", "host", toml_string(in.ami_host));
  t = set_toml_key(t, "ami", "port", std::to_string(in.ami_port));
  t = set_toml_key(t, "ami", "username", toml_string(in.ami_user));
  t = set_toml_key(t, "ami", "secret", toml_string(plan.ami_secret));
  if (has_db) {
    t = set_toml_key(t, "freepbx", "enabled", "true");
    t = set_toml_key(t, "freepbx", "host", toml_string(d.db_host == "localhost" ? "127.0.0.1" : d.db_host));
    t = set_toml_key(t, "freepbx", "user", toml_string(in.db_user));
    t = set_toml_key(t, "freepbx", "password", toml_string(plan.db_password));
  }
  std::string rec = in.recordings_root.empty() ? d.recordings_root : in.recordings_root;
  if (!rec.empty()) t = set_toml_key(t, "recordings", "root", toml_string(rec));
  if (!in.tls_cert.empty()) {
    t = set_toml_key(t, "tls", "cert", toml_string(in.tls_cert));
    t = set_toml_key(t, "tls", "key", toml_string(in.tls_key));
  }
  if (!in.listen.empty()) t = set_toml_key(t, "server", "listen", toml_string(in.listen));
  if (!in.data_dir.empty()) t = set_toml_key(t, "server", "data_dir", toml_string(in.data_dir));
  return t;
}

}  // namespace

Plan make_plan(const Inputs& in, const std::function<std::string()>& secret_source) {
  check_name("AMI user", in.ami_user, "^[A-Za-z0-9_.-]{1,32}$");
  check_name("database user", in.db_user, "^[A-Za-z0-9_]{1,32}$");
  check_name("permit", in.ami_permit, "^[0-9./:a-fA-F,]{1,200}$");
  Plan plan;
  plan.detected = detect(in.root);
  const Detection& d = plan.detected;
  bool freepbx_like = d.kind == "freepbx" || d.kind == "issabel";

  FileChange cfg = change_for(in.root / fs::path(in.config_path).relative_path());
  Existing ex = read_config(cfg.before, cfg.path);
  fs::path mgr_path = in.root / (freepbx_like ? "etc/asterisk/manager_custom.conf" : "etc/asterisk/manager.conf");
  FileChange mgr = change_for(mgr_path);

  // AMI secret: flag > our section in the manager file > our config > new.
  plan.ami_secret = in.ami_secret;
  if (plan.ami_secret.empty()) plan.ami_secret = ini_value(mgr.before, in.ami_user, "secret").value_or("");
  if (plan.ami_secret.empty() && ex.ami_user == in.ami_user) plan.ami_secret = ex.ami_secret;
  if (plan.ami_secret.empty()) plan.ami_secret = secret_source();
  mgr.after = upsert_ini_section(mgr.before, in.ami_user, ami_section(in.ami_user, plan.ami_secret, in.ami_permit));
  if (!freepbx_like && ini_value(mgr.after, "general", "timestampevents").value_or("") != "yes") {
    // Plain Asterisk: we own manager.conf's [general] less than FreePBX does, but the key is
    // harmless and makes event times exact.
    std::string general = ini_value(mgr.after, "general", "enabled") ? "" : "enabled = yes\nport = 5038\nbindaddr = 127.0.0.1\n";
    if (general.empty()) {
      std::string text = mgr.after;
      auto pos = text.find("[general]");
      auto eol = pos == std::string::npos ? pos : text.find('\n', pos);
      if (eol != std::string::npos) mgr.after = text.insert(eol + 1, "timestampevents = yes\n");
    } else {
      mgr.after = "[general]\n" + general + "timestampevents = yes\n\n" + mgr.after;
    }
  }

  // Database password: flag > our config (same user) > new.
  plan.db_password = in.db_password;
  if (plan.db_password.empty() && ex.db_user == in.db_user) plan.db_password = ex.db_password;
  if (plan.db_password.empty()) plan.db_password = secret_source();
  bool has_db = freepbx_like && !d.db_user.empty();
  if (has_db) {
    // MariaDB matches a TCP login from 127.0.0.1 to 'localhost' only when it resolves names.
    std::vector<std::string> hosts = {in.db_client_host};
    if (in.db_client_host == "localhost") hosts.push_back("127.0.0.1");
    for (const auto& h : hosts) {
      auto s = readonly_user_sql(in.db_user, h, plan.db_password, {"asterisk", "asteriskcdrdb"});
      plan.sql.insert(plan.sql.end(), s.begin(), s.end());
    }
  }

  cfg.after = render_config(cfg.before, in, plan, has_db);
  read_config(cfg.after, cfg.path);  // what we write must parse
  plan.files = {mgr, cfg};
  return plan;
}

std::string unified_diff(const std::string& a, const std::string& b, const std::string& label) {
  if (a == b) return {};
  std::vector<std::string> x, y;
  for (std::istringstream is(a); !is.eof();) { std::string l; if (std::getline(is, l)) x.push_back(l); else break; }
  for (std::istringstream is(b); !is.eof();) { std::string l; if (std::getline(is, l)) y.push_back(l); else break; }
  std::string head = "--- " + label + "\n+++ " + label + " (new)\n";
  if (x.size() > kMaxDiffLines || y.size() > kMaxDiffLines) return head + "(file too large to diff)\n";
  size_t n = x.size(), m = y.size();
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;) lcs[i][j] = x[i] == y[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  struct Op { char tag; std::string text; size_t ai, bi; };
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] == y[j]) { ops.push_back({' ', x[i], i, j}); ++i; ++j; }
    else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) { ops.push_back({'-', x[i], i, j}); ++i; }
    else { ops.push_back({'+', y[j], i, j}); ++j; }
  }
  std::string out = head;
  const size_t ctx = 3;
  std::vector<size_t> changed;
  for (size_t k = 0; k < ops.size(); ++k) {
    if (ops[k].tag != ' ') changed.push_back(k);
  }
  for (size_t c = 0; c < changed.size();) {
    size_t first = changed[c], last = first;
    while (c + 1 < changed.size() && changed[c + 1] <= last + 2 * ctx) last = changed[++c];
    ++c;
    size_t start = first >= ctx ? first - ctx : 0, end = std::min(ops.size(), last + ctx + 1);
    size_t ac = 0, bc = 0;
    for (size_t q = start; q < end; ++q) {
      if (ops[q].tag != '+') ++ac;
      if (ops[q].tag != '-') ++bc;
    }
    out += "@@ -" + std::to_string(ops[start].ai + (ac ? 1 : 0)) + "," + std::to_string(ac) + " +" +
           std::to_string(ops[start].bi + (bc ? 1 : 0)) + "," + std::to_string(bc) + " @@\n";
    for (size_t q = start; q < end; ++q) out += std::string(1, ops[q].tag) + ops[q].text + "\n";
  }
  return out;
}

}  // namespace opdesk::app::setup
