// The transformer generator's data path (held-out windows, batches), its held-out NLL, and the sampler
// (determinism, masks, prefix, the window restart), on a tiny net.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/generator_training.hpp"
#include "cadenza/generate/transformer_sampler.hpp"
#include "cadenza/ml/runtime.hpp"
#include "generate_fixture.hpp"

using namespace cadenza;
using namespace cadenza::generate;

namespace {

Piece scale_piece(int notes, Meter meter = {4, 4}) {
  Piece p;
  p.id = "test/scale";
  p.meter = meter;
  for (int i = 0; i < notes; ++i) p.notes.push_back({int64_t(i) * 6, 6, 60 + (i % 8), 80});
  return p;
}

std::vector<Token> notes_of(TransformerSampler& s) {
  std::vector<Token> out;
  while (auto t = s.next()) out.push_back(*t);
  return out;
}

}  // namespace

TEST_CASE("held-out windows score every token once, with at least half a window of context") {
  for (int n : {0, 3, 15, 16, 17, 40, 97}) {
    const auto encoded = encode(scale_piece(n));  // controls + n notes + end
    const int W = 16;
    const auto windows = heldout_windows(encoded, W);
    std::vector<int> scored(encoded.size(), 0);
    size_t offset = 0;
    for (size_t w = 0; w < windows.size(); ++w) {
      const auto& win = windows[w];
      REQUIRE(win.tokens.size() <= size_t(W) + 1);
      CHECK(win.tokens[0] == encoded[0]);
      CHECK(win.scored[0] == 0);
      for (size_t t = 1; t < win.tokens.size(); ++t) {
        CHECK(win.tokens[t] == encoded[offset + t]);
        if (win.scored[t]) {
          ++scored[offset + t];
          if (w > 0) CHECK(t > size_t(W / 2));
        }
      }
      offset += size_t(W / 2);
    }
    for (size_t i = 1; i < encoded.size(); ++i) CHECK(scored[i] == 1);
  }
  const auto batch = make_batch(heldout_windows(encode(scale_piece(5)), 16));
  // 7 tokens: controls, 5 notes, end; targets 1..6: all types, the rest only on the 5 notes
  REQUIRE(batch.length == 7);
  int type_targets = 0, pitch_targets = 0;
  for (int t = 0; t < 7; ++t) type_targets += batch.loss_mask[size_t(t) * 6], pitch_targets += batch.loss_mask[size_t(t) * 6 + 3];
  CHECK(type_targets == 6);
  CHECK(pitch_targets == 5);
}

TEST_CASE("the generator's held-out NLL is the sum of its four factors and falls with training") {
  ml::IntraOpThreads one(1);
  const auto cfg = generator_config(GeneratorSize::Tiny);
  ml::GeneratorNet net(cfg, 3);
  std::vector<Piece> pieces{scale_piece(40), scale_piece(33, {3, 4})};
  const auto before = evaluate_generator(net, pieces);
  CHECK(before.nll.notes == 73);
  CHECK(before.nll.per_note == doctest::Approx(before.nll.per_field[0] + before.nll.per_field[1] +
                                               before.nll.per_field[2] + before.nll.per_field[3]));
  // at random init about the log of each vocabulary
  CHECK(before.nll.per_field[1] == doctest::Approx(std::log(88.0)).epsilon(0.15));
  std::vector<Window> rows;
  for (const auto& p : pieces)
    for (auto& w : heldout_windows(encode(p), window_notes(cfg))) rows.push_back(w);
  const auto batch = make_batch(rows);
  for (int s = 0; s < 60; ++s) net.train_step(batch, 3e-3);
  const auto after = evaluate_generator(net, pieces);
  CHECK(after.nll.per_note < 0.5 * before.nll.per_note);
}

TEST_CASE("the transformer sampler: seeded, masked, continues a prefix, outlives its window") {
  ml::IntraOpThreads one(1);
  ml::GeneratorNet net(generator_config(GeneratorSize::Tiny), 5);  // untrained: every value is likely
  net.set_metadata("range.0=55 79\nrange.1=40 70\n");
  CHECK(pitch_range(net, Style::Folk) == std::pair{55, 79});
  Controls c;
  c.key_tonic = 2;  // D major
  c.meter = {3, 4};
  c.length = {Length::Unit::Bars, 2000};  // an untrained net's bar deltas are anything in 0..7
  SamplerSettings s;
  s.seed = 42;
  s.temperature = 1.2;
  s.top_p = 0.98;
  s.max_notes = 60;

  TransformerSampler a(net, c, {}, s), b(net, c, {}, s);
  const auto notes = notes_of(a);
  CHECK(notes == notes_of(b));
  REQUIRE(notes.size() == 60);  // max_notes; more than three windows of 16 notes
  auto other = s;
  other.seed = 43;
  TransformerSampler d(net, c, {}, other);
  CHECK(notes_of(d) != notes);

  int64_t bar = 0;
  int prev_pos = -1, prev_pitch = -1;
  for (size_t i = 0; i < notes.size(); ++i) {
    const Token& t = notes[i];
    CHECK(t.type() == TokenType::Note);
    bar += t[kBar];
    CHECK(t[kPosition] < 36);  // 3/4
    const int pitch = t[kPitch] + kLowestPitch;
    CHECK(pitch >= 55);
    CHECK(pitch <= 79);
    const int degree = ((pitch - 2) % 12 + 12) % 12;
    CHECK(std::set<int>{0, 2, 4, 5, 7, 9, 11}.count(degree) == 1);
    if (i > 0 && t[kBar] == 0) {
      CHECK(t[kPosition] >= prev_pos);
      if (t[kPosition] == prev_pos) CHECK(pitch > prev_pitch);
    }
    prev_pos = t[kPosition];
    prev_pitch = pitch;
  }
  // the length: no note starts after the last bar
  auto short_c = c;
  short_c.length = {Length::Unit::Bars, 12};
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto ss = s;
    ss.seed = seed;
    TransformerSampler sh(net, short_c, {}, ss);
    int64_t bars = 0;
    for (const auto& t : notes_of(sh)) bars += t[kBar];
    CHECK(bars < 12);
  }

  // without the masks some note leaves them
  auto loose = s;
  loose.masks = {false, false, false, 1.0};
  TransformerSampler e(net, c, {}, loose);
  bool outside = false;
  for (const auto& t : notes_of(e)) outside = outside || t[kPosition] >= 36 || t[kPitch] + kLowestPitch < 55 || t[kPitch] + kLowestPitch > 79;
  CHECK(outside);

  // a prefix: continued, not repeated; its bars count toward the length
  std::vector<Token> prefix(notes.begin(), notes.begin() + 10);
  int64_t prefix_bars = 0;
  for (const auto& t : prefix) prefix_bars += t[kBar];
  TransformerSampler f(net, c, prefix, s);
  const auto cont = notes_of(f);
  REQUIRE(!cont.empty());
  CHECK(cont.size() == 60);  // max_notes counts the new notes only
  TransformerSampler g(net, short_c, prefix, s);  // the length counts after the prefix's last bar (as Markov's)
  const auto tail = notes_of(g);
  int64_t cont_bars = prefix_bars;
  for (const auto& t : tail) cont_bars += t[kBar];
  REQUIRE(!tail.empty());
  CHECK(cont_bars < prefix_bars + 1 + 12);
  if (cont.front()[kBar] == 0) CHECK(cont.front()[kPosition] >= prefix.back()[kPosition]);

  const auto piece = sample_piece(net, c, s);
  CHECK(piece.notes.size() == notes.size());

  auto bad = s;
  bad.top_p = 0;
  CHECK_THROWS_AS(TransformerSampler(net, c, {}, bad), Error);
}

TEST_CASE("the generator trains on the corpus: a tiny run lowers the held-out NLL") {
  if (!generate_test::have_data()) return;
  const auto& corpus = generate_test::corpus();
  GeneratorTrainOptions o;
  o.size = GeneratorSize::Tiny;
  o.steps = 120;
  o.minutes = 0;
  o.batch = 8;
  o.lr = 3e-3;
  o.warmup_steps = 10;
  o.validate_every = 60;
  const auto r = train_generator(corpus, o);
  CHECK(r.steps == 120);
  REQUIRE(r.valid_losses.size() == 2);
  CHECK(r.last_loss < r.first_loss - 1.0);
  CHECK(r.best_valid == doctest::Approx(std::min(r.valid_losses[0], r.valid_losses[1])));
  CHECK(r.best.nll.per_note < 14.0);  // untrained: about ln 8 + ln 72 + ln 88 + ln 40 + ln 8 = 17.6
}

TEST_CASE("the committed generator weights load, match the Small config and sample in key and meter") {
  const std::filesystem::path path = "models/generator.bin";
  REQUIRE(std::filesystem::exists(path));
  ml::IntraOpThreads one(1);
  const auto net = ml::GeneratorNet::load(path);
  CHECK(net.config() == generator_config(GeneratorSize::Small));
  const auto [lo, hi] = pitch_range(net, Style::Folk);
  CHECK(lo > kLowestPitch);
  CHECK(hi < kHighestPitch);
  Controls c;
  c.key_tonic = 7;  // G major, 6/8
  c.meter = {6, 8};
  c.length = {Length::Unit::Bars, 8};
  SamplerSettings s;
  s.seed = 3;
  const auto a = sample_piece(net, c, s), b = sample_piece(net, c, s);
  CHECK(a.notes == b.notes);
  CHECK(a.notes.size() >= 8);  // a trained net writes notes in most of the 8 bars
  for (const auto& n : a.notes) {
    CHECK(n.onset < 8 * 36);
    CHECK(std::set<int>{0, 2, 4, 5, 7, 9, 11}.count(((n.pitch - 7) % 12 + 12) % 12) == 1);
  }
}
