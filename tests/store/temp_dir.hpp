#pragma once
// A fresh directory under /tmp, removed with everything in it at scope exit.
#include <filesystem>
#include <string>

#include "cadenza/config/config.hpp"
#include "cadenza/core/ids.hpp"

namespace cadenza::test {

struct TempDir {
  std::filesystem::path path;
  TempDir() : path(std::filesystem::temp_directory_path() / ("cadenza-store-test-" + new_uuid())) {
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  config::StorageConfig storage() const {
    config::StorageConfig s;
    s.data_dir = (path / "data").string();
    return s;
  }
};

}  // namespace cadenza::test
