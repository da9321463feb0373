#include "cadenza/recommend/model_registry.hpp"

#include <spdlog/spdlog.h>

#include "cadenza/core/error.hpp"
#include "cadenza/store/recommender_model_repo.hpp"

namespace cadenza::recommend {

InstalledModel ModelRegistry::current(const std::string& tenant_id, store::Database& db) {
  {
    std::lock_guard lock(mutex_);
    auto it = tenants_.find(tenant_id);
    if (it != tenants_.end() && it->second.checked) return it->second.installed;
  }
  // First request for this tenant: load its newest model outside the lock (other tenants go on).
  InstalledModel m;
  if (auto row = store::recommender_model_repo::latest(db)) {
    try {
      m.model = CollabModel::load(data_dir_ / row->file);
      m.version = row->version;
      m.trained_at = row->trained_at;
    } catch (const std::exception& e) {
      spdlog::warn("tenant {}: recommender model {} not loaded ({}); recommending without it until the next training",
                   tenant_id, row->version, e.what());
      m = {};
    }
  }
  std::lock_guard lock(mutex_);
  auto& entry = tenants_[tenant_id];
  if (!entry.checked) {  // a training that installed meanwhile wins
    entry.checked = true;
    entry.installed = m;
  }
  return entry.installed;
}

void ModelRegistry::install(const std::string& tenant_id, InstalledModel m) {
  std::lock_guard lock(mutex_);
  auto& entry = tenants_[tenant_id];
  entry.checked = true;
  entry.installed = std::move(m);
}

std::string ModelRegistry::file_for(const std::string& tenant_id, std::int64_t version) {
  return "models/" + tenant_id + "/recommender-" + std::to_string(version) + ".ease";
}

}  // namespace cadenza::recommend
