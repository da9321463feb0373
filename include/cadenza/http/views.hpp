#pragma once
// JSON views of stored records, shared by the REST handlers and the WebSocket.
#include <nlohmann/json.hpp>

#include "cadenza/store/control_store.hpp"
#include "cadenza/store/job_repo.hpp"
#include "cadenza/store/preference_repo.hpp"
#include "cadenza/store/track_repo.hpp"
#include "cadenza/store/tune_vector_repo.hpp"
#include "cadenza/store/variable_repo.hpp"

namespace cadenza::http {

nlohmann::json job_json(const store::JobRecord& job);
nlohmann::json account_json(const store::Account& account);
nlohmann::json preference_json(const store::Preference& preference);
nlohmann::json tune_vector_json(const store::TuneVectorRecord& tune_vector);
nlohmann::json variable_json(const store::Variable& variable);
// A track of the library; its audio as streamUrl (never the server's file path).
nlohmann::json track_json(const store::Track& track);

}  // namespace cadenza::http
