// Key estimation and pitch spelling.
#include <doctest/doctest.h>

#include "cadenza/notation/engrave.hpp"
#include "cadenza/notation/key_finder.hpp"
#include "cadenza/notation/musicxml_writer.hpp"

#include <algorithm>
#include "notation/notation_fixture.hpp"

using namespace cadenza::notation;
using namespace notation_test;

namespace {

std::vector<QuantizedNote> scale_notes(const std::vector<int>& pitches, int64_t start, int repeats) {
  std::vector<QuantizedNote> out;
  int64_t t = start;
  for (int r = 0; r < repeats; ++r)
    for (int p : pitches) {
      out.push_back({p, t, kDivisions, 80, -1});
      t += kDivisions;
    }
  return out;
}

}  // namespace

TEST_CASE("spelling follows the key") {
  const KeySignature d_major{2, false}, a_minor{0, true}, f_major{-1, false}, eb_major{-3, false};
  auto s = spell(66, d_major);
  CHECK(s.step == 'F');
  CHECK(s.alter == 1);
  CHECK(s.octave == 4);
  s = spell(68, a_minor);  // leading tone
  CHECK(s.step == 'G');
  CHECK(s.alter == 1);
  s = spell(70, f_major);
  CHECK(s.step == 'B');
  CHECK(s.alter == -1);
  s = spell(63, eb_major);
  CHECK(s.step == 'E');
  CHECK(s.alter == -1);
  s = spell(60, KeySignature{7, false});  // B# in C# major
  CHECK(s.step == 'B');
  CHECK(s.alter == 1);
  CHECK(s.octave == 3);
  s = spell(59, KeySignature{-7, false});  // Cb in Cb major
  CHECK(s.step == 'C');
  CHECK(s.alter == -1);
  CHECK(s.octave == 4);
}

TEST_CASE("key of a melody: D major, E minor (harmonic), B-flat major") {
  CHECK(estimate_key(scale_notes({62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62}, 0, 3)) == KeySignature{2, false});
  CHECK(estimate_key(scale_notes({64, 66, 67, 69, 71, 72, 75, 76, 71, 67, 64, 59, 64}, 0, 3)) == KeySignature{1, true});
  CHECK(estimate_key(scale_notes({58, 60, 62, 63, 65, 67, 69, 70, 65, 62, 58}, 0, 3)) == KeySignature{-2, false});
}

TEST_CASE("a sustained modulation changes the key; a passing chromatic note does not") {
  const int64_t bar = 4 * kDivisions;
  auto c_major = scale_notes({60, 62, 64, 65, 67, 69, 71, 72}, 0, 8);              // 16 bars
  auto e_flat = scale_notes({63, 65, 67, 68, 70, 72, 74, 75}, 16 * bar, 8);        // 16 bars
  c_major.insert(c_major.end(), e_flat.begin(), e_flat.end());
  const auto spans = estimate_keys(c_major, bar, 0);
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].key == KeySignature{0, false});
  CHECK(spans[1].key == KeySignature{-3, false});
  CHECK(spans[1].bar >= 14);
  CHECK(spans[1].bar <= 17);

  auto plain = scale_notes({60, 62, 64, 65, 67, 69, 71, 72}, 0, 8);
  plain.push_back({66, 5 * bar, kDivisions / 2, 80, -1});  // one F# in bar 6
  const auto one = estimate_keys(plain, bar, 0);
  CHECK(one.size() == 1);
}

TEST_CASE("engraved score: key signature from the notes, F# spelled as F# in D major") {
  auto w = melody({{0, 1}, {1, 1}, {2, 1}, {3, 1}}, 4.0, 8, {62, 66, 69, 74, 73, 69, 66, 64, 62, 71, 67, 66});
  auto bass = melody({{0, 2}, {2, 2}}, 4.0, 8, {50, 45, 47, 43});
  w.insert(w.end(), bass.begin(), bass.end());
  const auto score = engrave(perform(w, 100), {});
  CHECK(score.key_at(0) == KeySignature{2, false});
  for (const auto& n : score.notes) {
    if (n.pitch % 12 == 6) {
      CHECK(n.spelling.step == 'F');
      CHECK(n.spelling.alter == 1);
    }
  }
}

TEST_CASE("accidentals: naturals cancel within the bar, cautionary accidentals in other octaves and the next bar") {
  // C major, 4/4. Bar 3: F#4, F5 (cautionary natural), F4 (natural). Bar 4: F#4 again.
  // Bar 5 starts with F4 (cautionary natural after bar 4 ended on F#).
  std::vector<Written> w;
  const int c_major[] = {60, 62, 64, 65, 67, 69, 71, 72};
  for (int q = 0; q < 8; ++q) w.push_back({c_major[q], double(q), 1});
  w.push_back({66, 8, 1});   // F#4
  w.push_back({77, 9, 1});   // F5: cautionary natural (F#4 earlier in the bar)
  w.push_back({65, 10, 1});  // F4: natural
  w.push_back({72, 11, 1});
  w.push_back({66, 12, 1});  // F#4 in bar 4
  w.push_back({67, 13, 1});
  w.push_back({64, 14, 1});
  w.push_back({62, 15, 1});
  w.push_back({65, 16, 1});  // bar 5: F4 gets a courtesy natural
  w.push_back({64, 17, 1});
  w.push_back({62, 18, 1});
  w.push_back({60, 19, 1});
  for (int q = 0; q < 20; q += 4) w.push_back({q % 8 ? 43 : 36, double(q), 4});
  EngraveOptions opt;
  opt.time = TimeSignature{4, 4};  // the rhythm alone could as well be 2/4
  const auto score = engrave(perform(w, 100), opt);
  REQUIRE(score.key_at(0) == KeySignature{0, false});
  REQUIRE(score.pickup == 0);
  const auto xml = to_musicxml(score);
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t p = xml.find(needle); p != std::string::npos; p = xml.find(needle, p + 1)) ++n;
    return n;
  };
  CHECK(count("<accidental>sharp</accidental>") == 2);
  CHECK(count("<accidental>natural</accidental>") == 1);
  CHECK(count("<accidental cautionary=\"yes\" parentheses=\"yes\">natural</accidental>") == 2);
}

TEST_CASE("progress is reported in order up to done") {
  std::vector<double> seen;
  std::vector<std::string> stages;
  engrave(perform(melody({{0, 1}, {1, 1}}, 2.0, 8, {60, 64, 67, 72}), 100), {}, [&](double f, std::string_view stage) {
    seen.push_back(f);
    stages.emplace_back(stage);
  });
  REQUIRE(seen.size() >= 3);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(seen.back() == 1.0);
  CHECK(stages.back() == "done");
}
