// cadenza engrave INPUT.mid [--arrangement piano] -o DIR : MIDI file -> score.musicxml, score.mid, score.pdf.
// Flags only: the work and the defaults are pipeline::engrave_midi_file's.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cadenza/pipeline/engrave_notes.hpp"
#include "cli/commands.hpp"

namespace cadenza::cli {
namespace {

struct EngraveArgs {
  std::string input;
  pipeline::EngraveOptions options;
  std::string arrangement = notation::to_string(options.score.arrangement);
  int pdf_timeout = int(options.pdf.timeout.count());
  std::string pdf_engine = "auto";
};

void run(EngraveArgs& a) {
  a.options.score.arrangement = notation::parse_arrangement(a.arrangement);
  a.options.pdf.timeout = std::chrono::seconds(a.pdf_timeout);
  a.options.pdf.engine = notation::parse_pdf_engine(a.pdf_engine);
  ProgressBar bar{::isatty(STDERR_FILENO) != 0};
  const pipeline::Hooks hooks{[&](double f, std::string_view stage) { bar.update(f, stage); }, {}};
  const auto r = pipeline::engrave_midi_file(a.input, a.options, hooks);
  bar.finish();
  const auto& score = r.score;
  std::printf("%s: %s, %d/%d, %zu measures, %zu notes\n", score.title.c_str(),
              notation::key_name(score.key_at(0)).c_str(), score.time.beats, score.time.beat_type,
              score.measures.size(), score.notes.size());
  for (const auto& f : r.files) std::printf("wrote %s\n", f.c_str());
}

}  // namespace

void add_engrave(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EngraveArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand("engrave", "Turn a MIDI file into a two-hand piano score (MusicXML, MIDI, PDF)");
  cmd->add_option("input", args->input, "Input Standard MIDI File")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o.out_dir, "Output directory (created if missing)")->required();
  cmd->add_option("--arrangement", args->arrangement, "transcription | piano | easy")
      ->check(CLI::IsMember({"transcription", "piano", "easy"}))->capture_default_str();
  cmd->add_option("--title", o.score.title, "Title (default: the MIDI track name or the file name)");
  cmd->add_option("--composer", o.score.composer, "Composer");
  cmd->add_option("--arranger", o.score.arranger, "Arranger");
  cmd->add_flag_callback("--no-pdf", [&o] { o.write_pdf = false; }, "Skip the PDF");
  cmd->add_option("--pdf-engine", args->pdf_engine, "What renders the PDF: auto (MuseScore 3 when installed, else LilyPond), musescore or lilypond")
      ->check(CLI::IsMember({"auto", "musescore", "lilypond"}))->capture_default_str();
  cmd->add_option("--pdf-timeout", args->pdf_timeout, "Seconds the PDF renderer may run")
      ->check(CLI::Range(1, 3600))->capture_default_str();
  cmd->callback([args, &exit_code] {
    run(*args);
    exit_code = 0;
  });
}

}  // namespace cadenza::cli
