#pragma once
// EASE^R (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): an item-item linear
// model with a zero diagonal, solved in closed form. Torch-free header; src/ml/ease.cpp holds the torch.
//
// The primal solution is P = (X^T X + lambda I)^-1 (items x items), B = I - P diag(1/diag P), S = X B.
// With far fewer users than items (Last.fm 2K: 1,892 x 17,632) this model uses the dual form, by the
// Woodbury identity P = (I - X^T K X) / lambda with K = (X X^T + lambda I)^-1 (users x users):
//   X P     = (X - X X^T K X) / lambda = (X - (K^-1 - lambda I) K X) / lambda = K X
//   diag(P)_j = (1 - x_j^T K x_j) / lambda          (x_j: column j of X)
//   S       = X - X P diag(P)^-1 = X - (K X) diag(P)^-1
// and, for a profile x that was not in the training data, x P = (x - (x X^T) K X) / lambda.
//
// Optionally the L2 weight is per item, Lambda = diag(lambda + p / (1 - p) * |x_j|^2): the dropout
// emphasis of Steck's EDLAE ("Autoencoders that don't overfit towards the identity", NeurIPS 2020),
// which penalises popular items' weights more; the zero diagonal and B = I - P diag(1/diag P) stay.
// With D = Lambda^-1 the same identities read (Woodbury again; p = 0 gives the lines above, K = lambda
// times the K there):
//   K = (I + X D X^T)^-1,  X P = K X D,  diag(P)_j = d_j - d_j^2 x_j^T K x_j,
//   x P = (x - (x D X^T) K X) D.
// Only K (Cholesky solve, in double), D, diag(P) and X (sparse) are kept: one user's scores cost one
// pass over the nonzeros of X, and the items x items matrix is never formed. tests/ml/ease_test.cpp
// checks the dual scores against the primal closed form on small random matrices.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "cadenza/core/progress.hpp"
#include "cadenza/ml/interactions.hpp"
#include "cadenza/ml/top_k.hpp"

namespace cadenza::ml {

struct EaseOptions {
  double lambda = 300.0;  // L2 weight, > 0
  // Threads for the fit (its own workers, each running torch with one intra-op thread, and torch's
  // intra-op threads around the solve; ml::IntraOpThreads); 0 = hardware concurrency. The LAPACK
  // Cholesky itself runs on the BLAS's threads, which ml::init_runtime sets for the whole process.
  int threads = 0;
  // EDLAE's dropout probability p in [0, 1): adds p / (1 - p) * |x_j|^2 to item j's L2 weight. 0 = EASE^R.
  double dropout = 0.0;
  // Ranking only: every score S[u, j] is multiplied by (1 + |x_j|^2)^-beta, |x_j|^2 the item's
  // (weighted) popularity in the training data, so beta > 0 lifts the long tail. 0 = the plain scores.
  double popularity_exponent = 0.0;
};

class EaseModel {
 public:
  static constexpr std::uint32_t kFormatVersion = 1;

  EaseModel();  // empty: no users, no items
  ~EaseModel();
  EaseModel(EaseModel&&) noexcept;
  EaseModel& operator=(EaseModel&&) noexcept;

  // Trains on `x` (a copy is kept to score its users). `progress` gets stages "gram", "solve",
  // "diagonal"; `cancelled` is polled between steps (throws ml::Cancelled, basic_pitch.hpp). Throws Error(BadRequest)
  // for lambda not > 0, dropout outside [0, 1) or an empty matrix.
  static EaseModel fit(const Interactions& x, const EaseOptions& options = {}, const Progress& progress = {},
                       const CancelCheck& cancelled = {});

  bool empty() const;
  std::int32_t n_users() const;
  std::int32_t n_items() const;
  double lambda() const;
  double dropout() const;
  double popularity_exponent() const;
  // Changes the ranking's popularity exponent without refitting (see EaseOptions).
  void set_popularity_exponent(double beta);
  const Interactions& interactions() const;

  // S[user, :] for every item (seen ones included), times the popularity scale when
  // popularity_exponent != 0. Throws Error(NotFound) for an unknown user.
  std::vector<float> scores(std::int32_t user) const;
  // Scores of a profile given by its items (and weights, default 1), e.g. a new listener:
  // s = x - x P diag(P)^-1 with x P = (x - (x X^T) K X) / lambda. Items out of range: Error(BadRequest).
  std::vector<float> scores_for(std::span<const std::int32_t> items, std::span<const float> weights = {}) const;

  // Best k items, highest score first (ties: lower item first), the user's own items left out when
  // `exclude_seen`.
  std::vector<ItemScore> top_k(std::int32_t user, int k, bool exclude_seen = true) const;
  std::vector<ItemScore> top_k_for(std::span<const std::int32_t> items, int k, bool exclude_seen = true) const;

  // A small binary file: header ("CDZEASE1" magic, format version, sizes, lambda), the arrays, and a
  // 64-bit FNV-1a checksum of everything before it; written atomically. load() throws
  // Error(Unavailable) when the file cannot be read and Error(Unprocessable) naming what is wrong for a
  // bad magic, another format version, a truncated or oversized file, or a checksum mismatch.
  void save(const std::filesystem::path& path) const;
  static EaseModel load(const std::filesystem::path& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cadenza::ml
