// The chunk store and the job event log: seq per stream/job, ranges, budgets, deletes, the replay rule.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "cadenza/core/ids.hpp"
#include "cadenza/store/chunk_repo.hpp"
#include "cadenza/store/job_event_repo.hpp"
#include "cadenza/store/job_repo.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "support/error_kind.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::store;
using test::error_kind_of;

TEST_CASE("chunk store: append numbers per stream, reads ranges in order, counts and deletes") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  const std::string a = new_uuid(), b = new_uuid();
  CHECK(chunk_repo::stats(db, a).count == 0);
  CHECK(chunk_repo::stats(db, a).last_seq == 0);
  for (int i = 1; i <= 5; ++i) {
    std::string bytes(static_cast<std::size_t>(i * 10), static_cast<char>(i));
    bytes[0] = '\0';  // binary, not text
    CHECK(chunk_repo::append(db, a, bytes, {{"i", i}}, 1000 + i) == i);
  }
  CHECK(chunk_repo::append(db, b, "other", nlohmann::json::object(), 1) == 1);
  auto st = chunk_repo::stats(db, a);
  CHECK(st.count == 5);
  CHECK(st.last_seq == 5);
  CHECK(st.bytes == 10 + 20 + 30 + 40 + 50);

  auto from2 = chunk_repo::read_from(db, a, 2, 100, 1 << 20);
  REQUIRE(from2.size() == 3);
  for (std::size_t k = 0; k < from2.size(); ++k) {
    const auto& c = from2[k];
    CHECK(c.seq == static_cast<std::int64_t>(k + 3));
    CHECK(c.bytes.size() == static_cast<std::size_t>(c.seq * 10));
    CHECK(c.bytes[0] == '\0');
    CHECK(c.bytes.back() == static_cast<char>(c.seq));
    CHECK(c.meta["i"] == c.seq);
    CHECK(c.created_at == 1000 + c.seq);
  }
  CHECK(chunk_repo::read_from(db, a, 0, 2, 1 << 20).size() == 2);  // max_count
  // max_bytes: 10 + 20 fit in 35, 30 more does not; the first chunk comes whatever its size.
  CHECK(chunk_repo::read_from(db, a, 0, 100, 35).size() == 2);
  CHECK(chunk_repo::read_from(db, a, 4, 100, 1).size() == 1);
  CHECK(chunk_repo::read_from(db, a, 5, 100, 1 << 20).empty());

  CHECK(error_kind_of([&] { chunk_repo::append(db, a, "x", nlohmann::json::array(), 1); }) == ErrorKind::BadRequest);
  CHECK(chunk_repo::delete_stream(db, a) == 5);
  CHECK(chunk_repo::stats(db, a).count == 0);
  CHECK(chunk_repo::stats(db, b).count == 1);  // other streams untouched
  CHECK(chunk_repo::append(db, a, "again", nlohmann::json::object(), 1) == 1);
}

TEST_CASE("chunk store: concurrent appenders never share or skip a seq") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  const std::string s = new_uuid();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) chunk_repo::append(db, s, "abc", nlohmann::json::object(), 1);
    });
  for (auto& t : threads) t.join();
  auto all = chunk_repo::read_from(db, s, 0, 1000, 1 << 20);
  REQUIRE(all.size() == 100);
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i].seq == static_cast<std::int64_t>(i + 1));
}

TEST_CASE("job event log: append, last seq, replay leaves out only superseded progress, cascade with the job") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  const auto tenant = new_uuid();
  auto& db = tenants.get(tenant);
  JobRecord job;
  job.id = new_uuid();
  job.tenant_id = tenant;
  job.owner_id = new_uuid();
  job.kind = "demo";
  job_repo::insert(db, job);
  CHECK(job_event_repo::last_seq(db, job.id) == 0);
  // 1 state, 2 progress, 3 progress, 4 state, 5 progress, 6 progress
  const char* types[] = {"job.state", "job.progress", "job.progress", "job.state", "job.progress", "job.progress"};
  for (int i = 0; i < 6; ++i) job_event_repo::append(db, job.id, i + 1, types[i], "t" + std::to_string(i + 1), 7);
  CHECK(job_event_repo::last_seq(db, job.id) == 6);
  CHECK(error_kind_of([&] { job_event_repo::append(db, job.id, 3, "job.state", "dup", 7); }) == ErrorKind::Conflict);

  auto seqs = [](const std::vector<StoredJobEvent>& v) {
    std::vector<std::int64_t> out;
    for (const auto& e : v) out.push_back(e.seq);
    return out;
  };
  // 2 is followed by progress 3: superseded; 5 by 6. The last event (6) always comes.
  CHECK(seqs(job_event_repo::replay(db, job.id, 0, 100)) == std::vector<std::int64_t>{1, 3, 4, 6});
  CHECK(seqs(job_event_repo::replay(db, job.id, 3, 100)) == std::vector<std::int64_t>{4, 6});
  CHECK(seqs(job_event_repo::replay(db, job.id, 6, 100)).empty());
  CHECK(seqs(job_event_repo::replay(db, job.id, 0, 2)) == std::vector<std::int64_t>{1, 3});
  // A chunk event is never superseded, even with progress right after it (a generation sends both per chunk).
  job_event_repo::append(db, job.id, 7, "job.chunk", "c7", 7);
  job_event_repo::append(db, job.id, 8, "job.progress", "t8", 7);
  job_event_repo::append(db, job.id, 9, "job.chunk", "c9", 7);
  job_event_repo::append(db, job.id, 10, "job.progress", "t10", 7);
  CHECK(seqs(job_event_repo::replay(db, job.id, 6, 100)) == std::vector<std::int64_t>{7, 8, 9, 10});
  auto all = job_event_repo::all_after(db, job.id, 0);
  CHECK(seqs(all) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  CHECK(all[3].type == "job.state");
  CHECK(all[3].text == "t4");

  // An event needs its job; deleting the job deletes its events.
  CHECK_THROWS(job_event_repo::append(db, new_uuid(), 1, "job.state", "orphan", 7));
  db.write([&](Db& w) { w.run("DELETE FROM jobs WHERE id = ?", job.id); });
  CHECK(job_event_repo::last_seq(db, job.id) == 0);
}
