#pragma once
// TempDir: a fresh, uniquely named directory under the system temp dir, removed with everything in it at
// scope exit, with mode 0700. The one temporary-directory helper for every test suite.
#include <filesystem>
#include <string>
#include <system_error>

#include "cadenza/config/config.hpp"
#include "cadenza/core/ids.hpp"

namespace cadenza::test {

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("cadenza-test-" + new_uuid())) {
    std::filesystem::create_directories(path_);
    // Owner only, as mkdtemp makes it (servers under test keep secrets in it).
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path as a string (for `dir.str() + "/control.db"` and string-taking APIs).
  std::string str() const { return path_.string(); }

  // Storage settings with data_dir = path()/"data" (created on first use by the store).
  config::StorageConfig storage() const {
    config::StorageConfig s;
    s.data_dir = (path_ / "data").string();
    return s;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace cadenza::test
