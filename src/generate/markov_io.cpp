// The n-gram baseline's file format (markov.hpp: MarkovModel::save / load): what `cadenza train-markov`
// writes into models/markov.bin and the server reads at start.
//
//   "CADZMKV1" | varint order | per style (2): varint low, varint high (the pitch range) |
//   four tables (time, pitch, duration, velocity), each: varint vocab, varint order, per level
//   (0..order): the discount (8 bytes, IEEE double, little-endian), varint contexts, then per context in
//   rising key order: varint key delta, varint total, varint distinct, varint symbols, per symbol in
//   rising order: varint symbol delta, varint count.
// Varints are LEB128 (7 bits a byte, low first). Sorted and delta-coded, the same model always gives the
// same bytes.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "cadenza/core/atomic_file.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/generate/markov.hpp"
#include "cadenza/generate/ngram.hpp"

namespace cadenza::generate {

namespace {

constexpr char kMagic[] = "CADZMKV1";

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(char(uint8_t(v) | 0x80));
    v >>= 7;
  }
  out.push_back(char(v));
}

uint64_t get_varint(std::string_view& in) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) throw Error(ErrorKind::Unprocessable, "markov model: truncated");
    const auto byte = uint8_t(in.front());
    in.remove_prefix(1);
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return v;
  }
  throw Error(ErrorKind::Unprocessable, "markov model: bad varint");
}

void put_double(std::string& out, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  for (int i = 0; i < 8; ++i) out.push_back(char(uint8_t(bits >> (8 * i))));
}

double get_double(std::string_view& in) {
  if (in.size() < 8) throw Error(ErrorKind::Unprocessable, "markov model: truncated");
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= uint64_t(uint8_t(in[size_t(i)])) << (8 * i);
  in.remove_prefix(8);
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

}  // namespace

void KneserNey::write(std::string& out) const {
  put_varint(out, uint64_t(vocab_));
  put_varint(out, uint64_t(order_));
  for (size_t level = 0; level < levels_.size(); ++level) {
    put_double(out, discount_[level]);
    const auto& m = levels_[level];
    std::vector<uint64_t> keys;
    keys.reserve(m.size());
    for (const auto& [k, c] : m) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    put_varint(out, keys.size());
    uint64_t prev = 0;
    for (auto k : keys) {
      const Context& c = m.at(k);
      put_varint(out, k - prev);
      prev = k;
      put_varint(out, c.total);
      put_varint(out, c.distinct);
      std::vector<std::pair<uint32_t, uint32_t>> counts(c.counts.begin(), c.counts.end());
      std::sort(counts.begin(), counts.end());
      put_varint(out, counts.size());
      uint32_t prev_symbol = 0;
      for (const auto& [s, n] : counts) {
        put_varint(out, s - prev_symbol);
        prev_symbol = s;
        put_varint(out, n);
      }
    }
  }
}

KneserNey KneserNey::read(std::string_view& in) {
  const auto vocab = get_varint(in), order = get_varint(in);
  if (vocab < 1 || vocab > uint64_t(kMaxVocab) || order > uint64_t(kMaxOrder))
    throw Error(ErrorKind::Unprocessable, "markov model: a table's vocab or order is out of range");
  KneserNey kn{int(vocab), int(order)};
  for (size_t level = 0; level < kn.levels_.size(); ++level) {
    kn.discount_[level] = get_double(in);
    const auto contexts = get_varint(in);
    if (contexts > in.size()) throw Error(ErrorKind::Unprocessable, "markov model: truncated");
    auto& m = kn.levels_[level];
    m.reserve(size_t(contexts));
    uint64_t key = 0;
    for (uint64_t i = 0; i < contexts; ++i) {
      key += get_varint(in);
      Context& c = m[key];
      c.total = uint32_t(get_varint(in));
      c.distinct = uint32_t(get_varint(in));
      const auto symbols = get_varint(in);
      if (symbols > uint64_t(vocab)) throw Error(ErrorKind::Unprocessable, "markov model: too many symbols");
      uint32_t s = 0;
      for (uint64_t j = 0; j < symbols; ++j) {
        s += uint32_t(get_varint(in));
        if (s >= vocab) throw Error(ErrorKind::Unprocessable, "markov model: symbol out of range");
        c.counts[s] = uint32_t(get_varint(in));
      }
    }
  }
  return kn;
}

std::string MarkovModel::serialize() const {
  std::string out(kMagic, 8);
  put_varint(out, uint64_t(order_));
  for (const auto& [lo, hi] : range_) {
    put_varint(out, uint64_t(lo));
    put_varint(out, uint64_t(hi));
  }
  for (const auto* t : {time_.get(), pitch_.get(), duration_.get(), velocity_.get()}) t->write(out);
  return out;
}

MarkovModel MarkovModel::deserialize(std::string_view in) {
  if (in.size() < 8 || in.substr(0, 8) != std::string_view(kMagic, 8))
    throw Error(ErrorKind::Unprocessable, "not a Cadenza Markov model (no CADZMKV1 header)");
  in.remove_prefix(8);
  const auto order = get_varint(in);
  if (order > uint64_t(KneserNey::kMaxOrder)) throw Error(ErrorKind::Unprocessable, "markov model: order out of range");
  MarkovModel m{int(order)};
  for (auto& r : m.range_) {
    r.first = int(get_varint(in));
    r.second = int(get_varint(in));
    if (r.first < kLowestPitch || r.second > kHighestPitch || r.first > r.second)
      throw Error(ErrorKind::Unprocessable, "markov model: pitch range out of range");
  }
  std::unique_ptr<KneserNey>* tables[] = {&m.time_, &m.pitch_, &m.duration_, &m.velocity_};
  for (auto* t : tables) {
    auto kn = KneserNey::read(in);
    if (kn.vocab() != (*t)->vocab() || kn.order() != int(order))
      throw Error(ErrorKind::Unprocessable, "markov model: a table does not match the model");
    *t = std::make_unique<KneserNey>(std::move(kn));
  }
  if (!in.empty()) throw Error(ErrorKind::Unprocessable, "markov model: bytes after the last table");
  return m;
}

void MarkovModel::save(const std::filesystem::path& path) const { write_file_atomically(path, serialize()); }

MarkovModel MarkovModel::load(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(ErrorKind::NotFound, "no Markov model at " + path.string() + " (cadenza train-markov makes one)");
  std::stringstream ss;
  ss << f.rdbuf();
  return deserialize(ss.str());
}

}  // namespace cadenza::generate
