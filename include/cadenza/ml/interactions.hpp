#pragma once
// Interactions: an implicit-feedback users x items matrix in compressed sparse rows (CSR), the input of
// the collaborative models (ml::EaseModel). Users and items are dense indices 0..n-1; mapping the
// catalog's and the profiles' own ids onto them is the caller's business. Torch-free.
#include <cstdint>
#include <span>
#include <vector>

namespace cadenza::ml {

struct Interaction {
  std::int32_t user = 0;
  std::int32_t item = 0;
  float weight = 1.0f;  // > 0; 1 for plain implicit feedback
};

class Interactions {
 public:
  Interactions() = default;

  // Builds the matrix from (user, item, weight) triples in any order. n_users / n_items of 0 mean one
  // past the largest index seen. A pair given more than once is kept once, with its largest weight (so
  // 0/1 data stays 0/1). Throws Error(BadRequest) for a negative or out-of-range index, or a weight that
  // is not finite and > 0.
  static Interactions from_pairs(std::vector<Interaction> pairs, std::int32_t n_users = 0, std::int32_t n_items = 0);

  std::int32_t n_users() const { return n_users_; }
  std::int32_t n_items() const { return n_items_; }
  std::size_t nnz() const { return items_.size(); }
  // True when some weight differs from 1.
  bool weighted() const { return weighted_; }

  // The items of one user in increasing order, and their weights (same length).
  std::span<const std::int32_t> items_of(std::int32_t user) const;
  std::span<const float> weights_of(std::int32_t user) const;
  bool contains(std::int32_t user, std::int32_t item) const;

  // The raw CSR arrays: row_ptr has n_users + 1 entries.
  const std::vector<std::int64_t>& row_ptr() const { return row_ptr_; }
  const std::vector<std::int32_t>& items() const { return items_; }
  const std::vector<float>& weights() const { return weights_; }

  // Rebuilds from raw CSR arrays (a loaded model); throws Error(Unprocessable) when they are inconsistent
  // (row_ptr not non-decreasing from 0 to nnz, items unsorted or out of range, weights not > 0).
  static Interactions from_csr(std::int32_t n_users, std::int32_t n_items, std::vector<std::int64_t> row_ptr,
                               std::vector<std::int32_t> items, std::vector<float> weights);

 private:
  std::int32_t n_users_ = 0;
  std::int32_t n_items_ = 0;
  bool weighted_ = false;
  std::vector<std::int64_t> row_ptr_{0};
  std::vector<std::int32_t> items_;
  std::vector<float> weights_;
};

}  // namespace cadenza::ml
