#pragma once
// The control database (<data_dir>/control.db): tenants, accounts, API keys, plus the server's secrets
// (<data_dir>/secrets/<name>.key). Thread-safe.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cadenza/config/config.hpp"
#include "cadenza/store/db.hpp"

namespace cadenza::store {

struct Tenant {
  std::string id;
  std::string name;
  std::int64_t created_at = 0;  // epoch ms
};

struct Account {
  std::string id;
  std::string tenant_id;
  std::string username;
  std::string first_name;
  std::string last_name;
  std::string email;
  std::string phone;
  std::string role;  // "operator" (the server's, see README "Roles") | "admin" (of its tenant) | "user"
  std::string password_hash;
  std::int64_t created_at = 0;  // epoch ms
  std::int64_t updated_at = 0;
};

struct NewAccount {
  std::string tenant_id;  // "" = the default tenant
  std::string username;
  std::string first_name;
  std::string last_name;
  std::string email;
  std::string phone;
  std::string role = "user";
  std::string password;  // plain; hashed (argon2id) inside
};

struct ApiKey {
  std::string id;
  std::string account_id;
  std::string name;
  std::string prefix;  // the public part of the secret, "cdz_<prefix>_..."
  std::int64_t created_at = 0;
  std::int64_t last_used_at = 0;  // 0 = never
};

// An account whose deletion started and has not finished (store::ProfileDeletion resumes it).
struct PendingDeletion {
  std::string account_id;
  std::string tenant_id;
  std::int64_t started_at = 0;
};

class ControlStore {
 public:
  // Creates data_dir, opens and migrates control.db, ensures the default tenant exists.
  explicit ControlStore(const config::StorageConfig& storage);
  ~ControlStore();

  // Committed writes of an account (profile fields, password, API keys, deletion) are reported here.
  void on_account_write(Database::WriteListener listener) { db_->on_profile_write(std::move(listener)); }

  // --- tenants
  Tenant default_tenant();
  Tenant create_tenant(const std::string& name);
  std::optional<Tenant> find_tenant(const std::string& id);
  std::vector<Tenant> tenants();

  // --- accounts. Emails compare case-insensitively; a deleted account's email and username are free again.
  // Throws Error(Conflict, "Username or email already exists") on a duplicate, Error(BadRequest) naming the
  // field for an unknown tenant or role or an empty username/email/password.
  Account create_account(const NewAccount& account);
  std::optional<Account> find_account(const std::string& id);
  std::optional<Account> find_account_by_login(const std::string& email_or_username);
  // The account when password matches (argon2id), else nullopt.
  std::optional<Account> authenticate(const std::string& login, const std::string& password);
  // Updates username, names, email, phone and role (not the password, tenant or created_at).
  // Throws Error(NotFound) for an unknown id, Error(Conflict) on a duplicate username or email.
  void update_account(const Account& account);
  void set_password(const std::string& account_id, const std::string& password);
  // Deleting an account goes through store::ProfileDeletion, which calls these two. mark_for_deletion:
  // the account disappears for every reader at once (find_account, log-in, tokens; its API keys go) and
  // is listed in pending_deletions() until delete_account removes it with its control rows (last step).
  void mark_for_deletion(const std::string& account_id);
  std::vector<PendingDeletion> pending_deletions();
  void delete_account(const std::string& account_id);
  std::int64_t count_accounts();
  std::vector<Account> accounts(const std::string& tenant_id);

  // --- API keys. The secret ("cdz_<prefix>_<random>") is returned once and stored only as sha256.
  std::pair<ApiKey, std::string> create_api_key(const std::string& account_id, const std::string& name);
  std::vector<ApiKey> api_keys(const std::string& account_id);
  // Error(NotFound) when the key does not exist or belongs to another account.
  void revoke_api_key(const std::string& account_id, const std::string& key_id);
  // The key's account, or nullopt for an unknown or revoked secret. Updates last_used_at (at most once a
  // minute per key, so authenticating with a key rarely needs the writer).
  std::optional<Account> account_for_api_key(const std::string& secret);

  // A 32-byte random secret generated on first use, kept in <data_dir>/secrets/<name>.key (mode 0600),
  // the same on every later start. Returns the raw 32 bytes (the file holds them hex encoded, one line).
  // name: [a-z0-9_-]+ (Error(BadRequest) otherwise).
  std::string secret(const std::string& name);

  Database& database() { return *db_; }

 private:
  std::filesystem::path data_dir_;
  std::unique_ptr<Database> db_;
  std::mutex secrets_mutex_;
};

}  // namespace cadenza::store
