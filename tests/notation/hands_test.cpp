// Hand split, voices and arrangements.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "cadenza/notation/engrave.hpp"
#include "cadenza/notation/hand_splitter.hpp"
#include "notation/notation_fixture.hpp"

using namespace cadenza::notation;
using namespace notation_test;

namespace {

// Four-part chorale-like texture: soprano/alto above tenor/bass, with the tenor above middle C
// and an alto passing note in eighths.
std::vector<Written> satb(int bars, std::vector<int>* staff_of) {
  const int s[] = {72, 74, 76, 74, 72, 71, 72, 74};
  const int a[] = {67, 67, 69, 67, 64, 65, 64, 67};
  const int t[] = {64, 62, 60, 62, 60, 62, 60, 62};
  const int b[] = {52, 55, 53, 55, 57, 55, 53, 50};
  std::vector<Written> w;
  for (int q = 0; q < bars * 4; ++q) {
    const int i = q % 8;
    w.push_back({s[i], double(q), 1});
    staff_of->push_back(1);
    if (q % 4 == 1) {
      w.push_back({a[i], double(q), 0.5});
      w.push_back({a[i] + 2, q + 0.5, 0.5});
      staff_of->push_back(1);
      staff_of->push_back(1);
    } else {
      w.push_back({a[i], double(q), 1});
      staff_of->push_back(1);
    }
    w.push_back({t[i], double(q), 1});
    w.push_back({b[i], double(q), 1});
    staff_of->push_back(2);
    staff_of->push_back(2);
  }
  return w;
}

// Notes sounding at each onset, per staff.
std::map<std::pair<int, int64_t>, std::vector<int>> sounding(const Score& score) {
  std::map<std::pair<int, int64_t>, std::vector<int>> out;
  for (const auto& a : score.notes) out[{a.staff, a.onset}];
  for (auto& [key, pitches] : out)
    for (const auto& b : score.notes)
      if (b.staff == key.first && b.onset <= key.second && b.onset + b.duration > key.second) pitches.push_back(b.pitch);
  return out;
}

}  // namespace

TEST_CASE("chorale texture: soprano and alto on the treble staff, tenor and bass on the bass staff") {
  std::vector<int> staff_of;
  const auto w = satb(8, &staff_of);
  const auto score = engrave(perform(w, 80, 0.01), {});
  int ok = 0, total = 0;
  for (const auto& n : score.notes) {
    REQUIRE(n.source >= 0);
    ok += n.staff == staff_of[n.source];
    ++total;
  }
  CHECK(total == static_cast<int>(w.size()));
  CHECK(ok >= total * 95 / 100);
  // The alto's eighths under the soprano's quarter need a second voice on the treble staff.
  bool voice2 = false;
  for (const auto& n : score.notes) voice2 |= n.staff == 1 && n.voice == 2;
  CHECK(voice2);
}

TEST_CASE("the split follows the music: a low melody stays in the right hand above a lower bass") {
  // Melody around B3..E4 (below middle C at times) over a bass two octaves lower.
  auto w = melody({{0, 1}, {1, 1}, {2, 1}, {3, 1}}, 4.0, 8, {59, 62, 64, 57, 59, 60, 62, 64});
  auto bass = melody({{0, 2}, {2, 2}}, 4.0, 8, {36, 40, 38, 43});
  w.insert(w.end(), bass.begin(), bass.end());
  const auto score = engrave(perform(w, 100), {});
  for (const auto& n : score.notes) CHECK(n.staff == (n.pitch >= 55 ? 1 : 2));
}

TEST_CASE("voices in one staff never overlap except as equal chords") {
  std::vector<int> staff_of;
  const auto score = engrave(perform(satb(4, &staff_of), 90, 0.01), {});
  for (const auto& a : score.notes)
    for (const auto& b : score.notes) {
      if (&a == &b || a.staff != b.staff || a.voice != b.voice) continue;
      const bool overlap = a.onset < b.onset + b.duration && b.onset < a.onset + a.duration;
      if (overlap) {
        CHECK(a.onset == b.onset);
        CHECK(a.duration == b.duration);
      }
    }
}

TEST_CASE("piano arrangement: doublings merged, short notes dropped, hands playable") {
  // Thick chords: two hands' worth of notes plus a doubled pitch and a 30 ms blip.
  std::vector<cadenza::NoteEvent> ev;
  for (int i = 0; i < 16; ++i) {
    const double t = 0.5 + i * 0.5;
    for (int p : {36, 43, 48, 52, 55, 60, 64, 67, 72, 76, 79, 84}) ev.push_back({p, t, t + 0.95, 80 / 127.0});
    ev.push_back({72, t + 0.01, t + 0.4, 70 / 127.0});  // doubling
    ev.push_back({90, t + 0.2, t + 0.23, 50 / 127.0});  // very short
  }
  EngraveOptions opt;
  opt.arrangement = Arrangement::Piano;
  const auto score = engrave(ev, opt);
  for (const auto& n : score.notes) CHECK(n.pitch != 90);
  for (const auto& [key, pitches] : sounding(score)) {
    CHECK(pitches.size() <= 5);
    const auto [lo, hi] = std::minmax_element(pitches.begin(), pitches.end());
    CHECK(*hi - *lo <= 12);
    std::vector<int> sorted = pitches;
    std::sort(sorted.begin(), sorted.end());
    CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  }
  // The transcription keeps everything.
  const auto full = engrave(ev, {});
  CHECK(full.notes.size() > score.notes.size());
}

TEST_CASE("easy arrangement: one melody line on top, one bass note per beat at most") {
  std::vector<int> staff_of;
  const auto w = satb(8, &staff_of);
  EngraveOptions opt;
  opt.arrangement = Arrangement::Easy;
  const auto score = engrave(perform(w, 80, 0.01), opt);
  std::map<int64_t, int> rh_onsets;
  int rh = 0, lh = 0;
  for (const auto& n : score.notes) {
    if (n.staff == 1) {
      ++rh;
      CHECK(++rh_onsets[n.onset] == 1);
      CHECK(n.pitch >= 70);  // the soprano line (72..76)
    } else {
      ++lh;
      CHECK(n.pitch <= 55);
      CHECK(n.duration >= score.time.beat_length());
    }
  }
  // Monophonic melody: no overlaps in the right hand.
  for (const auto& [k, pitches] : sounding(score))
    if (k.first == 1) CHECK(pitches.size() == 1);
  CHECK(rh == 32);
  CHECK(lh > 0);
  CHECK(lh <= 32);
}
