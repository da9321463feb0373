#pragma once
// A tune vector's planned tracks (tenant table `tune_vector_plans`, migration 0011): the planner's JSON, the
// catalogue version it was made from and the listening session's state. A row goes with its tune vector
// (ON DELETE CASCADE).
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

struct TuneVectorPlan {
  std::string tune_vector_id;
  std::int64_t catalog_version = 0;
  nlohmann::json plan = nlohmann::json::object();   // recommend::plan_json's form
  nlohmann::json state = nlohmann::json::object();  // recommend/tune_session's state
  std::int64_t created_at = 0, updated_at = 0;
};

namespace tune_vector_plan_repo {

std::optional<TuneVectorPlan> find(Database& db, const std::string& tune_vector_id);
// The plans of a profile's tune vectors, by tune vector id.
std::map<std::string, TuneVectorPlan> list(Database& db, const std::string& profile_id);
// Inserts or replaces the plan of the profile's tune vector; false (nothing written) when the tune vector is
// not there (any more).
bool put(Database& db, const std::string& profile_id, const TuneVectorPlan& plan);

}  // namespace tune_vector_plan_repo
}  // namespace cadenza::store
