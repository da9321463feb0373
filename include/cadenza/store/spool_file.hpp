#pragma once
// A file being written in pieces (an upload as it arrives, a copy into the blob store): created with
// O_EXCL, mode 0600, in a directory of the caller's; every byte written is hashed (SHA-256) on the way;
// removed when dropped unless it was moved into place. Not thread-safe: one writer at a time (pieces may
// come from different threads, one after the other).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "cadenza/core/crypto.hpp"

namespace cadenza::store {

class SpoolFile {
 public:
  // Names of spool files start with this (BlobStore::clean_spool removes stale ones by it).
  static constexpr std::string_view kPrefix = ".spool-";

  // Creates <dir>/.spool-<random>. Error(Internal) when it cannot.
  explicit SpoolFile(const std::filesystem::path& dir);
  ~SpoolFile();  // closes and removes the file unless commit() moved it
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;

  // Appends and hashes. Error(Internal) on a write failure (the disk is full, ...).
  void write(std::string_view bytes);
  // fsync and close; the SHA-256 (64 lower-case hex digits) of everything written. Once; no write after.
  std::string finish();
  // Renames the finished file to `dest` (the same file system), atomically replacing what is there.
  void commit(const std::filesystem::path& dest);

  std::uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  crypto::Sha256 hash_;
  bool finished_ = false;
  bool committed_ = false;
};

}  // namespace cadenza::store
