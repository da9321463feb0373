// Security rules found by an adversarial run (issue 9): roles across tenants, bounded and promptly cancelled
// jobs, log-in back-off, common passwords, failed authentications per address, payloads checked at submit,
// the Bearer scheme, secrets kept out of logs, and private file modes. The real server on 127.0.0.1.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "test_server.hpp"

using namespace cadenza::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

json new_profile(const std::string& name) {
  return {{"username", name},         {"firstName", "T"},
          {"lastName", "U"},          {"email", name + "@example.com"},
          {"phoneNumber", "+15550000000"}, {"password", "password-" + name}};
}

std::string login(const ServerProcess& s, const std::string& name, const std::string& password) {
  auto r = s.post("/api/auth/login", {{"login", name}, {"password", password}});
  REQUIRE(r.status == 200);
  return r.json()["token"].get<std::string>();
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

const std::vector<std::string> kUnlimited = {"--set", "ratelimit.read_per_s=0", "--set", "ratelimit.write_per_s=0"};

}  // namespace

TEST_CASE("roles: a tenant admin manages only its own tenant; only the operator creates tenants and their admins") {
  TempDir dir;
  add_operator(dir.str(), "root", "root-password");
  ServerProcess s(dir.str(), kUnlimited);
  auto op = login(s, "root", "root-password");
  auto tenant_of = [&](const std::string& body) {
    auto r = s.post("/api/tenants", {{"name", body}}, op);
    REQUIRE(r.status == 201);
    return r.json()["tenantId"].get<std::string>();
  };
  auto a = tenant_of("Business A"), b = tenant_of("Business B");
  auto with = [](json body, const std::string& tenant, const std::string& role) {
    body["tenantId"] = tenant;
    body["role"] = role;
    return body;
  };
  // The operator makes each tenant's first admin.
  REQUIRE(s.post("/api/profiles", with(new_profile("admin-a"), a, "admin"), op).status == 201);
  REQUIRE(s.post("/api/profiles", with(new_profile("admin-b"), b, "admin"), op).status == 201);
  auto admin_a = login(s, "admin-a", "password-admin-a"), admin_b = login(s, "admin-b", "password-admin-b");
  auto [alice_id, alice] = s.signup_login("alice-a", a, admin_a);
  auto job = s.post("/api/jobs", {{"kind", "demo"}, {"payload", {{"steps", 1}, {"stepMs", 0}}}}, alice);
  REQUIRE(job.status == 202);
  auto job_id = job.json()["job"]["id"].get<std::string>();

  // B's admin cannot make accounts in A (as admin or user), nor tenants, nor operators anywhere.
  auto into_a = s.post("/api/profiles", with(new_profile("evil"), a, "admin"), admin_b);
  CHECK(into_a.status == 403);
  CHECK(s.post("/api/profiles", with(new_profile("evil2"), a, "user"), admin_b).status == 403);
  CHECK(s.post("/api/tenants", {{"name", "mine"}}, admin_b).status == 403);
  CHECK(s.post("/api/profiles", with(new_profile("evil3"), b, "operator"), admin_b).status == 400);
  CHECK(s.post("/api/profiles", with(new_profile("evil4"), b, "operator"), op).status == 400);
  CHECK(s.post("/api/auth/login", {{"login", "evil"}, {"password", "password-evil"}}).status == 401);
  // ...but manages its own: users and admins of B.
  auto own = s.post("/api/profiles", with(new_profile("second-b"), b, "admin"), admin_b);
  CHECK(own.status == 201);
  auto implicit = new_profile("third-b");
  implicit["role"] = "user";  // no tenantId: the admin's own tenant, not the default one
  REQUIRE(s.post("/api/profiles", implicit, admin_b).status == 201);
  auto rows = sqlite_query(dir.str() + "/control.db", "SELECT tenant_id FROM accounts WHERE username = 'third-b'");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == b);

  // Every admin route, from B's admin, on A's data: not found or forbidden, never A's data.
  auto listed = s.get("/api/profiles", admin_b);
  REQUIRE(listed.status == 200);
  auto listed_ids = listed.json()["profiles"];
  CHECK(listed_ids.size() == 3);  // admin-b, second-b, third-b
  for (const auto& p : listed_ids) CHECK(p["id"] != alice_id);
  CHECK(s.get("/api/profiles/" + alice_id, admin_b).status == 404);
  CHECK(s.put("/api/profiles/" + alice_id, {{"username", "x1"}, {"firstName", "X"}, {"lastName", "Y"},
                                            {"phoneNumber", "+15550000000"}}, admin_b).status == 404);
  CHECK(s.del("/api/profiles/" + alice_id + "?cascade=true", admin_b).status == 404);
  CHECK(s.get("/api/profiles/" + alice_id + "/preferences", admin_b).status == 404);
  CHECK(s.post("/api/profiles/" + alice_id + "/variables", {{"name", "heart_rate"}}, admin_b).status == 404);
  CHECK(s.get("/api/jobs/" + job_id, admin_b).status == 404);
  CHECK(s.del("/api/jobs/" + job_id, admin_b).status == 404);
  auto b_jobs = s.get("/api/jobs?all=true", admin_b).json()["jobs"];
  CHECK(b_jobs.empty());
  WsClient ws(s.port(), admin_b);
  REQUIRE(ws.next(5s));
  ws.send({{"type", "subscribe"}, {"jobId", job_id}});
  auto answer = ws.next(5s);
  REQUIRE(answer);
  CHECK((*answer)["type"] == "error");
  // A's admin still sees A's profile and job; the operator is no reader of other tenants.
  CHECK(s.get("/api/profiles/" + alice_id, admin_a).status == 200);
  CHECK(s.get("/api/jobs/" + job_id, admin_a).status == 200);
  CHECK(s.get("/api/profiles/" + alice_id, op).status == 404);
  CHECK(s.terminate() == 0);
}

TEST_CASE("jobs: demo payloads are checked at submit and bounded; a cancel reaches a running job within a second") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("jobber");
  auto submit = [&](const json& payload) { return s.post("/api/jobs", {{"kind", "demo"}, {"payload", payload}}, token); };
  auto huge = s.request("POST", "/api/jobs", R"({"kind":"demo","payload":{"steps":9223372036854775808}})",
                        {{"Authorization", "Bearer " + token}});
  REQUIRE(huge.status == 400);
  CHECK(huge.json()["errors"].contains("payload.steps"));
  auto week = submit({{"steps", 10000}, {"stepMs", 60000}});
  REQUIRE(week.status == 400);
  CHECK(week.json()["errors"].contains("payload.steps"));
  auto bad = submit({{"steps", "ten"}, {"stepMs", -1}, {"failAt", 1.5}});
  REQUIRE(bad.status == 400);
  for (const char* f : {"payload.steps", "payload.stepMs", "payload.failAt"}) CHECK_MESSAGE(bad.json()["errors"].contains(f), f);
  CHECK(s.get("/api/jobs", token).json()["jobs"].empty());  // nothing refused was stored

  auto slow = submit({{"steps", 5}, {"stepMs", 60000}});  // five minutes: allowed
  REQUIRE(slow.status == 202);
  auto job = slow.json()["job"]["id"].get<std::string>();
  wait_job(s, job, token, [](const json& j) { return j["state"] == "running"; });
  std::this_thread::sleep_for(200ms);  // inside its first 60 s step
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(s.del("/api/jobs/" + job, token).status == 200);
  auto done = wait_job(s, job, token, [](const json& j) { return j["state"] == "cancelled"; }, 10s);
  CHECK(done["state"] == "cancelled");
  CHECK(std::chrono::steady_clock::now() - t0 < 1500ms);
  CHECK(s.terminate() == 0);
}

TEST_CASE("log-in: per-account back-off after failures, common and blank passwords refused") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("guarded");
  for (int i = 0; i < 5; ++i)
    CHECK(s.post("/api/auth/login", {{"login", "guarded"}, {"password", "wrong-" + std::to_string(i)}}).status == 401);
  // Locked for a moment, even with the right password and the email instead of the username.
  auto locked = s.post("/api/auth/login", {{"login", "GUARDED@example.com"}, {"password", "password-guarded"}});
  CHECK(locked.status == 429);
  CHECK(std::stoi(locked.header("retry-after")) >= 1);
  // Another account is not affected.
  s.signup_login("bystander");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100 * std::stoi(locked.header("retry-after"))));
  CHECK(s.post("/api/auth/login", {{"login", "guarded"}, {"password", "password-guarded"}}).status == 200);
  // A success clears the count: five more failures before the next wait.
  CHECK(s.post("/api/auth/login", {{"login", "guarded"}, {"password", "nope-nope"}}).status == 401);
  CHECK(s.post("/api/auth/login", {{"login", "guarded"}, {"password", "password-guarded"}}).status == 200);

  for (const char* pw : {"12345678", "password", "        ", "PassWord1", "aaaaaaaaaa", "weak-user@example.com"}) {
    CAPTURE(pw);
    auto body = new_profile("weak-user");
    body["password"] = pw;
    auto r = s.post("/api/profiles", body);
    REQUIRE(r.status == 400);
    CHECK(r.json()["errors"].contains("password"));
  }
  auto change = s.put("/api/profiles/" + id, {{"username", "guarded"}, {"firstName", "T"}, {"lastName", "U"},
                                              {"phoneNumber", "+15550000000"}, {"password", "qwertyuiop"}}, token);
  CHECK(change.status == 400);
  CHECK(s.terminate() == 0);
}

TEST_CASE("failed authentications count per client address: random API keys and passwords run out") {
  TempDir dir;
  ServerProcess s(dir.str(), {"--set", "ratelimit.auth_failure_burst=5", "--set", "ratelimit.auth_failures_per_min=6"});
  auto [id, token] = s.signup_login("victim");
  int unauthorized = 0, limited = 0;
  for (int i = 0; i < 12; ++i) {
    auto r = s.get("/api/jobs", "cdz_fake_" + std::to_string(i) + "xxxxxxxxxxxxxxxx");
    unauthorized += r.status == 401;
    if (r.status == 429) {
      ++limited;
      CHECK(!r.header("retry-after").empty());
    }
  }
  CHECK(unauthorized == 5);
  CHECK(limited == 7);
  // The address is refused for credentials it has not tried yet, passwords and WebSockets included...
  CHECK(s.get("/api/jobs", token).status == 429);
  CHECK(s.post("/api/auth/login", {{"login", "victim"}, {"password", "password-victim"}}).status == 429);
  CHECK(ws_upgrade_status(s.port(), "/api/ws?token=" + token) == 429);
  // ...until a failure's worth of time has passed (6 a minute: one every 10 s), when it may try again.
  CHECK(s.get("/api/health").status == 200);
  CHECK(s.terminate() == 0);
}

TEST_CASE("Authorization: the Bearer scheme is case-insensitive and may be followed by several spaces") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("schemer");
  for (const std::string& h : {"Bearer " + token, "BEARER " + token, "bearer   " + token, "BeArEr\t" + token})
    CHECK_MESSAGE(s.request("GET", "/api/jobs", "", {{"Authorization", h}}).status == 200, h.substr(0, 10));
  CHECK(s.request("GET", "/api/jobs", "", {{"Authorization", "Basic " + token}}).status == 401);
  CHECK(s.request("GET", "/api/jobs", "", {{"Authorization", "Bearer"}}).status == 401);
  CHECK(s.request("GET", "/api/jobs", "", {{"Authorization", "Bearerx" + token}}).status == 401);
  CHECK(s.terminate() == 0);
}

TEST_CASE("logs: token and sig query values are redacted; WebSocket opens and closes are logged") {
  TempDir dir;
  ServerProcess s(dir.str(), kUnlimited);
  auto [id, token] = s.signup_login("logger");
  CHECK(s.get("/api/jobs?token=" + token + "&limit=5").status == 401);
  CHECK(s.get("/api/blobs/x/y?expires=1&sig=deadbeefsecret").status >= 400);
  CHECK(ws_upgrade_status(s.port(), "/api/ws?token=not-a-valid-" + std::string(40, 'q')) == 401);
  {
    WsClient ws(s.port(), token);
    REQUIRE(ws.next(5s));
  }
  std::this_thread::sleep_for(300ms);
  CHECK(s.terminate() == 0);
  auto log = s.log();
  CHECK(log.find(token) == std::string::npos);
  CHECK(log.find("deadbeefsecret") == std::string::npos);
  CHECK(log.find("not-a-valid-") == std::string::npos);
  CHECK(log.find("token=REDACTED&limit=5") != std::string::npos);
  CHECK(log.find("account " + id + " open") != std::string::npos);
  CHECK(log.find("account " + id + " closed") != std::string::npos);
}

TEST_CASE("files: the data directory is 0700, databases, secrets and blobs 0600") {
  TempDir dir;
  auto data = dir.str() + "/data";
  ServerProcess s(data, kUnlimited);
  auto [id, token] = s.signup_login("private");
  auto up = s.request("POST", "/api/files", std::string(1000, 'x'), {{"Authorization", "Bearer " + token}});
  REQUIRE(up.status == 201);
  CHECK(s.terminate() == 0);
  CHECK(mode_of(data) == 0700);
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data)) {
    auto name = e.path().filename().string();
    if (e.path().extension() == ".log") continue;  // written by the test fixture, not the server
    CAPTURE(e.path().string());
    CHECK(mode_of(e.path().string()) == (e.is_directory() ? 0700u : 0600u));
    ++files;
  }
  CHECK(files >= 5);  // control.db, a tenant database, secrets, a blob, their directories
}
