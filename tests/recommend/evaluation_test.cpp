// Offline evaluation helpers: RecBole's ratio split and its top-k metrics, on hand-checked cases.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/recommend/play_counts.hpp"
#include "cadenza/recommend/ranking_metrics.hpp"
#include "cadenza/recommend/ratio_split.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::recommend;

TEST_CASE("ratio_split_counts follows RecBole's _calcu_split_ids") {
  using C = std::array<std::size_t, 3>;
  CHECK(ratio_split_counts(50) == C{40, 5, 5});
  CHECK(ratio_split_counts(10) == C{8, 1, 1});
  CHECK(ratio_split_counts(19) == C{17, 1, 1});  // floor(1.9) for valid and test, the rest to train
  CHECK(ratio_split_counts(5) == C{3, 1, 1});    // 0.5 items each: one moved over from train
  CHECK(ratio_split_counts(3) == C{1, 1, 1});
  CHECK(ratio_split_counts(2) == C{1, 0, 1});    // test first; then train keeps its last item
  CHECK(ratio_split_counts(1) == C{1, 0, 0});
  CHECK(ratio_split_counts(0) == C{0, 0, 0});
  CHECK(ratio_split_counts(20, {8, 1, 1}) == C{16, 2, 2});  // ratios are normalised
  CHECK_THROWS_AS(ratio_split_counts(5, {0, 0, 0}), Error);
}

TEST_CASE("split_by_ratio partitions each user's items, reproducibly for a seed") {
  UserItems users;
  for (int u = 0; u < 6; ++u) {
    users.emplace_back();
    for (int i = 0; i < 10 + 7 * u; ++i) users.back().push_back(i * 3 + u);
  }
  auto a = split_by_ratio(users, 2020);
  auto b = split_by_ratio(users, 2020);
  auto c = split_by_ratio(users, 7);
  bool differs = false;
  for (std::size_t u = 0; u < users.size(); ++u) {
    auto n = ratio_split_counts(users[u].size());
    CHECK(a.train[u].size() == n[0]);
    CHECK(a.valid[u].size() == n[1]);
    CHECK(a.test[u].size() == n[2]);
    std::vector<std::int32_t> all = a.train[u];
    all.insert(all.end(), a.valid[u].begin(), a.valid[u].end());
    all.insert(all.end(), a.test[u].begin(), a.test[u].end());
    std::sort(all.begin(), all.end());
    CHECK(all == users[u]);
    CHECK(a.test[u] == b.test[u]);
    CHECK(a.train[u] == b.train[u]);
    differs = differs || a.test[u] != c.test[u];
  }
  CHECK(differs);
  // Shuffled, not cut in input order.
  bool reordered = false;
  for (std::size_t u = 0; u < users.size(); ++u)
    reordered = reordered || !std::equal(a.train[u].begin(), a.train[u].end(), users[u].begin());
  CHECK(reordered);
}

TEST_CASE("user_metrics: Recall, NDCG, MRR, Hit and Precision at k as RecBole computes them") {
  const std::vector<std::int32_t> ranked{5, 1, 9, 2};
  const std::vector<std::int32_t> relevant{1, 2, 7};
  auto m3 = user_metrics(ranked, relevant, 3);  // one hit, at rank 2
  CHECK(m3.users == 1);
  CHECK(m3.recall == doctest::Approx(1.0 / 3));
  CHECK(m3.precision == doctest::Approx(1.0 / 3));
  CHECK(m3.hit == 1.0);
  CHECK(m3.mrr == doctest::Approx(0.5));
  CHECK(m3.ndcg == doctest::Approx((1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0) + 0.5)));
  auto m4 = user_metrics(ranked, relevant, 4);  // hits at ranks 2 and 4
  CHECK(m4.recall == doctest::Approx(2.0 / 3));
  CHECK(m4.precision == doctest::Approx(0.5));
  CHECK(m4.mrr == doctest::Approx(0.5));
  CHECK(m4.ndcg == doctest::Approx((1 / std::log2(3.0) + 1 / std::log2(5.0)) / (1 + 1 / std::log2(3.0) + 0.5)));
  // IDCG stops at k when more items are held out than k.
  auto perfect = user_metrics(std::vector<std::int32_t>{1, 2}, relevant, 2);
  CHECK(perfect.ndcg == doctest::Approx(1.0));
  CHECK(perfect.recall == doctest::Approx(2.0 / 3));
  auto miss = user_metrics(std::vector<std::int32_t>{8, 9}, relevant, 2);
  CHECK(miss.hit == 0.0);
  CHECK(miss.mrr == 0.0);
  CHECK(miss.ndcg == 0.0);
  CHECK(user_metrics(ranked, {}, 3).users == 0);

  MetricsMean mean;
  mean.add(ranked, relevant, 4);
  mean.add(std::vector<std::int32_t>{8, 9}, relevant, 4);
  mean.add(ranked, {}, 4);  // not counted
  auto r = mean.mean();
  CHECK(r.users == 2);
  CHECK(r.recall == doctest::Approx(1.0 / 3));
  CHECK(r.hit == doctest::Approx(0.5));
  CHECK(r.precision == doctest::Approx(0.25));
  CHECK(r.mrr == doctest::Approx(0.25));
}

TEST_CASE("read_play_counts binarises a user_artists.dat table into dense indices") {
  test::TempDir dir;
  auto path = dir.path() / "user_artists.dat";
  {
    std::ofstream out(path);
    out << "userID\tartistID\tweight\n2\t51\t13883\n2\t52\t11690\n7\t51\t10\r\n2\t51\t7\n";
  }
  auto t = read_play_counts(path);
  CHECK(t.user_ids == std::vector<std::int64_t>{2, 7});
  CHECK(t.item_ids == std::vector<std::int64_t>{51, 52});
  CHECK(t.n_interactions == 3);
  CHECK(t.items_per_user[0] == std::vector<std::int32_t>{0, 1});
  CHECK(t.items_per_user[1] == std::vector<std::int32_t>{0});
  CHECK(t.counts_per_user[0][0] == 13890.0);
  {
    std::ofstream out(path, std::ios::app);
    out << "oops\n";
  }
  CHECK_THROWS_AS(read_play_counts(path), Error);
  CHECK_THROWS_AS(read_play_counts(dir.path() / "missing.dat"), Error);
}
