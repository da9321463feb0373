#include "cadenza/pipeline/engrave_notes.hpp"

#include "cadenza/notation/midi_file.hpp"
#include "cadenza/notation/musicxml_writer.hpp"
#include "steps.hpp"

namespace cadenza::pipeline {

EngraveResult engrave_notes(const std::vector<NoteEvent>& notes, const EngraveOptions& options, const Hooks& hooks) {
  Steps steps{hooks};
  const bool files = !options.out_dir.empty(), pdf = files && options.write_pdf;
  // LilyPond takes most of the time when it runs (seconds against a fraction of one for the rest).
  const double engraved = pdf ? 0.2 : 0.9;
  EngraveResult r;
  steps.check();
  r.score = notation::engrave(notes, options.score, steps.span(0.0, engraved));
  if (files) {
    steps.report(engraved, "writing");
    write_output(options.out_dir, "score.musicxml", notation::to_musicxml(r.score), r.files);
    write_output(options.out_dir, "score.mid", notation::to_midi(r.score), r.files);
  }
  if (pdf) {
    steps.report(engraved + 0.05, "pdf");
    write_output(options.out_dir, "score.pdf", notation::render_pdf(r.score, options.pdf, [&] { steps.check(); }),
                 r.files);
  }
  steps.report(1.0, "done");
  return r;
}

EngraveResult engrave_midi_file(const std::filesystem::path& midi, const EngraveOptions& options, const Hooks& hooks) {
  const auto file = notation::read_midi_file(midi.string());
  if (!options.score.title.empty()) return engrave_notes(file.events(), options, hooks);
  auto titled = options;
  titled.score.title = !file.title.empty() ? file.title : midi.stem().string();
  return engrave_notes(file.events(), titled, hooks);
}

}  // namespace cadenza::pipeline
