#pragma once
// Objective evaluation of generated music after Yang & Lerch 2018 ("On the evaluation of generative
// models in music", Neural Computing and Applications): per-piece features, and for each feature the
// overlap of two distributions of distances between pieces:
//   intra: the distances between every two pieces of the reference set (the held-out pieces);
//   inter: the distances between every piece of the compared set and every reference piece.
// Each is smoothed with a Gaussian kernel density estimate (Silverman's bandwidth) and compared by their
// overlapping area (OA, 0..1: 1 when the compared pieces are as close to the reference as the reference
// pieces are to each other) and the KL divergence KL(intra || inter), in nats.
// Distances: Euclidean (absolute difference for the scalar features).
#include <array>
#include <vector>

#include "cadenza/generate/corpus.hpp"

namespace cadenza::generate {

enum class Feature {
  PitchClassHistogram,  // 12 pitch classes, relative to C, normalised to sum 1
  PitchCount,           // distinct pitches
  PitchRange,           // highest - lowest pitch, semitones
  PitchInterval,        // mean |interval| between successive notes (by onset, then pitch), semitones
  InterOnsetInterval,   // mean time between successive distinct onsets, in quarter notes
  NoteLengthHistogram,  // 12 classes (Yang & Lerch): whole, half, quarter, 8th, 16th, dotted half, dotted
                        // quarter, dotted 8th, dotted 16th, half triplet, quarter triplet, 8th triplet
                        // (nearest by length ratio), normalised to sum 1
  NoteCount,
};
inline constexpr int kFeatureCount = 7;
const char* to_string(Feature feature);  // "pitch-class histogram", ...

struct PieceFeatures {
  std::array<double, 12> pitch_class_histogram{};
  double pitch_count = 0;
  double pitch_range = 0;
  double pitch_interval = 0;
  double inter_onset_interval = 0;
  std::array<double, 12> note_length_histogram{};
  double note_count = 0;
};

PieceFeatures features(const Piece& piece);
std::vector<double> feature_vector(const PieceFeatures& f, Feature feature);

struct Overlap {
  double overlap_area = 0;
  double kl = 0;
};

// Overlap of the kernel density estimates of two samples (on a 2,000-point grid over both).
Overlap compare_distributions(const std::vector<double>& a, const std::vector<double>& b);
// intra(reference) against inter(compared, reference) for one feature. Needs 2+ reference pieces and
// 1+ compared piece (else Error BadRequest).
Overlap compare_sets(const std::vector<PieceFeatures>& compared, const std::vector<PieceFeatures>& reference,
                     Feature feature);

}  // namespace cadenza::generate
