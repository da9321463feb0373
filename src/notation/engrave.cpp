#include "cadenza/notation/engrave.hpp"

#include <algorithm>
#include <cmath>

#include "cadenza/core/error.hpp"
#include "cadenza/notation/arranger.hpp"
#include "cadenza/notation/hand_splitter.hpp"
#include "cadenza/notation/key_finder.hpp"
#include "cadenza/notation/measure_builder.hpp"
#include "cadenza/notation/quantizer.hpp"

namespace cadenza::notation {

namespace {

// One tempo per bar from the tracked pulse; a new mark where it moves by more than 4 %.
std::vector<TempoMark> tempo_map(const TimeGrid& grid, const Score& score) {
  std::vector<TempoMark> marks;
  for (const auto& m : score.measures) {
    const double a = static_cast<double>(m.start), b = static_cast<double>(m.start + m.length);
    const double secs = grid.seconds_at(b) - grid.seconds_at(a);
    const double bpm = secs > 0 ? 60.0 * (b - a) / kDivisions / secs : 120.0;
    if (marks.empty() || std::abs(bpm / marks.back().bpm - 1.0) > 0.04)
      marks.push_back({m.start, std::round(bpm * 10) / 10, grid.seconds_at(a)});
  }
  if (marks.empty()) marks.push_back({0, 120.0, 0.0});
  return marks;
}

}  // namespace

Score engrave(const std::vector<NoteEvent>& events, const EngraveOptions& options, const Progress& progress) {
  TimeGrid grid;
  return engrave(events, options, grid, progress);
}

Score engrave(const std::vector<NoteEvent>& input, const EngraveOptions& options, TimeGrid& grid,
              const Progress& progress) {
  auto report = [&](double f, const char* stage) {
    if (progress) progress(f, stage);
  };
  report(0.0, "preparing");
  const auto events = prepare_events(input, options.arrangement);
  if (normalized(events).empty()) throw Error{ErrorKind::Unprocessable, "no notes to engrave"};
  report(0.1, "tempo and meter");
  BeatTrackerOptions bt;
  if (options.time) bt.fixed_time = true, bt.time = *options.time, bt.bpm = options.tempo_bpm;
  grid = track_time(events, bt);
  report(0.4, "quantising");
  const auto quantized = quantize(events, grid);
  if (quantized.empty()) throw Error{ErrorKind::Unprocessable, "no notes to engrave"};

  Score score;
  score.title = options.title;
  score.composer = options.composer;
  score.arranger = options.arranger;
  score.arrangement = options.arrangement;
  score.time = grid.time;
  score.pickup = grid.pickup;

  report(0.55, "key");
  const auto spans = options.key ? std::vector<KeySpan>{KeySpan{0, *options.key}}
                                 : estimate_keys(quantized, score.time.bar_length(), score.pickup);
  report(0.65, "hands");
  score.notes = arrange(quantized, options.arrangement, score.time, score.pickup);
  // Sources refer to the caller's events only when nothing was filtered out.
  if (events.size() != input.size())
    for (auto& n : score.notes) n.source = -1;
  auto bar_of = [&](int64_t pos) -> int {
    const int64_t bar = score.time.bar_length();
    if (score.pickup > 0) return pos < score.pickup ? 0 : static_cast<int>(1 + (pos - score.pickup) / bar);
    return static_cast<int>(pos / bar);
  };
  for (const auto& s : spans) score.keys.push_back({s.bar, s.key});
  for (auto& n : score.notes) n.spelling = spell(n.pitch, score.key_at(bar_of(n.onset)));
  report(0.75, "voices");
  assign_voices(score.notes);
  report(0.85, "layout");
  build_measures(score);
  std::erase_if(score.keys, [&](const KeyChange& k) { return k.measure >= static_cast<int>(score.measures.size()); });
  if (score.keys.empty()) score.keys.push_back({0, spans.front().key});
  score.tempos = tempo_map(grid, score);
  report(1.0, "done");
  return score;
}

}  // namespace cadenza::notation
