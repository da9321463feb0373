#pragma once
// MarkovSampler: the n-gram baseline (markov.hpp) as a NoteSampler (sampler.hpp): one note token per
// next(), so a stream synthesises each note while the rest is still to come. MarkovModel::sample_tokens is
// a loop over next() (with top_p 1), so both give the same notes for the same seed.
//
// A prefix (note tokens, as encode() writes them, without the controls and end tokens) is read into the
// histories first, as if it had been sampled, and never returned: the first token next() returns follows the
// prefix's last note (its bar delta counts from that note's bar). The controls' length then counts the
// bars after the prefix: notes stop at the end of the bar `length` bars after the prefix's last bar (the
// rest of that bar is filled too), or at max_notes new notes.
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "cadenza/generate/markov.hpp"
#include "cadenza/generate/sampler.hpp"

namespace cadenza::generate {

class MarkovSampler : public NoteSampler {
 public:
  // `model` must outlive the sampler. Error(BadRequest) naming the field for a meter the tokens do not
  // know, temperature <= 0, top_p outside (0, 1], or a prefix token that is not a note.
  MarkovSampler(const MarkovModel& model, const Controls& controls, const SamplerSettings& settings,
                const std::vector<Token>& prefix = {});
  ~MarkovSampler() override;

  std::optional<Token> next() override;

  const Controls& controls() const { return controls_; }
  int sampled() const { return sampled_; }          // tokens next() returned
  std::int64_t bar() const { return bar_; }          // the bar of the latest note (prefix included)
  std::int64_t bar_limit() const { return bars_; }   // notes stop before this bar

 private:
  struct State;
  const MarkovModel& model_;
  Controls controls_;
  SamplerSettings settings_;
  std::unique_ptr<State> s_;
  int meter_ = 0, bar_len_ = 48, tonic_ = 0, top_ = kHighestPitch;
  std::int64_t bars_ = 0, bar_ = 0;
  int prev_position_ = -1, prev_pitch_ = -1;
  int notes_ = 0;  // prefix + sampled
  int sampled_ = 0;
  bool ended_ = false;
};

}  // namespace cadenza::generate
