#include "cadenza/recommend/ratio_split.hpp"

#include <random>
#include <utility>

#include "cadenza/core/error.hpp"

namespace cadenza::recommend {

std::array<std::size_t, 3> ratio_split_counts(std::size_t total, std::array<double, 3> ratios) {
  double sum = 0;
  for (double r : ratios) {
    if (!(r >= 0)) throw Error{ErrorKind::BadRequest, "split ratios must be >= 0"};
    sum += r;
  }
  if (!(sum > 0)) throw Error{ErrorKind::BadRequest, "split ratios must not all be 0"};
  for (double& r : ratios) r /= sum;
  const double tot = double(total);
  std::array<long long, 3> cnt{};
  for (std::size_t i = 0; i < 3; ++i) cnt[i] = static_cast<long long>(ratios[i] * tot);  // Python's int(): truncation
  cnt[0] = static_cast<long long>(total) - cnt[1] - cnt[2];
  for (std::size_t i = 1; i < 3; ++i) {  // ratios[-i]: the last part first
    if (cnt[0] <= 1) break;
    const double part = ratios[3 - i] * tot;
    if (0 < part && part < 1) {
      ++cnt[3 - i];
      --cnt[0];
    }
  }
  return {std::size_t(cnt[0]), std::size_t(cnt[1]), std::size_t(cnt[2])};
}

RatioSplit split_by_ratio(const UserItems& per_user, std::uint64_t seed, std::array<double, 3> ratios) {
  std::mt19937_64 rng(seed);
  RatioSplit s;
  s.train.resize(per_user.size());
  s.valid.resize(per_user.size());
  s.test.resize(per_user.size());
  for (std::size_t u = 0; u < per_user.size(); ++u) {
    auto items = per_user[u];
    for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[std::size_t(rng() % i)]);
    const auto n = ratio_split_counts(items.size(), ratios);
    s.train[u].assign(items.begin(), items.begin() + std::ptrdiff_t(n[0]));
    s.valid[u].assign(items.begin() + std::ptrdiff_t(n[0]), items.begin() + std::ptrdiff_t(n[0] + n[1]));
    s.test[u].assign(items.begin() + std::ptrdiff_t(n[0] + n[1]), items.end());
  }
  return s;
}

}  // namespace cadenza::recommend
