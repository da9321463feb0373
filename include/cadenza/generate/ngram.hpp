#pragma once
// KneserNey: an interpolated Kneser-Ney n-gram over one symbol stream, with a "base" context (style,
// meter, mode ...) that every level but the lowest keeps.
//
// Levels, from the most general: 0 the whole training set (raw counts), 1 the base context alone,
// 2 base + the last symbol, ..., order: base + the last order-1 symbols. The top level counts
// occurrences; levels 1..order-1 count continuations (in how many distinct longer contexts a symbol
// followed this one, Kneser & Ney 1995). Each level interpolates with the one below:
//   P_L(w | h) = max(c(h, w) - D_L, 0) / c(h) + D_L * N1+(h .) / c(h) * P_{L-1}(w | h')
// and below level 0 lies the uniform 1 / vocab, so every symbol keeps some probability. A context
// never seen hands its mass straight down. D_L = n1 / (n1 + 2 n2) of the level's counts (Ney,
// Essen & Kneser 1994), 0.75 when undefined, clamped to 0.1..0.95. order 0 is the unigram of level 0.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cadenza::generate {

class KneserNey {
 public:
  static constexpr int kMaxOrder = 4;
  static constexpr int kMaxVocab = 1023;  // symbols 0..vocab-1; histories use `vocab` for "before the start"
  static constexpr int kMaxBase = 4095;

  KneserNey(int vocab, int order);  // Error(BadRequest) outside the limits above

  // history[0] is the most recent symbol; only the first order-1 entries are read; a missing one
  // (before the start of a piece) is vocab().
  void add(int base, const int* history, int symbol);
  void finish();  // computes the discounts; call after the last add()

  double prob(int base, const int* history, int symbol) const;
  // P(w | h) for every w (sums to 1).
  void distribution(int base, const int* history, std::vector<double>& out) const;

  int vocab() const { return vocab_; }
  int order() const { return order_; }
  double discount(int level) const { return discount_[size_t(level)]; }
  size_t contexts(int level) const { return levels_[size_t(level)].size(); }

  // The table as bytes, appended to `out` (markov_io.cpp has the format), and back from the front of `in`
  // (which then starts after it). read throws Error(Unprocessable) for bytes that are not a table.
  void write(std::string& out) const;
  static KneserNey read(std::string_view& in);

 private:
  struct Context {
    uint32_t total = 0;
    uint32_t distinct = 0;
    std::unordered_map<uint32_t, uint32_t> counts;
  };
  uint64_t key(int level, int base, const int* history) const;
  void count(int level, int base, const int* history, int symbol);
  const Context* find(int level, int base, const int* history) const;

  int vocab_;
  int order_;
  std::vector<std::unordered_map<uint64_t, Context>> levels_;  // 0..order
  std::vector<double> discount_;
};

}  // namespace cadenza::generate
