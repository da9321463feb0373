// audio_to_score with the real net and a stand-in LilyPond: the files of both halves, in order, and one
// progress from 0 to done.
#include "cadenza/pipeline/audio_to_score.hpp"

#include <doctest/doctest.h>

#include "pipeline/pipeline_fixture.hpp"

using namespace cadenza;
using namespace pipeline_test;

TEST_CASE("audio_to_score: notes, then a piano score titled after the audio file") {
  TempDir dir;
  const auto wav =
      write_tones(dir.path() / "arpeggio.wav", {{57, 0.5}, {60, 0.5}, {64, 0.5}, {69, 0.5}, {64, 0.5}, {60, 1}});
  pipeline::AudioToScoreOptions o;
  o.transcription.out_dir = o.engraving.out_dir = dir.path() / "out";
  o.engraving.pdf.program = fake_lilypond(dir.path()).string();
  o.engraving.pdf.engine = notation::PdfEngine::LilyPond;
  Recorder rec;
  const auto r = pipeline::audio_to_score(transcribe::TranscriberOptions{ml::default_models_dir(), 2, 4}, wav, o,
                                          rec.hooks());
  CHECK(r.transcription.notes.size() >= 4);
  CHECK(r.engraving.score.title == "arpeggio");
  CHECK(r.engraving.score.arranger == "Cadenza");
  CHECK(r.engraving.score.arrangement == notation::Arrangement::Piano);
  CHECK(!r.engraving.score.notes.empty());
  const auto out = o.engraving.out_dir;
  CHECK(r.transcription.files == std::vector<fs::path>{out / "notes.mid"});
  CHECK(r.engraving.files == std::vector<fs::path>{out / "score.musicxml", out / "score.mid", out / "score.pdf"});
  CHECK(listing(out) == std::vector<std::string>{"notes.mid", "score.mid", "score.musicxml", "score.pdf"});
  rec.check_complete();
  CHECK(rec.stages.front() == "loading");
  CHECK(rec.at("inference") < rec.at("preparing"));
  CHECK(rec.at("preparing") < rec.at("pdf"));
}
