#pragma once
// Environment variables a profile opted in to (tenant table `variables`) and their readings (`readings`).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

struct Variable {
  std::string id, profile_id, name;
  bool opted_in = true;
  std::int64_t reading_count = 0;
  std::int64_t created_at = 0, updated_at = 0;
};

struct Reading {
  nlohmann::json value;  // in the variable's canonical unit
  std::string unit;
  std::int64_t recorded_at = 0;  // epoch ms
};

namespace variable_repo {

std::vector<Variable> list(Database& db, const std::string& profile_id);  // by name
std::optional<Variable> find(Database& db, const std::string& profile_id, const std::string& id);
// Opted in. Error(Conflict) when the profile already has a variable of that name.
Variable insert(Database& db, const std::string& profile_id, const std::string& name);
// Opting out deletes the variable's readings in the same transaction. Error(NotFound) for an unknown id.
Variable set_opted_in(Database& db, const std::string& profile_id, const std::string& id, bool opted_in);
// Deletes the variable and its readings. Error(NotFound) for an unknown id.
void remove(Database& db, const std::string& profile_id, const std::string& id);
// Stores all readings or none. Error(NotFound) for an unknown variable, Error(Forbidden) when it is opted out.
void add_readings(Database& db, const std::string& profile_id, const std::string& id,
                  const std::vector<Reading>& readings);
// Newest first.
std::vector<Reading> readings(Database& db, const std::string& id, int limit);

}  // namespace variable_repo

}  // namespace cadenza::store
