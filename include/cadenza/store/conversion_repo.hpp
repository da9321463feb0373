#pragma once
// Conversions (tenant tables conversions and conversion_blobs, migration 0007): what a POST /api/convert
// said, beside its job (which holds state, progress, result and error). Functions taking Database& run in
// their own transaction unless called inside Database::write(); those taking Db& join the caller's.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cadenza/store/db.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {

struct ConversionRecord {
  std::string id, owner_id, job_id, song_name;
  bool is_public = false;
  nlohmann::json request = nlohmann::json::object();  // the request as echoed, secrets left out
  std::optional<std::string> idempotency_key;
  std::string request_hash;
  std::int64_t created_at = 0, updated_at = 0;
};

namespace conversion_repo {

// Error(Conflict) when the owner used the idempotency key already (or the id exists).
void insert(Db& db, const ConversionRecord& c);
std::optional<ConversionRecord> find(Database& db, const std::string& id);
std::optional<ConversionRecord> find_by_job(Db& db, const std::string& job_id);
std::optional<ConversionRecord> find_by_key(Database& db, const std::string& owner_id, const std::string& key);

struct ListQuery {
  std::string owner_id;              // "" = every owner
  bool public_only = false;
  std::optional<std::string> state;  // the job's state
  std::string search;                // a substring of the song name (case-insensitive), "" = any
  int limit = 50, offset = 0;
};
struct ListPage {
  std::vector<ConversionRecord> items;  // newest first
  std::int64_t total = 0;               // matching rows
};
ListPage list(Database& db, const ListQuery& q);
// The owner's conversions whose job is queued or running.
std::int64_t count_active(Database& db, const std::string& owner_id);
// Renames and/or publishes; false when there is no such conversion.
bool update(Database& db, const std::string& id, const std::optional<std::string>& song_name,
            const std::optional<bool> is_public);
// Records that the conversion holds sha for its owner (blob_owners has the owner's row).
void add_blob(Db& db, const std::string& conversion_id, const std::string& sha);
std::vector<std::string> blobs(Database& db, const std::string& conversion_id);
// Deletes the conversion, its deliveries and blob rows; each blob no other conversion of the owner holds is
// released by the owner (blob_repo::release, which queues it for collection when nobody holds it). The
// caller runs blob_repo::collect_garbage after. False when there is no such conversion.
bool remove(Database& db, const std::string& id);

std::vector<OwnedTable> owned_tables();

}  // namespace conversion_repo
}  // namespace cadenza::store
