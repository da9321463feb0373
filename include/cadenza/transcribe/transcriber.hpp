#pragma once
// Audio -> note events with Spotify's Basic Pitch (libtorch port in cadenza_ml). Load once, run many
// times from any thread. Progress goes to a callback (fraction 0..1 + stage name); a cancellation check
// is polled between batches of windows and makes run() throw cadenza::ml::Cancelled.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "cadenza/core/note_event.hpp"
#include "cadenza/core/progress.hpp"
#include "cadenza/ml/basic_pitch.hpp"
#include "cadenza/transcribe/note_creation.hpp"

namespace cadenza::transcribe {

struct TranscriberOptions {
  std::filesystem::path models_dir = ml::default_models_dir();  // holds node_modules/@spotify/basic-pitch
  int threads = 0;        // torch intra-op threads; 0 = hardware concurrency
  int batch_windows = 4;  // 2-second windows per forward pass
  // Keep the raw activations in Result::model (about 1.8 KB per frame, 150 KB per second of audio);
  // off, run() frees them once the notes are made.
  bool keep_activations = false;
};

struct Result {
  std::int64_t n_frames = 0;           // model frames (86 per second)
  int note_bins = 88;                  // frames / onsets width
  int contour_bins = 264;              // contours width
  ml::BasicPitchOutput model;          // raw activations (empty unless keep_activations)
  std::vector<NoteEvent> notes;        // sorted by start time, then pitch
};

class Transcriber {
 public:
  static constexpr int kSampleRate = ml::BasicPitchNet::kSampleRate;

  explicit Transcriber(const TranscriberOptions& options = {});
  ~Transcriber();

  // mono22k: mono samples at 22050 Hz.
  Result run(const std::vector<float>& mono22k, const NoteOptions& notes = {}, const Progress& progress = {},
             const CancelCheck& cancelled = {}) const;

  // Note creation alone, on model outputs (cheap; e.g. to re-run with other thresholds).
  static std::vector<NoteEvent> notes_from_output(const ml::BasicPitchOutput& output, const NoteOptions& options);

 private:
  std::unique_ptr<ml::BasicPitchNet> net_;
  bool keep_activations_ = false;
};

}  // namespace cadenza::transcribe
