#include "cadenza/store/preference_repo.hpp"

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/profile_data.hpp"
#include "dense_order.hpp"

namespace cadenza::store::preference_repo {
namespace {

constexpr detail::DenseOrder kOrder{"preferences", "rank", " AND source = 'user'"};
constexpr const char* kSelect =
    "SELECT id, profile_id, type, value, weight, rank, created_at, updated_at FROM preferences"
    " WHERE source = 'user' AND profile_id = ?";

Preference row(const Stmt& s) {
  Preference p;
  p.id = s.column_text(0);
  p.profile_id = s.column_text(1);
  p.type = s.column_text(2);
  p.value = nlohmann::json::parse(s.column_text(3), nullptr, false);
  p.weight = s.column_double(4);
  p.rank = s.column_int64(5);
  p.created_at = s.column_int64(6);
  p.updated_at = s.column_int64(7);
  return p;
}

std::optional<Preference> find_in(Db& db, const std::string& profile_id, const std::string& id) {
  auto s = db.query(std::string(kSelect) + " AND id = ?", profile_id, id);
  if (!s.step()) return std::nullopt;
  return row(s);
}

void check_unique(Db& db, const Preference& p) {
  auto other = db.scalar_text(
      "SELECT id FROM preferences WHERE source = 'user' AND profile_id = ? AND type = ? AND value = ? AND id <> ?",
      p.profile_id, p.type, p.value.dump(), p.id);
  if (other) throw Error(ErrorKind::Conflict, "Preference already exists", {{"value", "duplicates preference " + *other}});
}

}  // namespace

std::vector<Preference> list_learned(Database& database, const std::string& profile_id) {
  return database.read([&](Db& db) {
    auto s = db.query(
        "SELECT id, profile_id, type, value, weight, rank, created_at, updated_at FROM preferences"
        " WHERE source = 'learned' AND profile_id = ? ORDER BY weight DESC, id",
        profile_id);
    std::vector<Preference> out;
    while (s.step()) out.push_back(row(s));
    return out;
  });
}

void replace_learned(Database& database, const std::string& profile_id, const std::vector<Preference>& learned) {
  database.write([&](Db& db) {
    db.run("DELETE FROM preferences WHERE source = 'learned' AND profile_id = ?", profile_id);
    const auto now = now_ms();
    for (const auto& p : learned) {
      db.run("INSERT INTO preferences (id, profile_id, source, type, value, weight, rank, created_at, updated_at)"
             " VALUES (?, ?, 'learned', ?, ?, ?, -1, ?, ?)",
             new_uuid(), profile_id, p.type, p.value.dump(), p.weight, now, now);
    }
    db.touch(profile_id);
  });
}

std::vector<Preference> list(Database& database, const std::string& profile_id, const std::string& type) {
  return database.read([&](Db& db) {
    auto s = type.empty() ? db.query(std::string(kSelect) + " ORDER BY rank", profile_id)
                          : db.query(std::string(kSelect) + " AND type = ? ORDER BY rank", profile_id, type);
    std::vector<Preference> out;
    while (s.step()) out.push_back(row(s));
    return out;
  });
}

std::optional<Preference> find(Database& database, const std::string& profile_id, const std::string& id) {
  return database.read([&](Db& db) { return find_in(db, profile_id, id); });
}

Preference insert(Database& database, Preference p, std::optional<std::int64_t> rank) {
  return database.write([&](Db& db) {
    db.touch(p.profile_id);
    auto n = kOrder.count(db, p.profile_id);
    if (n >= kMaxPerProfile)
      throw Error(ErrorKind::Conflict, "A profile has at most " + std::to_string(kMaxPerProfile) + " preferences");
    p.rank = rank.value_or(n);
    kOrder.check_range("rank", p.rank, n);
    p.id = new_uuid();
    check_unique(db, p);
    p.created_at = p.updated_at = now_ms();
    kOrder.open_gap(db, p.profile_id, p.rank);
    db.run("INSERT INTO preferences (id, profile_id, source, type, value, weight, rank, created_at, updated_at)"
           " VALUES (?, ?, 'user', ?, ?, ?, ?, ?, ?)",
           p.id, p.profile_id, p.type, p.value.dump(), p.weight, p.rank, p.created_at, p.updated_at);
    return p;
  });
}

Preference update(Database& database, const Preference& p) {
  return database.write([&](Db& db) {
    db.touch(p.profile_id);
    auto old = find_in(db, p.profile_id, p.id);
    if (!old) throw Error(ErrorKind::NotFound, "Preference " + p.id + " not found");
    kOrder.check_range("rank", p.rank, kOrder.count(db, p.profile_id) - 1);
    check_unique(db, p);
    kOrder.move(db, p.profile_id, p.id, old->rank, p.rank);
    auto now = now_ms();
    db.run("UPDATE preferences SET value = ?, weight = ?, updated_at = ? WHERE id = ?", p.value.dump(), p.weight, now,
           p.id);
    return *find_in(db, p.profile_id, p.id);
  });
}

void remove(Database& database, const std::string& profile_id, const std::string& id) {
  database.write([&](Db& db) {
    db.touch(profile_id);
    auto old = find_in(db, profile_id, id);
    if (!old) throw Error(ErrorKind::NotFound, "Preference " + id + " not found");
    db.run("DELETE FROM preferences WHERE id = ?", id);
    kOrder.close_gap(db, profile_id, old->rank);
  });
}

// Counted: the profile's own preferences (learned ones are not, and go with it too).
std::vector<OwnedTable> owned_tables() {
  return {{DbScope::Tenant, "preferences", "profile_id", "preferences", "source = 'user'", {}}};
}

}  // namespace cadenza::store::preference_repo
