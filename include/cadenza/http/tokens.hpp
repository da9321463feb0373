#pragma once
// Bearer tokens: compact JWTs (HS256) carrying account, tenant and role, with expiry.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cadenza/http/message.hpp"

namespace cadenza::http {

struct IssuedToken {
  std::string token;
  std::int64_t expires_at_ms = 0;
};

class Tokens {
 public:
  Tokens(std::string secret, int ttl_s) : secret_(std::move(secret)), ttl_s_(ttl_s) {}
  IssuedToken issue(const Principal& who, std::int64_t now_ms) const;
  // The principal when the signature is valid and the token has not expired.
  std::optional<Principal> verify(std::string_view token, std::int64_t now_ms) const;

 private:
  std::string secret_;
  int ttl_s_;
};

}  // namespace cadenza::http
