#pragma once
// App: the services a handler may use, wired once by `cadenza serve`.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "cadenza/config/config.hpp"
#include "cadenza/http/login_throttle.hpp"
#include "cadenza/http/metrics.hpp"
#include "cadenza/http/rate_limiter.hpp"
#include "cadenza/http/response_cache.hpp"
#include "cadenza/http/router.hpp"
#include "cadenza/http/tokens.hpp"
#include "cadenza/jobs/event_bus.hpp"
#include "cadenza/jobs/job_service.hpp"
#include "cadenza/net/address_rules.hpp"
#include "cadenza/recommend/catalog.hpp"
#include "cadenza/recommend/model_registry.hpp"
#include "cadenza/store/blob_store.hpp"
#include "cadenza/store/control_store.hpp"
#include "cadenza/store/profile_deletion.hpp"
#include "cadenza/store/tenant_dbs.hpp"

namespace cadenza::http {

struct App {
  const config::Config& config;
  store::ControlStore& control;
  store::TenantDbs& tenants;
  store::BlobStore& blobs;
  jobs::EventBus& events;
  jobs::JobService& jobs;
  store::ProfileDeletion& deletions;  // deleting a profile everywhere (the only way to)
  Tokens tokens;
  Metrics metrics;
  // Built from `config` (ratelimit.*, cache.*) wherever an App is built.
  RateLimiter rate_limiter{config.ratelimit};
  // What outbound HTTP may reach (net.allow_networks): audio_url fetches, webhook deliveries, submit checks.
  net::AddressRules address_rules{net::AddressRules::parse(config.net.allow_networks)};
  LoginThrottle login_throttle;
  ResponseCache cache{config.cache};  // GETs of cached routes, principals, generations (bumped by the store)
  Router router;
  // Each tenant's catalogue snapshot for planning and ranking, rebuilt when the catalogue changed.
  recommend::CatalogCache catalogs;
  // Each tenant's collaborative model in use (trained by the train_recommender job kind).
  recommend::ModelRegistry models{config.storage.data_dir};
  // Closes the open sessions (WebSockets) of an account that lost its access; set by the running Server.
  std::function<void(const std::string& account_id)> revoke_sessions;
  std::atomic<bool> ready{false};
  std::int64_t started_at_ms = 0;
};

// Every API area registers its routes here (one handler file per area); add_routes registers them all,
// in order (the browser app's catch-all last). `cadenza serve` and the OpenAPI test call add_routes.
void add_system_routes(App& app);
void add_openapi_route(App& app);
void add_account_routes(App& app);
void add_preference_routes(App& app);
void add_tune_vector_routes(App& app);
void add_variable_routes(App& app);
void add_track_routes(App& app);  // the music library: track_handlers.cpp
void add_listen_routes(App& app);  // listening history: listen_handlers.cpp
void add_recommendation_routes(App& app);  // recommendations and models: recommendation_handlers.cpp
void add_library_routes(App& app);  // the music library's scans: library_handlers.cpp
void add_job_routes(App& app);
void add_file_routes(App& app);
void add_conversion_routes(App& app);
void add_telegram_routes(App& app);  // bot clients: telegram_handlers.cpp
void add_web_routes(App& app);
void add_routes(App& app);

// An expiring signed download link (storage.signed_url_ttl_s) to a blob of the tenant, offering `name`.
std::string signed_url(App& app, const std::string& tenant, const std::string& sha, const std::string& name);

// The one wrapper around every handler: CORS preflight, route, rate limit, authenticate, response cache,
// run, map errors to the JSON body, ETag/304, CORS headers, cache invalidation, metrics and the access
// log. Never throws.
Response dispatch(App& app, Request& req);

// The principal for a bearer token (JWT or API key) or nullopt. Used by dispatch and the WebSocket.
std::optional<Principal> authenticate_token(App& app, std::string_view token);
// The credentials a request carries: `Authorization: Bearer …`, else `X-API-Key`, else (with
// allow_query, for WebSockets, whose browser API cannot set headers) the `token` query parameter.
std::optional<std::string> request_token(const Request& req, bool allow_query = false);
// authenticate_token(request_token(req)): nullopt when there are no or invalid credentials.
std::optional<Principal> authenticate_request(App& app, const Request& req, bool allow_query = false);

// A bot's credentials (bot clients, telegram_handlers.cpp): the token of `Authorization: Bot <token>` (the
// scheme case-insensitive), and whether it is a registered bot's. An upload route reads its body only from a
// request with credentials: a user's (authenticate_request) or a bot's.
std::optional<std::string> request_bot_token(const Request& req);
bool has_bot_credentials(App& app, const Request& req);

// Failed authentications per client address (ratelimit.auth_failures_per_min): check_auth_failures throws
// Error(TooManyRequests) while the address has none left; count_auth_failure records one. Every place that
// verifies credentials (dispatch, log-in, the WebSocket upgrade) calls both.
void check_auth_failures(App& app, const Request& req);
void count_auth_failure(App& app, const Request& req);

// The request target with the values of secret query parameters (token, sig, key, api_key) replaced by
// REDACTED: what logs may show.
std::string redact_target(std::string_view target);

// {"message": ..., "errors": {...}} with the error's status (and Retry-After where set).
Response error_response(const Error& e);

}  // namespace cadenza::http
