#pragma once
// Internal: reading typed fields out of a request body while collecting validation errors.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "cadenza/core/error.hpp"

namespace cadenza::http::detail {

// A required (or optional) string field. Records "is required" / "must be a string" in v.
inline std::optional<std::string> string_field(const nlohmann::json& j, const char* name, Validation& v,
                                               bool required = true, std::size_t max_len = 256) {
  if (!j.contains(name) || j[name].is_null()) {
    if (required) v.fail(name, "is required");
    return std::nullopt;
  }
  if (!j[name].is_string()) {
    v.fail(name, "must be a string");
    return std::nullopt;
  }
  auto s = j[name].get<std::string>();
  if (s.size() > max_len) {
    v.fail(name, "must be at most " + std::to_string(max_len) + " characters");
    return std::nullopt;
  }
  return s;
}

inline std::optional<long long> int_field(const nlohmann::json& j, const char* name, Validation& v, long long lo,
                                          long long hi) {
  if (!j.contains(name) || j[name].is_null()) return std::nullopt;
  if (!j[name].is_number_integer()) {
    v.fail(name, "must be an integer");
    return std::nullopt;
  }
  auto x = j[name].get<long long>();
  if (x < lo || x > hi) {
    v.fail(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return std::nullopt;
  }
  return x;
}

// An optional number within [lo, hi].
inline std::optional<double> number_field(const nlohmann::json& j, const char* name, Validation& v, double lo,
                                          double hi) {
  if (!j.contains(name) || j[name].is_null()) return std::nullopt;
  if (!j[name].is_number() || j[name].get<double>() < lo || j[name].get<double>() > hi) {
    v.fail(name, "must be a number between " + nlohmann::json(lo).dump() + " and " + nlohmann::json(hi).dump());
    return std::nullopt;
  }
  return j[name].get<double>();
}

// Integer query parameter with range check; Error(BadRequest) naming the parameter.
inline long long query_int(const std::optional<std::string>& raw, const char* name, long long dflt, long long lo,
                           long long hi) {
  if (!raw) return dflt;
  try {
    std::size_t used = 0;
    long long x = std::stoll(*raw, &used);
    if (used == raw->size() && x >= lo && x <= hi) return x;
  } catch (const std::exception&) {
  }
  throw Error(ErrorKind::BadRequest, "Validation failed",
              {{name, "must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi)}});
}

// Boolean query parameter: absent = dflt, "true" / "false"; anything else is Error(BadRequest) naming it.
inline bool query_bool(const std::optional<std::string>& raw, const char* name, bool dflt) {
  if (!raw) return dflt;
  if (*raw == "true") return true;
  if (*raw == "false") return false;
  throw Error(ErrorKind::BadRequest, "Validation failed", {{name, "must be true or false"}});
}

}  // namespace cadenza::http::detail
