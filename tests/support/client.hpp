#pragma once
// Client: what a test says to the server, the same whether the server is the real binary on a socket
// (ServerProcess, tests/http/test_server.hpp: transport behaviour) or the application called in process
// (InProcess, support/in_process.hpp: route behaviour, no sockets). Both check every answer against the
// documented response (support/openapi_check.hpp).
#include <nlohmann/json.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace cadenza::test {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class Client {
 public:
  virtual ~Client() = default;
  // One request; a body on POST/PUT/PATCH goes as application/json unless headers name a Content-Type.
  virtual HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                             const std::map<std::string, std::string>& headers = {}) const = 0;

  HttpResult get(const std::string& target, const std::string& token = "") const {
    return request("GET", target, "", auth(token));
  }
  HttpResult post(const std::string& target, const nlohmann::json& body, const std::string& token = "") const {
    return request("POST", target, body.dump(), auth(token));
  }
  HttpResult put(const std::string& target, const nlohmann::json& body, const std::string& token = "") const {
    return request("PUT", target, body.dump(), auth(token));
  }
  HttpResult del(const std::string& target, const std::string& token = "") const {
    return request("DELETE", target, "", auth(token));
  }
  // PATCH with a JSON body; Content-Type application/merge-patch+json unless told otherwise.
  HttpResult patch(const std::string& target, const nlohmann::json& body, const std::string& token = "",
                   const std::string& content_type = "application/merge-patch+json") const {
    auto h = auth(token);
    h["Content-Type"] = content_type;
    return request("PATCH", target, body.dump(), h);
  }

  // Signs up and logs in a fresh account (in tenant_id, by admin_token, when given); returns {profileId, token}.
  std::pair<std::string, std::string> signup_login(const std::string& name, const std::string& tenant_id = "",
                                                   const std::string& admin_token = "") const {
    nlohmann::json body = {{"username", name},       {"firstName", "Test"},
                           {"lastName", "User"},     {"email", name + "@example.com"},
                           {"phoneNumber", "+15550000000"}, {"password", "password-" + name}};
    if (!tenant_id.empty()) body["tenantId"] = tenant_id;
    auto r = post("/api/profiles", body, admin_token);
    if (r.status != 201) throw std::runtime_error("signup failed: " + std::to_string(r.status) + " " + r.body);
    auto l = post("/api/auth/login", {{"login", name}, {"password", "password-" + name}});
    if (l.status != 200) throw std::runtime_error("login failed: " + l.body);
    return {r.json()["profileId"].get<std::string>(), l.json()["token"].get<std::string>()};
  }

  static std::map<std::string, std::string> auth(const std::string& token) {
    if (token.empty()) return {};
    return {{"Authorization", "Bearer " + token}};
  }
};

}  // namespace cadenza::test
