#include "cadenza/store/blob_store.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/spool_file.hpp"

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

}  // namespace

BlobStore::BlobStore(const config::StorageConfig& storage, std::string signing_secret)
    : root_(std::filesystem::path(storage.data_dir) / "blobs"),
      spool_dir_(std::filesystem::path(storage.data_dir) / "tmp"),
      secret_(std::move(signing_secret)) {
  if (secret_.size() < 16) throw Error(ErrorKind::Internal, "blob store: signing secret too short");
  std::filesystem::create_directories(root_);
  // Files on their way in are the owner's alone, whatever the umask.
  if (::mkdir(spool_dir_.c_str(), 0700) != 0 && errno != EEXIST)
    throw Error(ErrorKind::Internal, "blob store: cannot create " + spool_dir_.string() + ": " + std::strerror(errno));
  std::filesystem::permissions(spool_dir_, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
}

std::unique_ptr<SpoolFile> BlobStore::spool() { return std::make_unique<SpoolFile>(spool_dir_); }

std::size_t BlobStore::clean_spool() {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(spool_dir_, ec)) {
    if (e.path().filename().string().rfind(SpoolFile::kPrefix, 0) != 0) continue;
    std::error_code rm;
    removed += std::filesystem::remove(e.path(), rm);
  }
  return removed;
}

std::string BlobStore::put_spooled(const std::string& tenant_id, const std::filesystem::path& file,
                                   const std::string& sha) {
  check_ids(tenant_id, sha);
  if (file.parent_path() != spool_dir_ || file.filename().string().rfind(SpoolFile::kPrefix, 0) != 0)
    throw Error(ErrorKind::Internal, "blob store: not a spool file: " + file.string());
  const auto dir = dir_for(tenant_id, sha);
  std::filesystem::create_directories(dir);
  const auto dest = dir / sha;
  if (std::filesystem::exists(dest)) {
    std::filesystem::remove(file);  // already stored
  } else {
    std::filesystem::rename(file, dest);
  }
  return sha;
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
  SpoolFile tmp(spool_dir_);
  tmp.write(bytes);
  tmp.finish();
  tmp.commit(dest);
  return sha;
}

std::string BlobStore::put_file(const std::string& tenant_id, const std::filesystem::path& file) {
  check_ids(tenant_id, std::string(64, '0'));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::NotFound, "blob store: cannot read " + file.string());
  // Hash while copying into a spool file, then rename into place.
  SpoolFile tmp(spool_dir_);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    tmp.write(std::string_view(buf.data(), n));
  }
  if (in.bad()) throw Error(ErrorKind::Internal, "blob store: read failed: " + file.string());
  const auto sha = tmp.finish();
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
