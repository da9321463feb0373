#pragma once
// Generation projects (tenant table projects, migration 0012): an account's named folders of versions
// (version_repo.hpp). Functions taking Database& run in their own transaction.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cadenza/store/db.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {

struct ProjectRecord {
  std::string id, owner_id, name;
  std::int64_t created_at = 0, updated_at = 0;
  std::int64_t version_count = 0;  // filled by find and list
};

namespace project_repo {

void insert(Database& db, const ProjectRecord& p);
std::optional<ProjectRecord> find(Database& db, const std::string& id);
// The owner's projects, newest first.
std::vector<ProjectRecord> list(Database& db, const std::string& owner_id, int limit, int offset);
std::int64_t count(Database& db, const std::string& owner_id);
// False when there is no such project.
bool rename(Database& db, const std::string& id, const std::string& name, std::int64_t now);
// Bumps updated_at (a version was added).
void touch(Db& db, const std::string& id, std::int64_t now);
// Deletes the project, its versions and their chunk streams in one transaction; false when there is none.
bool remove(Database& db, const std::string& id);

std::vector<OwnedTable> owned_tables();

}  // namespace project_repo
}  // namespace cadenza::store
