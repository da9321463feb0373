// MarkovSampler: the n-gram baseline one note at a time (the same notes as sample_tokens), top_p, prefixes;
// and the model file (serialize / load) that the server reads, including the committed models/markov.bin.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/markov_sampler.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza::generate;

namespace {

// Scale runs in 4/4 with a chord now and then, in several keys.
std::vector<Piece> runs(int count) {
  std::vector<Piece> out;
  for (int k = 0; k < count; ++k) {
    Piece p;
    p.id = "run" + std::to_string(k);
    p.key_tonic = (k * 7) % 12;
    const int scale[] = {0, 2, 4, 5, 7, 9, 11, 12};
    for (int i = 0; i < 64; ++i) {
      p.notes.push_back({i * 6, 6 + (i % 3) * 6, 60 + p.key_tonic + scale[i % 8], 60 + (i % 4) * 10});
      if (i % 4 == 0) p.notes.push_back({i * 6, 12, 72 + p.key_tonic + scale[i % 8], 70});
    }
    std::sort(p.notes.begin(), p.notes.end(), [](const Note& a, const Note& b) {
      return a.onset != b.onset ? a.onset < b.onset : a.pitch < b.pitch;
    });
    out.push_back(p);
  }
  return out;
}

const MarkovModel& model() {
  static const MarkovModel m = [] {
    MarkovModel x(3);
    x.train(runs(8));
    return x;
  }();
  return m;
}

std::vector<Token> drain(NoteSampler& s) {
  std::vector<Token> out;
  while (auto t = s.next()) out.push_back(*t);
  return out;
}

Controls controls(int bars) {
  Controls c;
  c.key_tonic = 2;
  c.length = {Length::Unit::Bars, double(bars)};
  return c;
}

}  // namespace

TEST_CASE("markov sampler: next() gives sample_tokens' notes, deterministic per seed") {
  const auto c = controls(8);
  for (uint64_t seed : {1ULL, 7ULL, 12345ULL}) {
    CAPTURE(seed);
    SamplerSettings s;
    s.seed = seed;
    s.top_p = 1.0;
    MarkovSampler sampler(model(), c, s);
    const auto streamed = drain(sampler);
    auto whole = model().sample_tokens(c, seed, s.max_notes);
    REQUIRE(whole.size() >= 2);
    CHECK(whole.front().type() == TokenType::Controls);
    CHECK(whole.back().type() == TokenType::End);
    CHECK(std::vector<Token>(whole.begin() + 1, whole.end() - 1) == streamed);
    CHECK(!streamed.empty());
    CHECK(sampler.sampled() == int(streamed.size()));
    CHECK(!sampler.next());  // ended stays ended
    MarkovSampler again(model(), c, s);
    CHECK(drain(again) == streamed);
  }
  SamplerSettings a, b;
  a.seed = 1;
  b.seed = 2;
  MarkovSampler sa(model(), c, a), sb(model(), c, b);
  CHECK(drain(sa) != drain(sb));
  SamplerSettings few;
  few.max_notes = 5;
  MarkovSampler short_one(model(), c, few);
  CHECK(drain(short_one).size() == 5);
}

TEST_CASE("markov sampler: top_p narrows the choice; a tiny nucleus is greedy, whatever the seed") {
  const auto c = controls(4);
  SamplerSettings g1, g2;
  g1.seed = 1;
  g2.seed = 99;
  g1.top_p = g2.top_p = 1e-9;
  MarkovSampler s1(model(), c, g1), s2(model(), c, g2);
  const auto greedy = drain(s1);
  CHECK(!greedy.empty());
  CHECK(drain(s2) == greedy);
  // with the whole distribution, seeds disagree
  SamplerSettings f1 = g1, f2 = g2;
  f1.top_p = f2.top_p = 1.0;
  MarkovSampler t1(model(), c, f1), t2(model(), c, f2);
  CHECK(drain(t1) != drain(t2));
  SamplerSettings bad;
  bad.top_p = 0;
  CHECK_THROWS_AS(MarkovSampler(model(), c, bad), cadenza::Error);
  bad.top_p = 0.9;
  bad.temperature = 0;
  CHECK_THROWS_AS(MarkovSampler(model(), c, bad), cadenza::Error);
}

TEST_CASE("markov sampler: a prefix is continued, not repeated, and the length counts after it") {
  const auto c = controls(4);
  SamplerSettings s;
  s.seed = 3;
  MarkovSampler first(model(), c, s);
  const auto prefix = drain(first);
  REQUIRE(!prefix.empty());
  int64_t prefix_bars = 0;
  for (const auto& t : prefix) prefix_bars += t[kBar];
  MarkovSampler cont(model(), controls(2), s, prefix);
  const auto more = drain(cont);
  REQUIRE(!more.empty());
  CHECK(cont.bar() >= prefix_bars);
  CHECK(cont.bar() < prefix_bars + 1 + 2);  // the rest of the prefix's last bar, then two more
  CHECK(cont.bar_limit() == prefix_bars + 1 + 2);
  // the first new note does not start before the prefix's last one
  CHECK((more.front()[kBar] > 0 || more.front()[kPosition] >= prefix.back()[kPosition]));
  // the same prefix and seed: the same continuation
  MarkovSampler cont2(model(), controls(2), s, prefix);
  CHECK(drain(cont2) == more);
  std::vector<Token> not_notes = {end_token()};
  CHECK_THROWS_AS(MarkovSampler(model(), c, s, not_notes), cadenza::Error);
}

TEST_CASE("markov model file: serialize and load give the same model") {
  const auto bytes = model().serialize();
  CHECK(bytes.substr(0, 8) == "CADZMKV1");
  CHECK(model().serialize() == bytes);  // the same bytes every time
  const auto back = MarkovModel::deserialize(bytes);
  CHECK(back.order() == 3);
  CHECK(back.pitch_range(Style::Folk) == model().pitch_range(Style::Folk));
  CHECK(back.nll(runs(2)).per_note == doctest::Approx(model().nll(runs(2)).per_note));
  CHECK(back.sample_tokens(controls(8), 5, 500) == model().sample_tokens(controls(8), 5, 500));
  cadenza::test::TempDir dir;
  model().save(dir.path() / "m.bin");
  CHECK(MarkovModel::load(dir.path() / "m.bin").serialize() == bytes);
  CHECK_THROWS_AS(MarkovModel::deserialize("not a model"), cadenza::Error);
  CHECK_THROWS_AS(MarkovModel::deserialize(bytes.substr(0, bytes.size() / 2)), cadenza::Error);
  CHECK_THROWS_AS(MarkovModel::load(dir.path() / "missing.bin"), cadenza::Error);
}

TEST_CASE("markov model file: the committed models/markov.bin loads and samples in key and meter") {
  const std::filesystem::path path = "models/markov.bin";
  REQUIRE_MESSAGE(std::filesystem::exists(path), "models/markov.bin is committed (cadenza train-markov writes it)");
  CHECK(std::filesystem::file_size(path) < 3u << 20);
  const auto m = MarkovModel::load(path);
  Controls c;
  c.key_tonic = 2;
  c.mode = Mode::Minor;
  c.meter = {3, 4};
  c.length = {Length::Unit::Bars, 16};
  SamplerSettings s;
  s.seed = 11;
  MarkovSampler sampler(m, c, s);
  const auto notes = drain(sampler);
  CHECK(notes.size() > 16);
  const std::set<int> d_minor = {2, 4, 5, 7, 9, 10, 0, 1};  // natural minor + the raised 7th (C#)
  for (const auto& t : notes) {
    CHECK(t[kPosition] < 36);
    CHECK(d_minor.count((t[kPitch] + kLowestPitch) % 12) == 1);
  }
}
