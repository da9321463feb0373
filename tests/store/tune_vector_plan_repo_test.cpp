// A tune vector's stored plan: written only for the profile's own tune vector, replaced in place, listed per
// profile, and gone with its tune vector.
#include <doctest/doctest.h>

#include "cadenza/core/ids.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/tune_vector_plan_repo.hpp"
#include "cadenza/store/tune_vector_repo.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::store;

namespace {

TuneVectorRecord tune_vector(const std::string& profile) {
  TuneVectorRecord t;
  t.profile_id = profile;
  t.name = "Run";
  t.mode = "adaptive";
  t.waypoints = nlohmann::json::array({{{"atMinute", 0}, {"target", {{"energy", 0.2}}}},
                                       {{"atMinute", 30}, {"target", {{"energy", 0.8}}}}});
  return t;
}

}  // namespace

TEST_CASE("tune_vector_plan_repo: put, replace, list, refuse others' tune vectors, cascade on delete") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  auto alice = new_uuid(), bob = new_uuid();
  auto a = tune_vector_repo::insert(db, tune_vector(alice));
  auto b = tune_vector_repo::insert(db, tune_vector(bob));
  CHECK_FALSE(tune_vector_plan_repo::find(db, a.id));
  TuneVectorPlan p{a.id, 3, {{"tracks", nlohmann::json::array({{{"trackId", "x"}}})}}, {{"played", {"x"}}}};
  CHECK(tune_vector_plan_repo::put(db, alice, p));
  auto got = tune_vector_plan_repo::find(db, a.id);
  REQUIRE(got);
  CHECK(got->catalog_version == 3);
  CHECK(got->plan["tracks"][0]["trackId"] == "x");
  CHECK(got->state["played"][0] == "x");
  CHECK(got->created_at > 0);
  // Replaced in place.
  p.catalog_version = 4;
  p.plan = {{"tracks", nlohmann::json::array()}, {"reason", "R\xff"}};  // not UTF-8: stored replaced
  CHECK(tune_vector_plan_repo::put(db, alice, p));
  got = tune_vector_plan_repo::find(db, a.id);
  REQUIRE(got);
  CHECK(got->catalog_version == 4);
  CHECK(got->plan["tracks"].empty());
  CHECK(got->plan["reason"] == "R\xef\xbf\xbd");
  // Another profile's tune vector, or none: nothing written.
  CHECK_FALSE(tune_vector_plan_repo::put(db, alice, {b.id, 1, {}, {}}));
  CHECK_FALSE(tune_vector_plan_repo::put(db, alice, {new_uuid(), 1, {}, {}}));
  CHECK_FALSE(tune_vector_plan_repo::find(db, b.id));
  CHECK(tune_vector_plan_repo::put(db, bob, {b.id, 1, {}, {}}));
  auto mine = tune_vector_plan_repo::list(db, alice);
  REQUIRE(mine.size() == 1);
  CHECK(mine.count(a.id));
  tune_vector_repo::remove(db, alice, a.id);
  CHECK_FALSE(tune_vector_plan_repo::find(db, a.id));
  CHECK(tune_vector_plan_repo::find(db, b.id));
}
