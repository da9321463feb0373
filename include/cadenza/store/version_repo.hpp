#pragma once
// Generated versions (tenant table versions, migration 0012): one generated piece of a project, its
// request (mode, prompt, controls, seed, parent), its state, and what it has made so far: the audio is the
// chunk stream with stream_id = the version id (chunk_repo.hpp), appended with the version's counters in
// one transaction (add_chunk), so chunk_count and duration_ms always match the stored chunks.
//
// Status: queued -> running -> succeeded | failed | cancelled; a running version found by a restart is
// `interrupted` (its stored chunks stay playable).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cadenza/store/db.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {

enum class VersionStatus { Queued, Running, Succeeded, Failed, Cancelled, Interrupted };
const char* to_string(VersionStatus s);  // "queued" ...
std::optional<VersionStatus> parse_version_status(std::string_view s);
inline bool is_final(VersionStatus s) { return s != VersionStatus::Queued && s != VersionStatus::Running; }

struct VersionRecord {
  std::string id, project_id, owner_id;
  std::optional<std::string> parent_version_id;
  std::string mode = "new";  // new | continue | vary
  std::string prompt;
  nlohmann::json controls = nlohmann::json::object();
  std::int64_t seed = 1;
  VersionStatus status = VersionStatus::Queued;
  std::string job_id;
  std::int64_t duration_ms = 0;
  std::int64_t chunk_count = 0;
  nlohmann::json notes = nlohmann::json::array();  // [[onset, duration, pitch, velocity], ...] ticks
  std::string error;
  std::int64_t created_at = 0, updated_at = 0;
  std::optional<int> vary_from, vary_to;  // vary: the bars sampled again (1-based, inclusive)
  std::int64_t bar_count = 0;             // bars of music, when it has ended
  std::optional<std::string> pdf_job_id;  // the version_pdf job, when one was started
  std::string pdf_error;                  // why it failed
  bool has_pdf = false;                   // its PDF is stored (version_files)
};

namespace version_repo {

void insert(Db& db, const VersionRecord& v);
// with_notes false: notes left empty (the list views never need them).
std::optional<VersionRecord> find(Database& db, const std::string& id, bool with_notes = true);
std::vector<VersionRecord> list_for_project(Database& db, const std::string& project_id);
// queued -> running; false when the version is not queued (a rerun after a restart, or cancelled).
bool start(Database& db, const std::string& id, std::int64_t now);
// Appends the version's next chunk and adds its duration, in one transaction; returns the chunk's seq.
std::int64_t add_chunk(Database& db, const std::string& id, std::string_view bytes, const nlohmann::json& meta,
                       std::int64_t duration_ms, std::int64_t now);
// The final state, with the notes, their bar count and the error (empty when none).
void finish(Database& db, const std::string& id, VersionStatus status, const nlohmann::json& notes,
            std::int64_t bar_count, const std::string& error, std::int64_t now);
// The version_pdf job started for the version (in that job row's transaction); clears an earlier error.
void set_pdf_job(Db& db, const std::string& id, const std::string& job_id);
// In a version_pdf job's final transaction: why it failed, on the version whose pdf_job_id it is.
void set_pdf_error(Db& db, const std::string& job_id, const std::string& error);
// A file assembled for the version ("pdf"), replacing one stored before; read it back whole.
void put_file(Database& db, const std::string& id, const std::string& format, std::string_view bytes, std::int64_t now);
std::optional<std::string> file(Database& db, const std::string& id, const std::string& format);
// In the caller's transaction (the job's final state): the version of job_id, when it is not final yet (a
// job cancelled while queued, or one that failed), gets `status` and the error; false otherwise.
bool close_open(Db& db, const std::string& job_id, VersionStatus status, const std::string& error, std::int64_t now);
// Every running version becomes interrupted (at start-up: nothing runs yet); returns their ids.
std::vector<std::string> interrupt_running(Database& db, std::int64_t now);
// An interrupted version's notes and bar count (rebuilt from what its chunks played).
void set_notes(Database& db, const std::string& id, const nlohmann::json& notes, std::int64_t bar_count, std::int64_t now);

std::vector<OwnedTable> owned_tables();

}  // namespace version_repo
}  // namespace cadenza::store
