#include "cadenza/store/tune_vector_repo.hpp"

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/profile_data.hpp"
#include "dense_order.hpp"

namespace cadenza::store::tune_vector_repo {
namespace {

constexpr detail::DenseOrder kOrder{"tune_vectors", "position", ""};
constexpr const char* kSelect =
    "SELECT id, profile_id, name, mode, preset, waypoints, genres, position, created_at, updated_at"
    " FROM tune_vectors WHERE profile_id = ?";

TuneVectorRecord row(const Stmt& s) {
  TuneVectorRecord t;
  t.id = s.column_text(0);
  t.profile_id = s.column_text(1);
  t.name = s.column_text(2);
  t.mode = s.column_text(3);
  t.preset = s.column_optional_text(4);
  t.waypoints = nlohmann::json::parse(s.column_text(5), nullptr, false);
  t.genres = nlohmann::json::parse(s.column_text(6), nullptr, false);
  t.position = s.column_int64(7);
  t.created_at = s.column_int64(8);
  t.updated_at = s.column_int64(9);
  return t;
}

std::optional<TuneVectorRecord> find_in(Db& db, const std::string& profile_id, const std::string& id) {
  auto s = db.query(std::string(kSelect) + " AND id = ?", profile_id, id);
  if (!s.step()) return std::nullopt;
  return row(s);
}

}  // namespace

std::vector<TuneVectorRecord> list(Database& database, const std::string& profile_id) {
  return database.read([&](Db& db) {
    auto s = db.query(std::string(kSelect) + " ORDER BY position", profile_id);
    std::vector<TuneVectorRecord> out;
    while (s.step()) out.push_back(row(s));
    return out;
  });
}

std::optional<TuneVectorRecord> find(Database& database, const std::string& profile_id, const std::string& id) {
  return database.read([&](Db& db) { return find_in(db, profile_id, id); });
}

TuneVectorRecord insert(Database& database, TuneVectorRecord t) {
  return database.write([&](Db& db) {
    db.touch(t.profile_id);
    auto n = kOrder.count(db, t.profile_id);
    if (n >= kMaxPerProfile)
      throw Error(ErrorKind::Conflict, "A profile has at most " + std::to_string(kMaxPerProfile) + " tune vectors");
    t.id = new_uuid();
    t.position = n;
    t.created_at = t.updated_at = now_ms();
    db.run("INSERT INTO tune_vectors (id, profile_id, name, mode, preset, waypoints, genres, position, created_at,"
           " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           t.id, t.profile_id, t.name, t.mode, t.preset, t.waypoints.dump(), t.genres.dump(), t.position,
           t.created_at, t.updated_at);
    return t;
  });
}

TuneVectorRecord update(Database& database, const TuneVectorRecord& t) {
  return database.write([&](Db& db) {
    db.touch(t.profile_id);
    auto old = find_in(db, t.profile_id, t.id);
    if (!old) throw Error(ErrorKind::NotFound, "Tune vector " + t.id + " not found");
    kOrder.check_range("position", t.position, kOrder.count(db, t.profile_id) - 1);
    kOrder.move(db, t.profile_id, t.id, old->position, t.position);
    db.run("UPDATE tune_vectors SET name = ?, mode = ?, preset = ?, waypoints = ?, genres = ?, updated_at = ?"
           " WHERE id = ?",
           t.name, t.mode, t.preset, t.waypoints.dump(), t.genres.dump(), now_ms(), t.id);
    return *find_in(db, t.profile_id, t.id);
  });
}

void remove(Database& database, const std::string& profile_id, const std::string& id) {
  database.write([&](Db& db) {
    db.touch(profile_id);
    auto old = find_in(db, profile_id, id);
    if (!old) throw Error(ErrorKind::NotFound, "Tune vector " + id + " not found");
    db.run("DELETE FROM tune_vectors WHERE id = ?", id);
    kOrder.close_gap(db, profile_id, old->position);
  });
}

std::vector<OwnedTable> owned_tables() {
  return {{DbScope::Tenant, "tune_vectors", "profile_id", "tuneVectors", "", {}}};
}

}  // namespace cadenza::store::tune_vector_repo
