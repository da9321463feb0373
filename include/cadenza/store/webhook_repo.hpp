#pragma once
// Webhooks (tenant tables webhook_secrets and webhook_deliveries, migration 0007): one signing secret per
// account, and the durable outbox of deliveries (written in the transaction that finishes a conversion).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cadenza/store/db.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {

enum class DeliveryState { Pending, Delivered, Failed };
const char* to_string(DeliveryState s);

struct DeliveryRecord {
  std::string id, conversion_id, owner_id, url, body;  // owner_id: the conversion's
  DeliveryState state = DeliveryState::Pending;
  int attempts = 0;
  std::int64_t next_at = 0;
  int last_status = 0;
  std::string last_error;
  std::int64_t created_at = 0, updated_at = 0;
};

namespace webhook_repo {

std::optional<std::string> secret(Db& db, const std::string& owner_id);
std::optional<std::int64_t> secret_created_at(Database& db, const std::string& owner_id);
// A new random secret replaces the old one; returned once (the caller shows it).
std::string rotate_secret(Database& db, const std::string& owner_id);

// Inserts a pending delivery due now (id: a fresh UUID) in the caller's transaction.
void enqueue(Db& db, const std::string& conversion_id, const std::string& url, const std::string& body);
// Pending deliveries with next_at <= now, oldest first.
std::vector<DeliveryRecord> due(Database& db, std::int64_t now, int limit);
// The soonest next_at of a pending delivery.
std::optional<std::int64_t> next_due(Database& db);
// One attempt: delivered, or failed for good (final), or pending again at next_at.
void record_attempt(Database& db, const std::string& id, DeliveryState state, int status, const std::string& error,
                    std::int64_t next_at);
std::vector<DeliveryRecord> for_conversion(Database& db, const std::string& conversion_id);

std::vector<OwnedTable> owned_tables();

}  // namespace webhook_repo
}  // namespace cadenza::store
