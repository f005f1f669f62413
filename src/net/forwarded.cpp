// X-Forwarded-For resolution; see forwarded.hpp.
#include "forwarded.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <charconv>
#include <optional>

namespace opdesk::net {
namespace ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<ip::address> parse(std::string_view text) {
  text = trim(text);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return ip::address(ip::make_address_v4(ip::v4_mapped, a.to_v6()));
  }
  return a;
}

// An address or CIDR range; nullopt when malformed.
struct Range {
  ip::address base;
  unsigned bits;
};

std::optional<Range> parse_range(std::string_view entry) {
  entry = trim(entry);
  auto slash = entry.find('/');
  auto a = parse(entry.substr(0, slash));
  if (!a) return std::nullopt;
  unsigned max = a->is_v4() ? 32 : 128;
  unsigned bits = max;
  if (slash != std::string_view::npos) {
    auto b = entry.substr(slash + 1);
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc() || p != b.data() + b.size() || bits > max) return std::nullopt;
  }
  return Range{*a, bits};
}

bool in_range(const ip::address& a, const Range& r) {
  if (a.is_v4() != r.base.is_v4()) return false;
  if (a.is_v4()) {
    uint32_t mask = r.bits == 0 ? 0 : ~uint32_t{0} << (32 - r.bits);
    return (a.to_v4().to_uint() & mask) == (r.base.to_v4().to_uint() & mask);
  }
  auto x = a.to_v6().to_bytes(), y = r.base.to_v6().to_bytes();
  unsigned bits = r.bits;
  for (size_t i = 0; i < x.size() && bits > 0; ++i) {
    unsigned take = bits >= 8 ? 8 : bits;
    auto mask = static_cast<unsigned char>(0xff << (8 - take));
    if ((x[i] & mask) != (y[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

bool trusted_address(const ip::address& a, const std::vector<std::string>& trusted) {
  for (const auto& t : trusted) {
    if (auto r = parse_range(t); r && in_range(a, *r)) return true;
  }
  return false;
}

}  // namespace

std::string normalize_ip(std::string_view text) {
  auto a = parse(text);
  return a ? a->to_string() : std::string();
}

bool is_trusted_proxy(std::string_view text, const std::vector<std::string>& trusted) {
  auto a = parse(text);
  return a && trusted_address(*a, trusted);
}

std::string forwarded_client(std::string_view peer, std::string_view forwarded_for,
                             const std::vector<std::string>& trusted) {
  auto hop = parse(peer);
  if (!hop) return std::string(peer);
  if (!trusted_address(*hop, trusted)) return hop->to_string();
  // Right to left: while the current hop is a trusted proxy, believe the address it appended.
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    std::string_view entry = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (entry.empty()) continue;
    auto a = parse(entry);
    if (!a) break;  // garbage: the last trusted hop is as far as we can see
    hop = a;
    if (!trusted_address(*hop, trusted)) break;
  }
  return hop->to_string();
}

std::vector<std::string> invalid_proxy_entries(const std::vector<std::string>& trusted) {
  std::vector<std::string> out;
  for (const auto& t : trusted) {
    if (!parse_range(t)) out.push_back(t);
  }
  return out;
}

}  // namespace opdesk::net
