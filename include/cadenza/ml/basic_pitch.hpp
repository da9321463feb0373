#pragma once
// Spotify's Basic Pitch (Apache-2.0, ICASSP 2022) rebuilt in libtorch: CQT front end (octave-wise
// downsampling, complex kernels), log normalisation, harmonic stacking and the contour / note / onset
// heads, with the weights of the pinned npm package `@spotify/basic-pitch@1.0.1` mapped by name from its
// TF.js manifest. This header is torch-free. On CPUs with AVX2/FMA the heaviest convolutions run
// through hand-vectorised kernels (src/ml/direct_conv.cpp); elsewhere, or with the environment variable
// CADENZA_NO_DIRECT_CONV set, everything goes through torch::conv1d/conv2d.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

namespace cadenza::ml {

// Thrown by long-running inference when its cancellation check returns true.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

// Built-in default for the models directory (<repo>/models); the server passes its configured one.
std::filesystem::path default_models_dir();

struct BasicPitchOptions {
  std::filesystem::path models_dir = default_models_dir();
  // Worker threads per infer() call, each evaluating its own batches of windows; 0 = hardware
  // concurrency. Each worker runs torch with one intra-op thread (ml::IntraOpThreads, its own thread
  // only), so that workers never spin in OpenMP barriers.
  int threads = 0;
  int batch_windows = 4;  // windows evaluated per forward pass
};

// Frame-level model outputs for a whole piece, row-major [n_frames x bins].
struct BasicPitchOutput {
  std::int64_t n_frames = 0;
  std::vector<float> frames;    // n_frames x 88  (note activations, "note")
  std::vector<float> onsets;    // n_frames x 88
  std::vector<float> contours;  // n_frames x 264 (3 bins per semitone)
};

class BasicPitchNet {
 public:
  static constexpr int kSampleRate = 22050;
  static constexpr int kFftHop = 256;
  static constexpr int kWindowSamples = 43844;  // 2 s - one hop
  static constexpr int kWindowFrames = 172;
  static constexpr int kOverlapFrames = 30;
  static constexpr int kHopSamples = kWindowSamples - kOverlapFrames * kFftHop;  // 36164
  static constexpr int kPadStart = kOverlapFrames * kFftHop / 2;                // 3840
  static constexpr int kFramesPerWindow = kWindowFrames - kOverlapFrames;       // 142
  static constexpr int kAnnotationsFps = kSampleRate / kFftHop;                 // 86
  static constexpr int kNotes = 88;
  static constexpr int kContourBins = 264;

  // Directory holding model.json and its shard inside a models dir.
  static std::filesystem::path model_dir(const std::filesystem::path& models_dir);

  // Loads the weights once. Throws cadenza::Error (Unavailable) naming scripts/setup when missing.
  explicit BasicPitchNet(const BasicPitchOptions& options = {});
  ~BasicPitchNet();
  BasicPitchNet(const BasicPitchNet&) = delete;
  BasicPitchNet& operator=(const BasicPitchNet&) = delete;

  // Runs the whole piece (mono, 22050 Hz) with basic-pitch's windowing: 3840 zeros in front, windows
  // of 43844 samples every 36164, 15 frames trimmed on each side, floor(n * 86 / 22050) frames kept.
  // `progress` gets the fraction of windows done; `cancelled` is polled between batches (throws
  // Cancelled). Safe to call from several threads at once.
  BasicPitchOutput infer(const std::vector<float>& mono22k, const std::function<void(double)>& progress = {},
                         const std::function<bool()>& cancelled = {}) const;

  // Number of output frames basic-pitch keeps for `n_samples` of audio.
  static std::int64_t output_frames(std::size_t n_samples);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cadenza::ml
