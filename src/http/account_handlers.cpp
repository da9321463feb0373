// Profiles (= accounts), log-in, API keys, tenants.
#include <regex>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/core/password_policy.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/views.hpp"
#include "cadenza/store/variable_repo.hpp"
#include "cadenza/core/schema.hpp"
#include "json_fields.hpp"
#include "profile_scope.hpp"

namespace cadenza::http {
namespace {

const std::regex& email_re() {
  static const std::regex re(R"(^[^@\s"<>]+@[^@\s"<>.]+(\.[^@\s"<>.]+)+$)");
  return re;
}
const std::regex& phone_re() {  // E.164-style: a country code is mandatory
  static const std::regex re(R"(^\+[1-9][0-9 ()-]{6,20}$)");
  return re;
}
const std::regex& username_re() {
  static const std::regex re(R"(^[A-Za-z0-9_.-]{3,32}$)");
  return re;
}

std::string lower(std::string x) {
  for (auto& c : x) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return x;
}

// The account behind {id}, visible to itself and to admins of the same tenant; 404 / 403 otherwise.
store::Account account_for(App& app, const Request& req) {
  auto acc = app.control.find_account(detail::profile_id(app, req));
  if (!acc) throw Error(ErrorKind::NotFound, "Profile " + req.params.at("id") + " not found");
  return *acc;
}

// The profile fields: a sign-up (everything required) and a PUT (email and password optional; the handler
// compares the email, id and role with the stored ones), checked the same way.
void profile_rules(const nlohmann::json& j, Validation& v, bool creating) {
  if (auto u = schema::text(j, "username", v); u && !std::regex_match(*u, username_re()))
    v.fail("username", "Username must be 3-32 letters, digits, '_', '.' or '-'");
  if (auto e = schema::text(j, "email", v); creating && e && !std::regex_match(*e, email_re()))
    v.fail("email", "Invalid email format");
  if (auto p = schema::text(j, "phoneNumber", v); p && !std::regex_match(*p, phone_re()))
    v.fail("phoneNumber", "Phone number must start with + and a country code");
}

nlohmann::json profile_members(bool creating) {
  using namespace schema;
  return object({
      {"username", with(string(32), "pattern", "^[A-Za-z0-9_.-]{3,32}$"), Required},
      {"firstName", string(100, 1), Required},
      {"lastName", string(100, 1), Required},
      {"email", with(string(254), "format", "email"), creating ? Required : Optional},
      {"phoneNumber", string(32), Required},
      {"password", string(1024), creating ? Required : Optional},
  });
}

const schema::Body kNewProfile{"NewProfile", [] {
  auto s = profile_members(true);
  s["properties"]["tenantId"] = schema::string(36);
  s["properties"]["role"] = schema::enumeration({"admin", "user"});
  return s;
}(), [](const nlohmann::json& j, Validation& v) {
  profile_rules(j, v, true);
  auto given = [&](const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : ""; };
  if (auto p = schema::text(j, "password", v))
    if (auto problem = password_problem(*p, given("username"), given("email"))) v.fail("password", *problem);
}};

const schema::Body kProfileUpdate{"ProfileUpdate", [] {
  auto s = profile_members(false);
  for (const char* key : {"id", "role", "createdAt", "updatedAt"})
    s["properties"][key] = schema::with(schema::string(64), "readOnly", true);
  return s;
}(), [](const nlohmann::json& j, Validation& v) { profile_rules(j, v, false); }};

const schema::Body kLogin{"Login", schema::object({{"login", schema::string(254)},
                                                   {"email", schema::string(254)},
                                                   {"username", schema::string(254)},
                                                   {"password", schema::string(1024), schema::Required}}),
                          [](const nlohmann::json& j, Validation& v) {
                            bool any = false;
                            for (const char* key : {"login", "email", "username"})
                              any = any || (j.contains(key) && !j[key].is_null());
                            if (!any) v.fail("login", "is required (email or username)");
                          }};

const schema::Body kNewApiKey{"NewApiKeyRequest",
                              schema::object({{"name", schema::with(schema::string(100), "default", "api key")}})};

const schema::Body kNewTenant{"NewTenant", schema::object({{"name", schema::string(100, 1), schema::Required}})};

Response create_profile(App& app, Request& req) {
  const auto& j = req.json();  // checked against kNewProfile
  Validation v;
  // Everyone may sign up as a user of the default tenant. A tenant's admin may add users and admins to its
  // own tenant; only the server's operator may add accounts to any other tenant (README "Roles").
  std::string tenant_id = app.control.default_tenant().id;
  std::string role = "user";
  if (j.contains("tenantId") || j.contains("role")) {
    auto who = authenticate_request(app, req);
    if (!who || !who->is_admin()) throw Error(ErrorKind::Forbidden, "Only admins may set tenantId or role");
    tenant_id = who->tenant_id;
    if (auto t = schema::text(j, "tenantId", v)) {
      if (*t != who->tenant_id && !who->is_operator())
        throw Error(ErrorKind::Forbidden, "Admins may create accounts only in their own tenant");
      if (!app.control.find_tenant(*t)) v.fail("tenantId", "Unknown tenant");
      tenant_id = *t;
    }
    if (auto r = schema::text(j, "role", v)) role = *r;
  }
  v.throw_if_failed();
  auto str = [&](const char* key) { return j.at(key).get<std::string>(); };
  auto acc = app.control.create_account({tenant_id, str("username"), str("firstName"), str("lastName"), str("email"),
                                         str("phoneNumber"), role, str("password")});
  return Response::json(201, {{"message", "Profile created successfully"}, {"profileId", acc.id}})
      .header("Location", "/api/profiles/" + acc.id);
}

// PUT: full replacement of the mutable fields (username, names, phone; password optional). The email and
// the id are immutable.
Response replace_profile(App& app, Request& req) {
  auto acc = account_for(app, req);
  const auto& j = req.json();  // checked against kProfileUpdate
  Validation v;
  auto email = schema::text(j, "email", v);
  auto id = schema::text(j, "id", v);
  auto password = schema::text(j, "password", v);
  if (email && lower(*email) != lower(acc.email)) v.fail("email", "Email cannot be changed");
  if (id && *id != acc.id) v.fail("id", "Id cannot be changed");
  if (j.contains("role") && !j["role"].is_null() && j["role"] != acc.role) v.fail("role", "is read-only");
  if (password)
    if (auto problem = password_problem(*password, j.at("username").get<std::string>(), acc.email))
      v.fail("password", *problem);
  v.throw_if_failed();
  auto updated = acc;
  updated.username = j.at("username").get<std::string>();
  updated.first_name = j.at("firstName").get<std::string>();
  updated.last_name = j.at("lastName").get<std::string>();
  updated.phone = j.at("phoneNumber").get<std::string>();
  // In the order the body names them (an ordered parse of the same, already validated body).
  auto changed = nlohmann::json::array();
  const auto ordered = nlohmann::ordered_json::parse(req.body);
  for (const auto& [key, _] : ordered.items()) {
    if ((key == "username" && updated.username != acc.username) ||
        (key == "firstName" && updated.first_name != acc.first_name) ||
        (key == "lastName" && updated.last_name != acc.last_name) ||
        (key == "phoneNumber" && updated.phone != acc.phone) || key == "password")
      changed.push_back(key);
  }
  app.control.update_account(updated);
  if (password) app.control.set_password(acc.id, *password);
  // Log-in tokens stay valid until they expire (they are not stored); WebSockets re-authenticate.
  if (password && app.revoke_sessions) app.revoke_sessions(acc.id);
  return Response::json(200, {{"message", "Profile updated successfully"}, {"profileId", acc.id},
                              {"updatedFields", changed}});
}

// DELETE: refuses (409, listing them) while the profile has preferences, tune vectors or variables, unless
// ?cascade=true. Its jobs and files go with it either way. store::ProfileDeletion does the deleting (its
// order and recovery rule: a failure leaves the profile gone for its users and finished later).
Response delete_profile(App& app, Request& req) {
  auto acc = account_for(app, req);
  bool cascade = detail::query_bool(req.query_param("cascade"), "cascade", false);
  auto counts_json = [](const store::DependentCounts& c) {
    nlohmann::json out{{"preferences", 0}, {"tuneVectors", 0}, {"variables", 0}};
    for (const auto& [key, n] : c) out[key] = n;
    return out;
  };
  app.deletions.resume();
  if (auto counts = app.deletions.dependents(acc.tenant_id, acc.id); !counts.empty() && !cascade)
    return Response::json(409, {{"message", "Profile still has preferences, tune vectors or variables; delete them "
                                            "or use ?cascade=true"},
                                {"dependents", counts_json(counts)}});
  auto deleted = app.deletions.delete_profile(acc.id);
  if (app.revoke_sessions) app.revoke_sessions(acc.id);
  return Response::json(200, {{"message", "Profile deleted"}, {"profileId", acc.id}, {"deleted", counts_json(deleted)}});
}

Response login(App& app, Request& req) {
  const auto& j = req.json();  // checked against kLogin
  std::optional<std::string> login;
  for (const char* key : {"login", "email", "username"})
    if (j.contains(key) && j[key].is_string()) {
      login = j[key].get<std::string>();
      break;
    }
  auto password = j.at("password").get<std::string>();
  // Failed log-ins count per client address (like any wrong credential) and per account (LoginThrottle):
  // both are checked before the password is, so a refused guess learns nothing.
  check_auth_failures(app, req);
  auto known = app.control.find_account_by_login(*login);
  std::string throttle_key = known ? known->id : "login " + lower(*login);
  if (int wait = app.login_throttle.wait_s(throttle_key); wait > 0)
    throw Error(ErrorKind::TooManyRequests, "Too many failed log-ins for this account; try again later")
        .with_retry_after(wait);
  auto acc = app.control.authenticate(*login, password);
  if (!acc) {
    app.login_throttle.failed(throttle_key);
    count_auth_failure(app, req);
    throw Error(ErrorKind::Unauthorized, "Invalid login or password");
  }
  app.login_throttle.succeeded(throttle_key);
  auto issued = app.tokens.issue({acc->id, acc->tenant_id, acc->role}, now_ms());
  return Response::json(200, {{"token", issued.token}, {"expiresAt", iso8601(issued.expires_at_ms)},
                              {"profileId", acc->id}});
}
}  // namespace

void add_account_routes(App& app) {
  auto& r = app.router;
  // Both hash a password with argon2id (tens of ms of CPU): they run on the blocking pool.
  r.add("POST", "/api/profiles", [&app](Request& req) { return create_profile(app, req); },
        {.access = Access::Public, .blocking = true, .body = &kNewProfile});
  r.add("GET", "/api/profiles", [&app](Request& req) {
    if (!req.who().is_admin()) throw Error(ErrorKind::Forbidden, "Only admins may list profiles");
    auto list = nlohmann::json::array();
    for (const auto& a : app.control.accounts(req.who().tenant_id)) list.push_back(account_json(a));
    return Response::json(200, {{"profiles", list}});
  });
  r.add("GET", "/api/profiles/{id}", [&app](Request& req) { return Response::json(200, account_json(account_for(app, req))); },
        {.cache = true});
  r.add("PUT", "/api/profiles/{id}", [&app](Request& req) { return replace_profile(app, req); },
        {.blocking = true, .body = &kProfileUpdate});
  r.add("DELETE", "/api/profiles/{id}", [&app](Request& req) { return delete_profile(app, req); });
  r.add("POST", "/api/auth/login", [&app](Request& req) { return login(app, req); },
        {.access = Access::Public, .blocking = true, .body = &kLogin});

  r.add("POST", "/api/auth/api-keys", [&app](Request& req) {
    const auto& j = req.json();
    auto name = j.contains("name") && !j["name"].is_null() ? j["name"].get<std::string>() : "api key";
    auto [key, secret] = app.control.create_api_key(req.who().account_id, name);
    return Response::json(201, {{"id", key.id}, {"name", key.name}, {"prefix", key.prefix}, {"key", secret},
                                {"createdAt", iso8601(key.created_at)}});
  }, {.body = &kNewApiKey});
  r.add("GET", "/api/auth/api-keys", [&app](Request& req) {
    auto list = nlohmann::json::array();
    for (const auto& k : app.control.api_keys(req.who().account_id))
      list.push_back({{"id", k.id}, {"name", k.name}, {"prefix", k.prefix}, {"createdAt", iso8601(k.created_at)},
                      {"lastUsedAt", k.last_used_at ? nlohmann::json(iso8601(k.last_used_at)) : nlohmann::json(nullptr)}});
    return Response::json(200, {{"apiKeys", list}});
  });
  r.add("DELETE", "/api/auth/api-keys/{id}", [&app](Request& req) {
    app.control.revoke_api_key(req.who().account_id, req.params.at("id"));
    // A socket does not say which credential opened it: the account's sockets close and reconnect.
    if (app.revoke_sessions) app.revoke_sessions(req.who().account_id);
    return Response::empty(204);
  });

  r.add("POST", "/api/tenants", [&app](Request& req) {
    if (!req.who().is_operator()) throw Error(ErrorKind::Forbidden, "Only the server's operator may create tenants");
    auto t = app.control.create_tenant(req.json().at("name").get<std::string>());
    return Response::json(201, {{"tenantId", t.id}, {"name", t.name}});
  }, {.body = &kNewTenant});
}

}  // namespace cadenza::http
