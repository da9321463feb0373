#pragma once
// ResponseCache: the in-process cache of GET responses of routes with RouteOptions::cache and of authenticated
// principals (credential -> Principal), both validated by generation numbers.
//
// A generation is a counter per id (a profile id, which is also an account id). Writers bump it after
// their change is committed; readers stamp what they cache with the generations they read *before*
// reading the data. An entry is served only while it is younger than the TTL and every generation it
// was stamped with is unchanged, so a client that has seen its write's response never reads older data.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cadenza/config/config.hpp"
#include "cadenza/http/message.hpp"

namespace cadenza::http {

// A fast non-cryptographic 64-bit hash (for ETags).
std::uint64_t fast_hash64(std::string_view data);
// "\"<16 hex digits of fast_hash64(body)>\"" — a strong ETag.
std::string etag_for(std::string_view body);
// Whether an If-None-Match header value (a list of entity tags, or "*"; W/ tolerated) matches `etag`.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

class ResponseCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // What a response was read under: the profile it is about and the requester, with both generations
  // as they were before the handler ran.
  struct Stamp {
    std::string profile_id;
    std::string account_id;
    std::uint64_t profile_gen = 0;
    std::uint64_t account_gen = 0;
  };

  // ttl_s 0 disables both caches (generations are still counted). max_entries bounds each cache;
  // max_bytes bounds the responses' keys, bodies and headers together (oldest entries go first).
  ResponseCache(int ttl_s, std::size_t max_entries, Clock clock = {}, std::size_t max_bytes = kDefaultMaxBytes);
  static constexpr std::size_t kDefaultMaxBytes = 64u << 20;
  explicit ResponseCache(const config::CacheConfig& cfg, Clock clock = {})
      : ResponseCache(cfg.ttl_s, static_cast<std::size_t>(cfg.max_entries), std::move(clock)) {}
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  bool enabled() const { return ttl_.count() > 0; }

  // Generations. An id never bumped is at 0.
  std::uint64_t generation(std::string_view id) const;
  void bump(std::string_view id);
  // The stamp for a read of `profile_id` by `account_id`, to take before running the handler.
  Stamp stamp(std::string profile_id, std::string account_id) const;

  // Responses, keyed by the caller (tenant + requester + target).
  // The cached response for `key` if still valid; a stale one is dropped.
  std::optional<Response> find(const std::string& key);
  // Keeps `res` (only a 200 without file body) under `key`, unless a stamped generation already moved.
  void store(const std::string& key, const Response& res, const Stamp& stamp);

  // Principals, keyed by the credential string.
  std::optional<Principal> find_principal(const std::string& token);
  // A principal just loaded from the store for `token`. `epoch_before` is epoch() read before that load:
  // if any generation was bumped since, the load may have raced a write and nothing is kept.
  void store_principal(const std::string& token, const Principal& p, std::uint64_t epoch_before);
  // Counts every bump (any id).
  std::uint64_t epoch() const;

  std::size_t size() const;             // responses held
  std::size_t bytes() const;            // their approximate memory
  std::size_t principal_count() const;  // principals held

 private:
  struct Entry {
    Response res;
    Stamp stamp;
    std::chrono::steady_clock::time_point filled;
    std::list<std::string>::iterator order;  // position in fifo_
    std::size_t bytes = 0;
  };
  struct PrincipalEntry {
    Principal p;
    std::uint64_t gen = 0;
    std::chrono::steady_clock::time_point filled;
    std::list<std::string>::iterator order;
  };
  struct Gen {
    std::uint64_t value = 0;
    std::chrono::steady_clock::time_point bumped;
  };
  std::uint64_t generation_locked(std::string_view id) const;
  bool fresh(std::chrono::steady_clock::time_point filled, std::chrono::steady_clock::time_point now) const;
  void clear_locked();
  void erase_locked(std::unordered_map<std::string, Entry>::iterator it);

  std::chrono::seconds ttl_;
  std::size_t max_entries_;
  std::size_t max_gens_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  Clock clock_;

  // One mutex for generations and both caches: every operation is a few hash lookups.
  mutable std::mutex mu_;
  // id -> the epoch value of its last bump. Ids not bumped within the TTL may be forgotten (they read
  // as 0 again): entries stamped before such a bump have expired, entries stamped after it hold a
  // non-zero value that no longer matches, so forgetting never revives a stale entry.
  std::unordered_map<std::string, Gen> gens_;
  std::uint64_t epoch_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> fifo_;  // keys, oldest first
  std::unordered_map<std::string, PrincipalEntry> principals_;
  std::list<std::string> principal_fifo_;
};

}  // namespace cadenza::http
