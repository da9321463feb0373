#pragma once
// A profile's tune vectors (tenant table `tune_vectors`): named plans through the feature space over time.
// Positions stay dense (0..n-1) after every change.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

struct TuneVectorRecord {
  std::string id, profile_id, name;
  std::string mode;                   // guided | adaptive
  std::optional<std::string> preset;  // ascent | descent
  nlohmann::json waypoints = nlohmann::json::array();
  nlohmann::json genres = nlohmann::json::array();
  std::int64_t position = 0;
  std::int64_t created_at = 0, updated_at = 0;
};

namespace tune_vector_repo {

constexpr std::int64_t kMaxPerProfile = 100;

std::vector<TuneVectorRecord> list(Database& db, const std::string& profile_id);  // by position
std::optional<TuneVectorRecord> find(Database& db, const std::string& profile_id, const std::string& id);
// Appends (position n). Error(Conflict) at the cap.
TuneVectorRecord insert(Database& db, TuneVectorRecord t);
// Replaces name, mode, preset, waypoints, genres and moves to t.position (0..n-1, else Unprocessable).
// Error(NotFound) for an unknown id.
TuneVectorRecord update(Database& db, const TuneVectorRecord& t);
void remove(Database& db, const std::string& profile_id, const std::string& id);

}  // namespace tune_vector_repo
}  // namespace cadenza::store
