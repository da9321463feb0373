// Compound tokens (layout and vocabulary in tokens.hpp).
#include "cadenza/generate/tokens.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cadenza/core/error.hpp"

namespace cadenza::generate {

const std::array<FieldInfo, kFieldCount>& vocabulary() {
  static const std::array<FieldInfo, kFieldCount> v{{{"type", 3},
                                                     {"bar", kMaxBarDelta + 1},
                                                     {"position", kMaxPositions},
                                                     {"pitch", kHighestPitch - kLowestPitch + 1},
                                                     {"duration", int(kDurationTicks.size())},
                                                     {"velocity", 8},
                                                     {"style", 2},
                                                     {"tonic", 12},
                                                     {"mode", 2},
                                                     {"meter", int(supported_meters().size())},
                                                     {"tempo", 8},
                                                     {"density", 8},
                                                     {"energy", 8}}};
  return v;
}

int duration_class(int64_t ticks) {
  if (ticks <= kDurationTicks.front()) return 0;
  if (ticks >= kDurationTicks.back()) return int(kDurationTicks.size()) - 1;
  const auto hi = std::lower_bound(kDurationTicks.begin(), kDurationTicks.end(), int(ticks));
  if (*hi == ticks) return int(hi - kDurationTicks.begin());
  const auto lo = hi - 1;
  // nearer by ratio; a tie goes to the shorter
  return double(ticks) / *lo <= double(*hi) / ticks ? int(lo - kDurationTicks.begin()) : int(hi - kDurationTicks.begin());
}

int64_t duration_ticks(int cls) { return kDurationTicks[size_t(std::clamp(cls, 0, int(kDurationTicks.size()) - 1))]; }

int velocity_class(int velocity) { return std::clamp((velocity - 1) / 16, 0, 7); }
int velocity_of(int cls) { return 16 * std::clamp(cls, 0, 7) + 8; }

namespace {
constexpr double kTempoEdges[7] = {60, 72, 86, 100, 116, 134, 156};
constexpr double kTempoOf[8] = {52, 66, 79, 93, 108, 125, 145, 170};
}  // namespace

int tempo_class(double bpm) {
  int c = 0;
  while (c < 7 && bpm >= kTempoEdges[c]) ++c;
  return c;
}
double tempo_of(int cls) { return kTempoOf[std::clamp(cls, 0, 7)]; }

int unit_class(double value01) { return std::clamp(int(std::floor(value01 * 8)), 0, 7); }

namespace {
// The train split's octiles of the raw measures (min and max rounded outwards); see tokens.hpp.
constexpr double kDensityEdges[9] = {-0.5, 0.94, 1.18, 1.34, 1.47, 1.57, 1.67, 1.79, 3.0};
constexpr double kEnergyEdges[9] = {-1.25, 0.87, 1.09, 1.36, 1.68, 1.84, 1.96, 2.08, 3.0};

double place(double raw, const double (&edges)[9]) {
  if (!(raw > edges[0])) return 0;
  for (int k = 0; k < 8; ++k)
    if (raw < edges[k + 1]) return (k + (raw - edges[k]) / (edges[k + 1] - edges[k])) / 8;
  return 1;
}

double quarters_of(const Piece& p) { return std::max<double>(1, double(p.end_tick()) / kTicksPerQuarter); }
}  // namespace

double piece_density(const Piece& piece) {
  if (piece.notes.empty()) return 0;
  return place(std::log2(double(piece.notes.size()) / quarters_of(piece)), kDensityEdges);
}

double piece_energy(const Piece& piece) {
  if (piece.notes.empty()) return 0;
  double velocity = 0;
  int64_t onsets = 0, last = -1;
  for (const auto& n : piece.notes) {  // sorted by onset
    velocity += n.velocity;
    if (n.onset != last) ++onsets, last = n.onset;
  }
  velocity /= double(piece.notes.size());
  const double seconds = quarters_of(piece) * 60 / std::max(1.0, piece.tempo_bpm);
  return place(std::log2(double(onsets) / seconds) + (velocity - 80) / 40, kEnergyEdges);
}

Token controls_token(const Controls& c) {
  const int meter = meter_index(c.meter);
  if (meter < 0) throw Error(ErrorKind::BadRequest, "Invalid controls", {{"meter", to_string(c.meter) + " not supported"}});
  Token t;
  t[kType] = int(TokenType::Controls);
  t[kStyle] = int(c.style);
  t[kTonic] = ((c.key_tonic % 12) + 12) % 12;
  t[kMode] = int(c.mode);
  t[kMeter] = meter;
  t[kTempo] = tempo_class(c.tempo_bpm);
  t[kDensity] = unit_class(c.density);
  t[kEnergy] = unit_class(c.energy);
  return t;
}

Token controls_token(const Piece& p) {
  const int meter = meter_index(p.meter);
  if (meter < 0) throw Error(ErrorKind::Unprocessable, p.id + ": meter " + to_string(p.meter) + " not supported");
  Token t;
  t[kType] = int(TokenType::Controls);
  t[kStyle] = int(p.style);
  t[kTonic] = ((p.key_tonic % 12) + 12) % 12;
  t[kMode] = int(p.mode);
  t[kMeter] = meter;
  t[kTempo] = tempo_class(p.tempo_bpm);
  t[kDensity] = unit_class(piece_density(p));
  t[kEnergy] = unit_class(piece_energy(p));
  return t;
}

Token note_token(int bar_delta, int position, int pitch, int64_t duration, int velocity) {
  Token t;
  t[kType] = int(TokenType::Note);
  t[kBar] = bar_delta;
  t[kPosition] = position;
  t[kPitch] = pitch - kLowestPitch;
  t[kDuration] = duration_class(duration);
  t[kVelocity] = velocity_class(velocity);
  return t;
}

Token end_token() {
  Token t;
  t[kType] = int(TokenType::End);
  return t;
}

std::vector<Token> encode(const Piece& piece) {
  std::vector<Token> out;
  out.reserve(piece.notes.size() + 2);
  out.push_back(controls_token(piece));
  const int64_t bar_len = piece.bar_ticks();
  std::vector<Note> notes = piece.notes;
  std::stable_sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) {
    return a.onset != b.onset ? a.onset < b.onset : a.pitch < b.pitch;
  });
  int64_t bar = 0;
  for (const auto& n : notes) {
    if (n.onset < 0) throw Error(ErrorKind::Unprocessable, piece.id + ": a note before tick 0");
    const int64_t b = n.onset / bar_len;
    if (b - bar > kMaxBarDelta)
      throw Error(ErrorKind::Unprocessable, piece.id + ": a silence of " + std::to_string(b - bar) + " bars (at most " +
                                                std::to_string(kMaxBarDelta) + " encode)");
    if (n.pitch < kLowestPitch || n.pitch > kHighestPitch)
      throw Error(ErrorKind::Unprocessable, piece.id + ": pitch " + std::to_string(n.pitch) + " outside 21..108");
    out.push_back(note_token(int(b - bar), int(n.onset % bar_len), n.pitch, n.duration, n.velocity));
    bar = b;
  }
  out.push_back(end_token());
  return out;
}

Decoded decode(const std::vector<Token>& tokens) {
  if (tokens.empty() || tokens.front().type() != TokenType::Controls)
    throw Error(ErrorKind::BadRequest, "a token sequence starts with a controls token");
  const auto& vocab = vocabulary();
  for (size_t i = 0; i < tokens.size(); ++i)
    for (int f = 0; f < kFieldCount; ++f)
      if (tokens[i].f[size_t(f)] < 0 || tokens[i].f[size_t(f)] >= vocab[size_t(f)].size)
        throw Error(ErrorKind::BadRequest, "token " + std::to_string(i) + ": " + vocab[size_t(f)].name + " " +
                                               std::to_string(tokens[i].f[size_t(f)]) + " out of range");
  const Token& c = tokens.front();
  Decoded d;
  d.style = Style(c[kStyle]);
  d.key_tonic = c[kTonic];
  d.mode = Mode(c[kMode]);
  d.meter = supported_meters()[size_t(c[kMeter])];
  d.tempo_bpm = tempo_of(c[kTempo]);
  const int64_t bar_len = int64_t(d.meter.numerator) * 4 * kTicksPerQuarter / d.meter.denominator;
  int64_t bar = 0;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.type() == TokenType::End) break;
    if (t.type() != TokenType::Note) throw Error(ErrorKind::BadRequest, "token " + std::to_string(i) + ": a second controls token");
    if (t[kPosition] >= bar_len)
      throw Error(ErrorKind::BadRequest, "token " + std::to_string(i) + ": position " + std::to_string(t[kPosition]) +
                                             " outside a bar of " + std::to_string(bar_len) + " ticks");
    bar += t[kBar];
    d.notes.push_back({bar * bar_len + t[kPosition], duration_ticks(t[kDuration]), t[kPitch] + kLowestPitch,
                       velocity_of(t[kVelocity])});
  }
  return d;
}

}  // namespace cadenza::generate
