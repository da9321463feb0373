// Deleting a profile over the API takes its jobs and its files with it (in-process harness).
#include <doctest/doctest.h>

#include <filesystem>

#include "cadenza/store/profile_data.hpp"
#include "support/in_process.hpp"

using namespace cadenza;

TEST_CASE("DELETE /api/profiles/{id} removes the profile's jobs and blob files and leaves no row behind") {
  test::InProcess h;
  auto alice = h.sign_up("alice");
  auto bob = h.sign_up("bob");
  // Files: one only alice stored, one both stored.
  auto put = [&](const test::InProcess::User& u, const std::string& bytes) {
    auto r = h.upload("/api/files", u.token, bytes);
    REQUIRE(r.status == 201);
    return r.json().at("id").get<std::string>();
  };
  auto own = put(alice, "alice's recording");
  auto shared = put(alice, "the same song");
  REQUIRE(put(bob, "the same song") == shared);
  auto job = h.post("/api/jobs", {{"kind", "demo"}, {"payload", {{"steps", 3}}}}, alice.token);
  REQUIRE(job.status == 202);
  auto job_id = job.json().at("job").at("id").get<std::string>();
  REQUIRE(h.post("/api/profiles/" + alice.id + "/preferences", {{"type", "genre"}, {"value", "jazz"}}, alice.token)
              .status == 201);

  auto tenant = h.app().control.default_tenant().id;
  REQUIRE(h.app().blobs.path(tenant, own));
  CHECK(h.del("/api/profiles/" + alice.id + "?cascade=yes", alice.token).status == 400);
  CHECK(h.del("/api/profiles/" + alice.id, alice.token).status == 409);  // a preference
  auto deleted = h.del("/api/profiles/" + alice.id + "?cascade=true", alice.token);
  REQUIRE(deleted.status == 200);
  CHECK(deleted.json()["deleted"]["preferences"] == 1);

  CHECK(h.get("/api/profiles/" + alice.id, alice.token).status == 401);  // its token is dead
  CHECK_FALSE(h.app().blobs.path(tenant, own));
  CHECK(h.app().blobs.path(tenant, shared));  // bob's still
  CHECK_THROWS(h.app().jobs.get(tenant, job_id));
  for (const auto& t : store::owned_tables()) {
    CAPTURE(t.table);
    auto& db = t.scope == store::DbScope::Tenant ? h.app().tenants.get(tenant) : h.app().control.database();
    CHECK(db.read([&](store::Db& d) {
      return *d.scalar_int64("SELECT COUNT(*) FROM " + t.table + " WHERE " + t.column + " = ?", alice.id);
    }) == 0);
  }
}
