#pragma once
// InProcess: the application `cadenza serve` runs (http::Application, the same builder), over a fresh
// data directory, driven by calling dispatch() directly: no sockets, no process, no port. For route
// behaviour (validation, authorization, caching, what the store holds afterwards); transport behaviour
// (framing, limits, WebSockets, slow clients) stays with the real-socket tests (tests/http/test_server).
#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
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
#include "support/client.hpp"
#include "support/openapi_check.hpp"
#include "support/temp_dir.hpp"

namespace cadenza::test {

class InProcess : public Client {
 public:
  // `tweak` adjusts the configuration (embedded defaults, rate limits off) before the application is built.
  explicit InProcess(const std::function<void(config::Config&)>& tweak = {}) {
    cfg_.ratelimit.read_per_s = cfg_.ratelimit.write_per_s = 0;
    if (tweak) tweak(cfg_);
    start();
  }
  // The configuration `cadenza serve --set K=V ...` would run with (config/cadenza.toml, then these), as
  // ServerProcess's "--set" arguments give it; rate limits as configured.
  explicit InProcess(const std::vector<std::string>& sets) {
    config::LoadOptions opts;
    for (const auto& kv : sets) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) throw std::invalid_argument("InProcess: expected key=value, got " + kv);
      opts.flags.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    cfg_ = config::load(opts);
    start();
  }
  ~InProcess() override {
    app_->jobs().stop(std::chrono::milliseconds(0));
    app_.reset();
  }
  InProcess(const InProcess&) = delete;
  InProcess& operator=(const InProcess&) = delete;

  http::Application& application() { return *app_; }
  http::App& app() const { return app_->app(); }
  const config::Config& config() const { return cfg_; }
  const std::string& data_dir() const { return cfg_.storage.data_dir; }

  // One request through dispatch, as the HTTP session would hand it over (a file response's file is read).
  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {}) const override {
    http::Request req;
    req.method = method;
    req.set_target(target);
    bool has_type = false;
    for (const auto& [k, v] : headers) {
      std::string name = k;
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      has_type = has_type || name == "content-type";
      req.headers.emplace_back(name, v);
    }
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.body = body;
      if (!has_type) req.headers.emplace_back("content-type", "application/json");
    }
    return finish(req);
  }

  // An upload route: the body goes through the same spool (UploadSpool) as one read from a socket.
  HttpResult upload(const std::string& target, const std::string& token, std::string_view bytes,
                    const std::string& content_type = "application/octet-stream") const {
    return upload_with(target, {{"authorization", "Bearer " + token}}, bytes, content_type);
  }
  // The same with other credentials: `headers` (lower-case names) beside the Content-Type.
  HttpResult upload_with(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers,
                         std::string_view bytes, const std::string& content_type = "application/octet-stream") const {
    http::Request req;
    req.method = "POST";
    req.set_target(target);
    req.headers = {{"content-type", content_type}};
    req.headers.insert(req.headers.end(), headers.begin(), headers.end());
    http::UploadSpool spool(app().blobs, content_type);
    spool.write(bytes);
    req.upload = spool.finish();
    return finish(req);
  }

  struct User {
    std::string id;
    std::string token;
  };
  // Client::signup_login, as a struct.
  User sign_up(const std::string& name) const {
    auto [id, token] = signup_login(name);
    return {id, token};
  }

  // The server's operator, as `cadenza user add --operator` makes it; returns a log-in token.
  std::string add_operator(const std::string& username, const std::string& password) const {
    app().control.create_account({"", username, "Server", "Operator", username + "@example.com", "+15550000000",
                                  "operator", password});
    auto l = post("/api/auth/login", {{"login", username}, {"password", password}});
    if (l.status != 200) throw std::runtime_error("operator log-in failed: " + l.body);
    return l.json()["token"].get<std::string>();
  }

 private:
  void start() {
    cfg_.storage.data_dir = dir_.storage().data_dir;
    app_ = std::make_unique<http::Application>(cfg_);
    app_->start();  // as serve does: the lanes' workers run the jobs
    app_->app().ready = true;
  }

  // Dispatches, and checks the answer against the documented response (support/openapi_check.hpp).
  HttpResult finish(http::Request& req) const {
    req.request_id = new_uuid();
    req.remote = "127.0.0.1";
    auto res = http::dispatch(app(), req);
    HttpResult out;
    out.status = res.status;
    for (const auto& [k, v] : res.headers) {
      std::string name = k;
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = v;
    }
    if (!res.content_type.empty() && res.status != 204 && res.status != 304) out.headers["content-type"] = res.content_type;
    out.body = res.body;
    if (!res.file_path.empty()) {  // the part of the file the session would send (Response::file_offset/length)
      std::ifstream in(res.file_path, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(res.file_offset));
      out.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (res.file_length && *res.file_length < out.body.size()) out.body.resize(*res.file_length);
    }
    check_response(req.method, req.target, out.status, out.header("content-type"), out.body);
    return out;
  }

  TempDir dir_;  // removed last, after the application
  config::Config cfg_;
  std::unique_ptr<http::Application> app_;
};

}  // namespace cadenza::test
