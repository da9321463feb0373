// Sampling notes from the transformer generator (rules in transformer_sampler.hpp).
#include "cadenza/generate/transformer_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/generator_training.hpp"

namespace cadenza::generate {

namespace {

bool in_scale(int pitch, int tonic, Mode mode) {
  static const bool major[12] = {1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1};
  static const bool minor[12] = {1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1};  // natural minor + the raised 7th
  const int degree = ((pitch - tonic) % 12 + 12) % 12;
  return mode == Mode::Minor ? minor[degree] : major[degree];
}

// Draws from logits where allowed[v]: temperature, nucleus, one uniform from rng; -1 when nothing is allowed.
int draw(const std::vector<float>& logits, const std::vector<char>& allowed, double temperature, double top_p,
         std::mt19937_64& rng) {
  std::vector<int> ids;
  double top = -INFINITY;
  for (size_t v = 0; v < logits.size(); ++v)
    if (allowed[v]) {
      ids.push_back(int(v));
      top = std::max(top, double(logits[v]) / temperature);
    }
  if (ids.empty()) return -1;
  std::vector<double> p(logits.size(), 0.0);
  double total = 0;
  for (int v : ids) total += p[size_t(v)] = std::exp(double(logits[size_t(v)]) / temperature - top);
  // most probable first; ties by value
  std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return p[size_t(a)] > p[size_t(b)]; });
  double kept = 0;
  size_t n = 0;
  while (n < ids.size() && (n == 0 || kept < top_p * total)) kept += p[size_t(ids[n++])];
  const double u = double(rng() >> 11) * 0x1.0p-53 * kept;  // the same numbers on every platform
  double acc = 0;
  for (size_t i = 0; i < n; ++i) {
    acc += p[size_t(ids[i])];
    if (u < acc) return ids[i];
  }
  return ids[n - 1];
}

}  // namespace

std::string ranges_metadata(const MarkovModel& trained) {
  std::ostringstream out;
  for (Style s : {Style::Folk, Style::Chorale}) {
    const auto [lo, hi] = trained.pitch_range(s);
    out << "range." << int(s) << "=" << lo << " " << hi << "\n";
  }
  return out.str();
}

std::pair<int, int> pitch_range(const ml::GeneratorNet& net, Style style) {
  std::istringstream in(net.metadata());
  std::string line;
  const std::string key = "range." + std::to_string(int(style)) + "=";
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    std::istringstream v(line.substr(key.size()));
    int lo = 0, hi = 0;
    if (v >> lo >> hi && lo >= kLowestPitch && hi <= kHighestPitch && lo <= hi) return {lo, hi};
  }
  return {kLowestPitch, kHighestPitch};
}

struct TransformerSampler::State {
  const ml::GeneratorNet* net;
  ml::GeneratorNet::Decoder decoder;
  Controls controls;
  SamplerSettings settings;
  std::mt19937_64 rng;
  Token controls_token;
  std::vector<Token> recent;  // the notes in the decoder's window after the controls token
  int bar_len = 48;
  int64_t bars = 32;
  int64_t bar = 0;  // bar of the last note
  int prev_position = -1, prev_pitch = -1;
  int emitted = 0;
  bool ended = false;
  std::pair<int, int> range{kLowestPitch, kHighestPitch};

  State(const ml::GeneratorNet& n, const Controls& c, const SamplerSettings& s)
      : net(&n), decoder(n), controls(c), settings(s), rng(s.seed) {}

  void restart() {
    std::vector<Token> window{controls_token};
    window.insert(window.end(), recent.begin(), recent.end());
    decoder.begin(flatten(window, controls_token[kTonic]));
  }

  void push(const Token& t) {
    recent.push_back(t);
    if (decoder.length() >= decoder.capacity()) {
      const size_t keep = size_t(window_half());
      recent.erase(recent.begin(), recent.end() - std::ptrdiff_t(std::min(keep, recent.size())));
      restart();
    } else {
      decoder.step(flatten({t}, controls_token[kTonic]));
    }
  }
  int window_half() const { return (decoder.capacity() - 1) / 2; }
};

TransformerSampler::TransformerSampler(const ml::GeneratorNet& net, const Controls& controls,
                                       const std::vector<Token>& prefix, const SamplerSettings& settings)
    : s_(std::make_unique<State>(net, controls, settings)) {
  if (!(settings.temperature > 0) || !(settings.top_p > 0 && settings.top_p <= 1))
    throw Error(ErrorKind::BadRequest, "Invalid sampler settings",
                {{!(settings.temperature > 0) ? "temperature" : "top_p",
                  !(settings.temperature > 0) ? "must be > 0" : "must be in (0, 1]"}});
  const auto& sizes = net.config().field_sizes;
  if (sizes.size() != size_t(kFieldCount) || sizes[kPitch] != kNetPitchValues)
    throw Error(ErrorKind::Unprocessable,
                "These generator weights do not read pitch relative to the tonic (an older file): train them again");
  auto& s = *s_;
  s.controls_token = controls_token(controls);  // Error(BadRequest) for a meter not supported
  s.bar_len = controls.meter.numerator * 4 * kTicksPerQuarter / controls.meter.denominator;
  const double quarters_per_bar = double(s.bar_len) / kTicksPerQuarter;
  s.bars = controls.length.unit == Length::Unit::Bars
               ? int64_t(std::ceil(controls.length.value))
               : int64_t(std::ceil(controls.length.value * controls.tempo_bpm / 60 / quarters_per_bar));
  s.range = settings.masks.respect_range ? pitch_range(net, controls.style) : std::pair{kLowestPitch, kHighestPitch};
  for (const auto& t : prefix) {
    if (t.type() != TokenType::Note) continue;
    s.bar += t[kBar];
    s.prev_position = t[kPosition];
    s.prev_pitch = t[kPitch] + kLowestPitch;
    s.recent.push_back(t);
  }
  // The controls' length counts after the prefix (as the Markov sampler does): continue adds `bars` bars.
  if (!s.recent.empty()) s.bars += s.bar + 1;
  const size_t room = size_t(s.decoder.capacity() - 1);
  if (s.recent.size() > room) s.recent.erase(s.recent.begin(), s.recent.end() - std::ptrdiff_t(room));
  s.restart();
}

TransformerSampler::~TransformerSampler() = default;

std::optional<Token> TransformerSampler::next() {
  auto& s = *s_;
  if (s.ended || s.emitted >= s.settings.max_notes) return std::nullopt;
  const auto& m = s.settings.masks;
  const double T = s.settings.temperature, P = s.settings.top_p;
  const int tonic = ((s.controls.key_tonic % 12) + 12) % 12;
  const bool first = s.prev_position < 0;
  const auto& vocab = vocabulary();
  auto sized = [&](Field f) { return std::vector<char>(size_t(vocab[f].size), 1); };

  // type
  auto type_ok = sized(kType);
  type_ok[size_t(TokenType::Controls)] = 0;
  if (s.bar < s.bars - 1) type_ok[size_t(TokenType::End)] = 0;
  const int type = draw(s.decoder.logits(0, std::vector<int>{}), type_ok, T, P, s.rng);
  if (type != int(TokenType::Note)) {
    s.ended = true;
    return std::nullopt;
  }
  auto bar_ok = sized(kBar);
  for (int bar_try = 0; bar_try < 8; ++bar_try) {
    const int delta = draw(s.decoder.logits(1, std::vector<int>{type}), bar_ok, T, P, s.rng);
    if (delta < 0) break;
    if (s.bar + delta >= s.bars) {  // past the requested length
      s.ended = true;
      return std::nullopt;
    }
    auto pos_ok = sized(kPosition);
    for (int p = 0; p < kMaxPositions; ++p) {
      if (m.respect_meter && p >= s.bar_len) pos_ok[size_t(p)] = 0;
      if (!first && delta == 0 && p < s.prev_position) pos_ok[size_t(p)] = 0;  // onsets never go back
      if (!first && delta == 0 && p == s.prev_position && s.prev_pitch >= s.range.second) pos_ok[size_t(p)] = 0;
    }
    for (int pos_try = 0; pos_try < 8; ++pos_try) {
      const int position = draw(s.decoder.logits(2, std::vector<int>{type, delta}), pos_ok, T, P, s.rng);
      if (position < 0) break;
      const bool chord = !first && delta == 0 && position == s.prev_position;
      // The net's pitch values are relative to the tonic (generator_training.hpp): value v is token pitch
      // field token_pitch(v, tonic).
      const int net_tonic = s.controls_token[kTonic];
      std::vector<char> pitch_ok(size_t(kNetPitchValues), 1);
      for (int v = 0; v < kNetPitchValues; ++v) {
        const int field = token_pitch(v, net_tonic);
        const int pitch = field + kLowestPitch;
        if (field < 0 || field >= vocab[kPitch].size || pitch < s.range.first || pitch > s.range.second ||
            (chord && pitch <= s.prev_pitch) || (m.respect_key && !in_scale(pitch, tonic, s.controls.mode)))
          pitch_ok[size_t(v)] = 0;
      }
      const int net_value = draw(s.decoder.logits(3, std::vector<int>{type, delta, position}), pitch_ok, T, P, s.rng);
      if (net_value < 0) {
        pos_ok[size_t(position)] = 0;  // nothing fits at this onset: another one
        continue;
      }
      const int pitch = token_pitch(net_value, net_tonic);
      const int duration =
          draw(s.decoder.logits(4, std::vector<int>{type, delta, position, net_value}), sized(kDuration), T, P, s.rng);
      const int velocity = draw(s.decoder.logits(5, std::vector<int>{type, delta, position, net_value, duration}),
                                sized(kVelocity), T, P, s.rng);
      Token t;
      t[kType] = type;
      t[kBar] = delta;
      t[kPosition] = position;
      t[kPitch] = pitch;
      t[kDuration] = duration;
      t[kVelocity] = velocity;
      s.bar += delta;
      s.prev_position = position;
      s.prev_pitch = pitch + kLowestPitch;
      ++s.emitted;
      s.push(t);
      return t;
    }
    bar_ok[size_t(delta)] = 0;  // no onset fits in this bar: another delta
  }
  s.ended = true;
  return std::nullopt;
}

Piece sample_piece(const ml::GeneratorNet& net, const Controls& controls, const SamplerSettings& settings) {
  TransformerSampler sampler(net, controls, {}, settings);
  std::vector<Token> notes;
  while (auto t = sampler.next()) notes.push_back(*t);
  return piece_of(controls, "transformer/" + std::to_string(settings.seed), notes);
}

}  // namespace cadenza::generate
