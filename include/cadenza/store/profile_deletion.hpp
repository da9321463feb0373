#pragma once
// ProfileDeletion: deleting a profile everywhere it has data (the control database, its tenant
// database, its jobs, its blob files) in a written order with one recovery rule, so that a failure at
// any point leaves neither orphans nor a half-deleted profile that can still be used.
//
// Order:
//  1. Mark     control database: a profile_deletions row. The account disappears for every reader at
//              once (find_account, log-in, tokens, listings) and its API keys go.
//  2. StopJobs the profile's queued and running jobs are cancelled and awaited (Hooks::stop_jobs), so
//              that no job writes for it after step 3.
//  3. Rows     tenant database, one transaction: every registered table's rows of the profile
//              (store/profile_data.hpp, children first); blobs that only it held are queued as garbage.
//  4. Files    the queued blob files are removed (blob_repo::collect_garbage).
//  5. Account  control database, one transaction: the account with its registered control rows, the
//              profile_deletions row last.
// Recovery: every step is idempotent, and a profile_deletions row means "run steps 2-5 again". resume()
// does that for every pending row; the server calls it at start and before each deletion, so a crash or
// an error at any step is finished by the next run. Between a failure and its recovery the profile is
// already gone for its users (step 1), never half there.
#include <functional>
#include <string>

#include "cadenza/store/blob_store.hpp"
#include "cadenza/store/control_store.hpp"
#include "cadenza/store/profile_data.hpp"
#include "cadenza/store/tenant_dbs.hpp"

namespace cadenza::store {

class ProfileDeletion {
 public:
  enum class Step { Mark, StopJobs, Rows, Files, Account };
  struct Hooks {
    // Cancels the profile's queued and running jobs and returns once none runs (throws if one still does).
    std::function<void(const std::string& tenant_id, const std::string& profile_id)> stop_jobs;
    // Called before each step (tests fail steps by throwing here).
    std::function<void(Step)> before_step;
  };

  ProfileDeletion(ControlStore& control, TenantDbs& tenants, BlobStore& blobs, Hooks hooks);

  // The profile's counted rows (preferences, tune vectors, variables): what a delete without cascade
  // refuses to remove.
  DependentCounts dependents(const std::string& tenant_id, const std::string& profile_id);
  // Steps 1-5; the counted rows deleted. Throws what a failing step throws; the deletion then stays
  // pending (see resume). Error(NotFound) for an unknown account.
  DependentCounts delete_profile(const std::string& profile_id);
  // Finishes every pending deletion; returns how many finished now (a failing one is logged and stays).
  int resume();

 private:
  DependentCounts finish(const PendingDeletion& pending);
  void step(Step s);

  ControlStore& control_;
  TenantDbs& tenants_;
  BlobStore& blobs_;
  Hooks hooks_;
};

const char* to_string(ProfileDeletion::Step step);

}  // namespace cadenza::store
