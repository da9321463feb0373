#include "cadenza/store/tenant_dbs.hpp"

#include <algorithm>
#include <cctype>

#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/migrations.hpp"

namespace cadenza::store {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TenantDbs::TenantDbs(const config::StorageConfig& storage) : storage_(storage) {
  std::filesystem::create_directories(std::filesystem::path(storage_.data_dir) / "tenants");
}

TenantDbs::~TenantDbs() = default;

Database& TenantDbs::get(const std::string& tenant_id) {
  if (!is_uuid(tenant_id)) {
    throw Error(ErrorKind::BadRequest, "invalid tenant id", {{"tenant_id", "must be a UUID"}});
  }
  const std::string id = lower(tenant_id);  // one file per tenant, whatever the spelling
  std::lock_guard lock(mutex_);
  auto it = open_.find(id);
  if (it != open_.end()) return *it->second;
  auto path = std::filesystem::path(storage_.data_dir) / "tenants" / (id + ".db");
  auto db = std::make_unique<Database>(path, Database::Options{storage_.busy_timeout_ms, storage_.read_connections},
                                       tenant_migrations());
  if (listener_) db->on_profile_write(listener_);
  return *open_.emplace(id, std::move(db)).first->second;
}

void TenantDbs::on_profile_write(Database::WriteListener listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
  for (auto& [id, db] : open_) db->on_profile_write(listener_);
}

std::vector<std::string> TenantDbs::existing() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(storage_.data_dir) / "tenants", ec)) {
    const auto& p = entry.path();
    if (entry.is_regular_file() && p.extension() == ".db" && is_uuid(p.stem().string())) {
      out.push_back(p.stem().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cadenza::store
