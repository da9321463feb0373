#pragma once
#include <string>
#include <string_view>

namespace cadenza {

// A random RFC 4122 version-4 UUID, lower case, 36 characters.
std::string new_uuid();
// True for a 36-character UUID in canonical 8-4-4-4-12 hex form.
bool is_uuid(std::string_view s);

}  // namespace cadenza
