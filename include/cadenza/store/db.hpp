#pragma once
// SQLite access: Db (one connection), Stmt (one prepared statement) and Database (one file: a single
// writer connection behind a mutex plus a small pool of reader connections).
//
// Every SQLite failure is thrown as DbError (a cadenza::Error): unique / primary-key violations as
// ErrorKind::Conflict, SQLITE_BUSY / SQLITE_LOCKED as ErrorKind::Unavailable, everything else as
// ErrorKind::Internal (the SQLite message is logged; the thrown message stays generic).
#include <atomic>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cadenza/core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace cadenza::store {

struct Migration;

// A cadenza::Error that also carries SQLite's extended result code.
class DbError : public Error {
 public:
  DbError(ErrorKind kind, std::string message, int sqlite_code);
  int sqlite_code() const { return sqlite_code_; }
  // True for UNIQUE and PRIMARY KEY constraint violations.
  bool is_unique_violation() const;

 private:
  int sqlite_code_;
};

class Db;

// A prepared statement. Parameters are 1-based (SQLite convention), columns 0-based.
class Stmt {
 public:
  Stmt(Db& db, std::string_view sql);
  ~Stmt();
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Stmt& bind(int i, bool v) { return bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }
  // Any other integer type (std::size_t, long long, unsigned ...).
  template <std::integral T>
  Stmt& bind(int i, T v) {
    return bind(i, static_cast<std::int64_t>(v));
  }
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Stmt& bind(int i, std::nullptr_t);
  // Binds bytes as a BLOB (bind(string_view) binds TEXT).
  Stmt& bind_blob(int i, std::string_view bytes);
  template <class T>
  Stmt& bind(int i, const std::optional<T>& v) {
    if (v) return bind(i, *v);
    return bind(i, nullptr);
  }
  // Binds args to parameters 1..N.
  template <class... A>
  Stmt& bind_all(const A&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // Advances; true when a row is available.
  bool step();
  // Steps to completion (for statements that return no rows).
  void run();

  int column_count() const;
  std::int64_t column_int64(int i) const;
  int column_int(int i) const { return static_cast<int>(column_int64(i)); }
  double column_double(int i) const;
  std::string column_text(int i) const;
  std::optional<std::string> column_optional_text(int i) const;
  // A BLOB (or TEXT) column's bytes.
  std::string column_blob(int i) const;
  bool is_null(int i) const;

  // Resets the statement and clears its bindings so it can run again.
  void reset();
  sqlite3_stmt* handle() const { return stmt_; }

 private:
  void check(int rc) const;
  Db* db_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

// One SQLite connection with Cadenza's settings: WAL, foreign_keys=ON, busy_timeout, synchronous=NORMAL.
class Db {
 public:
  struct Options {
    int busy_timeout_ms = 5000;
    bool query_only = false;  // reader connections refuse writes
  };
  Db(const std::filesystem::path& path, const Options& options);
  ~Db();
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more SQL statements without parameters (schema, pragmas, BEGIN/COMMIT).
  void exec(std::string_view sql);
  Stmt prepare(std::string_view sql) { return Stmt(*this, sql); }
  // Prepares sql and binds args to parameters 1..N.
  template <class... A>
  Stmt query(std::string_view sql, const A&... args) {
    Stmt s(*this, sql);
    s.bind_all(args...);
    return s;
  }
  // Runs a statement that returns no rows; returns the number of rows changed.
  template <class... A>
  int run(std::string_view sql, const A&... args) {
    auto s = query(sql, args...);
    s.run();
    return changes();
  }
  // Runs a query and returns column 0 of its first row (nullopt when there is no row or it is NULL).
  template <class... A>
  std::optional<std::int64_t> scalar_int64(std::string_view sql, const A&... args) {
    auto s = query(sql, args...);
    if (!s.step() || s.is_null(0)) return std::nullopt;
    return s.column_int64(0);
  }
  template <class... A>
  std::optional<std::string> scalar_text(std::string_view sql, const A&... args) {
    auto s = query(sql, args...);
    if (!s.step() || s.is_null(0)) return std::nullopt;
    return s.column_text(0);
  }

  int changes() const;
  std::int64_t last_insert_rowid() const;
  // Marks a profile's (or account's) data as written by the open transaction: Database::write reports
  // it to its listener after COMMIT (the response cache's invalidation). Every repository function that
  // writes rows belonging to a profile calls it, whoever runs it (a request, a job).
  void touch(std::string_view profile_id);
  std::vector<std::string> take_touched() { return std::exchange(touched_, {}); }
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

  // Throws DbError for a failed SQLite result code rc (no-op for OK/ROW/DONE).
  void check(int rc, std::string_view what) const;

  // Prepared-statement cache: a Stmt takes its compiled statement from here and gives it back
  // (reset, bindings cleared) when destroyed, so each SQL text is compiled once per connection.
  sqlite3_stmt* take_cached(const std::string& sql);
  void give_back(std::string sql, sqlite3_stmt* stmt);

 private:
  void clear_cache();
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  std::unordered_multimap<std::string, sqlite3_stmt*> cache_;
  std::vector<std::string> touched_;
};

// One database file: one writer connection (serialised by a mutex) and up to read_connections readers.
// Migrations passed to the constructor are applied before it returns.
class Database {
 public:
  struct Options {
    int busy_timeout_ms = 5000;
    int read_connections = 4;
    // WAL checkpoints run on a background thread (one for the process) once a commit leaves the WAL with
    // at least this many pages, never inside the commit of a request or a job (SQLite's own
    // autocheckpoint would run there, fsyncing the database under the write lock).
    int checkpoint_pages = 1000;
  };
  Database(const std::filesystem::path& path, const Options& options, std::span<const Migration> migrations = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs f(Db&) inside BEGIN IMMEDIATE ... COMMIT on the writer connection; ROLLBACK and rethrow on an
  // exception. A write() (or read()) nested inside a write() on the same thread joins the outer
  // transaction instead of deadlocking.
  template <class F>
  auto write(F&& f) -> std::invoke_result_t<F&, Db&> {
    if (writer_owner_ == std::this_thread::get_id()) return f(*writer_);
    std::lock_guard lock(write_mutex_);
    OwnerGuard owner(writer_owner_);
    begin_immediate();
    try {
      if constexpr (std::is_void_v<std::invoke_result_t<F&, Db&>>) {
        f(*writer_);
        commit();
        report_touched();
      } else {
        auto result = f(*writer_);
        commit();
        report_touched();
        return result;
      }
    } catch (...) {
      writer_->take_touched();  // nothing was written
      rollback();
      throw;
    }
  }

  // Runs f(Db&) on a reader connection inside one read transaction (a consistent snapshot); on the writer
  // when called inside write() on this thread; a read() nested in a read() reuses the outer connection.
  template <class F>
  auto read(F&& f) -> std::invoke_result_t<F&, Db&> {
    if (writer_owner_ == std::this_thread::get_id()) return f(*writer_);
    for (auto* l = active_leases_; l; l = l->outer) {
      if (&l->database == this) return f(*l->db);  // nested read(): same connection, same snapshot
    }
    ReaderLease lease(*this);
    return f(*lease.db);
  }

  const std::filesystem::path& path() const { return path_; }
  // Called after each committed write() with every profile id it touched (Db::touch), still under the
  // write lock, so that the next reader of that profile sees a changed generation.
  using WriteListener = std::function<void(const std::string& profile_id)>;
  void on_profile_write(WriteListener listener) {
    std::lock_guard lock(write_mutex_);
    listener_ = std::move(listener);
  }
  // Highest applied migration version.
  int schema_version();
  // A passive checkpoint on a connection of its own (writers and readers go on meanwhile); what the
  // background checkpointer runs. Returns false when SQLite could not copy every frame (a reader still
  // uses them): the next commit past checkpoint_pages asks again.
  bool checkpoint();
  // Checkpoints run so far (checkpoint() calls), for tests and metrics.
  int checkpoints() const { return checkpoints_.load(); }

 private:
  void report_touched();
  WriteListener listener_;
  struct OwnerGuard {
    explicit OwnerGuard(std::atomic<std::thread::id>& o) : owner(o) { owner = std::this_thread::get_id(); }
    ~OwnerGuard() { owner = std::thread::id(); }
    std::atomic<std::thread::id>& owner;
  };
  struct ReaderLease {
    explicit ReaderLease(Database& d);
    ~ReaderLease();
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    void release(bool reusable);
    Database& database;
    std::unique_ptr<Db> db;
    ReaderLease* outer = nullptr;
  };
  // The reader leases this thread holds, innermost first.
  static thread_local ReaderLease* active_leases_;
  void begin_immediate();
  void commit();
  void rollback();

  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages);

  std::filesystem::path path_;
  Options options_;
  std::mutex checkpoint_mutex_;
  std::unique_ptr<Db> checkpoint_db_;
  std::atomic<int> checkpoints_{0};
  std::unique_ptr<Db> writer_;
  std::mutex write_mutex_;
  std::atomic<std::thread::id> writer_owner_{};
  std::mutex readers_mutex_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Db>> idle_readers_;
  int open_readers_ = 0;
};

}  // namespace cadenza::store
