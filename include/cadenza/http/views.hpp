#pragma once
// JSON views of stored records, shared by the REST handlers and the WebSocket.
#include <nlohmann/json.hpp>

#include "cadenza/store/control_store.hpp"
#include "cadenza/store/job_repo.hpp"

namespace cadenza::http {

nlohmann::json job_json(const store::JobRecord& job);
nlohmann::json account_json(const store::Account& account);

}  // namespace cadenza::http
