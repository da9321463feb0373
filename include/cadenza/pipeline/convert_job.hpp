#pragma once
// The "convert" job kind: an uploaded audio file (a blob of the job owner's tenant, from POST /api/files)
// -> notes (transcribe_audio, once) -> a score per requested arrangement (engrave_notes) -> score.musicxml,
// score.mid, score.pdf and (render_audio) score.ogg of each, stored as blobs owned by the job's owner (deleted with the profile).
//
//   payload  {"fileId": "<sha256 of the upload>", "arrangements": ["piano", "easy"], "title": "..."}
//   result   {"notes": N, "audioSeconds": S, "outputs": [{"type": "piano", "files": [
//              {"name": "score.musicxml", "sha": "...", "size": N}, ...]}]}
//
// Stages: fetching (a link), loading (the net, once per process), decoding .. notes, then per arrangement preparing .. pdf.
// A cancel stops it between stages and while LilyPond runs. The HTTP layer adds a signed `url` to each
// file of a result it shows.
#include <filesystem>
#include <functional>
#include <string>

#include "cadenza/jobs/job_kind.hpp"
#include "cadenza/notation/lilypond_writer.hpp"
#include "cadenza/net/address_rules.hpp"
#include "cadenza/net/http_client.hpp"
#include "cadenza/store/blob_store.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/transcribe/transcriber.hpp"

namespace cadenza::pipeline {

struct ConvertDeps {
  store::BlobStore& blobs;
  store::TenantDbs& tenants;
  transcribe::TranscriberOptions model;  // loaded on the first conversion, then shared
  std::filesystem::path work_dir;        // per-job scratch directories go below it
  net::AddressRules rules;               // what audioUrl may reach (net.allow_networks)
  net::FetchLimits fetch;                // audioUrl and youtubeLink downloads (convert.fetch_*)
  std::string ytdlp = "yt-dlp";          // convert.ytdlp_path
  double max_duration_s = 1200;          // longer audio fails with 422 before transcription
  bool render_audio = true;              // score.ogg per arrangement (FluidSynth, Ogg/Opus)
  notation::PdfOptions pdf;              // score.pdf's engine (convert.pdf_engine)
};

jobs::JobKind convert_kind(ConvertDeps deps);

// A convert job's scratch directory, <work_dir>/convert-<tenant>-<job>. It outlives a crash or a shutdown,
// so the requeued run resumes from it: a fetched file, the kept notes (store/transcription_repo.hpp) and
// the arrangements already written are not made again (the result's `reused` says which).
std::filesystem::path work_dir_of(const ConvertDeps& deps, const std::string& tenant_id, const std::string& job_id);
// Removes the scratch directories whose job will not run again (unfinished(tenant, job) false); returns
// how many.
int sweep_work_dirs(const std::filesystem::path& work_dir,
                    const std::function<bool(const std::string&, const std::string&)>& unfinished);

}  // namespace cadenza::pipeline
