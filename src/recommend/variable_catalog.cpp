#include "cadenza/recommend/variable_catalog.hpp"

#include <cmath>

namespace cadenza::recommend {
namespace {

constexpr VariableSpec kCatalog[] = {
    {"ambient_noise", "dB", "dB", "number", 0, 200},
    {"time_of_day", "h", "h", "number", 0, 24},  // [0, 24): hours since local midnight
    {"temperature", "C", "C, F", "number", -90, 60},
    {"location", "deg", "deg", "latlon", 0, 0},
    {"rating", "stars", "stars", "integer", 1, 5},
    {"hrv", "ms", "ms", "number", 0, 1000},
    {"heart_rate", "bpm", "bpm", "number", 20, 250},
    {"accelerometer", "m/s2", "m/s2", "xyz", -200, 200},
};

bool unit_accepted(const VariableSpec& spec, std::string_view unit) {
  std::string_view rest = spec.units;
  while (!rest.empty()) {
    auto comma = rest.find(", ");
    if (rest.substr(0, comma) == unit) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 2);
  }
  return false;
}

std::string num(double x) {
  auto s = std::to_string(x);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

// An object with exactly the given numeric members, each within [lo_i, hi_i].
bool components(const nlohmann::json& v, std::initializer_list<std::tuple<const char*, double, double>> parts,
                std::string& why) {
  if (!v.is_object() || v.size() != parts.size()) {
    why = "must be an object {";
    for (const auto& [name, lo, hi] : parts) why += std::string(why.back() == '{' ? "" : ", ") + name;
    why += "}";
    return false;
  }
  for (const auto& [name, lo, hi] : parts) {
    if (!v.contains(name) || !v[name].is_number() || v[name].get<double>() < lo || v[name].get<double>() > hi) {
      why = std::string(name) + " must be a number between " + num(lo) + " and " + num(hi);
      return false;
    }
  }
  return true;
}

}  // namespace

std::span<const VariableSpec> variable_catalog() { return kCatalog; }

const VariableSpec* find_variable(std::string_view name) {
  for (const auto& s : kCatalog)
    if (s.name == name) return &s;
  return nullptr;
}

std::string variable_names() {
  std::string out;
  for (const auto& s : kCatalog) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

std::optional<nlohmann::json> canonical_value(const VariableSpec& spec, const nlohmann::json& value,
                                              std::string_view unit, std::string& why) {
  if (!unit_accepted(spec, unit)) {
    why = "unit must be one of " + std::string(spec.units);
    return std::nullopt;
  }
  std::string_view kind = spec.kind;
  if (kind == "latlon") {
    if (!components(value, {{"lat", -90, 90}, {"lon", -180, 180}}, why)) return std::nullopt;
    return nlohmann::json{{"lat", value["lat"].get<double>()}, {"lon", value["lon"].get<double>()}};
  }
  if (kind == "xyz") {
    if (!components(value, {{"x", spec.min, spec.max}, {"y", spec.min, spec.max}, {"z", spec.min, spec.max}}, why))
      return std::nullopt;
    return nlohmann::json{{"x", value["x"].get<double>()}, {"y", value["y"].get<double>()}, {"z", value["z"].get<double>()}};
  }
  if (!value.is_number() || (kind == "integer" && !value.is_number_integer())) {
    why = kind == "integer" ? "must be an integer" : "must be a number";
    return std::nullopt;
  }
  double x = value.get<double>();
  if (spec.name == "temperature" && unit == "F") x = (x - 32) * 5 / 9;
  bool upper_open = spec.name == "time_of_day";
  if (!std::isfinite(x) || x < spec.min || (upper_open ? x >= spec.max : x > spec.max)) {
    why = "must be between " + num(spec.min) + " and " + num(spec.max) + (upper_open ? " (exclusive)" : "") +
          " " + std::string(spec.unit);
    return std::nullopt;
  }
  if (kind == "integer") return nlohmann::json(value.get<std::int64_t>());
  return nlohmann::json(std::round(x * 1e6) / 1e6);
}

}  // namespace cadenza::recommend
