#include "cadenza/generate/sampler.hpp"

#include <algorithm>

namespace cadenza::generate {

Piece piece_of(const Controls& controls, std::string id, std::span<const Token> notes) {
  Piece p;
  p.id = std::move(id);
  p.style = controls.style;
  p.meter = controls.meter;
  p.key_tonic = ((controls.key_tonic % 12) + 12) % 12;
  p.mode = controls.mode;
  p.tempo_bpm = controls.tempo_bpm;
  const int64_t bar_len = p.bar_ticks();
  int64_t bar = 0;
  for (const Token& t : notes) {
    if (t.type() != TokenType::Note) break;
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
