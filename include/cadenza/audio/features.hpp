#pragma once
// What a music library describes a recording by, measured on its audio (mono mix-down):
//
//   integrated_lufs, loudness_range_lu  EBU R128 (libebur128) over the whole recording: integrated loudness
//                    (gated, LUFS; -70 for silence) and loudness range (LU), on the mono mix-down (so a stereo
//                    file reads about 3 LU lower than a stereo meter would; the same for every file)
//   the rest on at most `max_analysis_s` seconds from the middle of the recording, resampled to 22050 Hz,
//   short-time spectra of 2048 samples every 256 (86 frames per second, Hann window):
//   onset_rate       onsets per second: peaks of the spectral flux (log-compressed magnitudes, positive
//                    differences), each above the local mean by a share of the flux's 95th percentile, at
//                    least 70 ms apart
//   tempo_bpm        the lag of the flux's autocorrelation peak between 40 and 220 bpm, weighted by a
//                    log-normal prior around 120 bpm (one octave wide), refined by a parabola through the
//                    peak; 0 when the recording has no periodic onsets. tempo_confidence: the peak's
//                    autocorrelation over the lag-0 one (0..1)
//   centroid_hz      brightness: the spectral centroid, averaged over frames weighted by their energy
//   chroma           per half second, the energy of each pitch class (C = 0) from 200 Hz to 5 kHz, for key
//                    and mode estimation when no transcription is made
#include <array>
#include <vector>

namespace cadenza::audio {

struct AudioFeatureOptions {
  double max_analysis_s = 120;  // spectral analysis window (centred); the loudness always covers all
};

struct AudioFeatures {
  double duration_s = 0;
  double integrated_lufs = -70;
  double loudness_range_lu = 0;
  double onset_rate = 0;
  double tempo_bpm = 0;
  double tempo_confidence = 0;
  double centroid_hz = 0;
  std::vector<std::array<float, 12>> chroma;  // one per 0.5 s of the analysed window
};

inline constexpr int kAnalysisRate = 22050;
inline constexpr double kChromaSegmentS = 0.5;

// Error(Unprocessable) for an empty signal or a bad rate.
AudioFeatures analyse_audio(const std::vector<float>& mono, int sample_rate, const AudioFeatureOptions& options = {});

}  // namespace cadenza::audio
