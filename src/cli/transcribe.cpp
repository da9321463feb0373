// cadenza transcribe: audio file -> notes.mid / notes.json with the Basic Pitch transcriber (and, with --score,
// sheet music). Flags only: the work and the defaults are pipeline::audio_to_score's.
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "cadenza/core/error.hpp"
#include "cadenza/pipeline/audio_to_score.hpp"
#include "cli/commands.hpp"

namespace cadenza::cli {
namespace {

constexpr double kMiB = 1024 * 1024;

struct TranscribeArgs {
  std::string input;
  std::string out_dir = ".";
  std::string formats = "midi";
  bool quiet = false;
  bool score = false;
  transcribe::TranscriberOptions model;
  pipeline::AudioToScoreOptions options;  // without --score only options.transcription counts
  double max_size_mib = double(options.transcription.limits.max_bytes) / kMiB;
};

int run(TranscribeArgs& a) {
  auto& t = a.options.transcription;
  t.write_midi = false;
  std::stringstream ss{a.formats};
  for (std::string f; std::getline(ss, f, ',');) {
    if (f == "midi" || f == "mid") t.write_midi = true;
    else if (f == "json") t.write_json = true;
    else throw Error{ErrorKind::BadRequest, "unknown format '" + f + "'", {{"format", "use midi, json or midi,json"}}};
  }
  t.out_dir = a.options.engraving.out_dir = a.out_dir;
  t.limits.max_bytes = std::size_t(a.max_size_mib * kMiB);

  ProgressBar bar{!a.quiet && ::isatty(STDERR_FILENO)};
  const pipeline::Hooks hooks{[&](double f, std::string_view stage) { bar.update(f, stage); }, {}};
  pipeline::AudioToScoreResult r;
  if (a.score) r = pipeline::audio_to_score(a.model, a.input, a.options, hooks);
  else r.transcription = pipeline::transcribe_audio(a.model, a.input, t, hooks);
  bar.finish();

  if (!a.quiet) {
    const double audio_s = r.transcription.audio_seconds, secs = r.transcription.seconds;
    std::fprintf(stderr, "cadenza: %zu notes from %.1f s of audio in %.2f s (%.1fx real time)\n",
                 r.transcription.notes.size(), audio_s, secs, secs > 0 ? audio_s / secs : 0.0);
  }
  for (const auto* files : {&r.transcription.files, &r.engraving.files})
    for (const auto& f : *files) std::printf("%s\n", f.c_str());
  return 0;
}

}  // namespace

void add_transcribe(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TranscribeArgs>();
  auto& notes = args->options.transcription.notes;
  auto& midi = args->options.transcription.midi;
  auto* cmd = app.add_subcommand("transcribe", "Transcribe an audio file to MIDI / JSON notes (Basic Pitch)");
  cmd->add_option("input", args->input, "Audio file: WAV, FLAC, OGG/Vorbis, Opus or MP3")->required();
  cmd->add_option("-o,--output-dir", args->out_dir, "Directory for notes.mid / notes.json")->capture_default_str();
  cmd->add_option("--format", args->formats, "Comma-separated outputs: midi, json")->capture_default_str();
  cmd->add_option("--onset-threshold", notes.onset_threshold, "Minimum onset activation that starts a note")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--frame-threshold", notes.frame_threshold, "Minimum frame activation that keeps a note on")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--min-note-length", notes.min_note_ms, "Minimum note length in milliseconds")
      ->check(CLI::Range(0.0, 60000.0))->capture_default_str();
  cmd->add_option("--min-freq", notes.min_freq_hz, "Ignore activations below this frequency (Hz)");
  cmd->add_option("--max-freq", notes.max_freq_hz, "Ignore activations above this frequency (Hz)");
  cmd->add_flag_callback("--no-melodia", [&notes] { notes.melodia_trick = false; }, "Disable the melodia trick");
  cmd->add_flag_callback("--no-infer-onsets", [&notes] { notes.infer_onsets = false; }, "Only use predicted onsets");
  cmd->add_flag_callback("--no-pitch-bends", [&notes] { notes.include_pitch_bends = false; }, "Leave pitch bends out");
  cmd->add_flag("--multiple-pitch-bends", midi.multiple_pitch_bends,
                "One MIDI track per pitch so overlapping notes keep bends");
  cmd->add_option("--midi-tempo", midi.tempo_bpm, "Tempo written to the MIDI file (BPM)")->capture_default_str();
  cmd->add_option("--threads", args->model.threads, "Inference threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--models-dir", args->model.models_dir, "Directory with node_modules/@spotify/basic-pitch")
      ->capture_default_str();
  cmd->add_option("--max-duration", args->options.transcription.limits.max_seconds, "Longest accepted audio in seconds")
      ->capture_default_str();
  cmd->add_option("--max-size", args->max_size_mib, "Largest accepted file in MiB")->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "No progress bar or summary");
  cmd->add_flag("--score", args->score,
                "Also write sheet music: score.musicxml, score.mid, score.pdf (piano arrangement)");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace cadenza::cli
