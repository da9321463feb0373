#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "cadenza/core/error.hpp"
#include "cadenza/store/backup.hpp"
#include "cadenza/store/blob_store.hpp"
#include "cadenza/store/control_store.hpp"
#include "cadenza/store/job_repo.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::store;

TEST_CASE("backup copies databases (online), blobs and secrets; the copy opens with the same rows") {
  test::TempDir dir;
  auto storage = dir.storage();
  ControlStore cs(storage);
  TenantDbs dbs(storage);
  BlobStore blobs(storage, cs.secret("blob-signing"));
  const auto t1 = cs.default_tenant().id;
  const auto t2 = cs.create_tenant("Household").id;
  NewAccount n;
  n.username = "alice";
  n.email = "alice@example.com";
  n.password = "pw";
  auto account = cs.create_account(n);
  auto [key, secret] = cs.create_api_key(account.id, "k");
  JobRecord j;
  j.id = new_uuid();
  j.tenant_id = t2;
  j.owner_id = account.id;
  j.kind = "generate";
  j.created_at = j.updated_at = 5;
  job_repo::insert(dbs.get(t2), j);
  job_repo::count_queued(dbs.get(t1), "");  // t1's file exists, empty
  auto sha = blobs.put(t2, "blob bytes");

  auto dest = dir.path() / "backup" / "one";
  // Backed up while everything above is open (the server is "running").
  auto report = backup(storage, dest);
  CHECK(report.databases == 3);
  CHECK(report.files >= 2);

  config::StorageConfig restored;
  restored.data_dir = dest.string();
  ControlStore cs2(restored);
  CHECK(cs2.default_tenant().id == t1);
  CHECK(cs2.tenants().size() == 2);
  CHECK(cs2.authenticate("alice", "pw")->id == account.id);
  CHECK(cs2.account_for_api_key(secret)->id == account.id);
  CHECK(cs2.secret("blob-signing") == cs.secret("blob-signing"));
  TenantDbs dbs2(restored);
  CHECK(dbs2.existing() == dbs.existing());
  auto copied = job_repo::find(dbs2.get(t2), j.id);
  REQUIRE(copied);
  CHECK(copied->kind == "generate");
  CHECK(job_repo::count_by_state(dbs2.get(t1)).at("queued") == 0);
  BlobStore blobs2(restored, cs2.secret("blob-signing"));
  CHECK(blobs2.path(t2, sha));
  struct stat st {};
  REQUIRE(::stat((dest / "secrets" / "blob-signing.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // The destination must be empty or new.
  CHECK_THROWS_AS(backup(storage, dest), Error);
  std::filesystem::create_directories(dir.path() / "empty");
  CHECK_NOTHROW(backup(storage, dir.path() / "empty"));
  // Not inside the data directory, and there must be data to back up.
  CHECK_THROWS_AS(backup(storage, std::filesystem::path(storage.data_dir) / "b"), Error);
  config::StorageConfig nothing;
  nothing.data_dir = (dir.path() / "nothing").string();
  CHECK_THROWS_AS(backup(nothing, dir.path() / "b2"), Error);
}
