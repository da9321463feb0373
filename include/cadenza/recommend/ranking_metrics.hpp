#pragma once
// Top-k ranking metrics exactly as RecBole defines them (recbole/evaluator/metrics.py), for one user's
// ranked list against the user's held-out items, and their mean over users. With hits h_1..h_k (1 when
// the item at rank i is held out) and n held-out items:
//   Recall@k    = sum h_i / n                 Precision@k = sum h_i / k
//   Hit@k       = 1 if any h_i                MRR@k       = 1 / (rank of the first hit), 0 if none
//   NDCG@k      = sum h_i / log2(i + 1)  divided by  sum_{i=1..min(n, k)} 1 / log2(i + 1)
// Users without held-out items are not counted (RecBole only evaluates users in the test set).
// Precision divides by k even when fewer than k items were ranked (RecBole's topk always fills k).
#include <cstddef>
#include <cstdint>
#include <span>

namespace cadenza::recommend {

struct RankingMetrics {
  double recall = 0, ndcg = 0, mrr = 0, hit = 0, precision = 0;
  std::size_t users = 0;  // users averaged over (in a mean), 1 for one user
};

// `ranked`: recommended items, best first (only the first k are read); `relevant`: the held-out items.
RankingMetrics user_metrics(std::span<const std::int32_t> ranked, std::span<const std::int32_t> relevant, int k);

// Mean of user_metrics over users.
class MetricsMean {
 public:
  void add(const RankingMetrics& one);
  void add(std::span<const std::int32_t> ranked, std::span<const std::int32_t> relevant, int k);
  RankingMetrics mean() const;

 private:
  RankingMetrics sum_;
};

}  // namespace cadenza::recommend
