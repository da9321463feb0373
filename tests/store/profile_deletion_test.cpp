// Data a profile owns: the registry covers every owner column of the migrated schemas, and deleting a
// profile removes all of it (rows, jobs, blob files, the account) even when any step fails first.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <stdexcept>

#include "cadenza/core/crypto.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/blob_repo.hpp"
#include "cadenza/store/preference_repo.hpp"
#include "cadenza/store/profile_deletion.hpp"
#include "cadenza/store/variable_repo.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::store;

namespace {

// (table, column) of every profile_id / owner_id / account_id column in the database.
std::set<std::pair<std::string, std::string>> owner_columns(Database& database) {
  return database.read([](Db& db) {
    std::set<std::pair<std::string, std::string>> out;
    auto tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    while (tables.step()) {
      auto table = tables.column_text(0);
      auto cols = db.query("SELECT name FROM pragma_table_info(?)", table);
      while (cols.step()) {
        auto col = cols.column_text(0);
        if (col == "profile_id" || col == "owner_id" || col == "account_id") out.insert({table, col});
      }
    }
    return out;
  });
}

std::set<std::pair<std::string, std::string>> registered(DbScope scope) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& t : owned_tables())
    if (t.scope == scope) out.insert({t.table, t.column});
  return out;
}

NewAccount user(const std::string& name) {
  NewAccount n;
  n.username = name;
  n.first_name = name;
  n.last_name = "Test";
  n.email = name + "@example.com";
  n.phone = "+15550000000";
  n.password = "correct horse battery";
  return n;
}

// A profile with rows in every registered tenant table, a job, an API key and two blobs (one shared).
struct World {
  test::TempDir dir;
  ControlStore control{dir.storage()};
  TenantDbs tenants{dir.storage()};
  BlobStore blobs{dir.storage(), control.secret("blob-signing")};
  std::string tenant = control.default_tenant().id;
  Account alice = control.create_account(user("alice"));
  Account bob = control.create_account(user("bob"));
  std::string own_sha, shared_sha;

  World() {
    auto& db = tenants.get(tenant);
    Preference p;
    p.id = new_uuid();
    p.profile_id = alice.id;
    p.type = "genre";
    p.value = "jazz";
    preference_repo::insert(db, p, std::nullopt);
    auto var = variable_repo::insert(db, alice.id, "heart_rate");
    variable_repo::add_readings(db, alice.id, var.id, {{72, "bpm", 1}});
    db.write([&](Db& d) {
      d.run("INSERT INTO tune_vectors (id, profile_id, name, mode, preset, waypoints, genres, position, created_at,"
            " updated_at) VALUES (?, ?, 'focus', 'guided', 'descent', '[]', '[]', 0, 0, 0)",
            new_uuid(), alice.id);
      d.run("INSERT INTO profile_signals (profile_id, name, value, updated_at) VALUES (?, 'skips', 1.0, 0)", alice.id);
      auto job = new_uuid();
      d.run("INSERT INTO jobs (id, tenant_id, owner_id, kind, state, created_at, updated_at)"
            " VALUES (?, ?, ?, 'demo', 'succeeded', 0, 0)",
            job, tenant, alice.id);
      d.run("INSERT INTO chunks (stream_id, seq, bytes, created_at) VALUES (?, 1, x'00ff', 0)", job);
      d.run("INSERT INTO job_events (job_id, seq, type, text, created_at) VALUES (?, 1, 'job.state', '{}', 0)", job);
    });
    control.create_api_key(alice.id, "laptop");
    own_sha = crypto::sha256_hex("alice's own file");
    blob_repo::add_owner(db, own_sha, alice.id);
    blobs.put(tenant, "alice's own file");
    shared_sha = crypto::sha256_hex("a file both hold");
    blob_repo::add_owner(db, shared_sha, alice.id);
    blob_repo::add_owner(db, shared_sha, bob.id);
    blobs.put(tenant, "a file both hold");
  }

  // Rows of `id` left in every registered table, and the garbage queue.
  std::int64_t leftovers(const std::string& id) {
    std::int64_t n = 0;
    for (const auto& t : owned_tables()) {
      auto& database = t.scope == DbScope::Tenant ? tenants.get(tenant) : control.database();
      n += database.read([&](Db& db) {
        return *db.scalar_int64("SELECT COUNT(*) FROM " + t.table + " WHERE " + t.column + " = ?", id);
      });
    }
    n += tenants.get(tenant).read([](Db& db) {
      return *db.scalar_int64("SELECT COUNT(*) FROM readings") + *db.scalar_int64("SELECT COUNT(*) FROM blob_garbage") +
             *db.scalar_int64("SELECT COUNT(*) FROM chunks") + *db.scalar_int64("SELECT COUNT(*) FROM job_events");
    });
    return n;
  }
};

}  // namespace

TEST_CASE("every profile-owned column of the migrated schemas is registered") {
  test::TempDir dir;
  ControlStore control(dir.storage());
  TenantDbs tenants(dir.storage());
  auto& tenant = tenants.get(new_uuid());
  CHECK(owner_columns(tenant) == registered(DbScope::Tenant));
  CHECK(owner_columns(control.database()) == registered(DbScope::Control));
  CHECK(registered(DbScope::Tenant).count({"jobs", "owner_id"}) == 1);  // forgotten before the registry
}

TEST_CASE("deleting a profile removes its rows, jobs, API keys, own blobs and account; shared blobs stay") {
  World w;
  REQUIRE(w.leftovers(w.alice.id) > 0);
  ProfileDeletion deletion(w.control, w.tenants, w.blobs, {});
  CHECK(deletion.dependents(w.tenant, w.alice.id) ==
        DependentCounts{{"preferences", 1}, {"tuneVectors", 1}, {"variables", 1}});
  auto deleted = deletion.delete_profile(w.alice.id);
  CHECK(deleted == DependentCounts{{"preferences", 1}, {"tuneVectors", 1}, {"variables", 1}});
  CHECK(w.leftovers(w.alice.id) == 0);
  CHECK_FALSE(w.control.find_account(w.alice.id));
  CHECK_FALSE(w.blobs.path(w.tenant, w.own_sha));
  CHECK(w.blobs.path(w.tenant, w.shared_sha));
  CHECK(blob_repo::owners(w.tenants.get(w.tenant), w.shared_sha) == std::vector<std::string>{w.bob.id});
  CHECK(w.control.find_account(w.bob.id));
}

TEST_CASE("a deletion that fails at any step leaves the profile unusable and is finished by resume()") {
  for (auto failing : {ProfileDeletion::Step::StopJobs, ProfileDeletion::Step::Rows, ProfileDeletion::Step::Files,
                       ProfileDeletion::Step::Account}) {
    CAPTURE(to_string(failing));
    World w;
    bool fail = true;
    std::vector<std::string> stopped;
    ProfileDeletion::Hooks hooks;
    hooks.before_step = [&](ProfileDeletion::Step s) {
      if (fail && s == failing) throw std::runtime_error("disk full");
    };
    hooks.stop_jobs = [&](const std::string&, const std::string& profile) { stopped.push_back(profile); };
    ProfileDeletion deletion(w.control, w.tenants, w.blobs, hooks);
    CHECK_THROWS(deletion.delete_profile(w.alice.id));
    // Gone for its users at once: no account to log in to, no API key, not listed.
    CHECK_FALSE(w.control.find_account(w.alice.id));
    CHECK_FALSE(w.control.authenticate("alice", "correct horse battery"));
    CHECK(w.control.api_keys(w.alice.id).empty());
    REQUIRE(w.control.pending_deletions().size() == 1);
    fail = false;
    CHECK(deletion.resume() == 1);
    CHECK(w.control.pending_deletions().empty());
    CHECK(w.leftovers(w.alice.id) == 0);
    CHECK_FALSE(w.blobs.path(w.tenant, w.own_sha));
    CHECK(w.blobs.path(w.tenant, w.shared_sha));
    CHECK(w.control.find_account(w.bob.id));
    CHECK(stopped.back() == w.alice.id);
  }
}

TEST_CASE("a failure at the mark step changes nothing") {
  World w;
  ProfileDeletion::Hooks hooks;
  hooks.before_step = [](ProfileDeletion::Step s) {
    if (s == ProfileDeletion::Step::Mark) throw std::runtime_error("no");
  };
  ProfileDeletion deletion(w.control, w.tenants, w.blobs, hooks);
  auto before = w.leftovers(w.alice.id);
  CHECK_THROWS(deletion.delete_profile(w.alice.id));
  CHECK(w.control.find_account(w.alice.id));
  CHECK(w.control.pending_deletions().empty());
  CHECK(w.leftovers(w.alice.id) == before);
}

TEST_CASE("a blob file whose owner came back while it was queued is kept") {
  World w;
  auto& db = w.tenants.get(w.tenant);
  db.write([&](Db& d) { blob_repo::release_owner(d, w.alice.id); });  // queues own_sha
  blob_repo::add_owner(db, w.own_sha, w.bob.id);                      // bob uploads the same bytes
  CHECK(blob_repo::collect_garbage(db, w.blobs, w.tenant) == 0);
  CHECK(w.blobs.path(w.tenant, w.own_sha));
}
