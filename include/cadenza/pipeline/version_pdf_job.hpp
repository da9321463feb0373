#pragma once
// A generated version's sheet music, and the "version_pdf" job kind (batch lane) that renders its PDF once the
// version has ended (generate_job.hpp's on_succeeded starts it; GET /api/versions/{id}/download?format=pdf
// starts it again when it is missing or failed).
//
//   payload  {"versionId": "<uuid>"}
//   result   {"versionId", "bytes": N}
//
// The score comes from the notation engine given what the piece was made in: its meter, its key (one
// signature for the whole piece) and its tempo (an exact grid from time 0: nothing is estimated). The PDF is
// stored with the version (version_repo::put_file, format "pdf") and goes with it when it is deleted. A
// restart requeues the job (JobService's attempt limit); a failure is kept on the version (pdf_error).
#include <string>
#include <vector>

#include "cadenza/generate/prompt.hpp"
#include "cadenza/generate/corpus.hpp"
#include "cadenza/jobs/job_kind.hpp"
#include "cadenza/jobs/job_service.hpp"
#include "cadenza/notation/lilypond_writer.hpp"
#include "cadenza/notation/score.hpp"
#include "cadenza/store/tenant_dbs.hpp"

namespace cadenza::pipeline {

// The key signature of a tonic (pitch class 0..11) and mode: C major 0, D minor -1 (F), F# major 6, Eb minor -6.
notation::KeySignature key_signature(int tonic, generate::Mode mode);

// The two-hand piano score of a version's notes, titled `title`, credited to Cadenza.
notation::Score version_score(const generate::Controls& controls, const std::vector<generate::Note>& notes,
                              const std::string& title);

struct VersionPdfDeps {
  store::TenantDbs& tenants;
  notation::PdfOptions pdf;  // the engine (convert.pdf_engine) and its time limit
};

jobs::JobKind version_pdf_kind(VersionPdfDeps deps);

// Starts the version's version_pdf job (its id kept on the version, an earlier error cleared); Errors as
// JobService::submit's (a full queue: Unavailable with a retry time).
jobs::Job submit_version_pdf(jobs::JobService& jobs, const std::string& tenant_id, const std::string& owner_id,
                             const std::string& version_id);

}  // namespace cadenza::pipeline
