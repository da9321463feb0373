#include "cadenza/store/recommender_model_repo.hpp"

#include "cadenza/core/error.hpp"

namespace cadenza::store::recommender_model_repo {
namespace {

constexpr const char* kSelect = "SELECT version, file, metrics, job_id, trained_at FROM recommender_models";

RecommenderModelRecord row(const Stmt& s) {
  RecommenderModelRecord r;
  r.version = s.column_int64(0);
  r.file = s.column_text(1);
  r.metrics = nlohmann::json::parse(s.column_text(2), nullptr, false);
  if (!r.metrics.is_object()) r.metrics = nlohmann::json::object();
  r.job_id = s.column_optional_text(3);
  r.trained_at = s.column_int64(4);
  return r;
}

}  // namespace

std::int64_t next_version(Database& database) {
  return database.read([](Db& db) {
    return db.scalar_int64("SELECT COALESCE(MAX(version), 0) + 1 FROM recommender_models").value_or(1);
  });
}

RecommenderModelRecord insert(Database& database, RecommenderModelRecord r) {
  return database.write([&](Db& db) {
    if (db.scalar_int64("SELECT 1 FROM recommender_models WHERE version = ?", r.version))
      throw Error(ErrorKind::Conflict, "recommender model version " + std::to_string(r.version) + " exists");
    db.run("INSERT INTO recommender_models (version, file, metrics, job_id, trained_at) VALUES (?, ?, ?, ?, ?)",
           r.version, r.file, r.metrics.dump(), r.job_id, r.trained_at);
    return r;
  });
}

std::optional<RecommenderModelRecord> latest(Database& database) {
  return database.read([](Db& db) -> std::optional<RecommenderModelRecord> {
    auto s = db.query(std::string(kSelect) + " ORDER BY version DESC LIMIT 1");
    if (!s.step()) return std::nullopt;
    return row(s);
  });
}

std::vector<RecommenderModelRecord> list(Database& database, int limit) {
  return database.read([&](Db& db) {
    auto s = db.query(std::string(kSelect) + " ORDER BY version DESC LIMIT ?", limit);
    std::vector<RecommenderModelRecord> out;
    while (s.step()) out.push_back(row(s));
    return out;
  });
}

}  // namespace cadenza::store::recommender_model_repo
