// Bot clients (the design's Telegram bot): bots registered with a token shown once and stored hashed
// (store and `cadenza bot`), the bot routes' 401s, the link-code flow (one use, expiry, replaced by a newer
// code), POST /api/telegram/convert on the linked account's behalf (403 unlinked or another bot's link;
// the conversion in the account's history with source telegram; its status read back by the bot), unlinking by the bot and by the user, and,
// against the real server, a form upload with the bot's credentials.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <regex>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/store/bot_repo.hpp"
#include "pipeline/pipeline_fixture.hpp"
#include "support/error_kind.hpp"
#include "support/in_process.hpp"
#include "test_server.hpp"

using namespace cadenza;
using namespace cadenza::test;
using nlohmann::json;

namespace {

std::string wav_bytes() {
  static const std::string bytes = [] {
    TempDir dir;
    auto p = pipeline_test::write_tones(dir.path() / "take.wav", {{60, 0.3}, {64, 0.3}});
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }();
  return bytes;
}

std::map<std::string, std::string> bot_auth(const std::string& token) { return {{"Authorization", "Bot " + token}}; }

HttpResult bot_post(const Client& s, const std::string& target, const json& body, const std::string& token) {
  return s.request("POST", target, body.dump(), token.empty() ? std::map<std::string, std::string>{} : bot_auth(token));
}

std::string new_code(const Client& s, const std::string& user_token) {
  auto r = s.post("/api/auth/telegram-link-codes", json::object(), user_token);
  REQUIRE_MESSAGE(r.status == 201, r.body);
  CHECK(r.header("cache-control") == "no-store");
  return r.json()["code"].get<std::string>();
}

std::vector<std::vector<std::string>> control_rows(const InProcess& s, const std::string& sql) {
  return sqlite_query(s.data_dir() + "/control.db", sql);
}

const std::string kBoundary = "------------------------cadenzabot";
std::string form(const std::vector<std::pair<std::string, std::string>>& fields, const std::string& file) {
  std::string out;
  for (const auto& [name, value] : fields)
    out += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  out += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Voice Note.wav\"\r\n"
         "Content-Type: audio/wav\r\n\r\n" + file + "\r\n";
  return out + "--" + kBoundary + "--\r\n";
}

}  // namespace

TEST_CASE("telegram: a bot is registered with a token shown once; only its hash is stored") {
  InProcess s;
  auto& db = s.app().control.database();
  auto [bot, token] = store::bot_repo::add(db, "cadenza_bot");
  CHECK(std::regex_match(token, std::regex("cdzb_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")));
  CHECK(token.rfind("cdzb_" + bot.prefix + "_", 0) == 0);

  // The database holds the sha256, never the token.
  auto rows = control_rows(s, "SELECT name, prefix, token_hash FROM bots");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == "cadenza_bot");
  CHECK(rows[0][2] == crypto::sha256_hex(token));
  for (const auto& cell : rows[0]) CHECK(cell.find(token.substr(14)) == std::string::npos);

  auto found = store::bot_repo::find_by_token(db, token);
  REQUIRE(found.has_value());
  CHECK(found->id == bot.id);
  CHECK(found->last_used_at > 0);
  CHECK_FALSE(store::bot_repo::find_by_token(db, token + "x").has_value());
  CHECK_FALSE(store::bot_repo::find_by_token(db, "cdzb_" + bot.prefix + "_" + std::string(43, 'A')).has_value());
  CHECK_FALSE(store::bot_repo::find_by_token(db, "").has_value());

  CHECK(error_kind_of([&] { store::bot_repo::add(db, "CADENZA_bot"); }) == ErrorKind::Conflict);  // names ignore case
  CHECK(error_kind_of([&] { store::bot_repo::add(db, ""); }) == ErrorKind::BadRequest);
  CHECK(error_kind_of([&] { store::bot_repo::add(db, "no spaces"); }) == ErrorKind::BadRequest);
  auto [other, other_token] = store::bot_repo::add(db, "another");
  CHECK(other_token != token);
  auto listed = store::bot_repo::list(db);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].name == "another");
  CHECK(listed[1].name == "cadenza_bot");

  store::bot_repo::remove(db, "another");
  CHECK_FALSE(store::bot_repo::find_by_token(db, other_token).has_value());
  CHECK(error_kind_of([&] { store::bot_repo::remove(db, "another"); }) == ErrorKind::NotFound);
  CHECK(store::bot_repo::list(db).size() == 1);

  // Codes as people type them.
  CHECK(store::bot_repo::normalize_code("k7qm 2xtd") == "K7QM-2XTD");
  CHECK(store::bot_repo::normalize_code("K7QM-2XTO") == "K7QM-2XT0");
  CHECK(store::bot_repo::normalize_code("ilqm2xtd") == "11QM-2XTD");
  CHECK_FALSE(store::bot_repo::normalize_code("K7QM-2XT").has_value());
  CHECK_FALSE(store::bot_repo::normalize_code("K7QM-2XTDD").has_value());
  CHECK_FALSE(store::bot_repo::normalize_code("K7QM-2XTU").has_value());
}

TEST_CASE("telegram: the bot routes refuse a missing or wrong bot token with 401") {
  InProcess s;
  auto [bot, token] = store::bot_repo::add(s.app().control.database(), "cadenza_bot");
  auto [alice_id, alice] = s.signup_login("alice");
  const json convert = {{"audio_url", "https://example.org/a.mp3"}, {"additional_data", {{"telegram_id", 1}}}};
  const json link = {{"code", "K7QM-2XTD"}, {"telegram_id", 1}};

  for (const auto& headers : std::vector<std::map<std::string, std::string>>{
           {},                                                    // none
           {{"Authorization", "Bot cdzb_00000000_nope"}},          // not a bot's
           {{"Authorization", "Bot " + token + "x"}},             // almost
           {{"Authorization", "Bearer " + alice}},                // a user's credentials are not a bot's
           {{"Authorization", "Bearer " + token}},                // the bot's token under another scheme
           {{"X-API-Key", token}}}) {
    INFO((headers.empty() ? "(none)" : headers.begin()->second));
    auto c = s.request("POST", "/api/telegram/convert", convert.dump(), headers);
    CHECK(c.status == 401);
    CHECK(s.request("POST", "/api/telegram/links", link.dump(), headers).status == 401);
    CHECK(s.request("GET", "/api/telegram/links/1", "", headers).status == 401);
    CHECK(s.request("DELETE", "/api/telegram/links/1", "", headers).status == 401);
  }
  CHECK(s.request("POST", "/api/telegram/links", link.dump(), {{"Authorization", "bot  " + token}}).status == 403);  // scheme case-insensitive: a bad code
  // additional_data.bot_token may come too, but it must be the header's.
  json wrong = convert;
  wrong["additional_data"]["bot_token"] = "cdzb_00000000_other";
  CHECK(s.request("POST", "/api/telegram/convert", wrong.dump(), bot_auth(token)).status == 401);
  // A token only in the body does not authenticate (uploads are refused before their body is read).
  json body_only = convert;
  body_only["additional_data"]["bot_token"] = token;
  CHECK(s.request("POST", "/api/telegram/convert", body_only.dump()).status == 401);
  // The account's side wants the account's credentials, not the bot's.
  CHECK(s.request("POST", "/api/auth/telegram-link-codes", "{}", bot_auth(token)).status == 401);
  CHECK(s.request("GET", "/api/auth/telegram-links", "", bot_auth(token)).status == 401);
  // Nothing was linked or converted.
  CHECK(control_rows(s, "SELECT COUNT(*) FROM bot_links")[0][0] == "0");
  CHECK(s.get("/api/conversions", alice).json()["total"] == 0);
}

TEST_CASE("telegram: a link code links once; a used, expired or replaced code is refused") {
  InProcess s;
  auto [bot, token] = store::bot_repo::add(s.app().control.database(), "cadenza_bot");
  auto [alice_id, alice] = s.signup_login("alice");
  CHECK(s.post("/api/auth/telegram-link-codes", json::object()).status == 401);

  auto created = s.post("/api/auth/telegram-link-codes", json::object(), alice);
  REQUIRE(created.status == 201);
  const auto code = created.json()["code"].get<std::string>();
  CHECK(std::regex_match(code, std::regex("[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")));
  auto expires = parse_iso8601(created.json()["expires_at"].get<std::string>());
  REQUIRE(expires.has_value());
  CHECK(*expires - now_ms() > 9 * 60 * 1000);
  CHECK(*expires - now_ms() <= 10 * 60 * 1000);
  // Stored hashed.
  auto stored = control_rows(s, "SELECT code_hash, account_id FROM bot_link_codes");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0][0].find(code.substr(0, 4)) == std::string::npos);
  CHECK(stored[0][1] == alice_id);

  // Typed loosely, it links telegram id 111 (sent as a number) to alice.
  std::string typed = code;
  typed.erase(4, 1);
  for (auto& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto linked = bot_post(s, "/api/telegram/links", {{"code", typed}, {"telegram_id", 111}}, token);
  REQUIRE_MESSAGE(linked.status == 201, linked.body);
  CHECK(linked.json()["telegram_id"] == "111");
  CHECK(linked.json()["user_id"] == alice_id);
  CHECK(linked.json()["username"] == "alice");
  CHECK(linked.json()["bot"] == "cadenza_bot");
  auto found = s.request("GET", "/api/telegram/links/111", "", bot_auth(token));
  CHECK(found.status == 200);
  CHECK(found.json()["user_id"] == alice_id);
  CHECK(s.request("GET", "/api/telegram/links/222", "", bot_auth(token)).status == 404);

  // Used: refused, for any telegram id; nothing changes.
  auto again = bot_post(s, "/api/telegram/links", {{"code", code}, {"telegram_id", "222"}}, token);
  CHECK(again.status == 403);
  CHECK(again.json()["errors"].contains("code"));
  CHECK(s.request("GET", "/api/telegram/links/222", "", bot_auth(token)).status == 404);
  CHECK(bot_post(s, "/api/telegram/links", {{"code", "not a code"}, {"telegram_id", "222"}}, token).status == 403);
  CHECK(bot_post(s, "/api/telegram/links", {{"telegram_id", "222"}}, token).status == 400);
  CHECK(bot_post(s, "/api/telegram/links", {{"code", code}, {"telegram_id", true}}, token).status == 400);

  // Expired: refused (and gone).
  auto late = new_code(s, alice);
  s.app().control.database().write([&](store::Db& db) { db.run("UPDATE bot_link_codes SET expires_at = ?", now_ms() - 1); });
  CHECK(bot_post(s, "/api/telegram/links", {{"code", late}, {"telegram_id", "222"}}, token).status == 403);
  CHECK(control_rows(s, "SELECT COUNT(*) FROM bot_link_codes")[0][0] == "0");

  // A newer code replaces an unused older one.
  auto older = new_code(s, alice);
  auto newer = new_code(s, alice);
  CHECK(bot_post(s, "/api/telegram/links", {{"code", older}, {"telegram_id", "222"}}, token).status == 403);
  CHECK(bot_post(s, "/api/telegram/links", {{"code", newer}, {"telegram_id", "222"}}, token).status == 201);

  // Alice sees both links.
  auto mine = s.get("/api/auth/telegram-links", alice);
  REQUIRE(mine.status == 200);
  REQUIRE(mine.json()["links"].size() == 2);
  CHECK(mine.json()["links"][0]["telegram_id"] == "111");
  CHECK(mine.json()["links"][1]["telegram_id"] == "222");

  // Bob's code moves telegram id 222 (of this bot) to bob.
  auto [bob_id, bob] = s.signup_login("bob");
  CHECK(bot_post(s, "/api/telegram/links", {{"code", new_code(s, bob)}, {"telegram_id", "222"}}, token).json()["user_id"] ==
        bob_id);
  CHECK(s.get("/api/auth/telegram-links", alice).json()["links"].size() == 1);
  CHECK(s.get("/api/auth/telegram-links", bob).json()["links"].size() == 1);
}

TEST_CASE("telegram: POST /api/telegram/convert converts for the linked account; unlinked is 403") {
  InProcess s([](config::Config& c) {
    c.convert.max_running_per_account = 20;
    c.convert.ytdlp_path = "/nonexistent/yt-dlp";
  });
  auto& control = s.app().control.database();
  auto [bot, token] = store::bot_repo::add(control, "cadenza_bot");
  auto [other_bot, other_token] = store::bot_repo::add(control, "other_bot");
  auto [alice_id, alice] = s.signup_login("alice");
  auto [bob_id, bob] = s.signup_login("bob");
  auto file = s.upload("/api/files", alice, wav_bytes(), "audio/wav");
  REQUIRE(file.status == 201);
  const auto file_id = file.json()["id"].get<std::string>();
  auto convert = [&](const json& body, const std::string& t) { return bot_post(s, "/api/telegram/convert", body, t); };
  const json extra = {{"telegram_id", 111}, {"chat_id", -100123}, {"message_id", 42}, {"bot_token", token}};

  // Not linked yet: 403, whatever else the body says.
  auto refused = convert({{"file_id", file_id}, {"additional_data", extra}}, token);
  CHECK(refused.status == 403);
  CHECK(refused.json()["message"].get<std::string>().find("not linked") != std::string::npos);
  CHECK(convert({{"file_id", file_id}}, token).status == 400);  // no telegram_id
  CHECK(convert({{"file_id", file_id}}, token).json()["errors"].contains("additional_data.telegram_id"));

  REQUIRE(bot_post(s, "/api/telegram/links", {{"code", new_code(s, alice)}, {"telegram_id", "111"}}, token).status == 201);

  // Linked under cadenza_bot only: the other bot may not use it.
  json for_other = {{"file_id", file_id}, {"additional_data", {{"telegram_id", 111}}}};
  CHECK(convert(for_other, other_token).status == 403);
  CHECK(s.request("GET", "/api/telegram/links/111", "", bot_auth(other_token)).status == 404);
  CHECK(s.request("DELETE", "/api/telegram/links/111", "", bot_auth(other_token)).status == 404);

  // The same answers as POST /api/convert: the request's own problems, user_id not the linked account's.
  CHECK(convert({{"additional_data", extra}}, token).status == 400);  // no audio source
  CHECK(convert({{"file_id", file_id}, {"additional_data", extra}, {"user_id", bob_id}}, token).status == 403);
  auto wrong_source = convert({{"file_id", file_id}, {"additional_data", extra}, {"source", "api"}}, token);
  CHECK(wrong_source.status == 400);
  CHECK(wrong_source.json()["errors"].contains("source"));
  CHECK(convert({{"youtube_link", "https://www.youtube.com/watch?v=x"}, {"additional_data", extra}}, token).status == 422);

  auto r = convert({{"file_id", file_id}, {"song_name", "From the chat"}, {"additional_data", extra}}, token);
  REQUIRE_MESSAGE(r.status == 202, r.body);
  auto c = r.json();
  CHECK(c["source"] == "telegram");
  CHECK(c["user_id"] == alice_id);
  CHECK(c["status"] == "queued");
  CHECK(c["output"] == json::array());
  CHECK(c["additional_data"]["chat_id"] == -100123);
  CHECK(c["additional_data"]["message_id"] == 42);
  CHECK(c["additional_data"]["telegram_id"] == 111);
  CHECK_FALSE(c["additional_data"].contains("bot_token"));
  CHECK(r.body.find(token) == std::string::npos);
  const auto uuid = c["uuid"].get<std::string>();
  CHECK(r.header("location") == "/api/conversions/" + uuid);

  // In alice's history (and only hers), as telegram.
  auto mine = s.get("/api/conversions", alice).json();
  REQUIRE(mine["total"] == 1);
  CHECK(mine["conversions"][0]["uuid"] == uuid);
  CHECK(mine["conversions"][0]["source"] == "telegram");
  CHECK(mine["conversions"][0]["song_name"] == "From the chat");
  CHECK(s.get("/api/conversions/" + uuid, alice).json()["additional_data"]["chat_id"] == -100123);
  CHECK(s.get("/api/conversions", bob).json()["total"] == 0);
  CHECK(s.get("/api/conversions/" + uuid, bob).status == 404);

  // The bot reads its status (and, once done, the output) as the chat user.
  auto status_of = [&](const std::string& id, const std::string& query, const std::string& t) {
    return s.request("GET", "/api/telegram/conversions/" + id + query, "", t.empty() ? std::map<std::string, std::string>{} : bot_auth(t));
  };
  auto seen = status_of(uuid, "?telegram_id=111", token);
  REQUIRE_MESSAGE(seen.status == 200, seen.body);
  CHECK(seen.json()["uuid"] == uuid);
  CHECK(seen.json()["user_id"] == alice_id);
  CHECK(seen.json()["additional_data"]["chat_id"] == -100123);
  CHECK(seen.json().contains("status"));
  CHECK(status_of(uuid, "", token).status == 400);                    // who is asking?
  CHECK(status_of(uuid, "?telegram_id=111", "").status == 401);       // no bot token
  CHECK(status_of(uuid, "?telegram_id=111", other_token).status == 403);  // not linked under that bot
  CHECK(status_of(uuid, "?telegram_id=999", token).status == 403);    // not linked at all
  CHECK(status_of("2f1c7a9e-5b7d-4c1e-9a3f-8d6b2e4f1a0c", "?telegram_id=111", token).status == 404);
  CHECK(status_of("not-a-uuid", "?telegram_id=111", token).status == 404);
  // The stored request has no token either.
  auto tenant_db = s.data_dir() + "/tenants/" + s.app().control.default_tenant().id + ".db";
  for (const auto& row : sqlite_query(tenant_db, "SELECT request FROM conversions")) CHECK(row[0].find(token) == std::string::npos);

  // Idempotency-Key works per linked account, as on POST /api/convert.
  auto h = bot_auth(token);
  h["Idempotency-Key"] = "chat-42";
  const json keyed = {{"file_id", file_id}, {"additional_data", extra}};
  auto first = s.request("POST", "/api/telegram/convert", keyed.dump(), h);
  REQUIRE(first.status == 202);
  auto replay = s.request("POST", "/api/telegram/convert", keyed.dump(), h);
  CHECK(replay.status == 202);
  CHECK(replay.json()["uuid"] == first.json()["uuid"]);

  // A form with the audio as its file part and additional_data as JSON text.
  auto up = s.upload_with("/api/telegram/convert", {{"authorization", "Bot " + token}},
                          form({{"additional_data", R"({"telegram_id":"111","chat_id":5,"message_id":6})"}}, wav_bytes()),
                          "multipart/form-data; boundary=" + kBoundary);
  REQUIRE_MESSAGE(up.status == 202, up.body);
  CHECK(up.json()["song_name"] == "Voice Note");
  CHECK(up.json()["source"] == "telegram");
  CHECK(up.json()["user_id"] == alice_id);
  CHECK(s.upload_with("/api/telegram/convert", {}, form({{"additional_data", R"({"telegram_id":"111"})"}}, wav_bytes()),
                      "multipart/form-data; boundary=" + kBoundary)
            .status == 401);
  CHECK(s.get("/api/conversions", alice).json()["total"] == 3);

  // Unlinked by the bot: 403 again; unlinking twice is a 404.
  CHECK(s.request("DELETE", "/api/telegram/links/111", "", bot_auth(token)).status == 204);
  CHECK(convert({{"file_id", file_id}, {"additional_data", extra}}, token).status == 403);
  CHECK(s.request("DELETE", "/api/telegram/links/111", "", bot_auth(token)).status == 404);
  CHECK(s.get("/api/auth/telegram-links", alice).json()["links"].empty());

  // Linked again, then removed by the user: 403 too. Bob cannot remove alice's link.
  REQUIRE(bot_post(s, "/api/telegram/links", {{"code", new_code(s, alice)}, {"telegram_id", "111"}}, token).status == 201);
  CHECK(convert({{"file_id", file_id}, {"additional_data", extra}}, token).status == 202);
  const auto link_id = s.get("/api/auth/telegram-links", alice).json()["links"][0]["id"].get<std::string>();
  CHECK(s.del("/api/auth/telegram-links/" + link_id, bob).status == 404);
  CHECK(s.del("/api/auth/telegram-links/not-a-uuid", alice).status == 404);
  CHECK(s.del("/api/auth/telegram-links/" + link_id, alice).status == 204);
  CHECK(convert({{"file_id", file_id}, {"additional_data", extra}}, token).status == 403);

  // Removing the bot removes its links; its token stops working.
  REQUIRE(bot_post(s, "/api/telegram/links", {{"code", new_code(s, bob)}, {"telegram_id", "333"}}, token).status == 201);
  CHECK(status_of(uuid, "?telegram_id=333", token).status == 404);  // bob's chat: alice's private conversion
  store::bot_repo::remove(control, "cadenza_bot");
  CHECK(convert({{"file_id", file_id}, {"additional_data", {{"telegram_id", 333}}}}, token).status == 401);
  CHECK(s.get("/api/auth/telegram-links", bob).json()["links"].empty());
}

TEST_CASE("telegram: deleting an account deletes its links and codes") {
  InProcess s;
  auto [bot, token] = store::bot_repo::add(s.app().control.database(), "cadenza_bot");
  auto [carol_id, carol] = s.signup_login("carol");
  REQUIRE(bot_post(s, "/api/telegram/links", {{"code", new_code(s, carol)}, {"telegram_id", "444"}}, token).status == 201);
  new_code(s, carol);  // an unused one
  CHECK(s.request("GET", "/api/telegram/links/444", "", bot_auth(token)).status == 200);
  REQUIRE(s.del("/api/profiles/" + carol_id, carol).status == 200);
  CHECK(s.request("GET", "/api/telegram/links/444", "", bot_auth(token)).status == 404);
  CHECK(bot_post(s, "/api/telegram/convert", {{"audio_url", "https://example.org/a.mp3"}, {"additional_data", {{"telegram_id", 444}}}},
                 token)
            .status == 403);
  CHECK(control_rows(s, "SELECT COUNT(*) FROM bot_links")[0][0] == "0");
  CHECK(control_rows(s, "SELECT COUNT(*) FROM bot_link_codes")[0][0] == "0");
}

TEST_CASE("telegram: the bot routes are rate limited per client address") {
  InProcess s({"ratelimit.write_per_s=1", "ratelimit.write_burst=3", "ratelimit.read_per_s=1", "ratelimit.read_burst=3"});
  auto [bot, token] = store::bot_repo::add(s.app().control.database(), "cadenza_bot");
  HttpResult last;
  for (int i = 0; i < 10 && last.status != 429; ++i) last = s.request("GET", "/api/telegram/links/1", "", bot_auth(token));
  CHECK(last.status == 429);
  CHECK(!last.header("retry-after").empty());
  last = {};
  for (int i = 0; i < 10 && last.status != 429; ++i)
    last = bot_post(s, "/api/telegram/links", {{"code", "K7QM-2XTD"}, {"telegram_id", 1}}, token);
  CHECK(last.status == 429);
  CHECK(last.header("ratelimit-limit") == "3");
}

TEST_CASE("telegram: wrong bot tokens count as failed authentications of the address") {
  InProcess s([](config::Config& c) {
    c.ratelimit.auth_failures_per_min = 1;
    c.ratelimit.auth_failure_burst = 3;
  });
  auto [bot, token] = store::bot_repo::add(s.app().control.database(), "cadenza_bot");
  for (int i = 0; i < 3; ++i) CHECK(s.request("DELETE", "/api/telegram/links/1", "", bot_auth("cdzb_00000000_x")).status == 401);
  auto refused = s.request("DELETE", "/api/telegram/links/1", "", bot_auth(token));  // even the right one, now
  CHECK(refused.status == 429);
  CHECK(!refused.header("retry-after").empty());
}

TEST_CASE("telegram: the real server takes a bot's form upload; `cadenza bot` adds, lists and removes bots") {
  TempDir dir;
  auto added = run_cadenza({"bot", "add", "cadenza_bot"}, dir.str());
  REQUIRE(added.exit_code == 0);
  auto token = added.out.substr(0, added.out.find('\n'));
  REQUIRE(token.rfind("cdzb_", 0) == 0);
  CHECK(run_cadenza({"bot", "add", "cadenza_bot"}, dir.str()).exit_code != 0);  // taken
  auto listed = run_cadenza({"bot", "list"}, dir.str());
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("cadenza_bot") != std::string::npos);
  CHECK(listed.out.find(token) == std::string::npos);  // the token is never shown again
  CHECK(listed.out.find(token.substr(0, 13)) != std::string::npos);  // its prefix is
  // The control database keeps its hash only.
  auto rows = sqlite_query(dir.str() + "/control.db", "SELECT token_hash FROM bots", true);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == crypto::sha256_hex(token));

  {
    ServerProcess s(dir.str(), {"--set", "convert.max_running_per_account=20"});
    auto [alice_id, alice] = s.signup_login("alice");
    auto code = s.post("/api/auth/telegram-link-codes", json::object(), alice).json()["code"].get<std::string>();
    REQUIRE(bot_post(s, "/api/telegram/links", {{"code", code}, {"telegram_id", 111}}, token).status == 201);
    const auto body = form({{"additional_data", R"({"telegram_id":111,"chat_id":7,"message_id":8})"}}, wav_bytes());
    auto up = s.request("POST", "/api/telegram/convert", body,
                        {{"Authorization", "Bot " + token}, {"Content-Type", "multipart/form-data; boundary=" + kBoundary}});
    REQUIRE_MESSAGE(up.status == 202, up.body);
    CHECK(up.json()["source"] == "telegram");
    CHECK(up.json()["user_id"] == alice_id);
    CHECK(up.json()["additional_data"]["chat_id"] == 7);
    // Without the bot's credentials the upload is refused before its body is read.
    auto refused = s.request("POST", "/api/telegram/convert", body,
                             {{"Authorization", "Bot cdzb_00000000_wrong"},
                              {"Content-Type", "multipart/form-data; boundary=" + kBoundary}});
    CHECK(refused.status == 401);
    auto mine = s.get("/api/conversions", alice).json();
    CHECK(mine["total"] == 1);
    CHECK(mine["conversions"][0]["source"] == "telegram");
    s.terminate();
  }

  CHECK(run_cadenza({"bot", "remove", "cadenza_bot"}, dir.str()).exit_code == 0);
  CHECK(run_cadenza({"bot", "remove", "cadenza_bot"}, dir.str()).exit_code != 0);
  CHECK(sqlite_query(dir.str() + "/control.db", "SELECT COUNT(*) FROM bot_links", true)[0][0] == "0");
}
