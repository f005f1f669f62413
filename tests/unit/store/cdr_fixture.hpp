// Test fixture helpers for the call log: the real CDR rows of the shared traces (cdr.csv) and
// a throw-away SQLite database. Header-only so the store unit tests and the integration tests
// share it without a support library.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "store/cdr_types.hpp"
#include "store/types.hpp"

namespace opdesk::testing_cdr {

// RFC 4180 CSV (quoted fields with "" escapes, CRLF or LF), whole file.
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      row.push_back(cell);
      cell.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(cell);
      rows.push_back(row);
      row.clear();
      cell.clear();
    } else {
      cell += c;
      any = true;
    }
  }
  if (!cell.empty() || !row.empty()) {
    row.push_back(cell);
    rows.push_back(row);
  }
  return rows;
}

inline std::vector<store::CdrRecord> trace_cdr_rows() {
  std::ifstream in(std::string(OPDESK_TRACE_DIR) + "/cdr.csv", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto rows = parse_csv(ss.str());
  std::vector<store::CdrRecord> out;
  if (rows.empty()) return out;
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < rows[0].size(); ++i) col[rows[0][i]] = i;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& v = rows[r];
    auto f = [&](const char* name) { return v.at(col.at(name)); };
    store::CdrRecord c;
    c.calldate = f("calldate");
    c.answerdate = f("answerdate");
    c.enddate = f("enddate");
    c.clid = f("clid");
    c.src = f("src");
    c.dst = f("dst");
    c.dcontext = f("dcontext");
    c.channel = f("channel");
    c.dstchannel = f("dstchannel");
    c.lastapp = f("lastapp");
    c.lastdata = f("lastdata");
    c.duration = std::stoll(f("duration"));
    c.billsec = std::stoll(f("billsec"));
    c.disposition = f("disposition");
    c.amaflags = f("amaflags");
    c.accountcode = f("accountcode");
    c.uniqueid = f("uniqueid");
    c.userfield = f("userfield");
    c.linkedid = f("linkedid");
    c.peeraccount = f("peeraccount");
    c.sequence = std::stoll(f("sequence"));
    c.recordingfile = f("recordingfile");
    out.push_back(c);
  }
  return out;
}

inline store::DbConfig sqlite_config(const std::string& file) {
  store::DbConfig c;
  c.backend = "sqlite";
  c.sqlite_path = file;
  c.pool_size = 2;
  return c;
}

}  // namespace opdesk::testing_cdr
