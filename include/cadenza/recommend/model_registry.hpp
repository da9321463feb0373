#pragma once
// The collaborative model in use per tenant: the newest row of recommender_models
// (store/recommender_model_repo.hpp), loaded from its file on the first request after start and swapped for
// a new one atomically when training installs it. Requests hold a shared_ptr, so a swap never waits for them
// and they never wait for training. Thread-safe.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cadenza/recommend/collab_model.hpp"
#include "cadenza/store/db.hpp"

namespace cadenza::recommend {

struct InstalledModel {
  std::int64_t version = 0;
  std::int64_t trained_at = 0;
  std::shared_ptr<const CollabModel> model;
};

class ModelRegistry {
 public:
  explicit ModelRegistry(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}

  // The tenant's model, or an empty InstalledModel (model null) before its first training. A stored model
  // whose file cannot be loaded is logged once and treated as absent.
  InstalledModel current(const std::string& tenant_id, store::Database& db);
  // Makes `m` the tenant's model (training calls this after storing its row).
  void install(const std::string& tenant_id, InstalledModel m);
  // Where a tenant's model of a version is kept, relative to the data directory.
  static std::string file_for(const std::string& tenant_id, std::int64_t version);
  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  struct Entry {
    bool checked = false;  // the store was read for this tenant
    InstalledModel installed;
  };
  std::filesystem::path data_dir_;
  std::mutex mutex_;
  std::map<std::string, Entry> tenants_;
};

}  // namespace cadenza::recommend
