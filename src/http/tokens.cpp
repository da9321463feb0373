#include "cadenza/http/tokens.hpp"

#include <nlohmann/json.hpp>

#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"

namespace cadenza::http {
namespace {
const std::string& jwt_header() {
  static const std::string h = crypto::base64url(R"({"alg":"HS256","typ":"JWT"})");
  return h;
}
}  // namespace

IssuedToken Tokens::issue(const Principal& who, std::int64_t now_ms) const {
  std::int64_t exp = now_ms / 1000 + ttl_s_;
  nlohmann::json claims = {{"sub", who.account_id}, {"tid", who.tenant_id}, {"role", who.role},
                           {"iat", now_ms / 1000}, {"exp", exp}};
  std::string signing_input = jwt_header() + "." + crypto::base64url(claims.dump());
  std::string sig = crypto::base64url(crypto::hmac_sha256(secret_, signing_input));
  return {signing_input + "." + sig, exp * 1000};
}

std::optional<Principal> Tokens::verify(std::string_view token, std::int64_t now_ms) const {
  auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return std::nullopt;
  if (token.substr(0, dot1) != jwt_header()) return std::nullopt;  // only our own HS256 header is accepted
  auto signing_input = token.substr(0, dot2);
  auto expected = crypto::base64url(crypto::hmac_sha256(secret_, signing_input));
  if (!crypto::equal(expected, token.substr(dot2 + 1))) return std::nullopt;
  try {
    auto claims = nlohmann::json::parse(crypto::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1)));
    if (claims.at("exp").get<std::int64_t>() * 1000 <= now_ms) return std::nullopt;
    return Principal{claims.at("sub").get<std::string>(), claims.at("tid").get<std::string>(),
                     claims.at("role").get<std::string>()};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace cadenza::http
