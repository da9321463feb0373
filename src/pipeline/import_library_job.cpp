#include "cadenza/pipeline/import_library_job.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>

#include "cadenza/core/error.hpp"
#include "cadenza/jobs/job_context.hpp"
#include "cadenza/ml/basic_pitch.hpp"
#include "cadenza/ml/runtime.hpp"
#include "cadenza/pipeline/library_import.hpp"

namespace cadenza::pipeline {
namespace fs = std::filesystem;
namespace {

// One net for every scan of the process, loaded when first needed; null when it does not load.
class LazyTranscriber {
 public:
  explicit LazyTranscriber(transcribe::TranscriberOptions options) : options_(std::move(options)) {}
  const transcribe::Transcriber* get() {
    std::lock_guard lock(mu_);
    if (!tried_) {
      tried_ = true;
      try {
        net_ = std::make_unique<transcribe::Transcriber>(options_);
      } catch (const std::exception& e) {
        spdlog::warn("import_library: the transcriber does not load ({}); the mode comes from the chroma", e.what());
      }
    }
    return net_.get();
  }

 private:
  transcribe::TranscriberOptions options_;
  std::mutex mu_;
  bool tried_ = false;
  std::unique_ptr<transcribe::Transcriber> net_;
};

}  // namespace

fs::path library_folder(const fs::path& root, const std::string& requested) {
  if (root.empty())
    throw Error(ErrorKind::Conflict, "No music library is configured: set library.root to the folder scans may read");
  std::error_code ec;
  const auto base = fs::weakly_canonical(root, ec);
  if (ec || !fs::is_directory(base, ec))
    throw Error(ErrorKind::Conflict, "library.root (" + root.string() + ") is not a folder");
  if (requested.empty() || requested.find('\0') != std::string::npos)
    throw Error(ErrorKind::BadRequest, "Validation failed", {{"path", "is required"}});
  const fs::path asked(requested);
  const auto full = fs::weakly_canonical(asked.is_absolute() ? asked : base / asked, ec);
  if (ec) throw Error(ErrorKind::BadRequest, "Validation failed", {{"path", "is not a valid path"}});
  // Inside: every component of base starts full (so /music2 is not inside /music).
  auto b = base.begin(), f = full.begin();
  for (; b != base.end(); ++b, ++f)
    if (f == full.end() || *b != *f)
      throw Error(ErrorKind::BadRequest, "Validation failed", {{"path", "must be inside library.root"}});
  if (!fs::is_directory(full, ec)) throw Error(ErrorKind::NotFound, "No folder " + requested + " in the library");
  return full;
}

jobs::JobKind import_library_kind(ImportLibraryDeps deps) {
  jobs::JobKind k;
  k.name = kImportLibraryKind;
  k.lane = jobs::Lane::Batch;
  k.submittable = false;  // POST /api/admin/library/scan
  k.summary = "Scans a folder of the music library (library.root) into the tenant's tracks: tags, features from the audio, incremental.";
  k.payload_schema = {{"type", "object"},
                      {"required", {"path"}},
                      {"properties", {{"path", {{"type", "string"}}}, {"force", {{"type", "boolean"}}}}},
                      {"additionalProperties", false}};
  nlohmann::json count = {{"type", "integer"}, {"minimum", 0}};
  k.result_schema = {{"type", "object"},
                     {"properties",
                      {{"files", count},
                       {"read", count},
                       {"added", count},
                       {"updated", count},
                       {"unchanged", count},
                       {"removed", count},
                       {"failed", count},
                       {"featuresChanged", count},
                       {"failures",
                        {{"type", "array"},
                         {"items",
                          {{"type", "object"},
                           {"properties", {{"path", {{"type", "string"}}}, {"reason", {{"type", "string"}}}}}}}}},
                       {"removedPaths", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                       {"audioSeconds", {{"type", "number"}}},
                       {"seconds", {{"type", "number"}}},
                       {"modeFrom", {{"type", "string"}, {"enum", {"transcriber", "chroma"}}}}}}};
  auto net = std::make_shared<LazyTranscriber>(deps.model);
  k.run = [deps, net](jobs::JobContext& ctx) -> nlohmann::json {
    const auto& job = ctx.job();
    const auto folder = library_folder(deps.root, job.payload.value("path", std::string()));
    auto& db = deps.tenants.get(job.tenant_id);
    LibraryScanOptions o;
    o.force = job.payload.value("force", false);
    o.transcribe_s = deps.transcribe_s;
    ml::IntraOpThreads threads(ctx.threads());
    if (deps.transcribe_s > 0) {
      ctx.progress(0, "loading");
      o.transcriber = net->get();
    }
    o.progress = [&ctx](double f, std::string_view stage) { ctx.progress(f, stage); };
    o.cancelled = [&ctx] { return ctx.cancelled(); };
    const auto report = scan_library(db, folder, o);
    spdlog::info("tenant {}: library {} scanned: {} read, {} added, {} updated, {} unchanged, {} removed, {} failed",
                 job.tenant_id, folder.string(), report.read, report.added, report.updated, report.unchanged,
                 report.removed, report.failed);
    return to_json(report);
  };
  return k;
}

}  // namespace cadenza::pipeline
