// The response cache is invalidated by the store: a write of a profile's data made outside any request
// (a background job) is visible to the next GET at once, through the in-process harness.
#include <doctest/doctest.h>

#include <thread>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/preference_repo.hpp"
#include "support/in_process.hpp"

using namespace cadenza;

namespace {

std::size_t preference_count(test::InProcess& h, const test::InProcess::User& u, std::string* x_cache) {
  auto r = h.get("/api/profiles/" + u.id + "/preferences", u.token);
  REQUIRE(r.status == 200);
  *x_cache = r.header("x-cache");
  return r.json().at("preferences").size();
}

store::Preference genre(const std::string& profile_id, const std::string& value) {
  store::Preference p;
  p.id = new_uuid();
  p.profile_id = profile_id;
  p.type = "genre";
  p.value = value;
  p.created_at = p.updated_at = now_ms();
  return p;
}

}  // namespace

TEST_CASE("a background write to a profile's data invalidates its cached GETs at once") {
  test::InProcess h;
  auto alice = h.sign_up("alice");
  REQUIRE(!alice.token.empty());
  REQUIRE(h.post("/api/profiles/" + alice.id + "/preferences", {{"type", "genre"}, {"value", "jazz"}}, alice.token)
              .status == 201);
  std::string x_cache;
  CHECK(preference_count(h, alice, &x_cache) == 1);
  CHECK(x_cache == "miss");
  CHECK(preference_count(h, alice, &x_cache) == 1);
  CHECK(x_cache == "hit");

  // What a training job does: write through the repository on a worker thread, no request involved.
  auto& db = h.app().tenants.get(h.app().control.default_tenant().id);
  std::thread job([&] { store::preference_repo::insert(db, genre(alice.id, "rock"), std::nullopt); });
  job.join();
  CHECK(preference_count(h, alice, &x_cache) == 2);
  CHECK(x_cache == "miss");

  SUBCASE("a write that rolls back invalidates nothing") {
    CHECK(preference_count(h, alice, &x_cache) == 2);
    REQUIRE(x_cache == "hit");
    CHECK_THROWS(db.write([&](store::Db& d) {
      d.touch(alice.id);
      throw std::runtime_error("the job failed half-way");
    }));
    CHECK(preference_count(h, alice, &x_cache) == 2);
    CHECK(x_cache == "hit");
  }
  SUBCASE("a write to another profile leaves this one's cache alone") {
    auto bob = h.sign_up("bob");
    CHECK(preference_count(h, alice, &x_cache) == 2);
    REQUIRE(x_cache == "hit");
    store::preference_repo::insert(db, genre(bob.id, "folk"), std::nullopt);
    CHECK(preference_count(h, alice, &x_cache) == 2);
    CHECK(x_cache == "hit");
    CHECK(preference_count(h, bob, &x_cache) == 1);
  }
}

TEST_CASE("account writes in the control store invalidate the account's cached profile") {
  test::InProcess h;
  auto alice = h.sign_up("alice");
  auto get = [&] { return h.get("/api/profiles/" + alice.id, alice.token); };
  REQUIRE(get().status == 200);
  REQUIRE(get().header("x-cache") == "hit");
  auto acc = *h.app().control.find_account(alice.id);
  acc.first_name = "Alicia";
  h.app().control.update_account(acc);  // e.g. `cadenza user` or an admin tool, not this route
  auto r = get();
  CHECK(r.header("x-cache") == "miss");
  CHECK(r.json().value("firstName", "") == "Alicia");
}
