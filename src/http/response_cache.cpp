#include "cadenza/http/response_cache.hpp"

#include <algorithm>
#include <cstring>

namespace cadenza::http {

std::uint64_t fast_hash64(std::string_view data) {
  // 8 bytes per step, multiply-xorshift mixing (in the spirit of MurmurHash64A); ~1 cycle/byte or less.
  constexpr std::uint64_t m = 0xc6a4a7935bd1e995ULL;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * m);
  while (n >= 8) {
    std::uint64_t k;
    std::memcpy(&k, p, 8);
    k *= m;
    k ^= k >> 47;
    k *= m;
    h ^= k;
    h *= m;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    std::uint64_t k = 0;
    std::memcpy(&k, p, n);
    h ^= k;
    h *= m;
  }
  h ^= h >> 47;
  h *= m;
  h ^= h >> 47;
  return h;
}

std::string etag_for(std::string_view body) {
  static const char* hex = "0123456789abcdef";
  auto h = fast_hash64(body);
  std::string out(18, '"');
  for (int i = 0; i < 16; ++i) out[static_cast<std::size_t>(16 - i)] = hex[(h >> (4 * i)) & 0xf];
  return out;
}

bool etag_matches(std::string_view inm, std::string_view etag) {
  auto opaque = [](std::string_view t) {
    if (t.size() >= 2 && (t[0] == 'W' || t[0] == 'w') && t[1] == '/') t.remove_prefix(2);
    return t;
  };
  auto want = opaque(etag);
  std::size_t i = 0;
  while (i < inm.size()) {
    auto j = std::min(inm.find(',', i), inm.size());
    auto item = inm.substr(i, j - i);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") return true;
    if (!item.empty() && opaque(item) == want) return true;
    i = j + 1;
  }
  return false;
}

ResponseCache::ResponseCache(int ttl_s, std::size_t max_entries, Clock clock, std::size_t max_bytes)
    : ttl_(std::max(0, ttl_s)),
      max_entries_(std::max<std::size_t>(1, max_entries)),
      max_gens_(std::max<std::size_t>(4096, 2 * max_entries)),
      max_bytes_(max_bytes),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

bool ResponseCache::fresh(std::chrono::steady_clock::time_point filled,
                          std::chrono::steady_clock::time_point now) const {
  return now - filled <= ttl_;
}

std::uint64_t ResponseCache::generation_locked(std::string_view id) const {
  auto it = gens_.find(std::string(id));
  return it == gens_.end() ? 0 : it->second.value;
}

std::uint64_t ResponseCache::generation(std::string_view id) const {
  std::lock_guard lock(mu_);
  return generation_locked(id);
}

std::uint64_t ResponseCache::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

namespace {
std::size_t footprint(const std::string& key, const Response& r) {
  std::size_t n = 2 * key.size() + r.body.size() + r.content_type.size() + 160;  // key is held twice
  for (const auto& [k, v] : r.headers) n += k.size() + v.size() + 64;
  return n;
}
}  // namespace

void ResponseCache::erase_locked(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.bytes;
  fifo_.erase(it->second.order);
  entries_.erase(it);
}

void ResponseCache::clear_locked() {
  bytes_ = 0;
  entries_.clear();
  fifo_.clear();
  principals_.clear();
  principal_fifo_.clear();
  gens_.clear();
}

void ResponseCache::bump(std::string_view id) {
  std::lock_guard lock(mu_);
  auto now = clock_();
  gens_[std::string(id)] = Gen{++epoch_, now};
  if (gens_.size() <= max_gens_) return;
  // Forget ids not bumped within the TTL (see the header for why that is safe) ...
  for (auto it = gens_.begin(); it != gens_.end();) {
    if (now - it->second.bumped > ttl_) it = gens_.erase(it);
    else ++it;
  }
  // ... and if that is not enough, start over: without the generations nothing cached can be trusted.
  if (gens_.size() > max_gens_) clear_locked();
}

ResponseCache::Stamp ResponseCache::stamp(std::string profile_id, std::string account_id) const {
  std::lock_guard lock(mu_);
  Stamp s;
  s.profile_gen = generation_locked(profile_id);
  s.account_gen = generation_locked(account_id);
  s.profile_id = std::move(profile_id);
  s.account_id = std::move(account_id);
  return s;
}

std::optional<Response> ResponseCache::find(const std::string& key) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const auto& e = it->second;
  if (fresh(e.filled, clock_()) && generation_locked(e.stamp.profile_id) == e.stamp.profile_gen &&
      generation_locked(e.stamp.account_id) == e.stamp.account_gen)
    return e.res;
  erase_locked(it);
  return std::nullopt;
}

void ResponseCache::store(const std::string& key, const Response& res, const Stamp& stamp) {
  if (!enabled() || res.status != 200 || !res.file_path.empty()) return;
  std::lock_guard lock(mu_);
  // A write landed while the handler ran: what it read may be older than that write.
  if (generation_locked(stamp.profile_id) != stamp.profile_gen ||
      generation_locked(stamp.account_id) != stamp.account_gen)
    return;
  auto size = footprint(key, res);
  if (size > max_bytes_) return;
  auto now = clock_();
  if (auto it = entries_.find(key); it != entries_.end()) erase_locked(it);
  while ((entries_.size() >= max_entries_ || bytes_ + size > max_bytes_) && !fifo_.empty())
    erase_locked(entries_.find(fifo_.front()));
  fifo_.push_back(key);
  entries_.emplace(key, Entry{res, stamp, now, std::prev(fifo_.end()), size});
  bytes_ += size;
}

std::optional<Principal> ResponseCache::find_principal(const std::string& token) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = principals_.find(token);
  if (it == principals_.end()) return std::nullopt;
  const auto& e = it->second;
  if (fresh(e.filled, clock_()) && generation_locked(e.p.account_id) == e.gen) return e.p;
  principal_fifo_.erase(e.order);
  principals_.erase(it);
  return std::nullopt;
}

void ResponseCache::store_principal(const std::string& token, const Principal& p, std::uint64_t epoch_before) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  if (epoch_ != epoch_before) return;  // a write may have raced the load
  if (auto it = principals_.find(token); it != principals_.end()) {
    principal_fifo_.erase(it->second.order);
    principals_.erase(it);
  }
  while (principals_.size() >= max_entries_ && !principal_fifo_.empty()) {
    principals_.erase(principal_fifo_.front());
    principal_fifo_.pop_front();
  }
  principal_fifo_.push_back(token);
  principals_.emplace(token, PrincipalEntry{p, generation_locked(p.account_id), clock_(), std::prev(principal_fifo_.end())});
}

std::size_t ResponseCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::size_t ResponseCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t ResponseCache::principal_count() const {
  std::lock_guard lock(mu_);
  return principals_.size();
}

}  // namespace cadenza::http
