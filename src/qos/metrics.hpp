// QoS arithmetic: RTCP field conversions, the simplified ITU-T G.107 E-model, MES mapping and
// the good/fair/poor grade. Pure functions, no state; the tracker (tracker.hpp) composes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace opdesk::qos {

// ---- RTCP field conversions (RFC 3550 §6.4.1) ----

// RTP clock rate for an Asterisk format name ("ulaw", "g722", "opus", ...; case-insensitive).
// G.722 is 8000 on purpose: RFC 3551 §4.5.2 keeps its RTP clock at 8000 for compatibility.
// Unknown or empty names answer kDefaultClockRate.
inline constexpr int kDefaultClockRate = 8000;
int clock_rate_for_codec(std::string_view codec) noexcept;

// Interarrival jitter (RTP timestamp units) → milliseconds. A rate <= 0 counts as 8000.
double jitter_ms(uint32_t ia_jitter, int clock_rate) noexcept;

// FractionLost (0..255, an 8-bit fixed point fraction of 256) → percent.
double fraction_lost_pct(int fraction) noexcept;

// CumulativeLost is a 24-bit two's-complement count (duplicates can make it negative), which
// Asterisk prints unsigned: 16777215 means -1. Values above 24 bits are masked first.
int64_t signed_cumulative_lost(uint64_t printed) noexcept;

// Extended highest sequence number: cycles * 65536 + seq16.
int64_t extended_sequence(uint32_t cycles, uint32_t seq16) noexcept;

// Extends seq16/cycles against the previous extended value `prev`: a sender that did not count
// the cycle (seq went from ~65535 to a small number with the same cycle count) is treated as
// one wrap-around. With no previous value this is extended_sequence().
int64_t extend_against(std::optional<int64_t> prev, uint32_t cycles, uint32_t seq16) noexcept;

// Loss percent for `lost` of `expected` packets, clamped to [0, 100]; 0 when expected <= 0.
double loss_pct(int64_t lost, int64_t expected) noexcept;

// ---- E-model (ITU-T G.107, simplified as in G.107 Annex/“Cole-Rosenbluth”) ----

struct CodecProfile {
  std::string_view name;  // canonical name ("g711", "g729", ...)
  double ie = 0;          // equipment impairment factor
  double bpl = 25.1;      // packet-loss robustness factor
  double delay_ms = 20;   // packetisation + look-ahead
};
// Profile for an Asterisk format name. G.711/G.729A/GSM-EFR values are those of ITU-T G.113
// Appendix I; the others (G.722, Opus, GSM-FR, iLBC...) are narrowband-scale approximations.
CodecProfile codec_profile(std::string_view codec) noexcept;

// Delay impairment Id for a one-way mouth-to-ear delay in ms:
//   Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3).
double delay_impairment(double one_way_ms) noexcept;
// Effective equipment impairment for random loss: Ie_eff = Ie + (95 - Ie) Ppl / (Ppl + Bpl).
double loss_impairment(double loss_pct, const CodecProfile& codec) noexcept;
// One-way delay estimate: RTT/2 + jitter buffer (2 x jitter) + codec delay.
double one_way_delay_ms(double rtt_ms, double jitter_ms, const CodecProfile& codec) noexcept;
// R = 93.2 - Id - Ie_eff, clamped to [0, 100].
double r_factor(double one_way_ms, double loss_pct, const CodecProfile& codec) noexcept;
// MOS = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R); 1 for R <= 0, 4.5 for R >= 100.
double mos_from_r(double r) noexcept;

// Asterisk's Media Experience Score is its pseudo-MOS rescaled from 0..5 to 0..100
// (res_rtp_asterisk.c calc_media_experience_score: RESCALE(mos, 0, 5, 0, 100)), so the MOS it
// stands for is MES / 20, clamped to [1, 5]. (Not 1 + 4 MES/100: that would put Asterisk's
// perfect-loopback 88.1 at 4.52, above the 4.41 ceiling of the E-model it was computed with.)
double mos_from_mes(double mes) noexcept;

// ---- Grade ----

enum class Grade { kUnknown, kGood, kFair, kPoor };
std::string_view to_string(Grade g) noexcept;
// Ordering for "worse than": kUnknown < kGood < kFair < kPoor.
inline Grade worse(Grade a, Grade b) noexcept { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

struct Thresholds {
  double fair_loss_pct = 1, poor_loss_pct = 5;
  double fair_jitter_ms = 20, poor_jitter_ms = 50;
  double fair_rtt_ms = 200, poor_rtt_ms = 400;
  double fair_mos = 3.8, poor_mos = 3.1;  // grade applies when MOS is BELOW these
};

// One set of measurements to grade; absent values do not count.
struct Measures {
  std::optional<double> loss_pct, jitter_ms, rtt_ms, mos;
};
Grade grade(const Measures& m, const Thresholds& t) noexcept;
// Human reason for `g` ("7.0 % loss, jitter 62 ms"), listing each measure at or past that
// grade's threshold; empty for good/unknown.
std::string grade_reason(const Measures& m, const Thresholds& t, Grade g);

}  // namespace opdesk::qos
