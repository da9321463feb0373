#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cadenza/store/db.hpp"
#include "cadenza/store/migrations.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::store;

namespace {

const Migration kTestMigrations[] = {
    {1, "0001_items", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL);"},
    {2, "0002_parent", "CREATE TABLE parents (id INTEGER PRIMARY KEY);"
                       "CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES parents(id));"},
};

std::int64_t count(Database& db, const char* table) {
  return db.read([&](Db& c) { return *c.scalar_int64(std::string("SELECT COUNT(*) FROM ") + table); });
}

}  // namespace

TEST_CASE("migrations are applied once, in order, and are idempotent on reopen") {
  test::TempDir dir;
  auto path = dir.path() / "t.db";
  {
    Database db(path, {}, std::span<const Migration>(kTestMigrations, 1));
    CHECK(db.schema_version() == 1);
    db.write([](Db& c) { c.run("INSERT INTO items (name) VALUES (?)", "a"); });
  }
  {
    Database db(path, {}, kTestMigrations);  // picks up 0002 only
    CHECK(db.schema_version() == 2);
    CHECK(count(db, "items") == 1);
    CHECK(count(db, "schema_migrations") == 2);
  }
  {
    Db raw(path, {});
    CHECK(migrate(raw, kTestMigrations) == 0);
    CHECK(*raw.scalar_text("SELECT name FROM schema_migrations WHERE version = 2") == "0002_parent");
  }
  // A database newer than the build refuses to open.
  CHECK_THROWS_AS(Database(path, {}, std::span<const Migration>(kTestMigrations, 1)), Error);
}

TEST_CASE("a failing migration leaves nothing behind") {
  test::TempDir dir;
  const Migration bad[] = {{1, "0001_ok", "CREATE TABLE a (x);"}, {2, "0002_bad", "CREATE TABLE b (x); SELEC oops;"}};
  CHECK_THROWS_AS(Database(dir.path() / "t.db", {}, bad), Error);
  Database db(dir.path() / "t.db", {}, std::span<const Migration>(bad, 1));
  CHECK(db.schema_version() == 1);
  CHECK_FALSE(db.read([](Db& c) { return c.scalar_int64("SELECT 1 FROM sqlite_master WHERE name = 'b'"); }));
}

TEST_CASE("embedded migrations are numbered and non-empty") {
  for (auto set : {control_migrations(), tenant_migrations()}) {
    REQUIRE(!set.empty());
    CHECK(set[0].version == 1);
    CHECK(set[0].name == "0001_init");
    CHECK(set[0].sql.find("CREATE TABLE") != std::string_view::npos);
    for (std::size_t i = 1; i < set.size(); ++i) CHECK(set[i].version > set[i - 1].version);
  }
}

TEST_CASE("connections use WAL, foreign keys, busy timeout and synchronous=NORMAL") {
  test::TempDir dir;
  Database db(dir.path() / "t.db", {1234, 2}, kTestMigrations);
  auto check_pragmas = [](Db& c) {
    CHECK(*c.scalar_text("PRAGMA journal_mode") == "wal");
    CHECK(*c.scalar_int64("PRAGMA foreign_keys") == 1);
    CHECK(*c.scalar_int64("PRAGMA busy_timeout") == 1234);
    CHECK(*c.scalar_int64("PRAGMA synchronous") == 1);
  };
  db.write(check_pragmas);
  db.read(check_pragmas);
  // foreign keys are enforced
  CHECK_THROWS_AS(db.write([](Db& c) { c.run("INSERT INTO children (parent) VALUES (42)"); }), Error);
  // readers refuse writes
  CHECK_THROWS_AS(db.read([](Db& c) { c.run("INSERT INTO items (name) VALUES ('x')"); }), Error);
}

TEST_CASE("write rolls back when f throws, and rethrows") {
  test::TempDir dir;
  Database db(dir.path() / "t.db", {}, kTestMigrations);
  CHECK_THROWS_WITH_AS(db.write([](Db& c) {
    c.run("INSERT INTO items (name) VALUES (?)", "ghost");
    throw std::runtime_error("boom");
  }),
                       "boom", std::runtime_error);
  CHECK(count(db, "items") == 0);
  // The writer is usable afterwards, and a nested write joins the outer transaction.
  int n = db.write([&](Db& c) {
    c.run("INSERT INTO items (name) VALUES (?)", "one");
    db.write([](Db& inner) { inner.run("INSERT INTO items (name) VALUES (?)", "two"); });
    return db.read([](Db& inner) { return static_cast<int>(*inner.scalar_int64("SELECT COUNT(*) FROM items")); });
  });
  CHECK(n == 2);
  CHECK_THROWS(db.write([&](Db& c) {
    c.run("INSERT INTO items (name) VALUES (?)", "three");
    db.write([](Db&) { throw std::runtime_error("inner"); });
  }));
  CHECK(count(db, "items") == 2);
}

TEST_CASE("a read nested in a read reuses the connection (no deadlock with one reader)") {
  test::TempDir dir;
  Database db(dir.path() / "t.db", {5000, 1}, kTestMigrations);
  db.write([](Db& c) { c.run("INSERT INTO items (name) VALUES ('a')"); });
  auto n = db.read([&](Db& outer) {
    return db.read([&](Db& inner) {
      CHECK(&inner == &outer);
      return *inner.scalar_int64("SELECT COUNT(*) FROM items");
    });
  });
  CHECK(n == 1);
  // The lease is returned: another thread can read now.
  std::thread([&] { CHECK(count(db, "items") == 1); }).join();
}

TEST_CASE("unique violations are Conflict; other SQL errors Internal") {
  test::TempDir dir;
  Database db(dir.path() / "t.db", {}, kTestMigrations);
  db.write([](Db& c) { c.run("INSERT INTO items (name) VALUES (?)", "dup"); });
  try {
    db.write([](Db& c) { c.run("INSERT INTO items (name) VALUES (?)", "dup"); });
    FAIL("no conflict");
  } catch (const DbError& e) {
    CHECK(e.kind() == ErrorKind::Conflict);
    CHECK(e.is_unique_violation());
  }
  try {
    db.read([](Db& c) { c.prepare("SELECT nope FROM items"); });
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Internal);
  }
  CHECK_THROWS_AS(db.read([](Db& c) { c.prepare("SELECT 1; SELECT 2"); }), Error);
}

TEST_CASE("Stmt binds every type and reads columns back") {
  test::TempDir dir;
  Db c(dir.path() / "t.db", {});
  c.exec("CREATE TABLE v (i INTEGER, d REAL, t TEXT, n TEXT, o TEXT)");
  std::optional<std::string> none, some = "opt";
  c.run("INSERT INTO v VALUES (?, ?, ?, ?, ?)", std::int64_t(1) << 40, 2.5, std::string_view("text"), nullptr, some);
  c.query("INSERT INTO v VALUES (?, ?, ?, ?, ?)").bind_all(7, 0.0, "x", nullptr, none).run();
  auto s = c.prepare("SELECT i, d, t, n, o FROM v ORDER BY i DESC");
  REQUIRE(s.step());
  CHECK(s.column_int64(0) == (std::int64_t(1) << 40));
  CHECK(s.column_double(1) == 2.5);
  CHECK(s.column_text(2) == "text");
  CHECK(s.is_null(3));
  CHECK(s.column_text(4) == "opt");
  REQUIRE(s.step());
  CHECK(s.column_int(0) == 7);
  CHECK(s.is_null(4));
  CHECK_FALSE(s.step());
  s.reset();
  CHECK(s.step());  // runs again after reset
  // Text with embedded NUL survives.
  std::string nul("a\0b", 3);
  c.run("UPDATE v SET t = ? WHERE i = 7", nul);
  CHECK(*c.scalar_text("SELECT t FROM v WHERE i = 7") == nul);
  // Other integer types and bool.
  CHECK(*c.scalar_int64("SELECT ? + ? + ?", std::size_t(5), 6LL, true) == 12);
  CHECK(*c.scalar_int64("SELECT ?", std::uint32_t(4000000000u)) == 4000000000LL);
}

TEST_CASE("concurrent writers and readers from threads never see SQLITE_BUSY") {
  test::TempDir dir;
  Database db(dir.path() / "t.db", {5000, 3}, kTestMigrations);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  constexpr int kThreads = 6, kEach = 50;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        try {
          db.write([&](Db& c) { c.run("INSERT INTO items (name) VALUES (?)", std::to_string(t) + ":" + std::to_string(i)); });
          db.read([](Db& c) { return c.scalar_int64("SELECT COUNT(*) FROM items"); });
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(count(db, "items") == kThreads * kEach);
}

TEST_CASE("two Database objects on one file (two processes) wait on each other instead of failing") {
  test::TempDir dir;
  Database a(dir.path() / "t.db", {5000, 1}, kTestMigrations);
  Database b(dir.path() / "t.db", {5000, 1}, kTestMigrations);
  std::atomic<int> failures{0};
  auto writer = [&](Database& db, const char* tag) {
    for (int i = 0; i < 40; ++i) {
      try {
        db.write([&](Db& c) { c.run("INSERT INTO items (name) VALUES (?)", std::string(tag) + std::to_string(i)); });
      } catch (const std::exception&) {
        ++failures;
      }
    }
  };
  std::thread t1(writer, std::ref(a), "a"), t2(writer, std::ref(b), "b");
  t1.join();
  t2.join();
  CHECK(failures == 0);
  CHECK(count(a, "items") == 80);
}

TEST_CASE("WAL checkpoints run in the background: commits never checkpoint, the WAL stays bounded") {
  test::TempDir dir;
  const auto path = dir.path() / "t.db";
  Database db(path, {5000, 2, 16}, kTestMigrations);
  // Each commit adds a few pages; without any checkpoint 600 of them would leave a WAL of several MB.
  const std::string filler(3000, 'x');
  std::uintmax_t largest = 0;
  for (int i = 0; i < 600; ++i) {
    db.write([&](Db& c) { c.run("INSERT INTO items (name) VALUES (?)", std::to_string(i) + filler); });
    if (i % 50 == 49) {
      // A pause in the writes: the checkpointer catches up (a commit itself never waits for it), and the
      // next commit starts the WAL over from its beginning.
      const int before = db.checkpoints();
      for (int w = 0; w < 400 && db.checkpoints() == before; ++w) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      largest = std::max(largest, std::filesystem::file_size(path.string() + "-wal"));
    }
  }
  CHECK(db.checkpoints() > 0);
  CHECK(largest < 2'000'000);
  CHECK(count(db, "items") == 600);
  // A checkpoint with no reader in the way copies every frame.
  CHECK(db.checkpoint());
}

TEST_CASE("a Database destroyed while a checkpoint is asked for is forgotten by the checkpointer") {
  test::TempDir dir;
  for (int round = 0; round < 20; ++round) {
    Database db(dir.path() / ("t" + std::to_string(round) + ".db"), {5000, 1, 1}, kTestMigrations);
    db.write([](Db& c) { c.run("INSERT INTO items (name) VALUES ('a')"); });  // asks for a checkpoint
  }  // destroyed at once, while the request may be pending or running
  Database last(dir.path() / "last.db", {5000, 1, 1}, kTestMigrations);
  last.write([](Db& c) { c.run("INSERT INTO items (name) VALUES ('b')"); });
  CHECK(count(last, "items") == 1);
}
