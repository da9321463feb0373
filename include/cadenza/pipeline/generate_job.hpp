#pragma once
// The "generate" job kind (interactive lane): one version of a generation project (store/version_repo.hpp)
// played into audio while it is sampled.
//
//   payload  {"versionId": "<uuid>"}   (the version row holds mode, controls, seed and parent)
//   result   {"versionId", "notes": N, "chunks": N, "durationMs": N, "firstChunkMs": N}
//
// sampler (a NoteSampler: the Markov baseline now, the transformer later; notes in onset order) -> one
// FluidSynth synth per stream (audio::NotePlayer: a note held past a chunk's end sounds on into the next) ->
// Ogg/Opus (audio::OggOpusStream, a page per chunk) -> each chunk appended to the chunk store as it is made
// (stream id = version id, with the version's chunk_count and duration_ms in the same transaction) and
// announced to the owner's WebSockets as a "job.chunk" event, {"type":"job.chunk","seq","job","chunk":
// {versionId, seq, startMs, durationMs, last, notes: [{pitch, start, end, velocity}]}} (the notes that start in
// the chunk, in seconds on the stream's clock; never coalesced; replayed with the job's events). The first chunk
// holds kFirstChunkSeconds of audio (playback starts fast), the others kChunkSeconds; the concatenated
// chunks are one Ogg/Opus stream, every prefix of whole chunks a playable one. A chunk is rendered once the
// sampler has given every note that starts inside it, so the stream runs ahead of real time as fast as
// the sampler and the synth go.
//
// Modes: new (the prompt's controls and the seed); continue (the parent's notes are the sampler's prefix and
// are played again: the version is the whole longer piece, `bars` more bars); vary (bars vary_from..vary_to
// of the parent, 1-based and inclusive, default its second half, are sampled again with the new seed after
// the parent's bars before them, and the parent's bars after them follow as they were).
//
// The notes (ticks, 12 a quarter) are written to the version when it ends, for MIDI and MusicXML. A cancel
// stops it within one note; the version ends `cancelled`, its chunks kept. A version already running when
// its job runs again (a restart requeued it) is not made twice: Application marks it `interrupted` at start,
// and the job returns at once.
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cadenza/audio/synth.hpp"
#include "cadenza/core/note_event.hpp"
#include "cadenza/generate/markov.hpp"
#include "cadenza/generate/prompt.hpp"
#include "cadenza/generate/sampler.hpp"
#include "cadenza/jobs/job_kind.hpp"
#include "cadenza/ml/generator_net.hpp"
#include "cadenza/store/tenant_dbs.hpp"

namespace cadenza::pipeline {

inline constexpr double kFirstChunkSeconds = 0.2;
inline constexpr double kChunkSeconds = 0.5;
inline constexpr double kTailSeconds = 1.0;  // after the last note ends: releases and reverb

// Makes the sampler of one stream: controls, settings, and the prefix of note tokens it continues.
using SamplerFactory = std::function<std::unique_ptr<generate::NoteSampler>(
    const generate::Controls&, const generate::SamplerSettings&, const std::vector<generate::Token>& prefix)>;

// The Markov model as a SamplerFactory (the model is shared, read-only, by every stream).
SamplerFactory markov_sampler_factory(std::shared_ptr<const generate::MarkovModel> model);
// The transformer (generate/transformer_sampler.hpp) as one: the net shared, read-only, each stream with its
// own key/value cache, on the job's thread.
SamplerFactory transformer_sampler_factory(std::shared_ptr<const ml::GeneratorNet> net);

struct GenerateDeps {
  store::TenantDbs& tenants;
  SamplerFactory sampler;          // empty: every generate job fails with 503 (no model loaded)
  audio::SynthOptions synth;       // the soundfont (find_soundfont's default), 48 kHz stereo
  // After a version has succeeded (its notes stored): Application starts the version_pdf job here.
  std::function<void(const store::JobRecord& job, const std::string& version_id)> on_succeeded;
};

jobs::JobKind generate_kind(GenerateDeps deps);
// The kind's on_finish: a version whose job failed or was cancelled before the handler could say so (a
// cancel while queued) gets that state.
jobs::RowHook generate_finish_hook();

// A version's notes as stored ([[onset, duration, pitch, velocity], ...], ticks) and back.
nlohmann::json notes_json(const std::vector<generate::Note>& notes);
std::vector<generate::Note> notes_from_json(const nlohmann::json& j);
// The notes as a Piece with the controls' style, key, mode, meter and tempo.
generate::Piece piece_of(const generate::Controls& controls, const std::vector<generate::Note>& notes);
// A version interrupted by a restart (its notes were to be written at its end): its notes rebuilt from those
// its stored chunks announced, so that it downloads as MIDI and a score, and `continue` resumes it. Returns
// how many.
std::size_t recover_interrupted_notes(store::Database& db, const std::string& version_id);
// Bars of music: the last note's bar + 1 (0 without notes).
int64_t bar_count(const generate::Controls& controls, const std::vector<generate::Note>& notes);
// The notes as note tokens (encode()'s order and bar deltas), for a sampler's prefix.
std::vector<generate::Token> prefix_tokens(const generate::Controls& controls, const std::vector<generate::Note>& notes);

}  // namespace cadenza::pipeline
