#pragma once
// Audio file -> notes -> score: transcribe_audio, then engrave_notes, as `cadenza transcribe --score` does.
#include <filesystem>

#include "cadenza/pipeline/engrave_notes.hpp"
#include "cadenza/pipeline/hooks.hpp"
#include "cadenza/pipeline/transcribe_audio.hpp"

namespace cadenza::pipeline {

struct AudioToScoreOptions {
  TranscribeOptions transcription;
  // A piano arrangement credited to Cadenza; without a title, the score takes the audio's file name.
  EngraveOptions engraving{.score = {.arrangement = notation::Arrangement::Piano, .arranger = "Cadenza"}};
};

struct AudioToScoreResult {
  TranscribeResult transcription;
  EngraveResult engraving;
};

// Stages: those of transcribe_audio, then those of engrave_notes, then done.
AudioToScoreResult audio_to_score(const transcribe::Transcriber& transcriber, const std::filesystem::path& audio,
                                  const AudioToScoreOptions& options, const Hooks& hooks = {});

// Loads the net first (stage "loading"), once the options have passed validate().
AudioToScoreResult audio_to_score(const transcribe::TranscriberOptions& model, const std::filesystem::path& audio,
                                  const AudioToScoreOptions& options, const Hooks& hooks = {});

}  // namespace cadenza::pipeline
