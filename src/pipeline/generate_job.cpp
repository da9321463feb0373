// The "generate" job kind (generate_job.hpp): sampler -> NotePlayer -> Ogg/Opus chunks in the chunk store.
#include "cadenza/pipeline/generate_job.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <optional>

#include "cadenza/audio/note_player.hpp"
#include "cadenza/audio/ogg_opus.hpp"
#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/generate/markov_sampler.hpp"
#include "cadenza/generate/transformer_sampler.hpp"
#include "cadenza/generate/tokens.hpp"
#include "cadenza/jobs/job_context.hpp"
#include "cadenza/store/chunk_repo.hpp"
#include "cadenza/store/version_repo.hpp"

namespace cadenza::pipeline {

using generate::Controls;
using generate::Note;
using generate::Token;
using nlohmann::json;

SamplerFactory markov_sampler_factory(std::shared_ptr<const generate::MarkovModel> model) {
  return [model](const Controls& c, const generate::SamplerSettings& s, const std::vector<Token>& prefix) {
    return std::unique_ptr<generate::NoteSampler>(std::make_unique<generate::MarkovSampler>(*model, c, s, prefix));
  };
}

SamplerFactory transformer_sampler_factory(std::shared_ptr<const ml::GeneratorNet> net) {
  return [net](const Controls& c, const generate::SamplerSettings& s, const std::vector<Token>& prefix) {
    return std::unique_ptr<generate::NoteSampler>(std::make_unique<generate::TransformerSampler>(*net, c, prefix, s));
  };
}

json notes_json(const std::vector<Note>& notes) {
  json out = json::array();
  for (const auto& n : notes) out.push_back({n.onset, n.duration, n.pitch, n.velocity});
  return out;
}

std::vector<Note> notes_from_json(const json& j) {
  std::vector<Note> out;
  if (!j.is_array()) return out;
  for (const auto& n : j) {
    if (!n.is_array() || n.size() != 4) continue;
    Note note{n[0].get<int64_t>(), std::max<int64_t>(1, n[1].get<int64_t>()), n[2].get<int>(), n[3].get<int>()};
    if (note.onset < 0 || note.pitch < 0 || note.pitch > 127) continue;
    out.push_back(note);
  }
  return out;
}

std::size_t recover_interrupted_notes(store::Database& db, const std::string& version_id) {
  auto v = store::version_repo::find(db, version_id, true);
  if (!v || v->status != store::VersionStatus::Interrupted || !notes_from_json(v->notes).empty()) return 0;
  const auto controls = generate::controls_from_json(v->controls);
  const double ticks_per_s = controls.tempo_bpm / 60.0 * generate::kTicksPerQuarter;
  std::vector<Note> notes;
  std::int64_t after = 0;
  while (true) {
    auto chunks = store::chunk_repo::read_from(db, version_id, after, 256, 16 << 20);
    if (chunks.empty()) break;
    for (const auto& c : chunks) {
      after = c.seq;
      if (!c.meta.contains("notes") || !c.meta["notes"].is_array()) continue;
      for (const auto& n : c.meta["notes"]) {
        const auto onset = std::llround(n.value("start", 0.0) * ticks_per_s);
        const auto end = std::llround(n.value("end", 0.0) * ticks_per_s);
        notes.push_back(Note{onset, std::max<int64_t>(1, end - onset), n.value("pitch", 60), n.value("velocity", 80)});
      }
    }
  }
  store::version_repo::set_notes(db, version_id, notes_json(notes), bar_count(controls, notes), now_ms());
  return notes.size();
}

int64_t bar_count(const Controls& c, const std::vector<Note>& notes) {
  const int64_t bar_len = piece_of(c, {}).bar_ticks();
  int64_t last = -1;
  for (const auto& n : notes) last = std::max(last, n.onset / bar_len);
  return last + 1;
}

generate::Piece piece_of(const Controls& c, const std::vector<Note>& notes) {
  generate::Piece p;
  p.id = "version";
  p.style = c.style;
  p.meter = c.meter;
  p.key_tonic = ((c.key_tonic % 12) + 12) % 12;
  p.mode = c.mode;
  p.tempo_bpm = c.tempo_bpm;
  p.notes = notes;
  std::stable_sort(p.notes.begin(), p.notes.end(), [](const Note& a, const Note& b) {
    return a.onset != b.onset ? a.onset < b.onset : a.pitch < b.pitch;
  });
  return p;
}

std::vector<Token> prefix_tokens(const Controls& c, const std::vector<Note>& notes) {
  const auto piece = piece_of(c, notes);
  const int64_t bar_len = piece.bar_ticks();
  std::vector<Token> out;
  int64_t bar = 0;
  int64_t last_onset = -1;
  int last_pitch = -1;
  for (const auto& n : piece.notes) {
    if (n.pitch < generate::kLowestPitch || n.pitch > generate::kHighestPitch) continue;
    if (n.onset == last_onset && n.pitch == last_pitch) continue;
    const int64_t b = n.onset / bar_len;
    // A silence longer than the tokens' bar field: the history reads the longest delta (the bar count stays exact).
    Token t = generate::note_token(0, int(n.onset % bar_len), n.pitch, n.duration, n.velocity);
    t[generate::kBar] = int(b - bar);
    out.push_back(t);
    bar = b;
    last_onset = n.onset;
    last_pitch = n.pitch;
  }
  return out;
}

namespace {

json payload_schema() {
  using namespace schema;
  return object({{"versionId", with(string(36, 36), "description", "the version (POST /api/projects/{id}/versions made it)"),
                  Required}});
}

json result_schema() {
  using namespace schema;
  auto n = integer(0, INT64_MAX);
  return object({{"versionId", string(36, 36), Required},
                 {"notes", n, Required},
                 {"chunks", n, Required},
                 {"durationMs", n, Required},
                 {"firstChunkMs", with(n, "description", "from the job's start to its first chunk stored")},
                 {"interrupted", with(boolean(), "description", "the version was interrupted by a restart: not made again")}});
}

double seconds_of(int64_t ticks, double bpm) { return double(ticks) * 60.0 / (bpm * generate::kTicksPerQuarter); }

}  // namespace

jobs::RowHook generate_finish_hook() {
  return [](store::Db& db, const store::JobRecord& job) {
    if (job.state != store::JobState::Failed && job.state != store::JobState::Cancelled) return;
    store::version_repo::close_open(db, job.id,
                                    job.state == store::JobState::Failed ? store::VersionStatus::Failed
                                                                         : store::VersionStatus::Cancelled,
                                    job.error.message, now_ms());
  };
}

jobs::JobKind generate_kind(GenerateDeps deps) {
  jobs::JobKind k;
  k.name = "generate";
  k.lane = jobs::Lane::Interactive;
  k.submittable = false;  // POST /api/projects/{id}/versions starts it
  k.summary = "Generates a version of a project: samples notes, renders them with FluidSynth and streams Ogg/Opus chunks";
  k.payload_schema = payload_schema();
  k.result_schema = result_schema();
  k.on_finish = generate_finish_hook();
  k.run = [deps](jobs::JobContext& ctx) -> json {
    const auto started = std::chrono::steady_clock::now();
    const auto& job = ctx.job();
    schema::check(payload_schema(), ctx.payload(), "payload");
    const auto version_id = ctx.payload().at("versionId").get<std::string>();
    auto& db = deps.tenants.get(job.tenant_id);
    auto version = store::version_repo::find(db, version_id, false);
    if (!version) throw Error(ErrorKind::NotFound, "Version " + version_id + " not found", {{"payload.versionId", "no such version"}});
    if (!store::version_repo::start(db, version_id, now_ms()))  // interrupted by a restart (or cancelled): not again
      return {{"versionId", version_id}, {"notes", 0}, {"chunks", version->chunk_count},
              {"durationMs", version->duration_ms}, {"interrupted", true}};
    if (!deps.sampler) throw Error(ErrorKind::Unavailable, "No generation model is loaded (generate.markov_model)");

    const Controls controls = generate::controls_from_json(version->controls);
    generate::SamplerSettings settings;
    settings.seed = uint64_t(version->seed);
    std::vector<Note> notes;  // what the version plays, prefix included
    std::vector<Note> tail;   // vary: the parent's bars after the varied ones, played after the sampled bars
    std::vector<Token> prefix;
    Controls sampled = controls;
    const int64_t bar_len = piece_of(controls, {}).bar_ticks();
    if (version->mode != "new" && version->parent_version_id) {
      auto parent = store::version_repo::find(db, *version->parent_version_id, true);
      if (!parent) throw Error(ErrorKind::NotFound, "The parent version is gone");
      auto parent_notes = notes_from_json(parent->notes);
      if (version->mode == "vary") {
        // Bars from..to (1-based, inclusive; the handler set them) are sampled again after the bars before them.
        const int64_t total = std::max<int64_t>(1, bar_count(controls, parent_notes));
        const int64_t from = std::clamp<int64_t>(version->vary_from.value_or(total / 2 + 1), 1, total);
        const int64_t to = std::clamp<int64_t>(version->vary_to.value_or(total), from, total);
        std::vector<Note> kept;
        for (const auto& n : parent_notes) {
          const int64_t b = n.onset / bar_len;
          if (b < from - 1) kept.push_back(n);
          else if (b >= to) tail.push_back(n);
        }
        parent_notes = std::move(kept);
        const int64_t kept_bars = parent_notes.empty() ? 0 : bar_count(controls, parent_notes);
        sampled.length = {generate::Length::Unit::Bars, double(std::max<int64_t>(1, to - kept_bars))};
      }
      notes = parent_notes;
      prefix = prefix_tokens(controls, parent_notes);
    }
    auto sampler = deps.sampler(sampled, settings, prefix);

    const double bpm = controls.tempo_bpm;
    audio::Synth synth(deps.synth);
    const int program = controls.instruments.empty() ? 0 : std::clamp(controls.instruments.front(), 0, 127);
    synth.program_change(0, program);
    audio::NotePlayer player(synth, 0);
    audio::OggOpusStream ogg(synth.sample_rate(), audio::Synth::kChannels);
    for (const auto& n : notes)
      player.add(NoteEvent{n.pitch, seconds_of(n.onset, bpm), seconds_of(n.onset + n.duration, bpm), n.velocity / 127.0, {}});

    int64_t chunks = 0, stored_ms = 0;
    std::size_t announced = 0;  // notes[0, announced) went out with a chunk
    std::optional<double> first_chunk_ms;
    double chunk_end = kFirstChunkSeconds;
    const double estimated = std::max(1.0, seconds_of(int64_t(
        (sampled.length.unit == generate::Length::Unit::Bars ? sampled.length.value * double(bar_len)
                                                             : sampled.length.value * bpm / 60 * generate::kTicksPerQuarter)),
        bpm) + (notes.empty() ? 0 : seconds_of(notes.back().onset, bpm)) +
        (tail.empty() ? 0 : seconds_of(tail.back().onset - tail.front().onset, bpm)));
    // One chunk: the audio up to `until` (seconds on the stream's clock), its Ogg pages, stored and announced.
    auto emit = [&](double until, bool last) {
      const double from = player.position();
      const auto pcm = player.render_until(until);
      std::string bytes = ogg.write(pcm);
      if (last) bytes += ogg.finish();
      const int64_t start_ms = std::llround(from * 1000);
      const int64_t end_ms = std::llround(player.position() * 1000);
      // The notes that start in this chunk (every one before `until` is known by now; the last takes the rest):
      // a client draws them as the audio arrives.
      json chunk_notes = json::array();
      for (; announced < notes.size() && (last || seconds_of(notes[announced].onset, bpm) < until); ++announced) {
        const auto& n = notes[announced];
        chunk_notes.push_back({{"pitch", n.pitch},
                               {"start", seconds_of(n.onset, bpm)},
                               {"end", seconds_of(n.onset + n.duration, bpm)},
                               {"velocity", n.velocity}});
      }
      const json meta = {{"startMs", start_ms}, {"durationMs", end_ms - start_ms}, {"last", last}, {"notes", chunk_notes}};
      const auto seq = store::version_repo::add_chunk(db, version_id, bytes, meta, end_ms - start_ms, now_ms());
      stored_ms = end_ms;
      ++chunks;
      if (!first_chunk_ms)
        first_chunk_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      // The job's watchers hear of each chunk (a job.chunk event, never coalesced).
      ctx.stream_event({{"versionId", version_id}, {"seq", seq}, {"startMs", start_ms}, {"durationMs", end_ms - start_ms},
                        {"last", last}, {"notes", meta["notes"]}});
      ctx.progress(std::min(0.99, player.position() / estimated), "streaming");
    };

    bool cancelled = false;
    int64_t bar = 0;
    for (const auto& t : prefix) bar += t[generate::kBar];
    // The sampler's notes, then the tail's, in onset order.
    bool sampling = true;
    std::size_t tail_at = 0;
    auto next_note = [&]() -> std::optional<Note> {
      if (sampling) {
        if (auto t = sampler->next()) {
          bar += (*t)[generate::kBar];
          return Note{bar * bar_len + (*t)[generate::kPosition], generate::duration_ticks((*t)[generate::kDuration]),
                      (*t)[generate::kPitch] + generate::kLowestPitch, generate::velocity_of((*t)[generate::kVelocity])};
        }
        sampling = false;
      }
      if (tail_at < tail.size()) return tail[tail_at++];
      return std::nullopt;
    };
    while (true) {
      if (ctx.cancelled()) {
        cancelled = true;
        break;
      }
      const auto token = next_note();
      double onset_s = 0;
      if (token) {
        const Note& n = *token;
        notes.push_back(n);
        onset_s = seconds_of(n.onset, bpm);
        player.add(NoteEvent{n.pitch, onset_s, seconds_of(n.onset + n.duration, bpm), n.velocity / 127.0, {}});
        if (onset_s < chunk_end) continue;  // the chunk may still get notes
      }
      // Every note that starts before chunk_end is in: the chunks up to this note (or to the end) can go.
      const double end_s = token ? onset_s : std::max(player.last_end(), player.position()) + kTailSeconds;
      bool done = false;
      while (chunk_end <= end_s || !token) {
        if (ctx.cancelled()) {
          cancelled = true;
          break;
        }
        const bool last = !token && chunk_end >= end_s;
        emit(last ? end_s : chunk_end, last);
        if (last) {
          done = true;
          break;
        }
        chunk_end += kChunkSeconds;
      }
      if (done || cancelled) break;
    }
    const auto notes_out = notes_json(notes);
    if (cancelled) {
      if (!ctx.control().shutdown.load())
        store::version_repo::finish(db, version_id, store::VersionStatus::Cancelled, notes_out, bar_count(controls, notes),
                                    "", now_ms());
      return {{"versionId", version_id}, {"notes", notes.size()}, {"chunks", chunks}, {"durationMs", stored_ms}};
    }
    store::version_repo::finish(db, version_id, store::VersionStatus::Succeeded, notes_out, bar_count(controls, notes), "",
                                now_ms());
    if (deps.on_succeeded) deps.on_succeeded(job, version_id);
    json result = {{"versionId", version_id}, {"notes", notes.size()}, {"chunks", chunks}, {"durationMs", stored_ms}};
    if (first_chunk_ms) result["firstChunkMs"] = std::llround(*first_chunk_ms);
    spdlog::info("generate: version {}: {} notes, {} chunks, {:.1f} s of audio in {:.2f} s (first chunk after {:.0f} ms)",
                 version_id, notes.size(), chunks, double(stored_ms) / 1000,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                 first_chunk_ms.value_or(0));
    return result;
  };
  return k;
}

}  // namespace cadenza::pipeline
