// Fuzz-style tests of the listener API's write routes: a deterministic (seeded) set of bad bodies per route —
// malformed JSON, wrong types, huge/unicode/injection strings, huge numbers, weird ids. Every answer must be a
// 4xx with a JSON {"message": string} body (never a 5xx, never a hang); strings that were accepted come back
// byte-identical; the server stays up and both databases pass PRAGMA integrity_check afterwards.
#include <doctest/doctest.h>

#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "test_server.hpp"

using namespace cadenza::test;
using nlohmann::json;

namespace {

constexpr std::size_t kBodyLimit = 1048576;
constexpr auto kTimeout = std::chrono::milliseconds(10000);

// Which JSON types a field accepts: i integer, n number, s string, b bool, o object, a array.
struct Field {
  std::string ptr;      // JSON pointer into the body
  std::string types;    // accepted types
  bool strings_may_pass = false;  // a string payload may be accepted (then it must round-trip)
  bool null_rejects = true;       // null must be refused (false: null has a meaning, e.g. "reset")
  bool numbers_reject = true;     // 1e308, -1, 2^63, ... are all out of range
};

struct Route {
  std::string method, path;
  std::function<json()> base;  // a valid body
  std::vector<Field> fields;
  std::string token;
  // Given an accepted answer: the stored resource (a GET), to compare accepted strings with.
  std::function<json(const json& answer)> read_back;
  // Given an accepted answer: undo it (delete what was created), so caps are never reached.
  std::function<void(const json& answer)> cleanup = [](const json&) {};
};

struct Case {
  std::string what;
  std::string body;
  bool must_reject = true;
  int want = 0;       // exact status wanted (0: any 4xx, or 2xx when !must_reject)
  std::string ptr;    // for accepted strings: where the value was put
  json sent;          // ... and what it was
};

const std::vector<std::pair<std::string, json>> kTypeSamples = {
    {"i", 0}, {"n", 1.5}, {"s", "s"}, {"b", true}, {"z", nullptr}, {"a", json::array({1, "x"})}, {"o", json{{"k", 1}}}};

bool type_ok(const std::string& types, const std::string& tag) {
  if (tag == "i") return types.find_first_of("in") != std::string::npos;
  return types.find(tag) != std::string::npos;
}

std::vector<std::pair<std::string, json>> string_payloads() {
  return {
      {"emoji", "\xF0\x9F\x8E\xB5\xF0\x9F\x8E\xB9 \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x8E\xA4"},
      {"rtl", "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xE2\x80\x8F\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xE2\x80\xAE"},
      {"nul", std::string("a\0b", 3)},
      {"combining", "e\xCC\x81\xCC\x81\xCC\x81 Zalgo\xCD\x8E\xCD\x96"},
      {"bom+zwsp", "\xEF\xBB\xBFx\xE2\x80\x8By"},
      {"sql-drop", "'; DROP TABLE preferences; --"},
      {"sql-or", "1 OR 1=1"},
      {"sql-quote", "\" OR \"\"=\""},
      {"html-script", "<script>alert(1)</script>"},
      {"html-img", "\"><img src=x onerror=alert(1)>&amp;"},
      {"control", "tab\tnew\nline\r\x01\x1f\\"},
      {"1MB", std::string(1000000, 'm')},
  };
}

// Raw number texts, sent unchanged into the body (some are beyond what a double or int64 holds).
const std::vector<std::string> kNumbers = {"1e308",  "-1e308",   "1e400", "-1",
                                           "9223372036854775808", "-9223372036854775809",
                                           "18446744073709551616", "123456789012345678901234567890"};

std::string set_raw(json body, const std::string& ptr, const std::string& raw) {
  body[json::json_pointer(ptr)] = "@@RAW@@";
  auto text = body.dump();
  auto pos = text.find("\"@@RAW@@\"");
  return text.replace(pos, 9, raw);
}

std::vector<Case> make_cases(const Route& r, std::mt19937& rng) {
  std::vector<Case> out;
  auto valid = r.base().dump();
  // Malformed JSON.
  for (int i = 0; i < 6; ++i) {
    std::uniform_int_distribution<std::size_t> cut(0, valid.size() - 2);
    out.push_back({"truncated", valid.substr(0, cut(rng))});
  }
  for (const std::string& tail : {std::string(" garbage"), std::string("}"), std::string("{}"), std::string(","),
                                   std::string("\0", 1), std::string("\xff")})
    out.push_back({"trailing " + json(tail).dump(-1, ' ', false, json::error_handler_t::replace), valid + tail});
  for (const char* s : {"", " ", "{", "}", "[", "null", "[]", "42", "\"s\"", "true", "{\"a\":}", "{'type':'genre'}",
                        "{\"a\":1,}", "{\"a\" 1}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":01}", "{\"a\":.5}",
                        "/* c */ {}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\u00\"}"})
    out.push_back({"malformed", s});
  out.push_back({"deep array", std::string(10000, '[') + std::string(10000, ']')});
  std::string deep_obj;
  for (int i = 0; i < 10000; ++i) deep_obj += "{\"a\":";
  deep_obj += "1" + std::string(10000, '}');
  out.push_back({"deep object", deep_obj});
  out.push_back({"deep unclosed", std::string(10000, '[')});
  out.push_back({"deep in field", set_raw(r.base(), r.fields[0].ptr, std::string(10000, '[') + std::string(10000, ']'))});
  // Invalid UTF-8 inside a string (raw bytes: lone continuation, truncated sequence, overlong, surrogate).
  for (const char* bad : {"\xff\xfe", "\x80", "\xc3\x28", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"})
    out.push_back({"invalid utf-8", set_raw(r.base(), r.fields[0].ptr, std::string("\"x") + bad + "y\"")});
  // Wrong types, missing fields, payloads and numbers, per field.
  for (const auto& f : r.fields) {
    for (const auto& [tag, sample] : kTypeSamples) {
      if (tag == "z" ? !f.null_rejects : type_ok(f.types, tag)) continue;
      auto b = r.base();
      b[json::json_pointer(f.ptr)] = sample;
      out.push_back({"type " + tag + " in " + f.ptr, b.dump()});
    }
    if (type_ok(f.types, "s")) {
      for (const auto& [name, payload] : string_payloads()) {
        auto b = r.base();
        b[json::json_pointer(f.ptr)] = payload;
        out.push_back({name + " in " + f.ptr, b.dump(), !f.strings_may_pass, 0, f.ptr, payload});
      }
      auto b = r.base();
      b[json::json_pointer(f.ptr)] = std::string(kBodyLimit + 1000, 'h');
      out.push_back({"over body_limit in " + f.ptr, b.dump(), true, 413});
    }
    if (type_ok(f.types, "n") || type_ok(f.types, "i"))
      for (const auto& n : kNumbers) out.push_back({"number " + n + " in " + f.ptr, set_raw(r.base(), f.ptr, n), f.numbers_reject});
  }
  return out;
}

// Checks the shape of any answer: never 0 (hang/drop), never 5xx, JSON with a message for errors.
void check_answer(const std::string& ctx, const HttpResult& res) {
  INFO(ctx);
  CHECK_MESSAGE(res.status != 0, "no answer within the timeout (or the connection was dropped)");
  CHECK(res.status < 500);
  if (res.status == 204 || res.status == 0) return;
  CHECK(res.header("content-type").find("application/json") == 0);
  auto j = json::parse(res.body, nullptr, false);
  CHECK_MESSAGE(j.is_object(), "body is not a JSON object");
  if (res.status >= 400 && j.is_object()) CHECK(j["message"].is_string());
}

void run_route(const ServerProcess& s, const Route& r, std::mt19937& rng, int& accepted) {
  for (const auto& c : make_cases(r, rng)) {
    std::map<std::string, std::string> h;
    if (!r.token.empty()) h["Authorization"] = "Bearer " + r.token;
    if (r.method == "PATCH") h["Content-Type"] = "application/merge-patch+json";
    auto res = s.request_within(kTimeout, r.method, r.path, c.body, h);
    std::string ctx = r.method + " " + r.path + " [" + c.what + "] " + c.body.substr(0, 200) + " -> " +
                      std::to_string(res.status) + " " + res.body.substr(0, 400);
    check_answer(ctx, res);
    INFO(ctx);
    if (c.want) {
      CHECK(res.status == c.want);
    } else if (c.must_reject) {
      CHECK(res.status >= 400);
      CHECK(res.status < 500);
    }
    if (res.status >= 200 && res.status < 300) {
      ++accepted;
      auto answer = json::parse(res.body, nullptr, false);
      if (!c.ptr.empty() && c.ptr != "/password") {
        auto stored = r.read_back(answer);
        json::json_pointer p(c.ptr);
        CHECK_MESSAGE(stored.contains(p), stored.dump().substr(0, 300));
        if (stored.contains(p)) CHECK_MESSAGE(stored[p] == c.sent, ("stored: " + stored[p].dump().substr(0, 200)));
        if (answer.contains(p)) CHECK(answer[p] == c.sent);
      }
      r.cleanup(answer);
    }
  }
}

std::string pct(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string o;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      o += static_cast<char>(c);
    } else {
      o += '%';
      o += hex[c >> 4];
      o += hex[c & 15];
    }
  }
  return o;
}

}  // namespace

TEST_CASE("fuzz: listener write routes answer bad input with 4xx JSON, store accepted strings exactly") {
  auto t0 = std::chrono::steady_clock::now();
  TempDir dir;
  add_operator(dir.str(), "root", "root-password");
  auto srv = std::make_unique<ServerProcess>(
      dir.str(), std::vector<std::string>{"--set", "ratelimit.read_per_s=0", "--set", "ratelimit.write_per_s=0", "--set",
                                           "server.body_limit=" + std::to_string(kBodyLimit)});
  auto& s = *srv;
  auto admin = s.post("/api/auth/login", {{"login", "root"}, {"password", "root-password"}}).json()["token"].get<std::string>();
  auto [fid, ftok] = s.signup_login("fuzzer");
  auto P = "/api/profiles/" + fid;
  // Known data that must survive everything.
  auto keep_pref = s.post(P + "/preferences", {{"type", "genre"}, {"value", "keep-me"}}, ftok);
  REQUIRE(keep_pref.status == 201);
  auto pref = s.post(P + "/preferences", {{"type", "genre"}, {"value", "patch-me"}}, ftok);
  REQUIRE(pref.status == 201);
  auto pref_id = pref.json()["id"].get<std::string>();
  auto tv = s.post(P + "/tune-vectors", {{"name", "patch-me"}, {"preset", "ascent"}, {"durationMinutes", 60}}, ftok);
  REQUIRE(tv.status == 201);
  auto tv_id = tv.json()["id"].get<std::string>();
  auto var = s.post(P + "/variables", {{"name", "heart_rate"}}, ftok);
  REQUIRE(var.status == 201);
  auto var_id = var.json()["id"].get<std::string>();
  REQUIRE(s.post(P + "/variables/" + var_id + "/readings", {{"value", 70}}, ftok).status == 201);

  auto get_json = [&](const std::string& target, const std::string& token) {
    auto r = s.get(target, token);
    return r.status == 200 ? r.json() : json();
  };
  auto del_created = [&](const std::string& coll) {
    return [&, coll](const json& a) {
      if (a.contains("id")) s.del(P + coll + "/" + a["id"].get<std::string>(), ftok);
    };
  };
  int n = 0;
  std::vector<Route> routes = {
      {"POST", "/api/profiles",
       [&] {
         ++n;
         return json{{"username", "fz" + std::to_string(n)}, {"firstName", "F"}, {"lastName", "Z"},
                     {"email", "fz" + std::to_string(n) + "@example.com"}, {"phoneNumber", "+15550000000"},
                     {"password", "password-fz"}};
       },
       {{"/username", "s", true}, {"/firstName", "s", true}, {"/lastName", "s", true}, {"/email", "s", true},
        {"/phoneNumber", "s", true}, {"/password", "s", true}},
       "",
       [&](const json& a) { return get_json("/api/profiles/" + a.value("profileId", ""), admin); },
       [&](const json& a) { s.del("/api/profiles/" + a.value("profileId", "") + "?cascade=true", admin); }},
      {"PUT", P,
       [] { return json{{"username", "fuzzer"}, {"firstName", "F"}, {"lastName", "Z"}, {"phoneNumber", "+15550000000"}}; },
       {{"/username", "s", true}, {"/firstName", "s", true}, {"/lastName", "s", true}, {"/phoneNumber", "s", true},
        {"/email", "s", false, false}, {"/id", "s", false, false}},
       ftok, [&](const json&) { return get_json(P, ftok); }},
      {"POST", P + "/preferences", [] { return json{{"type", "genre"}, {"value", "fz"}, {"weight", 0.5}, {"rank", 0}}; },
       {{"/value", "s", true}, {"/type", "s"}, {"/weight", "n", false, false}, {"/rank", "i", false, false}}, ftok,
       [&](const json& a) { return get_json(P + "/preferences/" + a.value("id", ""), ftok); },
       del_created("/preferences")},
      {"POST", P + "/preferences",
       [] { return json{{"type", "tempo"}, {"value", {{"minBpm", 60}, {"maxBpm", 120}}}}; },
       {{"/value/minBpm", "n"}, {"/value/maxBpm", "n"}, {"/value", "o"}}, ftok,
       [&](const json& a) { return get_json(P + "/preferences/" + a.value("id", ""), ftok); },
       del_created("/preferences")},
      {"PATCH", P + "/preferences/" + pref_id, [] { return json{{"value", "fz"}, {"weight", 0.5}, {"rank", 0}}; },
       {{"/value", "s", true}, {"/type", "s"}, {"/weight", "n", false, false}, {"/rank", "i"}}, ftok,
       [&](const json&) { return get_json(P + "/preferences/" + pref_id, ftok); }},
      {"POST", P + "/tune-vectors",
       [] {
         return json{{"name", "fz"},
                     {"mode", "guided"},
                     {"waypoints",
                      {{{"atMinute", 0}, {"target", {{"energy", 0.2}}}}, {{"atMinute", 60}, {"target", {{"energy", 0.8}}}}}},
                     {"genres", {{{"genre", "techno"}, {"minutes", 60}}}}};
       },
       {{"/name", "s", true}, {"/genres/0/genre", "s", true}, {"/mode", "s"}, {"/waypoints", "a"},
        {"/waypoints/1/atMinute", "n"}, {"/waypoints/1/target", "o"}, {"/waypoints/1/target/energy", "n"},
        {"/genres", "a"}, {"/genres/0/minutes", "n"}},
       ftok, [&](const json& a) { return get_json(P + "/tune-vectors/" + a.value("id", ""), ftok); },
       del_created("/tune-vectors")},
      {"POST", P + "/tune-vectors", [] { return json{{"name", "fz"}, {"preset", "descent"}, {"durationMinutes", 30}}; },
       {{"/preset", "s"}, {"/durationMinutes", "n"}}, ftok,
       [&](const json& a) { return get_json(P + "/tune-vectors/" + a.value("id", ""), ftok); },
       del_created("/tune-vectors")},
      {"PATCH", P + "/tune-vectors/" + tv_id, [] { return json{{"name", "fz"}, {"target", {{"energy", 0.5}}}}; },
       {{"/name", "s", true}, {"/target/energy", "n"}, {"/target", "o", false, false}, {"/mode", "s", false, false},
        {"/waypoints", "a", false, false}, {"/position", "i", false, false}, {"/durationMinutes", "n", false, false},
        {"/preset", "s"}},
       ftok, [&](const json&) { return get_json(P + "/tune-vectors/" + tv_id, ftok); }},
      {"POST", P + "/variables", [] { return json{{"name", "rating"}}; }, {{"/name", "s"}}, ftok,
       [&](const json& a) { return get_json(P + "/variables/" + a.value("id", ""), ftok); }, del_created("/variables")},
      {"PATCH", P + "/variables/" + var_id, [] { return json{{"optedIn", true}}; },
       {{"/optedIn", "b", false, false}, {"/name", "s", false, false}}, ftok,
       [&](const json&) { return get_json(P + "/variables/" + var_id, ftok); }},
      {"POST", P + "/variables/" + var_id + "/readings",
       [] { return json{{"value", 72}, {"unit", "bpm"}, {"recordedAt", "2025-01-01T00:00:00.000Z"}}; },
       {{"/value", "n"}, {"/unit", "s", false, false}, {"/recordedAt", "s", false, false}}, ftok, [](const json& a) { return a; }},
      {"POST", P + "/variables/" + var_id + "/readings", [] { return json{{"readings", {{{"value", 72}}, {{"value", 73}}}}}; },
       {{"/readings", "a"}, {"/readings/1", "o"}, {"/readings/1/value", "n"}}, ftok, [](const json& a) { return a; }},
  };
  std::mt19937 rng(20261122);
  int accepted = 0;
  for (const auto& r : routes) {
    INFO("route " << r.method << " " << r.path);
    run_route(s, r, rng, accepted);
  }
  // Weird ids in every id position of PATCH/DELETE routes, and bad ?cascade values.
  std::vector<std::string> ids = {"'; DROP TABLE preferences; --", "1 OR 1=1", "<script>alert(1)</script>",
                                  std::string("\0", 1), "\xff\xfe", "../../control.db", "%", "*",
                                  "\xF0\x9F\x8E\xB5", std::string(4000, 'a'), "-1",
                                  "00000000-0000-0000-0000-000000000000", pref_id + "x", pref_id.substr(1)};
  std::vector<std::string> targets;
  for (const auto& id : ids) {
    auto e = pct(id);
    for (const char* coll : {"/preferences/", "/tune-vectors/", "/variables/"}) {
      targets.push_back("DELETE " + P + coll + e);
      targets.push_back("PATCH " + P + coll + e);
    }
    targets.push_back("POST " + P + "/variables/" + e + "/readings");
    targets.push_back("DELETE /api/profiles/" + e);
    targets.push_back("PUT /api/profiles/" + e);
    targets.push_back("DELETE /api/profiles/" + e + "/preferences/" + pref_id);
  }
  for (const auto& t : targets) {
    auto sp = t.find(' ');
    auto method = t.substr(0, sp), target = t.substr(sp + 1);
    std::map<std::string, std::string> h = {{"Authorization", "Bearer " + ftok}};
    std::string body = method == "PATCH" ? "{\"name\":\"x\"}" : method == "PUT" ? "{}" : method == "POST" ? "{\"value\":72}" : "";
    if (method == "PATCH") h["Content-Type"] = "application/merge-patch+json";
    auto res = s.request_within(kTimeout, method, target, body, h);
    std::string ctx = t.substr(0, 200) + " -> " + std::to_string(res.status) + " " + res.body.substr(0, 300);
    check_answer(ctx, res);
    INFO(ctx);
    CHECK(res.status >= 400);
  }
  MESSAGE("accepted " << accepted << " fuzz bodies");

  // Still alive, and the known data is intact.
  CHECK(s.get("/api/health").status == 200);
  REQUIRE(s.get(P, ftok).status == 200);
  auto list = s.get(P + "/preferences", ftok).json();
  std::set<std::string> values;
  for (const auto& p : list["preferences"]) values.insert(p["value"].is_string() ? p["value"].get<std::string>() : "");
  CHECK(values.count("keep-me") == 1);
  CHECK(list["count"] == 2);  // every accepted creation was deleted again
  for (std::size_t i = 0; i < list["preferences"].size(); ++i) CHECK(list["preferences"][i]["rank"] == i);
  CHECK(s.get(P + "/tune-vectors", ftok).json()["count"] == 1);
  CHECK(s.get(P + "/variables", ftok).json()["count"] == 1);
  // Bad ?cascade values on the (dependent-holding) profile: 400, and the profile is still there.
  for (const std::string v : {"yes", "1", "TRUE", "True", "true%00", "truee", "true%20", "%00true", "'%20OR%201=1%20--",
                              "%3Cscript%3E", "%F0%9F%8E%B5", "%FF", ""}) {
    auto res = s.request_within(kTimeout, "DELETE", P + "?cascade=" + v, "", {{"Authorization", "Bearer " + ftok}});
    std::string ctx = "DELETE " + P + "?cascade=" + v + " -> " + std::to_string(res.status) + " " + res.body;
    check_answer(ctx, res);
    INFO(ctx);
    CHECK(res.status >= 400);
  }
  CHECK(s.get(P, ftok).status == 200);
  auto tenant_rows = sqlite_query(dir.str() + "/control.db", "SELECT tenant_id FROM accounts WHERE id = '" + fid + "'");
  REQUIRE(tenant_rows.size() == 1);
  auto tenant_db = dir.str() + "/tenants/" + tenant_rows[0][0] + ".db";
  CHECK(s.terminate() == 0);

  // Integrity of both databases, opened read-only after the server stopped; every table is still there.
  for (const auto& [db, tables] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {dir.str() + "/control.db", {"tenants", "accounts", "api_keys"}},
           {tenant_db, {"jobs", "preferences", "tune_vectors", "variables", "readings", "profile_signals"}}}) {
    INFO(db);
    auto ic = sqlite_query(db, "PRAGMA integrity_check", true);
    REQUIRE(ic.size() >= 1);
    CHECK(ic[0][0] == "ok");
    auto fk = sqlite_query(db, "PRAGMA foreign_key_check", true);
    CHECK(fk.empty());
    for (const auto& t : tables)
      CHECK_MESSAGE(sqlite_query(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + t + "'", true)[0][0] == "1", t);
  }
  auto kept = sqlite_query(tenant_db, "SELECT count(*) FROM preferences WHERE value = '\"keep-me\"'", true);
  CHECK(kept[0][0] == "1");
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("fuzz suite took " << secs << " s");
  CHECK(secs < 90);
}
