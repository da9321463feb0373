#pragma once
// MarkovModel: the n-gram baseline over the compound tokens' fields, factorised per note as
//   P(note_i | past) = P(time_i | time_{i-1..}, style, meter)
//                    x P(pitch_i | pitch_{i-1..}, style, mode, chord)
//                    x P(duration_i | duration_{i-1..}, style, meter)
//                    x P(velocity_i | velocity_{i-1..}, style)
// time = bar delta * 72 + position (one symbol: when the note starts); pitch is relative to the key's
// tonic (pitch - tonic pitch class), so a tune and its transpositions share counts; chord = the note
// starts with the previous one. Each factor is its own KneserNey table (ngram.hpp) of the same order:
// order n reads n-1 previous notes of its field; order 1 only the base context (style, meter, mode);
// order 0 is the unigram baseline (each field's frequencies over the whole training set).
// Density, energy and tempo are not modelled: sample() takes the tempo from the controls as it is.
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cadenza/generate/corpus.hpp"
#include "cadenza/generate/ngram.hpp"
#include "cadenza/generate/prompt.hpp"
#include "cadenza/generate/tokens.hpp"

namespace cadenza::generate {

struct Nll {
  double per_note = 0;                   // nats per note: the sum of the four fields
  std::array<double, 4> per_field{};     // time, pitch, duration, velocity
  int64_t notes = 0;
};

struct SampleOptions {
  bool respect_meter = true;  // only positions inside the controls' bar (else whatever the model says)
  bool respect_key = true;    // only pitches of the key's scale: major 0 2 4 5 7 9 11; minor 0 2 3 5 7 8 10 11
  bool respect_range = true;  // only pitches inside the style's range in training (its 0.5% .. 99.5% quantiles)
  double temperature = 1.0;   // p^(1/T), renormalised
};

class MarkovModel {
 public:
  explicit MarkovModel(int order = 3);  // 0..KneserNey::kMaxOrder
  void train(const std::vector<Piece>& pieces);  // once; pieces that do not encode are skipped
  int order() const { return order_; }
  // The style's pitch range that respect_range keeps (the quantiles above); 21..108 before training.
  std::pair<int, int> pitch_range(Style style) const { return range_[size_t(style)]; }

  Nll nll(const std::vector<Piece>& pieces) const;

  // A piece for the controls (style, key, mode, meter, tempo, length: notes stop at the end of the
  // length's last bar, or at max_notes). The same seed gives the same piece. Notes at one onset come in
  // rising pitch, as encode() orders them. A loop over MarkovSampler::next() (markov_sampler.hpp) with
  // top_p 1: the streaming generator and this give the same notes.
  std::vector<Token> sample_tokens(const Controls& controls, uint64_t seed, int max_notes,
                                   const SampleOptions& options = {}) const;
  Piece sample(const Controls& controls, uint64_t seed, int max_notes, const SampleOptions& options = {}) const;

  // The model as bytes (markov_io.cpp has the format; the same model always gives the same bytes) and back;
  // deserialize throws Error(Unprocessable) for bytes that are not a whole model. save writes the file
  // atomically; load throws Error(NotFound) when it is missing.
  std::string serialize() const;
  static MarkovModel deserialize(std::string_view bytes);
  void save(const std::filesystem::path& path) const;
  static MarkovModel load(const std::filesystem::path& path);

 private:
  friend class MarkovSampler;
  int order_;
  std::unique_ptr<KneserNey> time_, pitch_, duration_, velocity_;
  std::array<std::pair<int, int>, 2> range_{{{kLowestPitch, kHighestPitch}, {kLowestPitch, kHighestPitch}}};
};

double nll_per_note(const MarkovModel& model, const std::vector<Piece>& pieces);

// models/markov.bin (`cadenza train-markov` writes it; models/markov.md says how it was made) as embedded in
// the binary at build time; empty when the build had no such file.
std::string_view embedded_markov_model();

}  // namespace cadenza::generate
