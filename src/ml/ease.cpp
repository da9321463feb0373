// EASE^R in its dual form (see ease.hpp for the derivation). The only torch in the recommender: the
// users x users Cholesky solve. Everything sparse (the Gram matrix X X^T, diag(P), the scores) is a
// plain loop over the nonzeros of X, split over the fit's worker threads.
#include "cadenza/ml/ease.hpp"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "cadenza/core/atomic_file.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/ml/basic_pitch.hpp"  // ml::Cancelled
#include "cadenza/ml/runtime.hpp"

namespace cadenza::ml {

struct EaseModel::Impl {
  Interactions x;
  double lambda = 0;
  double dropout = 0;
  std::vector<float> k;       // n_users x n_users, row-major: K = (I + X D X^T)^-1
  std::vector<float> item_d;  // n_items: D = Lambda^-1, Lambda_j = lambda + dropout / (1 - dropout) * |x_j|^2
  std::vector<float> diag_p;  // n_items: diag(P), P = (X^T X + Lambda)^-1
  double beta = 0;                 // popularity exponent of the ranking scores
  std::vector<float> rank_scale;   // n_items: (1 + |x_j|^2)^-beta; empty for beta = 0

  void set_beta(double b) {
    beta = b;
    rank_scale.clear();
    if (b == 0) return;
    std::vector<double> norm2(std::size_t(x.n_items()), 0.0);
    for (std::size_t p = 0; p < x.nnz(); ++p) norm2[std::size_t(x.items()[p])] += double(x.weights()[p]) * double(x.weights()[p]);
    rank_scale.resize(norm2.size());
    for (std::size_t j = 0; j < norm2.size(); ++j) rank_scale[j] = float(std::pow(1.0 + norm2[j], -b));
  }

  // (K X)[row, :] for a users-long vector `row` of K-space coefficients: sum_v row[v] X[v, :].
  void accumulate_rows(const double* coeff, std::vector<double>& out) const {
    out.assign(std::size_t(x.n_items()), 0.0);
    const auto& rp = x.row_ptr();
    const auto& it = x.items();
    const auto& w = x.weights();
    for (std::int32_t v = 0; v < x.n_users(); ++v) {
      const double c = coeff[v];
      if (c == 0) continue;
      for (auto p = rp[v]; p < rp[v + 1]; ++p) out[std::size_t(it[p])] += c * double(w[p]);
    }
  }

  // s = x - (x P) / diag(P), with x given densely.  (x P: see ease.hpp)
  std::vector<float> finish(const std::vector<double>& x_dense, const std::vector<double>& xp) const {
    std::vector<float> s(xp.size());
    for (std::size_t j = 0; j < xp.size(); ++j) s[j] = float(x_dense[j] - xp[j] / double(diag_p[j]));
    if (!rank_scale.empty())
      for (std::size_t j = 0; j < s.size(); ++j) s[j] *= rank_scale[j];
    return s;
  }
};

namespace {

// Runs body(begin, end) over [0, n) in `threads` contiguous chunks, one worker thread each; rethrows
// the first exception a worker threw.
template <class F>
void parallel_ranges(std::int64_t n, int threads, F&& body) {
  threads = int(std::clamp<std::int64_t>(threads, 1, std::max<std::int64_t>(1, n)));
  if (threads == 1) {
    body(std::int64_t(0), n);
    return;
  }
  std::exception_ptr error;
  std::mutex m;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        IntraOpThreads one(1);
        body(n * t / threads, n * (t + 1) / threads);
      } catch (...) {
        std::lock_guard lock(m);
        if (!error) error = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

// Column-major copy of the CSR matrix: for each item, its users and weights.
struct Columns {
  std::vector<std::int64_t> col_ptr;
  std::vector<std::int32_t> users;
  std::vector<float> weights;
};

Columns to_columns(const Interactions& x) {
  Columns c;
  c.col_ptr.assign(std::size_t(x.n_items()) + 1, 0);
  for (auto i : x.items()) ++c.col_ptr[std::size_t(i) + 1];
  for (std::size_t j = 0; j < std::size_t(x.n_items()); ++j) c.col_ptr[j + 1] += c.col_ptr[j];
  c.users.resize(x.nnz());
  c.weights.resize(x.nnz());
  std::vector<std::int64_t> next(c.col_ptr.begin(), c.col_ptr.end() - 1);
  for (std::int32_t u = 0; u < x.n_users(); ++u) {
    auto items = x.items_of(u);
    auto w = x.weights_of(u);
    for (std::size_t p = 0; p < items.size(); ++p) {
      auto at = next[std::size_t(items[p])]++;
      c.users[std::size_t(at)] = u;  // users ascending within each column
      c.weights[std::size_t(at)] = w[p];
    }
  }
  return c;
}

constexpr char kMagic[8] = {'C', 'D', 'Z', 'E', 'A', 'S', 'E', '1'};

struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t flags;  // 0
  std::int32_t n_users;
  std::int32_t n_items;
  std::int64_t nnz;
  double lambda;
  double dropout;
  double popularity_exponent;
};
static_assert(sizeof(Header) == 56);

std::uint64_t fnv1a(const char* data, std::size_t n, std::uint64_t h = 14695981039346656037ull) {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= std::uint8_t(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

std::size_t payload_bytes(const Header& h) {
  return (std::size_t(h.n_users) + 1) * sizeof(std::int64_t) + std::size_t(h.nnz) * (sizeof(std::int32_t) + sizeof(float)) +
         2 * std::size_t(h.n_items) * sizeof(float) + std::size_t(h.n_users) * std::size_t(h.n_users) * sizeof(float);
}

template <class T>
void append(std::string& out, const std::vector<T>& v) {
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <class T>
std::vector<T> take(const char*& p, std::size_t n) {
  std::vector<T> v(n);
  std::memcpy(v.data(), p, n * sizeof(T));
  p += n * sizeof(T);
  return v;
}

}  // namespace

EaseModel::EaseModel() : impl_(std::make_unique<Impl>()) {}
EaseModel::~EaseModel() = default;
EaseModel::EaseModel(EaseModel&&) noexcept = default;
EaseModel& EaseModel::operator=(EaseModel&&) noexcept = default;

bool EaseModel::empty() const { return impl_->x.n_users() == 0 || impl_->x.n_items() == 0; }
std::int32_t EaseModel::n_users() const { return impl_->x.n_users(); }
std::int32_t EaseModel::n_items() const { return impl_->x.n_items(); }
double EaseModel::lambda() const { return impl_->lambda; }
double EaseModel::dropout() const { return impl_->dropout; }
double EaseModel::popularity_exponent() const { return impl_->beta; }

void EaseModel::set_popularity_exponent(double beta) {
  if (!std::isfinite(beta)) throw Error{ErrorKind::BadRequest, "ease: popularity_exponent must be finite"};
  impl_->set_beta(beta);
}
const Interactions& EaseModel::interactions() const { return impl_->x; }

EaseModel EaseModel::fit(const Interactions& x, const EaseOptions& options, const Progress& progress,
                         const CancelCheck& cancelled) {
  if (!(options.lambda > 0) || !std::isfinite(options.lambda))
    throw Error{ErrorKind::BadRequest, "ease: lambda must be > 0", {{"lambda", "must be a finite number > 0"}}};
  if (!(options.dropout >= 0 && options.dropout < 1))
    throw Error{ErrorKind::BadRequest, "ease: dropout must be in [0, 1)", {{"dropout", "must be >= 0 and < 1"}}};
  if (!std::isfinite(options.popularity_exponent))
    throw Error{ErrorKind::BadRequest, "ease: popularity_exponent must be finite", {{"popularityExponent", "must be finite"}}};
  if (x.n_users() == 0 || x.n_items() == 0) throw Error{ErrorKind::BadRequest, "ease: no interactions to train on"};
  const int threads =
      options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  auto check = [&] {
    if (cancelled && cancelled()) throw Cancelled();
  };
  auto report = [&](double f, std::string_view stage) {
    if (progress) progress(f, stage);
  };
  const std::int64_t nu = x.n_users();
  const std::int64_t ni = x.n_items();
  const Columns cols = to_columns(x);

  // 0. D = Lambda^-1 per item.
  const double emphasis = options.dropout / (1.0 - options.dropout);
  std::vector<double> d(static_cast<std::size_t>(ni));
  for (std::int64_t j = 0; j < ni; ++j) {
    double norm2 = 0;
    for (auto q = cols.col_ptr[j]; q < cols.col_ptr[j + 1]; ++q)
      norm2 += double(cols.weights[std::size_t(q)]) * double(cols.weights[std::size_t(q)]);
    d[std::size_t(j)] = 1.0 / (options.lambda + emphasis * norm2);
  }

  // 1. G = I + X D X^T, row by row: G[u, :] = sum over u's items j of w_uj d_j X[:, j]^T.
  report(0.0, "gram");
  check();
  auto gram = at::zeros({nu, nu}, at::kDouble);
  double* g = gram.data_ptr<double>();
  parallel_ranges(nu, threads, [&](std::int64_t begin, std::int64_t end) {
    for (auto u = begin; u < end; ++u) {
      double* row = g + u * nu;
      auto items = x.items_of(std::int32_t(u));
      auto w = x.weights_of(std::int32_t(u));
      for (std::size_t p = 0; p < items.size(); ++p) {
        const auto j = std::size_t(items[p]);
        const double wd = double(w[p]) * d[j];
        for (auto q = cols.col_ptr[j]; q < cols.col_ptr[j + 1]; ++q)
          row[cols.users[std::size_t(q)]] += wd * double(cols.weights[std::size_t(q)]);
      }
      row[u] += 1.0;
    }
  });
  check();

  // 2. K = G^-1 through its Cholesky factor (G is symmetric positive definite: I + a PSD matrix).
  report(0.2, "solve");
  at::Tensor k;
  {
    IntraOpThreads scope(threads);
    auto l = at::linalg_cholesky(gram);
    gram = at::Tensor();
    k = at::cholesky_inverse(l);
  }
  check();

  EaseModel model;
  auto& m = *model.impl_;
  m.x = x;
  m.lambda = options.lambda;
  m.dropout = options.dropout;
  m.item_d.assign(d.begin(), d.end());
  m.set_beta(options.popularity_exponent);
  const double* kd = k.data_ptr<double>();
  m.k.resize(std::size_t(nu * nu));
  for (std::int64_t i = 0; i < nu * nu; ++i) m.k[std::size_t(i)] = float(kd[i]);

  // 3. diag(P)_j = d_j - d_j^2 x_j^T K x_j, column by column.
  report(0.8, "diagonal");
  m.diag_p.resize(std::size_t(ni));
  parallel_ranges(ni, threads, [&](std::int64_t begin, std::int64_t end) {
    for (auto j = begin; j < end; ++j) {
      double quad = 0;
      for (auto a = cols.col_ptr[j]; a < cols.col_ptr[j + 1]; ++a) {
        const double* krow = kd + std::int64_t(cols.users[std::size_t(a)]) * nu;
        double inner = 0;
        for (auto b = cols.col_ptr[j]; b < cols.col_ptr[j + 1]; ++b)
          inner += krow[cols.users[std::size_t(b)]] * double(cols.weights[std::size_t(b)]);
        quad += double(cols.weights[std::size_t(a)]) * inner;
      }
      const double dj = d[std::size_t(j)];
      m.diag_p[std::size_t(j)] = float(dj - dj * dj * quad);
    }
  });
  check();
  report(1.0, "diagonal");
  return model;
}

std::vector<float> EaseModel::scores(std::int32_t user) const {
  if (user < 0 || user >= n_users())
    throw Error{ErrorKind::NotFound, "ease: user " + std::to_string(user) + " is not in the model"};
  const auto nu = std::size_t(n_users());
  std::vector<double> coeff(impl_->k.begin() + std::ptrdiff_t(std::size_t(user) * nu),
                            impl_->k.begin() + std::ptrdiff_t(std::size_t(user + 1) * nu));
  std::vector<double> xp;
  impl_->accumulate_rows(coeff.data(), xp);  // (K X D)[user, :] = (X P)[user, :]
  for (std::size_t j = 0; j < xp.size(); ++j) xp[j] *= double(impl_->item_d[j]);
  std::vector<double> x_dense(xp.size(), 0.0);
  auto items = impl_->x.items_of(user);
  auto w = impl_->x.weights_of(user);
  for (std::size_t p = 0; p < items.size(); ++p) x_dense[std::size_t(items[p])] = w[p];
  return impl_->finish(x_dense, xp);
}

std::vector<float> EaseModel::scores_for(std::span<const std::int32_t> items, std::span<const float> weights) const {
  if (empty()) throw Error{ErrorKind::Unavailable, "ease: the model is empty"};
  if (!weights.empty() && weights.size() != items.size())
    throw Error{ErrorKind::BadRequest, "ease: items and weights differ in length"};
  const auto ni = std::size_t(n_items());
  const auto nu = std::size_t(n_users());
  std::vector<double> x_dense(ni, 0.0);
  for (std::size_t p = 0; p < items.size(); ++p) {
    if (items[p] < 0 || std::size_t(items[p]) >= ni)
      throw Error{ErrorKind::BadRequest, "ease: item " + std::to_string(items[p]) + " is not in the model"};
    x_dense[std::size_t(items[p])] = weights.empty() ? 1.0 : double(weights[p]);
  }
  // t = x D X^T (users), r = t K, x P = (x - r X) D.
  const auto& X = impl_->x;
  std::vector<double> t(nu, 0.0);
  for (std::size_t v = 0; v < nu; ++v) {
    auto row = X.items_of(std::int32_t(v));
    auto w = X.weights_of(std::int32_t(v));
    double dot = 0;
    for (std::size_t p = 0; p < row.size(); ++p) {
      const auto j = std::size_t(row[p]);
      dot += x_dense[j] * double(impl_->item_d[j]) * double(w[p]);
    }
    t[v] = dot;
  }
  std::vector<double> r(nu, 0.0);
  for (std::size_t v = 0; v < nu; ++v) {
    if (t[v] == 0) continue;
    const float* krow = impl_->k.data() + v * nu;  // K is symmetric: t K = sum_v t_v K[v, :]
    for (std::size_t u = 0; u < nu; ++u) r[u] += t[v] * double(krow[u]);
  }
  std::vector<double> rx;
  impl_->accumulate_rows(r.data(), rx);
  for (std::size_t j = 0; j < ni; ++j) rx[j] = (x_dense[j] - rx[j]) * double(impl_->item_d[j]);
  return impl_->finish(x_dense, rx);
}

std::vector<ItemScore> EaseModel::top_k(std::int32_t user, int k, bool exclude_seen) const {
  auto s = scores(user);
  return top_k_scores(s, k, exclude_seen ? impl_->x.items_of(user) : std::span<const std::int32_t>{});
}

std::vector<ItemScore> EaseModel::top_k_for(std::span<const std::int32_t> items, int k, bool exclude_seen) const {
  auto s = scores_for(items);
  return top_k_scores(s, k, exclude_seen ? items : std::span<const std::int32_t>{});
}

void EaseModel::save(const std::filesystem::path& path) const {
  const auto& m = *impl_;
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kFormatVersion;
  h.n_users = m.x.n_users();
  h.n_items = m.x.n_items();
  h.nnz = std::int64_t(m.x.nnz());
  h.lambda = m.lambda;
  h.dropout = m.dropout;
  h.popularity_exponent = m.beta;
  std::string out;
  out.reserve(sizeof h + payload_bytes(h) + 8);
  out.append(reinterpret_cast<const char*>(&h), sizeof h);
  append(out, m.x.row_ptr());
  append(out, m.x.items());
  append(out, m.x.weights());
  append(out, m.item_d);
  append(out, m.diag_p);
  append(out, m.k);
  const std::uint64_t sum = fnv1a(out.data(), out.size());
  out.append(reinterpret_cast<const char*>(&sum), sizeof sum);
  write_file_atomically(path, out);
}

EaseModel EaseModel::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error{ErrorKind::Unavailable, "ease: cannot open model file " + path.string()};
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error{ErrorKind::Unavailable, "ease: cannot read model file " + path.string()};
  auto bad = [&](const std::string& why) {
    return Error{ErrorKind::Unprocessable, "ease: model file " + path.string() + ": " + why};
  };
  if (bytes.size() >= sizeof kMagic && std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw bad("not an EASE model (bad magic)");
  Header h{};
  if (bytes.size() < sizeof h) throw bad("truncated (" + std::to_string(bytes.size()) + " bytes, no complete header)");
  std::memcpy(&h, bytes.data(), sizeof h);
  if (h.version != kFormatVersion)
    throw bad("format version " + std::to_string(h.version) + ", this build reads version " +
              std::to_string(kFormatVersion));
  if (h.n_users < 0 || h.n_items < 0 || h.nnz < 0 || h.nnz > std::int64_t(h.n_users) * h.n_items ||
      !(h.lambda > 0) || !(h.dropout >= 0 && h.dropout < 1) || !std::isfinite(h.popularity_exponent))
    throw bad("inconsistent header");
  const std::size_t expected = sizeof h + payload_bytes(h) + sizeof(std::uint64_t);
  if (bytes.size() < expected)
    throw bad("truncated (" + std::to_string(bytes.size()) + " of " + std::to_string(expected) + " bytes)");
  if (bytes.size() > expected) throw bad("trailing bytes after the checksum");
  std::uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + expected - sizeof sum, sizeof sum);
  if (fnv1a(bytes.data(), expected - sizeof sum) != sum) throw bad("checksum mismatch (corrupt file)");
  const char* p = bytes.data() + sizeof h;
  auto row_ptr = take<std::int64_t>(p, std::size_t(h.n_users) + 1);
  auto items = take<std::int32_t>(p, std::size_t(h.nnz));
  auto weights = take<float>(p, std::size_t(h.nnz));
  EaseModel model;
  auto& m = *model.impl_;
  m.item_d = take<float>(p, std::size_t(h.n_items));
  m.diag_p = take<float>(p, std::size_t(h.n_items));
  m.k = take<float>(p, std::size_t(h.n_users) * std::size_t(h.n_users));
  m.x = Interactions::from_csr(h.n_users, h.n_items, std::move(row_ptr), std::move(items), std::move(weights));
  m.lambda = h.lambda;
  m.dropout = h.dropout;
  m.set_beta(h.popularity_exponent);
  return model;
}

}  // namespace cadenza::ml
