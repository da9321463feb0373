#include "cadenza/pipeline/convert_job.hpp"

#include <fmt/format.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <mutex>
#include <system_error>

#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/jobs/job_context.hpp"
#include "cadenza/pipeline/engrave_notes.hpp"
#include "cadenza/pipeline/transcribe_audio.hpp"
#include "cadenza/audio/ogg_opus.hpp"
#include "cadenza/audio/synth.hpp"
#include "cadenza/core/subprocess.hpp"
#include "cadenza/ml/runtime.hpp"
#include "cadenza/net/http_client.hpp"
#include "cadenza/store/blob_repo.hpp"

namespace cadenza::pipeline {
namespace {

nlohmann::json payload_schema() {
  using namespace schema;
  auto sha = with(string(64, 64), "description", "the id (SHA-256) POST /api/files answered for the audio");
  auto link = [](const char* what) { return with(string(2048, 1), "description", what); };
  auto arrangement = enumeration({"transcription", "piano", "easy"});
  return object({{"fileId", sha},
                 {"audioUrl", link("an http(s) link to the audio, fetched under the address rules (net.allow_networks)")},
                 {"youtubeLink", link("a video page, fetched with yt-dlp (convert.ytdlp_path)")},
                 {"arrangements", with(array(arrangement, 1, 3), "default", nlohmann::json::array({"piano"}))},
                 {"title", with(string(200), "description", "the score's title (default: Untitled)")},
                 {"socketId", with(string(64), "description",
                                   "a WebSocket's socketId (its hello message): told when the job ends (conversions)")}});
}

// fileId, audioUrl or youtubeLink: exactly one.
void check_one_source(const nlohmann::json& p) {
  int given = 0;
  for (const char* k : {"fileId", "audioUrl", "youtubeLink"}) given += p.contains(k) && !p[k].is_null();
  if (given == 1) return;
  const char* why = given == 0 ? "one of fileId, audioUrl and youtubeLink is required" : "give only one of fileId, audioUrl and youtubeLink";
  throw Error(ErrorKind::BadRequest, "Validation failed",
              {{"payload.fileId", why}, {"payload.audioUrl", why}, {"payload.youtubeLink", why}});
}

// One net for every conversion of the process (Transcriber::run is const), loaded when first needed.
class SharedTranscriber {
 public:
  explicit SharedTranscriber(transcribe::TranscriberOptions options) : options_(std::move(options)) {}
  const transcribe::Transcriber& get() {
    std::lock_guard lock(mu_);
    if (!net_) net_ = std::make_unique<transcribe::Transcriber>(options_);
    return *net_;
  }

 private:
  transcribe::TranscriberOptions options_;
  std::mutex mu_;
  std::unique_ptr<transcribe::Transcriber> net_;
};

nlohmann::json result_schema() {
  using namespace schema;
  auto file = object({{"name", string(200), Required},
                      {"sha", string(64, 64), Required},
                      {"size", integer(0, INT64_MAX), Required},
                      {"url", with(string(4096), "description", "signed download link, added when shown")}});
  auto output = object({{"type", enumeration({"transcription", "piano", "easy"}), Required},
                        {"files", array(file, 0, 8), Required}});
  return object({{"notes", integer(0, INT64_MAX), Required},
                 {"audioSeconds", number(0, 1e9), Required},
                 {"outputs", array(output, 1, 3), Required}});
}

// The audio of a link, fetched into dir: audioUrl over HTTP under the address rules, youtubeLink with yt-dlp.
std::filesystem::path fetch_audio(const ConvertDeps& deps, const nlohmann::json& p, const std::filesystem::path& dir,
                                  jobs::JobContext& ctx) {
  std::filesystem::create_directories(dir);
  auto cancelled = [&ctx] { return ctx.cancelled(); };
  if (p.contains("audioUrl")) {
    auto dest = dir / "source";
    net::download(p["audioUrl"].get<std::string>(), dest, deps.fetch, deps.rules, cancelled);
    return dest;
  }
  const auto link = p.at("youtubeLink").get<std::string>();
  const auto log = dir / "yt-dlp.log";
  ProcessOptions run;
  run.timeout = std::chrono::seconds(deps.fetch.timeout_s);
  run.output = log;
  run.name = "yt-dlp";
  run.poll = [&ctx] {
    if (ctx.cancelled()) throw ml::Cancelled();
  };
  const int status = run_process({deps.ytdlp, "--no-playlist", "--no-progress", "-f", "bestaudio/best", "--max-filesize",
                                  std::to_string(deps.fetch.max_bytes), "-o", (dir / "source.%(ext)s").string(), "--", link},
                                 run);
  if (status == 127)
    throw Error(ErrorKind::Unprocessable, "youtube_link needs yt-dlp, which is not installed on this server",
                {{"youtube_link", "yt-dlp is not installed (convert.ytdlp_path)"}});
  std::optional<std::filesystem::path> got;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().rfind("source.", 0) == 0 && e.path().extension() != ".part") got = e.path();
  if (status != 0 || !got) {
    auto tail = file_tail(log, 400);
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    auto last = tail.substr(tail.find_last_of('\n') == std::string::npos ? 0 : tail.find_last_of('\n') + 1);
    throw Error(ErrorKind::Unprocessable, "yt-dlp could not fetch the video: " + (last.empty() ? "no audio" : last),
                {{"youtube_link", "could not be fetched"}});
  }
  return *got;
}

}  // namespace

jobs::JobKind convert_kind(ConvertDeps deps) {
  auto net = std::make_shared<SharedTranscriber>(deps.model);
  jobs::JobKind k;
  k.name = "convert";
  k.lane = jobs::Lane::Batch;
  k.submittable = true;
  k.summary = "Transcribes audio (an uploaded fileId, an audioUrl or a youtubeLink) and engraves a piano score per "
              "arrangement: MusicXML, MIDI and PDF";
  k.payload_schema = payload_schema();
  k.result_schema = result_schema();
  // The file must be one of the submitter's tenant: a 400 at submit, not a job that fails later.
  k.validate = [blobs = &deps.blobs](const nlohmann::json& p, const std::string& tenant_id) {
    check_one_source(p);
    if (p.contains("fileId") && !blobs->path(tenant_id, p.at("fileId").get<std::string>()))
      throw Error(ErrorKind::BadRequest, "Validation failed",
                  {{"payload.fileId", "no uploaded file with this id (POST /api/files answers it)"}});
    if (p.contains("audioUrl")) net::check_url(p["audioUrl"].get<std::string>(), "payload.audioUrl");
    if (p.contains("youtubeLink")) net::check_url(p["youtubeLink"].get<std::string>(), "payload.youtubeLink");
  };
  k.run = [deps, net](jobs::JobContext& ctx) -> nlohmann::json {
    const auto& job = ctx.job();
    const auto& p = ctx.payload();
    schema::check(payload_schema(), p, "payload");
    check_one_source(p);
    std::vector<std::string> arrangements = {"piano"};
    if (p.contains("arrangements") && !p["arrangements"].is_null()) arrangements = p["arrangements"].get<std::vector<std::string>>();
    const std::string title = p.contains("title") && p["title"].is_string() && !p["title"].get<std::string>().empty()
                                  ? p["title"].get<std::string>()
                                  : "Untitled";

    const auto work = deps.work_dir / ("convert-" + job.id);
    std::error_code ec;
    std::filesystem::remove_all(work, ec);  // what an interrupted run left
    struct Cleanup {
      std::filesystem::path dir;
      ~Cleanup() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
      }
    } cleanup{work};

    // Progress: 10 % fetching a link, transcription up to 60 %, the rest shared by the arrangements.
    const bool link = !p.contains("fileId");
    const double fetch_share = link ? 0.1 : 0;
    auto hooks_for = [&](double from, double width) {
      Hooks h;
      h.progress = [&ctx, from, width](double f, std::string_view stage) { ctx.progress(from + width * f, stage); };
      h.cancelled = [&ctx] { return ctx.cancelled(); };
      return h;
    };
    std::filesystem::path audio;
    if (link) {
      ctx.progress(0, "fetching");
      audio = fetch_audio(deps, p, work / "fetch", ctx);
    } else {
      const auto sha = p.at("fileId").get<std::string>();
      auto stored = deps.blobs.path(job.tenant_id, sha);
      // Checked at submit; gone since (its profile deleted while the job waited).
      if (!stored) throw Error(ErrorKind::NotFound, "No uploaded file " + sha, {{"payload.fileId", "no such file"}});
      audio = *stored;
    }
    ctx.progress(fetch_share, "loading");
    const auto& transcriber = net->get();
    TranscribeOptions topt;  // no notes.mid: the scores are the output
    topt.limits.max_seconds = deps.max_duration_s;
    topt.limits.max_bytes = static_cast<std::size_t>(deps.fetch.max_bytes);
    const double notes_end = 0.6;
    auto notes = transcribe_audio(transcriber, audio, topt, hooks_for(fetch_share, notes_end - fetch_share));

    auto& db = deps.tenants.get(job.tenant_id);
    nlohmann::json outputs = nlohmann::json::array();
    const double each = (1.0 - notes_end) / static_cast<double>(arrangements.size());
    for (std::size_t i = 0; i < arrangements.size(); ++i) {
      EngraveOptions eo;
      eo.score.arrangement = notation::parse_arrangement(arrangements[i]);
      eo.score.title = title;
      eo.score.arranger = "Cadenza";
      eo.out_dir = work / arrangements[i];
      const double from = notes_end + each * static_cast<double>(i);
      auto engraved = engrave_notes(notes.notes, eo, hooks_for(from, deps.render_audio ? each * 0.85 : each));
      if (deps.render_audio) {  // what was written, heard: the arrangement's MIDI through FluidSynth, as Ogg/Opus
        ctx.progress(from + each * 0.85, "audio");
        audio::SynthOptions so;
        so.gain = 0.8;
        auto pcm = audio::render_midi_file(eo.out_dir / "score.mid", so, [&ctx] { return ctx.cancelled(); });
        audio::write_ogg_opus(eo.out_dir / "score.ogg", pcm, so.sample_rate, audio::Synth::kChannels);
        engraved.files.push_back(eo.out_dir / "score.ogg");
      }
      nlohmann::json files = nlohmann::json::array();
      for (const auto& f : engraved.files) {
        auto size = std::filesystem::file_size(f);
        auto file_sha = deps.blobs.put_file(job.tenant_id, f);
        store::blob_repo::add_owner(db, file_sha, job.owner_id);
        files.push_back({{"name", f.filename().string()}, {"sha", file_sha}, {"size", size}});
      }
      outputs.push_back({{"type", arrangements[i]}, {"files", std::move(files)}});
    }
    return {{"notes", notes.notes.size()}, {"audioSeconds", notes.audio_seconds}, {"outputs", std::move(outputs)}};
  };
  return k;
}

}  // namespace cadenza::pipeline
