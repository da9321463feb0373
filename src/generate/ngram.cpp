// Interpolated Kneser-Ney (the levels and the formula are in ngram.hpp).
#include "cadenza/generate/ngram.hpp"

#include <algorithm>
#include <string>

#include "cadenza/core/error.hpp"

namespace cadenza::generate {

KneserNey::KneserNey(int vocab, int order) : vocab_(vocab), order_(order) {
  if (vocab < 1 || vocab > kMaxVocab || order < 0 || order > kMaxOrder)
    throw Error(ErrorKind::BadRequest, "n-gram: vocab " + std::to_string(vocab) + " or order " + std::to_string(order) +
                                           " out of range");
  levels_.resize(size_t(order) + 1);
  discount_.assign(size_t(order) + 1, 0.75);
}

uint64_t KneserNey::key(int level, int base, const int* history) const {
  if (level == 0) return 0;
  uint64_t k = uint64_t(std::clamp(base, 0, kMaxBase));
  for (int i = 0; i < level - 1; ++i) {
    const int h = history ? history[i] : vocab_;
    k = (k << 10) | uint64_t(std::clamp(h, 0, vocab_));
  }
  return (k << 3) | uint64_t(level);
}

void KneserNey::count(int level, int base, const int* history, int symbol) {
  Context& c = levels_[size_t(level)][key(level, base, history)];
  const uint32_t n = ++c.counts[uint32_t(symbol)];
  ++c.total;
  if (n == 1) {
    ++c.distinct;
    // a new (context, symbol) type: one more continuation for the level below (levels >= 1)
    if (level > 1) count(level - 1, base, history, symbol);
  }
}

void KneserNey::add(int base, const int* history, int symbol) {
  if (symbol < 0 || symbol >= vocab_) throw Error(ErrorKind::BadRequest, "n-gram: symbol out of range");
  count(0, base, history, symbol);  // level 0 always counts occurrences
  if (order_ >= 1) count(order_, base, history, symbol);
}

void KneserNey::finish() {
  for (size_t level = 0; level < levels_.size(); ++level) {
    double n1 = 0, n2 = 0;
    for (const auto& [k, c] : levels_[level])
      for (const auto& [s, n] : c.counts) {
        n1 += n == 1;
        n2 += n == 2;
      }
    discount_[level] = n1 + n2 > 0 ? std::clamp(n1 / (n1 + 2 * n2), 0.1, 0.95) : 0.75;
  }
}

const KneserNey::Context* KneserNey::find(int level, int base, const int* history) const {
  const auto& m = levels_[size_t(level)];
  const auto it = m.find(key(level, base, history));
  return it == m.end() || it->second.total == 0 ? nullptr : &it->second;
}

double KneserNey::prob(int base, const int* history, int symbol) const {
  double p = 1.0 / vocab_;
  for (int level = 0; level <= order_; ++level) {
    const Context* c = find(level, base, history);
    if (!c) continue;
    const double d = discount_[size_t(level)];
    const auto it = c->counts.find(uint32_t(symbol));
    const double n = it == c->counts.end() ? 0 : it->second;
    p = std::max(n - d, 0.0) / c->total + d * c->distinct / c->total * p;
  }
  return p;
}

void KneserNey::distribution(int base, const int* history, std::vector<double>& out) const {
  out.assign(size_t(vocab_), 1.0 / vocab_);
  for (int level = 0; level <= order_; ++level) {
    const Context* c = find(level, base, history);
    if (!c) continue;
    const double d = discount_[size_t(level)];
    const double back = d * c->distinct / c->total;
    for (auto& p : out) p *= back;
    for (const auto& [s, n] : c->counts) out[s] += std::max(double(n) - d, 0.0) / c->total;
  }
}

}  // namespace cadenza::generate
