// GeneratorNet: the cached decoder against the full forward, a tiny net overfitting one sequence, and the
// weights file (round trip, corruption).
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/ml/generator_net.hpp"
#include "cadenza/ml/runtime.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::ml;

namespace {

// Three fields (a type-like field and two values); all three predicted.
GeneratorConfig tiny(double dropout = 0.0) {
  GeneratorConfig c;
  c.field_sizes = {3, 11, 7};
  c.heads = {0, 1, 2};
  c.d_model = 32;
  c.layers = 2;
  c.n_heads = 4;
  c.ff = 64;
  c.max_len = 40;
  c.dropout = dropout;
  return c;
}

std::vector<int32_t> random_tokens(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) {
    t.push_back(int32_t(rng() % 3));
    t.push_back(int32_t(rng() % 11));
    t.push_back(int32_t(rng() % 7));
  }
  return t;
}

GeneratorBatch one_sequence(const std::vector<int32_t>& tokens) {
  GeneratorBatch b;
  b.batch = 1;
  b.length = int(tokens.size() / 3);
  b.tokens = tokens;
  b.loss_mask.assign(size_t(b.length) * 3, 1);
  for (int h = 0; h < 3; ++h) b.loss_mask[size_t(h)] = 0;  // position 0 is no target
  return b;
}

}  // namespace

TEST_CASE("generator net: the cached decoder's logits equal the full forward's") {
  IntraOpThreads one(1);
  GeneratorNet net(tiny(), 7);
  const auto tokens = random_tokens(30, 3);
  const auto full = net.forward_logits(tokens);
  REQUIRE(full.size() == 30);
  GeneratorNet::Decoder dec(net);
  // a prefix of 5 tokens in one pass, then one token at a time
  dec.begin(std::span(tokens).first(15));
  double worst = 0;
  for (int t = 4; t < 29; ++t) {
    if (t > 4) dec.step(std::span(tokens).subspan(size_t(t) * 3, 3));
    CHECK(dec.length() == t + 1);
    for (int h = 0; h < 3; ++h) {
      std::vector<int> earlier;
      for (int j = 0; j < h; ++j) earlier.push_back(tokens[size_t(t + 1) * 3 + size_t(j)]);
      const auto got = dec.logits(h, earlier);
      REQUIRE(got.size() == full[size_t(t)][size_t(h)].size());
      for (size_t v = 0; v < got.size(); ++v) worst = std::max(worst, double(std::abs(got[v] - full[size_t(t)][size_t(h)][v])));
    }
  }
  CHECK(worst < 1e-4);
  // the conditioning matters: another earlier value gives other logits
  const auto a = dec.logits(2, std::vector<int>{1, 0});
  const auto b = dec.logits(2, std::vector<int>{1, 5});
  double diff = 0;
  for (size_t v = 0; v < a.size(); ++v) diff += std::abs(a[v] - b[v]);
  CHECK(diff > 1e-5);  // small weights at init: small but real differences
  // a full cache refuses another token
  GeneratorNet::Decoder full_dec(net);
  full_dec.begin(random_tokens(40, 5));
  CHECK_THROWS_AS(full_dec.step(std::span(tokens).first(3)), Error);
  CHECK_THROWS_AS(full_dec.begin(random_tokens(41, 5)), Error);
}

TEST_CASE("generator net: a tiny net overfits one short sequence") {
  IntraOpThreads one(1);
  GeneratorNet net(tiny(), 11);
  const auto batch = one_sequence(random_tokens(24, 9));
  const double before = net.evaluate(batch).total_mean();
  // at random init about ln 3 + ln 11 + ln 7 nats
  CHECK(before == doctest::Approx(std::log(3.0) + std::log(11.0) + std::log(7.0)).epsilon(0.2));
  for (int s = 0; s < 100; ++s) net.train_step(batch, 3e-3);
  const auto after = net.evaluate(batch);
  CHECK(after.count[0] == 23);
  CHECK(after.total_mean() < 0.25 * before);
}

TEST_CASE("generator net: save then load gives the same outputs; a damaged file is refused") {
  IntraOpThreads one(1);
  cadenza::test::TempDir dir;
  GeneratorNet net(tiny(0.1), 5);
  const auto batch = one_sequence(random_tokens(20, 2));
  for (int s = 0; s < 5; ++s) net.train_step(batch, 1e-3);  // weights other than the initial ones
  net.set_metadata("range.0=40 90\n");
  const auto path = dir.path() / "g.bin";
  net.save(path);
  auto loaded = GeneratorNet::load(path);
  CHECK(loaded.config() == net.config());
  CHECK(loaded.metadata() == "range.0=40 90\n");
  CHECK(loaded.parameter_count() == net.parameter_count());
  const auto tokens = random_tokens(12, 4);
  CHECK(loaded.forward_logits(tokens) == net.forward_logits(tokens));

  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& b) {
    std::ofstream out(dir.path() / "bad.bin", std::ios::binary);
    out << b;
  };
  auto flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x10;
  write(flipped);
  CHECK_THROWS_WITH_AS(GeneratorNet::load(dir.path() / "bad.bin"), doctest::Contains("checksum"), Error);
  write(bytes.substr(0, bytes.size() - 100));
  CHECK_THROWS_AS(GeneratorNet::load(dir.path() / "bad.bin"), Error);
  write("CDZEASE1" + bytes.substr(8));
  CHECK_THROWS_WITH_AS(GeneratorNet::load(dir.path() / "bad.bin"), doctest::Contains("magic"), Error);
  CHECK_THROWS_AS(GeneratorNet::load(dir.path() / "missing.bin"), Error);
}

TEST_CASE("generator net: bad configs and values are refused") {
  auto c = tiny();
  c.d_model = 30;  // not a multiple of 4 heads
  CHECK_THROWS_AS(GeneratorNet{c}, Error);
  c = tiny();
  c.heads = {3};
  CHECK_THROWS_AS(GeneratorNet{c}, Error);
  GeneratorNet net(tiny());
  auto tokens = random_tokens(4, 1);
  tokens[4] = 11;  // field 1 has 11 values
  CHECK_THROWS_AS(net.forward_logits(tokens), Error);
}
