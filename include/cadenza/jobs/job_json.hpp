#pragma once
// The JSON view of a job: what GET /api/jobs/{id} answers and what job events carry.
#include <nlohmann/json.hpp>

#include "cadenza/store/job_repo.hpp"

namespace cadenza::jobs {

nlohmann::json job_json(const store::JobRecord& job);

}  // namespace cadenza::jobs
