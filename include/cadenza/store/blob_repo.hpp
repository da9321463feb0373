#pragma once
// Who owns each blob (tenant table blob_owners): a blob is a file of the BlobStore shared by every
// profile that stored the same bytes, removed when its last owner is deleted.
#include <string>
#include <vector>

#include "cadenza/store/blob_store.hpp"
#include "cadenza/store/db.hpp"

namespace cadenza::store::blob_repo {

// Records owner_id as holding sha. Call it before the file is written (BlobStore::put): a file then
// never lacks the row that keeps it (see collect_garbage).
void add_owner(Database& db, const std::string& sha, const std::string& owner_id);
std::vector<std::string> owners(Database& db, const std::string& sha);
// Removes the owner's rows on db (the caller's transaction) and queues the shas left without an owner
// in blob_garbage.
void release_owner(Db& db, const std::string& owner_id);
// The same for one blob of the owner.
void release(Db& db, const std::string& owner_id, const std::string& sha);
// Removes the files of the queued shas that still have no owner, then their queue rows; a sha that found
// an owner again is only dequeued. Idempotent: a failure leaves the rest queued for the next call.
// Returns the files removed.
int collect_garbage(Database& db, BlobStore& blobs, const std::string& tenant_id);

}  // namespace cadenza::store::blob_repo
