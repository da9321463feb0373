#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cadenza {

// Milliseconds since the Unix epoch (system clock).
std::int64_t now_ms();
// Seconds since the Unix epoch.
std::int64_t now_s();
// RFC 3339 UTC with milliseconds, e.g. "2026-11-22T10:04:05.123Z".
std::string iso8601(std::int64_t epoch_ms);
// Parses "YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)" (a zone is required) to epoch ms; nullopt when malformed
// or out of range (years 1970..9999).
std::optional<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace cadenza
