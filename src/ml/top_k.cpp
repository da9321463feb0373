#include "cadenza/ml/top_k.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cadenza::ml {

std::vector<ItemScore> top_k_scores(std::span<const float> scores, int k, std::span<const std::int32_t> excluded) {
  if (k < 1 || scores.empty()) return {};
  std::vector<std::int32_t> skip(excluded.begin(), excluded.end());
  std::sort(skip.begin(), skip.end());
  // "a before b": higher score, then lower item. The heap keeps the k best with the worst on top.
  auto better = [](const ItemScore& a, const ItemScore& b) {
    return a.score != b.score ? a.score > b.score : a.item < b.item;
  };
  constexpr float lowest = -std::numeric_limits<float>::infinity();
  std::vector<ItemScore> heap;
  heap.reserve(std::size_t(k) + 1);
  auto next_skip = skip.begin();
  for (std::size_t i = 0; i < scores.size(); ++i) {
    while (next_skip != skip.end() && *next_skip < std::int32_t(i)) ++next_skip;
    if (next_skip != skip.end() && *next_skip == std::int32_t(i)) continue;
    const ItemScore c{std::int32_t(i), std::isnan(scores[i]) ? lowest : scores[i]};
    if (heap.size() < std::size_t(k)) {
      heap.push_back(c);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(c, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = c;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), better);
  return heap;
}

}  // namespace cadenza::ml
