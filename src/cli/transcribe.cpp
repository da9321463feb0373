// cadenza transcribe: audio file -> notes.mid / notes.json with the Basic Pitch transcriber.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "cadenza/audio/load.hpp"
#include "cadenza/core/atomic_file.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/notation/engrave.hpp"
#include "cadenza/notation/lilypond_writer.hpp"
#include "cadenza/notation/midi_file.hpp"
#include "cadenza/notation/musicxml_writer.hpp"
#include "cadenza/transcribe/notes_json.hpp"
#include "cadenza/transcribe/transcriber.hpp"
#include "cli/commands.hpp"

namespace cadenza::cli {
namespace {

struct TranscribeArgs {
  std::string input;
  std::string out_dir = ".";
  std::string formats = "midi";
  double onset = 0.5;
  double frame = 0.3;
  double min_note_ms = 127.70;
  std::optional<double> min_freq, max_freq;
  bool no_melodia = false;
  bool no_infer_onsets = false;
  bool no_bends = false;
  bool multiple_bends = false;
  double tempo = 120;
  int threads = 0;
  std::string models_dir = ml::default_models_dir().string();
  double max_duration_s = 20 * 60;
  double max_size_mib = 200;
  bool quiet = false;
  bool score = false;
};

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void update(double f, std::string_view stage) {
    if (!enabled_) return;
    const int width = 30, filled = int(f * width + 0.5);
    std::fprintf(stderr, "\r[%s%s] %3d%% %-10.*s", std::string(std::size_t(filled), '#').c_str(),
                 std::string(std::size_t(width - filled), '.').c_str(), int(f * 100 + 0.5), int(stage.size()),
                 stage.data());
    std::fflush(stderr);
  }
  void finish() {
    if (enabled_) std::fprintf(stderr, "\r%60s\r", "");
  }

 private:
  bool enabled_;
};

int run(const TranscribeArgs& a) {
  bool want_midi = false, want_json = false;
  std::stringstream ss{a.formats};
  for (std::string f; std::getline(ss, f, ',');) {
    if (f == "midi" || f == "mid") want_midi = true;
    else if (f == "json") want_json = true;
    else throw Error{ErrorKind::BadRequest, "unknown format '" + f + "'", {{"format", "use midi, json or midi,json"}}};
  }
  transcribe::NoteOptions o;
  o.onset_threshold = a.onset;
  o.frame_threshold = a.frame;
  o.min_note_ms = a.min_note_ms;
  o.min_freq_hz = a.min_freq;
  o.max_freq_hz = a.max_freq;
  o.melodia_trick = !a.no_melodia;
  o.infer_onsets = !a.no_infer_onsets;
  o.include_pitch_bends = !a.no_bends;
  o.multiple_pitch_bends = a.multiple_bends;
  o.midi_tempo = a.tempo;

  audio::DecodeLimits limits{a.max_duration_s, std::size_t(a.max_size_mib * 1024 * 1024)};
  ProgressBar bar{!a.quiet && ::isatty(STDERR_FILENO)};
  const auto t0 = std::chrono::steady_clock::now();
  bar.update(0, "loading");
  transcribe::Transcriber t{transcribe::TranscriberOptions{a.models_dir, a.threads, 4}};
  bar.update(0, "decoding");
  auto mono = audio::load_mono(a.input, transcribe::Transcriber::kSampleRate, limits);
  auto result = t.run(mono, o, [&](double f, std::string_view s) { bar.update(f, s); });
  bar.finish();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::filesystem::create_directories(a.out_dir);
  std::vector<std::string> written;
  if (want_midi) {
    auto p = std::filesystem::path(a.out_dir) / "notes.mid";
    write_file_atomically(p, notation::to_midi(result.notes, {o.midi_tempo, o.multiple_pitch_bends}));
    written.push_back(p.string());
  }
  if (want_json) {
    auto p = std::filesystem::path(a.out_dir) / "notes.json";
    write_file_atomically(p, transcribe::notes_to_json(result.notes) + "\n");
    written.push_back(p.string());
  }
  if (a.score) {
    // Sheet music: the notes through the notation engine (piano arrangement).
    notation::EngraveOptions eo;
    eo.arrangement = notation::Arrangement::Piano;
    eo.title = std::filesystem::path(a.input).stem().string();
    eo.arranger = "Cadenza";
    const auto score = notation::engrave(result.notes, eo);
    const auto dir = std::filesystem::path(a.out_dir);
    write_file_atomically(dir / "score.musicxml", notation::to_musicxml(score));
    const auto smf = notation::to_midi(score);
    write_file_atomically(dir / "score.mid", smf);
    const auto pdf = notation::render_pdf(score);
    write_file_atomically(dir / "score.pdf", pdf);
    for (const char* f : {"score.musicxml", "score.mid", "score.pdf"}) written.push_back((dir / f).string());
  }
  if (!a.quiet) {
    const double audio_s = double(mono.size()) / transcribe::Transcriber::kSampleRate;
    std::fprintf(stderr, "cadenza: %zu notes from %.1f s of audio in %.2f s (%.1fx real time)\n", result.notes.size(),
                 audio_s, secs, secs > 0 ? audio_s / secs : 0.0);
  }
  for (const auto& w : written) std::printf("%s\n", w.c_str());
  return 0;
}

}  // namespace

void add_transcribe(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TranscribeArgs>();
  auto* cmd = app.add_subcommand("transcribe", "Transcribe an audio file to MIDI / JSON notes (Basic Pitch)");
  cmd->add_option("input", args->input, "Audio file: WAV, FLAC, OGG/Vorbis, Opus or MP3")->required();
  cmd->add_option("-o,--output-dir", args->out_dir, "Directory for notes.mid / notes.json")->capture_default_str();
  cmd->add_option("--format", args->formats, "Comma-separated outputs: midi, json")->capture_default_str();
  cmd->add_option("--onset-threshold", args->onset, "Minimum onset activation that starts a note")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--frame-threshold", args->frame, "Minimum frame activation that keeps a note on")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--min-note-length", args->min_note_ms, "Minimum note length in milliseconds")
      ->check(CLI::Range(0.0, 60000.0))->capture_default_str();
  cmd->add_option("--min-freq", args->min_freq, "Ignore activations below this frequency (Hz)");
  cmd->add_option("--max-freq", args->max_freq, "Ignore activations above this frequency (Hz)");
  cmd->add_flag("--no-melodia", args->no_melodia, "Disable the melodia trick");
  cmd->add_flag("--no-infer-onsets", args->no_infer_onsets, "Only use predicted onsets");
  cmd->add_flag("--no-pitch-bends", args->no_bends, "Leave pitch bends out");
  cmd->add_flag("--multiple-pitch-bends", args->multiple_bends, "One MIDI track per pitch so overlapping notes keep bends");
  cmd->add_option("--midi-tempo", args->tempo, "Tempo written to the MIDI file (BPM)")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Inference threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--models-dir", args->models_dir, "Directory with node_modules/@spotify/basic-pitch")
      ->capture_default_str();
  cmd->add_option("--max-duration", args->max_duration_s, "Longest accepted audio in seconds")->capture_default_str();
  cmd->add_option("--max-size", args->max_size_mib, "Largest accepted file in MiB")->capture_default_str();
  cmd->add_flag("-q,--quiet", args->quiet, "No progress bar or summary");
  cmd->add_flag("--score", args->score, "Also write sheet music: score.musicxml, score.mid, score.pdf (piano arrangement)");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace cadenza::cli
