#include "cadenza/pipeline/convert_job.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <chrono>
#include <fstream>
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
#include "cadenza/core/crypto.hpp"
#include "cadenza/core/subprocess.hpp"
#include "cadenza/ml/runtime.hpp"
#include "cadenza/net/http_client.hpp"
#include "cadenza/store/blob_repo.hpp"
#include "cadenza/store/transcription_repo.hpp"
#include "steps.hpp"

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

// What kept notes depend on: the net and the note options (bump when either changes).
constexpr const char* kTranscriptionOptions = "basic-pitch/1";

std::string file_sha256(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  crypto::Sha256 h;
  std::string buf(1 << 16, '\0');
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
    h.update(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
  return h.hex_digest();
}

nlohmann::json result_schema() {
  using namespace schema;
  auto file = object({{"name", string(200), Required},
                      {"sha", string(64, 64), Required},
                      {"size", integer(0, INT64_MAX), Required},
                      {"url", with(string(4096), "description", "signed download link, added when shown")}});
  auto output = object({{"type", enumeration({"transcription", "piano", "easy"}), Required},
                        {"files", array(file, 0, 8), Required}});
  auto reused = with(object({{"transcription", boolean(), Required},
                             {"arrangements", array(enumeration({"transcription", "piano", "easy"}), 0, 3), Required}}),
                     "description", "what came from an earlier run: kept notes of the same audio, arrangements an interrupted run finished");
  auto seconds = number(0, 1e9);
  auto timings = with(object({{"fetchS", seconds},
                              {"transcribeS", seconds},
                              {"arrangements", array(object({{"type", string(32), Required},
                                                             {"scoreS", seconds},
                                                             {"pdfS", seconds},
                                                             {"pdfEngine", enumeration({"musescore", "lilypond"})},
                                                             {"audioS", seconds}}),
                                                     0, 3)}}),
                      "description", "seconds per stage (MusicXML and MIDI: scoreS; the PDF, made by pdfEngine: pdfS; FluidSynth + Opus: audioS, at the same time as the PDF)");
  return object({{"notes", integer(0, INT64_MAX), Required},
                 {"audioSeconds", number(0, 1e9), Required},
                 {"outputs", array(output, 1, 3), Required},
                 {"reused", reused},
                 {"timings", timings}});
}

// The audio of a link, fetched into dir: audioUrl over HTTP under the address rules, youtubeLink with yt-dlp.
std::filesystem::path fetch_audio(const ConvertDeps& deps, const nlohmann::json& p, const std::filesystem::path& dir,
                                  jobs::JobContext& ctx) {
  std::filesystem::create_directories(dir);
  auto cancelled = [&ctx] { return ctx.cancelled(); };
  if (p.contains("audioUrl")) {
    auto dest = dir / "source";
    if (std::filesystem::exists(dest)) return dest;  // fetched by the interrupted run (download renames it whole)
    net::download(p["audioUrl"].get<std::string>(), dest, deps.fetch, deps.rules, cancelled);
    return dest;
  }
  const auto link = p.at("youtubeLink").get<std::string>();
  for (const auto& e : std::filesystem::directory_iterator(dir))  // fetched by the interrupted run
    if (e.path().filename().string().rfind("source.", 0) == 0 && e.path().extension() != ".part") return e.path();
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

std::filesystem::path work_dir_of(const ConvertDeps& deps, const std::string& tenant_id, const std::string& job_id) {
  return deps.work_dir / ("convert-" + tenant_id + "-" + job_id);
}

int sweep_work_dirs(const std::filesystem::path& work_dir,
                    const std::function<bool(const std::string&, const std::string&)>& unfinished) {
  std::error_code ec;
  if (!std::filesystem::is_directory(work_dir, ec)) return 0;
  int removed = 0;
  const std::string prefix = "convert-";
  for (const auto& e : std::filesystem::directory_iterator(work_dir, ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() != prefix.size() + 36 + 1 + 36) continue;
    const auto tenant = name.substr(prefix.size(), 36), job = name.substr(prefix.size() + 37);
    if (unfinished(tenant, job)) continue;
    std::filesystem::remove_all(e.path(), ec);
    ++removed;
  }
  return removed;
}

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

    // The job's scratch directory outlives a crash or a shutdown (the requeued run resumes from what it
    // holds: a fetched file, finished arrangements); it goes when the job ends any other way.
    const auto work = work_dir_of(deps, job.tenant_id, job.id);
    struct Cleanup {
      std::filesystem::path dir;
      jobs::JobContext& ctx;
      ~Cleanup() {
        if (ctx.control().shutdown.load()) return;  // requeued: resumed by the next run
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
      }
    } cleanup{work, ctx};

    // Progress: 10 % fetching a link, transcription up to 60 %, the rest shared by the arrangements.
    const bool link = !p.contains("fileId");
    const double fetch_share = link ? 0.1 : 0;
    // Seconds spent per stage (the result's `timings`): where a conversion's time goes, for bench/convert.
    const auto started = std::chrono::steady_clock::now();
    auto since = [](std::chrono::steady_clock::time_point t) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    };
    auto hooks_for = [&](double from, double width) {
      Hooks h;
      h.progress = [&ctx, from, width](double f, std::string_view stage) { ctx.progress(from + width * f, stage); };
      h.cancelled = [&ctx] { return ctx.cancelled(); };
      return h;
    };
    nlohmann::json timings = {{"arrangements", nlohmann::json::array()}};
    std::filesystem::path audio;
    std::string audio_sha;
    if (link) {
      ctx.progress(0, "fetching");
      audio = fetch_audio(deps, p, work / "fetch", ctx);
      audio_sha = file_sha256(audio);
      timings["fetchS"] = since(started);
    } else {
      audio_sha = p.at("fileId").get<std::string>();
      auto stored = deps.blobs.path(job.tenant_id, audio_sha);
      // Checked at submit; gone since (its profile deleted while the job waited).
      if (!stored) throw Error(ErrorKind::NotFound, "No uploaded file " + audio_sha, {{"payload.fileId", "no such file"}});
      audio = *stored;
    }

    // The notes: kept from an earlier conversion of the same audio (or the interrupted run), else the net's.
    auto& db = deps.tenants.get(job.tenant_id);
    const double notes_end = 0.6;
    nlohmann::json reused = {{"transcription", false}, {"arrangements", nlohmann::json::array()}};
    store::KeptTranscription notes;
    if (auto kept = store::transcription_repo::find(db, job.owner_id, audio_sha, kTranscriptionOptions)) {
      if (kept->audio_seconds > deps.max_duration_s)
        throw Error(ErrorKind::Unprocessable, "audio is longer than the limit of " +
                                                  std::to_string(static_cast<int>(deps.max_duration_s)) + " s");
      notes = std::move(*kept);
      reused["transcription"] = true;
      ctx.progress(notes_end, "notes");
    } else {
      ctx.progress(fetch_share, "loading");
      const auto& transcriber = net->get();
      TranscribeOptions topt;  // no notes.mid: the scores are the output
      topt.limits.max_seconds = deps.max_duration_s;
      topt.limits.max_bytes = static_cast<std::size_t>(deps.fetch.max_bytes);
      const auto t0 = std::chrono::steady_clock::now();
      auto t = transcribe_audio(transcriber, audio, topt, hooks_for(fetch_share, notes_end - fetch_share));
      timings["transcribeS"] = since(t0);
      notes = {std::move(t.notes), t.audio_seconds};
      store::transcription_repo::put(db, job.owner_id, audio_sha, kTranscriptionOptions, notes);
    }

    nlohmann::json outputs = nlohmann::json::array();
    // A file into the blob store, held by the owner: {name, sha, size} for the result.
    auto store_file = [&](const std::filesystem::path& f) {
      auto size = std::filesystem::file_size(f);
      auto file_sha = deps.blobs.put_file(job.tenant_id, f);
      store::blob_repo::add_owner(db, file_sha, job.owner_id);
      return nlohmann::json{{"name", f.filename().string()}, {"sha", file_sha}, {"size", size}};
    };
    const double each = (1.0 - notes_end) / static_cast<double>(arrangements.size());
    for (std::size_t i = 0; i < arrangements.size(); ++i) {
      const auto dir = work / arrangements[i];
      const double from = notes_end + each * static_cast<double>(i);
      const auto xml = dir / "score.musicxml", mid = dir / "score.mid", pdf = dir / "score.pdf", ogg = dir / "score.ogg";
      std::vector<std::filesystem::path> written = {xml, mid, pdf};
      if (deps.render_audio) written.push_back(ogg);
      // Each file is written whole or not at all, so those present are finished: an interrupted run's
      // files are not made again.
      auto missing = [](const std::filesystem::path& f) { return !std::filesystem::exists(f); };
      const bool engraved_before = std::none_of(written.begin(), written.end(), missing);
      nlohmann::json timing = {{"type", arrangements[i]}};
      if (engraved_before) reused["arrangements"].push_back(arrangements[i]);
      const auto a0 = std::chrono::steady_clock::now();
      // The score (fast): written as MusicXML and MIDI unless kept; engraved again in memory when the PDF
      // still needs it (the engine is deterministic, so it is the score the kept files hold).
      notation::Score score;
      if (missing(xml) || missing(mid) || missing(pdf)) {
        EngraveOptions eo;
        eo.score.arrangement = notation::parse_arrangement(arrangements[i]);
        eo.score.title = title;
        eo.score.arranger = "Cadenza";
        eo.write_pdf = false;
        if (missing(xml) || missing(mid)) eo.out_dir = dir;
        score = engrave_notes(notes.notes, eo, hooks_for(from, each * 0.2)).score;
        timing["scoreS"] = since(a0);
      }
      // The score can be read (and shown) now, seconds before the PDF and the audio are done.
      auto partial = outputs;
      nlohmann::json files = {store_file(xml), store_file(mid)};  // stored once: the final result keeps them
      partial.push_back({{"type", arrangements[i]}, {"files", files}});
      ctx.partial_result({{"outputs", std::move(partial)}}, "score ready");
      // Then the PDF (MuseScore or LilyPond, a subprocess, on a thread of its own) and the audio (FluidSynth + Opus, on
      // this one) at once: on two cores a conversion waits for the slower of the two, not for their sum.
      ctx.progress(from + each * 0.25, deps.render_audio ? "pdf and audio" : "pdf");
      std::atomic<bool> abandon{false};  // the other half failed: stop LilyPond too
      std::future<double> pdf_done;
      if (missing(pdf))
        pdf_done = std::async(std::launch::async, [&] {
          const auto p0 = std::chrono::steady_clock::now();
          std::vector<std::filesystem::path> out;
          write_output(dir, "score.pdf", notation::render_pdf(score, deps.pdf, [&] {
                         if (abandon.load() || ctx.cancelled()) throw ml::Cancelled();
                       }),
                       out);
          return since(p0);
        });
      try {
        if (deps.render_audio && missing(ogg)) {
          const auto r0 = std::chrono::steady_clock::now();
          audio::SynthOptions so;
          so.gain = 0.8;
          // Rendered and encoded piece by piece, never the whole PCM in memory (~230 MB for 10 minutes); the
          // encoder has a thread of its own, beside FluidSynth on this one (and the PDF's renderer).
          audio::OggOpusFile file(ogg, so.sample_rate, audio::Synth::kChannels, audio::kDefaultOpusQuality,
                                  audio::OggOpusFile::Encoding::Background);
          audio::render_midi_file(
              mid, [&file](const float* pcm, std::size_t n) { file.write(pcm, n); }, so,
              [&ctx] { return ctx.cancelled(); });
          file.commit();
          // Conversions render now and then: the soundfont is not kept resident between them (~160 MB that
          // would otherwise sit beside the next transcription).
          audio::release_idle_synths();
          timing["audioS"] = since(r0);
        }
      } catch (...) {
        abandon = true;
        if (pdf_done.valid()) pdf_done.wait();
        throw;
      }
      if (pdf_done.valid()) {
        timing["pdfS"] = pdf_done.get();
        timing["pdfEngine"] = notation::pdf_engine(deps.pdf) == notation::PdfEngine::MuseScore ? "musescore" : "lilypond";
      }
      ctx.progress(from + each, "stored");
      files.push_back(store_file(pdf));
      if (deps.render_audio) files.push_back(store_file(ogg));
      outputs.push_back({{"type", arrangements[i]}, {"files", std::move(files)}});
      timings["arrangements"].push_back(std::move(timing));
    }
    return {{"notes", notes.notes.size()},
            {"audioSeconds", notes.audio_seconds},
            {"outputs", std::move(outputs)},
            {"reused", std::move(reused)},
            {"timings", std::move(timings)}};
  };
  return k;
}

}  // namespace cadenza::pipeline
