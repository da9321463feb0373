#include "cadenza/pipeline/audio_to_score.hpp"

#include "steps.hpp"

namespace cadenza::pipeline {

AudioToScoreResult audio_to_score(const transcribe::Transcriber& transcriber, const std::filesystem::path& audio,
                                  const AudioToScoreOptions& options, const Hooks& hooks) {
  Steps steps{hooks};
  AudioToScoreResult r;
  // Inference and LilyPond take about the same time on a typical piece.
  r.transcription = transcribe_audio(transcriber, audio, options.transcription, steps.part(0.0, 0.5));
  auto engraving = options.engraving;
  if (engraving.score.title.empty()) engraving.score.title = audio.stem().string();
  r.engraving = engrave_notes(r.transcription.notes, engraving, steps.part(0.5, 1.0));
  steps.report(1.0, "done");
  return r;
}

AudioToScoreResult audio_to_score(const transcribe::TranscriberOptions& model, const std::filesystem::path& audio,
                                  const AudioToScoreOptions& options, const Hooks& hooks) {
  return audio_to_score(load_transcriber(model, options.transcription, hooks), audio, options, hooks);
}

}  // namespace cadenza::pipeline
