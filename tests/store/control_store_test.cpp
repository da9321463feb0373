#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>

#include "cadenza/core/error.hpp"
#include "cadenza/store/control_store.hpp"
#include "cadenza/store/migrations.hpp"
#include "support/error_kind.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using test::error_kind_of;
using namespace cadenza::store;

namespace {

NewAccount alice(const std::string& tenant = "") {
  NewAccount n;
  n.tenant_id = tenant;
  n.username = "alice";
  n.first_name = "Alice";
  n.last_name = "Liddell";
  n.email = "Alice@Example.com";
  n.phone = "+44 20 7946 0000";
  n.role = "admin";
  n.password = "correct horse";
  return n;
}

}  // namespace

TEST_CASE("a default tenant exists on first start and stays the same") {
  test::TempDir dir;
  std::string id;
  {
    ControlStore cs(dir.storage());
    auto t = cs.default_tenant();
    CHECK(is_uuid(t.id));
    CHECK(t.name == "Default");
    CHECK(cs.tenants().size() == 1);
    id = t.id;
    auto other = cs.create_tenant("Household");
    CHECK(cs.find_tenant(other.id)->name == "Household");
    CHECK_FALSE(cs.find_tenant(new_uuid()));
  }
  ControlStore again(dir.storage());
  CHECK(again.default_tenant().id == id);
  CHECK(again.tenants().size() == 2);
}

TEST_CASE("accounts: create, find, duplicate email case-insensitively, update, delete, reuse") {
  test::TempDir dir;
  ControlStore cs(dir.storage());
  auto a = cs.create_account(alice());
  CHECK(is_uuid(a.id));
  CHECK(a.tenant_id == cs.default_tenant().id);
  CHECK(a.password_hash.rfind("$argon2id$", 0) == 0);
  CHECK(cs.count_accounts() == 1);

  auto found = cs.find_account(a.id);
  REQUIRE(found);
  CHECK(found->email == "Alice@Example.com");
  CHECK(found->phone == "+44 20 7946 0000");
  CHECK(found->first_name == "Alice");
  CHECK(cs.find_account_by_login("alice@example.COM")->id == a.id);
  CHECK(cs.find_account_by_login("ALICE")->id == a.id);
  CHECK_FALSE(cs.find_account_by_login("bob"));

  // Same email in another case: Conflict with the documented message.
  auto dup = alice();
  dup.username = "alice2";
  dup.email = "ALICE@example.com";
  try {
    cs.create_account(dup);
    FAIL("duplicate accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Conflict);
    CHECK(std::string(e.what()) == "Username or email already exists");
  }
  // Same username, other email: Conflict too.
  auto dup_name = alice();
  dup_name.email = "other@example.com";
  CHECK(error_kind_of([&] { cs.create_account(dup_name); }) == ErrorKind::Conflict);
  CHECK(cs.count_accounts() == 1);

  // Update: a second account may not take alice's username or email.
  auto b_new = alice();
  b_new.username = "bob";
  b_new.email = "bob@example.com";
  b_new.role = "user";
  auto b = cs.create_account(b_new);
  b.username = "Alice";
  CHECK(error_kind_of([&] { cs.update_account(b); }) == ErrorKind::Conflict);
  b.username = "bobby";
  b.phone = "123";
  cs.update_account(b);
  CHECK(cs.find_account(b.id)->username == "bobby");
  CHECK(cs.find_account(b.id)->phone == "123");
  auto ghost = b;
  ghost.id = new_uuid();
  ghost.username = "ghost";
  ghost.email = "ghost@example.com";
  CHECK(error_kind_of([&] { cs.update_account(ghost); }) == ErrorKind::NotFound);

  // Delete frees the email and username.
  cs.delete_account(a.id);
  CHECK_FALSE(cs.find_account(a.id));
  CHECK(error_kind_of([&] { cs.delete_account(a.id); }) == ErrorKind::NotFound);
  auto again = cs.create_account(dup);
  CHECK(again.email == "ALICE@example.com");
  CHECK(cs.count_accounts() == 2);
}

TEST_CASE("accounts: validation names the field") {
  test::TempDir dir;
  ControlStore cs(dir.storage());
  auto bad = alice();
  bad.role = "root";
  bad.email = "not-an-email";
  bad.username = "a@b";
  try {
    cs.create_account(bad);
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadRequest);
    CHECK(e.fields().count("role") == 1);
    CHECK(e.fields().count("email") == 1);
    CHECK(e.fields().count("username") == 1);
  }
  auto no_tenant = alice(new_uuid());
  CHECK(error_kind_of([&] { cs.create_account(no_tenant); }) == ErrorKind::BadRequest);
}

TEST_CASE("authenticate accepts the right password only; set_password changes it") {
  test::TempDir dir;
  ControlStore cs(dir.storage());
  auto a = cs.create_account(alice());
  CHECK(cs.authenticate("alice", "correct horse")->id == a.id);
  CHECK(cs.authenticate("ALICE@example.com", "correct horse")->id == a.id);
  CHECK_FALSE(cs.authenticate("alice", "wrong horse"));
  CHECK_FALSE(cs.authenticate("nobody", "correct horse"));
  cs.set_password(a.id, "battery staple");
  CHECK_FALSE(cs.authenticate("alice", "correct horse"));
  CHECK(cs.authenticate("alice", "battery staple"));
  CHECK(error_kind_of([&] { cs.set_password(new_uuid(), "x"); }) == ErrorKind::NotFound);
}

TEST_CASE("API keys: secret shown once, stored hashed, found by secret only, revocable") {
  test::TempDir dir;
  ControlStore cs(dir.storage());
  auto a = cs.create_account(alice());
  auto [key, secret] = cs.create_api_key(a.id, "laptop");
  CHECK(secret.rfind("cdz_" + key.prefix + "_", 0) == 0);
  CHECK(secret.size() > 40);
  CHECK(key.last_used_at == 0);

  // The listing never carries the secret.
  auto keys = cs.api_keys(a.id);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].id == key.id);
  CHECK(keys[0].name == "laptop");
  // Nor does the database.
  auto stored = cs.database().read([](Db& db) { return *db.scalar_text("SELECT secret_hash FROM api_keys"); });
  CHECK(stored != secret);
  CHECK(stored.find(secret) == std::string::npos);

  auto who = cs.account_for_api_key(secret);
  REQUIRE(who);
  CHECK(who->id == a.id);
  CHECK(cs.api_keys(a.id)[0].last_used_at > 0);
  CHECK_FALSE(cs.account_for_api_key(secret + "x"));
  CHECK_FALSE(cs.account_for_api_key("cdz_" + key.prefix + "_"));
  CHECK_FALSE(cs.account_for_api_key(key.id));

  // Another account cannot revoke it.
  auto b_new = alice();
  b_new.username = "bob";
  b_new.email = "bob@example.com";
  auto b = cs.create_account(b_new);
  CHECK(error_kind_of([&] { cs.revoke_api_key(b.id, key.id); }) == ErrorKind::NotFound);
  cs.revoke_api_key(a.id, key.id);
  CHECK_FALSE(cs.account_for_api_key(secret));
  CHECK(cs.api_keys(a.id).empty());

  // Keys go with their account.
  auto [key2, secret2] = cs.create_api_key(b.id, "ci");
  cs.delete_account(b.id);
  CHECK_FALSE(cs.account_for_api_key(secret2));
}

TEST_CASE("secrets are generated once, private, and the same after reopening") {
  test::TempDir dir;
  std::string jwt;
  {
    ControlStore cs(dir.storage());
    jwt = cs.secret("jwt");
    CHECK(jwt.size() == 32);
    CHECK(cs.secret("jwt") == jwt);
    CHECK(cs.secret("blob-signing") != jwt);
    CHECK(error_kind_of([&] { cs.secret("../etc/passwd"); }) == ErrorKind::BadRequest);
  }
  auto file = std::filesystem::path(dir.storage().data_dir) / "secrets" / "jwt.key";
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  ControlStore again(dir.storage());
  CHECK(again.secret("jwt") == jwt);
}

TEST_CASE("migration 0002: the operator role; the first default-tenant admin becomes the operator, keys kept") {
  test::TempDir dir;
  std::filesystem::create_directories(dir.storage().data_dir);
  {
    // A control database as the previous version left it: migration 0001 only, two admins with keys.
    Database old(std::filesystem::path(dir.storage().data_dir) / "control.db", {}, control_migrations().subspan(0, 1));
    old.write([](Db& db) {
      db.exec("INSERT INTO tenants VALUES ('t-default', 'Default', 1, 1), ('t-b', 'B', 0, 1);"
              "INSERT INTO accounts VALUES ('a-first', 't-default', 'first', '', '', 'f@x.io', '', 'admin', 'h', 10, 10),"
              " ('a-later', 't-default', 'later', '', '', 'l@x.io', '', 'admin', 'h', 20, 20),"
              " ('a-b', 't-b', 'badmin', '', '', 'b@x.io', '', 'admin', 'h', 5, 5),"
              " ('a-user', 't-default', 'user', '', '', 'u@x.io', '', 'user', 'h', 1, 1);"
              "INSERT INTO api_keys VALUES ('k1', 'a-first', 'ci', 'p1', 'sha1', 1, 0), ('k2', 'a-user', 'bot', 'p2', 'sha2', 1, 0);");
    });
  }
  ControlStore cs(dir.storage());
  CHECK(cs.find_account("a-first")->role == "operator");
  CHECK(cs.find_account("a-later")->role == "admin");
  CHECK(cs.find_account("a-b")->role == "admin");  // older, but of another tenant
  CHECK(cs.find_account("a-user")->role == "user");
  CHECK(cs.api_keys("a-first").size() == 1);
  CHECK(cs.api_keys("a-user").size() == 1);
  // The rebuilt tables keep their rules: unique emails, keys deleted with their account, the role check.
  auto dup = alice("t-default");
  dup.email = "F@X.IO";
  CHECK(error_kind_of([&] { cs.create_account(dup); }) == ErrorKind::Conflict);
  cs.delete_account("a-user");
  CHECK(cs.database().read([](Db& db) { return *db.scalar_int64("SELECT count(*) FROM api_keys"); }) == 1);
  CHECK(cs.database().read([](Db& db) { return *db.scalar_int64("SELECT count(*) FROM pragma_foreign_key_check"); }) == 0);
  auto bad = alice("t-default");
  bad.role = "root";
  CHECK(error_kind_of([&] { cs.create_account(bad); }) == ErrorKind::BadRequest);
}
