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
  std::optional<store::Account> account;
  if (token.rfind("cdz_", 0) == 0) {
    account = app.control.account_for_api_key(std::string(token));
  } else if (auto p = app.tokens.verify(token, now_ms())) {
    account = app.control.find_account(p->account_id);  // deleted accounts lose access at once
  }
  if (!account) return std::nullopt;
  return Principal{account->id, account->tenant_id, account->role};
}

std::optional<std::string> request_token(const Request& req, bool allow_query) {
  if (auto h = req.header("authorization")) {
    auto v = *h;
    if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) return std::string(v.substr(7));
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

namespace {

Response run(App& app, Request& req, std::string& route_label) {
  auto m = app.router.match(req.method, req.path, req.params);
  if (!m.route) {
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
  if (m.route->access == Access::Authenticated) {
    if (!request_token(req)) throw Error(ErrorKind::Unauthorized, "Authentication required");
    req.principal = authenticate_request(app, req);
    if (!req.principal) throw Error(ErrorKind::Unauthorized, "Invalid or expired credentials");
  }
  return m.route->handler(req);
}
}  // namespace

Response dispatch(App& app, Request& req) {
  auto t0 = std::chrono::steady_clock::now();
  std::string route_label = "(unmatched)";
  Response res;
  try {
    res = run(app, req, route_label);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Internal) spdlog::error("request {} {} {}: {}", req.request_id, req.method, req.path, e.what());
    res = e.kind() == ErrorKind::Internal ? error_response(Error(ErrorKind::Internal, "Internal server error"))
                                          : error_response(e);
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {}: unexpected exception: {}", req.request_id, req.method, req.path, e.what());
    res = error_response(Error(ErrorKind::Internal, "Internal server error"));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  app.metrics.observe(route_label, req.method, res.status, secs);
  if (app.config.log.access_log)
    spdlog::info("{} {} {} {} {} {:.2f}ms {}B", req.request_id, req.remote, req.method, req.target, res.status,
                 secs * 1e3, res.body.size());
  res.header("X-Request-Id", req.request_id);
  return res;
}

}  // namespace cadenza::http
