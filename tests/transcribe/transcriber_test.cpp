#include "cadenza/transcribe/transcriber.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <tuple>

#include "cadenza/audio/load.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/transcribe/note_creation.hpp"
#include "ml/reference_peer.hpp"

using namespace cadenza;
using namespace cadenza::transcribe;

namespace {
const Transcriber& transcriber() {
  static Transcriber t{TranscriberOptions{ml::default_models_dir(), 2, 4, true}};
  return t;
}

std::vector<float> tone(double hz, double seconds, double start_s = 0.5, double len_s = 1.5) {
  std::vector<float> a(std::size_t(seconds * 22050), 0.f);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double t = double(i) / 22050;
    if (t >= start_s && t < start_s + len_s) a[i] = float(0.4 * std::sin(2 * M_PI * hz * t));
  }
  return a;
}
}  // namespace

TEST_CASE("a sung A4 becomes one note 69 at the right time, with progress and stages") {
  std::vector<std::string> stages;
  double last = -1;
  bool monotonic = true;
  auto r = transcriber().run(tone(440.0, 3.0), {}, [&](double f, std::string_view s) {
    if (f < last) monotonic = false;
    last = f;
    if (stages.empty() || stages.back() != s) stages.emplace_back(s);
  });
  CHECK(monotonic);
  CHECK(last == doctest::Approx(1.0));
  CHECK(stages.front() == "inference");
  CHECK(stages.back() == "done");
  REQUIRE(!r.notes.empty());
  const auto& n = r.notes.front();
  CHECK(n.pitch == 69);
  CHECK(n.start == doctest::Approx(0.5).epsilon(0.1));
  CHECK(n.end == doctest::Approx(2.0).epsilon(0.1));
  CHECK(n.velocity > 0.3);
  CHECK(n.velocity <= 1.0);
  CHECK(std::abs(double(n.bends.size()) - (n.end - n.start) * 22050 / 256) <= 1.0);  // one bend per frame
  for (const auto& m : r.notes) CHECK(m.pitch != 70);
}

TEST_CASE("bad options and empty audio are rejected with named fields") {
  NoteOptions o;
  o.onset_threshold = 2.0;
  try {
    transcriber().run(tone(440, 1), o);
    FAIL("expected BadRequest");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadRequest);
    CHECK(e.fields().count("onset_threshold") == 1);
  }
  CHECK_THROWS_AS(transcriber().run({}), Error);
  CHECK_THROWS_AS(transcriber().run(tone(440, 3), {}, {}, [] { return true; }), ml::Cancelled);
}

TEST_CASE("notes match the npm reference on a short FluidSynth clip") {
  if (!testing::reference_available()) {
    MESSAGE("basic-pitch reference not installed (run scripts/setup); parity not checked");
    return;
  }
  auto dir = testing::scratch_dir("transcribe-parity");
  auto wav = dir / "clip.wav";
  REQUIRE(testing::render_midi("../shared/datasets/nottingham/MIDI/jigs18.mid", wav, 8.0));
  testing::ReferenceRun ref;
  REQUIRE(testing::run_reference(wav, dir / "ref", ref, 0.5, 0.3, 11));
  auto r = transcriber().run(audio::load_mono(wav, Transcriber::kSampleRate));
  REQUIRE(r.n_frames == ref.n_frames);
  CHECK(testing::max_abs_diff(r.model.frames, ref.frames) <= 1e-3);

  using Key = std::tuple<int, long, long>;  // pitch, start (0.1 ms), end (0.1 ms)
  auto key = [](int p, double s, double e) { return Key{p, std::lround(s * 1e4), std::lround(e * 1e4)}; };
  std::multiset<Key> ours, theirs;
  for (const auto& n : r.notes) ours.insert(key(n.pitch, n.start, n.end));
  for (const auto& n : ref.notes) {
    const double s = n["startTimeSeconds"].get<double>();
    theirs.insert(key(n["pitchMidi"].get<int>(), s, s + n["durationSeconds"].get<double>()));
  }
  std::size_t matched = 0;
  for (const auto& k : ours)
    if (auto it = theirs.find(k); it != theirs.end()) theirs.erase(it), ++matched;
  const double frac = double(matched) / double(std::max<std::size_t>(1, std::max(ours.size(), ref.notes.size())));
  MESSAGE("notes: ours " << ours.size() << ", reference " << ref.notes.size() << ", matching " << frac * 100 << " %");
  CHECK(ref.notes.size() > 5);
  CHECK(frac >= 0.99);
  std::filesystem::remove_all(dir);
}

TEST_CASE("activations are freed unless asked for") {
  Transcriber lean{TranscriberOptions{ml::default_models_dir(), 1, 2}};
  auto r = lean.run(tone(440.0, 3.0));
  CHECK(r.n_frames == 258);
  CHECK(r.model.frames.empty());
  CHECK(r.model.contours.empty());
  CHECK(!r.notes.empty());
  CHECK(transcriber().run(tone(440.0, 3.0)).model.frames.size() == 258u * 88);
}
