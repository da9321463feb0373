// Compound tokens: classes, meter-aware positions, errors, and the round trip over the real corpus.
#include <doctest/doctest.h>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/tokens.hpp"
#include "generate_fixture.hpp"

using namespace cadenza::generate;

TEST_CASE("tokens: duration, velocity and tempo classes") {
  for (size_t c = 0; c < kDurationTicks.size(); ++c) {
    CHECK(duration_class(kDurationTicks[c]) == int(c));
    CHECK(duration_ticks(int(c)) == kDurationTicks[c]);
  }
  CHECK(duration_ticks(duration_class(7)) == 8);    // 7 is nearer 8 than 6 by ratio
  CHECK(duration_ticks(duration_class(11)) == 12);
  CHECK(duration_ticks(duration_class(1000)) == 384);
  CHECK(duration_ticks(duration_class(0)) == 1);
  CHECK(velocity_of(velocity_class(90)) == 88);
  CHECK(velocity_class(1) == 0);
  CHECK(velocity_class(127) == 7);
  for (int v = 1; v <= 127; ++v) CHECK(std::abs(velocity_of(velocity_class(v)) - v) <= 8);
  CHECK(tempo_class(40) == 0);
  CHECK(tempo_class(120) == 5);
  CHECK(tempo_class(250) == 7);
  for (int c = 0; c < 8; ++c) CHECK(tempo_class(tempo_of(c)) == c);
  const auto& v = vocabulary();
  CHECK(v[kPosition].size == 72);
  CHECK(v[kPitch].size == 88);
  CHECK(v[kMeter].size == int(supported_meters().size()));
}

TEST_CASE("tokens: positions follow the meter (3/4 has 36 per bar)") {
  Piece p;
  p.id = "waltz";
  p.meter = {3, 4};
  p.key_tonic = 2;
  p.mode = Mode::Minor;
  p.notes = {{0, 12, 62, 88}, {35, 1, 64, 88}, {36, 24, 65, 88}, {36, 24, 69, 88}, {36 * 4 + 12, 6, 67, 24}};
  const auto t = encode(p);
  REQUIRE(t.size() == 7);
  CHECK(t[0].type() == TokenType::Controls);
  CHECK(supported_meters()[size_t(t[0][kMeter])] == Meter{3, 4});
  CHECK(t[0][kTonic] == 2);
  CHECK(t[0][kMode] == int(Mode::Minor));
  CHECK(t[1][kBar] == 0);
  CHECK(t[2][kPosition] == 35);
  CHECK(t[3][kBar] == 1);
  CHECK(t[3][kPosition] == 0);
  CHECK(t[4][kBar] == 0);  // a chord: same onset
  CHECK(t[5][kBar] == 3);  // bar 1 -> bar 4
  CHECK(t[5][kPosition] == 12);
  CHECK(t[6].type() == TokenType::End);
  const auto d = decode(t);
  CHECK(d.meter == Meter{3, 4});
  CHECK(d.notes == p.notes);  // durations in the table, velocities at their classes' centres
}

TEST_CASE("tokens: what does not encode, and malformed sequences") {
  Piece p;
  p.id = "gap";
  p.notes = {{0, 12, 60, 80}, {48 * 9, 12, 60, 80}};  // a silence of 9 bars in 4/4
  CHECK_THROWS_AS(encode(p), cadenza::Error);
  p.notes = {{0, 12, 20, 80}};
  CHECK_THROWS_AS(encode(p), cadenza::Error);
  p.notes = {{0, 12, 60, 80}};
  p.meter = {5, 8};
  CHECK_THROWS_AS(encode(p), cadenza::Error);

  CHECK_THROWS_AS(decode({}), cadenza::Error);
  CHECK_THROWS_AS(decode({note_token(0, 0, 60, 12, 80)}), cadenza::Error);
  Controls c;
  c.meter = {3, 4};
  CHECK_THROWS_AS(decode({controls_token(c), note_token(0, 40, 60, 12, 80)}), cadenza::Error);  // 40 >= 36
  CHECK_NOTHROW(decode({controls_token(c), note_token(0, 35, 60, 12, 80)}));
  CHECK_THROWS_AS(decode({controls_token(c), note_token(0, 36, 60, 12, 80)}), cadenza::Error);  // 36 positions
  c.meter = {6, 8};
  CHECK_NOTHROW(decode({controls_token(c), note_token(0, 35, 60, 12, 80)}));
  CHECK_THROWS_AS(decode({controls_token(c), note_token(0, 36, 60, 12, 80)}), cadenza::Error);
  c.meter = {4, 4};
  CHECK_NOTHROW(decode({controls_token(c), note_token(0, 47, 60, 12, 80)}));
  CHECK_THROWS_AS(decode({controls_token(c), note_token(0, 48, 60, 12, 80)}), cadenza::Error);
  c.meter = {3, 4};
  auto bad = note_token(0, 0, 60, 12, 80);
  bad[kPitch] = 88;
  CHECK_THROWS_AS(decode({controls_token(c), bad}), cadenza::Error);
  // reading stops at the end token
  CHECK(decode({controls_token(c), note_token(0, 0, 60, 12, 80), end_token(), note_token(0, 0, 62, 12, 80)}).notes.size() == 1);
}

TEST_CASE("tokens: controls from a prompt and from a piece") {
  const auto c = parse_prompt("slow sad waltz in G").controls;
  const auto t = controls_token(c);
  CHECK(t[kTonic] == 7);
  CHECK(t[kMode] == int(Mode::Minor));
  CHECK(supported_meters()[size_t(t[kMeter])] == Meter{3, 4});
  CHECK(t[kTempo] == tempo_class(70));
  CHECK(t[kEnergy] == unit_class(c.energy));
  Piece sparse, dense;
  for (int i = 0; i < 8; ++i) sparse.notes.push_back({i * 24, 24, 60, 80});   // half notes: 0.5 per quarter
  for (int i = 0; i < 64; ++i) dense.notes.push_back({i * 3, 3, 60, 80});     // 16ths: 4 per quarter
  CHECK(piece_density(sparse) == 0);                               // log2(0.5) = -1: below every piece
  CHECK(unit_class(piece_density(dense)) == 7);                     // log2(4) = 2: the busiest eighth
  CHECK(piece_density(dense) < 1);
  CHECK(piece_energy(dense) > piece_energy(sparse));
  Piece faster = sparse;
  faster.tempo_bpm = 240;
  CHECK(piece_energy(faster) > piece_energy(sparse));
  Piece louder = sparse;
  for (auto& n : louder.notes) n.velocity = 120;
  CHECK(piece_energy(louder) > piece_energy(sparse));
  CHECK(piece_density(Piece{}) == 0);
}

TEST_CASE("tokens: every corpus piece encodes and decodes to its notes up to the classes") {
  if (!generate_test::have_data()) {
    MESSAGE("skipped: ../shared/datasets is not here");
    return;
  }
  const auto& pieces = generate_test::corpus();
  int64_t notes = 0, exact_durations = 0, tokens = 0;
  for (const auto& p : pieces) {
    CAPTURE(p.id);
    std::vector<Token> t;
    REQUIRE_NOTHROW(t = encode(p));
    REQUIRE(t.size() == p.notes.size() + 2);
    tokens += int64_t(t.size());
    const auto d = decode(t);
    CHECK(d.meter == p.meter);
    CHECK(d.key_tonic == p.key_tonic);
    CHECK(d.style == p.style);
    REQUIRE(d.notes.size() == p.notes.size());
    const int64_t bar = p.bar_ticks();
    for (size_t i = 0; i < p.notes.size(); ++i) {
      const auto& a = p.notes[i];
      const auto& b = d.notes[i];
      if (a.onset != b.onset || a.pitch != b.pitch || b.duration != duration_ticks(duration_class(a.duration)) ||
          b.velocity != velocity_of(velocity_class(a.velocity)) || t[i + 1][kPosition] >= bar) {
        FAIL_CHECK("note " << i << " differs");
        break;
      }
      exact_durations += a.duration == b.duration;
    }
    notes += int64_t(p.notes.size());
    // transpositions encode too
    for (int s : {-5, 5})
      if (auto q = transposed(p, s)) CHECK_NOTHROW(encode(*q));
  }
  MESSAGE(notes << " notes, " << tokens << " tokens; durations exact for " << 100.0 * exact_durations / notes << "%");
  CHECK(double(exact_durations) / notes > 0.995);
}

TEST_CASE("tokens: density and energy classes each hold about an eighth of the train pieces") {
  if (!generate_test::have_data()) {
    MESSAGE("skipped: ../shared/datasets is not here");
    return;
  }
  const auto train = of_split(generate_test::corpus(), Split::Train);
  int density[8] = {}, energy[8] = {};
  int chorale_energy = 0, folk_energy = 0, chorales = 0;
  for (const auto& p : train) {
    const auto t = controls_token(p);
    ++density[t[kDensity]];
    ++energy[t[kEnergy]];
    if (p.style == Style::Chorale) chorale_energy += t[kEnergy], ++chorales;
    else folk_energy += t[kEnergy];
  }
  for (int k = 0; k < 8; ++k) {
    CAPTURE(k);
    CHECK(density[k] > int(train.size()) / 14);
    CHECK(density[k] < int(train.size()) / 6);
    CHECK(energy[k] > int(train.size()) / 14);
    CHECK(energy[k] < int(train.size()) / 6);
  }
  // chorales are the calmer music
  CHECK(double(chorale_energy) / chorales < double(folk_energy) / double(train.size() - size_t(chorales)));
}
