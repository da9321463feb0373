#pragma once
// Internal: conversions as clients see them, for the routes (conversion_handlers.cpp), the WebSocket's
// "messageFromServer" and the webhook outbox.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cadenza/http/app.hpp"
#include "cadenza/jobs/job_kind.hpp"
#include "cadenza/store/conversion_repo.hpp"

namespace cadenza::http {

// The request as echoed, with uuid, status (the job's state), stage and progress while running, the
// failure's reason, and output: one entry per arrangement type with fresh signed URLs once done.
nlohmann::json conversion_body(App& app, const store::ConversionRecord& c, const store::JobRecord& job);

// {"type":"messageFromServer","data":<conversion body>} for a finished convert job that was submitted
// with additional_data.socket_id == socket_id; nullopt otherwise. Reads the tenant database.
std::optional<std::string> conversion_message(App& app, const store::JobRecord& job, const std::string& socket_id);

// The convert kind's on_finish: builds the conversion body and, when the conversion has a callback_url,
// writes its webhook delivery into the outbox in the transaction that finishes the job; records the
// output files the conversion holds.
jobs::RowHook conversion_finish_hook(App& app);

}  // namespace cadenza::http
