#include <doctest/doctest.h>

#include "cadenza/core/error.hpp"
#include "cadenza/store/preference_repo.hpp"
#include "cadenza/store/profile_data.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/tune_vector_repo.hpp"
#include "cadenza/store/variable_repo.hpp"
#include "support/error_kind.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using test::error_kind_of;
using namespace cadenza::store;

namespace {

Preference genre(const std::string& profile, const std::string& name) {
  Preference p;
  p.profile_id = profile;
  p.type = "genre";
  p.value = name;
  return p;
}

// "a,b,c": the profile's genre values by rank; also checks the ranks are exactly 0..n-1.
std::string order(Database& db, const std::string& profile) {
  std::string out;
  std::int64_t expect = 0;
  for (const auto& p : preference_repo::list(db, profile)) {
    CHECK(p.rank == expect++);
    out += (out.empty() ? "" : ",") + p.value.get<std::string>();
  }
  return out;
}

}  // namespace

TEST_CASE("preference ranks stay dense through inserts, moves and deletes") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  auto me = new_uuid(), other = new_uuid();
  auto a = preference_repo::insert(db, genre(me, "a"), std::nullopt);
  preference_repo::insert(db, genre(me, "b"), std::nullopt);
  preference_repo::insert(db, genre(me, "c"), 0);  // front
  preference_repo::insert(db, genre(me, "d"), 2);  // middle
  preference_repo::insert(db, genre(other, "x"), std::nullopt);
  CHECK(order(db, me) == "c,a,d,b");
  CHECK(order(db, other) == "x");

  auto moved = *preference_repo::find(db, me, a.id);
  moved.rank = 3;  // down
  CHECK(preference_repo::update(db, moved).rank == 3);
  CHECK(order(db, me) == "c,d,b,a");
  moved.rank = 0;  // up
  preference_repo::update(db, moved);
  CHECK(order(db, me) == "a,c,d,b");

  auto c = preference_repo::list(db, me)[1];
  preference_repo::remove(db, me, c.id);
  CHECK(order(db, me) == "a,d,b");
  CHECK(error_kind_of([&] { preference_repo::remove(db, me, c.id); }) == ErrorKind::NotFound);
  CHECK(error_kind_of([&] { preference_repo::remove(db, other, a.id); }) == ErrorKind::NotFound);  // not theirs

  CHECK(error_kind_of([&] { preference_repo::insert(db, genre(me, "z"), 4); }) == ErrorKind::Unprocessable);
  CHECK(error_kind_of([&] { preference_repo::insert(db, genre(me, "z"), -1); }) == ErrorKind::Unprocessable);
  moved = *preference_repo::find(db, me, a.id);
  moved.rank = 3;
  CHECK(error_kind_of([&] { preference_repo::update(db, moved); }) == ErrorKind::Unprocessable);
  CHECK(error_kind_of([&] { preference_repo::insert(db, genre(me, "d"), std::nullopt); }) == ErrorKind::Conflict);
  CHECK(order(db, me) == "a,d,b");  // failed changes left nothing behind
}

TEST_CASE("at most 100 preferences; learned ones are neither listed, counted nor ranked") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  auto me = new_uuid();
  db.write([&](Db& d) {
    d.run("INSERT INTO preferences (id, profile_id, source, type, value, weight, rank, created_at, updated_at)"
          " VALUES (?, ?, 'learned', 'genre', '\"learned\"', 0.5, -1, 0, 0)",
          new_uuid(), me);
  });
  for (int i = 0; i < 100; ++i) preference_repo::insert(db, genre(me, "g" + std::to_string(i)), std::nullopt);
  CHECK(preference_repo::list(db, me).size() == 100);
  CHECK(preference_repo::list(db, me).back().rank == 99);
  CHECK(error_kind_of([&] { preference_repo::insert(db, genre(me, "one more"), std::nullopt); }) == ErrorKind::Conflict);
  CHECK(db.read([&](Db& d) { return count_dependents(d, DbScope::Tenant, me); }) == DependentCounts{{"preferences", 100}});
  auto deleted = db.write([&](Db& d) { return delete_owned_rows(d, DbScope::Tenant, me); });
  CHECK(deleted.at("preferences") == 100);
  CHECK(db.read([&](Db& d) { return *d.scalar_int64("SELECT COUNT(*) FROM preferences"); }) == 0);  // learned too
}

TEST_CASE("tune vector positions stay dense") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  auto me = new_uuid();
  std::vector<std::string> ids;
  for (const char* n : {"a", "b", "c"}) {
    TuneVectorRecord t;
    t.profile_id = me;
    t.name = n;
    t.mode = "adaptive";
    t.waypoints = nlohmann::json::array({{{"atMinute", 0}, {"target", {{"energy", 0.1}}}},
                                         {{"atMinute", 10}, {"target", {{"energy", 0.9}}}}});
    ids.push_back(tune_vector_repo::insert(db, t).id);
  }
  auto names = [&] {
    std::string out;
    std::int64_t expect = 0;
    for (const auto& t : tune_vector_repo::list(db, me)) {
      CHECK(t.position == expect++);
      out += t.name;
    }
    return out;
  };
  CHECK(names() == "abc");
  auto c = *tune_vector_repo::find(db, me, ids[2]);
  c.position = 0;
  c.name = "C";
  tune_vector_repo::update(db, c);
  CHECK(names() == "Cab");
  tune_vector_repo::remove(db, me, ids[0]);
  CHECK(names() == "Cb");
  c.position = 2;
  CHECK(error_kind_of([&] { tune_vector_repo::update(db, c); }) == ErrorKind::Unprocessable);
}

TEST_CASE("readings only while opted in; opting out and deleting remove them") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  auto me = new_uuid();
  CHECK(variable_repo::list(db, me).empty());  // nothing is on by default
  auto hr = variable_repo::insert(db, me, "heart_rate");
  CHECK(hr.opted_in);
  CHECK(error_kind_of([&] { variable_repo::insert(db, me, "heart_rate"); }) == ErrorKind::Conflict);
  variable_repo::add_readings(db, me, hr.id, {{72, "bpm", 1000}, {80, "bpm", 2000}});
  CHECK(variable_repo::find(db, me, hr.id)->reading_count == 2);
  auto latest = variable_repo::readings(db, hr.id, 10);
  REQUIRE(latest.size() == 2);
  CHECK(latest[0].value == 80);  // newest first

  CHECK_FALSE(variable_repo::set_opted_in(db, me, hr.id, false).opted_in);
  CHECK(variable_repo::find(db, me, hr.id)->reading_count == 0);
  CHECK(error_kind_of([&] { variable_repo::add_readings(db, me, hr.id, {{70, "bpm", 3000}}); }) == ErrorKind::Forbidden);
  CHECK(error_kind_of([&] { variable_repo::add_readings(db, new_uuid(), hr.id, {{70, "bpm", 3000}}); }) ==
        ErrorKind::NotFound);

  variable_repo::set_opted_in(db, me, hr.id, true);
  variable_repo::add_readings(db, me, hr.id, {{70, "bpm", 3000}});
  variable_repo::remove(db, me, hr.id);
  CHECK(db.read([&](Db& d) { return *d.scalar_int64("SELECT COUNT(*) FROM readings"); }) == 0);
  CHECK(variable_repo::list(db, me).empty());
}
