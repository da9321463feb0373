#include <sqlite3.h>

#include <cctype>
#include <string>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

Stmt::Stmt(Db& db, std::string_view sql) : db_(&db), sql_(sql) {
  stmt_ = db.take_cached(sql_);
  if (stmt_) return;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                              &tail);
  db.check(rc, sql);
  for (const char* p = tail; p && p < sql.data() + sql.size(); ++p) {
    if (!std::isspace(static_cast<unsigned char>(*p)) && *p != ';') {
      sqlite3_finalize(stmt_);
      stmt_ = nullptr;
      throw Error(ErrorKind::Internal, "one statement at a time: " + std::string(sql));
    }
  }
  if (!stmt_) throw Error(ErrorKind::Internal, "empty statement");
}

Stmt::~Stmt() {
  if (stmt_) db_->give_back(std::move(sql_), stmt_);
}

Stmt::Stmt(Stmt&& other) noexcept : db_(other.db_), sql_(std::move(other.sql_)), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    if (stmt_) db_->give_back(std::move(sql_), stmt_);
    db_ = other.db_;
    sql_ = std::move(other.sql_);
    stmt_ = other.stmt_;
    other.stmt_ = nullptr;
  }
  return *this;
}

void Stmt::check(int rc) const { db_->check(rc, sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : ""); }

Stmt& Stmt::bind(int i, std::int64_t v) {
  check(sqlite3_bind_int64(stmt_, i, v));
  return *this;
}

Stmt& Stmt::bind(int i, double v) {
  check(sqlite3_bind_double(stmt_, i, v));
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Stmt& Stmt::bind_blob(int i, std::string_view bytes) {
  check(sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Stmt& Stmt::bind(int i, std::nullptr_t) {
  check(sqlite3_bind_null(stmt_, i));
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  check(rc);
  return false;
}

void Stmt::run() {
  while (step()) {
  }
}

int Stmt::column_count() const { return sqlite3_column_count(stmt_); }

std::int64_t Stmt::column_int64(int i) const { return sqlite3_column_int64(stmt_, i); }

double Stmt::column_double(int i) const { return sqlite3_column_double(stmt_, i); }

std::string Stmt::column_text(int i) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  if (!p) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
}

std::optional<std::string> Stmt::column_optional_text(int i) const {
  if (is_null(i)) return std::nullopt;
  return column_text(i);
}

std::string Stmt::column_blob(int i) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
  if (!p) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
}

bool Stmt::is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

}  // namespace cadenza::store
