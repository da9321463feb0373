// Yang & Lerch features and overlaps: known pieces, known distributions.
#include <doctest/doctest.h>

#include <random>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/evaluation.hpp"

using namespace cadenza::generate;

TEST_CASE("evaluation: features of a small piece") {
  Piece p;
  // C E G quarter notes, then a C-E chord of half notes, then a dotted-8th D
  p.notes = {{0, 12, 60, 80}, {12, 12, 64, 80}, {24, 12, 67, 80}, {36, 24, 60, 80}, {36, 24, 64, 80}, {60, 9, 62, 80}};
  const auto f = features(p);
  CHECK(f.note_count == 6);
  CHECK(f.pitch_count == 4);
  CHECK(f.pitch_range == 7);
  CHECK(f.pitch_class_histogram[0] == doctest::Approx(2.0 / 6));
  CHECK(f.pitch_class_histogram[4] == doctest::Approx(2.0 / 6));
  CHECK(f.pitch_class_histogram[1] == 0);
  // intervals in onset-then-pitch order: 4, 3, 7, 4, 2
  CHECK(f.pitch_interval == doctest::Approx(20.0 / 5));
  // distinct onsets 0 12 24 36 60: gaps 1, 1, 1, 2 quarters
  CHECK(f.inter_onset_interval == doctest::Approx(5.0 / 4));
  CHECK(f.note_length_histogram[2] == doctest::Approx(3.0 / 6));  // quarters
  CHECK(f.note_length_histogram[1] == doctest::Approx(2.0 / 6));  // halves
  CHECK(f.note_length_histogram[7] == doctest::Approx(1.0 / 6));  // dotted 8th
  CHECK(feature_vector(f, Feature::PitchClassHistogram).size() == 12);
  CHECK(feature_vector(f, Feature::PitchRange) == std::vector<double>{7});
  CHECK(features(Piece{}).note_count == 0);
}

TEST_CASE("evaluation: overlapping area of known distributions") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n01(0, 1), n31(3, 1), n03(0, 3);
  std::vector<double> a, b, c, d;
  for (int i = 0; i < 2000; ++i) a.push_back(n01(rng)), b.push_back(n01(rng)), c.push_back(n31(rng)), d.push_back(n03(rng));
  CHECK(compare_distributions(a, b).overlap_area > 0.93);
  CHECK(compare_distributions(a, b).kl < 0.02);
  // N(0,1) and N(3,1) overlap by 2 * Phi(-1.5) = 0.134
  CHECK(compare_distributions(a, c).overlap_area == doctest::Approx(0.134).epsilon(0.25));
  CHECK(compare_distributions(a, c).kl > 3);
  // N(0,1) and N(0,3): 0.47
  CHECK(compare_distributions(a, d).overlap_area == doctest::Approx(0.47).epsilon(0.1));
  CHECK(compare_distributions({1, 1, 1}, {1, 1, 1}).overlap_area == doctest::Approx(1.0));
  CHECK(compare_distributions({0, 0, 0}, {5, 5, 5}).overlap_area < 0.01);
  CHECK_THROWS_AS(compare_distributions({}, {1}), cadenza::Error);
}

TEST_CASE("evaluation: a set like the reference overlaps it more than a different one") {
  std::mt19937_64 rng(9);
  auto make = [&](int low, int spread, int step) {
    std::vector<PieceFeatures> out;
    for (int k = 0; k < 40; ++k) {
      Piece p;
      for (int i = 0; i < 32; ++i) p.notes.push_back({i * step, step, low + int(rng() % unsigned(spread)), 80});
      out.push_back(features(p));
    }
    return out;
  };
  const auto reference = make(60, 12, 6), like = make(60, 12, 6), unlike = make(40, 40, 24);
  for (Feature f : {Feature::PitchRange, Feature::PitchInterval, Feature::InterOnsetInterval,
                    Feature::PitchClassHistogram, Feature::NoteLengthHistogram}) {
    CAPTURE(to_string(f));
    const auto same = compare_sets(like, reference, f), other = compare_sets(unlike, reference, f);
    CHECK(same.overlap_area > other.overlap_area);
    CHECK(same.overlap_area > 0.6);
  }
  CHECK_THROWS_AS(compare_sets(like, {reference[0]}, Feature::PitchRange), cadenza::Error);
}
