// Tempo, meter, pickup and quantisation on synthetic performances with known scores.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "cadenza/core/error.hpp"
#include "cadenza/notation/beat_tracker.hpp"
#include "cadenza/notation/engrave.hpp"
#include "cadenza/notation/quantizer.hpp"
#include "notation/notation_fixture.hpp"

using namespace cadenza::notation;
using namespace notation_test;

namespace {

// Share of written notes whose quantised onset (relative to the first) and duration match.
double match_share(const std::vector<Written>& written, const Score& score) {
  std::map<int, const ScoreNote*> by_source;
  for (const auto& n : score.notes) by_source[n.source] = &n;
  int64_t first = INT64_MAX;
  for (const auto& n : score.notes) first = std::min(first, n.onset);
  int ok = 0;
  for (size_t i = 0; i < written.size(); ++i) {
    const auto it = by_source.find(static_cast<int>(i));
    if (it == by_source.end()) continue;
    const int64_t on = std::llround((written[i].onset_q - written[0].onset_q) * kDivisions);
    const int64_t du = std::llround(written[i].duration_q * kDivisions);
    ok += it->second->onset - first == on && it->second->duration == du;
  }
  return static_cast<double>(ok) / written.size();
}

// A jig: quarter + eighth twice per 6/8 bar; the left hand holds a bass note and a chord per bar.
std::vector<Written> jig(int bars) {
  auto tune = melody({{0, 1}, {1, 0.5}, {1.5, 1}, {2.5, 0.5}}, 3.0, bars, {74, 71, 72, 76, 74, 69, 71, 67});
  auto bass = melody({{0, 3}}, 3.0, bars, {43, 50, 48, 45});
  auto chord = melody({{0, 3}}, 3.0, bars, {59, 57, 60, 57});
  auto chord2 = melody({{0, 3}}, 3.0, bars, {55, 54, 55, 52});
  tune.insert(tune.end(), bass.begin(), bass.end());
  tune.insert(tune.end(), chord.begin(), chord.end());
  tune.insert(tune.end(), chord2.begin(), chord2.end());
  return tune;
}

std::vector<Written> waltz(int bars) {
  auto tune = melody({{0, 2}, {2, 1}}, 3.0, bars, {76, 72, 74, 71, 72, 67});
  auto bass = melody({{0, 1}}, 3.0, bars, {48, 43, 47, 48, 41, 43});
  auto chords = melody({{1, 1}, {2, 1}}, 3.0, bars, {64, 64, 62, 62, 64, 64});
  tune.insert(tune.end(), bass.begin(), bass.end());
  tune.insert(tune.end(), chords.begin(), chords.end());
  return tune;
}

// Oom-pah-pah: a melody in even quarters (no cue for the downbeat of its own), a single bass note
// on beat 1 and a three-note chord on beats 2 and 3.
std::vector<Written> oompah(int bars) {
  auto tune = melody({{0, 1}, {1, 1}, {2, 1}}, 3.0, bars, {76, 74, 72, 71, 72, 74, 76, 79, 77});
  auto bass = melody({{0, 1}}, 3.0, bars, {48, 43, 45, 41});
  for (int voice : {0, 1, 2}) {
    auto chord = melody({{1, 1}, {2, 1}}, 3.0, bars, {55 + voice * 4, 55 + voice * 4, 55 + voice * 3, 55 + voice * 3});
    bass.insert(bass.end(), chord.begin(), chord.end());
  }
  tune.insert(tune.end(), bass.begin(), bass.end());
  return tune;
}

// 4/4 with a one-quarter pickup: melody in quarters and eighths, half-note bass.
std::vector<Written> march_with_pickup(int bars) {
  std::vector<Written> w = {{67, 0, 1}};
  auto tune = melody({{0, 1}, {1, 0.5}, {1.5, 0.5}, {2, 1}, {3, 1}}, 4.0, bars, {72, 74, 76, 72, 79, 77, 76, 74, 72, 71}, 1.0);
  auto bass = melody({{0, 2}, {2, 2}}, 4.0, bars, {48, 55, 53, 55}, 1.0);
  w.insert(w.end(), tune.begin(), tune.end());
  w.insert(w.end(), bass.begin(), bass.end());
  return w;
}

}  // namespace

TEST_CASE("6/8 jig played with jitter and drift: meter, tempo and rhythm recovered") {
  const auto written = jig(16);
  const auto events = perform(written, 110, 0.012, 0.06);
  TimeGrid grid;
  const auto score = engrave(events, {}, grid);
  CHECK(score.time == TimeSignature{6, 8});
  CHECK(score.pickup == 0);
  CHECK(match_share(written, score) >= 0.95);
  // The tempo map follows the playing: about 110 quarters per minute.
  REQUIRE_FALSE(score.tempos.empty());
  CHECK(score.tempos.front().bpm == doctest::Approx(110).epsilon(0.1));
}

TEST_CASE("3/4 waltz: three beats per bar, downbeat on the long note") {
  const auto written = waltz(16);
  const auto score = engrave(perform(written, 120, 0.01), {});
  CHECK(score.time == TimeSignature{3, 4});
  CHECK(score.pickup == 0);
  CHECK(match_share(written, score) >= 0.95);
}

TEST_CASE("oom-pah-pah waltz: the bass note, not the fuller chord, marks the downbeat") {
  const auto written = oompah(16);
  const auto score = engrave(perform(written, 132, 0.012, 0.04), {});
  CHECK(score.time == TimeSignature{3, 4});
  CHECK(score.pickup == 0);
  CHECK(match_share(written, score) >= 0.95);
}

TEST_CASE("4/4 with a pickup: the anacrusis becomes an implicit measure 0") {
  const auto written = march_with_pickup(12);
  const auto score = engrave(perform(written, 100, 0.01), {});
  CHECK(score.time == TimeSignature{4, 4});
  CHECK(score.pickup == kDivisions);
  REQUIRE(score.measures.size() >= 2);
  CHECK(score.measures[0].pickup);
  CHECK(score.measures[0].number == 0);
  CHECK(score.measures[0].length == kDivisions);
  CHECK(score.measures[1].number == 1);
  CHECK(match_share(written, score) >= 0.95);
}

TEST_CASE("16ths quantise to 16ths; a triplet group with agreeing onsets becomes triplets") {
  // Quarter, two 16ths + eighth, then a run of 16ths, over a steady bass.
  std::vector<Written> w;
  for (int bar = 0; bar < 8; ++bar) {
    const double b = bar * 4.0;
    w.push_back({72, b, 1});
    w.push_back({74, b + 1, 0.25});
    w.push_back({76, b + 1.25, 0.25});
    w.push_back({77, b + 1.5, 0.5});
    for (int i = 0; i < 4; ++i) w.push_back({79 - i, b + 2 + 0.25 * i, 0.25});
    w.push_back({72, b + 3, 1});
    w.push_back({48, b, 2});
    w.push_back({43, b + 2, 2});
  }
  const auto score = engrave(perform(w, 90, 0.008), {});
  CHECK(score.time.bar_length() == 4 * kDivisions);
  CHECK(match_share(w, score) >= 0.95);
  int sixteenths = 0;
  for (const auto& n : score.notes) sixteenths += n.duration == kDivisions / 4;
  CHECK(sixteenths >= 40);

  // Plain eighths, and triplet eighths on beat 3 of every bar.
  std::vector<Written> t;
  for (int bar = 0; bar < 8; ++bar) {
    const double b = bar * 4.0;
    for (int i = 0; i < 4; ++i) t.push_back({72 + (i % 2) * 2, b + 0.5 * i, 0.5});
    for (int i = 0; i < 3; ++i) t.push_back({74 + i, b + 2 + i / 3.0, 1 / 3.0});
    t.push_back({79, b + 3, 1});
    t.push_back({48, b, 2});
    t.push_back({43, b + 2, 2});
  }
  const auto triplets = engrave(perform(t, 80, 0.005), {});
  CHECK(triplets.time == TimeSignature{4, 4});
  int triplet_notes = 0;
  for (const auto& n : triplets.notes) triplet_notes += n.duration == kDivisions / 3;
  CHECK(triplet_notes >= 20);
  CHECK(match_share(t, triplets) >= 0.9);
}

TEST_CASE("quantize keeps chord notes together and every duration positive") {
  const auto written = waltz(4);
  auto events = perform(written, 120, 0.015);
  const auto grid = track_time(events);
  const auto q = quantize(events, grid);
  REQUIRE(q.size() == written.size());
  std::map<int64_t, int> per_onset;
  for (const auto& n : q) {
    CHECK(n.duration > 0);
    CHECK(n.onset % 2 == 0);
    ++per_onset[n.onset];
  }
  // Bass + two chord notes per beat after the first: never split across two grid points.
  for (const auto& [onset, count] : per_onset) CHECK(count <= 3);
}

TEST_CASE("no notes is an error, a single note is a score") {
  CHECK_THROWS_AS(engrave({}, {}), cadenza::Error);
  const auto one = engrave({{60, 0.0, 0.5, 90 / 127.0}}, {});
  CHECK(one.notes.size() == 1);
  CHECK(one.measures.size() >= 1);
}

TEST_CASE("a forced time signature is used as given") {
  EngraveOptions opt;
  opt.time = TimeSignature{2, 4};
  const auto score = engrave(perform(march_with_pickup(6), 100), opt);
  CHECK(score.time == TimeSignature{2, 4});
}
