#include "cadenza/store/profile_deletion.hpp"

#include <spdlog/spdlog.h>

#include "cadenza/core/error.hpp"
#include "cadenza/store/blob_repo.hpp"

namespace cadenza::store {

const char* to_string(ProfileDeletion::Step step) {
  switch (step) {
    case ProfileDeletion::Step::Mark: return "mark";
    case ProfileDeletion::Step::StopJobs: return "stop jobs";
    case ProfileDeletion::Step::Rows: return "rows";
    case ProfileDeletion::Step::Files: return "files";
    case ProfileDeletion::Step::Account: return "account";
  }
  return "?";
}

ProfileDeletion::ProfileDeletion(ControlStore& control, TenantDbs& tenants, BlobStore& blobs, Hooks hooks)
    : control_(control), tenants_(tenants), blobs_(blobs), hooks_(std::move(hooks)) {}

void ProfileDeletion::step(Step s) {
  if (hooks_.before_step) hooks_.before_step(s);
}

DependentCounts ProfileDeletion::dependents(const std::string& tenant_id, const std::string& profile_id) {
  return tenants_.get(tenant_id).read([&](Db& db) { return count_dependents(db, DbScope::Tenant, profile_id); });
}

DependentCounts ProfileDeletion::delete_profile(const std::string& profile_id) {
  auto account = control_.find_account(profile_id);
  if (!account) throw Error(ErrorKind::NotFound, "Profile not found");
  step(Step::Mark);
  control_.mark_for_deletion(profile_id);
  return finish({profile_id, account->tenant_id, 0});
}

DependentCounts ProfileDeletion::finish(const PendingDeletion& pending) {
  step(Step::StopJobs);
  if (hooks_.stop_jobs) hooks_.stop_jobs(pending.tenant_id, pending.account_id);
  auto& tenant = tenants_.get(pending.tenant_id);
  step(Step::Rows);
  auto deleted = tenant.write([&](Db& db) {
    blob_repo::release_owner(db, pending.account_id);
    return delete_owned_rows(db, DbScope::Tenant, pending.account_id);
  });
  step(Step::Files);
  blob_repo::collect_garbage(tenant, blobs_, pending.tenant_id);
  step(Step::Account);
  control_.delete_account(pending.account_id);
  spdlog::info("store: deleted profile {} of tenant {}", pending.account_id, pending.tenant_id);
  return deleted;
}

int ProfileDeletion::resume() {
  int finished = 0;
  for (const auto& pending : control_.pending_deletions()) {
    try {
      finish(pending);
      ++finished;
    } catch (const std::exception& e) {
      spdlog::error("store: deleting profile {} is still pending: {}", pending.account_id, e.what());
    }
  }
  return finished;
}

}  // namespace cadenza::store
