// The conventions every route shares (dispatch level): ETag/304, the response cache with read-after-write,
// rate limits and CORS, on the application in process (configured as `cadenza serve --set ...` would be).
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <thread>

#include "support/in_process.hpp"

using namespace cadenza::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {
std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::map<std::string, std::string> with(std::map<std::string, std::string> h, const std::string& k, const std::string& v) {
  h[k] = v;
  return h;
}

// "GET, DELETE, OPTIONS" -> {"DELETE", "GET", "OPTIONS"}
std::set<std::string> method_set(const std::string& list) {
  std::set<std::string> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.insert(item);
  }
  return out;
}
}  // namespace

TEST_CASE("conventions: JSON GETs carry an ETag; If-None-Match answers 304 without a body") {
  InProcess s(std::vector<std::string>{});
  auto [id, token] = s.signup_login("etagger");

  auto r = s.get("/api/profiles/" + id, token);
  REQUIRE(r.status == 200);
  auto etag = r.header("etag");
  REQUIRE(etag.size() == 18);
  CHECK(etag.front() == '"');
  CHECK(etag.back() == '"');
  CHECK(s.get("/api/profiles/" + id, token).header("etag") == etag);  // same body, same tag

  auto nm = s.request("GET", "/api/profiles/" + id, "", with(bearer(token), "If-None-Match", etag));
  CHECK(nm.status == 304);
  CHECK(nm.body.empty());
  CHECK(nm.header("etag") == etag);
  CHECK(s.request("GET", "/api/profiles/" + id, "", with(bearer(token), "If-None-Match", "W/" + etag)).status == 304);
  CHECK(s.request("GET", "/api/profiles/" + id, "", with(bearer(token), "If-None-Match", "\"zz\", " + etag)).status ==
        304);
  CHECK(s.request("GET", "/api/profiles/" + id, "", with(bearer(token), "If-None-Match", "*")).status == 304);
  auto other = s.request("GET", "/api/profiles/" + id, "", with(bearer(token), "If-None-Match", "\"0000000000000000\""));
  CHECK(other.status == 200);
  CHECK(other.json()["id"] == id);

  // Any JSON GET, public ones included; never on writes or errors.
  auto v = s.get("/api/version");
  REQUIRE(!v.header("etag").empty());
  CHECK(s.request("GET", "/api/version", "", {{"If-None-Match", v.header("etag")}}).status == 304);
  auto key = s.post("/api/auth/api-keys", {{"name", "k"}}, token);
  CHECK(key.status == 201);
  CHECK(key.header("etag").empty());
  CHECK(s.get("/api/nothing-here").header("etag").empty());
  // A list that changed gets a new tag.
  auto keys1 = s.get("/api/auth/api-keys", token);
  s.post("/api/auth/api-keys", {{"name", "k2"}}, token);
  auto keys2 = s.get("/api/auth/api-keys", token);
  CHECK(keys1.header("etag") != keys2.header("etag"));
  CHECK(s.request("GET", "/api/auth/api-keys", "", with(bearer(token), "If-None-Match", keys1.header("etag"))).status ==
        200);
  // The browser app keeps its own ETags.
  auto page = s.get("/");
  if (page.status == 200 && !page.header("etag").empty())
    CHECK(s.request("GET", "/", "", {{"If-None-Match", page.header("etag")}}).status == 304);
}

TEST_CASE("conventions: profile GETs are cached per requester; writes are visible at once") {
  InProcess s(std::vector<std::string>{});
  auto [id, token] = s.signup_login("cached");
  auto [other_id, other] = s.signup_login("nosy");

  auto first = s.get("/api/profiles/" + id, token);
  REQUIRE(first.status == 200);
  CHECK(first.header("x-cache") == "miss");
  auto second = s.get("/api/profiles/" + id, token);
  CHECK(second.status == 200);
  CHECK(second.header("x-cache") == "hit");
  CHECK(second.body == first.body);
  CHECK(second.header("etag") == first.header("etag"));
  CHECK(second.header("x-request-id") != first.header("x-request-id"));
  // A hit still honours If-None-Match.
  CHECK(s.request("GET", "/api/profiles/" + id, "", with(bearer(token), "If-None-Match", first.header("etag"))).status ==
        304);
  // Another requester has its own entry and its own authorization.
  auto nosy = s.get("/api/profiles/" + id, other);
  CHECK(nosy.status == 403);
  CHECK(s.get("/api/profiles/" + id, other).status == 403);
  // Routes outside /api/profiles/{id} are not cached.
  CHECK(s.get("/api/auth/api-keys", token).header("x-cache").empty());

  // Any write by the requester invalidates its entries.
  auto key = s.post("/api/auth/api-keys", {{"name", "reader"}}, token);
  REQUIRE(key.status == 201);
  auto secret = key.json()["key"].get<std::string>();
  CHECK(s.get("/api/profiles/" + id, token).header("x-cache") == "miss");
  CHECK(s.get("/api/profiles/" + id, token).header("x-cache") == "hit");

  // An API key works from the cache, and stops at once when revoked.
  auto by_key = s.request("GET", "/api/profiles/" + id, "", {{"X-API-Key", secret}});
  CHECK(by_key.status == 200);
  CHECK(s.request("GET", "/api/profiles/" + id, "", {{"X-API-Key", secret}}).header("x-cache") == "hit");
  CHECK(s.del("/api/auth/api-keys/" + key.json()["id"].get<std::string>(), token).status == 204);
  CHECK(s.request("GET", "/api/profiles/" + id, "", {{"X-API-Key", secret}}).status == 401);
  CHECK(s.get("/api/jobs", secret).status == 401);

  // Deleting the profile: the same cached GET now answers 401, the token's account is gone.
  CHECK(s.get("/api/profiles/" + id, token).status == 200);
  CHECK(s.get("/api/profiles/" + id, token).header("x-cache") == "hit");
  CHECK(s.del("/api/profiles/" + id, token).status == 200);
  CHECK(s.get("/api/profiles/" + id, token).status == 401);
  CHECK(s.get("/api/jobs", token).status == 401);
  // The other account is unaffected.
  CHECK(s.get("/api/profiles/" + other_id, other).status == 200);
}

TEST_CASE("conventions: cache.ttl_s=0 turns the cache off") {
  InProcess s({"cache.ttl_s=0"});
  auto [id, token] = s.signup_login("uncached");
  CHECK(s.get("/api/profiles/" + id, token).header("x-cache") == "miss");
  CHECK(s.get("/api/profiles/" + id, token).header("x-cache") == "miss");
  CHECK(s.del("/api/profiles/" + id, token).status == 200);
  CHECK(s.get("/api/profiles/" + id, token).status == 401);
}

TEST_CASE("conventions: cache entries expire after cache.ttl_s") {
  InProcess s({"cache.ttl_s=1"});
  auto [id, token] = s.signup_login("shortlived");
  CHECK(s.get("/api/profiles/" + id, token).header("x-cache") == "miss");
  CHECK(s.get("/api/profiles/" + id, token).header("x-cache") == "hit");
  std::this_thread::sleep_for(1100ms);
  CHECK(s.get("/api/profiles/" + id, token).header("x-cache") == "miss");
}

TEST_CASE("conventions: rate limits per credential, read and write apart, with RateLimit-* and Retry-After") {
  InProcess s({"ratelimit.read_per_s=5", "ratelimit.read_burst=3", "ratelimit.write_per_s=5", "ratelimit.write_burst=3"});
  auto [id, token] = s.signup_login("limited");

  for (int i = 0; i < 3; ++i) {
    auto r = s.get("/api/profiles/" + id, token);
    CHECK(r.status == 200);
    CHECK(r.header("ratelimit-limit") == "3");
    CHECK(std::stoi(r.header("ratelimit-remaining")) <= 2 - i + 1);  // refill may add one on a slow machine
    CHECK(std::stoi(r.header("ratelimit-reset")) >= 1);
  }
  // Drain whatever trickled back, then the next read is refused.
  HttpResult refused;
  for (int i = 0; i < 10 && refused.status != 429; ++i) refused = s.get("/api/profiles/" + id, token);
  REQUIRE(refused.status == 429);
  CHECK(refused.json()["message"] == "Too many requests");
  CHECK(refused.header("retry-after") == "1");
  CHECK(refused.header("ratelimit-limit") == "3");
  CHECK(refused.header("ratelimit-remaining") == "0");
  CHECK(std::stoi(refused.header("ratelimit-reset")) >= 1);
  // The bucket is the credential's, whatever the route.
  CHECK(s.get("/api/jobs", token).status == 429);

  // The write budget is separate.
  auto w = s.post("/api/auth/api-keys", {{"name", "w"}}, token);
  CHECK(w.status == 201);
  CHECK(w.header("ratelimit-limit") == "3");
  // So is another credential (an API key of the same account).
  auto secret = w.json()["key"].get<std::string>();
  CHECK(s.get("/api/jobs", secret).status == 200);

  // Public reads are not limited.
  for (int i = 0; i < 10; ++i) {
    auto h = s.get("/api/health");
    CHECK(h.status == 200);
    CHECK(h.header("ratelimit-limit").empty());
  }
  // Without credentials: 401, nothing counted.
  CHECK(s.get("/api/jobs").status == 401);

  // Recovery: one token every 200 ms, full after 600 ms.
  std::this_thread::sleep_for(1s);
  auto back = s.get("/api/profiles/" + id, token);
  CHECK(back.status == 200);
  CHECK(back.header("ratelimit-remaining") == "2");

  // Writes run dry too.
  HttpResult wr;
  for (int i = 0; i < 10 && wr.status != 429; ++i) wr = s.post("/api/auth/api-keys", {{"name", "x"}}, token);
  CHECK(wr.status == 429);
  CHECK(wr.header("retry-after") == "1");
  CHECK(s.get("/api/profiles/" + id, token).status == 200);  // reads still fine
}

TEST_CASE("conventions: sign-up and log-in are limited per client address") {
  InProcess s({"ratelimit.write_per_s=1", "ratelimit.write_burst=2"});
  auto [id, token] = s.signup_login("first");  // two public writes: the address's bucket is (nearly) empty
  HttpResult login;
  for (int i = 0; i < 5 && login.status != 429; ++i)
    login = s.post("/api/auth/login", {{"login", "first"}, {"password", "password-first"}});
  REQUIRE(login.status == 429);
  CHECK(login.json()["message"] == "Too many requests");
  CHECK(login.header("retry-after") == "1");
  CHECK(login.header("ratelimit-limit") == "2");
  // The account's own token has its own write budget.
  CHECK(s.post("/api/auth/api-keys", {{"name", "mine"}}, token).status == 201);
  std::this_thread::sleep_for(1100ms);
  CHECK(s.post("/api/auth/login", {{"login", "first"}, {"password", "password-first"}}).status == 200);
}

TEST_CASE("conventions: CORS preflight and response headers") {
  const std::string app = "https://app.example.org";
  InProcess s({"cors.allowed_origins=" + app + ", http://localhost:5173"});
  auto [id, token] = s.signup_login("corsair");

  auto pre = s.request("OPTIONS", "/api/auth/api-keys", "",
                       {{"Origin", app}, {"Access-Control-Request-Method", "POST"},
                        {"Access-Control-Request-Headers", "authorization, content-type"}});
  CHECK(pre.status == 204);
  CHECK(method_set(pre.header("access-control-allow-methods")) == std::set<std::string>{"GET", "POST", "OPTIONS"});
  CHECK(pre.header("access-control-allow-origin") == app);
  CHECK(pre.header("vary") == "Origin");
  CHECK(pre.header("access-control-max-age") == "600");
  auto allow_headers = pre.header("access-control-allow-headers");
  for (const char* h : {"Authorization", "Content-Type", "If-None-Match", "X-API-Key", "X-Request-Id"})
    CHECK_MESSAGE(allow_headers.find(h) != std::string::npos, h);
  CHECK(pre.body.empty());

  // Methods per route.
  auto job = s.request("OPTIONS", "/api/jobs/some-id", "", {{"Origin", app}});
  CHECK(method_set(job.header("access-control-allow-methods")) == std::set<std::string>{"GET", "DELETE", "OPTIONS"});
  auto login = s.request("OPTIONS", "/api/auth/login", "", {{"Origin", "http://localhost:5173"}});
  CHECK(login.status == 204);
  CHECK(method_set(login.header("access-control-allow-methods")) == std::set<std::string>{"POST", "OPTIONS"});
  CHECK(login.header("access-control-allow-origin") == "http://localhost:5173");

  // Not allowed, unknown, or without Origin.
  auto evil = s.request("OPTIONS", "/api/auth/api-keys", "", {{"Origin", "https://evil.example.com"}});
  CHECK(evil.status == 403);
  CHECK(evil.json().contains("message"));
  CHECK(evil.header("access-control-allow-origin").empty());
  CHECK(s.request("OPTIONS", "/api/no-such-thing", "", {{"Origin", app}}).status == 404);
  auto plain = s.request("OPTIONS", "/api/jobs");
  CHECK(plain.status == 204);
  CHECK(method_set(plain.header("allow")) == std::set<std::string>{"GET", "POST", "OPTIONS"});
  CHECK(plain.header("access-control-allow-origin").empty());

  // Actual requests from an allowed origin.
  auto r = s.request("GET", "/api/profiles/" + id, "", with(bearer(token), "Origin", app));
  CHECK(r.status == 200);
  CHECK(r.header("access-control-allow-origin") == app);
  CHECK(r.header("vary") == "Origin");
  auto expose = r.header("access-control-expose-headers");
  for (const char* h : {"ETag", "Location", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
                        "X-Request-Id"})
    CHECK_MESSAGE(expose.find(h) != std::string::npos, h);
  CHECK(s.request("GET", "/api/health", "", {{"Origin", app}}).header("access-control-allow-origin") == app);
  // Errors carry them too, so the browser can read the message.
  CHECK(s.request("GET", "/api/jobs", "", {{"Origin", app}}).header("access-control-allow-origin") == app);
  auto other = s.request("GET", "/api/health", "", {{"Origin", "https://evil.example.com"}});
  CHECK(other.status == 200);
  CHECK(other.header("access-control-allow-origin").empty());
  CHECK(s.get("/api/health").header("access-control-allow-origin").empty());
}

TEST_CASE("conventions: CORS with * and with CORS off") {
  {
    InProcess s({"cors.allowed_origins=*"});
    auto r = s.request("GET", "/api/health", "", {{"Origin", "https://anywhere.example.net"}});
    CHECK(r.header("access-control-allow-origin") == "*");
    auto pre = s.request("OPTIONS", "/api/health", "", {{"Origin", "https://anywhere.example.net"}});
    CHECK(pre.status == 204);
    CHECK(pre.header("access-control-allow-origin") == "*");
    CHECK(method_set(pre.header("access-control-allow-methods")) == std::set<std::string>{"GET", "OPTIONS"});
  }
  InProcess s(std::vector<std::string>{});
  auto r = s.request("GET", "/api/health", "", {{"Origin", "https://app.example.org"}});
  CHECK(r.status == 200);
  CHECK(r.header("access-control-allow-origin").empty());
  CHECK(r.header("vary").empty());
  CHECK(s.request("OPTIONS", "/api/health", "", {{"Origin", "https://app.example.org"}}).status == 403);
  CHECK(s.request("OPTIONS", "/api/health").status == 204);
}
