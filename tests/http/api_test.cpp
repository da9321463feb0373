// The API end to end: route behaviour on the application in process (InProcess), transport and process
// behaviour (WebSockets, restarts, signals, limits) on the real `cadenza serve` on 127.0.0.1, port 0.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "support/in_process.hpp"
#include "test_server.hpp"

using namespace cadenza::test;
using nlohmann::json;

namespace {
std::string submit_demo(const Client& s, const std::string& token, int steps, int step_ms, int* status = nullptr) {
  auto r = s.post("/api/jobs", {{"kind", "demo"}, {"payload", {{"steps", steps}, {"stepMs", step_ms}}}}, token);
  if (status) *status = r.status;
  if (r.status != 202) return "";
  return r.json()["job"]["id"].get<std::string>();
}
auto state_is(const std::string& s) {
  return [s](const json& j) { return j["state"] == s; };
}
}  // namespace

TEST_CASE("health, version, openapi, metrics, 404 and 405") {
  InProcess s(std::vector<std::string>{});
  auto h = s.get("/api/health");
  CHECK(h.status == 200);
  CHECK(h.json()["status"] == "ok");
  CHECK(h.json()["workers"].get<int>() >= 1);
  CHECK(!h.header("x-request-id").empty());
  CHECK(s.get("/api/version").json().contains("version"));
  auto api = s.get("/api/openapi.json");
  REQUIRE(api.status == 200);
  auto doc = api.json();
  CHECK(doc["openapi"] == "3.1.0");
  for (const char* path : {"/api/health", "/api/profiles", "/api/auth/login", "/api/jobs", "/api/jobs/{id}", "/api/ws",
                           "/api/files", "/api/blobs/{tenant}/{sha}", "/metrics"})
    CHECK_MESSAGE(doc["paths"].contains(path), path);
  // The job kinds declare what POST /api/jobs takes: the document is built from their registrations.
  auto& schemas = doc["components"]["schemas"];
  CHECK(schemas["NewJob"]["properties"]["kind"]["enum"] == json::array({"convert", "demo"}));  // by name
  CHECK(schemas["DemoJobPayload"]["properties"]["steps"]["maximum"] == 10000);
  for (const char* source : {"fileId", "audioUrl", "youtubeLink"})  // one of them (checked by the kind)
    CHECK(schemas["ConvertJobPayload"]["properties"].contains(source));
  CHECK(schemas["NewJob"]["properties"]["payload"]["oneOf"][1]["$ref"] == "#/components/schemas/DemoJobPayload");
  auto nf = s.get("/api/nothing-here");
  CHECK(nf.status == 404);
  CHECK(nf.json().contains("message"));
  auto na = s.request("PUT", "/api/health");
  CHECK(na.status == 405);
  CHECK(na.header("allow") == "GET");
  auto m = s.get("/metrics");
  CHECK(m.status == 200);
  CHECK(m.body.find("cadenza_http_requests_total{route=\"/api/health\",method=\"GET\",status=\"200\"} 1") != std::string::npos);
  CHECK(m.body.find("cadenza_http_request_duration_seconds_bucket{route=\"/api/health\"") != std::string::npos);
  CHECK(m.body.find("cadenza_jobs_queue_depth 0") != std::string::npos);
  CHECK(m.body.find("cadenza_jobs_workers_busy 0") != std::string::npos);
}

TEST_CASE("sign-up, log-in, 401, 403 and validation errors") {
  InProcess s(std::vector<std::string>{});
  auto bad = s.post("/api/profiles", {{"username", "x"}, {"email", "not-an-email"}, {"phoneNumber", "5551234"},
                                      {"password", "short"}, {"firstName", 3}});
  REQUIRE(bad.status == 400);
  auto errs = bad.json()["errors"];
  CHECK(bad.json()["message"] == "Validation failed");
  CHECK(errs["email"] == "Invalid email format");
  CHECK(errs["password"] == "Password must be at least 8 characters long");
  CHECK(errs.contains("phoneNumber"));
  CHECK(errs.contains("username"));
  CHECK(errs["firstName"] == "must be a string");
  CHECK(errs["lastName"] == "is required");
  CHECK(s.request("POST", "/api/profiles", "{not json").status == 400);

  auto [alice_id, alice] = s.signup_login("alice");
  auto dup = s.post("/api/profiles", {{"username", "alice2"}, {"firstName", "A"}, {"lastName", "B"},
                                      {"email", "ALICE@example.com"}, {"phoneNumber", "+15550000000"},
                                      {"password", "password-x"}});
  CHECK(dup.status == 409);
  CHECK(dup.json()["message"] == "Username or email already exists");

  CHECK(s.post("/api/auth/login", {{"login", "alice"}, {"password", "wrong-password"}}).status == 401);
  CHECK(s.post("/api/auth/login", {{"email", "alice@example.com"}, {"password", "password-alice"}}).status == 200);
  CHECK(s.get("/api/jobs").status == 401);
  CHECK(s.get("/api/jobs", "garbage.token.here").status == 401);
  auto me = s.get("/api/profiles/" + alice_id, alice);
  CHECK(me.status == 200);
  CHECK(me.json()["email"] == "alice@example.com");
  CHECK_FALSE(me.json().contains("password_hash"));

  auto [bob_id, bob] = s.signup_login("bob");
  CHECK(s.get("/api/profiles/" + alice_id, bob).status == 403);
  auto job = submit_demo(s, alice, 1, 1);
  REQUIRE(!job.empty());
  CHECK(s.get("/api/jobs/" + job, bob).status == 403);
  CHECK(s.del("/api/jobs/" + job, bob).status == 403);
  CHECK(s.get("/api/jobs/" + job, alice).status == 200);

  // API keys: shown once, work as bearer and as X-API-Key, stop working when revoked.
  auto key = s.post("/api/auth/api-keys", {{"name", "ci"}}, alice);
  REQUIRE(key.status == 201);
  auto secret = key.json()["key"].get<std::string>();
  CHECK(s.get("/api/jobs", secret).status == 200);
  CHECK(s.request("GET", "/api/jobs", "", {{"X-API-Key", secret}}).status == 200);
  auto listed = s.get("/api/auth/api-keys", alice).json()["apiKeys"];
  REQUIRE(listed.size() == 1);
  CHECK_FALSE(listed[0].contains("key"));
  CHECK(s.del("/api/auth/api-keys/" + key.json()["id"].get<std::string>(), alice).status == 204);
  CHECK(s.get("/api/jobs", secret).status == 401);

  // A deleted profile's token stops working and its email can be used again.
  CHECK(s.del("/api/profiles/" + bob_id, bob).status == 200);
  CHECK(s.get("/api/jobs", bob).status == 401);
  auto again = s.signup_login("bob");
  CHECK(again.first != bob_id);
}

TEST_CASE("a demo job reports progress over WebSocket, then succeeds") {
  TempDir dir;
  ServerProcess s(dir.str());
  auto [id, token] = s.signup_login("carol");
  CHECK(ws_upgrade_status(s.port(), "/api/ws") == 401);
  CHECK(ws_upgrade_status(s.port(), "/api/ws?token=nope") == 401);
  WsClient ws(s.port(), token);
  auto hello = ws.next();
  REQUIRE(hello);
  CHECK((*hello)["type"] == "hello");
  CHECK((*hello)["accountId"] == id);

  auto job = submit_demo(s, token, 5, 50);
  REQUIRE(!job.empty());
  std::vector<double> progress;
  auto done = ws.until([&](const json& m) {
    if (m["type"] == "job.progress" && m["job"]["id"] == job) progress.push_back(m["job"]["progress"].get<double>());
    return m["type"] == "job.state" && m["job"]["id"] == job && m["job"]["state"] == "succeeded";
  });
  REQUIRE(done);
  CHECK((*done)["job"]["result"]["completedSteps"] == 5);
  REQUIRE(progress.size() >= 2);
  CHECK(progress.back() == doctest::Approx(1.0));
  CHECK(std::is_sorted(progress.begin(), progress.end()));

  // subscribe answers with a snapshot; ping with pong; nonsense with an error message.
  ws.send({{"type", "subscribe"}, {"jobId", job}});
  auto sub = ws.until([](const json& m) { return m["type"] == "subscribed"; });
  REQUIRE(sub);
  auto snap = ws.next();
  REQUIRE(snap);
  CHECK((*snap)["job"]["state"] == "succeeded");
  ws.send({{"type", "ping"}});
  CHECK(ws.until([](const json& m) { return m["type"] == "pong"; }));
  ws.send({{"type", "bogus"}});
  CHECK(ws.until([](const json& m) { return m["type"] == "error"; }));

  // Another account's socket hears nothing of carol's jobs and cannot subscribe to them.
  auto [did, dave] = s.signup_login("dave");
  WsClient other(s.port(), dave, /*header_auth=*/true);
  CHECK(other.next());  // hello
  other.send({{"type", "subscribe"}, {"jobId", job}});
  auto refused = other.next();
  REQUIRE(refused);
  CHECK((*refused)["type"] == "error");
  auto job2 = submit_demo(s, token, 1, 1);
  wait_job(s, job2, token, state_is("succeeded"));
  auto leak = other.until([&](const json& m) { return m.contains("job") && m["job"]["id"] == job2; },
                          std::chrono::milliseconds(500));
  CHECK_FALSE(leak);
}

TEST_CASE("cancel a queued and a running job; failures keep their reason") {
  TempDir dir;
  ServerProcess s(dir.str(), {"--workers", "1"});
  auto [id, token] = s.signup_login("erin");
  auto running = submit_demo(s, token, 200, 50);
  auto queued = submit_demo(s, token, 1, 1);
  wait_job(s, running, token, state_is("running"));
  auto c1 = s.del("/api/jobs/" + queued, token);
  REQUIRE(c1.status == 200);
  CHECK(c1.json()["job"]["state"] == "cancelled");
  CHECK(s.del("/api/jobs/" + running, token).status == 200);
  auto j = wait_job(s, running, token, state_is("cancelled"));
  CHECK(j["state"] == "cancelled");
  CHECK(s.del("/api/jobs/" + running, token).status == 409);

  auto r = s.post("/api/jobs", {{"kind", "demo"}, {"payload", {{"steps", 3}, {"stepMs", 1}, {"failAt", 1}}}}, token);
  REQUIRE(r.status == 202);
  auto failed = wait_job(s, r.json()["job"]["id"], token, state_is("failed"));
  CHECK(failed["state"] == "failed");
  CHECK(failed["error"]["message"].get<std::string>().find("failed at step 1") != std::string::npos);
  CHECK(failed["error"]["kind"] == "unprocessable");
  CHECK(failed["error"]["fields"].is_object());

  auto bad = s.post("/api/jobs", {{"kind", "nope"}, {"priority", 42}}, token);
  CHECK(bad.status == 400);
  CHECK(bad.json()["errors"]["kind"] == "unknown job kind");
  CHECK(bad.json()["errors"].contains("priority"));
  CHECK(s.get("/api/jobs?state=weird", token).status == 400);
  auto list = s.get("/api/jobs?state=cancelled", token);
  CHECK(list.json()["jobs"].size() == 2);
}

TEST_CASE("full queue answers 503 with Retry-After, the per-account cap 429") {
  TempDir dir;
  ServerProcess s(dir.str(), {"--workers", "1", "--set", "jobs.batch_queue_capacity=3", "--set",
                               "jobs.batch_max_queued_per_account=2"});
  auto [a_id, a] = s.signup_login("frank");
  auto [b_id, b] = s.signup_login("grace");
  auto [c_id, c] = s.signup_login("heidi");
  auto blocker = submit_demo(s, a, 1000, 50);
  wait_job(s, blocker, a, state_is("running"));
  int st = 0;
  submit_demo(s, a, 1, 1, &st);
  CHECK(st == 202);
  submit_demo(s, a, 1, 1, &st);
  CHECK(st == 202);
  auto capped = s.post("/api/jobs", {{"kind", "demo"}}, a);
  CHECK(capped.status == 429);
  CHECK(!capped.header("retry-after").empty());
  submit_demo(s, b, 1, 1, &st);
  CHECK(st == 202);
  auto full = s.post("/api/jobs", {{"kind", "demo"}}, c);
  CHECK(full.status == 503);
  CHECK(!full.header("retry-after").empty());
  CHECK(full.json()["message"].get<std::string>().find("full") != std::string::npos);
  s.del("/api/jobs/" + blocker, a);
}

TEST_CASE("a restart picks up an interrupted job") {
  TempDir dir;
  std::string job, token;
  {
    ServerProcess s(dir.str(), {"--workers", "1"});
    token = s.signup_login("ivan").second;
    job = submit_demo(s, token, 30, 50);
    auto j = wait_job(s, job, token, [](const json& j) { return j["progress"].get<double>() > 0.1; });
    REQUIRE(j["state"] == "running");
    s.kill9();  // a crash: no chance to persist anything
  }
  ServerProcess s(dir.str(), {"--workers", "1"});
  auto j = wait_job(s, job, token, state_is("succeeded"), std::chrono::seconds(30));
  CHECK(j["state"] == "succeeded");
  CHECK(j["attempts"] == 2);
}

TEST_CASE("graceful shutdown: SIGTERM requeues a running job and exits 0") {
  TempDir dir;
  std::string job, token;
  {
    ServerProcess s(dir.str(), {"--workers", "1", "--set", "server.shutdown_grace_s=1"});
    token = s.signup_login("judy").second;
    job = submit_demo(s, token, 100, 50);
    wait_job(s, job, token, state_is("running"));
    CHECK(s.terminate() == 0);
  }
  ServerProcess s(dir.str());
  auto j = wait_job(s, job, token, state_is("succeeded"), std::chrono::seconds(30));
  CHECK(j["state"] == "succeeded");
}

TEST_CASE("tenant isolation: tenant B cannot read tenant A's job even with its id") {
  InProcess s(std::vector<std::string>{});
  auto admin = s.add_operator("root", "root-password");
  auto [a_id, a] = s.signup_login("mallory");
  CHECK(s.post("/api/tenants", {{"name", "nope"}}, a).status == 403);
  auto t = s.post("/api/tenants", {{"name", "Household B"}}, admin);
  REQUIRE(t.status == 201);
  auto tenant_b = t.json()["tenantId"].get<std::string>();
  CHECK(s.post("/api/profiles", {{"username", "sneaky"}, {"firstName", "S"}, {"lastName", "N"},
                                 {"email", "s@example.com"}, {"phoneNumber", "+15550000000"},
                                 {"password", "password-sneaky"}, {"tenantId", tenant_b}}).status == 403);
  auto [b_id, b] = s.signup_login("trent", tenant_b, admin);
  auto job = submit_demo(s, a, 1, 1);
  CHECK(wait_job(s, job, a, state_is("succeeded"))["state"] == "succeeded");
  CHECK(s.get("/api/jobs/" + job, b).status == 404);
  CHECK(s.del("/api/jobs/" + job, b).status == 404);
  CHECK(s.get("/api/profiles/" + a_id, b).status == 404);
  CHECK(s.get("/api/jobs?all=true", b).status == 403);
  CHECK(s.get("/api/jobs", b).json()["jobs"].empty());
  // The default tenant's admin sees the job; tenant B's data lives in its own file.
  CHECK(s.get("/api/jobs/" + job, admin).status == 200);
  CHECK(std::filesystem::exists(s.data_dir() + "/tenants/" + tenant_b + ".db"));
}

TEST_CASE("uploads: signed URLs work, expire and resist tampering; body and header limits") {
  TempDir dir;
  ServerProcess s(dir.str(), {"--set", "storage.signed_url_ttl_s=1", "--set", "server.body_limit=1024", "--set",
                               "server.upload_limit=65536"});
  auto [id, token] = s.signup_login("kate");
  std::string data(50000, 'x');
  auto up = s.request("POST", "/api/files", data, {{"Authorization", "Bearer " + token}, {"Content-Type", "audio/wav"}});
  REQUIRE(up.status == 201);
  auto url = up.json()["url"].get<std::string>();
  auto got = s.get(url);
  CHECK(got.status == 200);
  CHECK(got.body == data);
  auto tampered = url;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'a' ? 'b' : 'a';
  CHECK(s.get(tampered).status == 403);
  CHECK(s.get(url.substr(0, url.find('?'))).status == 403);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  CHECK(s.get(url).status == 403);

  auto big = s.request("POST", "/api/files", std::string(70000, 'y'), {{"Authorization", "Bearer " + token}});
  CHECK(big.status == 413);
  auto json_big = s.request("POST", "/api/profiles", std::string(2000, ' ') + "{}");
  CHECK(json_big.status == 413);
  CHECK(json_big.json().contains("message"));
  // Chunked bodies have no Content-Length: the limit applies while reading.
  std::string chunk(1500, 'z');
  char hex[16];
  std::snprintf(hex, sizeof hex, "%zx", chunk.size());
  CHECK(raw_request_status(s.port(), "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                         std::string(hex) + "\r\n" + chunk + "\r\n0\r\n\r\n") == 413);
  CHECK(raw_request_status(s.port(), "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'h') +
                                         "\r\n\r\n") == 431);
}

TEST_CASE("a client that stops sending is disconnected after the read timeout") {
  TempDir dir;
  ServerProcess s(dir.str(), {"--set", "server.idle_timeout_s=1", "--set", "server.read_timeout_s=1"});
  auto t0 = std::chrono::steady_clock::now();
  // Half a request line and header, then silence: the server must hang up by itself, without an answer.
  CHECK(raw_request_status(s.port(), "GET /api/health HTTP/1.1\r\nHost: x\r\n") == 0);
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited < std::chrono::seconds(5));
  CHECK(waited >= std::chrono::milliseconds(900));
  // A body that never arrives: same.
  t0 = std::chrono::steady_clock::now();
  CHECK(raw_request_status(s.port(), "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{") == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(s.get("/api/health").status == 200);  // and everyone else is still served
}

TEST_CASE("the browser app is served with ETags and an index.html fallback") {
  TempDir dir;
  ServerProcess s(dir.str());
  auto index = s.get("/");
  REQUIRE(index.status == 200);
  CHECK(index.header("content-type").find("text/html") == 0);
  auto etag = index.header("etag");
  REQUIRE(!etag.empty());
  CHECK(s.request("GET", "/", "", {{"If-None-Match", etag}}).status == 304);
  auto route = s.get("/jobs/some-client-route");
  CHECK(route.status == 200);
  CHECK(route.body == index.body);
  CHECK(s.get("/missing-file.js").status == 404);
}
