#include "cadenza/store/db.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <string>

namespace cadenza::store {

DbError::DbError(ErrorKind kind, std::string message, int sqlite_code)
    : Error(kind, std::move(message)), sqlite_code_(sqlite_code) {}

bool DbError::is_unique_violation() const {
  return sqlite_code_ == SQLITE_CONSTRAINT_UNIQUE || sqlite_code_ == SQLITE_CONSTRAINT_PRIMARYKEY;
}

Db::Db(const std::filesystem::path& path, const Options& options) : path_(path) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    spdlog::error("store: cannot open {}: {}", path.string(), why);
    throw DbError(ErrorKind::Internal, "cannot open database " + path.string() + ": " + why, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
  check(sqlite3_busy_timeout(db_, options.busy_timeout_ms), "busy_timeout");
  if (options.query_only) {
    exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA query_only = 1");
  } else {
    exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL");
  }
}

Db::~Db() {
  clear_cache();
  if (db_) sqlite3_close_v2(db_);
}

Db::Db(Db&& other) noexcept : db_(other.db_), path_(std::move(other.path_)), cache_(std::move(other.cache_)) {
  other.db_ = nullptr;
}

void Db::clear_cache() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  cache_.clear();
}

sqlite3_stmt* Db::take_cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) return nullptr;
  auto* stmt = it->second;
  cache_.erase(it);
  return stmt;
}

void Db::give_back(std::string sql, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (cache_.size() >= 128) {  // bounded: SQL built at run time must not grow it without limit
    sqlite3_finalize(stmt);
    return;
  }
  cache_.emplace(std::move(sql), stmt);
}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    clear_cache();
    if (db_) sqlite3_close_v2(db_);
    db_ = other.db_;
    path_ = std::move(other.path_);
    cache_ = std::move(other.cache_);
    other.db_ = nullptr;
  }
  return *this;
}

void Db::exec(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec wants NUL termination
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (message) sqlite3_free(message);
  check(rc, text.size() > 80 ? text.substr(0, 80) + "..." : text);
}

int Db::changes() const { return sqlite3_changes(db_); }

void Db::touch(std::string_view profile_id) {
  if (!profile_id.empty()) touched_.emplace_back(profile_id);
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

void Db::check(int rc, std::string_view what) const {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    throw DbError(ErrorKind::Conflict, message, rc);
  }
  spdlog::error("store: {}: {} (code {}) in: {}", path_.filename().string(), message, rc, what);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw DbError(ErrorKind::Unavailable, "database is busy", rc);
  }
  throw DbError(ErrorKind::Internal, "database error: " + message, rc);
}

}  // namespace cadenza::store
