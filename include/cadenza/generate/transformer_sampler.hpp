#pragma once
// TransformerSampler: a NoteSampler (sampler.hpp) on the trained GeneratorNet (ml/generator_net.hpp,
// trained by generator_training.hpp). It reads the controls token and the prefix in one pass, then
// samples each note field by field (type, bar, position, pitch, duration, velocity; each head sees the
// values just sampled), one decoder step per note on the calling thread.
//
// Per field: logits / temperature, masked values removed, softmax, the nucleus (the most probable values
// until their probability reaches top_p), one draw from the settings' seeded generator (mt19937_64, the
// same draw as markov.cpp's), so the same net, controls, prefix and settings give the same notes.
// Masks (markov.hpp's SampleOptions; always): the type is never "controls", and "end" only in the
// controls' last bar or later; onsets never go back; a second note at one onset lies above the first.
// respect_meter: positions inside the bar. respect_key: pitches of the key's scale (markov.hpp's).
// respect_range: pitches inside the style's range in training (kept in the weights file's metadata). When
// a position leaves no pitch, that position is masked and drawn again (up to 8 times; likewise a bar
// delta that leaves no position), then the piece ends.
// The piece ends at an end token, at the controls' length counted after the prefix's last bar (the note that would start after its last bar
// is not returned) or at max_notes. When the decoder's window is full it starts again from the controls
// token and the last half window of notes.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cadenza/generate/markov.hpp"
#include "cadenza/generate/prompt.hpp"
#include "cadenza/generate/sampler.hpp"
#include "cadenza/generate/tokens.hpp"
#include "cadenza/ml/generator_net.hpp"

namespace cadenza::generate {

// The metadata line the weights file keeps the pitch ranges in ("range.0=48 84\nrange.1=36 81\n", by
// Style), and its reader (21..108 for a style it does not name).
std::string ranges_metadata(const MarkovModel& trained);
std::pair<int, int> pitch_range(const ml::GeneratorNet& net, Style style);

class TransformerSampler : public NoteSampler {
 public:
  // `prefix`: note tokens to continue (the controls token is made from `controls`). The net must outlive
  // the sampler. Error(BadRequest) for a meter not supported, temperature <= 0 or top_p outside (0, 1].
  TransformerSampler(const ml::GeneratorNet& net, const Controls& controls, const std::vector<Token>& prefix,
                     const SamplerSettings& settings);
  ~TransformerSampler() override;
  std::optional<Token> next() override;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// A whole piece from the sampler (notes placed as decode() places them), for benchmarks and tests.
Piece sample_piece(const ml::GeneratorNet& net, const Controls& controls, const SamplerSettings& settings);

}  // namespace cadenza::generate
