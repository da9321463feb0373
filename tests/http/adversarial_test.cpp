// The adversarial suite over the route table (reliability issue, item 4): every route the server has is
// tried with no credentials, forged and expired tokens, another account's and another tenant's
// credentials on the first account's ids, and malformed bodies. What to expect comes from the route's own
// declaration (RouteOptions: access, body; its path parameters), so a route is covered the day it is
// added. In process: route behaviour, and every answer is checked against the OpenAPI document too.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/http/tokens.hpp"
#include "cadenza/store/bot_repo.hpp"
#include "support/in_process.hpp"

using namespace cadenza;
using namespace cadenza::test;
using nlohmann::json;

namespace {

// The first account's world: alice's profile with one of each resource, a job and an API key; bob in the
// same tenant; carol in another tenant.
struct World {
  InProcess s{[](config::Config& c) { c.ratelimit.auth_failures_per_min = 0; }};
  std::string admin, alice_id, alice, bob, carol;
  std::string bot = store::bot_repo::add(s.app().control.database(), "adversarial_bot").second;  // /api/telegram/*
  std::map<std::string, std::string> ids;  // alice's value for each path parameter, by route pattern + name

  World() {
    admin = s.add_operator("root", "root-password");
    std::tie(alice_id, alice) = s.signup_login("alice");
    std::tie(std::ignore, bob) = s.signup_login("bob");
    auto tenant = s.post("/api/tenants", {{"name", "Other household"}}, admin);
    REQUIRE(tenant.status == 201);
    std::tie(std::ignore, carol) = s.signup_login("carol", tenant.json()["tenantId"].get<std::string>(), admin);
    const auto p = "/api/profiles/" + alice_id;
    auto id_of = [](const HttpResult& r) {
      REQUIRE_MESSAGE((r.status == 201 || r.status == 202), r.body);
      auto j = r.json();
      return j.contains("job") ? j["job"]["id"].get<std::string>() : j["id"].get<std::string>();
    };
    ids["preferenceId"] = id_of(s.post(p + "/preferences", {{"type", "genre"}, {"value", "jazz"}}, alice));
    ids["tuneVectorId"] =
        id_of(s.post(p + "/tune-vectors", {{"name", "focus"}, {"preset", "descent"}, {"durationMinutes", 30}}, alice));
    ids["variableId"] = id_of(s.post(p + "/variables", {{"name", "heart_rate"}}, alice));
    ids["job"] = id_of(s.post("/api/jobs", {{"kind", "demo"}, {"payload", {{"steps", 1}, {"stepMs", 0}}}}, alice));
    ids["apiKey"] = id_of(s.post("/api/auth/api-keys", {{"name", "laptop"}}, alice));
  }

  // The route's target with alice's ids; "" for routes whose parameters are not alice's (signed blob links).
  std::string target(const http::Route& r) const {
    std::string out;
    for (const auto& seg : r.segments) {
      if (seg.empty()) continue;
      std::string value = seg;
      if (seg.front() == '{') {
        auto name = seg.substr(1, seg.size() - 2);
        if (name == "id") {
          value = r.pattern.rfind("/api/jobs/", 0) == 0         ? ids.at("job")
                  : r.pattern.rfind("/api/auth/api-keys", 0) == 0 ? ids.at("apiKey")
                                                                  : alice_id;
        } else if (ids.count(name)) {
          value = ids.at(name);
        } else {
          return "";
        }
      }
      out += "/" + value;
    }
    return out;
  }
};

bool has_param(const http::Route& r) { return r.pattern.find('{') != std::string::npos; }

std::string b64(const std::string& s) { return crypto::base64url(s); }

}  // namespace

TEST_CASE("adversarial: every authenticated route refuses missing, forged, foreign-signed and expired tokens") {
  World w;
  const auto now = now_ms();
  const http::Principal as_alice{w.alice_id, "", "user"};
  const std::string claims = b64(json{{"sub", w.alice_id}, {"tid", "x"}, {"role", "admin"}, {"exp", now / 1000 + 600}}.dump());
  const std::map<std::string, std::string> forged = {
      {"garbage", "not-a-token"},
      {"three dots", "a.b.c"},
      {"alg none", b64(R"({"alg":"none","typ":"JWT"})") + "." + claims + "."},
      {"alg HS512 header", b64(R"({"alg":"HS512","typ":"JWT"})") + "." + claims + ".AAAA"},
      {"signed with another key", http::Tokens("another-secret-of-32-bytes-length!", 3600).issue(as_alice, now).token},
      {"expired", w.s.app().tokens.issue({w.alice_id, "", "user"}, now - 30LL * 24 * 3600 * 1000).token},
      {"an API key that does not exist", "cdz_0000000000000000000000000000000000000000"},
  };
  int routes = 0;
  for (const auto& r : w.s.app().router.routes()) {
    if (r.access != http::Access::Authenticated) continue;
    auto target = w.target(r);
    if (target.empty()) continue;
    ++routes;
    INFO(r.method << " " << r.pattern);
    CHECK(w.s.request(r.method, target, r.body ? "{}" : "").status == 401);
    for (const auto& [what, token] : forged) {
      INFO(what);
      CHECK(w.s.request(r.method, target, r.body ? "{}" : "", {{"Authorization", "Bearer " + token}}).status == 401);
    }
  }
  CHECK(routes >= 25);
}

TEST_CASE("adversarial: another account and another tenant get nothing of the first account's through any route") {
  World w;
  int routes = 0;
  for (const auto& r : w.s.app().router.routes()) {
    if (r.access != http::Access::Authenticated || !has_param(r)) continue;
    auto target = w.target(r);
    if (target.empty()) continue;
    ++routes;
    for (const auto& [who, token] : {std::pair{"bob (same tenant)", w.bob}, std::pair{"carol (other tenant)", w.carol}}) {
      INFO(r.method << " " << target << " as " << who);
      auto res = w.s.request(r.method, target, r.body ? "{}" : "", Client::auth(token));
      CHECK_MESSAGE((res.status == 403 || res.status == 404), "answered " << res.status << ": " << res.body);
    }
  }
  CHECK(routes >= 15);
  // And nothing of alice's was changed or removed on the way.
  const auto p = "/api/profiles/" + w.alice_id;
  CHECK(w.s.get(p + "/preferences/" + w.ids["preferenceId"], w.alice).status == 200);
  CHECK(w.s.get(p + "/tune-vectors/" + w.ids["tuneVectorId"], w.alice).status == 200);
  CHECK(w.s.get(p + "/variables/" + w.ids["variableId"], w.alice).json()["optedIn"] == true);
  CHECK(w.s.get(p, w.alice).json()["firstName"] == "Test");
  auto keys = w.s.get("/api/auth/api-keys", w.alice).json()["apiKeys"];
  REQUIRE(keys.size() == 1);
  CHECK(keys[0]["id"] == w.ids["apiKey"]);
}

TEST_CASE("adversarial: every route with a declared body refuses malformed, mistyped and unknown-member bodies") {
  World w;
  int routes = 0;
  for (const auto& r : w.s.app().router.routes()) {
    if (!r.body) continue;
    auto target = w.target(r);
    if (target.empty()) continue;
    ++routes;
    INFO(r.method << " " << r.pattern);
    // As the operator (an admin of alice's tenant): every route lets it past authorization to the body.
    // The bot routes (public to dispatch) want the bot's token.
    const auto auth = r.access == http::Access::Authenticated      ? Client::auth(w.admin)
                      : r.pattern.rfind("/api/telegram/", 0) == 0 ? std::map<std::string, std::string>{{"Authorization", "Bot " + w.bot}}
                                                                  : std::map<std::string, std::string>{};
    auto with_type = [&](const std::string& type) {
      auto h = auth;
      h["Content-Type"] = type;
      return h;
    };
    CHECK(w.s.request(r.method, target, "{", auth).status == 400);
    CHECK(w.s.request(r.method, target, "{\"a\":1}\x01", auth).status == 400);
    CHECK(w.s.request(r.method, target, "[]", auth).status == 400);
    CHECK(w.s.request(r.method, target, "\"text\"", auth).status == 400);
    CHECK(w.s.request(r.method, target, std::string(80, '[') + std::string(80, ']'), auth).status == 400);
    CHECK(w.s.request(r.method, target, R"({"a":1})", with_type("text/plain")).status == 415);
    CHECK(w.s.request(r.method, target, "a=1", with_type("application/x-www-form-urlencoded")).status == 415);
    auto unknown = w.s.request(r.method, target, R"({"zzUnknownMember": 1})", auth);
    CHECK(unknown.status == 400);
    if (unknown.status == 400) CHECK(unknown.json()["errors"].value("zzUnknownMember", "") == "unknown field");
    // Every declared member given a value of the wrong type is named.
    json wrong = json::object();
    for (const auto& [name, prop] : r.body->schema["properties"].items())
      if (!prop.value("readOnly", false)) wrong[name] = json::array({json::array()});
    auto typed = w.s.request(r.method, target, wrong.dump(), auth);
    CHECK(typed.status == 400);
    if (typed.status == 400) {
      auto errors = typed.json()["errors"];
      for (const auto& [name, _] : wrong.items()) {
        const auto& prop = r.body->schema["properties"][name];
        // A member that takes arrays (itself or in one of its anyOf branches) names the bad item instead.
        bool takes_anything = prop.empty() || prop.contains("$ref") ||
                              (prop.contains("type") && prop["type"].dump().find("array") != std::string::npos) ||
                              (prop.contains("anyOf") && prop["anyOf"].dump().find("\"array\"") != std::string::npos);
        if (!takes_anything) CHECK_MESSAGE(errors.contains(name), name << " not named: " << typed.body);
      }
    }
  }
  CHECK(routes >= 12);
}

TEST_CASE("adversarial: path traversal on the browser app's and the blob routes finds no file outside them") {
  World w;
  const std::string tenant = w.s.app().control.default_tenant().id;
  const std::vector<std::string> targets = {
      "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2f..%2fetc%2fpasswd",
        "/..%5c..%5cetc%5cpasswd", "/soundfonts/../../../../etc/passwd", "/soundfonts/%2e%2e%2fdefault.sf2",
        "/api/blobs/" + tenant + "/..%2f..%2fcontrol.db", "/api/blobs/..%2f..%2f/control.db",
        "/api/blobs/" + tenant + "/%2e%2e", "/api/blobs/" + tenant + "/" + std::string(64, 'a') + "%00.txt"};
  for (const auto& target : targets) {
    INFO(target);
    auto r = w.s.get(target);
    CHECK(r.body.find("root:") == std::string::npos);
    CHECK(r.body.find("SQLite format") == std::string::npos);
    // The browser app answers unknown paths with its index page (client routing); nothing else is a 200.
    if (r.status == 200) CHECK(r.header("content-type").find("text/html") == 0);
    else CHECK_MESSAGE((r.status == 400 || r.status == 403 || r.status == 404), r.status);
  }
}
