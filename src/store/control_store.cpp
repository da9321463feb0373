#include "cadenza/store/control_store.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/migrations.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {
namespace {

constexpr const char* kAccountColumns =
    "SELECT id, tenant_id, username, first_name, last_name, email, phone, role, password_hash, created_at,"
    " updated_at FROM accounts ";
constexpr const char* kApiKeyColumns = "SELECT id, account_id, name, prefix, created_at, last_used_at FROM api_keys ";
constexpr const char* kDuplicate = "Username or email already exists";
constexpr std::int64_t kLastUsedResolutionMs = 60'000;  // API key last_used_at is refreshed at most this often
constexpr std::size_t kSecretBytes = 32;

// A secret file holds the key hex encoded on one line; nullopt when it does not exist.
std::optional<std::string> read_secret_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string text;
  std::getline(in, text);
  if (text.size() != kSecretBytes * 2 || text.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw Error(ErrorKind::Internal, "secret file " + path.string() + " is damaged (expected 64 hex digits)");
  }
  std::string raw;
  for (std::size_t i = 0; i < text.size(); i += 2) raw.push_back(static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16)));
  return raw;
}

void write_private_file(const std::filesystem::path& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorKind::Internal, "cannot create " + path.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(path);
    throw Error(ErrorKind::Internal, "cannot write " + path.string());
  }
}

Tenant tenant_row(const Stmt& s) { return Tenant{s.column_text(0), s.column_text(1), s.column_int64(2)}; }

Account account_row(const Stmt& s) {
  Account a;
  a.id = s.column_text(0);
  a.tenant_id = s.column_text(1);
  a.username = s.column_text(2);
  a.first_name = s.column_text(3);
  a.last_name = s.column_text(4);
  a.email = s.column_text(5);
  a.phone = s.column_text(6);
  a.role = s.column_text(7);
  a.password_hash = s.column_text(8);
  a.created_at = s.column_int64(9);
  a.updated_at = s.column_int64(10);
  return a;
}

ApiKey api_key_row(const Stmt& s) {
  return ApiKey{s.column_text(0), s.column_text(1), s.column_text(2),
                s.column_text(3), s.column_int64(4), s.column_int64(5)};
}

// Accounts being deleted (profile_deletions) are gone for every reader at once.
constexpr const char* kLive = " AND id NOT IN (SELECT account_id FROM profile_deletions)";

std::optional<Account> account_where(Db& db, const std::string& where, const std::string& value) {
  auto s = db.query(std::string(kAccountColumns) + where + kLive, value);
  if (!s.step()) return std::nullopt;
  return account_row(s);
}

// The checks the store itself relies on; the API layer validates formats in more detail.
void validate(Validation& v, const std::string& username, const std::string& email, const std::string& role) {
  if (username.empty()) v.fail("username", "must not be empty");
  else if (username.find('@') != std::string::npos) v.fail("username", "must not contain @");
  if (email.find('@') == std::string::npos) v.fail("email", "Invalid email format");
  if (role != "operator" && role != "admin" && role != "user") v.fail("role", "must be operator, admin or user");
}

// Runs f and turns a unique-constraint violation into the documented Conflict.
template <class F>
auto conflict_as_duplicate(F&& f) {
  try {
    return f();
  } catch (const DbError& e) {
    if (e.is_unique_violation()) throw Error(ErrorKind::Conflict, kDuplicate);
    throw;
  }
}

}  // namespace

ControlStore::ControlStore(const config::StorageConfig& storage) : data_dir_(storage.data_dir) {
  std::filesystem::create_directories(data_dir_);
  // 0700 even when an older version made it 0755: it holds password hashes, secrets and users' files.
  std::filesystem::permissions(data_dir_, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
  db_ = std::make_unique<Database>(data_dir_ / "control.db",
                                   Database::Options{storage.busy_timeout_ms, storage.read_connections},
                                   control_migrations());
  db_->write([](Db& db) {
    if (!db.scalar_int64("SELECT 1 FROM tenants WHERE is_default = 1")) {
      auto id = new_uuid();
      db.run("INSERT INTO tenants (id, name, is_default, created_at) VALUES (?, ?, 1, ?)", id, "Default", now_ms());
      spdlog::info("store: created the default tenant {}", id);
    }
  });
}

ControlStore::~ControlStore() = default;

// ---------------------------------------------------------------- tenants

Tenant ControlStore::default_tenant() {
  return db_->read([](Db& db) {
    auto s = db.prepare("SELECT id, name, created_at FROM tenants WHERE is_default = 1");
    if (!s.step()) throw Error(ErrorKind::Internal, "the default tenant is missing");
    return tenant_row(s);
  });
}

Tenant ControlStore::create_tenant(const std::string& name) {
  if (name.empty()) throw Error(ErrorKind::BadRequest, "invalid tenant", {{"name", "must not be empty"}});
  Tenant t{new_uuid(), name, now_ms()};
  db_->write([&](Db& db) {
    db.run("INSERT INTO tenants (id, name, is_default, created_at) VALUES (?, ?, 0, ?)", t.id, t.name, t.created_at);
  });
  return t;
}

std::optional<Tenant> ControlStore::find_tenant(const std::string& id) {
  return db_->read([&](Db& db) -> std::optional<Tenant> {
    auto s = db.query("SELECT id, name, created_at FROM tenants WHERE id = ?", id);
    if (!s.step()) return std::nullopt;
    return tenant_row(s);
  });
}

std::vector<Tenant> ControlStore::tenants() {
  return db_->read([](Db& db) {
    std::vector<Tenant> out;
    auto s = db.prepare("SELECT id, name, created_at FROM tenants ORDER BY created_at, id");
    while (s.step()) out.push_back(tenant_row(s));
    return out;
  });
}

// ---------------------------------------------------------------- accounts

Account ControlStore::create_account(const NewAccount& n) {
  Validation v;
  validate(v, n.username, n.email, n.role);
  if (n.password.empty()) v.fail("password", "must not be empty");
  v.throw_if_failed();

  Account a;
  a.id = new_uuid();
  a.tenant_id = n.tenant_id.empty() ? default_tenant().id : n.tenant_id;
  a.username = n.username;
  a.first_name = n.first_name;
  a.last_name = n.last_name;
  a.email = n.email;
  a.phone = n.phone;
  a.role = n.role;
  a.password_hash = crypto::hash_password(n.password);  // slow: outside the write lock
  a.created_at = a.updated_at = now_ms();

  db_->write([&](Db& db) {
    if (!db.scalar_int64("SELECT 1 FROM tenants WHERE id = ?", a.tenant_id)) {
      throw Error(ErrorKind::BadRequest, "unknown tenant", {{"tenant_id", "no such tenant"}});
    }
    conflict_as_duplicate([&] {
      return db.run(
          "INSERT INTO accounts (id, tenant_id, username, first_name, last_name, email, phone, role, password_hash,"
          " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          a.id, a.tenant_id, a.username, a.first_name, a.last_name, a.email, a.phone, a.role, a.password_hash,
          a.created_at, a.updated_at);
    });
  });
  return a;
}

std::optional<Account> ControlStore::find_account(const std::string& id) {
  return db_->read([&](Db& db) { return account_where(db, "WHERE id = ?", id); });
}

std::optional<Account> ControlStore::find_account_by_login(const std::string& login) {
  if (login.empty()) return std::nullopt;
  // Usernames cannot contain '@', so a login is unambiguously an email or a username.
  const bool is_email = login.find('@') != std::string::npos;
  return db_->read([&](Db& db) {
    return account_where(db, is_email ? "WHERE email = ? COLLATE NOCASE" : "WHERE username = ? COLLATE NOCASE",
                         login);
  });
}

std::optional<Account> ControlStore::authenticate(const std::string& login, const std::string& password) {
  auto account = find_account_by_login(login);
  if (!account) {
    // Spend the same time as a real check, so response times do not reveal which logins exist.
    static const std::string dummy = crypto::hash_password("cadenza-no-such-account");
    crypto::verify_password(dummy, password);
    return std::nullopt;
  }
  if (!crypto::verify_password(account->password_hash, password)) return std::nullopt;
  return account;
}

void ControlStore::update_account(const Account& a) {
  Validation v;
  validate(v, a.username, a.email, a.role);
  v.throw_if_failed();
  db_->write([&](Db& db) {
    db.touch(a.id);
    conflict_as_duplicate([&] {
      return db.run(
          "UPDATE accounts SET username = ?, first_name = ?, last_name = ?, email = ?, phone = ?, role = ?,"
          " updated_at = ? WHERE id = ?",
          a.username, a.first_name, a.last_name, a.email, a.phone, a.role, now_ms(), a.id);
    });
    if (db.changes() == 0) throw Error(ErrorKind::NotFound, "account not found");
  });
}

void ControlStore::set_password(const std::string& account_id, const std::string& password) {
  if (password.empty()) throw Error(ErrorKind::BadRequest, "invalid password", {{"password", "must not be empty"}});
  auto hash = crypto::hash_password(password);
  db_->write([&](Db& db) {
    db.touch(account_id);
    db.run("UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?", hash, now_ms(), account_id);
    if (db.changes() == 0) throw Error(ErrorKind::NotFound, "account not found");
  });
}

void ControlStore::delete_account(const std::string& account_id) {
  db_->write([&](Db& db) {
    delete_owned_rows(db, DbScope::Control, account_id);  // API keys, the pending-deletion row
    db.run("DELETE FROM accounts WHERE id = ?", account_id);
    if (db.changes() == 0) throw Error(ErrorKind::NotFound, "account not found");
  });
}

void ControlStore::mark_for_deletion(const std::string& account_id) {
  db_->write([&](Db& db) {
    auto tenant = db.scalar_text("SELECT tenant_id FROM accounts WHERE id = ?" + std::string(kLive), account_id);
    if (!tenant) throw Error(ErrorKind::NotFound, "account not found");
    db.touch(account_id);
    db.run("INSERT OR IGNORE INTO profile_deletions (account_id, tenant_id, started_at) VALUES (?, ?, ?)", account_id,
           *tenant, now_ms());
    db.run("DELETE FROM api_keys WHERE account_id = ?", account_id);
  });
}

std::vector<PendingDeletion> ControlStore::pending_deletions() {
  return db_->read([](Db& db) {
    std::vector<PendingDeletion> out;
    auto s = db.query("SELECT account_id, tenant_id, started_at FROM profile_deletions ORDER BY started_at, account_id");
    while (s.step()) out.push_back({s.column_text(0), s.column_text(1), s.column_int64(2)});
    return out;
  });
}

std::int64_t ControlStore::count_accounts() {
  return db_->read([](Db& db) { return db.scalar_int64("SELECT COUNT(*) FROM accounts").value_or(0); });
}

std::vector<Account> ControlStore::accounts(const std::string& tenant_id) {
  return db_->read([&](Db& db) {
    std::vector<Account> out;
    auto s = db.query(std::string(kAccountColumns) + "WHERE tenant_id = ?" + kLive + " ORDER BY created_at, id", tenant_id);
    while (s.step()) out.push_back(account_row(s));
    return out;
  });
}

// ---------------------------------------------------------------- API keys

std::pair<ApiKey, std::string> ControlStore::create_api_key(const std::string& account_id, const std::string& name) {
  if (name.empty()) throw Error(ErrorKind::BadRequest, "invalid API key", {{"name", "must not be empty"}});
  ApiKey k;
  k.id = new_uuid();
  k.account_id = account_id;
  k.name = name;
  k.prefix = crypto::random_hex(4);
  k.created_at = now_ms();
  std::string secret = "cdz_" + k.prefix + "_" + crypto::random_token(24);
  db_->write([&](Db& db) {
    db.touch(account_id);
    if (!db.scalar_int64("SELECT 1 FROM accounts WHERE id = ?", account_id)) {
      throw Error(ErrorKind::NotFound, "account not found");
    }
    db.run(
        "INSERT INTO api_keys (id, account_id, name, prefix, secret_hash, created_at, last_used_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 0)",
        k.id, k.account_id, k.name, k.prefix, crypto::sha256_hex(secret), k.created_at);
  });
  return {k, secret};
}

std::vector<ApiKey> ControlStore::api_keys(const std::string& account_id) {
  return db_->read([&](Db& db) {
    std::vector<ApiKey> out;
    auto s = db.query(std::string(kApiKeyColumns) + "WHERE account_id = ? ORDER BY created_at, id", account_id);
    while (s.step()) out.push_back(api_key_row(s));
    return out;
  });
}

void ControlStore::revoke_api_key(const std::string& account_id, const std::string& key_id) {
  db_->write([&](Db& db) {
    db.touch(account_id);
    db.run("DELETE FROM api_keys WHERE id = ? AND account_id = ?", key_id, account_id);
    if (db.changes() == 0) throw Error(ErrorKind::NotFound, "API key not found");
  });
}

std::optional<Account> ControlStore::account_for_api_key(const std::string& secret) {
  if (secret.rfind("cdz_", 0) != 0) return std::nullopt;
  const auto hash = crypto::sha256_hex(secret);
  struct Found {
    std::string account_id;
    std::int64_t last_used_at;
  };
  auto found = db_->read([&](Db& db) -> std::optional<Found> {
    auto s = db.query("SELECT account_id, last_used_at FROM api_keys WHERE secret_hash = ?", hash);
    if (!s.step()) return std::nullopt;
    return Found{s.column_text(0), s.column_int64(1)};
  });
  if (!found) return std::nullopt;
  const auto now = now_ms();
  if (now - found->last_used_at < kLastUsedResolutionMs) return find_account(found->account_id);
  return db_->write([&](Db& db) -> std::optional<Account> {
    db.run("UPDATE api_keys SET last_used_at = ? WHERE secret_hash = ?", now, hash);
    if (db.changes() == 0) return std::nullopt;  // revoked meanwhile
    return account_where(db, "WHERE id = ?", found->account_id);
  });
}

std::string ControlStore::secret(const std::string& name) {
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
    throw Error(ErrorKind::BadRequest, "invalid secret name", {{"name", "must match [a-z0-9_-]+"}});
  }
  std::lock_guard lock(secrets_mutex_);
  const auto dir = data_dir_ / "secrets";
  const auto path = dir / (name + ".key");
  if (auto existing = read_secret_file(path)) return *existing;

  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
  std::string raw(kSecretBytes, '\0');
  crypto::random_bytes(raw.data(), raw.size());
  // Write a private temporary file, then link it into place: if another process got there first, its
  // secret wins and we read that one.
  const auto tmp = dir / (".tmp-" + name + "-" + crypto::random_hex(8));
  write_private_file(tmp, crypto::hex(raw) + "\n");
  std::error_code ec;
  std::filesystem::create_hard_link(tmp, path, ec);
  std::filesystem::remove(tmp);
  if (!ec) {
    spdlog::info("store: generated secret {}", path.string());
    return raw;
  }
  if (auto existing = read_secret_file(path)) return *existing;
  throw Error(ErrorKind::Internal, "cannot create secret " + path.string() + ": " + ec.message());
}

// API keys go with their account (ON DELETE CASCADE too); the deletion's own row goes last, with it.
std::vector<OwnedTable> control_owned_tables() {
  return {{DbScope::Control, "api_keys", "account_id", "", "", {}},
          {DbScope::Control, "profile_deletions", "account_id", "", "", {}}};
}

}  // namespace cadenza::store
