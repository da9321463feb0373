#include "cadenza/core/password_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace cadenza {
namespace {

// The most common passwords of 8 characters or more in public breach corpora (shorter ones fail the length
// rule anyway). Lower case; compared case-insensitively.
constexpr std::array<std::string_view, 119> kCommon = {
    "password",     "password1",    "password12",   "password123",  "password1234", "passw0rd",     "p@ssw0rd",
    "p@ssword",     "pa$$word",     "12345678",     "123456789",    "1234567890",   "0123456789",   "12341234",
    "11111111",     "00000000",     "87654321",     "987654321",    "0987654321",   "123123123",    "12121212",
    "11223344",     "1q2w3e4r",     "1q2w3e4r5t",   "1qaz2wsx",     "q1w2e3r4",     "qwertyui",     "qwertyuiop",
    "qwerty123",    "qwerty12",     "qwerty1234",   "asdfghjk",     "asdfghjkl",    "zxcvbnm1",     "zxcvbnm123",
    "iloveyou",     "iloveyou1",    "princess",     "princess1",    "sunshine",     "football",     "football1",
    "baseball",     "basketball",   "superman",     "batman123",    "trustno1",     "starwars",     "whatever",
    "welcome1",     "welcome123",   "letmein1",     "letmein123",   "changeme",     "changeme123",  "admin123",
    "admin1234",    "administrator", "adminadmin",  "rootroot",     "test1234",     "testtest",     "abcd1234",
    "abc12345",     "abcdefgh",     "abcdefg1",     "aa123456",     "a1234567",     "a12345678",    "q1234567",
    "computer",     "internet",     "michelle",     "jennifer",     "jordan23",     "charlie1",     "michael1",
    "liverpool",    "chelsea1",     "arsenal1",     "manchester",   "monkey123",    "dragon123",    "master123",
    "mustang1",     "shadow12",     "secret123",    "security",     "samsung1",     "pokemon1",     "minecraft",
    "loveyou1",     "lovelove",     "babygirl",     "butterfly",    "chocolate",    "cheese123",    "flower123",
    "freedom1",     "hello123",     "hellohello",   "welcome!",     "qazwsxedc",    "zaq12wsx",     "!qaz2wsx",
    "1234qwer",     "123qwe123",    "qweasdzxc",    "asdf1234",     "summer2024",   "winter2024",   "spring2024",
    "autumn2024",   "cadenza1",     "cadenza123",   "music123",     "musician",     "piano123",     "password!",
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> password_problem(std::string_view password, std::string_view username,
                                            std::string_view email) {
  if (password.size() < 8) return "Password must be at least 8 characters long";
  if (std::all_of(password.begin(), password.end(), [](unsigned char c) { return std::isspace(c) != 0; }))
    return "Password must not be blank";
  if (password.find_first_not_of(password.front()) == std::string_view::npos)
    return "Password must not be one character repeated";
  auto pw = lower(password);
  if (std::find(kCommon.begin(), kCommon.end(), pw) != kCommon.end())
    return "Password is too common; choose one that is harder to guess";
  auto at = email.find('@');
  if ((!username.empty() && pw == lower(username)) || (!email.empty() && (pw == lower(email) || pw == lower(email.substr(0, at)))))
    return "Password must not be the username or email";
  return std::nullopt;
}

}  // namespace cadenza
