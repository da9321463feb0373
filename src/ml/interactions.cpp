#include "cadenza/ml/interactions.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cadenza/core/error.hpp"

namespace cadenza::ml {

Interactions Interactions::from_pairs(std::vector<Interaction> pairs, std::int32_t n_users, std::int32_t n_items) {
  if (n_users < 0 || n_items < 0) throw Error{ErrorKind::BadRequest, "interactions: negative matrix size"};
  std::int32_t max_user = -1, max_item = -1;
  for (const auto& p : pairs) {
    if (p.user < 0 || p.item < 0) throw Error{ErrorKind::BadRequest, "interactions: negative user or item index"};
    if (!std::isfinite(p.weight) || p.weight <= 0)
      throw Error{ErrorKind::BadRequest, "interactions: weight must be finite and > 0, got " + std::to_string(p.weight)};
    max_user = std::max(max_user, p.user);
    max_item = std::max(max_item, p.item);
  }
  if (n_users == 0) n_users = max_user + 1;
  if (n_items == 0) n_items = max_item + 1;
  if (max_user >= n_users || max_item >= n_items)
    throw Error{ErrorKind::BadRequest, "interactions: index beyond " + std::to_string(n_users) + " users x " +
                                           std::to_string(n_items) + " items"};
  std::sort(pairs.begin(), pairs.end(), [](const Interaction& a, const Interaction& b) {
    return a.user != b.user ? a.user < b.user : a.item != b.item ? a.item < b.item : a.weight > b.weight;
  });
  Interactions m;
  m.n_users_ = n_users;
  m.n_items_ = n_items;
  m.row_ptr_.assign(std::size_t(n_users) + 1, 0);
  m.items_.reserve(pairs.size());
  m.weights_.reserve(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& p = pairs[i];
    if (i > 0 && pairs[i - 1].user == p.user && pairs[i - 1].item == p.item) continue;  // largest weight came first
    m.items_.push_back(p.item);
    m.weights_.push_back(p.weight);
    m.weighted_ = m.weighted_ || p.weight != 1.0f;
    ++m.row_ptr_[std::size_t(p.user) + 1];
  }
  for (std::size_t u = 0; u < std::size_t(n_users); ++u) m.row_ptr_[u + 1] += m.row_ptr_[u];
  return m;
}

Interactions Interactions::from_csr(std::int32_t n_users, std::int32_t n_items, std::vector<std::int64_t> row_ptr,
                                    std::vector<std::int32_t> items, std::vector<float> weights) {
  auto bad = [](const std::string& why) { return Error{ErrorKind::Unprocessable, "interactions: " + why}; };
  if (n_users < 0 || n_items < 0) throw bad("negative matrix size");
  if (row_ptr.size() != std::size_t(n_users) + 1 || row_ptr.front() != 0 ||
      row_ptr.back() != std::int64_t(items.size()) || weights.size() != items.size())
    throw bad("row pointers do not match the entries");
  Interactions m;
  for (std::size_t u = 0; u < std::size_t(n_users); ++u) {
    if (row_ptr[u + 1] < row_ptr[u]) throw bad("row pointers decrease");
    for (auto k = row_ptr[u]; k < row_ptr[u + 1]; ++k) {
      if (items[k] < 0 || items[k] >= n_items || (k > row_ptr[u] && items[k] <= items[k - 1]))
        throw bad("items out of range or unsorted in row " + std::to_string(u));
      if (!std::isfinite(weights[k]) || weights[k] <= 0) throw bad("weight not > 0");
      m.weighted_ = m.weighted_ || weights[k] != 1.0f;
    }
  }
  m.n_users_ = n_users;
  m.n_items_ = n_items;
  m.row_ptr_ = std::move(row_ptr);
  m.items_ = std::move(items);
  m.weights_ = std::move(weights);
  return m;
}

std::span<const std::int32_t> Interactions::items_of(std::int32_t user) const {
  if (user < 0 || user >= n_users_) return {};
  return {items_.data() + row_ptr_[user], std::size_t(row_ptr_[user + 1] - row_ptr_[user])};
}

std::span<const float> Interactions::weights_of(std::int32_t user) const {
  if (user < 0 || user >= n_users_) return {};
  return {weights_.data() + row_ptr_[user], std::size_t(row_ptr_[user + 1] - row_ptr_[user])};
}

bool Interactions::contains(std::int32_t user, std::int32_t item) const {
  auto row = items_of(user);
  return std::binary_search(row.begin(), row.end(), item);
}

}  // namespace cadenza::ml
