#include "cadenza/store/backup.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"

namespace cadenza::store {
namespace {

namespace fs = std::filesystem;

// Owns a raw connection for the backup API (the Db wrapper would switch the copy's journal mode).
struct Connection {
  sqlite3* db = nullptr;
  Connection(const fs::path& path, int flags, int busy_timeout_ms) {
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
      std::string why = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close(db);
      throw Error(ErrorKind::Internal, "backup: cannot open " + path.string() + ": " + why);
    }
    sqlite3_busy_timeout(db, busy_timeout_ms);
  }
  ~Connection() { sqlite3_close_v2(db); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
};

void backup_database(const fs::path& from, const fs::path& to, int busy_timeout_ms) {
  Connection src(from, SQLITE_OPEN_READWRITE, busy_timeout_ms);  // READWRITE: a WAL reader may need the -shm
  Connection dst(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, busy_timeout_ms);
  sqlite3_backup* b = sqlite3_backup_init(dst.db, "main", src.db, "main");
  if (!b) throw Error(ErrorKind::Internal, "backup: " + from.string() + ": " + sqlite3_errmsg(dst.db));
  int rc;
  // Copy in steps so a running server's writers are never blocked for long.
  while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (rc != SQLITE_OK) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    throw Error(ErrorKind::Internal, "backup: " + from.string() + ": " + sqlite3_errstr(rc));
  }
}

int copy_tree(const fs::path& from, const fs::path& to) {
  int files = 0;
  if (!fs::is_directory(from)) return 0;
  fs::create_directories(to);
  fs::permissions(to, fs::status(from).permissions());
  for (auto it = fs::recursive_directory_iterator(from); it != fs::recursive_directory_iterator(); ++it) {
    const auto rel = fs::relative(it->path(), from);
    if (rel.filename().string().rfind(".tmp-", 0) == 0) continue;  // unfinished writes
    if (it->is_directory()) {
      fs::create_directories(to / rel);
      fs::permissions(to / rel, it->status().permissions());
    } else if (it->is_regular_file()) {
      fs::copy_file(it->path(), to / rel);  // keeps the permission bits (secrets stay 0600)
      ++files;
    }
  }
  return files;
}

bool inside(const fs::path& path, const fs::path& dir) {
  auto p = fs::weakly_canonical(fs::absolute(path));
  auto d = fs::weakly_canonical(fs::absolute(dir));
  auto [pi, di] = std::mismatch(p.begin(), p.end(), d.begin(), d.end());
  return di == d.end();
}

}  // namespace

BackupReport backup(const config::StorageConfig& storage, const fs::path& dest) {
  const fs::path data(storage.data_dir);
  if (!fs::is_regular_file(data / "control.db")) {
    throw Error(ErrorKind::BadRequest, "backup: no Cadenza data in " + data.string(), {{"data_dir", "no control.db"}});
  }
  if (fs::exists(dest) && (!fs::is_directory(dest) || !fs::is_empty(dest))) {
    throw Error(ErrorKind::BadRequest, "backup: " + dest.string() + " must be empty or not exist",
                {{"dest", "not empty"}});
  }
  if (inside(dest, data)) {
    throw Error(ErrorKind::BadRequest, "backup: " + dest.string() + " is inside the data directory",
                {{"dest", "inside the data directory"}});
  }
  fs::create_directories(dest / "tenants");

  BackupReport report;
  backup_database(data / "control.db", dest / "control.db", storage.busy_timeout_ms);
  ++report.databases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data / "tenants", ec)) {
    const auto& p = entry.path();
    if (!entry.is_regular_file() || p.extension() != ".db" || !is_uuid(p.stem().string())) continue;
    backup_database(p, dest / "tenants" / p.filename(), storage.busy_timeout_ms);
    ++report.databases;
  }
  report.files += copy_tree(data / "blobs", dest / "blobs");
  report.files += copy_tree(data / "secrets", dest / "secrets");
  spdlog::info("backup: {} databases and {} files to {}", report.databases, report.files, dest.string());
  return report;
}

}  // namespace cadenza::store
