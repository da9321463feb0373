#pragma once
// A small music library made at test time: audio synthesised and written with libsndfile (click tracks at a
// given tempo, chord progressions in major or minor, any gain), tagged with TagLib (audio/tags.hpp), for the
// library import tests (pipeline and HTTP).
#include <sndfile.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cadenza/audio/tags.hpp"

namespace cadenza::test::library {

namespace fs = std::filesystem;

constexpr int kRate = 22050;
constexpr double kPi = 3.14159265358979323846;

// Writes mono samples as FLAC (or WAV, by the extension) with libsndfile.
inline void write_audio(const fs::path& path, const std::vector<float>& mono, int rate = kRate) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = path.extension() == ".wav" ? (SF_FORMAT_WAV | SF_FORMAT_PCM_16) : (SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error("cannot write " + path.string() + ": " + sf_strerror(nullptr));
  sf_write_float(f, mono.data(), static_cast<sf_count_t>(mono.size()));
  sf_close(f);
}

// Clicks (a 1 kHz burst of 15 ms with a fast decay, and a noise-like partial) at `bpm` for `seconds`.
inline std::vector<float> clicks(double bpm, double seconds, double gain = 0.8) {
  std::vector<float> out(static_cast<std::size_t>(seconds * kRate), 0.f);
  const double period = 60.0 / bpm;
  for (double t = 0.05; t < seconds - 0.05; t += period) {
    const auto start = static_cast<std::size_t>(t * kRate);
    for (std::size_t i = 0; i < std::size_t(0.015 * kRate) && start + i < out.size(); ++i) {
      const double x = double(i) / kRate;
      out[start + i] += float(gain * std::exp(-x * 300) * (std::sin(2 * kPi * 1000 * x) + 0.5 * std::sin(2 * kPi * 3150 * x)));
    }
  }
  return out;
}

// Chords of 1 s each, sine partials with a soft octave, a gentle attack and release; each chord a list of MIDI
// pitches.
inline std::vector<float> chords(const std::vector<std::vector<int>>& progression, double gain = 0.3) {
  const double each = 1.0;
  std::vector<float> out(static_cast<std::size_t>(each * double(progression.size()) * kRate), 0.f);
  for (std::size_t c = 0; c < progression.size(); ++c)
    for (int pitch : progression[c]) {
      const double f = 440.0 * std::pow(2.0, (pitch - 69) / 12.0);
      for (std::size_t i = 0; i < std::size_t(each * kRate); ++i) {
        const double x = double(i) / kRate;
        const double env = std::min(1.0, x / 0.02) * std::min(1.0, (each - x) / 0.05);
        out[c * std::size_t(each * kRate) + i] +=
            float(gain / double(progression[c].size()) * env * (std::sin(2 * kPi * f * x) + 0.3 * std::sin(4 * kPi * f * x)));
      }
    }
  return out;
}

// I IV V I twice in C major, or i iv V i in C minor.
inline std::vector<float> cadence(bool major, double gain = 0.3) {
  const int third = major ? 64 : 63, sixth = major ? 69 : 68;
  std::vector<std::vector<int>> p = {{60, third, 67}, {65, sixth, 72}, {67, 71, 74}, {60, third, 67}};
  p.insert(p.end(), p.begin(), p.end());
  return chords(p, gain);
}

inline void tag(const fs::path& path, const std::string& title, const std::string& artist, const std::string& album = "",
                std::vector<std::string> genres = {}, std::optional<double> bpm = std::nullopt) {
  audio::AudioTags t;
  t.title = title;
  t.artist = artist;
  t.album = album;
  t.genres = std::move(genres);
  t.bpm = bpm;
  audio::write_tags(path, t);
}

inline void write_bytes(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// The library every test starts from (in dir): 
//   fast.flac   120 bpm clicks, tagged "Fast Clicks" by "Metronome" (album "Tempi", genre "test")
//   slow.flac   70 bpm clicks, tagged "Slow Clicks" by "Metronome"
//   sub/loud.flac, sub/quiet.flac  the same C major cadence at gain 0.6 and 0.03 (26 dB apart)
//   sub/minor.flac  the C minor cadence at gain 0.6
//   untagged.wav  70 bpm clicks without tags
//   tagged-bpm.flac  120 bpm clicks with a BPM tag of 95
//   corrupt.flac  a FLAC signature and garbage
//   notes.txt   not audio (ignored)
inline void make_library(const fs::path& dir) {
  fs::create_directories(dir / "sub");
  write_audio(dir / "fast.flac", clicks(120, 8));
  tag(dir / "fast.flac", "Fast Clicks", "Metronome", "Tempi", {"test"});
  write_audio(dir / "slow.flac", clicks(70, 8));
  tag(dir / "slow.flac", "Slow Clicks", "Metronome", "Tempi", {"test"});
  write_audio(dir / "sub" / "loud.flac", cadence(true, 0.6));
  tag(dir / "sub" / "loud.flac", "Loud Major", "Chords");
  write_audio(dir / "sub" / "quiet.flac", cadence(true, 0.03));
  tag(dir / "sub" / "quiet.flac", "Quiet Major", "Chords");
  write_audio(dir / "sub" / "minor.flac", cadence(false, 0.6));
  tag(dir / "sub" / "minor.flac", "Loud Minor", "Chords");
  write_audio(dir / "untagged.wav", clicks(70, 6));
  write_audio(dir / "tagged-bpm.flac", clicks(120, 6));
  tag(dir / "tagged-bpm.flac", "Tagged Tempo", "Metronome", "", {}, 95.0);
  write_bytes(dir / "corrupt.flac", std::string("fLaC\0\0\0\x22", 8) + std::string(500, '\x5a'));
  write_bytes(dir / "notes.txt", "not audio");
}

inline constexpr std::size_t kLibraryAudioFiles = 8;  // corrupt.flac included
inline constexpr std::size_t kLibraryGoodFiles = 7;

}  // namespace cadenza::test::library
