#pragma once
// Test helpers shared by the ml and transcribe suites: render a MIDI file to audio with FluidSynth
// and run the basic-pitch reference (npm package on tfjs) on it. Everything is produced at test time.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace cadenza::testing {

inline std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("cadenza-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

inline int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

inline const char* kSoundfont = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

// Renders `midi` with FluidSynth, keeps [0, seconds) as mono 22050 Hz float32 WAV. False on failure.
inline bool render_midi(const std::filesystem::path& midi, const std::filesystem::path& wav, double seconds) {
  auto raw = wav.string() + ".raw.wav";
  if (sh("fluidsynth -ni -q -g 0.6 -r 44100 -F '" + raw + "' " + kSoundfont + " '" + midi.string() + "'") != 0)
    return false;
  int rc = sh("sox '" + raw + "' -r 22050 -c 1 -b 32 -e float '" + wav.string() + "' trim 0 " +
              std::to_string(seconds));
  std::filesystem::remove(raw);
  return rc == 0 && std::filesystem::exists(wav);
}

struct ReferenceRun {
  long n_frames = 0;
  std::vector<float> frames, onsets, contours;
  nlohmann::json notes;    // basic-pitch's NoteEventTime list
  nlohmann::json summary;
};

inline std::vector<float> read_f32(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  std::vector<float> v(s.size() / 4);
  std::memcpy(v.data(), s.data(), v.size() * 4);
  return v;
}

// Reads a mono 32-bit float WAV (what render_midi writes); empty on any other format.
inline std::vector<float> read_wav_f32(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string b = ss.str();
  auto u32 = [&](std::size_t o) { std::uint32_t v; std::memcpy(&v, b.data() + o, 4); return v; };
  auto u16 = [&](std::size_t o) { std::uint16_t v; std::memcpy(&v, b.data() + o, 2); return v; };
  std::size_t off = 12;
  bool ok = false;
  while (off + 8 <= b.size()) {
    const std::string id = b.substr(off, 4);
    const std::uint32_t sz = u32(off + 4);
    if (id == "fmt ") ok = (u16(off + 8) == 3 || u16(off + 8) == 0xFFFE) && u16(off + 10) == 1 && u32(off + 12) == 22050;
    if (id == "data" && ok) {
      std::vector<float> v(std::min<std::size_t>(sz, b.size() - off - 8) / 4);
      std::memcpy(v.data(), b.data() + off + 8, v.size() * 4);
      return v;
    }
    off += 8 + sz + (sz & 1);
  }
  return {};
}

inline bool reference_available() {
  return std::filesystem::exists("models/node_modules/@tensorflow/tfjs") &&
         std::filesystem::exists("../shared/peers/basic-pitch/run.js") && sh("node --version") == 0;
}

// Runs ../shared/peers/basic-pitch/run.js with the packages of models/node_modules.
inline bool run_reference(const std::filesystem::path& wav, const std::filesystem::path& outdir, ReferenceRun& ref,
                          double onset = 0.5, double frame = 0.3, int min_len = 11) {
  const auto node_path = std::filesystem::absolute("models/node_modules").string();
  std::ostringstream cmd;
  cmd << "NODE_PATH='" << node_path << "' node ../shared/peers/basic-pitch/run.js '" << wav.string() << "' '"
      << outdir.string() << "' " << onset << " " << frame << " " << min_len;
  if (sh(cmd.str()) != 0) return false;
  std::ifstream s{outdir / "summary.json"}, n{outdir / "notes.json"};
  ref.summary = nlohmann::json::parse(s);
  ref.notes = nlohmann::json::parse(n);
  ref.n_frames = ref.summary["shapes"]["frames"][0].get<long>();
  ref.frames = read_f32(outdir / "frames.f32");
  ref.onsets = read_f32(outdir / "onsets.f32");
  ref.contours = read_f32(outdir / "contours.f32");
  return true;
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return 1e9;
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, double(std::abs(a[i] - b[i])));
  return m;
}

}  // namespace cadenza::testing
