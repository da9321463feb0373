// EASE^R: the dual form the model computes against the primal closed form, written out here in plain
// double arithmetic (B = I - P diag(1/diag P), P = (X^T X + lambda I)^-1), plus the model file format.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/ml/basic_pitch.hpp"
#include "cadenza/ml/ease.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::ml;

namespace {

using Matrix = std::vector<std::vector<double>>;

// Gauss-Jordan inverse with partial pivoting (the matrices here are small and well conditioned).
Matrix inverse(Matrix a) {
  const std::size_t n = a.size();
  Matrix inv(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) inv[i][i] = 1;
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    std::swap(a[c], a[pivot]);
    std::swap(inv[c], inv[pivot]);
    const double d = a[c][c];
    for (std::size_t k = 0; k < n; ++k) a[c][k] /= d, inv[c][k] /= d;
    for (std::size_t r = 0; r < n; ++r) {
      if (r == c || a[r][c] == 0) continue;
      const double f = a[r][c];
      for (std::size_t k = 0; k < n; ++k) a[r][k] -= f * a[c][k], inv[r][k] -= f * inv[c][k];
    }
  }
  return inv;
}

struct Case {
  Interactions x;
  Matrix dense;  // users x items
};

Case random_case(int users, int items, double density, bool weighted, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Case c;
  c.dense.assign(users, std::vector<double>(items, 0.0));
  std::vector<Interaction> pairs;
  for (int a = 0; a < users; ++a)
    for (int i = 0; i < items; ++i)
      if (u(rng) < density) {
        float w = weighted ? float(1 + std::floor(u(rng) * 4)) : 1.0f;
        c.dense[a][i] = w;
        pairs.push_back({a, i, w});
      }
  c.x = Interactions::from_pairs(pairs, users, items);
  return c;
}

// Primal EASE: B (items x items), with EDLAE's per-item L2 weight when dropout > 0.
Matrix primal_b(const Matrix& x, double lambda, double dropout = 0) {
  const std::size_t nu = x.size(), ni = x[0].size();
  Matrix g(ni, std::vector<double>(ni, 0.0));
  for (std::size_t i = 0; i < ni; ++i)
    for (std::size_t j = 0; j < ni; ++j) {
      for (std::size_t a = 0; a < nu; ++a) g[i][j] += x[a][i] * x[a][j];
    }
  for (std::size_t i = 0; i < ni; ++i) g[i][i] += lambda + dropout / (1 - dropout) * g[i][i];
  Matrix p = inverse(g);
  Matrix b(ni, std::vector<double>(ni, 0.0));
  for (std::size_t i = 0; i < ni; ++i)
    for (std::size_t j = 0; j < ni; ++j) b[i][j] = (i == j ? 1.0 : 0.0) - p[i][j] / p[j][j];
  return b;
}

std::vector<double> times(const std::vector<double>& row, const Matrix& b) {
  std::vector<double> s(b[0].size(), 0.0);
  for (std::size_t i = 0; i < row.size(); ++i)
    for (std::size_t j = 0; j < s.size(); ++j) s[j] += row[i] * b[i][j];
  return s;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(double(a[i]) - b[i]));
  return d;
}

}  // namespace

TEST_CASE("EASE dual form agrees with the primal closed form") {
  struct Shape {
    int users, items;
    double density, lambda;
    bool weighted;
    double dropout = 0;
  };
  // Fewer users than items (the case the dual is for), more users than items, and weights.
  for (auto s : {Shape{9, 31, 0.3, 2.5, false}, Shape{25, 8, 0.4, 1.0, false}, Shape{12, 20, 0.35, 7.0, true},
                 Shape{10, 24, 0.3, 1.5, false, 0.4}, Shape{14, 18, 0.3, 3.0, true, 0.25}}) {
    CAPTURE(s.users);
    CAPTURE(s.items);
    auto c = random_case(s.users, s.items, s.density, s.weighted, unsigned(s.users * 100 + s.items));
    CAPTURE(s.dropout);
    auto b = primal_b(c.dense, s.lambda, s.dropout);
    auto model = EaseModel::fit(c.x, {s.lambda, 2, s.dropout});
    CHECK(model.n_users() == s.users);
    CHECK(model.n_items() == s.items);
    double worst = 0, scale = 0;
    for (int u = 0; u < s.users; ++u) {
      auto want = times(c.dense[u], b);
      for (double v : want) scale = std::max(scale, std::abs(v));
      worst = std::max(worst, max_abs_diff(model.scores(u), want));
    }
    CHECK(scale > 0.05);  // the scores are not trivially zero
    CHECK(worst < 1e-4);

    // A profile that was not in the training data: x B from the primal, x P = (x - x X^T K X) / lambda.
    std::vector<std::int32_t> items{0, 3, 5};
    std::vector<double> x(s.items, 0.0);
    for (auto i : items) x[i] = 1;
    CHECK(max_abs_diff(model.scores_for(items), times(x, b)) < 1e-4);
  }
}

TEST_CASE("EASE scores of a training user's own items equal its stored scores, and top_k ranks them") {
  auto c = random_case(10, 40, 0.25, false, 7);
  auto model = EaseModel::fit(c.x, {3.0, 1});
  for (int u = 0; u < 10; ++u) {
    auto mine = model.scores(u);
    auto items = c.x.items_of(u);
    auto fresh = model.scores_for(items);
    for (std::size_t j = 0; j < mine.size(); ++j) CHECK(fresh[j] == doctest::Approx(mine[j]).epsilon(1e-4));

    auto top = model.top_k(u, 5);
    REQUIRE(top.size() == 5);
    std::set<std::int32_t> seen(items.begin(), items.end());
    float best_unseen = -1e30f;
    for (int j = 0; j < model.n_items(); ++j)
      if (!seen.count(j)) best_unseen = std::max(best_unseen, mine[j]);
    CHECK(top[0].score == best_unseen);
    for (std::size_t r = 0; r < top.size(); ++r) {
      CHECK_FALSE(seen.count(top[r].item));
      CHECK(top[r].score == mine[top[r].item]);
      if (r > 0) CHECK(top[r - 1].score >= top[r].score);
    }
    auto with_seen = model.top_k(u, model.n_items(), false);
    CHECK(with_seen.size() == std::size_t(model.n_items()));
    auto for_profile = model.top_k_for(items, 5);
    REQUIRE(for_profile.size() == 5);
    CHECK(for_profile[0].item == top[0].item);
  }
  CHECK_THROWS_AS(model.scores(10), Error);
  CHECK_THROWS_AS(model.scores_for(std::vector<std::int32_t>{40}), Error);
}

TEST_CASE("EASE fit checks lambda, reports its stages and stops when cancelled") {
  auto c = random_case(6, 12, 0.4, false, 3);
  CHECK_THROWS_AS(EaseModel::fit(c.x, {0.0, 1}), Error);
  CHECK_THROWS_AS(EaseModel::fit(c.x, {-1.0, 1}), Error);
  CHECK_THROWS_AS(EaseModel::fit(c.x, {1.0, 1, 0.0, NAN}), Error);
  CHECK_THROWS_AS(EaseModel::fit(c.x, {1.0, 1, 1.0}), Error);
  CHECK_THROWS_AS(EaseModel::fit(Interactions{}, {1.0, 1}), Error);
  std::vector<std::string> stages;
  auto model = EaseModel::fit(c.x, {1.0, 1}, [&](double, std::string_view s) {
    if (stages.empty() || stages.back() != s) stages.emplace_back(s);
  });
  CHECK(stages == std::vector<std::string>{"gram", "solve", "diagonal"});
  int calls = 0;
  CHECK_THROWS_AS(EaseModel::fit(c.x, {1.0, 1}, {}, [&] { return ++calls > 1; }), Cancelled);
}

TEST_CASE("EASE model files round-trip and refuse a wrong version, a truncated or a corrupt file") {
  auto c = random_case(8, 20, 0.3, true, 11);
  auto model = EaseModel::fit(c.x, {2.0, 2, 0.2, 0.3});
  test::TempDir dir;
  auto path = dir.path() / "ease.bin";
  model.save(path);
  auto back = EaseModel::load(path);
  CHECK(back.n_users() == 8);
  CHECK(back.n_items() == 20);
  CHECK(back.lambda() == 2.0);
  CHECK(back.dropout() == 0.2);
  CHECK(back.popularity_exponent() == 0.3);
  for (int u = 0; u < 8; ++u) CHECK(back.scores(u) == model.scores(u));

  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto write = [&](const std::string& b) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << b;
  };
  auto message_of_load = [&]() -> std::string {
    try {
      EaseModel::load(path);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::Unprocessable);
      return e.what();
    }
    return "loaded";
  };
  write(bytes.substr(0, bytes.size() - 5));
  CHECK(message_of_load().find("truncated") != std::string::npos);
  write(bytes.substr(0, 12));
  CHECK(message_of_load().find("truncated") != std::string::npos);
  auto other_version = bytes;
  other_version[8] = char(EaseModel::kFormatVersion + 1);
  write(other_version);
  CHECK(message_of_load().find("version " + std::to_string(EaseModel::kFormatVersion + 1)) != std::string::npos);
  auto corrupt = bytes;
  corrupt[bytes.size() / 2] ^= 0x40;
  write(corrupt);
  CHECK(message_of_load().find("checksum") != std::string::npos);
  write("not a model at all, just some text here...");
  CHECK(message_of_load().find("magic") != std::string::npos);
  std::filesystem::remove(path);
  CHECK_THROWS_AS(EaseModel::load(path), Error);
}

TEST_CASE("Interactions keep one entry per pair and reject bad input; top_k_scores breaks ties by item") {
  auto x = Interactions::from_pairs({{1, 4, 1}, {0, 2, 1}, {1, 4, 3}, {1, 0, 1}});
  CHECK(x.n_users() == 2);
  CHECK(x.n_items() == 5);
  CHECK(x.nnz() == 3);
  CHECK(x.weighted());
  REQUIRE(x.items_of(1).size() == 2);
  CHECK(x.items_of(1)[0] == 0);
  CHECK(x.items_of(1)[1] == 4);
  CHECK(x.weights_of(1)[1] == 3.0f);
  CHECK(x.contains(0, 2));
  CHECK_FALSE(x.contains(0, 4));
  CHECK_THROWS_AS(Interactions::from_pairs({{0, 5, 1}}, 1, 5), Error);
  CHECK_THROWS_AS(Interactions::from_pairs({{-1, 0, 1}}), Error);
  CHECK_THROWS_AS(Interactions::from_pairs({{0, 0, 0}}), Error);

  std::vector<float> s{0.5f, 2.0f, 2.0f, -1.0f, 3.0f};
  std::vector<std::int32_t> excluded{4};
  auto top = top_k_scores(s, 3, excluded);
  REQUIRE(top.size() == 3);
  CHECK(top[0].item == 1);
  CHECK(top[1].item == 2);
  CHECK(top[2].item == 0);
  CHECK(top_k_scores(s, 10).size() == 5);
  CHECK(top_k_scores(s, 0).empty());
}

TEST_CASE("EASE's popularity exponent scales each item's scores by (1 + popularity)^-beta") {
  auto c = random_case(10, 16, 0.35, false, 5);
  auto plain = EaseModel::fit(c.x, {2.0, 1});
  auto lifted = EaseModel::fit(c.x, {2.0, 1, 0.0, 0.5});
  CHECK(lifted.popularity_exponent() == 0.5);
  std::vector<double> pop(16, 0.0);
  for (auto i : c.x.items()) pop[std::size_t(i)] += 1;
  for (int u = 0; u < 10; ++u) {
    auto a = plain.scores(u), b = lifted.scores(u);
    for (int j = 0; j < 16; ++j) CHECK(b[j] == doctest::Approx(a[j] / std::sqrt(1 + pop[j])).epsilon(1e-5));
  }
  lifted.set_popularity_exponent(0);
  CHECK(lifted.scores(3) == plain.scores(3));
  CHECK_THROWS_AS(lifted.set_popularity_exponent(INFINITY), Error);
}
