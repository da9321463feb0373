#include "cadenza/recommend/ranking_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace cadenza::recommend {

RankingMetrics user_metrics(std::span<const std::int32_t> ranked, std::span<const std::int32_t> relevant, int k) {
  RankingMetrics m;
  const std::unordered_set<std::int32_t> held(relevant.begin(), relevant.end());
  if (held.empty() || k < 1) return m;
  m.users = 1;
  const std::size_t n = std::min(ranked.size(), std::size_t(k));
  double hits = 0, dcg = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!held.count(ranked[i])) continue;
    if (hits == 0) m.mrr = 1.0 / double(i + 1);
    hits += 1;
    dcg += 1.0 / std::log2(double(i) + 2.0);
  }
  double idcg = 0;
  for (std::size_t i = 0; i < std::min(held.size(), std::size_t(k)); ++i) idcg += 1.0 / std::log2(double(i) + 2.0);
  m.recall = hits / double(held.size());
  m.precision = hits / double(k);
  m.hit = hits > 0 ? 1.0 : 0.0;
  m.ndcg = dcg / idcg;
  return m;
}

void MetricsMean::add(const RankingMetrics& one) {
  sum_.recall += one.recall;
  sum_.ndcg += one.ndcg;
  sum_.mrr += one.mrr;
  sum_.hit += one.hit;
  sum_.precision += one.precision;
  sum_.users += one.users;
}

void MetricsMean::add(std::span<const std::int32_t> ranked, std::span<const std::int32_t> relevant, int k) {
  add(user_metrics(ranked, relevant, k));
}

RankingMetrics MetricsMean::mean() const {
  RankingMetrics m;
  m.users = sum_.users;
  if (m.users == 0) return m;
  const double n = double(m.users);
  m.recall = sum_.recall / n;
  m.ndcg = sum_.ndcg / n;
  m.mrr = sum_.mrr / n;
  m.hit = sum_.hit / n;
  m.precision = sum_.precision / n;
  return m;
}

}  // namespace cadenza::recommend
