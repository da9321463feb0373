#include "cadenza/http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace cadenza::http {

using TimePoint = std::chrono::steady_clock::time_point;

namespace {
struct Bucket {
  double tokens = 0;
  TimePoint last;  // time `tokens` was computed (last refill)
};

// Tokens after refilling from b.last to now, capped at burst.
double refilled(const Bucket& b, TimePoint now, double per_s, double burst) {
  double dt = std::chrono::duration<double>(now - b.last).count();
  if (dt < 0) dt = 0;
  return std::min(burst, b.tokens + dt * per_s);
}

int ceil_s(double s) {
  if (s <= 0) return 0;
  // Guard against 0.9999999 style float noise turning an exact second into two.
  return static_cast<int>(std::ceil(s - 1e-9));
}
}  // namespace

struct RateLimiter::Shard {
  std::mutex mu;
  std::unordered_map<std::string, Bucket> buckets;  // key: kind letter + key
};

RateLimiter::RateLimiter(const config::RateLimitConfig& cfg, Clock clock, std::size_t max_keys)
    : read_{static_cast<double>(cfg.read_per_s), static_cast<double>(cfg.read_burst)},
      write_{static_cast<double>(cfg.write_per_s), static_cast<double>(cfg.write_burst)},
      auth_failure_{cfg.auth_failures_per_min / 60.0, static_cast<double>(cfg.auth_failure_burst)},
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })),
      max_per_shard_(std::max<std::size_t>(4, max_keys / kShards)),
      shards_(std::make_unique<Shard[]>(kShards)) {}

RateLimiter::~RateLimiter() = default;

const RateLimiter::Rate& RateLimiter::rate(Kind kind) const {
  return kind == Kind::Read ? read_ : kind == Kind::Write ? write_ : auth_failure_;
}

char RateLimiter::letter(Kind kind) { return kind == Kind::Read ? 'r' : kind == Kind::Write ? 'w' : 'f'; }

bool RateLimiter::limited(Kind kind) const {
  const Rate& r = rate(kind);
  return r.per_s > 0 && r.burst > 0;
}

// Kind letter + key; long keys (JWTs, junk up to the header limit) are kept as a 64-bit digest so a bucket
// costs the same whatever a client sends.
std::string RateLimiter::bucket_key(Kind kind, std::string_view key) const {
  std::string k(1, letter(kind));
  if (key.size() <= kMaxKeyBytes) {
    k += "=";
    k.append(key);
  } else {
    static const char* hex = "0123456789abcdef";
    auto h = std::hash<std::string_view>{}(key);
    k += "#";
    for (int i = 0; i < 16; ++i) k.push_back(hex[(h >> (4 * (15 - i))) & 0xf]);
  }
  return k;
}

bool RateLimiter::available(Kind kind, std::string_view key) const {
  if (!limited(kind)) return true;
  auto k = bucket_key(kind, key);
  auto& shard = shards_[std::hash<std::string>{}(k) % kShards];
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(k);
  if (it == shard.buckets.end()) return true;
  const Rate& r = rate(kind);
  return refilled(it->second, clock_(), r.per_s, r.burst) >= 1.0;
}

std::size_t RateLimiter::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    n += shards_[i].buckets.size();
  }
  return n;
}

std::optional<RateLimitDecision> RateLimiter::take(Kind kind, std::string_view key) {
  if (!limited(kind)) return std::nullopt;
  const Rate& rate = this->rate(kind);
  auto k = bucket_key(kind, key);
  auto& shard = shards_[std::hash<std::string>{}(k) % kShards];
  auto now = clock_();

  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(k);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) {
      // Drop buckets that have refilled completely: a new bucket would be the same.
      for (auto i = shard.buckets.begin(); i != shard.buckets.end();) {
        const Rate& r = i->first[0] == 'r' ? read_ : i->first[0] == 'w' ? write_ : auth_failure_;
        if (refilled(i->second, now, r.per_s, r.burst) >= r.burst)
          i = shard.buckets.erase(i);
        else
          ++i;
      }
      // Still crowded (many keys drained at once): drop the least recently used down to 3/4.
      std::size_t target = max_per_shard_ * 3 / 4;
      if (shard.buckets.size() > target) {
        std::vector<std::pair<TimePoint, std::string>> by_age;
        by_age.reserve(shard.buckets.size());
        for (const auto& [name, b] : shard.buckets) by_age.emplace_back(b.last, name);
        std::size_t drop = shard.buckets.size() - target;
        std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop - 1), by_age.end());
        for (std::size_t i = 0; i < drop; ++i) shard.buckets.erase(by_age[i].second);
      }
    }
    it = shard.buckets.emplace(std::move(k), Bucket{rate.burst, now}).first;
  }
  Bucket& b = it->second;
  b.tokens = refilled(b, now, rate.per_s, rate.burst);
  if (now > b.last) b.last = now;

  RateLimitDecision d;
  d.limit = static_cast<int>(rate.burst);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    d.allowed = true;
  } else {
    d.allowed = false;
    d.retry_after_s = std::max(1, ceil_s((1.0 - b.tokens) / rate.per_s));
  }
  d.remaining = static_cast<int>(std::floor(b.tokens + 1e-9));
  d.reset_s = ceil_s((rate.burst - b.tokens) / rate.per_s);
  return d;
}

}  // namespace cadenza::http
