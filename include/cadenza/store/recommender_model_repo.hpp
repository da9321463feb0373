#pragma once
// The tenant's trained recommender models (tenant table `recommender_models`, migration 0013): versions
// 1, 2, ... in training order; the newest is the one in use.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

struct RecommenderModelRecord {
  std::int64_t version = 0;  // set by insert
  std::string file;          // relative to the data directory
  nlohmann::json metrics = nlohmann::json::object();
  std::optional<std::string> job_id;
  std::int64_t trained_at = 0;
};

namespace recommender_model_repo {

// The next version number (one above the newest, 1 for the first).
std::int64_t next_version(Database& db);
// Stores r under r.version (Error(Conflict) when that version exists); returns it.
RecommenderModelRecord insert(Database& db, RecommenderModelRecord r);
std::optional<RecommenderModelRecord> latest(Database& db);
// Newest first, at most limit.
std::vector<RecommenderModelRecord> list(Database& db, int limit = 50);

}  // namespace recommender_model_repo
}  // namespace cadenza::store
