#include "cadenza/pipeline/version_pdf_job.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/jobs/job_context.hpp"
#include "cadenza/notation/engrave.hpp"
#include "cadenza/pipeline/generate_job.hpp"
#include "cadenza/store/project_repo.hpp"
#include "cadenza/store/version_repo.hpp"

namespace cadenza::pipeline {

using nlohmann::json;

notation::KeySignature key_signature(int tonic, generate::Mode mode) {
  const int major_tonic = ((tonic + (mode == generate::Mode::Minor ? 3 : 0)) % 12 + 12) % 12;
  int fifths = (major_tonic * 7) % 12;  // C 0, G 1, ... F 11
  if (fifths > 6) fifths -= 12;          // F -1, Bb -2, ...; F#/Gb is written F# (6)
  return {fifths, mode == generate::Mode::Minor};
}

notation::Score version_score(const generate::Controls& controls, const std::vector<generate::Note>& notes,
                              const std::string& title) {
  notation::EngraveOptions eo;
  eo.arrangement = notation::Arrangement::Piano;
  eo.title = title;
  eo.composer = "Cadenza";
  eo.time = notation::TimeSignature{controls.meter.numerator, controls.meter.denominator};
  eo.key = key_signature(controls.key_tonic, controls.mode);
  eo.tempo_bpm = controls.tempo_bpm;
  auto score = notation::engrave(generate::to_events(piece_of(controls, notes)), eo);
  for (auto& t : score.tempos) t.bpm = controls.tempo_bpm;
  return score;
}

namespace {

json payload_schema() {
  using namespace schema;
  return object({{"versionId", with(string(36, 36), "description", "the version whose score is rendered"), Required}});
}

json result_schema() {
  using namespace schema;
  return object({{"versionId", string(36, 36), Required}, {"bytes", integer(0, INT64_MAX), Required}});
}

}  // namespace

jobs::JobKind version_pdf_kind(VersionPdfDeps deps) {
  jobs::JobKind k;
  k.name = "version_pdf";
  k.lane = jobs::Lane::Batch;
  k.submittable = false;  // a version that succeeded starts it (and its PDF download, when it is missing)
  k.summary = "Renders the sheet music of a generated version as a PDF, kept with the version";
  k.payload_schema = payload_schema();
  k.result_schema = result_schema();
  k.on_finish = [](store::Db& db, const store::JobRecord& job) {
    if (job.state == store::JobState::Failed) store::version_repo::set_pdf_error(db, job.id, job.error.message);
  };
  k.run = [deps](jobs::JobContext& ctx) -> json {
    schema::check(payload_schema(), ctx.payload(), "payload");
    const auto id = ctx.payload().at("versionId").get<std::string>();
    auto& db = deps.tenants.get(ctx.job().tenant_id);
    auto v = store::version_repo::find(db, id, true);
    if (!v) throw Error(ErrorKind::NotFound, "Version " + id + " not found", {{"payload.versionId", "no such version"}});
    const auto notes = notes_from_json(v->notes);
    if (notes.empty()) throw Error(ErrorKind::Unprocessable, "The version has no notes");
    auto project = store::project_repo::find(db, v->project_id);
    ctx.progress(0.1, "engraving");
    const auto score = version_score(generate::controls_from_json(v->controls), notes, project ? project->name : "Cadenza");
    ctx.progress(0.3, "pdf");
    const auto pdf = notation::render_pdf(score, deps.pdf, [&] {
      if (ctx.cancelled()) throw Error(ErrorKind::Conflict, "The job was cancelled");
    });
    store::version_repo::put_file(db, id, "pdf", std::string_view(reinterpret_cast<const char*>(pdf.data()), pdf.size()),
                                  now_ms());
    spdlog::info("version_pdf: version {}: {} bytes", id, pdf.size());
    return {{"versionId", id}, {"bytes", pdf.size()}};
  };
  return k;
}

jobs::Job submit_version_pdf(jobs::JobService& jobs, const std::string& tenant_id, const std::string& owner_id,
                             const std::string& version_id) {
  return jobs.submit(tenant_id, owner_id, "version_pdf", 3, {{"versionId", version_id}},
                     [&](store::Db& db, const store::JobRecord& row) { store::version_repo::set_pdf_job(db, version_id, row.id); });
}

}  // namespace cadenza::pipeline
