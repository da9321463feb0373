#pragma once
// Internal: keeping an integer order column dense (0..n-1) per profile while rows are inserted, moved and
// removed. Table and column names are compile-time constants of the calling repository, never input.
#include <cstdint>
#include <string>

#include "cadenza/core/error.hpp"
#include "cadenza/store/db.hpp"

namespace cadenza::store::detail {

struct DenseOrder {
  const char* table;   // "preferences"
  const char* column;  // "rank"
  const char* scope;   // extra WHERE condition after "profile_id = ?", e.g. " AND source = 'user'" or ""

  std::int64_t count(Db& db, const std::string& profile_id) const {
    return db.scalar_int64(sql("SELECT COUNT(*) FROM ", " WHERE profile_id = ?"), profile_id).value_or(0);
  }
  // Makes room at `at` (0..n): rows at >= at move down by one.
  void open_gap(Db& db, const std::string& profile_id, std::int64_t at) const {
    db.run(sql_set("+ 1", " >= ?"), profile_id, at);
  }
  // Closes the hole left at `at`: rows below it move up by one.
  void close_gap(Db& db, const std::string& profile_id, std::int64_t at) const {
    db.run(sql_set("- 1", " > ?"), profile_id, at);
  }
  // Moves the row now at `from` to `to` (both 0..n-1), shifting the ones in between.
  void move(Db& db, const std::string& profile_id, const std::string& id, std::int64_t from, std::int64_t to) const {
    if (from == to) return;
    std::string col = column;
    if (to < from)
      db.run(sql("UPDATE ", " SET " + col + " = " + col + " + 1 WHERE profile_id = ?") + " AND " + col + " >= ? AND " +
                 col + " < ?",
             profile_id, to, from);
    else
      db.run(sql("UPDATE ", " SET " + col + " = " + col + " - 1 WHERE profile_id = ?") + " AND " + col + " > ? AND " +
                 col + " <= ?",
             profile_id, from, to);
    db.run("UPDATE " + std::string(table) + " SET " + col + " = ? WHERE id = ?", to, id);
  }
  // Error(Unprocessable) unless 0 <= at <= max.
  void check_range(const char* field, std::int64_t at, std::int64_t max) const {
    if (at < 0 || at > max)
      throw Error(ErrorKind::Unprocessable, std::string(field) + " must be between 0 and " + std::to_string(max),
                  {{field, "must be between 0 and " + std::to_string(max)}});
  }

 private:
  std::string sql(const std::string& head, const std::string& tail) const {
    return head + table + tail + scope;
  }
  std::string sql_set(const char* delta, const char* cond) const {
    std::string col = column;
    return "UPDATE " + std::string(table) + " SET " + col + " = " + col + " " + delta +
           " WHERE profile_id = ?" + scope + " AND " + col + cond;
  }
};

}  // namespace cadenza::store::detail
