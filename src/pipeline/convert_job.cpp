#include "cadenza/pipeline/convert_job.hpp"

#include <fmt/format.h>

#include <memory>
#include <mutex>
#include <system_error>

#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/jobs/job_context.hpp"
#include "cadenza/pipeline/engrave_notes.hpp"
#include "cadenza/pipeline/transcribe_audio.hpp"
#include "cadenza/store/blob_repo.hpp"

namespace cadenza::pipeline {
namespace {

nlohmann::json payload_schema() {
  using namespace schema;
  auto sha = with(string(64, 64), "description", "the id (SHA-256) POST /api/files answered for the audio");
  auto arrangement = enumeration({"transcription", "piano", "easy"});
  return object({{"fileId", sha, Required},
                 {"arrangements", with(array(arrangement, 1, 3), "default", nlohmann::json::array({"piano"}))},
                 {"title", with(string(200), "description", "the score's title (default: Untitled)")}});
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

}  // namespace

jobs::JobKind convert_kind(ConvertDeps deps) {
  auto net = std::make_shared<SharedTranscriber>(deps.model);
  jobs::JobKind k;
  k.name = "convert";
  k.lane = jobs::Lane::Batch;
  k.submittable = true;
  k.summary = "Transcribes an uploaded audio file (fileId from POST /api/files) and engraves a piano score per "
              "arrangement: MusicXML, MIDI and PDF";
  k.payload_schema = payload_schema();
  k.result_schema = {
      {"type", "object"},
      {"properties",
       {{"notes", {{"type", "integer"}}},
        {"audioSeconds", {{"type", "number"}}},
        {"outputs",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"type", {{"type", "string"}}},
              {"files",
               {{"type", "array"},
                {"items",
                 {{"type", "object"},
                  {"properties",
                   {{"name", {{"type", "string"}}},
                    {"sha", {{"type", "string"}}},
                    {"size", {{"type", "integer"}}},
                    {"url", {{"type", "string"}, {"description", "signed download link, added when shown"}}}}}}}}}}}}}}}}}};
  // The file must be one of the submitter's tenant: a 400 at submit, not a job that fails later.
  k.validate = [blobs = &deps.blobs](const nlohmann::json& p, const std::string& tenant_id) {
    if (!blobs->path(tenant_id, p.at("fileId").get<std::string>()))
      throw Error(ErrorKind::BadRequest, "Validation failed",
                  {{"payload.fileId", "no uploaded file with this id (POST /api/files answers it)"}});
  };
  k.run = [deps, net](jobs::JobContext& ctx) -> nlohmann::json {
    const auto& job = ctx.job();
    const auto& p = ctx.payload();
    schema::check(payload_schema(), p, "payload");
    const auto sha = p.at("fileId").get<std::string>();
    auto audio = deps.blobs.path(job.tenant_id, sha);
    // Checked at submit; gone since (its profile deleted while the job waited).
    if (!audio) throw Error(ErrorKind::NotFound, "No uploaded file " + sha, {{"payload.fileId", "no such file"}});
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

    // Progress: 60 % transcription, the rest shared by the arrangements.
    const double share = 0.4 / static_cast<double>(arrangements.size());
    auto hooks_for = [&](double from, double width) {
      Hooks h;
      h.progress = [&ctx, from, width](double f, std::string_view stage) { ctx.progress(from + width * f, stage); };
      h.cancelled = [&ctx] { return ctx.cancelled(); };
      return h;
    };
    ctx.progress(0, "loading");
    const auto& transcriber = net->get();
    TranscribeOptions topt;  // no notes.mid: the scores are the output
    auto notes = transcribe_audio(transcriber, *audio, topt, hooks_for(0, 0.6));

    auto& db = deps.tenants.get(job.tenant_id);
    nlohmann::json outputs = nlohmann::json::array();
    for (std::size_t i = 0; i < arrangements.size(); ++i) {
      EngraveOptions eo;
      eo.score.arrangement = notation::parse_arrangement(arrangements[i]);
      eo.score.title = title;
      eo.score.arranger = "Cadenza";
      eo.out_dir = work / arrangements[i];
      auto engraved = engrave_notes(notes.notes, eo, hooks_for(0.6 + share * static_cast<double>(i), share));
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
