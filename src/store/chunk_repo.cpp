#include "cadenza/store/chunk_repo.hpp"

#include "cadenza/core/error.hpp"

namespace cadenza::store::chunk_repo {

std::int64_t append(Database& database, const std::string& stream_id, std::string_view bytes,
                    const nlohmann::json& meta, std::int64_t now) {
  if (!meta.is_object()) throw Error(ErrorKind::BadRequest, "chunk metadata must be an object", {{"meta", "expected an object"}});
  auto meta_text = meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return database.write([&](Db& db) {
    auto seq = db.scalar_int64("SELECT MAX(seq) FROM chunks WHERE stream_id = ?", stream_id).value_or(0) + 1;
    auto s = db.prepare("INSERT INTO chunks (stream_id, seq, bytes, meta, created_at) VALUES (?, ?, ?, ?, ?)");
    s.bind(1, stream_id).bind(2, seq).bind_blob(3, bytes).bind(4, meta_text).bind(5, now);
    s.run();
    return seq;
  });
}

std::vector<Chunk> read_from(Database& database, const std::string& stream_id, std::int64_t from_seq, int max_count,
                             std::int64_t max_bytes) {
  return database.read([&](Db& db) {
    std::vector<Chunk> out;
    std::int64_t total = 0;
    auto s = db.query(
        "SELECT seq, length(bytes) FROM chunks WHERE stream_id = ? AND seq > ? ORDER BY seq LIMIT ?", stream_id,
        from_seq, max_count < 1 ? 1 : max_count);
    std::vector<std::int64_t> seqs;
    while (s.step()) {  // sizes first, so a big chunk past the budget is never read
      auto size = s.column_int64(1);
      if (!seqs.empty() && total + size > max_bytes) break;
      total += size;
      seqs.push_back(s.column_int64(0));
    }
    for (auto seq : seqs) {
      auto r = db.query("SELECT bytes, meta, created_at FROM chunks WHERE stream_id = ? AND seq = ?", stream_id, seq);
      if (!r.step()) break;
      Chunk c;
      c.stream_id = stream_id;
      c.seq = seq;
      c.bytes = r.column_blob(0);
      c.meta = nlohmann::json::parse(r.column_text(1), nullptr, false);
      if (!c.meta.is_object()) c.meta = nlohmann::json::object();
      c.created_at = r.column_int64(2);
      out.push_back(std::move(c));
    }
    return out;
  });
}

ChunkStats stats(Database& database, const std::string& stream_id) {
  return database.read([&](Db& db) {
    auto s = db.query("SELECT COUNT(*), COALESCE(MAX(seq), 0), COALESCE(SUM(length(bytes)), 0) FROM chunks"
                      " WHERE stream_id = ?",
                      stream_id);
    ChunkStats out;
    if (s.step()) out = {s.column_int64(0), s.column_int64(1), s.column_int64(2)};
    return out;
  });
}

int delete_stream(Database& database, const std::string& stream_id) {
  return database.write([&](Db& db) { return db.run("DELETE FROM chunks WHERE stream_id = ?", stream_id); });
}

}  // namespace cadenza::store::chunk_repo
