// `opdesk setup` logic (the command itself is setup_cmd.cpp): detecting FreePBX/Issabel from
// their configuration files, and computing every file the set-up writes as text, so a test can
// run it on a fake installation under a temporary root and compare the results.
//
// Invariants: computing a plan reads files only; applying it is separate (setup_cmd.cpp). A
// plan computed again on its own output changes nothing (secrets already present in the
// config or in manager_custom.conf are reused, sections and keys are replaced in place).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace opdesk::app::setup {

struct Detection {
  std::string kind = "asterisk";  // freepbx | issabel | asterisk (plain) | none
  std::string db_host = "localhost";
  int db_port = 3306;
  std::string db_user, db_password;  // an account allowed to create users (FreePBX's, or root)
  std::string ami_admin_user, ami_admin_secret;  // the PBX's own AMI account (not ours)
  std::string recordings_root;                   // ASTSPOOLDIR/monitor when known
  std::vector<std::string> sources;              // files read
};

// $amp_conf['KEY'] = 'value'; lines of /etc/freepbx.conf (PHP); other lines are ignored.
std::map<std::string, std::string> parse_freepbx_php(const std::string& text);
// KEY=VALUE lines (amportal.conf, issabel.conf); # and ; comments, optional quotes.
std::map<std::string, std::string> parse_key_values(const std::string& text);
// Reads <root>/etc/freepbx.conf, amportal.conf, issabel.conf, asterisk/manager.conf.
Detection detect(const std::filesystem::path& root);

struct Inputs {
  std::filesystem::path root = "/";
  std::string config_path = "/etc/opdesk/opdesk.toml";  // relative to root
  std::string ami_user = "opdesk";
  std::string ami_secret;      // empty: reuse or generate
  std::string ami_permit = "127.0.0.1/255.255.255.255";
  std::string ami_host = "127.0.0.1";
  int ami_port = 5038;
  std::string db_user = "opdesk_ro";
  std::string db_password;     // empty: reuse or generate
  std::string db_client_host = "localhost";  // host part of the MariaDB account
  std::string tls_cert, tls_key;
  std::string listen;          // HOST:PORT, empty: unchanged
  std::string data_dir;        // empty: unchanged
  std::string recordings_root; // empty: detected
};

struct FileChange {
  std::filesystem::path path;  // absolute, under root
  std::string before;          // empty when the file does not exist
  std::string after;
  bool exists = false;
  bool changed() const { return !exists || before != after; }
};

struct Plan {
  Detection detected;
  std::string ami_secret, db_password;  // as used (reused or generated)
  std::vector<FileChange> files;        // manager_custom.conf, opdesk.toml
  std::vector<std::string> sql;         // read-only DB user (run or print)
};

// secret_source generates a random secret (injected for tests).
Plan make_plan(const Inputs& in, const std::function<std::string()>& secret_source);

// Pieces, tested on their own.
std::string ami_section(const std::string& user, const std::string& secret, const std::string& permit);
// Replaces section [name] (up to the next section) or appends it; keeps the rest untouched.
std::string upsert_ini_section(const std::string& text, const std::string& name, const std::string& body);
// Value of key in section [name] of an Asterisk .conf text.
std::optional<std::string> ini_value(const std::string& text, const std::string& name, const std::string& key);
// Sets key = value (TOML) in [section], keeping comments; adds the key or section when missing.
std::string set_toml_key(const std::string& text, const std::string& section, const std::string& key,
                         const std::string& toml_value);
std::string toml_string(const std::string& s);  // quoted and escaped
std::vector<std::string> readonly_user_sql(const std::string& user, const std::string& host,
                                           const std::string& password,
                                           const std::vector<std::string>& schemas);
// Unified diff (3 lines of context) of two texts; "" when equal.
std::string unified_diff(const std::string& a, const std::string& b, const std::string& label);

}  // namespace opdesk::app::setup
