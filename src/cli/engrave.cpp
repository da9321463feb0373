// cadenza engrave INPUT.mid [--arrangement piano] -o DIR : MIDI file -> score.musicxml, score.mid, score.pdf
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include "cadenza/core/atomic_file.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/notation/engrave.hpp"
#include "cadenza/notation/lilypond_writer.hpp"
#include "cadenza/notation/midi_file.hpp"
#include "cadenza/notation/musicxml_writer.hpp"
#include "cli/commands.hpp"

namespace cadenza::cli {

namespace {

struct EngraveArgs {
  std::string input;
  std::string out_dir;
  std::string arrangement = "transcription";
  std::string title;
  std::string composer;
  std::string arranger;
  bool no_pdf = false;
  int pdf_timeout = 120;
};

void run(const EngraveArgs& args) {
  namespace fs = std::filesystem;
  namespace nt = cadenza::notation;
  const auto midi = nt::read_midi_file(args.input);
  nt::EngraveOptions options;
  options.arrangement = nt::parse_arrangement(args.arrangement);
  options.title = !args.title.empty() ? args.title : (!midi.title.empty() ? midi.title : fs::path(args.input).stem().string());
  options.composer = args.composer;
  options.arranger = args.arranger;
  const bool tty = isatty(fileno(stderr));
  const auto score = nt::engrave(midi.events(), options, [tty](double f, std::string_view stage) {
    if (tty) std::fprintf(stderr, "\r[%-20s] %3d%% %-16.*s", std::string(static_cast<size_t>(f * 20), '#').c_str(), static_cast<int>(f * 100), int(stage.size()), stage.data());
  });
  if (tty) std::fprintf(stderr, "\n");
  fs::create_directories(args.out_dir);
  const fs::path dir = args.out_dir;
  const auto xml = nt::to_musicxml(score);
  write_file_atomically(dir / "score.musicxml", xml);
  const auto smf = nt::to_midi(score);
  write_file_atomically(dir / "score.mid", smf);
  std::printf("%s: %s, %d/%d, %zu measures, %zu notes\n", options.title.c_str(), nt::key_name(score.key_at(0)).c_str(),
              score.time.beats, score.time.beat_type, score.measures.size(), score.notes.size());
  std::printf("wrote %s\nwrote %s\n", (dir / "score.musicxml").c_str(), (dir / "score.mid").c_str());
  if (!args.no_pdf) {
    const auto pdf = nt::render_pdf(score, {std::chrono::seconds(args.pdf_timeout)});
    write_file_atomically(dir / "score.pdf", pdf);
    std::printf("wrote %s\n", (dir / "score.pdf").c_str());
  }
}

}  // namespace

void add_engrave(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EngraveArgs>();
  auto* cmd = app.add_subcommand("engrave", "Turn a MIDI file into a two-hand piano score (MusicXML, MIDI, PDF)");
  cmd->add_option("input", args->input, "Input Standard MIDI File")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", args->out_dir, "Output directory (created if missing)")->required();
  cmd->add_option("--arrangement", args->arrangement, "transcription | piano | easy")
      ->check(CLI::IsMember({"transcription", "piano", "easy"}));
  cmd->add_option("--title", args->title, "Title (default: the MIDI track name or the file name)");
  cmd->add_option("--composer", args->composer, "Composer");
  cmd->add_option("--arranger", args->arranger, "Arranger");
  cmd->add_flag("--no-pdf", args->no_pdf, "Skip the LilyPond PDF");
  cmd->add_option("--pdf-timeout", args->pdf_timeout, "Seconds LilyPond may run")->check(CLI::Range(1, 3600));
  cmd->callback([args, &exit_code] {
    run(*args);
    exit_code = 0;
  });
}

}  // namespace cadenza::cli
