#pragma once
// Full ranking of a score vector: the best k items, the ones already seen left out. Torch-free.
#include <cstdint>
#include <span>
#include <vector>

namespace cadenza::ml {

struct ItemScore {
  std::int32_t item = 0;
  float score = 0;
};

// Best k of `scores` (highest first, ties: lower index first), leaving out the indices in `excluded`
// (any order; out-of-range ones ignored). NaN scores rank last. k < 1 gives nothing.
std::vector<ItemScore> top_k_scores(std::span<const float> scores, int k, std::span<const std::int32_t> excluded = {});

}  // namespace cadenza::ml
