#pragma once
// InProcess: the application `cadenza serve` runs (http::Application, the same builder), over a fresh
// data directory, driven by calling dispatch() directly: no sockets, no process, no port. For route
// behaviour (validation, authorization, caching, what the store holds afterwards); transport behaviour
// (framing, limits, WebSockets, slow clients) stays with the real-socket tests (tests/http/test_server).
#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cadenza/config/config.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/application.hpp"
#include "http/upload_spool.hpp"
#include "support/openapi_check.hpp"
#include "support/temp_dir.hpp"

namespace cadenza::test {

class InProcess {
 public:
  // `tweak` adjusts the configuration (embedded defaults, rate limits off) before the application is built.
  explicit InProcess(const std::function<void(config::Config&)>& tweak = {}) {
    cfg_.storage.data_dir = dir_.storage().data_dir;
    cfg_.ratelimit.read_per_s = cfg_.ratelimit.write_per_s = 0;
    if (tweak) tweak(cfg_);
    app_ = std::make_unique<http::Application>(cfg_);
    app_->app().ready = true;
  }
  ~InProcess() {
    app_->jobs().stop(std::chrono::milliseconds(0));
    app_.reset();
  }
  InProcess(const InProcess&) = delete;
  InProcess& operator=(const InProcess&) = delete;

  http::Application& application() { return *app_; }
  http::App& app() { return app_->app(); }
  const config::Config& config() const { return cfg_; }

  struct Reply {
    http::Response res;
    nlohmann::json json() const { return nlohmann::json::parse(res.body, nullptr, false); }
    std::string header(std::string_view name) const {
      for (const auto& [k, v] : res.headers) {
        if (k.size() != name.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < k.size(); ++i)
          same = same && std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(name[i]));
        if (same) return v;
      }
      return "";
    }
  };

  // One request through dispatch, as the HTTP session would hand it over. A JSON body gets
  // Content-Type application/json unless `headers` names another.
  Reply call(const std::string& method, const std::string& target, const std::string& token = "",
             const nlohmann::json& body = nullptr, std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request req;
    req.method = method;
    req.set_target(target);
    for (auto& [k, v] : headers) {
      for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(k, v);
    }
    if (!body.is_null()) {
      req.body = body.dump();
      if (!req.header("content-type")) req.headers.emplace_back("content-type", "application/json");
    }
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    req.request_id = new_uuid();
    req.remote = "127.0.0.1";
    return checked(req);
  }

  // An upload route: the body goes through the same spool (UploadSpool) as one read from a socket.
  Reply upload(const std::string& target, const std::string& token, std::string_view bytes,
               const std::string& content_type = "application/octet-stream") {
    http::Request req;
    req.method = "POST";
    req.set_target(target);
    req.headers = {{"content-type", content_type}, {"authorization", "Bearer " + token}};
    http::UploadSpool spool(app().blobs, content_type);
    spool.write(bytes);
    req.upload = spool.finish();
    req.request_id = new_uuid();
    req.remote = "127.0.0.1";
    return checked(req);
  }

  struct User {
    std::string id;
    std::string token;
  };
  // Signs up `name` (a valid password) and logs in.
  User sign_up(const std::string& name) {
    const std::string password = "correct horse battery " + name;
    auto created = call("POST", "/api/profiles", "",
                        {{"username", name}, {"email", name + "@example.com"}, {"password", password},
                         {"firstName", name}, {"lastName", "Test"}, {"phoneNumber", "+15550000000"}});
    if (created.res.status != 201) throw std::runtime_error("sign-up failed: " + created.res.body);
    auto login = call("POST", "/api/auth/login", "", {{"login", name}, {"password", password}});
    if (login.res.status != 200) throw std::runtime_error("log-in failed: " + login.res.body);
    return {created.json().value("profileId", ""), login.json().value("token", "")};
  }

 private:
  // Dispatches, and checks the answer against the documented response (support/openapi_check.hpp).
  Reply checked(http::Request& req) {
    Reply r{http::dispatch(app(), req)};
    check_response(req.method, req.target, r.res.status, r.res.content_type, r.res.body);
    return r;
  }

  TempDir dir_;  // removed last, after the application
  config::Config cfg_;
  std::unique_ptr<http::Application> app_;
};

}  // namespace cadenza::test
