#include <spdlog/spdlog.h>

#include <chrono>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/http/app.hpp"

namespace cadenza::http {

Response error_response(const Error& e) {
  nlohmann::json body = {{"message", e.what()}};
  if (!e.fields().empty()) body["errors"] = e.fields();
  auto r = Response::json(e.status(), body);
  if (e.retry_after() > 0) r.header("Retry-After", std::to_string(e.retry_after()));
  return r;
}

std::optional<Principal> authenticate_token(App& app, std::string_view token) {
  // Cached principals skip the database; they are dropped when their account's generation moves (the
  // store bumps it on every committed write of the account: deletion, role, password, API keys) and
  // after cache.ttl_s.
  std::string key(token);
  std::optional<Principal> claims;
  if (token.rfind("cdz_", 0) != 0) {
    claims = app.tokens.verify(token, now_ms());  // signature and expiry, every time
    if (!claims) return std::nullopt;
  }
  if (auto p = app.cache.find_principal(key); p && (!claims || claims->account_id == p->account_id)) return p;
  auto epoch = app.cache.epoch();
  std::optional<store::Account> account;
  if (!claims) {
    account = app.control.account_for_api_key(key);
  } else {
    account = app.control.find_account(claims->account_id);  // deleted accounts lose access at once
  }
  if (!account) return std::nullopt;
  Principal p{account->id, account->tenant_id, account->role};
  app.cache.store_principal(key, p, epoch);
  return p;
}

std::optional<std::string> request_token(const Request& req, bool allow_query) {
  if (auto h = req.header("authorization")) {
    // RFC 7235: the scheme is case-insensitive and one or more spaces separate it from the credentials.
    auto v = *h;
    constexpr std::string_view scheme = "bearer";
    bool bearer = v.size() > scheme.size() && (v[scheme.size()] == ' ' || v[scheme.size()] == '\t');
    for (std::size_t i = 0; bearer && i < scheme.size(); ++i)
      bearer = std::tolower(static_cast<unsigned char>(v[i])) == scheme[i];
    if (bearer) {
      v.remove_prefix(scheme.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return std::string(v);
    }
  }
  if (auto k = req.header("x-api-key")) return std::string(*k);
  if (allow_query) return req.query_param("token");
  return std::nullopt;
}

std::optional<Principal> authenticate_request(App& app, const Request& req, bool allow_query) {
  auto token = request_token(req, allow_query);
  if (!token || token->empty()) return std::nullopt;
  return authenticate_token(app, *token);
}

void check_auth_failures(App& app, const Request& req) {
  auto key = "addr " + req.remote;
  if (app.rate_limiter.available(RateLimiter::Kind::AuthFailure, key)) return;
  auto d = app.rate_limiter.take(RateLimiter::Kind::AuthFailure, key);  // refused: only computes Retry-After
  throw Error(ErrorKind::TooManyRequests, "Too many failed authentications from this address")
      .with_retry_after(d ? d->retry_after_s : 60);
}

void count_auth_failure(App& app, const Request& req) {
  app.rate_limiter.take(RateLimiter::Kind::AuthFailure, "addr " + req.remote);
}

std::string redact_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  auto query = target.substr(q + 1);
  std::size_t i = 0;
  while (i <= query.size()) {
    auto j = std::min(query.find('&', i), query.size());
    auto pair = query.substr(i, j - i);
    auto eq = pair.find('=');
    auto name = url_decode(pair.substr(0, eq));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (eq != std::string_view::npos && (name == "token" || name == "sig" || name == "key" || name == "api_key"))
      out.append(pair.substr(0, eq + 1)).append("REDACTED");
    else
      out.append(pair);
    if (j < query.size()) out += '&';
    i = j + 1;
  }
  return out;
}

namespace {

constexpr const char* kExposeHeaders =
    "ETag, Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id, "
    "Content-Disposition, Content-Range, Accept-Ranges";
constexpr const char* kAllowHeaders =
    "Authorization, Content-Type, If-None-Match, If-Range, Range, X-API-Key, X-Request-Id";

// What run() learned that dispatch() needs after the handler (or its error).
struct Context {
  const Route* route = nullptr;
  std::optional<RateLimitDecision> limit;
  const char* x_cache = nullptr;  // "hit" | "miss" on cacheable routes
};

bool is_read(const std::string& method) { return method == "GET" || method == "HEAD"; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The Access-Control-Allow-Origin value for `origin` under cors.allowed_origins: the origin itself when
// listed, "*" when "*" is listed, "" when not allowed (or CORS is off).
std::string allowed_origin(std::string_view list, std::string_view origin) {
  bool any = false;
  std::size_t i = 0;
  while (i < list.size()) {
    auto j = std::min(list.find(',', i), list.size());
    auto item = trim(list.substr(i, j - i));
    while (item.size() > 1 && item.back() == '/') item.remove_suffix(1);
    if (item == "*") any = true;
    else if (!item.empty() && item == origin) return std::string(origin);
    i = j + 1;
  }
  return any ? "*" : "";
}

// ETag on a 200 JSON answer to GET/HEAD that has none yet (web assets and blobs set their own).
void add_etag(const Request& req, Response& res) {
  if (!is_read(req.method) || res.status != 200 || !res.file_path.empty()) return;
  if (res.content_type.rfind("application/json", 0) != 0) return;
  for (const auto& [k, v] : res.headers)
    if (k == "ETag") return;
  res.header("ETag", etag_for(res.body));
}

// 200 with an ETag the client already has -> 304 without a body.
void not_modified(const Request& req, Response& res) {
  if (!is_read(req.method) || res.status != 200) return;
  auto inm = req.header("if-none-match");
  if (!inm) return;
  for (const auto& [k, v] : res.headers) {
    if (k == "ETag" && etag_matches(*inm, v)) {
      res.status = 304;
      res.body.clear();
      res.file_path.clear();
      res.content_type.clear();
      return;
    }
  }
}

// OPTIONS on a path that has routes: the CORS preflight (with Origin) or a plain Allow answer.
Response preflight(App& app, const Request& req, const std::vector<std::string>& methods) {
  std::string list;
  for (const auto& m : methods) list += (list.empty() ? "" : ", ") + m;
  list += ", OPTIONS";
  auto origin = req.header("origin");
  if (!origin) return Response::empty(204).header("Allow", list);
  if (allowed_origin(app.config.cors.allowed_origins, *origin).empty())
    throw Error(ErrorKind::Forbidden, "Origin " + std::string(*origin) + " is not allowed");
  auto r = Response::empty(204);
  r.header("Allow", list);
  r.header("Access-Control-Allow-Methods", list);
  r.header("Access-Control-Allow-Headers", kAllowHeaders);
  r.header("Access-Control-Max-Age", "600");
  return r;
}

Response run(App& app, Request& req, std::string& route_label, Context& ctx) {
  auto m = app.router.match(req.method, req.path, req.params);
  if (!m.route) {
    if (req.method == "OPTIONS" && !m.allowed.empty()) {
      route_label = "(preflight)";
      return preflight(app, req, m.allowed);
    }
    if (!m.allowed.empty()) {
      std::string allow;
      for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      route_label = "(method not allowed)";
      return error_response(Error(ErrorKind::MethodNotAllowed, "Method " + req.method + " not allowed"))
          .header("Allow", allow);
    }
    if (app.router.fallback() && (req.method == "GET" || req.method == "HEAD")) {
      route_label = "(web)";
      return app.router.fallback()(req);
    }
    route_label = "(not found)";
    throw Error(ErrorKind::NotFound, "No route for " + req.path);
  }
  route_label = m.route->pattern;
  ctx.route = m.route;
  req.body_schema = m.route->body;  // checked when the handler reads the body (Request::json)
  const bool read = is_read(req.method);

  // Rate limit first: the key is the credential string itself, so a refused request costs no database
  // read. Authenticated routes: per credential, read and write buckets; public writes (sign-up, log-in):
  // per client address, and so are the public reads that ask for it (RouteOptions::limit_reads); other
  // public reads (health, web app, openapi) are not limited.
  std::optional<std::string> token;
  if (m.route->access == Access::Authenticated) {
    token = request_token(req);
    if (!token) throw Error(ErrorKind::Unauthorized, "Authentication required");
    ctx.limit = app.rate_limiter.take(read ? RateLimiter::Kind::Read : RateLimiter::Kind::Write, *token);
  } else if (!read || m.route->limit_reads) {
    ctx.limit = app.rate_limiter.take(read ? RateLimiter::Kind::Read : RateLimiter::Kind::Write, "addr " + req.remote);
  }
  if (ctx.limit && !ctx.limit->allowed)
    throw Error(ErrorKind::TooManyRequests, "Too many requests").with_retry_after(ctx.limit->retry_after_s);

  if (token) {
    // An address that keeps sending wrong credentials is refused before its next one costs a lookup.
    check_auth_failures(app, req);
    req.principal = token->empty() ? std::nullopt : authenticate_token(app, *token);
    if (!req.principal) {
      count_auth_failure(app, req);
      throw Error(ErrorKind::Unauthorized, "Invalid or expired credentials");
    }
  }

  if (read && req.principal && m.route->cache) {
    ctx.x_cache = "miss";
    if (app.cache.enabled()) {
      // Per requester: authorization was decided for this requester, and its own generation moves with
      // its role or deletion.
      auto key = req.principal->tenant_id + '\n' + req.principal->account_id + '\n' + req.target;
      if (auto hit = app.cache.find(key)) {
        ctx.x_cache = "hit";
        return std::move(*hit);
      }
      auto it = req.params.find("id");
      auto stamp = app.cache.stamp(it == req.params.end() ? "" : it->second, req.principal->account_id);
      auto res = m.route->handler(req);
      add_etag(req, res);  // hashed once, kept with the entry
      app.cache.store(key, res, stamp);
      return res;
    }
  }
  return m.route->handler(req);
}

void add_cors(App& app, const Request& req, Response& res) {
  const auto& list = app.config.cors.allowed_origins;
  if (list.empty()) return;
  auto origin = req.header("origin");
  if (!origin) return;
  res.header("Vary", "Origin");
  auto allow = allowed_origin(list, *origin);
  if (allow.empty()) return;
  res.header("Access-Control-Allow-Origin", allow);
  res.header("Access-Control-Expose-Headers", kExposeHeaders);
}

}  // namespace

Response dispatch(App& app, Request& req) {
  auto t0 = std::chrono::steady_clock::now();
  std::string route_label = "(unmatched)";
  Context ctx;
  Response res;
  try {
    res = run(app, req, route_label, ctx);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Internal) spdlog::error("request {} {} {}: {}", req.request_id, req.method, req.path, e.what());
    res = e.kind() == ErrorKind::Internal ? error_response(Error(ErrorKind::Internal, "Internal server error"))
                                          : error_response(e);
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {}: unexpected exception: {}", req.request_id, req.method, req.path, e.what());
    res = error_response(Error(ErrorKind::Internal, "Internal server error"));
  }
  try {
    add_etag(req, res);
    not_modified(req, res);
    if (ctx.limit) {
      res.header("RateLimit-Limit", std::to_string(ctx.limit->limit));
      res.header("RateLimit-Remaining", std::to_string(ctx.limit->remaining));
      res.header("RateLimit-Reset", std::to_string(ctx.limit->reset_s));
    }
    if (ctx.x_cache) res.header("X-Cache", ctx.x_cache);
    add_cors(app, req, res);
  } catch (const std::exception& e) {  // allocation failure at worst; never let dispatch throw
    spdlog::error("request {} {} {}: after the handler: {}", req.request_id, req.method, req.path, e.what());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  app.metrics.observe(route_label, req.method, res.status, secs);
  if (app.config.log.access_log)
    spdlog::info("{} {} {} {} {} {:.2f}ms {}B", req.request_id, req.remote, req.method, redact_target(req.target), res.status,
                 secs * 1e3, res.body.size());
  res.header("X-Request-Id", req.request_id);
  return res;
}

}  // namespace cadenza::http
