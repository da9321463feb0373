// How a request's credentials are read, and what the logs may show of its target.
#include <doctest/doctest.h>

#include "cadenza/http/app.hpp"

using namespace cadenza::http;

namespace {
Request with_header(const std::string& name, const std::string& value) {
  Request r;
  r.headers.emplace_back(name, value);
  return r;
}
}  // namespace

TEST_CASE("request_token: Bearer in any case, with any run of spaces or tabs; other schemes are not tokens") {
  CHECK(request_token(with_header("authorization", "Bearer abc")) == "abc");
  CHECK(request_token(with_header("authorization", "BEARER abc")) == "abc");
  CHECK(request_token(with_header("authorization", "bEaReR    abc  ")) == "abc");
  CHECK(request_token(with_header("authorization", "Bearer\tabc")) == "abc");
  CHECK_FALSE(request_token(with_header("authorization", "Basic abc")));
  CHECK_FALSE(request_token(with_header("authorization", "Bearerabc")));
  CHECK_FALSE(request_token(with_header("authorization", "Bearer")));
  CHECK(request_token(with_header("x-api-key", "cdz_x")) == "cdz_x");
  Request q;
  q.query["token"] = "jwt";
  CHECK_FALSE(request_token(q));
  CHECK(request_token(q, /*allow_query=*/true) == "jwt");
}

TEST_CASE("redact_target: secret query values never reach a log") {
  CHECK(redact_target("/api/jobs") == "/api/jobs");
  CHECK(redact_target("/api/ws?token=eyJhbGciOi.x.y") == "/api/ws?token=REDACTED");
  CHECK(redact_target("/api/blobs/t/s?expires=99&sig=abcdef") == "/api/blobs/t/s?expires=99&sig=REDACTED");
  CHECK(redact_target("/a?limit=5&TOKEN=x&key=k&api_key=z&q=1") == "/a?limit=5&TOKEN=REDACTED&key=REDACTED&api_key=REDACTED&q=1");
  CHECK(redact_target("/a?%74oken=secret") == "/a?%74oken=REDACTED");  // percent-encoded names too
  CHECK(redact_target("/a?token") == "/a?token");                      // no value, nothing to hide
  CHECK(redact_target("/a?") == "/a?");
  CHECK(redact_target("/a?x=1&&token=s&") == "/a?x=1&&token=REDACTED&");
}
