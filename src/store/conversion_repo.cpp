#include "cadenza/store/conversion_repo.hpp"

#include "cadenza/core/clock.hpp"
#include "cadenza/store/blob_repo.hpp"

namespace cadenza::store::conversion_repo {
namespace {

constexpr const char* kColumns =
    "c.id, c.owner_id, c.job_id, c.song_name, c.is_public, c.request, c.idempotency_key, c.request_hash,"
    " c.created_at, c.updated_at";

ConversionRecord row(const Stmt& s) {
  ConversionRecord c;
  c.id = s.column_text(0);
  c.owner_id = s.column_text(1);
  c.job_id = s.column_text(2);
  c.song_name = s.column_text(3);
  c.is_public = s.column_int64(4) != 0;
  c.request = nlohmann::json::parse(s.column_text(5), nullptr, false);
  if (c.request.is_discarded()) c.request = nlohmann::json::object();
  c.idempotency_key = s.column_optional_text(6);
  c.request_hash = s.column_text(7);
  c.created_at = s.column_int64(8);
  c.updated_at = s.column_int64(9);
  return c;
}

template <class... A>
std::optional<ConversionRecord> one(Db& db, const std::string& where, const A&... args) {
  auto s = db.query(std::string("SELECT ") + kColumns + " FROM conversions c WHERE " + where, args...);
  if (!s.step()) return std::nullopt;
  return row(s);
}

// '%', '_' and '\' of a LIKE pattern taken literally.
std::string like_escaped(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out;
}

}  // namespace

void insert(Db& db, const ConversionRecord& c) {
  db.touch(c.owner_id);
  db.run("INSERT INTO conversions (id, owner_id, job_id, song_name, is_public, request, idempotency_key,"
         " request_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         c.id, c.owner_id, c.job_id, c.song_name, c.is_public, c.request.dump(), c.idempotency_key, c.request_hash,
         c.created_at, c.updated_at);
}

std::optional<ConversionRecord> find(Database& database, const std::string& id) {
  return database.read([&](Db& db) { return one(db, "c.id = ?", id); });
}

std::optional<ConversionRecord> find_by_job(Db& db, const std::string& job_id) { return one(db, "c.job_id = ?", job_id); }

std::optional<ConversionRecord> find_by_key(Database& database, const std::string& owner_id, const std::string& key) {
  return database.read([&](Db& db) { return one(db, "c.owner_id = ? AND c.idempotency_key = ?", owner_id, key); });
}

ListPage list(Database& database, const ListQuery& q) {
  std::string where = " FROM conversions c JOIN jobs j ON j.id = c.job_id WHERE (? = '' OR c.owner_id = ?)"
                      " AND (? = 0 OR c.is_public = 1) AND (? IS NULL OR j.state = ?)"
                      " AND (? = '' OR c.song_name LIKE '%' || ? || '%' ESCAPE '\\')";
  const std::string pattern = like_escaped(q.search);
  return database.read([&](Db& db) {
    ListPage page;
    page.total = db.scalar_int64("SELECT COUNT(*)" + where, q.owner_id, q.owner_id, q.public_only, q.state, q.state,
                                 pattern, pattern)
                     .value_or(0);
    auto s = db.query(std::string("SELECT ") + kColumns + where + " ORDER BY c.created_at DESC, c.id LIMIT ? OFFSET ?",
                      q.owner_id, q.owner_id, q.public_only, q.state, q.state, pattern, pattern, q.limit, q.offset);
    while (s.step()) page.items.push_back(row(s));
    return page;
  });
}

std::int64_t count_active(Database& database, const std::string& owner_id) {
  return database.read([&](Db& db) {
    return db
        .scalar_int64("SELECT COUNT(*) FROM conversions c JOIN jobs j ON j.id = c.job_id WHERE c.owner_id = ?"
                      " AND j.state IN ('queued', 'running')",
                      owner_id)
        .value_or(0);
  });
}

bool update(Database& database, const std::string& id, const std::optional<std::string>& song_name,
            const std::optional<bool> is_public) {
  return database.write([&](Db& db) {
    auto c = one(db, "c.id = ?", id);
    if (!c) return false;
    db.touch(c->owner_id);
    db.run("UPDATE conversions SET song_name = ?, is_public = ?, updated_at = ? WHERE id = ?",
           song_name.value_or(c->song_name), is_public.value_or(c->is_public), now_ms(), id);
    return true;
  });
}

void add_blob(Db& db, const std::string& conversion_id, const std::string& sha) {
  db.run("INSERT OR IGNORE INTO conversion_blobs (conversion_id, sha) VALUES (?, ?)", conversion_id, sha);
}

std::vector<std::string> blobs(Database& database, const std::string& conversion_id) {
  return database.read([&](Db& db) {
    std::vector<std::string> out;
    auto s = db.query("SELECT sha FROM conversion_blobs WHERE conversion_id = ? ORDER BY sha", conversion_id);
    while (s.step()) out.push_back(s.column_text(0));
    return out;
  });
}

bool remove(Database& database, const std::string& id) {
  return database.write([&](Db& db) {
    auto c = one(db, "c.id = ?", id);
    if (!c) return false;
    db.touch(c->owner_id);
    std::vector<std::string> shas;
    {
      auto s = db.query("SELECT sha FROM conversion_blobs WHERE conversion_id = ?", id);
      while (s.step()) shas.push_back(s.column_text(0));
    }
    db.run("DELETE FROM webhook_deliveries WHERE conversion_id = ?", id);
    db.run("DELETE FROM conversion_blobs WHERE conversion_id = ?", id);
    db.run("DELETE FROM conversions WHERE id = ?", id);
    for (const auto& sha : shas) {
      bool held = db.scalar_int64("SELECT 1 FROM conversion_blobs b JOIN conversions x ON x.id = b.conversion_id"
                                  " WHERE b.sha = ? AND x.owner_id = ?",
                                  sha, c->owner_id)
                      .has_value();
      if (!held) blob_repo::release(db, c->owner_id, sha);
    }
    return true;
  });
}

// A profile's conversions go with it (their blob rows and deliveries first); its blobs go with blob_owners.
std::vector<OwnedTable> owned_tables() {
  return {{DbScope::Tenant, "conversions", "owner_id", "", "",
           {{"conversion_blobs", "conversion_id", "id"}, {"webhook_deliveries", "conversion_id", "id"}}}};
}

}  // namespace cadenza::store::conversion_repo
