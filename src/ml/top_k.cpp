#include "cadenza/ml/top_k.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cadenza::ml {

std::vector<ItemScore> top_k_scores(std::span<const float> scores, int k, std::span<const std::int32_t> excluded) {
  if (k < 1 || scores.empty()) return {};
  std::vector<char> skip(scores.size(), 0);
  for (auto i : excluded)
    if (i >= 0 && std::size_t(i) < scores.size()) skip[i] = 1;
  std::vector<ItemScore> all;
  all.reserve(scores.size());
  constexpr float lowest = -std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < scores.size(); ++i)
    if (!skip[i]) all.push_back({std::int32_t(i), std::isnan(scores[i]) ? lowest : scores[i]});
  auto better = [](const ItemScore& a, const ItemScore& b) {
    return a.score != b.score ? a.score > b.score : a.item < b.item;
  };
  const auto n = std::min<std::size_t>(std::size_t(k), all.size());
  std::partial_sort(all.begin(), all.begin() + std::ptrdiff_t(n), all.end(), better);
  all.resize(n);
  return all;
}

}  // namespace cadenza::ml
