// POST /api/convert and the conversions resource: the contract (echo, uuid, status, output), one audio
// source, user_id, Idempotency-Key, visibility (private 404, public gallery), rename, cancel, delete with
// its files; links (audio_url under the address rules, youtube_link through a fake yt-dlp); webhooks signed
// with the account's secret, retried; and, against the real server, "messageFromServer" on the socket
// named in additional_data and a failing webhook receiver retried after a restart.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "cadenza/core/crypto.hpp"
#include "cadenza/pipeline/webhook_sender.hpp"
#include "cadenza/audio/decode.hpp"
#include "cadenza/notation/midi_file.hpp"
#include "notation/notation_fixture.hpp"
#include "pipeline/pipeline_fixture.hpp"
#include "support/http_test_server.hpp"
#include "support/in_process.hpp"
#include "test_server.hpp"

using namespace cadenza;
using namespace cadenza::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A short recording (C4 E4 G4) as WAV bytes.
std::string wav_bytes() {
  static const std::string bytes = [] {
    TempDir dir;
    return file_bytes(pipeline_test::write_tones(dir.path() / "take.wav", {{60, 0.4}, {64, 0.4}, {67, 0.6}}));
  }();
  return bytes;
}

const std::string kBoundary = "------------------------cadenzaconvert";
std::string form(const std::vector<std::pair<std::string, std::string>>& fields, const std::string& file) {
  std::string out;
  for (const auto& [name, value] : fields)
    out += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  out += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Little Tune.wav\"\r\n"
         "Content-Type: audio/wav\r\n\r\n" + file + "\r\n";
  return out + "--" + kBoundary + "--\r\n";
}

bool ended(const json& c) {
  auto s = c.value("status", "");
  return s == "succeeded" || s == "failed" || s == "cancelled";
}

json wait_conversion(const Client& s, const std::string& uuid, const std::string& token,
                     std::chrono::seconds timeout = 120s) {
  auto end = std::chrono::steady_clock::now() + timeout;
  json last;
  while (std::chrono::steady_clock::now() < end) {
    last = s.get("/api/conversions/" + uuid, token).json();
    if (ended(last)) return last;
    std::this_thread::sleep_for(100ms);
  }
  FAIL("conversion " << uuid << " did not end: " << last.dump());
  return last;
}

// A webhook receiver on 127.0.0.1: answers `status` (changeable) and records every request.
struct Receiver {
  std::atomic<int> status{200};
  HttpTestServer server{[this](int c, const HttpRequest&, const std::atomic<bool>&) {
    HttpTestServer::send_all(c, HttpTestServer::head(status.load(), "X", "text/plain", 2) + "ok");
  }};
};

// The signature a receiver checks: t=<unix>,v1=hex(HMAC-SHA256(secret, "t.body")).
bool signature_valid(const HttpRequest& r, const std::string& secret) {
  auto sig = r.headers.count("x-cadenza-signature") ? r.headers.at("x-cadenza-signature") : "";
  auto comma = sig.find(",v1=");
  if (sig.rfind("t=", 0) != 0 || comma == std::string::npos) return false;
  auto t = sig.substr(2, comma - 2);
  return sig.substr(comma + 4) == crypto::hex(crypto::hmac_sha256(secret, t + "." + r.body));
}

std::vector<std::string> kSets = {"net.allow_networks=127.0.0.0/8", "convert.max_running_per_account=20",
                                  "webhooks.backoff_s=1", "convert.ytdlp_path=/nonexistent/yt-dlp"};

// A program of the test's own first on PATH while it lives (a fake MuseScore, say).
class FakeProgram {
 public:
  FakeProgram(const std::string& name, const std::string& script)
      : old_path_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    const auto path = bin_.path() / name;
    notation_test::write_text(path, script);
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    setenv("PATH", (bin_.path().string() + ":" + old_path_).c_str(), 1);
  }
  ~FakeProgram() { setenv("PATH", old_path_.c_str(), 1); }
  FakeProgram(const FakeProgram&) = delete;
  FakeProgram& operator=(const FakeProgram&) = delete;

 private:
  TempDir bin_;
  std::string old_path_;
};

// The conversion as soon as it shows a file (its score, while the PDF is still being made) or ends.
json wait_for_output(const Client& s, const std::string& uuid, const std::string& token) {
  json c;
  for (auto end = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < end;) {
    c = s.get("/api/conversions/" + uuid, token).json();
    if (ended(c) || !c["output"].empty()) break;
    std::this_thread::sleep_for(20ms);
  }
  return c;
}

}  // namespace

TEST_CASE("conversions: POST /api/convert answers 202 with the request echoed, and refuses what it can at submit") {
  InProcess s(kSets);
  auto [alice_id, alice] = s.signup_login("alice");
  auto [bob_id, bob] = s.signup_login("bob");
  auto file_id = s.upload("/api/files", alice, wav_bytes(), "audio/wav").json()["id"].get<std::string>();

  auto r = s.post("/api/convert",
                  {{"source", "web_frontend"}, {"file_id", file_id}, {"song_name", "Arpeggio"},
                   {"arrangement_type", {"piano", "easy"}}, {"created_by", "Alice"}, {"additional_data", {{"bot_token", "secret!"}}}},
                  alice);
  REQUIRE_MESSAGE(r.status == 202, r.body);
  auto c = r.json();
  CHECK(c["status"] == "queued");
  CHECK(c["output"] == json::array());
  CHECK(c["source"] == "web_frontend");
  CHECK(c["user_id"] == alice_id);  // filled from the credentials
  CHECK(c["is_public"] == false);
  CHECK(c["song_name"] == "Arpeggio");
  CHECK(c["arrangement_type"] == json({"piano", "easy"}));
  CHECK(c["created_by"] == "Alice");
  CHECK_FALSE(c["additional_data"].contains("bot_token"));  // a secret is never echoed
  const auto uuid = c["uuid"].get<std::string>();
  CHECK(r.headers.at("location") == "/api/conversions/" + uuid);
  CHECK(s.get("/api/conversions/" + uuid, alice).json()["uuid"] == uuid);

  auto bad = [&](const json& body, int status, std::vector<std::string> fields) {
    auto res = s.post("/api/convert", body, alice);
    INFO(body.dump() << " -> " << res.body);
    CHECK(res.status == status);
    for (const auto& f : fields) CHECK(res.json()["errors"].contains(f));
  };
  CHECK(s.post("/api/convert", {{"file_id", file_id}, {"user_id", bob_id}}, alice).status == 403);
  bad({{"song_name", "x"}}, 400, {"file", "file_id", "audio_url", "youtube_link"});
  bad({{"file_id", file_id}, {"audio_url", "https://example.org/a.mp3"}}, 400, {"file_id", "audio_url"});
  bad({{"file_id", std::string(64, 'a')}}, 400, {"file_id"});
  bad({{"audio_url", "ftp://example.org/a.mp3"}}, 400, {"audio_url"});
  bad({{"file_id", file_id}, {"arrangement_type", "guitar"}}, 400, {"arrangement_type"});
  bad({{"file_id", file_id}, {"is_public", "yes"}}, 400, {"is_public"});
  bad({{"youtube_link", "https://www.youtube.com/watch?v=x"}}, 422, {"youtube_link"});
  bad({{"file_id", file_id}, {"callback_url", "http://127.0.0.1:9/hook"}}, 422, {"callback_url"});  // no secret yet

  // Idempotency-Key: the same request answers the same conversion; another body with that key is a 422.
  auto with_key = [&](const json& body) {
    auto h = Client::auth(alice);
    h["Idempotency-Key"] = "k-1";
    return s.request("POST", "/api/convert", body.dump(), h);
  };
  auto first = with_key({{"file_id", file_id}, {"song_name", "Once"}});
  REQUIRE(first.status == 202);
  auto again = with_key({{"file_id", file_id}, {"song_name", "Once"}});
  CHECK(again.status == 202);
  CHECK(again.json()["uuid"] == first.json()["uuid"]);
  CHECK(again.headers.count("idempotent-replayed") == 1);
  CHECK(with_key({{"file_id", file_id}, {"song_name", "Twice"}}).status == 422);

  // Bob (same tenant) sees none of it; the list is alice's, newest first, searchable.
  CHECK(s.get("/api/conversions/" + uuid, bob).status == 404);
  CHECK(s.get("/api/conversions", bob).json()["total"] == 0);
  auto mine = s.get("/api/conversions", alice).json();
  CHECK(mine["total"] == 2);
  CHECK(mine["conversions"][0]["song_name"] == "Once");
  CHECK(s.get("/api/conversions?q=arpe", alice).json()["total"] == 1);
  CHECK(s.get("/api/conversions?status=bogus", alice).status == 400);
}

TEST_CASE("conversions: a form upload converts to every output; public, renamed, then deleted with its files") {
  InProcess s(kSets);
  auto [alice_id, alice] = s.signup_login("alice");
  auto [bob_id, bob] = s.signup_login("bob");
  auto up = s.upload("/api/convert", alice, form({{"arrangement_type", "piano,transcription"}}, wav_bytes()),
                     "multipart/form-data; boundary=" + kBoundary);
  REQUIRE_MESSAGE(up.status == 202, up.body);
  const auto uuid = up.json()["uuid"].get<std::string>();
  CHECK(up.json()["song_name"] == "Little Tune");  // from the file part's name
  auto done = wait_conversion(s, uuid, alice);
  REQUIRE_MESSAGE(done["status"] == "succeeded", done.dump());
  REQUIRE(done["output"].size() == 2);
  CHECK(done["output"][0]["type"] == "piano");
  CHECK(done["output"][1]["type"] == "transcription");
  std::vector<std::string> urls;
  TempDir got;
  for (const auto& out : done["output"]) {
    // The MusicXML validates against the MusicXML 4.0 schema, the MIDI parses, the PDF has a page, the
    // rendering decodes to about the length of the music.
    auto xml = s.get(out["musicXmlUrl"].get<std::string>());
    CHECK(xml.body.find("<score-partwise") != std::string::npos);
    notation_test::write_text(got.path() / "score.musicxml", xml.body);
    std::string why;
    CHECK_MESSAGE(notation_test::validate_musicxml(got.path() / "score.musicxml", &why) == 0, why);
    auto mid = s.get(out["midiUrl"].get<std::string>()).body;
    notation_test::write_text(got.path() / "score.mid", mid);
    CHECK_FALSE(notation::read_midi_file((got.path() / "score.mid").string()).notes.empty());
    auto pdf = s.get(out["pdfUrl"].get<std::string>()).body;
    CHECK(pdf.rfind("%PDF-", 0) == 0);
    CHECK(pdf.find("/Type /Page") != std::string::npos);
    auto ogg = s.get(out["audioUrl"].get<std::string>()).body;
    CHECK(ogg.find("OpusHead") != std::string::npos);
    auto heard = audio::decode_bytes(ogg);
    CHECK(heard.mono.size() / static_cast<double>(heard.sample_rate) > 1.0);
    for (const char* k : {"musicXmlUrl", "midiUrl", "pdfUrl", "audioUrl"}) urls.push_back(out[k]);
  }

  // Private: a 404 to bob and absent from the gallery; public: readable by bob and by anyone in the gallery.
  CHECK(s.get("/api/conversions/public").json()["total"] == 0);
  CHECK(s.get("/api/conversions/public/" + uuid).status == 404);
  auto pub = s.patch("/api/conversions/" + uuid, {{"is_public", true}, {"song_name", "Tune No. 1"}}, alice);
  REQUIRE(pub.status == 200);
  CHECK(pub.json()["song_name"] == "Tune No. 1");
  CHECK(s.get("/api/conversions/" + uuid, bob).status == 200);
  auto gallery = s.get("/api/conversions/public").json();  // no credentials
  REQUIRE(gallery["total"] == 1);
  CHECK(gallery["conversions"][0]["uuid"] == uuid);
  CHECK(gallery["conversions"][0]["job_id"].is_string());
  CHECK(s.get("/api/conversions/public/" + uuid).json()["song_name"] == "Tune No. 1");  // a deep link, signed out
  CHECK(s.get("/api/conversions/public/" + uuid + "?status=failed").status == 200);
  CHECK(s.patch("/api/conversions/" + uuid, {{"is_public", false}}, bob).status == 403);
  CHECK(s.del("/api/conversions/" + uuid, bob).status == 403);
  CHECK(s.post("/api/conversions/" + uuid + "/cancel", json::object(), alice).status == 409);  // finished

  // Deleting removes the conversion and its files.
  CHECK(s.del("/api/conversions/" + uuid, alice).status == 204);
  CHECK(s.get("/api/conversions/" + uuid, alice).status == 404);
  for (const auto& u : urls) CHECK(s.get(u).status == 404);
}

TEST_CASE("conversions: the score is readable while its PDF is still being rendered") {
  // A slow MuseScore first on PATH: the PDF takes 3 s more than it would.
  FakeProgram slow("mscore3", "#!/bin/sh\nsleep 3\nexec /usr/bin/mscore3 \"$@\"\n");

  auto sets = kSets;
  sets.push_back("convert.render_audio=false");
  InProcess s(sets);
  auto [alice_id, alice] = s.signup_login("alice");
  auto up = s.upload("/api/convert", alice, form({}, wav_bytes()), "multipart/form-data; boundary=" + kBoundary);
  REQUIRE_MESSAGE(up.status == 202, up.body);
  const auto uuid = up.json()["uuid"].get<std::string>();
  const json early = wait_for_output(s, uuid, alice);
  REQUIRE_MESSAGE(early["status"] == "running", early.dump());
  REQUIRE(early["output"].size() == 1);
  const auto& out = early["output"][0];
  CHECK(out["type"] == "piano");
  CHECK(out["pdfUrl"].is_null());
  CHECK(out["audioUrl"].is_null());
  REQUIRE(out["musicXmlUrl"].is_string());
  CHECK(s.get(out["musicXmlUrl"].get<std::string>()).body.find("<score-partwise") != std::string::npos);
  CHECK(s.get(out["midiUrl"].get<std::string>()).body.rfind("MThd", 0) == 0);

  auto done = wait_conversion(s, uuid, alice);
  REQUIRE_MESSAGE(done["status"] == "succeeded", done.dump());
  CHECK(done["output"][0]["musicXmlUrl"].is_string());
  CHECK(s.get(done["output"][0]["pdfUrl"].get<std::string>()).body.rfind("%PDF-", 0) == 0);
  auto job = s.get("/api/jobs/" + done["job_id"].get<std::string>(), alice).json();
  CHECK(job["result"]["timings"]["arrangements"][0]["pdfEngine"] == "musescore");
  CHECK(job["result"]["timings"]["arrangements"][0]["pdfS"].get<double>() >= 3.0);
}

TEST_CASE("conversions: a conversion that fails after its score was shown takes those files with it when deleted") {
  // A MuseScore that fails (after a while, so the score is seen first), and no LilyPond fallback.
  FakeProgram failing("mscore3", "#!/bin/sh\nsleep 2\necho 'cannot engrave' >&2\nexit 3\n");

  auto sets = kSets;
  sets.push_back("convert.render_audio=false");
  sets.push_back("convert.pdf_engine=musescore");
  InProcess s(sets);
  auto [alice_id, alice] = s.signup_login("alice");
  auto up = s.upload("/api/convert", alice, form({}, wav_bytes()), "multipart/form-data; boundary=" + kBoundary);
  REQUIRE_MESSAGE(up.status == 202, up.body);
  const auto uuid = up.json()["uuid"].get<std::string>();
  const json early = wait_for_output(s, uuid, alice);
  REQUIRE_MESSAGE(early["output"].size() == 1, early.dump());
  const auto xml_url = early["output"][0]["musicXmlUrl"].get<std::string>();
  CHECK(s.get(xml_url).status == 200);

  auto done = wait_conversion(s, uuid, alice);
  REQUIRE_MESSAGE(done["status"] == "failed", done.dump());
  CHECK(done["output"].empty());  // a failed conversion shows no files
  CHECK(s.get(xml_url).status == 200);  // still held until the conversion goes
  CHECK(s.del("/api/conversions/" + uuid, alice).status == 204);
  CHECK(s.get(xml_url).status == 404);
}

TEST_CASE("conversions: audio_url under the address rules, yt-dlp absent and present (fake), bad links fail clearly") {
  TempDir bin;
  // A fake yt-dlp: copies a WAV to the -o template with .wav as the extension.
  auto wav = bin.path() / "take.wav";
  std::ofstream(wav, std::ios::binary) << wav_bytes();
  auto fake = bin.path() / "yt-dlp";
  std::ofstream(fake) << "#!/bin/sh\nout=''\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=\"$2\"; shift; done\n"
                         "cp '" << wav.string() << "' \"$(echo \"$out\" | sed 's/%(ext)s/wav/')\"\n";
  ::chmod(fake.c_str(), 0755);
  HttpTestServer files([](int c, const HttpRequest& r, const std::atomic<bool>&) {
    if (r.target == "/take.wav")
      HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "audio/wav", static_cast<long long>(wav_bytes().size())) + wav_bytes());
    else if (r.target == "/page")
      HttpTestServer::send_all(c, HttpTestServer::head(200, "OK", "text/html", 6) + "<html>");
    else
      HttpTestServer::send_all(c, HttpTestServer::head(404, "Not Found", "text/plain", 0));
  });

  InProcess s({"net.allow_networks=127.0.0.0/8", "convert.max_running_per_account=20", "convert.render_audio=false",
               "convert.ytdlp_path=" + fake.string()});
  auto [alice_id, alice] = s.signup_login("alice");
  auto submit = [&](const json& body) {
    auto r = s.post("/api/convert", body, alice);
    REQUIRE_MESSAGE(r.status == 202, r.body);
    return r.json()["uuid"].get<std::string>();
  };
  auto ok = wait_conversion(s, submit({{"audio_url", files.url("/take.wav")}}), alice);
  CHECK_MESSAGE(ok["status"] == "succeeded", ok.dump());
  CHECK(ok["song_name"] == "take");
  CHECK(ok["output"][0]["audioUrl"].is_null());  // rendering off
  auto yt = wait_conversion(s, submit({{"youtube_link", "https://www.youtube.com/watch?v=abc"}}), alice);
  CHECK_MESSAGE(yt["status"] == "succeeded", yt.dump());

  auto fails_with = [&](const std::string& url, const std::string& why) {
    auto c = wait_conversion(s, submit({{"audio_url", url}}), alice);
    INFO(url << " -> " << c.dump());
    CHECK(c["status"] == "failed");
    CHECK(c["error"]["message"].get<std::string>().find(why) != std::string::npos);
  };
  fails_with(files.url("/missing.mp3"), "404");
  fails_with(files.url("/page"), "text/html");
  // An internal address written as such is refused at submit (a name is judged when it is resolved).
  for (auto [url, why] : {std::pair<std::string, std::string>{"http://10.1.2.3/a.wav", "private"},
                          {"http://169.254.169.254/latest/meta-data/", "link-local"},
                          {"http://[::1]:" + std::to_string(files.port()) + "/take.wav", "loopback"}}) {
    auto refused = s.post("/api/convert", {{"audio_url", url}}, alice);
    INFO(url << " -> " << refused.body);
    CHECK(refused.status == 422);
    CHECK(refused.json()["errors"].value("audio_url", "").find(why) != std::string::npos);
  }
  auto hook = s.post("/api/convert", {{"audio_url", "https://example.org/a.wav"}, {"callback_url", "http://192.168.1.10/hook"}}, alice);
  CHECK(hook.status == 422);
  CHECK(hook.json()["errors"].contains("callback_url"));

  // Without the allow list, the server's own address is refused, also behind a name.
  InProcess strict({"convert.max_running_per_account=20"});
  auto [carol_id, carol] = strict.signup_login("carol");
  auto c = strict.post("/api/convert", {{"audio_url", "http://localhost:" + std::to_string(files.port()) + "/take.wav"}}, carol);
  REQUIRE(c.status == 202);
  auto refused = wait_conversion(strict, c.json()["uuid"], carol);
  CHECK(refused["status"] == "failed");
  CHECK(refused["error"]["message"].get<std::string>().find("loopback") != std::string::npos);
}

TEST_CASE("conversions: the webhook is signed with the account's secret, retried until a 2xx, and listed") {
  Receiver hook;
  hook.status = 500;  // fails first
  InProcess s(kSets);
  auto [alice_id, alice] = s.signup_login("alice");
  CHECK(s.get("/api/webhook-secret", alice).json()["exists"] == false);
  auto made = s.post("/api/webhook-secret", json::object(), alice);
  REQUIRE(made.status == 201);
  const auto secret = made.json()["secret"].get<std::string>();
  CHECK(s.get("/api/webhook-secret", alice).json().dump().find(secret) == std::string::npos);  // shown once

  auto file_id = s.upload("/api/files", alice, wav_bytes(), "audio/wav").json()["id"].get<std::string>();
  auto r = s.post("/api/convert", {{"file_id", file_id}, {"callback_url", hook.server.url("/hooks/cadenza")}}, alice);
  REQUIRE(r.status == 202);
  const auto uuid = r.json()["uuid"].get<std::string>();
  auto done = wait_conversion(s, uuid, alice);
  REQUIRE(done["status"] == "succeeded");

  auto wait_for = [&](const std::function<bool()>& pred, std::chrono::seconds t) {
    auto end = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < end && !pred()) std::this_thread::sleep_for(50ms);
    return pred();
  };
  REQUIRE(wait_for([&] { return hook.server.seen().size() >= 1; }, 10s));
  auto deliveries = s.get("/api/conversions/" + uuid + "/deliveries", alice).json()["deliveries"];
  REQUIRE(deliveries.size() == 1);
  CHECK(deliveries[0]["lastStatus"] == 500);
  hook.status = 204;
  REQUIRE(wait_for([&] {
    return s.get("/api/conversions/" + uuid + "/deliveries", alice).json()["deliveries"][0]["state"] == "delivered";
  }, 15s));
  auto seen = hook.server.seen();
  REQUIRE(seen.size() >= 2);
  for (const auto& req : seen) {
    CHECK(req.method == "POST");
    CHECK(req.target == "/hooks/cadenza");
    CHECK(signature_valid(req, secret));
    CHECK(req.headers.at("x-cadenza-delivery") == deliveries[0]["id"]);  // stable across attempts
    CHECK(req.body == seen[0].body);                                      // the same body every time
    auto body = json::parse(req.body);
    CHECK(body["uuid"] == uuid);
    CHECK(body["status"] == "succeeded");
    CHECK(body["output"].size() == 1);
  }
  // A rotated secret no longer matches the old signatures.
  auto rotated = s.post("/api/webhook-secret", json::object(), alice).json()["secret"].get<std::string>();
  CHECK(rotated != secret);
  CHECK_FALSE(signature_valid(seen[0], rotated));
}

TEST_CASE("conversions (real server): messageFromServer on the named socket; a failing receiver is retried after a restart") {
  TempDir dir;
  Receiver hook;
  hook.status = 503;
  std::vector<std::string> args = {"--set", "net.allow_networks=127.0.0.0/8", "--set", "webhooks.backoff_s=1",
                                   "--set", "convert.render_audio=false"};
  auto server = std::make_unique<ServerProcess>(dir.str(), args);
  auto [alice_id, alice] = server->signup_login("alice");
  auto secret = server->post("/api/webhook-secret", json::object(), alice).json()["secret"].get<std::string>();
  WsClient ws(server->port(), alice);
  auto hello = ws.until([](const json& m) { return m.value("type", "") == "hello"; });
  REQUIRE(hello);
  const auto socket_id = (*hello)["socketId"].get<std::string>();
  CHECK(socket_id.size() >= 12);

  // Sent over the socket as curl -F would: the WAV as the form's file part.
  auto headers = Client::auth(alice);
  headers["Content-Type"] = "multipart/form-data; boundary=" + kBoundary;
  auto r = server->request("POST", "/api/convert",
                           form({{"additional_data", json{{"socket_id", socket_id}}.dump()},
                                 {"callback_url", hook.server.url("/hook")}, {"song_name", "Over the wire"}},
                                wav_bytes()),
                           headers);
  REQUIRE_MESSAGE(r.status == 202, r.body);
  const auto uuid = r.json()["uuid"].get<std::string>();
  auto message = ws.until([](const json& m) { return m.value("type", "") == "messageFromServer"; }, 120s);
  REQUIRE(message);
  CHECK((*message)["data"]["uuid"] == uuid);
  CHECK((*message)["data"]["status"] == "succeeded");
  CHECK((*message)["data"]["output"].size() == 1);
  CHECK((*message)["data"]["additional_data"]["socket_id"] == socket_id);

  // The receiver fails; the server dies; the delivery is still owed and goes out after the restart.
  auto until = std::chrono::steady_clock::now() + 10s;
  while (hook.server.seen().empty() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  REQUIRE_FALSE(hook.server.seen().empty());
  server->kill9();
  server.reset();
  hook.status = 200;
  ServerProcess again(dir.str(), args);
  const auto& token = alice;  // a token outlives a restart
  json state;
  until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until) {
    state = again.get("/api/conversions/" + uuid + "/deliveries", token).json();
    if (state["deliveries"][0]["state"] == "delivered") break;
    std::this_thread::sleep_for(100ms);
  }
  CHECK_MESSAGE(state["deliveries"][0]["state"] == "delivered", state.dump());
  auto seen = hook.server.seen();
  CHECK(seen.size() >= 2);
  for (const auto& req : seen) CHECK(signature_valid(req, secret));
}

TEST_CASE("conversions (real server): a client that reconnects with its socketId is sent the messageFromServer it missed") {
  TempDir dir;
  ServerProcess server(dir.str(), {"--set", "convert.render_audio=false"});
  auto [alice_id, alice] = server.signup_login("alice");
  auto [bob_id, bob] = server.signup_login("bob");
  std::string socket_id;
  {
    WsClient ws(server.port(), alice);
    auto hello = ws.until([](const json& m) { return m.value("type", "") == "hello"; });
    REQUIRE(hello);
    socket_id = (*hello)["socketId"].get<std::string>();
  }  // the connection drops: the conversion below ends while nobody listens on it
  auto headers = Client::auth(alice);
  headers["Content-Type"] = "multipart/form-data; boundary=" + kBoundary;
  auto r = server.request("POST", "/api/convert",
                          form({{"additional_data", json{{"socket_id", socket_id}}.dump()}, {"song_name", "While away"}},
                               wav_bytes()),
                          headers);
  REQUIRE_MESSAGE(r.status == 202, r.body);
  const auto uuid = r.json()["uuid"].get<std::string>();
  json state;
  auto until = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < until) {
    state = server.get("/api/conversions/" + uuid, alice).json();
    if (state["status"] == "succeeded" || state["status"] == "failed") break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE_MESSAGE(state["status"] == "succeeded", state.dump());

  // Another account naming alice's socketId keeps the id but is told nothing of hers.
  {
    WsClient other(server.port(), bob, false, 0, "socketId=" + socket_id);
    auto hello = other.until([](const json& m) { return m.value("type", "") == "hello"; });
    REQUIRE(hello);
    CHECK((*hello)["socketId"] == socket_id);
    CHECK_FALSE(other.until([](const json& m) { return m.value("type", "") == "messageFromServer"; }, 1500ms));
  }
  // Alice reconnects with it: the same id, and the finished conversion comes after the hello.
  WsClient again(server.port(), alice, false, 0, "socketId=" + socket_id);
  auto hello = again.next();
  REQUIRE(hello);
  CHECK((*hello)["type"] == "hello");
  CHECK((*hello)["socketId"] == socket_id);
  auto message = again.until([](const json& m) { return m.value("type", "") == "messageFromServer"; }, 10s);
  REQUIRE(message);
  CHECK((*message)["data"]["uuid"] == uuid);
  CHECK((*message)["data"]["status"] == "succeeded");
  CHECK((*message)["data"]["output"].size() == 1);

  // A fresh connection without it gets a new id and nothing old; a malformed one is refused at the upgrade.
  WsClient fresh(server.port(), alice);
  auto fresh_hello = fresh.until([](const json& m) { return m.value("type", "") == "hello"; });
  REQUIRE(fresh_hello);
  CHECK((*fresh_hello)["socketId"] != socket_id);
  CHECK_FALSE(fresh.until([](const json& m) { return m.value("type", "") == "messageFromServer"; }, 1000ms));
  CHECK_THROWS(WsClient(server.port(), alice, false, 0, "socketId=short"));
}

TEST_CASE("conversions (real server): kill -9 mid-conversion, restart: it finishes without redoing finished stages") {
  TempDir dir;
  std::vector<std::string> args = {"--set", "convert.max_running_per_account=5"};
  auto server = std::make_unique<ServerProcess>(dir.str(), args);
  auto [alice_id, alice] = server->signup_login("alice");
  // Long enough that three arrangements (score, PDF, audio each) take a few seconds.
  TempDir tmp;
  std::vector<std::pair<int, double>> tones;
  for (int i = 0; i < 24; ++i) tones.push_back({60 + (i * 5) % 17, 0.35});
  auto wav = file_bytes(pipeline_test::write_tones(tmp.path() / "long.wav", tones));
  auto headers = Client::auth(alice);
  headers["Content-Type"] = "multipart/form-data; boundary=" + kBoundary;
  auto r = server->request("POST", "/api/convert", form({{"arrangement_type", "transcription,piano,easy"}}, wav), headers);
  REQUIRE_MESSAGE(r.status == 202, r.body);
  const auto uuid = r.json()["uuid"].get<std::string>();
  // Killed once the first arrangement is written and the second is under way.
  json seen;
  auto until = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < until) {
    seen = server->get("/api/conversions/" + uuid, alice).json();
    if (seen.value("progress", 0.0) >= 0.76 || ended(seen)) break;
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE_MESSAGE(seen["status"] == "running", seen.dump());
  server->kill9();
  server.reset();

  ServerProcess again(dir.str(), args);
  auto done = wait_conversion(again, uuid, alice);
  REQUIRE_MESSAGE(done["status"] == "succeeded", done.dump());
  REQUIRE(done["output"].size() == 3);
  for (const auto& out : done["output"])
    CHECK(again.get(out["musicXmlUrl"].get<std::string>()).body.find("<score-partwise") != std::string::npos);
  // The job's result says what the second run took from the first: the notes, and the first arrangement.
  auto jobs = again.get("/api/jobs", alice).json()["jobs"];
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0]["attempts"] == 2);
  const auto& reused = jobs[0]["result"]["reused"];
  CHECK(reused["transcription"] == true);
  REQUIRE(reused["arrangements"].size() >= 1);
  CHECK(reused["arrangements"][0] == "transcription");
  // And nothing of it is left in the scratch space.
  std::size_t left = 0;
  if (std::filesystem::exists(dir.path() / "work"))
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path() / "work")) ++left;
  CHECK(left == 0);
}
