#include "cadenza/store/variable_repo.hpp"

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {
namespace variable_repo {
namespace {

constexpr const char* kSelect =
    "SELECT v.id, v.profile_id, v.name, v.opted_in, v.created_at, v.updated_at,"
    " (SELECT COUNT(*) FROM readings r WHERE r.variable_id = v.id) FROM variables v WHERE v.profile_id = ?";

Variable row(const Stmt& s) {
  Variable v;
  v.id = s.column_text(0);
  v.profile_id = s.column_text(1);
  v.name = s.column_text(2);
  v.opted_in = s.column_int(3) != 0;
  v.created_at = s.column_int64(4);
  v.updated_at = s.column_int64(5);
  v.reading_count = s.column_int64(6);
  return v;
}

std::optional<Variable> find_in(Db& db, const std::string& profile_id, const std::string& id) {
  auto s = db.query(std::string(kSelect) + " AND v.id = ?", profile_id, id);
  if (!s.step()) return std::nullopt;
  return row(s);
}

Variable require(Db& db, const std::string& profile_id, const std::string& id) {
  auto v = find_in(db, profile_id, id);
  if (!v) throw Error(ErrorKind::NotFound, "Variable " + id + " not found");
  return *v;
}

}  // namespace

std::vector<Variable> list(Database& database, const std::string& profile_id) {
  return database.read([&](Db& db) {
    auto s = db.query(std::string(kSelect) + " ORDER BY v.name", profile_id);
    std::vector<Variable> out;
    while (s.step()) out.push_back(row(s));
    return out;
  });
}

std::optional<Variable> find(Database& database, const std::string& profile_id, const std::string& id) {
  return database.read([&](Db& db) { return find_in(db, profile_id, id); });
}

Variable insert(Database& database, const std::string& profile_id, const std::string& name) {
  return database.write([&](Db& db) {
    db.touch(profile_id);
    if (db.scalar_int64("SELECT 1 FROM variables WHERE profile_id = ? AND name = ?", profile_id, name))
      throw Error(ErrorKind::Conflict, "Variable " + name + " already exists");
    auto id = new_uuid();
    auto now = now_ms();
    db.run("INSERT INTO variables (id, profile_id, name, opted_in, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
           id, profile_id, name, now, now);
    return require(db, profile_id, id);
  });
}

Variable set_opted_in(Database& database, const std::string& profile_id, const std::string& id, bool opted_in) {
  return database.write([&](Db& db) {
    db.touch(profile_id);
    auto v = require(db, profile_id, id);
    if (v.opted_in == opted_in) return v;
    if (!opted_in) db.run("DELETE FROM readings WHERE variable_id = ?", id);
    db.run("UPDATE variables SET opted_in = ?, updated_at = ? WHERE id = ?", opted_in, now_ms(), id);
    return require(db, profile_id, id);
  });
}

void remove(Database& database, const std::string& profile_id, const std::string& id) {
  database.write([&](Db& db) {
    db.touch(profile_id);
    require(db, profile_id, id);
    db.run("DELETE FROM readings WHERE variable_id = ?", id);
    db.run("DELETE FROM variables WHERE id = ?", id);
  });
}

void add_readings(Database& database, const std::string& profile_id, const std::string& id,
                  const std::vector<Reading>& readings) {
  database.write([&](Db& db) {
    db.touch(profile_id);
    auto v = require(db, profile_id, id);
    if (!v.opted_in) throw Error(ErrorKind::Forbidden, "Variable " + v.name + " is not opted in");
    auto now = now_ms();
    for (const auto& r : readings)
      db.run("INSERT INTO readings (variable_id, value, unit, recorded_at, created_at) VALUES (?, ?, ?, ?, ?)", id,
             r.value.dump(), r.unit, r.recorded_at, now);
  });
}

std::vector<Reading> readings(Database& database, const std::string& id, int limit) {
  return database.read([&](Db& db) {
    auto s = db.query("SELECT value, unit, recorded_at FROM readings WHERE variable_id = ?"
                      " ORDER BY recorded_at DESC, id DESC LIMIT ?",
                      id, limit);
    std::vector<Reading> out;
    while (s.step())
      out.push_back({nlohmann::json::parse(s.column_text(0), nullptr, false), s.column_text(1), s.column_int64(2)});
    return out;
  });
}

}  // namespace variable_repo

// Variables with their readings; profile_signals: internal per-profile signals of the recommender.
std::vector<OwnedTable> variable_repo::owned_tables() {
  return {{DbScope::Tenant, "variables", "profile_id", "variables", "", {{"readings", "variable_id", "id"}}},
          {DbScope::Tenant, "profile_signals", "profile_id", "", "", {}}};
}

}  // namespace cadenza::store
