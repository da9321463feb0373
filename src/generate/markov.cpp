// The n-gram baseline (factorisation in markov.hpp).
#include "cadenza/generate/markov.hpp"
#include "cadenza/generate/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/markov_sampler.hpp"
#include "markov_internal.hpp"

namespace cadenza::generate {

namespace {

using namespace markov_detail;

struct Event {
  int time = 0, pitch = 0, duration = 0, velocity = 0;
  bool chord = false;
};

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

Histories histories_at(const std::vector<Event>& ev, size_t i) {
  Histories h = empty_histories();
  for (int k = 0; k < kHistory; ++k) {
    if (i < size_t(k) + 1) break;
    const Event& e = ev[i - size_t(k) - 1];
    h.time[k] = e.time;
    h.pitch[k] = e.pitch;
    h.duration[k] = e.duration;
    h.velocity[k] = e.velocity;
  }
  return h;
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
  SamplerSettings settings;
  settings.seed = seed;
  settings.temperature = options.temperature;
  settings.top_p = 1.0;
  settings.max_notes = max_notes;
  settings.masks = options;
  MarkovSampler sampler(*this, controls, settings);
  while (auto t = sampler.next()) tokens.push_back(*t);
  tokens.push_back(end_token());
  return tokens;
}

Piece MarkovModel::sample(const Controls& controls, uint64_t seed, int max_notes, const SampleOptions& options) const {
  const auto tokens = sample_tokens(controls, seed, max_notes, options);
  return piece_of(controls, "markov/" + std::to_string(order_) + "/" + std::to_string(seed),
                  std::span<const Token>(tokens).subspan(tokens.empty() ? 0 : 1));
}

}  // namespace cadenza::generate
