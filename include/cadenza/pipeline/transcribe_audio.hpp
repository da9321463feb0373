#pragma once
// Audio file -> note events, and notes.mid / notes.json: decode, mix down and resample, Basic Pitch,
// note creation. `cadenza transcribe` and the transcription jobs run this.
#include <filesystem>
#include <vector>

#include "cadenza/audio/decode.hpp"
#include "cadenza/core/note_event.hpp"
#include "cadenza/notation/midi_file.hpp"
#include "cadenza/pipeline/hooks.hpp"
#include "cadenza/transcribe/note_creation.hpp"
#include "cadenza/transcribe/transcriber.hpp"

namespace cadenza::pipeline {

struct TranscribeOptions {
  transcribe::NoteOptions notes;    // thresholds, minimum note length, frequency limits, pitch bends
  audio::DecodeLimits limits;       // longest and largest input accepted
  notation::NotesMidiOptions midi;  // notes.mid: tempo, a track per pitch
  std::filesystem::path out_dir;    // where the files go (created when missing); empty: none is written
  bool write_midi = true;           // notes.mid
  bool write_json = false;          // notes.json
};

struct TranscribeResult {
  std::vector<NoteEvent> notes;              // sorted by start, then pitch
  double audio_seconds = 0;                  // length of the decoded input
  double seconds = 0;                        // wall time from decoding to the files written
  std::vector<std::filesystem::path> files;  // written: notes.mid, then notes.json
};

// Throws Error(BadRequest) naming each bad field; the pipelines call it before any work.
void validate(const TranscribeOptions& options);

// With a loaded transcriber (a server keeps one). Stages: decoding, inference, notes, writing, done.
TranscribeResult transcribe_audio(const transcribe::Transcriber& transcriber, const std::filesystem::path& audio,
                                  const TranscribeOptions& options, const Hooks& hooks = {});

// Loads the net first (stage "loading"), once the options have passed validate().
TranscribeResult transcribe_audio(const transcribe::TranscriberOptions& model, const std::filesystem::path& audio,
                                  const TranscribeOptions& options, const Hooks& hooks = {});

}  // namespace cadenza::pipeline
