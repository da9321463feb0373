#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "cadenza/http/response_cache.hpp"

using namespace cadenza;
using namespace std::chrono_literals;
using http::Principal;
using http::Response;
using http::ResponseCache;

namespace {
struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  ResponseCache::Clock fn() {
    return [this] { return now; };
  }
};
Response ok(const std::string& body) { return Response::json(200, nlohmann::json{{"v", body}}); }
std::string value(const std::optional<Response>& r) { return nlohmann::json::parse(r->body)["v"].get<std::string>(); }
}  // namespace

TEST_CASE("etags: stable 16-hex strong tags; If-None-Match lists, * and W/") {
  auto e = http::etag_for("{\"a\":1}");
  CHECK(e.size() == 18);
  CHECK(e.front() == '"');
  CHECK(e.back() == '"');
  CHECK(e.find_first_not_of("0123456789abcdef", 1) == 17);
  CHECK(e == http::etag_for("{\"a\":1}"));
  CHECK(e != http::etag_for("{\"a\":2}"));
  CHECK(http::etag_for("") != http::etag_for(std::string(1, '\0')));
  CHECK(http::fast_hash64("abcdefgh") != http::fast_hash64("abcdefgi"));

  CHECK(http::etag_matches(e, e));
  CHECK(http::etag_matches("W/" + e, e));
  CHECK(http::etag_matches("\"x\", " + e + " ,\"y\"", e));
  CHECK(http::etag_matches("*", e));
  CHECK_FALSE(http::etag_matches("\"x\", \"y\"", e));
  CHECK_FALSE(http::etag_matches("", e));
}

TEST_CASE("response cache: hit until the profile's or the requester's generation moves") {
  FakeClock clock;
  ResponseCache c(300, 100, clock.fn());
  CHECK(c.enabled());
  auto s = c.stamp("p1", "u1");
  c.store("k", ok("one"), s);
  REQUIRE(c.find("k"));
  CHECK(value(c.find("k")) == "one");
  CHECK_FALSE(c.find("other"));

  c.bump("someone-else");
  CHECK(c.find("k"));
  c.bump("p1");  // a write to the profile
  CHECK_FALSE(c.find("k"));
  CHECK(c.size() == 0);

  c.store("k", ok("two"), c.stamp("p1", "u1"));
  CHECK(value(c.find("k")) == "two");
  c.bump("u1");  // a write by the requester (e.g. its role changed, or it revoked a key)
  CHECK_FALSE(c.find("k"));
}

TEST_CASE("response cache: a write during the handler keeps its result out") {
  FakeClock clock;
  ResponseCache c(300, 100, clock.fn());
  auto before = c.stamp("p1", "u1");  // taken before the handler read the database
  c.bump("p1");                       // a write committed meanwhile
  c.store("k", ok("maybe stale"), before);
  CHECK_FALSE(c.find("k"));
  CHECK(c.generation("p1") > 0);
  CHECK(c.generation("never") == 0);
}

TEST_CASE("response cache: TTL, non-200 answers and the size bound") {
  FakeClock clock;
  ResponseCache c(10, 3, clock.fn());
  c.store("a", ok("a"), c.stamp("p", "u"));
  clock.now += 10s;
  CHECK(c.find("a"));
  clock.now += 1ms;
  CHECK_FALSE(c.find("a"));

  c.store("e", Response::json(404, {{"message", "no"}}), c.stamp("p", "u"));
  CHECK_FALSE(c.find("e"));

  for (const char* k : {"1", "2", "3", "4"}) c.store(k, ok(k), c.stamp("p", "u"));
  CHECK(c.size() == 3);
  CHECK_FALSE(c.find("1"));  // oldest evicted
  CHECK(value(c.find("4")) == "4");
  c.store("2", ok("2b"), c.stamp("p", "u"));  // replacing does not grow
  CHECK(c.size() == 3);
  CHECK(value(c.find("2")) == "2b");

  ResponseCache off(0, 100, clock.fn());
  CHECK_FALSE(off.enabled());
  off.store("a", ok("a"), off.stamp("p", "u"));
  CHECK_FALSE(off.find("a"));
}

TEST_CASE("principal cache: generation, TTL and a racing write") {
  FakeClock clock;
  ResponseCache c(60, 2, clock.fn());
  Principal p{"acc1", "t1", "user"};
  c.store_principal("tok", p, c.epoch());
  REQUIRE(c.find_principal("tok"));
  CHECK(c.find_principal("tok")->account_id == "acc1");
  c.bump("acc1");  // deleted, role changed, key revoked...
  CHECK_FALSE(c.find_principal("tok"));

  auto epoch = c.epoch();
  c.bump("anyone");  // any write between the lookup and the store
  c.store_principal("tok", p, epoch);
  CHECK_FALSE(c.find_principal("tok"));

  c.store_principal("tok", p, c.epoch());
  clock.now += 61s;
  CHECK_FALSE(c.find_principal("tok"));

  c.store_principal("a", p, c.epoch());
  c.store_principal("b", p, c.epoch());
  c.store_principal("c", p, c.epoch());
  CHECK(c.principal_count() == 2);
  CHECK_FALSE(c.find_principal("a"));
}

TEST_CASE("response cache: forgetting old generations never revives a stale entry") {
  FakeClock clock;
  ResponseCache c(10, 1, clock.fn());  // keeps at most max(4096, 2) generations
  c.store("k", ok("v"), c.stamp("p", "u"));
  c.bump("p");
  CHECK_FALSE(c.find("k"));
  c.store("k", ok("v2"), c.stamp("p", "u"));  // stamped with p's non-zero generation
  // 5000 other writes within the TTL overflow the generation table: everything is dropped.
  for (int i = 0; i < 5000; ++i) c.bump("x" + std::to_string(i));
  CHECK_FALSE(c.find("k"));
  // Entries stamped after a forgotten bump do not match a forgotten (zero) generation either.
  c.store("k", ok("v3"), c.stamp("p", "u"));
  CHECK(value(c.find("k")) == "v3");
}

TEST_CASE("response cache: a byte budget bounds big bodies") {
  FakeClock clock;
  ResponseCache c(300, 1000, clock.fn(), 10000);
  const std::string big(3000, 'x');
  for (int i = 0; i < 10; ++i) c.store("k" + std::to_string(i), ok(big), c.stamp("p", "u"));
  CHECK(c.bytes() <= 10000);
  CHECK(c.size() == 3);
  CHECK(c.find("k9"));
  CHECK_FALSE(c.find("k0"));
  c.store("huge", ok(std::string(20000, 'y')), c.stamp("p", "u"));  // larger than the budget: not kept
  CHECK_FALSE(c.find("huge"));
  CHECK(c.find("k9"));
  c.bump("p");
  CHECK_FALSE(c.find("k9"));
  CHECK(c.size() == 2);
}
