#include <doctest/doctest.h>

#include <set>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/core/password_policy.hpp"

using namespace cadenza;

TEST_CASE("uuid v4 shape and uniqueness") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_uuid();
    CHECK(is_uuid(id));
    CHECK(id[14] == '4');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
  CHECK_FALSE(is_uuid("not-a-uuid"));
  CHECK_FALSE(is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
}

TEST_CASE("error kinds map to HTTP status") {
  CHECK(http_status(ErrorKind::BadRequest) == 400);
  CHECK(http_status(ErrorKind::TooManyRequests) == 429);
  CHECK(http_status(ErrorKind::Unavailable) == 503);
  Validation v;
  v.fail("email", "Invalid email format");
  v.fail("email", "second reason ignored");
  v.fail("password", "too short");
  try {
    v.throw_if_failed();
    FAIL("should throw");
  } catch (const Error& e) {
    CHECK(e.status() == 400);
    CHECK(e.fields().size() == 2);
    CHECK(e.fields().at("email") == "Invalid email format");
  }
}

TEST_CASE("sha256 and hmac known answers") {
  CHECK(crypto::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2
  CHECK(crypto::hex(crypto::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(crypto::base64url_decode(crypto::base64url("hello?>")) == "hello?>");
  CHECK_THROWS_AS(crypto::base64url_decode("!!!"), Error);
}

TEST_CASE("argon2id password hashing verifies only the right password") {
  auto h = crypto::hash_password("correct horse");
  CHECK(h.rfind("$argon2id$", 0) == 0);
  CHECK(crypto::verify_password(h, "correct horse"));
  CHECK_FALSE(crypto::verify_password(h, "wrong horse"));
}

TEST_CASE("iso8601") {
  CHECK(iso8601(0) == "1970-01-01T00:00:00.000Z");
  CHECK(iso8601(1700000000123) == "2023-11-14T22:13:20.123Z");
  CHECK(parse_iso8601("2023-11-14T22:13:20.123Z") == 1700000000123);
  CHECK(parse_iso8601(iso8601(1700000000123)) == 1700000000123);
  CHECK(parse_iso8601("2023-11-14T23:13:20+01:00") == 1700000000000);
  CHECK(parse_iso8601("2024-02-29T00:00:00Z"));
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z",
                          "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20Zjunk", "1900-01-01T00:00:00Z"})
    CHECK_MESSAGE(!parse_iso8601(bad), bad);
}

TEST_CASE("password policy: length, blank, repeated, common and personal passwords") {
  CHECK(password_problem("short"));
  CHECK(password_problem("        "));
  CHECK(password_problem("\t\t\t\t    "));
  CHECK(password_problem("zzzzzzzzzzzz"));
  for (const char* common : {"password", "12345678", "Password1", "QWERTYUIOP", "iloveyou", "changeme"})
    CHECK_MESSAGE(password_problem(common), common);
  CHECK(password_problem("ada-lovelace", "Ada-Lovelace"));
  CHECK(password_problem("ada.lovelace", "ada", "ada.lovelace@example.com"));
  CHECK_FALSE(password_problem("analytical engine"));
  CHECK_FALSE(password_problem("password-alice", "alice", "alice@example.com"));
  CHECK(*password_problem("12345678") == "Password is too common; choose one that is harder to guess");
}
