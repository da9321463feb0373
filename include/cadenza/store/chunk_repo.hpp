#pragma once
// The chunk store (table `chunks`, tenant migration 0005): the pieces of a stream in order, each with its
// bytes and a JSON object of metadata. seq counts 1, 2, 3 ... per stream, assigned by append inside its
// transaction, so concurrent appenders never share or skip a number. A stream is a job id (a job's output)
// or, later, a generation stream's id.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

struct Chunk {
  std::string stream_id;
  std::int64_t seq = 0;
  std::string bytes;
  nlohmann::json meta = nlohmann::json::object();
  std::int64_t created_at = 0;
};

struct ChunkStats {
  std::int64_t count = 0;
  std::int64_t last_seq = 0;  // 0 when the stream has none
  std::int64_t bytes = 0;     // total payload bytes
};

namespace chunk_repo {

// Appends the stream's next chunk; returns its seq. meta must be an object (else Error(BadRequest)).
std::int64_t append(Database& db, const std::string& stream_id, std::string_view bytes, const nlohmann::json& meta,
                    std::int64_t now);
// Chunks with seq > from_seq, in order: at most max_count of them and, past the first, no more than
// max_bytes of payload in all (the first is returned whatever its size, so a reader always advances).
std::vector<Chunk> read_from(Database& db, const std::string& stream_id, std::int64_t from_seq, int max_count,
                             std::int64_t max_bytes);
ChunkStats stats(Database& db, const std::string& stream_id);
// Removes every chunk of the stream; returns how many.
int delete_stream(Database& db, const std::string& stream_id);

}  // namespace chunk_repo
}  // namespace cadenza::store
