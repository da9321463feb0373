#pragma once
// A profile's ordered preferences (tenant table `preferences`). Only source "user" rows are reachable
// here: learned preferences live in the same table for the recommender and are never listed, counted,
// ranked or changed by these functions. Ranks stay dense (0..n-1, 0 = favourite) after every change.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

struct Preference {
  std::string id, profile_id;
  std::string type;  // genre | tempo | instrument | artist
  nlohmann::json value;
  double weight = 1;
  std::int64_t rank = 0;
  std::int64_t created_at = 0, updated_at = 0;
};

namespace preference_repo {

constexpr std::int64_t kMaxPerProfile = 100;

// Sorted by rank; type "" = all types.
std::vector<Preference> list(Database& db, const std::string& profile_id, const std::string& type = "");
std::optional<Preference> find(Database& db, const std::string& profile_id, const std::string& id);
// Inserts p (id and times set here) at `rank` (nullopt = last), shifting the others.
// Error(Conflict) at the cap or for a duplicate type+value; Error(Unprocessable) for a rank outside 0..n.
Preference insert(Database& db, Preference p, std::optional<std::int64_t> rank);
// Replaces value and weight and moves the row to p.rank (0..n-1, else Unprocessable). Error(NotFound) for an
// unknown id, Error(Conflict) when the new value duplicates another preference of the same type.
Preference update(Database& db, const Preference& p);
// Error(NotFound) for an unknown id.
void remove(Database& db, const std::string& profile_id, const std::string& id);

// Learned preferences (source "learned", written by the recommender's training; rank -1), strongest first.
std::vector<Preference> list_learned(Database& db, const std::string& profile_id);
// Replaces the profile's learned preferences with these (type, value, weight 0..1), in one transaction.
void replace_learned(Database& db, const std::string& profile_id, const std::vector<Preference>& learned);

}  // namespace preference_repo
}  // namespace cadenza::store
