// `opdesk setup` planning (see setup.hpp): detection of FreePBX/Issabel, the AMI account
// section, the read-only database account and the panel configuration, each computed as text
// from what is on disk under `root`. setup_cmd.cpp shows the diffs and applies them.
#include "setup.hpp"

#include <fstream>
#include <regex>
#include <sstream>

namespace opdesk::app::setup {
namespace fs = std::filesystem;

namespace {

// The classes the panel needs (read: the events it consumes; write: the actions it sends,
// since Asterisk checks an action against the account's write classes). See README.
constexpr const char* kAmiRead = "system,call,agent,user,config,dtmf,reporting,cdr,dialplan";
constexpr const char* kAmiWrite = "system,call,agent,originate,reporting";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  auto e = s.find_last_not_of(ws);
  s.erase(e == std::string::npos ? 0 : e + 1);
  return s;
}

std::string unquote(std::string v) {
  v = trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
  return v;
}

fs::path under(const fs::path& root, const fs::path& abs) { return root / abs.relative_path(); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream is(text);
  for (std::string l; std::getline(is, l);) out.push_back(l);
  return out;
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& l : v) out += l + "\n";
  return out;
}

bool is_section_header(const std::string& line, std::string* name = nullptr) {
  std::string t = trim(line);
  if (t.size() < 3 || t.front() != '[') return false;
  auto close = t.find(']');
  if (close == std::string::npos) return false;
  if (name) *name = trim(t.substr(1, close - 1));
  return true;
}

}  // namespace

std::map<std::string, std::string> parse_freepbx_php(const std::string& text) {
  static const std::regex re(R"re(\$amp_conf\s*\[\s*['"]([A-Za-z0-9_]+)['"]\s*\]\s*=\s*(['"])(.*?)\2\s*;)re");
  std::map<std::string, std::string> out;
  for (const auto& line : lines_of(text)) {
    std::string t = trim(line);
    if (t.rfind("//", 0) == 0 || t.rfind("#", 0) == 0 || t.rfind("*", 0) == 0 || t.rfind("/*", 0) == 0) continue;
    std::smatch m;
    if (std::regex_search(line, m, re)) out[m[1]] = m[3];
  }
  return out;
}

std::map<std::string, std::string> parse_key_values(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& raw : lines_of(text)) {
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    out[trim(line.substr(0, eq))] = unquote(line.substr(eq + 1));
  }
  return out;
}

Detection detect(const fs::path& root) {
  Detection d;
  d.kind = fs::exists(under(root, "/etc/asterisk/manager.conf")) ? "asterisk" : "none";
  auto take = [&d](const std::map<std::string, std::string>& kv) {
    auto get = [&kv](const char* k) { auto it = kv.find(k); return it == kv.end() ? std::string() : it->second; };
    if (!get("AMPDBUSER").empty()) d.db_user = get("AMPDBUSER");
    if (!get("AMPDBPASS").empty()) d.db_password = get("AMPDBPASS");
    if (!get("AMPDBHOST").empty()) d.db_host = get("AMPDBHOST");
    if (!get("AMPMGRUSER").empty()) d.ami_admin_user = get("AMPMGRUSER");
    if (!get("AMPMGRPASS").empty()) d.ami_admin_secret = get("AMPMGRPASS");
    if (!get("ASTSPOOLDIR").empty()) d.recordings_root = get("ASTSPOOLDIR") + "/monitor";
  };
  for (const char* f : {"/etc/amportal.conf", "/etc/freepbx.conf"}) {
    fs::path p = under(root, f);
    if (!fs::exists(p)) continue;
    std::string text = read_file(p);
    take(std::string(f) == "/etc/freepbx.conf" ? parse_freepbx_php(text) : parse_key_values(text));
    d.kind = "freepbx";
    d.sources.push_back(f);
  }
  fs::path iss = under(root, "/etc/issabel.conf");
  if (fs::exists(iss)) {
    auto kv = parse_key_values(read_file(iss));
    d.kind = "issabel";
    d.sources.push_back("/etc/issabel.conf");
    if (kv.count("mysqlrootpwd")) {
      d.db_user = "root";
      d.db_password = kv["mysqlrootpwd"];
    }
    if (kv.count("amiadminpwd")) {
      d.ami_admin_user = "admin";
      d.ami_admin_secret = kv["amiadminpwd"];
    }
  }
  if (d.recordings_root.empty() && fs::is_directory(under(root, "/var/spool/asterisk/monitor"))) {
    d.recordings_root = "/var/spool/asterisk/monitor";
  }
  return d;
}

std::string ami_section(const std::string& user, const std::string& secret, const std::string& permit) {
  std::ostringstream os;
  os << "[" << user << "]\n"
     << "; written by opdesk setup: the operator panel's account (minimal classes, local only)\n"
     << "secret = " << secret << "\n"
     << "deny = 0.0.0.0/0.0.0.0\n"
     << "permit = " << permit << "\n"
     << "read = " << kAmiRead << "\n"
     << "write = " << kAmiWrite << "\n"
     << "writetimeout = 5000\n";
  return os.str();
}

std::string upsert_ini_section(const std::string& text, const std::string& name, const std::string& body) {
  auto lines = lines_of(text);
  std::vector<std::string> out;
  bool replaced = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string sec;
    if (!is_section_header(lines[i], &sec) || sec != name) {
      out.push_back(lines[i]);
      continue;
    }
    size_t j = i + 1;
    while (j < lines.size() && !is_section_header(lines[j])) ++j;
    // Keep the blank lines that separated this section from the next one.
    size_t end = j;
    while (end > i + 1 && trim(lines[end - 1]).empty()) --end;
    for (const auto& l : lines_of(body)) out.push_back(l);
    for (size_t k = end; k < j; ++k) out.push_back(lines[k]);
    i = j - 1;
    replaced = true;
  }
  if (!replaced) {
    if (!out.empty() && !trim(out.back()).empty()) out.emplace_back();
    for (const auto& l : lines_of(body)) out.push_back(l);
  }
  return join_lines(out);
}

std::optional<std::string> ini_value(const std::string& text, const std::string& name, const std::string& key) {
  std::string current;
  for (const auto& raw : lines_of(text)) {
    std::string sec;
    if (is_section_header(raw, &sec)) {
      current = sec;
      continue;
    }
    if (current != name) continue;
    std::string line = trim(raw.substr(0, raw.find(';')));
    auto eq = line.find('=');
    if (eq != std::string::npos && trim(line.substr(0, eq)) == key) {
      std::string v = trim(line.substr(eq + 1));
      if (!v.empty() && v[0] == '>') v = trim(v.substr(1));  // "key => value"
      return v;
    }
  }
  return std::nullopt;
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}

std::string set_toml_key(const std::string& text, const std::string& section, const std::string& key,
                         const std::string& toml_value) {
  auto lines = lines_of(text);
  static const std::regex key_re(R"(^\s*([A-Za-z0-9_-]+)\s*=)");
  std::string current;
  std::optional<size_t> header, last_in_section;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string sec;
    if (is_section_header(lines[i], &sec)) {
      current = sec;
      if (sec == section) header = last_in_section = i;
      continue;
    }
    if (current != section) continue;
    std::smatch m;
    if (std::regex_search(lines[i], m, key_re) && m[1] == key) {
      // Keep an aligned trailing comment ("value   # why") when there is one.
      std::string comment;
      bool in_str = false;
      for (size_t k = 0; k < lines[i].size(); ++k) {
        char ch = lines[i][k];
        if (ch == '\\' && in_str) ++k;
        else if (ch == '"') in_str = !in_str;
        else if (ch == '#' && !in_str) {
          size_t from = k;
          while (from > 0 && (lines[i][from - 1] == ' ' || lines[i][from - 1] == '\t')) --from;
          comment = lines[i].substr(from);
          break;
        }
      }
      lines[i] = key + " = " + toml_value + comment;
      return join_lines(lines);
    }
    if (!trim(lines[i]).empty() && trim(lines[i])[0] != '#') last_in_section = i;
  }
  if (header) {
    lines.insert(lines.begin() + static_cast<long>(*last_in_section) + 1, key + " = " + toml_value);
    return join_lines(lines);
  }
  if (!lines.empty() && !trim(lines.back()).empty()) lines.emplace_back();
  lines.push_back("[" + section + "]");
  lines.push_back(key + " = " + toml_value);
  return join_lines(lines);
}

std::vector<std::string> readonly_user_sql(const std::string& user, const std::string& host,
                                           const std::string& password,
                                           const std::vector<std::string>& schemas) {
  auto q = [](const std::string& s) {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  };
  std::string account = q(user) + "@" + q(host);
  std::vector<std::string> sql = {"CREATE USER IF NOT EXISTS " + account + " IDENTIFIED BY " + q(password),
                                  "ALTER USER " + account + " IDENTIFIED BY " + q(password)};
  for (const auto& s : schemas) sql.push_back("GRANT SELECT ON `" + s + "`.* TO " + account);
  return sql;
}

}  // namespace opdesk::app::setup
