#include "cadenza/core/crypto.hpp"

#include <sodium.h>

#include <mutex>
#include <vector>

#include "cadenza/core/error.hpp"

namespace cadenza::crypto {
namespace {
void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw Error(ErrorKind::Internal, "libsodium failed to initialise");
  });
}
}  // namespace

void random_bytes(void* out, std::size_t n) {
  init();
  randombytes_buf(out, n);
}

std::string random_hex(std::size_t n) {
  std::string raw(n, '\0');
  random_bytes(raw.data(), n);
  return hex(raw);
}

std::string random_token(std::size_t n) {
  std::string raw(n, '\0');
  random_bytes(raw.data(), n);
  return base64url(raw);
}

std::string sha256_hex(std::string_view data) {
  init();
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(Sha256) && alignof(crypto_hash_sha256_state) <= 16);

Sha256::Sha256() {
  init();
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}

void Sha256::update(std::string_view data) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string Sha256::hex_digest() {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_), out);
  return hex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  init();
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

bool equal(std::string_view a, std::string_view b) {
  init();
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex(std::string_view raw) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    s.push_back(digits[c >> 4]);
    s.push_back(digits[c & 15]);
  }
  return s;
}

std::string base64url(std::string_view raw) {
  init();
  std::vector<char> out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING));
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(out.data());
}

std::string base64url_decode(std::string_view text) {
  init();
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                        nullptr, &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    throw Error(ErrorKind::BadRequest, "invalid base64url");
  }
  out.resize(len);
  return out;
}

std::string hash_password(std::string_view password) {
  init();
  char out[crypto_pwhash_STRBYTES];
  // Interactive limits: ~64 MiB, a few tens of milliseconds here. Good for a self-hosted server.
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw Error(ErrorKind::Internal, "password hashing ran out of memory");
  }
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  init();
  std::string h(hash);  // must be NUL terminated
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

}  // namespace cadenza::crypto
