#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <set>
#include <thread>

#include "cadenza/store/db.hpp"
#include "cadenza/store/migrations.hpp"

namespace cadenza::store {

thread_local Database::ReaderLease* Database::active_leases_ = nullptr;

namespace {

// The process's one checkpointing thread: databases whose WAL passed their checkpoint_pages wait in a set
// (so a busy one is queued once) and are checkpointed one at a time. Started with the first request; never
// destroyed (a database may be destroyed during static destruction), so its thread is detached.
class Checkpointer {
 public:
  static Checkpointer& instance() {
    static auto* c = new Checkpointer;
    return *c;
  }

  void request(Database* d) {
    {
      std::lock_guard lock(mutex_);
      pending_.insert(d);
      if (!started_) {
        started_ = true;
        std::thread([this] { run(); }).detach();
      }
    }
    cv_.notify_all();
  }

  // After this returns the thread neither holds nor will touch `d`.
  void forget(Database* d) {
    std::unique_lock lock(mutex_);
    pending_.erase(d);
    cv_.wait(lock, [&] { return current_ != d; });
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return !pending_.empty(); });
      current_ = *pending_.begin();
      pending_.erase(pending_.begin());
      lock.unlock();
      try {
        current_->checkpoint();
      } catch (const std::exception& e) {
        spdlog::warn("store: {}: checkpoint: {}", current_->path().filename().string(), e.what());
      }
      lock.lock();
      current_ = nullptr;
      cv_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::set<Database*> pending_;
  Database* current_ = nullptr;
  bool started_ = false;
};

}  // namespace

Database::Database(const std::filesystem::path& path, const Options& options, std::span<const Migration> migrations)
    : path_(path), options_(options) {
  if (options_.read_connections < 1) options_.read_connections = 1;
  writer_ = std::make_unique<Db>(path, Db::Options{options_.busy_timeout_ms, false});
  if (!migrations.empty()) migrate(*writer_, migrations);
  // Replaces SQLite's autocheckpoint (itself a WAL hook) with the background one.
  sqlite3_wal_hook(writer_->handle(), &Database::on_wal_commit, this);
}

Database::~Database() {
  if (writer_) sqlite3_wal_hook(writer_->handle(), nullptr, nullptr);
  Checkpointer::instance().forget(this);
}

int Database::on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  auto* d = static_cast<Database*>(self);
  if (d->options_.checkpoint_pages > 0 && pages >= d->options_.checkpoint_pages) Checkpointer::instance().request(d);
  return SQLITE_OK;
}

bool Database::checkpoint() {
  std::lock_guard lock(checkpoint_mutex_);
  if (!checkpoint_db_) checkpoint_db_ = std::make_unique<Db>(path_, Db::Options{options_.busy_timeout_ms, false});
  int frames = 0, copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(checkpoint_db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
  ++checkpoints_;
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) checkpoint_db_->check(rc, "wal_checkpoint");
  return rc == SQLITE_OK && copied == frames;
}

int Database::schema_version() {
  return read([](Db& db) {
    return static_cast<int>(db.scalar_int64("SELECT MAX(version) FROM schema_migrations").value_or(0));
  });
}

void Database::begin_immediate() { writer_->run("BEGIN IMMEDIATE"); }

void Database::commit() { writer_->run("COMMIT"); }

void Database::report_touched() {
  auto touched = writer_->take_touched();
  if (!listener_) return;
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (const auto& id : touched) {
    try {
      listener_(id);
    } catch (const std::exception& e) {
      spdlog::error("store: write listener failed for {}: {}", id, e.what());
    }
  }
}

void Database::rollback() {
  try {
    writer_->exec("ROLLBACK");
  } catch (const std::exception& e) {
    // SQLite may already have rolled back (e.g. after SQLITE_FULL); nothing more to undo.
    spdlog::warn("store: {}: rollback: {}", path_.filename().string(), e.what());
  }
}

Database::ReaderLease::ReaderLease(Database& d) : database(d) {
  std::unique_lock lock(d.readers_mutex_);
  d.readers_cv_.wait(lock, [&] { return !d.idle_readers_.empty() || d.open_readers_ < d.options_.read_connections; });
  if (!d.idle_readers_.empty()) {
    db = std::move(d.idle_readers_.back());
    d.idle_readers_.pop_back();
  } else {
    ++d.open_readers_;
    lock.unlock();
    try {
      db = std::make_unique<Db>(d.path_, Db::Options{d.options_.busy_timeout_ms, true});
    } catch (...) {
      lock.lock();
      --d.open_readers_;
      d.readers_cv_.notify_one();
      throw;
    }
  }
  // One read transaction per read(): every statement inside sees the same snapshot.
  try {
    db->run("BEGIN");
  } catch (...) {
    release(false);
    throw;
  }
  outer = active_leases_;
  active_leases_ = this;
}

Database::ReaderLease::~ReaderLease() {
  active_leases_ = outer;
  bool reusable = true;
  try {
    db->run("COMMIT");
  } catch (const std::exception& e) {
    spdlog::warn("store: {}: ending read transaction: {}", database.path_.filename().string(), e.what());
    reusable = sqlite3_get_autocommit(db->handle()) != 0;
  }
  release(reusable);
}

void Database::ReaderLease::release(bool reusable) {
  {
    std::lock_guard lock(database.readers_mutex_);
    if (reusable) {
      database.idle_readers_.push_back(std::move(db));
    } else {
      db.reset();
      --database.open_readers_;
    }
  }
  database.readers_cv_.notify_one();
}

}  // namespace cadenza::store
