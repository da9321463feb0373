#include "cadenza/store/tune_vector_plan_repo.hpp"

#include "cadenza/core/clock.hpp"

namespace cadenza::store::tune_vector_plan_repo {
namespace {

constexpr const char* kColumns = "p.tune_vector_id, p.catalog_version, p.plan, p.state, p.created_at, p.updated_at";

// Titles from a catalogue file may hold bytes that are not UTF-8: stored replaced, never refused.
std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

TuneVectorPlan row(const Stmt& s) {
  TuneVectorPlan p;
  p.tune_vector_id = s.column_text(0);
  p.catalog_version = s.column_int64(1);
  p.plan = nlohmann::json::parse(s.column_text(2), nullptr, false);
  p.state = nlohmann::json::parse(s.column_text(3), nullptr, false);
  if (!p.plan.is_object()) p.plan = nlohmann::json::object();
  if (!p.state.is_object()) p.state = nlohmann::json::object();
  p.created_at = s.column_int64(4);
  p.updated_at = s.column_int64(5);
  return p;
}

}  // namespace

std::optional<TuneVectorPlan> find(Database& database, const std::string& tune_vector_id) {
  return database.read([&](Db& db) -> std::optional<TuneVectorPlan> {
    auto s = db.query(std::string("SELECT ") + kColumns + " FROM tune_vector_plans p WHERE p.tune_vector_id = ?",
                      tune_vector_id);
    if (!s.step()) return std::nullopt;
    return row(s);
  });
}

std::map<std::string, TuneVectorPlan> list(Database& database, const std::string& profile_id) {
  return database.read([&](Db& db) {
    auto s = db.query(std::string("SELECT ") + kColumns +
                          " FROM tune_vector_plans p JOIN tune_vectors t ON t.id = p.tune_vector_id"
                          " WHERE t.profile_id = ?",
                      profile_id);
    std::map<std::string, TuneVectorPlan> out;
    while (s.step()) {
      auto p = row(s);
      auto id = p.tune_vector_id;
      out.emplace(std::move(id), std::move(p));
    }
    return out;
  });
}

bool put(Database& database, const std::string& profile_id, const TuneVectorPlan& p) {
  return database.write([&](Db& db) {
    const auto now = now_ms();
    int n = db.run(
        "INSERT INTO tune_vector_plans (tune_vector_id, catalog_version, plan, state, created_at, updated_at)"
        " SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM tune_vectors WHERE id = ? AND profile_id = ?)"
        " ON CONFLICT (tune_vector_id) DO UPDATE SET catalog_version = excluded.catalog_version,"
        " plan = excluded.plan, state = excluded.state, updated_at = excluded.updated_at",
        p.tune_vector_id, p.catalog_version, dump(p.plan), dump(p.state), now, now, p.tune_vector_id, profile_id);
    if (n > 0) db.touch(profile_id);
    return n > 0;
  });
}

}  // namespace cadenza::store::tune_vector_plan_repo
