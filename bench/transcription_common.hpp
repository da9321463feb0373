// Shared helpers of the transcription benches: shell, FluidSynth rendering, the npm reference.
#pragma once
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace bench {

namespace fs = std::filesystem;

inline const char* kSoundfont = "/usr/share/sounds/sf2/FluidR3_GM.sf2";

inline int sh(const std::string& cmd, bool quiet = true) {
  return std::system((quiet ? cmd + " >/dev/null 2>&1" : cmd).c_str());
}

inline std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds (user + system) used by this process so far, all threads.
inline double cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

inline double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_maxrss) / 1024.0;
}

// FluidSynth render of a MIDI file to a mono 22050 Hz float WAV (the reference's input format).
inline bool render(const fs::path& midi, const fs::path& wav) {
  const auto raw = wav.string() + ".44k.wav";
  if (sh("fluidsynth -ni -q -g 0.6 -r 44100 -F " + q(raw) + " " + kSoundfont + " " + q(midi)) != 0) return false;
  const int rc = sh("sox " + q(raw) + " -r 22050 -c 1 -b 32 -e float " + q(wav));
  fs::remove(raw);
  return rc == 0;
}

inline std::vector<float> read_f32(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  std::vector<float> v(s.size() / 4);
  if (!v.empty()) std::memcpy(v.data(), s.data(), v.size() * 4);
  return v;
}

struct Reference {
  bool ok = false;
  double wall_s = 0, peak_mib = 0, rtf = 0, audio_s = 0;
  nlohmann::json summary, notes;
  std::vector<float> frames, onsets, contours;
};

// Runs ../shared/peers/basic-pitch/run.js (npm package, tfjs CPU) with models/node_modules.
inline Reference run_reference(const fs::path& wav, const fs::path& outdir, double onset = 0.5, double frame = 0.3,
                               int min_len = 11) {
  Reference r;
  const auto node_path = fs::absolute("models/node_modules");
  const auto mem = outdir.string() + ".time";
  fs::create_directories(outdir);
  std::ostringstream cmd;
  cmd << "NODE_PATH=" << q(node_path) << " /usr/bin/time -f %M -o " << q(mem)
      << " node ../shared/peers/basic-pitch/run.js " << q(wav) << " " << q(outdir) << " " << onset << " " << frame
      << " " << min_len;
  const double t0 = now_s();
  if (sh(cmd.str()) != 0) return r;
  r.wall_s = now_s() - t0;
  std::ifstream s{outdir / "summary.json"}, n{outdir / "notes.json"}, m{mem};
  r.summary = nlohmann::json::parse(s);
  r.notes = nlohmann::json::parse(n);
  double kib = 0;
  m >> kib;
  r.peak_mib = kib / 1024.0;
  r.rtf = r.summary["realtime_factor"].get<double>();
  r.audio_s = r.summary["audio_s"].get<double>();
  r.frames = read_f32(outdir / "frames.f32");
  r.onsets = read_f32(outdir / "onsets.f32");
  r.contours = read_f32(outdir / "contours.f32");
  r.ok = true;
  return r;
}

}  // namespace bench
