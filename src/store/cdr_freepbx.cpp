// FreePBX/Issabel directory reads and the directory_overrides table (see cdr_freepbx.hpp).
//
// Each source table is read in its own try block: a missing table or column (Issabel without
// devices.description, a trimmed FreePBX) adds a warning and the rest still loads. Connection
// failures are not caught here: Database::with_session turns them into Unavailable.
#include "store/cdr_freepbx.hpp"

#include <map>
#include <soci/soci.h>

#include "store/database.hpp"

namespace opdesk::store {
namespace {

bool is_connection_error(const soci::soci_error& e) {
  auto cat = e.get_error_category();
  return cat == soci::soci_error::connection_error;
}

// "Alice Smith <1001>" → "Alice Smith"; a bare name stays as is.
std::string callerid_name(const std::string& v) {
  auto lt = v.find('<');
  std::string n = lt == std::string::npos ? v : v.substr(0, lt);
  while (!n.empty() && (n.back() == ' ' || n.back() == '"')) n.pop_back();
  size_t b = 0;
  while (b < n.size() && (n[b] == ' ' || n[b] == '"')) ++b;
  return n.substr(b);
}

std::string value_or(const std::string& v, soci::indicator ind) {
  return ind == soci::i_ok ? v : std::string();
}

}  // namespace

PbxDirectoryData read_pbx_directory(Database& db) {
  return db.with_session([](soci::session& s) {
    PbxDirectoryData out;
    std::map<std::string, PbxExtension> ext;
    auto attempt = [&](const char* what, auto&& fn) {
      try {
        fn();
      } catch (const soci::soci_error& e) {
        if (is_connection_error(e)) throw;
        out.warnings.push_back(std::string(what) + " could not be read; using AMI data for it");
      }
    };
    attempt("asterisk.users (extension, name)", [&] {
      soci::rowset<soci::row> rs = (s.prepare << "SELECT extension, name FROM users");
      for (const auto& r : rs) {
        auto num = value_or(r.get<std::string>(0, ""), r.get_indicator(0));
        if (num.empty()) continue;
        ext[num].number = num;
        ext[num].name = r.get_indicator(1) == soci::i_ok ? r.get<std::string>(1) : "";
      }
    });
    attempt("asterisk.devices (id, tech, dial, description)", [&] {
      soci::rowset<soci::row> rs =
          (s.prepare << "SELECT id, tech, dial, description FROM devices");
      for (const auto& r : rs) {
        if (r.get_indicator(0) != soci::i_ok) continue;
        auto& e = ext[r.get<std::string>(0)];
        e.number = r.get<std::string>(0);
        if (r.get_indicator(1) == soci::i_ok) e.tech = r.get<std::string>(1);
        if (r.get_indicator(2) == soci::i_ok) e.dial = r.get<std::string>(2);
        if (e.name.empty() && r.get_indicator(3) == soci::i_ok) e.name = r.get<std::string>(3);
      }
    });
    bool names_missing = false;
    for (const auto& [n, e] : ext) names_missing = names_missing || e.name.empty();
    if (ext.empty() || names_missing) {
      // chan_sip systems (Issabel): the caller name lives in sip.callerid.
      try {
        soci::rowset<soci::row> rs =
            (s.prepare << "SELECT id, data FROM sip WHERE keyword = 'callerid'");
        for (const auto& r : rs) {
          if (r.get_indicator(0) != soci::i_ok || r.get_indicator(1) != soci::i_ok) continue;
          auto& e = ext[r.get<std::string>(0)];
          e.number = r.get<std::string>(0);
          if (e.tech.empty()) e.tech = "sip";
          if (e.name.empty()) e.name = callerid_name(r.get<std::string>(1));
        }
      } catch (const soci::soci_error& e) {
        if (is_connection_error(e)) throw;
      }
    }
    attempt("asterisk.queues_config (extension, descr)", [&] {
      soci::rowset<soci::row> rs = (s.prepare << "SELECT extension, descr FROM queues_config");
      for (const auto& r : rs) {
        if (r.get_indicator(0) != soci::i_ok) continue;
        out.queues.push_back(PbxQueue{r.get<std::string>(0), r.get_indicator(1) == soci::i_ok
                                                                  ? r.get<std::string>(1)
                                                                  : std::string()});
      }
    });
    for (auto& [n, e] : ext) out.extensions.push_back(std::move(e));
    return out;
  });
}

std::vector<DirectoryOverride> DirectoryOverrideRepo::list() {
  return db_.with_session([](soci::session& s) {
    std::vector<DirectoryOverride> out;
    soci::rowset<soci::row> rs = (s.prepare <<
        "SELECT extension, hidden, label, group_name, sort_order FROM directory_overrides "
        "ORDER BY extension");
    for (const auto& r : rs) {
      DirectoryOverride o;
      o.extension = r.get<std::string>(0);
      o.hidden = r.get_properties(1).get_data_type() == soci::dt_long_long
                     ? r.get<long long>(1) != 0
                     : r.get<int>(1) != 0;
      if (r.get_indicator(2) == soci::i_ok) o.label = r.get<std::string>(2);
      if (r.get_indicator(3) == soci::i_ok) o.group = r.get<std::string>(3);
      if (r.get_indicator(4) == soci::i_ok) {
        o.order = r.get_properties(4).get_data_type() == soci::dt_long_long
                      ? static_cast<int>(r.get<long long>(4))
                      : r.get<int>(4);
      }
      out.push_back(std::move(o));
    }
    return out;
  });
}

void DirectoryOverrideRepo::upsert(const DirectoryOverride& o) {
  if (o.extension.empty() || o.extension.size() > 64) {
    throw ValidationError("extension", "extension must be 1-64 characters");
  }
  db_.with_session([&](soci::session& s) {
    soci::transaction tr(s);
    s << "DELETE FROM directory_overrides WHERE extension = :e", soci::use(o.extension);
    int hidden = o.hidden ? 1 : 0, order = o.order.value_or(0);
    std::string label = o.label.value_or(""), group = o.group.value_or("");
    soci::indicator li = o.label ? soci::i_ok : soci::i_null;
    soci::indicator gi = o.group ? soci::i_ok : soci::i_null;
    soci::indicator oi = o.order ? soci::i_ok : soci::i_null;
    long long now = now_ms();
    s << "INSERT INTO directory_overrides (extension, hidden, label, group_name, sort_order, "
         "updated_at) VALUES (:e, :h, :l, :g, :o, :t)",
        soci::use(o.extension), soci::use(hidden), soci::use(label, li), soci::use(group, gi),
        soci::use(order, oi), soci::use(now);
    tr.commit();
    return 0;
  });
}

bool DirectoryOverrideRepo::remove(const std::string& extension) {
  return db_.with_session([&](soci::session& s) {
    soci::statement st = (s.prepare << "DELETE FROM directory_overrides WHERE extension = :e",
                          soci::use(extension));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

}  // namespace opdesk::store
