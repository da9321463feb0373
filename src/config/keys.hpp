#pragma once
// The one table of configuration keys (internal to the config module).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "cadenza/config/config.hpp"

namespace cadenza::config::detail {

// Where a key's value lives inside a Config.
using Field = std::variant<int*, std::int64_t*, bool*, std::string*>;

struct Key {
  std::string_view name;      // dotted, "section.key"
  Field (*field)(Config&);    // accessor
  std::int64_t min = 0;       // integer range (inclusive)
  std::int64_t max = 0;
  std::string_view doc;       // one line for config/cadenza.toml and --print-config
  // Extra check for string values: returns "" when fine, else why not.
  std::string (*check)(const std::string&) = nullptr;
};

std::span<const Key> key_table();
const Key* find_key(std::string_view dotted);

}  // namespace cadenza::config::detail
