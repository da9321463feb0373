#pragma once
// The environment variables a profile may opt in to, their units and the values a reading may carry.
#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cadenza::recommend {

struct VariableSpec {
  std::string_view name;   // "heart_rate"
  std::string_view unit;   // canonical unit readings are stored in
  std::string_view units;  // accepted units, separated by ", "
  std::string_view kind;   // "number" | "integer" | "latlon" | "xyz"
  double min, max;         // range of a number (canonical unit) or of each component
};

std::span<const VariableSpec> variable_catalog();
const VariableSpec* find_variable(std::string_view name);
// "ambient_noise, time_of_day, …" for error messages.
std::string variable_names();

// The reading's value in the canonical unit, or nullopt with `why` set: "unit …" for an unknown unit, else a
// problem of the value (wrong type, out of range).
std::optional<nlohmann::json> canonical_value(const VariableSpec& spec, const nlohmann::json& value,
                                              std::string_view unit, std::string& why);

}  // namespace cadenza::recommend
