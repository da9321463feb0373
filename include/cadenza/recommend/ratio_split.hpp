#pragma once
// RecBole's ratio split for offline evaluation (eval_args split {'RS': [0.8, 0.1, 0.1]}, group_by user,
// order RO): each user's items, in a random order, are cut into train / valid / test. The counts follow
// RecBole's Dataset._calcu_split_ids: every part but the first is floor(ratio * n), the first gets the
// rest, then (while the first keeps more than one) each later part that would be empty although its
// ratio * n is above 0 takes one item from the first. Torch-free.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace cadenza::recommend {

using UserItems = std::vector<std::vector<std::int32_t>>;  // items per user (dense user index)

struct RatioSplit {
  UserItems train, valid, test;
};

// How many of `total` items go to each part. Ratios need not sum to 1 (they are normalised).
std::array<std::size_t, 3> ratio_split_counts(std::size_t total, std::array<double, 3> ratios = {0.8, 0.1, 0.1});

// Shuffles each user's items (Fisher-Yates over a std::mt19937_64 seeded with `seed`, users in order,
// so a seed gives the same split on every platform) and cuts them by ratio_split_counts.
RatioSplit split_by_ratio(const UserItems& per_user, std::uint64_t seed, std::array<double, 3> ratios = {0.8, 0.1, 0.1});

}  // namespace cadenza::recommend
