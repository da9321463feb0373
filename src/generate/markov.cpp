// The n-gram baseline (factorisation in markov.hpp).
#include "cadenza/generate/markov.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "cadenza/core/error.hpp"

namespace cadenza::generate {

namespace {

constexpr int kTimeVocab = (kMaxBarDelta + 1) * kMaxPositions;      // 576
constexpr int kPitchVocab = kHighestPitch - kLowestPitch + 1 + 11;  // pitch - tonic: 99
constexpr int kHistory = KneserNey::kMaxOrder - 1;

struct Event {
  int time = 0, pitch = 0, duration = 0, velocity = 0;
  bool chord = false;
};

struct Base {
  int time, pitch, duration, velocity;
};

Base bases(Style style, int meter, Mode mode, bool chord) {
  const int s = int(style);
  return {s * 12 + meter, (s * 2 + int(mode)) * 2 + int(chord), s * 12 + meter, s};
}

// pitch relative to the tonic: 0 .. kPitchVocab-1
int relative(int pitch, int tonic) { return pitch - kLowestPitch + 11 - tonic; }
int absolute(int rel, int tonic) { return rel + kLowestPitch - 11 + tonic; }

std::vector<Event> events(const Piece& p) {
  const auto tokens = encode(p);
  std::vector<Event> out;
  out.reserve(tokens.size());
  int prev_position = -1;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.type() != TokenType::Note) break;
    Event e;
    e.time = t[kBar] * kMaxPositions + t[kPosition];
    e.pitch = relative(t[kPitch] + kLowestPitch, p.key_tonic);
    e.duration = t[kDuration];
    e.velocity = t[kVelocity];
    e.chord = !out.empty() && t[kBar] == 0 && t[kPosition] == prev_position;
    prev_position = t[kPosition];
    out.push_back(e);
  }
  return out;
}

// The histories of event i for each field, most recent first; missing = the vocab (start).
struct Histories {
  int time[kHistory], pitch[kHistory], duration[kHistory], velocity[kHistory];
};

Histories histories_at(const std::vector<Event>& ev, size_t i) {
  Histories h;
  for (int k = 0; k < kHistory; ++k) {
    const bool have = i >= size_t(k) + 1;
    const Event* e = have ? &ev[i - size_t(k) - 1] : nullptr;
    h.time[k] = e ? e->time : kTimeVocab;
    h.pitch[k] = e ? e->pitch : kPitchVocab;
    h.duration[k] = e ? e->duration : int(kDurationTicks.size());
    h.velocity[k] = e ? e->velocity : 8;
  }
  return h;
}

void push(int* history, int symbol) {
  for (int k = kHistory - 1; k > 0; --k) history[k] = history[k - 1];
  history[0] = symbol;
}

// Draws from non-negative weights with p^(1/T); -1 when every weight is 0.
int draw(std::vector<double>& w, double temperature, std::mt19937_64& rng) {
  double total = 0;
  for (auto& x : w) {
    if (x > 0 && temperature != 1.0) x = std::pow(x, 1.0 / temperature);
    total += x;
  }
  if (!(total > 0)) return -1;
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

}  // namespace

MarkovModel::MarkovModel(int order)
    : order_(order),
      time_(std::make_unique<KneserNey>(kTimeVocab, order)),
      pitch_(std::make_unique<KneserNey>(kPitchVocab, order)),
      duration_(std::make_unique<KneserNey>(int(kDurationTicks.size()), order)),
      velocity_(std::make_unique<KneserNey>(8, order)) {}

void MarkovModel::train(const std::vector<Piece>& pieces) {
  std::array<std::array<int64_t, 128>, 2> histogram{};
  for (const auto& p : pieces) {
    std::vector<Event> ev;
    try {
      ev = events(p);
    } catch (const Error&) {
      continue;
    }
    const int meter = meter_index(p.meter);
    for (const auto& n : p.notes) ++histogram[size_t(p.style)][size_t(n.pitch)];
    for (size_t i = 0; i < ev.size(); ++i) {
      const auto h = histories_at(ev, i);
      const Base b = bases(p.style, meter, p.mode, ev[i].chord);
      time_->add(b.time, h.time, ev[i].time);
      pitch_->add(b.pitch, h.pitch, ev[i].pitch);
      duration_->add(b.duration, h.duration, ev[i].duration);
      velocity_->add(b.velocity, h.velocity, ev[i].velocity);
    }
  }
  for (auto* t : {time_.get(), pitch_.get(), duration_.get(), velocity_.get()}) t->finish();
  for (size_t s = 0; s < 2; ++s) {
    int64_t total = 0;
    for (auto n : histogram[s]) total += n;
    if (total == 0) continue;
    int64_t below = 0;
    int lo = -1, hi = -1;
    for (int p = 0; p < 128; ++p) {
      below += histogram[s][size_t(p)];
      if (lo < 0 && below > total / 200) lo = p;                 // 0.5% of the notes lie lower
      if (hi < 0 && below >= total - total / 200) hi = p;        // and 0.5% higher
    }
    range_[s] = {std::max(lo, kLowestPitch), std::min(std::max(hi, lo), kHighestPitch)};
  }
}

Nll MarkovModel::nll(const std::vector<Piece>& pieces) const {
  Nll out;
  for (const auto& p : pieces) {
    const auto ev = events(p);  // held-out pieces must encode
    const int meter = meter_index(p.meter);
    for (size_t i = 0; i < ev.size(); ++i) {
      const auto h = histories_at(ev, i);
      const Base b = bases(p.style, meter, p.mode, ev[i].chord);
      out.per_field[0] -= std::log(time_->prob(b.time, h.time, ev[i].time));
      out.per_field[1] -= std::log(pitch_->prob(b.pitch, h.pitch, ev[i].pitch));
      out.per_field[2] -= std::log(duration_->prob(b.duration, h.duration, ev[i].duration));
      out.per_field[3] -= std::log(velocity_->prob(b.velocity, h.velocity, ev[i].velocity));
    }
    out.notes += int64_t(ev.size());
  }
  if (out.notes > 0) {
    for (auto& f : out.per_field) f /= double(out.notes);
    out.per_note = out.per_field[0] + out.per_field[1] + out.per_field[2] + out.per_field[3];
  }
  return out;
}

double nll_per_note(const MarkovModel& model, const std::vector<Piece>& pieces) { return model.nll(pieces).per_note; }

std::vector<Token> MarkovModel::sample_tokens(const Controls& controls, uint64_t seed, int max_notes,
                                              const SampleOptions& options) const {
  std::vector<Token> tokens{controls_token(controls)};  // Error(BadRequest) for a meter not supported
  if (!(options.temperature > 0)) throw Error(ErrorKind::BadRequest, "Invalid sample options", {{"temperature", "must be > 0"}});
  const int meter = meter_index(controls.meter);
  const int bar_len = controls.meter.numerator * 4 * kTicksPerQuarter / controls.meter.denominator;
  const double quarters_per_bar = double(bar_len) / kTicksPerQuarter;
  const int64_t bars = controls.length.unit == Length::Unit::Bars
                           ? int64_t(std::ceil(controls.length.value))
                           : int64_t(std::ceil(controls.length.value * controls.tempo_bpm / 60 / quarters_per_bar));
  const int tonic = ((controls.key_tonic % 12) + 12) % 12;
  std::mt19937_64 rng(seed);
  const int top = options.respect_range ? range_[size_t(controls.style)].second : kHighestPitch;
  Histories h = histories_at({}, 0);
  std::vector<double> w;
  int64_t bar = 0;
  int prev_position = -1, prev_pitch = -1;
  for (int n = 0; n < max_notes; ++n) {
    const Base b0 = bases(controls.style, meter, controls.mode, false);
    time_->distribution(b0.time, h.time, w);
    for (int t = 0; t < kTimeVocab; ++t) {
      const int delta = t / kMaxPositions, position = t % kMaxPositions;
      if (options.respect_meter && position >= bar_len) w[size_t(t)] = 0;
      if (n > 0 && delta == 0 && position < prev_position) w[size_t(t)] = 0;  // onsets never go back
      if (n > 0 && delta == 0 && position == prev_position && prev_pitch >= top) w[size_t(t)] = 0;  // no room above
    }
    int time = -1, pitch = -1;
    bool chord = false;
    for (int attempt = 0; attempt < 8 && pitch < 0; ++attempt) {
      std::vector<double> tw = w;
      time = draw(tw, options.temperature, rng);
      if (time < 0) break;
      chord = n > 0 && time / kMaxPositions == 0 && time % kMaxPositions == prev_position;
      const Base b = bases(controls.style, meter, controls.mode, chord);
      std::vector<double> pw;
      pitch_->distribution(b.pitch, h.pitch, pw);
      for (int r = 0; r < kPitchVocab; ++r) {
        const int p = absolute(r, tonic);
        const auto [lo, hi] = options.respect_range ? range_[size_t(controls.style)] : std::pair{kLowestPitch, kHighestPitch};
        if (p < lo || p > hi || (chord && p <= prev_pitch) ||
            (options.respect_key && !in_scale(p, tonic, controls.mode)))
          pw[size_t(r)] = 0;
      }
      pitch = draw(pw, options.temperature, rng);
      if (pitch < 0) w[size_t(time)] = 0;  // nothing fits at this time: try another
    }
    if (time < 0 || pitch < 0) break;
    const int delta = time / kMaxPositions, position = time % kMaxPositions;
    if (bar + delta >= bars) break;
    const Base b = bases(controls.style, meter, controls.mode, chord);
    duration_->distribution(b.duration, h.duration, w);
    const int duration = std::max(0, draw(w, options.temperature, rng));
    velocity_->distribution(b.velocity, h.velocity, w);
    const int velocity = std::max(0, draw(w, options.temperature, rng));
    const int abs_pitch = absolute(pitch, tonic);
    tokens.push_back(note_token(delta, position, abs_pitch, duration_ticks(duration), velocity_of(velocity)));
    bar += delta;
    prev_position = position;
    prev_pitch = abs_pitch;
    push(h.time, time);
    push(h.pitch, pitch);
    push(h.duration, duration);
    push(h.velocity, velocity);
  }
  tokens.push_back(end_token());
  return tokens;
}

Piece MarkovModel::sample(const Controls& controls, uint64_t seed, int max_notes, const SampleOptions& options) const {
  const auto tokens = sample_tokens(controls, seed, max_notes, options);
  Piece p;
  p.id = "markov/" + std::to_string(order_) + "/" + std::to_string(seed);
  p.style = controls.style;
  p.meter = controls.meter;
  p.key_tonic = ((controls.key_tonic % 12) + 12) % 12;
  p.mode = controls.mode;
  p.tempo_bpm = controls.tempo_bpm;
  // as decode() reads them, but a position may pass the bar when respect_meter is off
  const int64_t bar_len = p.bar_ticks();
  int64_t bar = 0;
  for (size_t i = 1; i < tokens.size() && tokens[i].type() == TokenType::Note; ++i) {
    const Token& t = tokens[i];
    bar += t[kBar];
    p.notes.push_back({bar * bar_len + t[kPosition], duration_ticks(t[kDuration]), t[kPitch] + kLowestPitch,
                       velocity_of(t[kVelocity])});
  }
  std::stable_sort(p.notes.begin(), p.notes.end(), [](const Note& a, const Note& b) {
    return a.onset != b.onset ? a.onset < b.onset : a.pitch < b.pitch;
  });
  return p;
}

}  // namespace cadenza::generate
