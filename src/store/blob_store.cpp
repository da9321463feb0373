#include "cadenza/store/blob_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"

namespace cadenza::store {
namespace {

bool is_sha(const std::string& sha) {
  return sha.size() == 64 && sha.find_first_not_of("0123456789abcdef") == std::string::npos;
}

void check_ids(const std::string& tenant_id, const std::string& sha) {
  Validation v;
  if (!is_uuid(tenant_id) || tenant_id.find_first_of("ABCDEF") != std::string::npos) {
    v.fail("tenant_id", "must be a lower-case UUID");
  }
  if (!is_sha(sha)) v.fail("sha", "must be 64 lower-case hex digits");
  v.throw_if_failed("invalid blob reference");
}

// A file opened for writing that is removed unless committed (renamed into place).
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& dir)
      : path_(dir / (".tmp-" + crypto::random_hex(8))) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(ErrorKind::Internal, "blob store: cannot create " + path_.string() + ": " + std::strerror(errno));
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) {
      std::error_code ec;
      std::filesystem::remove(path_, ec);
    }
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write(const char* data, std::size_t n) {
    while (n > 0) {
      auto w = ::write(fd_, data, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) throw Error(ErrorKind::Internal, "blob store: write failed: " + std::string(std::strerror(errno)));
      data += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  // fsync, close and rename to dest (atomic; an existing dest with the same content is simply replaced).
  void commit(const std::filesystem::path& dest) {
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
      fd_ = -1;
      throw Error(ErrorKind::Internal, "blob store: cannot flush " + path_.string());
    }
    fd_ = -1;
    std::filesystem::rename(path_, dest);
    committed_ = true;
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

BlobStore::BlobStore(const config::StorageConfig& storage, std::string signing_secret)
    : root_(std::filesystem::path(storage.data_dir) / "blobs"), secret_(std::move(signing_secret)) {
  if (secret_.size() < 16) throw Error(ErrorKind::Internal, "blob store: signing secret too short");
  std::filesystem::create_directories(root_);
}

std::filesystem::path BlobStore::dir_for(const std::string& tenant_id, const std::string& sha) const {
  return root_ / tenant_id / sha.substr(0, 2);
}

std::string BlobStore::put(const std::string& tenant_id, std::string_view bytes) {
  const auto sha = crypto::sha256_hex(bytes);
  check_ids(tenant_id, sha);
  const auto dir = dir_for(tenant_id, sha);
  const auto dest = dir / sha;
  if (std::filesystem::exists(dest)) return sha;
  std::filesystem::create_directories(dir);
  TempFile tmp(dir);
  tmp.write(bytes.data(), bytes.size());
  tmp.commit(dest);
  return sha;
}

std::string BlobStore::put_file(const std::string& tenant_id, const std::filesystem::path& file) {
  check_ids(tenant_id, std::string(64, '0'));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::NotFound, "blob store: cannot read " + file.string());
  // Hash while copying into a temporary file under the tenant's directory, then rename into place.
  const auto tenant_dir = root_ / tenant_id;
  std::filesystem::create_directories(tenant_dir);
  TempFile tmp(tenant_dir);
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buf.data()), n);
    tmp.write(buf.data(), n);
  }
  if (in.bad()) throw Error(ErrorKind::Internal, "blob store: read failed: " + file.string());
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  const auto sha = crypto::hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  const auto dir = dir_for(tenant_id, sha);
  std::filesystem::create_directories(dir);
  const auto dest = dir / sha;
  if (!std::filesystem::exists(dest)) tmp.commit(dest);  // else: already stored; tmp is removed
  return sha;
}

std::optional<std::filesystem::path> BlobStore::path(const std::string& tenant_id, const std::string& sha) {
  check_ids(tenant_id, sha);
  auto p = dir_for(tenant_id, sha) / sha;
  if (!std::filesystem::is_regular_file(p)) return std::nullopt;
  return p;
}

bool BlobStore::remove(const std::string& tenant_id, const std::string& sha) {
  check_ids(tenant_id, sha);
  return std::filesystem::remove(dir_for(tenant_id, sha) / sha);
}

std::string BlobStore::signature(const std::string& tenant_id, const std::string& sha, std::int64_t expires_at_s,
                                 std::string_view name) const {
  // Tenant, sha and expiry never contain '|', so the fields cannot run into each other; links without a
  // name keep the signature they had before names existed.
  auto message = tenant_id + "|" + sha + "|" + std::to_string(expires_at_s);
  if (!name.empty()) message.append("|").append(name);
  return crypto::base64url(crypto::hmac_sha256(secret_, message));
}

std::string BlobStore::signed_query(const std::string& tenant_id, const std::string& sha, std::int64_t expires_at_s,
                                    std::string_view name) {
  check_ids(tenant_id, sha);
  return "expires=" + std::to_string(expires_at_s) + "&sig=" + signature(tenant_id, sha, expires_at_s, name);
}

bool BlobStore::verify(const std::string& tenant_id, const std::string& sha, std::int64_t expires_at_s,
                       std::string_view sig, std::int64_t now_s, std::string_view name) {
  if (!is_uuid(tenant_id) || !is_sha(sha)) return false;
  if (now_s > expires_at_s) return false;
  return crypto::equal(signature(tenant_id, sha, expires_at_s, name), sig);
}

}  // namespace cadenza::store
