#include "cadenza/audio/decode.hpp"

#include <doctest/doctest.h>
#include <sndfile.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "cadenza/audio/load.hpp"
#include "cadenza/audio/resample.hpp"
#include "cadenza/audio/wav_writer.hpp"
#include "cadenza/core/error.hpp"
#include "support/error_kind.hpp"

using namespace cadenza;
namespace fs = std::filesystem;

namespace {
// A scratch directory for this test run, removed at exit.
struct ScratchDir {
  fs::path dir = fs::temp_directory_path() / ("cadenza-audio-test-" + std::to_string(::getpid()));
  ScratchDir() { fs::create_directories(dir); }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

fs::path scratch() {
  static ScratchDir d;
  return d.dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// 1 s stereo 44.1 kHz: 440 Hz left, silence right, encoded by sox into `ext`.
fs::path make_tone(const std::string& ext) {
  auto p = scratch() / ("tone." + ext);
  std::string cmd = "sox -n -r 44100 -c 2 '" + p.string() + "' synth 1 sine 440 sine 440 remix 1 2v0 >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return p;
}

// The kind of error decoding `bytes` gives (a test failure when it decodes).
ErrorKind kind_of(const std::string& bytes, audio::DecodeLimits limits = {}) {
  return test::error_kind_of([&] { audio::decode_bytes(bytes, limits); });
}
}  // namespace

TEST_CASE("WAV, FLAC and OGG/Vorbis decode to the mono mix") {
  for (std::string ext : {"wav", "flac", "ogg"}) {
    CAPTURE(ext);
    auto a = audio::decode_file(make_tone(ext));
    CHECK(a.sample_rate == 44100);
    CHECK(a.channels == 2);
    CHECK(a.duration_s() == doctest::Approx(1.0).epsilon(0.02));
    double peak = 0;
    for (float s : a.mono) peak = std::max(peak, double(std::abs(s)));
    CHECK(peak == doctest::Approx(0.5).epsilon(0.1));  // (sine + silence) / 2
  }
}

TEST_CASE("MP3 and Opus decode (encoded here with libsndfile's own writers)") {
  struct Case { const char* ext; int format; int rate; };
  for (Case c : {Case{"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100}, Case{"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000}}) {
    CAPTURE(c.ext);
    auto out = scratch() / (std::string{"tone."} + c.ext);
    SF_INFO info{};
    info.samplerate = c.rate;
    info.channels = 1;
    info.format = c.format;
    REQUIRE(sf_format_check(&info));
    SNDFILE* f = sf_open(out.c_str(), SFM_WRITE, &info);
    REQUIRE(f != nullptr);
    std::vector<float> x(std::size_t(c.rate));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(0.5 * std::sin(2 * M_PI * 440.0 * double(i) / c.rate));
    sf_writef_float(f, x.data(), sf_count_t(x.size()));
    sf_close(f);
    auto a = audio::decode_file(out);
    CHECK(a.sample_rate == c.rate);
    CHECK(a.duration_s() == doctest::Approx(1.0).epsilon(0.1));
    auto mono = audio::resample(a.mono, a.sample_rate, 22050);
    double energy = 0;
    for (float s : mono) energy += double(s) * s;
    CHECK(energy / double(mono.size()) == doctest::Approx(0.125).epsilon(0.2));  // 0.5^2 / 2
  }
}

TEST_CASE("not audio, empty, truncated, too long and too large give clear errors") {
  CHECK(kind_of("this is a text file, not audio at all, but long enough to look like a header") ==
        ErrorKind::UnsupportedMedia);
  CHECK(kind_of("") == ErrorKind::Unprocessable);
  const std::string wav = slurp(make_tone("wav"));
  CHECK(kind_of(wav.substr(0, 44)) == ErrorKind::Unprocessable);            // header only
  CHECK(kind_of(wav.substr(0, wav.size() / 2)) == ErrorKind::Unprocessable);  // cut in the middle
  CHECK(kind_of(wav, audio::DecodeLimits{0.5, 1u << 30}) == ErrorKind::Unprocessable);
  CHECK(kind_of(wav, audio::DecodeLimits{60, 1000}) == ErrorKind::PayloadTooLarge);
  const std::string flac = slurp(make_tone("flac"));
  CHECK(kind_of(flac.substr(0, flac.size() / 2)) == ErrorKind::Unprocessable);
  const std::string ogg = slurp(make_tone("ogg"));
  CHECK(kind_of(ogg.substr(0, ogg.size() / 3)) == ErrorKind::Unprocessable);
  std::string garbage = wav.substr(0, 12) + std::string(5000, '\x7f');
  CHECK(kind_of(garbage) != ErrorKind::Internal);
  CHECK_THROWS_AS(audio::decode_file(scratch() / "missing.wav"), Error);
  CHECK_NOTHROW(audio::decode_bytes(wav));
}

TEST_CASE("resampling to 22050 Hz keeps length and pitch") {
  std::vector<float> x(44100);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(2 * M_PI * 1000.0 * double(i) / 44100));
  auto y = audio::resample(x, 44100, 22050);
  CHECK(y.size() == 22050);
  int crossings = 0;
  for (std::size_t i = 1000; i + 1000 < y.size(); ++i) crossings += (y[i - 1] < 0) != (y[i] < 0);
  CHECK(crossings == doctest::Approx(2 * 1000.0 * (y.size() - 2000) / 22050).epsilon(0.02));
  CHECK(audio::resample(x, 22050, 22050) == x);
  CHECK_THROWS_AS(audio::resample(x, 0, 22050), Error);
}

TEST_CASE("float WAV round trip and load_mono") {
  std::vector<float> x(22050, 0.25f);
  auto p = scratch() / "rt.wav";
  audio::write_wav_f32(p, x, 22050);
  auto back = audio::load_mono(p, 22050);
  CHECK(back == x);
  auto half = audio::load_mono_bytes(slurp(p), 11025);
  CHECK(half.size() == 11025);
}
