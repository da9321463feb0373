// The Kneser-Ney table and the n-gram baseline: normalisation, learning, held-out NLL on the real
// corpus, and sampling (deterministic per seed, inside the bar and the scale when asked).
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <map>
#include <memory>
#include <set>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/markov.hpp"
#include "generate_fixture.hpp"

using namespace cadenza::generate;

TEST_CASE("n-gram: distributions sum to 1 and agree with prob(), at every order") {
  for (int order = 0; order <= KneserNey::kMaxOrder; ++order) {
    CAPTURE(order);
    KneserNey kn(5, order);
    int h[3] = {5, 5, 5};
    const int seq[] = {0, 1, 2, 0, 1, 2, 0, 1, 3, 4, 0, 1, 2};
    for (int s : seq) {
      kn.add(order % 2, h, s);
      h[2] = h[1], h[1] = h[0], h[0] = s;
    }
    kn.finish();
    std::vector<double> d;
    for (const auto& hist : {std::array<int, 3>{1, 0, 2}, std::array<int, 3>{4, 4, 4}, std::array<int, 3>{5, 5, 5}}) {
      for (int base : {0, 1, 7}) {
        kn.distribution(base, hist.data(), d);
        CHECK(std::accumulate(d.begin(), d.end(), 0.0) == doctest::Approx(1.0));
        for (int s = 0; s < 5; ++s) {
          CHECK(d[size_t(s)] > 0);
          CHECK(kn.prob(base, hist.data(), s) == doctest::Approx(d[size_t(s)]));
        }
      }
    }
  }
  CHECK_THROWS_AS(KneserNey(0, 2), cadenza::Error);
  CHECK_THROWS_AS(KneserNey(10, 5), cadenza::Error);
}

TEST_CASE("n-gram: a longer context learns a cycle that the unigram cannot") {
  KneserNey uni(3, 0), tri(3, 3);
  int h[3] = {3, 3, 3};
  for (int i = 0; i < 300; ++i) {
    const int s = i % 3;
    uni.add(0, h, s);
    tri.add(0, h, s);
    h[2] = h[1], h[1] = h[0], h[0] = s;
  }
  uni.finish();
  tri.finish();
  const int after_0[3] = {0, 2, 1};
  CHECK(uni.prob(0, after_0, 1) == doctest::Approx(1.0 / 3).epsilon(0.05));
  CHECK(tri.prob(0, after_0, 1) > 0.95);
  CHECK(tri.prob(0, after_0, 2) < 0.03);
}

namespace {

// Scale runs in 4/4, in several keys: time and pitch follow a pattern a bigram sees.
std::vector<Piece> runs(int count, int first_key) {
  std::vector<Piece> out;
  for (int k = 0; k < count; ++k) {
    Piece p;
    p.id = "run" + std::to_string(k);
    p.key_tonic = (first_key + k * 7) % 12;
    const int scale[] = {0, 2, 4, 5, 7, 9, 11, 12};
    for (int i = 0; i < 64; ++i) p.notes.push_back({i * 6, 6, 60 + p.key_tonic + scale[i % 8], 80});
    out.push_back(p);
  }
  return out;
}

}  // namespace

TEST_CASE("markov: higher orders fit a patterned corpus better, and sampling is deterministic") {
  std::vector<double> nll;
  for (int order = 0; order <= 3; ++order) {
    MarkovModel m(order);
    m.train(runs(8, 0));
    nll.push_back(m.nll(runs(2, 3)).per_note);
  }
  CHECK(nll[1] < nll[0]);
  CHECK(nll[2] < nll[1] - 1.0);
  CHECK(nll[3] <= nll[2] + 0.01);
  for (double x : nll) CHECK(std::isfinite(x));

  MarkovModel m(3);
  m.train(runs(8, 0));
  Controls c;
  c.key_tonic = 2;
  c.length = {Length::Unit::Bars, 4};
  const auto a = m.sample(c, 7, 1000), b = m.sample(c, 7, 1000);
  CHECK(a.notes == b.notes);
  REQUIRE(!a.notes.empty());
  CHECK(a.notes.back().onset < 4 * 48);  // four bars
  CHECK(m.sample(c, 7, 5).notes.size() == 5);
  // the runs are learnt relative to the tonic: in D they are D major runs
  int steps = 0;
  for (size_t i = 1; i < a.notes.size(); ++i) steps += std::abs(a.notes[i].pitch - a.notes[i - 1].pitch) <= 2;
  CHECK(steps > int(a.notes.size()) / 2);
  c.meter = {5, 8};
  CHECK_THROWS_AS(m.sample(c, 1, 10), cadenza::Error);
}

namespace {

const MarkovModel& corpus_model(int order) {
  static std::map<int, std::unique_ptr<MarkovModel>> models;
  auto& m = models[order];
  if (!m) {
    m = std::make_unique<MarkovModel>(order);
    m->train(of_split(generate_test::corpus(), Split::Train));
  }
  return *m;
}

}  // namespace

TEST_CASE("markov: held-out NLL on the real corpus falls with the order") {
  if (!generate_test::have_data()) {
    MESSAGE("skipped: ../shared/datasets is not here");
    return;
  }
  const auto valid = of_split(generate_test::corpus(), Split::Valid);
  double previous = 1e9;
  for (int order = 0; order <= 3; ++order) {
    const auto r = corpus_model(order).nll(valid);
    MESSAGE("order " << order << ": " << r.per_note << " nats per note (time " << r.per_field[0] << ", pitch "
                     << r.per_field[1] << ", duration " << r.per_field[2] << ", velocity " << r.per_field[3] << ")");
    CHECK(std::isfinite(r.per_note));
    CHECK(r.per_note < previous);
    CHECK(r.notes == count(valid).notes[int(Split::Valid)]);
    previous = r.per_note;
  }
  // a uniform guess over each field's vocabulary
  CHECK(previous < std::log(576.0) + std::log(99.0) + std::log(40.0) + std::log(8.0) - 5);
}

TEST_CASE("markov: samples stay in the bar and the scale when asked, and follow the seed") {
  if (!generate_test::have_data()) {
    MESSAGE("skipped: ../shared/datasets is not here");
    return;
  }
  const auto& m = corpus_model(3);
  auto c = parse_prompt("slow sad waltz in D minor, 16 bars").controls;
  const auto a = m.sample_tokens(c, 42, 400), b = m.sample_tokens(c, 42, 400), other = m.sample_tokens(c, 43, 400);
  CHECK(a == b);
  CHECK(a != other);
  REQUIRE(a.size() > 20);
  const auto piece = decode(a);  // throws for a position outside the bar
  for (const auto& n : piece.notes) {
    const int degree = ((n.pitch - 2) % 12 + 12) % 12;
    CHECK(std::set<int>{0, 2, 3, 5, 7, 8, 10, 11}.count(degree) == 1);
    CHECK(n.onset < 16 * 36);
  }
  // a chorale in 3/4: no such chorale was seen, so the model backs off to all meters' positions;
  // the mask keeps them inside 36 ticks
  c.style = Style::Chorale;
  int outside_masked = 0, outside_free = 0;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    for (const auto& t : m.sample_tokens(c, seed, 200)) outside_masked += t.type() == TokenType::Note && t[kPosition] >= 36;
    SampleOptions free;
    free.respect_meter = false;
    for (const auto& t : m.sample_tokens(c, seed, 200, free)) outside_free += t.type() == TokenType::Note && t[kPosition] >= 36;
  }
  CHECK(outside_masked == 0);
  CHECK(outside_free > 0);
  // chords rise in pitch within an onset, as encode() orders them
  const auto chorale = m.sample(parse_prompt("chorale in G major").controls, 3, 200);
  for (size_t i = 1; i < chorale.notes.size(); ++i)
    if (chorale.notes[i].onset == chorale.notes[i - 1].onset) CHECK(chorale.notes[i].pitch > chorale.notes[i - 1].pitch);
}

TEST_CASE("markov: samples keep to the style's pitch range unless told not to") {
  if (!generate_test::have_data()) {
    MESSAGE("skipped: ../shared/datasets is not here");
    return;
  }
  const auto& m = corpus_model(3);
  const auto [lo, hi] = m.pitch_range(Style::Folk);
  CHECK(lo >= 36);
  CHECK(hi <= 88);
  CHECK(hi - lo > 24);
  const auto c = parse_prompt("a reel in D, 32 bars").controls;
  int outside = 0, outside_free = 0;
  SampleOptions free;
  free.respect_range = false;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    for (const auto& n : m.sample(c, seed, 400).notes) outside += n.pitch < lo || n.pitch > hi;
    for (const auto& n : m.sample(c, seed, 400, free).notes) outside_free += n.pitch < lo || n.pitch > hi;
  }
  CHECK(outside == 0);
  CHECK(outside_free > 0);
}
