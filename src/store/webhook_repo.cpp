#include "cadenza/store/webhook_repo.hpp"

#include "cadenza/core/clock.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/core/ids.hpp"

namespace cadenza::store {

const char* to_string(DeliveryState s) {
  switch (s) {
    case DeliveryState::Pending: return "pending";
    case DeliveryState::Delivered: return "delivered";
    case DeliveryState::Failed: return "failed";
  }
  return "pending";
}

namespace webhook_repo {
namespace {

DeliveryState parse_state(const std::string& s) {
  if (s == "delivered") return DeliveryState::Delivered;
  if (s == "failed") return DeliveryState::Failed;
  return DeliveryState::Pending;
}

constexpr const char* kSelect =
    "SELECT d.id, d.conversion_id, c.owner_id, d.url, d.body, d.state, d.attempts, d.next_at, d.last_status,"
    " d.last_error, d.created_at, d.updated_at FROM webhook_deliveries d JOIN conversions c ON c.id = d.conversion_id";

DeliveryRecord row(const Stmt& s) {
  DeliveryRecord d;
  d.id = s.column_text(0);
  d.conversion_id = s.column_text(1);
  d.owner_id = s.column_text(2);
  d.url = s.column_text(3);
  d.body = s.column_text(4);
  d.state = parse_state(s.column_text(5));
  d.attempts = s.column_int(6);
  d.next_at = s.column_int64(7);
  d.last_status = s.column_int(8);
  d.last_error = s.column_text(9);
  d.created_at = s.column_int64(10);
  d.updated_at = s.column_int64(11);
  return d;
}

}  // namespace

std::optional<std::string> secret(Db& db, const std::string& owner_id) {
  return db.scalar_text("SELECT secret FROM webhook_secrets WHERE owner_id = ?", owner_id);
}

std::optional<std::int64_t> secret_created_at(Database& database, const std::string& owner_id) {
  return database.read(
      [&](Db& db) { return db.scalar_int64("SELECT created_at FROM webhook_secrets WHERE owner_id = ?", owner_id); });
}

std::string rotate_secret(Database& database, const std::string& owner_id) {
  auto fresh = "whsec_" + crypto::random_token(32);
  database.write([&](Db& db) {
    db.touch(owner_id);
    db.run("INSERT INTO webhook_secrets (owner_id, secret, created_at) VALUES (?, ?, ?) ON CONFLICT (owner_id)"
           " DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at",
           owner_id, fresh, now_ms());
  });
  return fresh;
}

void enqueue(Db& db, const std::string& conversion_id, const std::string& url, const std::string& body) {
  const auto now = now_ms();
  db.run("INSERT INTO webhook_deliveries (id, conversion_id, url, body, state, next_at, created_at, updated_at)"
         " VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
         new_uuid(), conversion_id, url, body, now, now, now);
}

std::vector<DeliveryRecord> due(Database& database, std::int64_t now, int limit) {
  return database.read([&](Db& db) {
    std::vector<DeliveryRecord> out;
    auto s = db.query(std::string(kSelect) + " WHERE d.state = 'pending' AND d.next_at <= ? ORDER BY d.next_at, d.id LIMIT ?",
                      now, limit);
    while (s.step()) out.push_back(row(s));
    return out;
  });
}

std::optional<std::int64_t> next_due(Database& database) {
  return database.read(
      [&](Db& db) { return db.scalar_int64("SELECT MIN(next_at) FROM webhook_deliveries WHERE state = 'pending'"); });
}

void record_attempt(Database& database, const std::string& id, DeliveryState state, int status,
                    const std::string& error, std::int64_t next_at) {
  database.write([&](Db& db) {
    db.run("UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?,"
           " next_at = ?, updated_at = ? WHERE id = ?",
           to_string(state), status, error, next_at, now_ms(), id);
  });
}

std::vector<DeliveryRecord> for_conversion(Database& database, const std::string& conversion_id) {
  return database.read([&](Db& db) {
    std::vector<DeliveryRecord> out;
    auto s = db.query(std::string(kSelect) + " WHERE d.conversion_id = ? ORDER BY d.created_at, d.id", conversion_id);
    while (s.step()) out.push_back(row(s));
    return out;
  });
}

// The account's secret goes with it (its deliveries go with its conversions).
std::vector<OwnedTable> owned_tables() { return {{DbScope::Tenant, "webhook_secrets", "owner_id", "", "", {}}}; }

}  // namespace webhook_repo
}  // namespace cadenza::store
