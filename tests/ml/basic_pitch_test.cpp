#include "cadenza/ml/basic_pitch.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "cadenza/core/error.hpp"
#include "cadenza/ml/tfjs_weights.hpp"
#include "ml/reference_peer.hpp"

using namespace cadenza;
using cadenza::ml::BasicPitchNet;

namespace {
const BasicPitchNet& net() {
  static BasicPitchNet n{ml::BasicPitchOptions{ml::default_models_dir(), 2, 4}};
  return n;
}
}  // namespace

TEST_CASE("output frame count follows basic-pitch") {
  CHECK(BasicPitchNet::output_frames(0) == 0);
  CHECK(BasicPitchNet::output_frames(22050) == 86);
  CHECK(BasicPitchNet::output_frames(22050 * 10) == 860);
  CHECK(BasicPitchNet::output_frames(256) == 0);
}

TEST_CASE("missing model directory names scripts/setup") {
  try {
    BasicPitchNet n{ml::BasicPitchOptions{"/nonexistent-models", 1, 1}};
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Unavailable);
    CHECK(std::string{e.what()}.find("scripts/setup") != std::string::npos);
  }
}

TEST_CASE("weights manifest maps every tensor by name") {
  auto w = ml::TfjsWeights::load(BasicPitchNet::model_dir(ml::default_models_dir()));
  CHECK(w.size() > 200);
  CHECK(w.get("conv2d_1/Conv2D_weights").shape == std::vector<std::int64_t>{3, 39, 8, 8});
  CHECK_THROWS_AS(w.get("conv2d_1/Conv2D_weights", {1, 2}), Error);
  CHECK_THROWS_AS(w.get("no/such/weight"), Error);
}

TEST_CASE("silence gives silence-shaped outputs, all in [0, 1]") {
  std::vector<float> audio(22050 * 3, 0.f);
  auto out = net().infer(audio);
  REQUIRE(out.n_frames == 258);
  CHECK(out.frames.size() == 258u * 88);
  CHECK(out.contours.size() == 258u * 264);
  for (float v : out.frames) REQUIRE((v >= 0.f && v <= 1.f));
  double mx = 0;
  for (float v : out.frames) mx = std::max(mx, double(v));
  CHECK(mx < 0.3);
}

TEST_CASE("progress is reported and cancellation stops inference") {
  std::vector<float> audio(22050 * 8);
  for (std::size_t i = 0; i < audio.size(); ++i) audio[i] = 0.3f * std::sin(2 * M_PI * 440.0 * double(i) / 22050);
  std::vector<double> seen;
  auto out = net().infer(audio, [&](double f) { seen.push_back(f); });
  REQUIRE(!seen.empty());
  CHECK(seen.back() == doctest::Approx(1.0));
  // A 440 Hz sine lights up A4 (MIDI 69 = index 48) in the middle of the piece.
  const auto mid = out.n_frames / 2;
  int best = 0;
  for (int k = 1; k < 88; ++k)
    if (out.frames[mid * 88 + k] > out.frames[mid * 88 + best]) best = k;
  CHECK(best == 48);
  CHECK_THROWS_AS(net().infer(audio, {}, [] { return true; }), ml::Cancelled);
}

TEST_CASE("the AVX2 kernels agree with torch's convolutions") {
  std::vector<float> audio(22050 * 4);
  std::uint32_t seed = 7;
  for (std::size_t i = 0; i < audio.size(); ++i) {
    seed = seed * 1664525u + 1013904223u;
    audio[i] = 0.2f * float(std::sin(2 * M_PI * 261.6 * double(i) / 22050)) + 0.05f * (float(seed >> 8) / 16777216.f - 0.5f);
  }
  auto fast = net().infer(audio);
  ::setenv("CADENZA_NO_DIRECT_CONV", "1", 1);
  BasicPitchNet plain{ml::BasicPitchOptions{ml::default_models_dir(), 2, 4}};
  ::unsetenv("CADENZA_NO_DIRECT_CONV");
  auto slow = plain.infer(audio);
  REQUIRE(fast.n_frames == slow.n_frames);
  CHECK(testing::max_abs_diff(fast.frames, slow.frames) < 1e-4);
  CHECK(testing::max_abs_diff(fast.onsets, slow.onsets) < 1e-4);
  CHECK(testing::max_abs_diff(fast.contours, slow.contours) < 1e-4);
}

TEST_CASE("parity with the npm reference on a short FluidSynth clip") {
  if (!testing::reference_available()) {
    MESSAGE("basic-pitch reference not installed (run scripts/setup); parity not checked");
    return;
  }
  auto dir = testing::scratch_dir("ml-parity");
  auto wav = dir / "clip.wav";
  REQUIRE(testing::render_midi("../shared/datasets/nottingham/MIDI/ashover1.mid", wav, 6.0));
  testing::ReferenceRun ref;
  REQUIRE(testing::run_reference(wav, dir / "ref", ref));
  auto audio = testing::read_wav_f32(wav);
  REQUIRE(!audio.empty());
  auto out = net().infer(audio);
  REQUIRE(out.n_frames == ref.n_frames);
  const double df = testing::max_abs_diff(out.frames, ref.frames);
  const double dn = testing::max_abs_diff(out.onsets, ref.onsets);
  const double dc = testing::max_abs_diff(out.contours, ref.contours);
  MESSAGE("max |diff| frames " << df << " onsets " << dn << " contours " << dc);
  CHECK(df <= 1e-3);
  CHECK(dn <= 1e-3);
  CHECK(dc <= 1e-3);
  std::filesystem::remove_all(dir);
}
