#pragma once
// Note events -> score -> score.musicxml, score.mid and score.pdf (MuseScore 3 or LilyPond). `cadenza engrave` and the
// engraving jobs run this.
#include <filesystem>
#include <vector>

#include "cadenza/core/note_event.hpp"
#include "cadenza/notation/engrave.hpp"
#include "cadenza/notation/lilypond_writer.hpp"
#include "cadenza/pipeline/hooks.hpp"

namespace cadenza::pipeline {

struct EngraveOptions {
  notation::EngraveOptions score;  // arrangement (transcription | piano | easy), title and credits, a forced meter
  std::filesystem::path out_dir;   // where the files go (created when missing); empty: none is written
  bool write_pdf = true;           // render score.pdf, the slow part
  notation::PdfOptions pdf;        // the PDF engine (MuseScore or LilyPond), its program and time limit
};

struct EngraveResult {
  notation::Score score;
  std::vector<std::filesystem::path> files;  // written: score.musicxml, score.mid, then score.pdf
};

// Stages: the notation engine's (preparing .. layout), writing, pdf, done. Throws Error(Unprocessable) when
// there is no note to engrave.
EngraveResult engrave_notes(const std::vector<NoteEvent>& notes, const EngraveOptions& options,
                            const Hooks& hooks = {});

// The notes of a Standard MIDI File (drums left out); without a title in the options, the score takes the
// file's track name, else its file name.
EngraveResult engrave_midi_file(const std::filesystem::path& midi, const EngraveOptions& options,
                                const Hooks& hooks = {});

}  // namespace cadenza::pipeline
