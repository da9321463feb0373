#pragma once
// Small crypto helpers over libsodium: randomness, SHA-256, HMAC-SHA256, argon2id, encodings.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cadenza::crypto {

void random_bytes(void* out, std::size_t n);
// n random bytes, hex encoded (2n characters).
std::string random_hex(std::size_t n);
// n random bytes, base64url encoded without padding.
std::string random_token(std::size_t n);

std::string sha256_hex(std::string_view data);
// SHA-256 of data that comes in pieces: update() with each, then hex_digest() once.
class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::string hex_digest();  // 64 lower-case hex digits; the hasher is spent after

 private:
  alignas(16) unsigned char state_[128];  // libsodium's crypto_hash_sha256_state
};
// Raw 32-byte HMAC-SHA256 of data under key.
std::string hmac_sha256(std::string_view key, std::string_view data);
// Constant-time comparison.
bool equal(std::string_view a, std::string_view b);

std::string hex(std::string_view raw);
std::string base64url(std::string_view raw);
// Throws cadenza::Error(BadRequest) on invalid input.
std::string base64url_decode(std::string_view text);

// argon2id password hash in libsodium's self-describing string form.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view hash, std::string_view password);

}  // namespace cadenza::crypto
