#pragma once
// Content-addressed files per tenant: <data_dir>/blobs/<tenant>/<aa>/<sha256 hex>, plus expiring
// HMAC-SHA256-signed download links. Tenant ids must be UUIDs and hashes 64 lower-case hex digits
// (Error(BadRequest) otherwise), so no path can leave the blob directory. Files on their way in are
// spooled in <data_dir>/tmp (0700; files 0600) and renamed into place, so a blob is never half-written.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cadenza/config/config.hpp"
#include "cadenza/store/spool_file.hpp"

namespace cadenza::store {

class BlobStore {
 public:
  BlobStore(const config::StorageConfig& storage, std::string signing_secret);

  // Stores bytes; returns their sha256 hex. Written via a temporary file + rename; idempotent.
  std::string put(const std::string& tenant_id, std::string_view bytes);
  // Same for a file on disk (streamed, not read into memory at once).
  std::string put_file(const std::string& tenant_id, const std::filesystem::path& file);
  // A new spool file in <data_dir>/tmp, to be written (and hashed) in pieces, then put_spooled.
  std::unique_ptr<SpoolFile> spool();
  // Moves a finished spool file whose SHA-256 is `sha` into the tenant's store (or drops it when that
  // blob is already there); returns sha. The caller vouches for the hash (SpoolFile::finish computed it).
  std::string put_spooled(const std::string& tenant_id, const std::filesystem::path& file, const std::string& sha);
  // Removes the spool files a previous run left (killed mid-upload); how many. `serve` calls it at start-up.
  std::size_t clean_spool();
  const std::filesystem::path& spool_dir() const { return spool_dir_; }
  // The blob's path when it exists.
  std::optional<std::filesystem::path> path(const std::string& tenant_id, const std::string& sha);
  // True when a blob was removed.
  bool remove(const std::string& tenant_id, const std::string& sha);

  // "expires=<expires_at_s>&sig=<base64url HMAC-SHA256 over tenant|sha|expires, and |name when name is
  // not empty>". The name (what a download offers to save the file as) is signed so that a link cannot be
  // changed to offer another; carrying it in the URL (name=, percent-encoded) is the caller's part.
  std::string signed_query(const std::string& tenant_id, const std::string& sha, std::int64_t expires_at_s,
                           std::string_view name = {});
  // True when sig is right for these values and now_s <= expires_at_s (constant-time comparison).
  bool verify(const std::string& tenant_id, const std::string& sha, std::int64_t expires_at_s, std::string_view sig,
              std::int64_t now_s, std::string_view name = {});

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path dir_for(const std::string& tenant_id, const std::string& sha) const;
  std::string signature(const std::string& tenant_id, const std::string& sha, std::int64_t expires_at_s,
                        std::string_view name) const;

  std::filesystem::path root_;
  std::filesystem::path spool_dir_;
  std::string secret_;
};

}  // namespace cadenza::store
