// The n-gram baseline, one note at a time (markov_sampler.hpp); the factorisation is in markov.hpp.
#include "cadenza/generate/markov_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "cadenza/core/error.hpp"
#include "markov_internal.hpp"

namespace cadenza::generate {

namespace markov_detail {

int draw(std::vector<double>& w, double temperature, double top_p, std::mt19937_64& rng) {
  double total = 0;
  for (auto& x : w) {
    if (x > 0 && temperature != 1.0) x = std::pow(x, 1.0 / temperature);
    total += x;
  }
  if (!(total > 0)) return -1;
  if (top_p < 1.0) {
    // The nucleus: the largest weights, in falling order, until they hold top_p of the total; the rest go.
    std::vector<int> order;
    order.reserve(w.size());
    for (size_t i = 0; i < w.size(); ++i)
      if (w[i] > 0) order.push_back(int(i));
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return w[size_t(a)] > w[size_t(b)]; });
    double kept = 0;
    size_t n = 0;
    while (n < order.size() && kept < top_p * total) kept += w[size_t(order[n++])];
    for (size_t k = n; k < order.size(); ++k) w[size_t(order[k])] = 0;
    total = kept;
  }
  const double u = double(rng() >> 11) * 0x1.0p-53 * total;  // the same numbers on every platform
  double acc = 0;
  int last = -1;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] <= 0) continue;
    acc += w[i];
    last = int(i);
    if (u < acc) return int(i);
  }
  return last;
}

bool in_scale(int pitch, int tonic, Mode mode) {
  static const bool major[12] = {1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1};
  static const bool minor[12] = {1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1};  // natural minor + the raised 7th
  const int degree = ((pitch - tonic) % 12 + 12) % 12;
  return mode == Mode::Minor ? minor[degree] : major[degree];
}

}  // namespace markov_detail

using namespace markov_detail;

struct MarkovSampler::State {
  std::mt19937_64 rng;
  Histories h = empty_histories();
  std::vector<double> w, tw, pw;
};

MarkovSampler::MarkovSampler(const MarkovModel& model, const Controls& controls, const SamplerSettings& settings,
                             const std::vector<Token>& prefix)
    : model_(model), controls_(controls), settings_(settings), s_(std::make_unique<State>()) {
  controls_token(controls);  // Error(BadRequest) for a meter not supported
  std::map<std::string, std::string> bad;
  if (!(settings.temperature > 0)) bad["temperature"] = "must be > 0";
  if (!(settings.top_p > 0 && settings.top_p <= 1)) bad["top_p"] = "must be in (0, 1]";
  for (const auto& t : prefix)
    if (t.type() != TokenType::Note) bad["prefix"] = "holds only note tokens";
  if (!bad.empty()) throw Error(ErrorKind::BadRequest, "Invalid sampler settings", bad);
  s_->rng.seed(settings.seed);
  meter_ = meter_index(controls.meter);
  bar_len_ = controls.meter.numerator * 4 * kTicksPerQuarter / controls.meter.denominator;
  const double quarters_per_bar = double(bar_len_) / kTicksPerQuarter;
  const auto& length = controls.length;
  const std::int64_t bars = length.unit == Length::Unit::Bars
                                ? std::int64_t(std::ceil(length.value))
                                : std::int64_t(std::ceil(length.value * controls.tempo_bpm / 60 / quarters_per_bar));
  tonic_ = ((controls.key_tonic % 12) + 12) % 12;
  top_ = settings.masks.respect_range ? model.range_[size_t(controls.style)].second : kHighestPitch;
  for (const auto& t : prefix) {
    const int time = t[kBar] * kMaxPositions + t[kPosition];
    push(s_->h.time, time);
    push(s_->h.pitch, std::clamp(relative(t[kPitch] + kLowestPitch, tonic_), 0, kPitchVocab - 1));
    push(s_->h.duration, t[kDuration]);
    push(s_->h.velocity, t[kVelocity]);
    bar_ += t[kBar];
    prev_position_ = t[kPosition];
    prev_pitch_ = t[kPitch] + kLowestPitch;
    ++notes_;
  }
  bars_ = prefix.empty() ? bars : bar_ + 1 + bars;
}

MarkovSampler::~MarkovSampler() = default;

std::optional<Token> MarkovSampler::next() {
  if (ended_ || sampled_ >= settings_.max_notes) return std::nullopt;
  const auto& options = settings_.masks;
  const double temperature = settings_.temperature, top_p = settings_.top_p;
  auto& st = *s_;
  auto& h = st.h;
  const int n = notes_;
  const Base b0 = bases(controls_.style, meter_, controls_.mode, false);
  model_.time_->distribution(b0.time, h.time, st.w);
  auto& w = st.w;
  for (int t = 0; t < kTimeVocab; ++t) {
    const int delta = t / kMaxPositions, position = t % kMaxPositions;
    if (options.respect_meter && position >= bar_len_) w[size_t(t)] = 0;
    if (n > 0 && delta == 0 && position < prev_position_) w[size_t(t)] = 0;  // onsets never go back
    if (n > 0 && delta == 0 && position == prev_position_ && prev_pitch_ >= top_) w[size_t(t)] = 0;  // no room above
  }
  int time = -1, pitch = -1;
  bool chord = false;
  const auto [lo, hi] = options.respect_range ? model_.range_[size_t(controls_.style)] : std::pair{kLowestPitch, kHighestPitch};
  for (int attempt = 0; attempt < 8 && pitch < 0; ++attempt) {
    st.tw = w;
    time = draw(st.tw, temperature, top_p, st.rng);
    if (time < 0) break;
    chord = n > 0 && time / kMaxPositions == 0 && time % kMaxPositions == prev_position_;
    const Base b = bases(controls_.style, meter_, controls_.mode, chord);
    model_.pitch_->distribution(b.pitch, h.pitch, st.pw);
    for (int r = 0; r < kPitchVocab; ++r) {
      const int p = absolute(r, tonic_);
      if (p < lo || p > hi || (chord && p <= prev_pitch_) || (options.respect_key && !in_scale(p, tonic_, controls_.mode)))
        st.pw[size_t(r)] = 0;
    }
    pitch = draw(st.pw, temperature, top_p, st.rng);
    if (pitch < 0) w[size_t(time)] = 0;  // nothing fits at this time: try another
  }
  if (time < 0 || pitch < 0) {
    ended_ = true;
    return std::nullopt;
  }
  const int delta = time / kMaxPositions, position = time % kMaxPositions;
  if (bar_ + delta >= bars_) {
    ended_ = true;
    return std::nullopt;
  }
  const Base b = bases(controls_.style, meter_, controls_.mode, chord);
  model_.duration_->distribution(b.duration, h.duration, w);
  const int duration = std::max(0, draw(w, temperature, top_p, st.rng));
  model_.velocity_->distribution(b.velocity, h.velocity, w);
  const int velocity = std::max(0, draw(w, temperature, top_p, st.rng));
  const int abs_pitch = absolute(pitch, tonic_);
  bar_ += delta;
  prev_position_ = position;
  prev_pitch_ = abs_pitch;
  push(h.time, time);
  push(h.pitch, pitch);
  push(h.duration, duration);
  push(h.velocity, velocity);
  ++notes_;
  ++sampled_;
  return note_token(delta, position, abs_pitch, duration_ticks(duration), velocity_of(velocity));
}

}  // namespace cadenza::generate
