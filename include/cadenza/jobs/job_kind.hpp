#pragma once
// JobKind: everything about one kind of job, registered once with JobService::register_kind.
//
//   name      "demo", "convert", ...: the `kind` of a job row
//   lane      which workers run it (below)
//   run       the handler: JobContext& -> result JSON; throwing fails the job, keeping the Error's kind,
//             message and fields
//   payload_schema  the payload's description (cadenza/core/schema.hpp): JobService::submit checks every
//             payload against it (a 400 naming each bad field as "payload.<field>"), and the OpenAPI
//             document shows it; result_schema documents the result
//   validate  optional further checks at submit that the schema cannot say (throw Error(BadRequest)
//             naming "payload.<field>"), so a bad payload is a 400 then, never a job that fails later
//   submittable  whether clients may submit it through POST /api/jobs (kinds that pillars start through
//             their own routes are not)
//   on_finish optional: runs inside the transaction that records the job's final state (succeeded, failed
//             or cancelled), with the job as recorded, so what it writes (a webhook's outbox row) exists
//             exactly when the final state does; throwing rolls both back
#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace cadenza::store {
class Db;
struct JobRecord;
}  // namespace cadenza::store

namespace cadenza::jobs {

class JobContext;

// Classes of work, each with its own workers, queue and per-account cap (config jobs.<lane>_*), so that a
// training run holding a worker for minutes never delays a generation stream or a conversion. Priority and
// round-robin across owners apply inside a lane.
enum class Lane { Interactive, Batch, Training };
inline constexpr std::array<Lane, 3> kLanes = {Lane::Interactive, Lane::Batch, Lane::Training};
const char* to_string(Lane lane);
std::optional<Lane> parse_lane(std::string_view name);

using Handler = std::function<nlohmann::json(JobContext&)>;
// Checks at submit that need the submitter's tenant (e.g. that a file it names exists there).
using Validator = std::function<void(const nlohmann::json& payload, const std::string& tenant_id)>;
// Writes in the transaction of a job row (JobKind::on_finish, JobService::submit's with_row).
using RowHook = std::function<void(store::Db& db, const store::JobRecord& job)>;

struct JobKind {
  std::string name;
  Lane lane = Lane::Batch;
  Handler run;
  Validator validate;
  bool submittable = false;
  RowHook on_finish;
  std::string summary;
  nlohmann::json payload_schema = nlohmann::json::object();
  nlohmann::json result_schema = nlohmann::json::object();
};

}  // namespace cadenza::jobs
