// QoS arithmetic (see metrics.hpp for the formulas and their sources).
//
// Design: every function is pure and total: any input (negative, huge, NaN-free garbage from
// an event) gives a clamped, finite answer, so a malformed RTCP report can only produce a
// wrong-looking number, never UB or an exception. The codec table is the one place that knows
// format names; unknown formats fall back to G.711 behaviour (8000 Hz, Ie 0, Bpl 25.1).
#include "qos/metrics.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace opdesk::qos {
namespace {

bool ieq(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) {
      return false;
    }
  }
  return true;
}

struct CodecRow {
  std::string_view asterisk_name;
  int clock_rate;
  CodecProfile profile;
};

// Asterisk format names (main/codec_builtin.c) plus the common SDP spellings.
constexpr std::array kCodecs = {
    CodecRow{"ulaw", 8000, {"g711", 0, 25.1, 20}},    CodecRow{"alaw", 8000, {"g711", 0, 25.1, 20}},
    CodecRow{"pcmu", 8000, {"g711", 0, 25.1, 20}},    CodecRow{"pcma", 8000, {"g711", 0, 25.1, 20}},
    CodecRow{"g711", 8000, {"g711", 0, 25.1, 20}},    CodecRow{"slin", 8000, {"g711", 0, 25.1, 20}},
    CodecRow{"g729", 8000, {"g729", 11, 19.0, 25}},   CodecRow{"g723", 8000, {"g723", 15, 16.1, 37.5}},
    CodecRow{"gsm", 8000, {"gsm", 20, 10.0, 20}},     CodecRow{"g726", 8000, {"g726", 7, 25.1, 20}},
    CodecRow{"g722", 8000, {"g722", 0, 25.1, 21.5}},  CodecRow{"ilbc", 8000, {"ilbc", 10, 25.1, 30}},
    CodecRow{"speex", 8000, {"speex", 10, 20, 30}},   CodecRow{"speex16", 16000, {"speex", 10, 20, 30}},
    CodecRow{"speex32", 32000, {"speex", 10, 20, 30}}, CodecRow{"slin16", 16000, {"g711", 0, 25.1, 20}},
    CodecRow{"siren7", 16000, {"siren", 5, 20, 40}},  CodecRow{"siren14", 32000, {"siren", 5, 20, 40}},
    CodecRow{"g719", 48000, {"g719", 0, 25.1, 40}},   CodecRow{"slin48", 48000, {"g711", 0, 25.1, 20}},
    CodecRow{"opus", 48000, {"opus", 0, 25.1, 26.5}},
};

const CodecRow* find_codec(std::string_view name) noexcept {
  for (const auto& row : kCodecs) {
    if (ieq(row.asterisk_name, name)) {
      return &row;
    }
  }
  return nullptr;
}

}  // namespace

int clock_rate_for_codec(std::string_view codec) noexcept {
  const CodecRow* row = find_codec(codec);
  return row ? row->clock_rate : kDefaultClockRate;
}

double jitter_ms(uint32_t ia_jitter, int clock_rate) noexcept {
  const int rate = clock_rate > 0 ? clock_rate : kDefaultClockRate;
  return static_cast<double>(ia_jitter) * 1000.0 / rate;
}

double fraction_lost_pct(int fraction) noexcept {
  return static_cast<double>(std::clamp(fraction, 0, 255)) * 100.0 / 256.0;
}

int64_t signed_cumulative_lost(uint64_t printed) noexcept {
  const int64_t v = static_cast<int64_t>(printed & 0xFFFFFFu);
  return v >= 0x800000 ? v - 0x1000000 : v;
}

int64_t extended_sequence(uint32_t cycles, uint32_t seq16) noexcept {
  return static_cast<int64_t>(cycles & 0xFFFFu) * 65536 + (seq16 & 0xFFFFu);
}

int64_t extend_against(std::optional<int64_t> prev, uint32_t cycles, uint32_t seq16) noexcept {
  int64_t ext = extended_sequence(cycles, seq16);
  if (!prev) {
    return ext;
  }
  // Same (or lower) cycle count but the 16-bit number jumped backwards by more than half the
  // space: the sender wrapped without counting it. Re-extend relative to the previous value.
  while (ext < *prev && *prev - ext > 32768) {
    ext += 65536;
  }
  return ext;
}

double loss_pct(int64_t lost, int64_t expected) noexcept {
  if (expected <= 0) {
    return 0.0;
  }
  return std::clamp(static_cast<double>(lost) * 100.0 / static_cast<double>(expected), 0.0, 100.0);
}

CodecProfile codec_profile(std::string_view codec) noexcept {
  const CodecRow* row = find_codec(codec);
  return row ? row->profile : kCodecs[0].profile;
}

double delay_impairment(double one_way_ms) noexcept {
  const double d = std::max(0.0, one_way_ms);
  double id = 0.024 * d;
  if (d > 177.3) {
    id += 0.11 * (d - 177.3);
  }
  return id;
}

double loss_impairment(double loss, const CodecProfile& codec) noexcept {
  const double ppl = std::clamp(loss, 0.0, 100.0);
  const double denom = ppl + codec.bpl;
  if (denom <= 0) {
    return codec.ie;
  }
  return codec.ie + (95.0 - codec.ie) * ppl / denom;
}

double one_way_delay_ms(double rtt_ms, double jitter, const CodecProfile& codec) noexcept {
  return std::max(0.0, rtt_ms) / 2.0 + 2.0 * std::max(0.0, jitter) + codec.delay_ms;
}

double r_factor(double one_way_ms, double loss, const CodecProfile& codec) noexcept {
  const double r = 93.2 - delay_impairment(one_way_ms) - loss_impairment(loss, codec);
  return std::clamp(r, 0.0, 100.0);
}

double mos_from_r(double r) noexcept {
  if (r <= 0) {
    return 1.0;
  }
  if (r >= 100) {
    return 4.5;
  }
  return 1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r);
}

double mos_from_mes(double mes) noexcept { return std::clamp(mes / 20.0, 1.0, 5.0); }

std::string_view to_string(Grade g) noexcept {
  switch (g) {
    case Grade::kGood: return "good";
    case Grade::kFair: return "fair";
    case Grade::kPoor: return "poor";
    case Grade::kUnknown: break;
  }
  return "unknown";
}

namespace {

struct Limits {
  double loss, jitter, rtt, mos;
};

Limits limits_for(Grade g, const Thresholds& t) noexcept {
  if (g == Grade::kPoor) {
    return {t.poor_loss_pct, t.poor_jitter_ms, t.poor_rtt_ms, t.poor_mos};
  }
  return {t.fair_loss_pct, t.fair_jitter_ms, t.fair_rtt_ms, t.fair_mos};
}

bool reaches(const Measures& m, const Limits& l) noexcept {
  return (m.loss_pct && *m.loss_pct >= l.loss) || (m.jitter_ms && *m.jitter_ms >= l.jitter) ||
         (m.rtt_ms && *m.rtt_ms >= l.rtt) || (m.mos && *m.mos < l.mos);
}

}  // namespace

Grade grade(const Measures& m, const Thresholds& t) noexcept {
  if (!m.loss_pct && !m.jitter_ms && !m.rtt_ms && !m.mos) {
    return Grade::kUnknown;
  }
  if (reaches(m, limits_for(Grade::kPoor, t))) {
    return Grade::kPoor;
  }
  if (reaches(m, limits_for(Grade::kFair, t))) {
    return Grade::kFair;
  }
  return Grade::kGood;
}

std::string grade_reason(const Measures& m, const Thresholds& t, Grade g) {
  if (g != Grade::kPoor && g != Grade::kFair) {
    return {};
  }
  const Limits l = limits_for(g, t);
  std::string out;
  char buf[64];
  auto add = [&](const char* text) {
    if (!out.empty()) {
      out += ", ";
    }
    out += text;
  };
  if (m.loss_pct && *m.loss_pct >= l.loss) {
    std::snprintf(buf, sizeof buf, "%.1f %% loss", *m.loss_pct);
    add(buf);
  }
  if (m.jitter_ms && *m.jitter_ms >= l.jitter) {
    std::snprintf(buf, sizeof buf, "jitter %.0f ms", *m.jitter_ms);
    add(buf);
  }
  if (m.rtt_ms && *m.rtt_ms >= l.rtt) {
    std::snprintf(buf, sizeof buf, "RTT %.0f ms", *m.rtt_ms);
    add(buf);
  }
  if (m.mos && *m.mos < l.mos) {
    std::snprintf(buf, sizeof buf, "MOS %.2f", *m.mos);
    add(buf);
  }
  return out;
}

}  // namespace opdesk::qos
