#pragma once
// The one rule for new passwords (sign-up, PUT /api/profiles/{id}, `cadenza user add`).
#include <optional>
#include <string>
#include <string_view>

namespace cadenza {

// Why `password` may not be used, or nullopt when it may: shorter than 8 characters, blank (only
// whitespace), one character repeated, one of the most common passwords (a list built into the binary,
// compared case-insensitively), or the account's own username or email.
std::optional<std::string> password_problem(std::string_view password, std::string_view username = {},
                                            std::string_view email = {});

}  // namespace cadenza
