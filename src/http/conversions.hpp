#pragma once
// Internal: conversions as clients see them, for the routes (conversion_handlers.cpp), the WebSocket's
// "messageFromServer" and the webhook outbox.
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/jobs/job_kind.hpp"
#include "cadenza/store/conversion_repo.hpp"

namespace cadenza::http {

// POST /api/convert's request body (ConvertRequest), for the routes that take it.
const schema::Body& convert_request_body();

// Who submits a conversion, given the request body (a form's fields as JSON) once it is read: may adjust the
// body (the source it implies) and record problems in `v`; throws Error(Unauthorized/Forbidden) to refuse.
using ConvertCaller = std::function<Principal(nlohmann::json& body, Validation& v)>;

// POST /api/convert's work: reads and checks the request (JSON, or a form with the audio as its `file` part),
// submits the convert job and answers 202 with the conversion. The caller is the request's principal when
// `caller` is empty (POST /api/convert), else what it answers (POST /api/telegram/convert: the linked account).
Response submit_conversion(App& app, Request& req, const ConvertCaller& caller);

// GET /api/conversions/{id} as `who` sees it: Error(NotFound) for an unknown id, or another account's
// private conversion (the tenant's admins see every one).
nlohmann::json conversion_view(App& app, const Principal& who, const std::string& id);

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
