#pragma once
#include <cstdint>
#include <string>

namespace cadenza {

// Milliseconds since the Unix epoch (system clock).
std::int64_t now_ms();
// Seconds since the Unix epoch.
std::int64_t now_s();
// RFC 3339 UTC with milliseconds, e.g. "2026-11-22T10:04:05.123Z".
std::string iso8601(std::int64_t epoch_ms);

}  // namespace cadenza
