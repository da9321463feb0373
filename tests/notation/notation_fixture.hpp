#pragma once
// Helpers for the notation tests: synthetic performances, temporary directories, shell commands.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sys/wait.h>
#include <unistd.h>
#include <string>
#include <vector>

#include "cadenza/core/note_event.hpp"
#include "support/temp_dir.hpp"

namespace notation_test {

namespace fs = std::filesystem;

// A note on the written grid, in quarter notes.
struct Written {
  int pitch;
  double onset_q;
  double duration_q;
};

// Plays written notes at a tempo with optional onset jitter (seconds, normal sd) and tempo drift
// (relative amplitude of a slow sine), ends shortened by a small articulation gap.
inline std::vector<cadenza::NoteEvent> perform(const std::vector<Written>& notes, double bpm,
                                                         double jitter = 0.0, double drift = 0.0, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, jitter > 0 ? jitter : 1e-9);
  auto seconds = [&](double q) {
    double t = 0;
    const int n = std::max(1, static_cast<int>(q * 32));
    for (int i = 0; i < n; ++i) {
      const double x = (i + 0.5) * q / n;
      t += q / n * 60.0 / (bpm * (1 + drift * std::sin(x / 12.0)));
    }
    return t;
  };
  std::vector<cadenza::NoteEvent> out;
  for (const auto& w : notes) {
    const double s = 0.5 + seconds(w.onset_q) + (jitter > 0 ? noise(rng) : 0.0);
    const double e = 0.5 + seconds(w.onset_q + w.duration_q) - 0.03 + (jitter > 0 ? noise(rng) : 0.0);
    out.push_back({w.pitch, s, std::max(e, s + 0.05), 80 / 127.0});
  }
  return out;
}

// Repeats a bar pattern (onset, duration, pitch offsets) over bars, cycling a pitch sequence.
inline std::vector<Written> melody(const std::vector<std::pair<double, double>>& rhythm, double bar_q, int bars,
                                   const std::vector<int>& pitches, double start_q = 0) {
  std::vector<Written> out;
  size_t k = 0;
  for (int b = 0; b < bars; ++b)
    for (const auto& [on, dur] : rhythm) out.push_back({pitches[k++ % pitches.size()], start_q + b * bar_q + on, dur});
  return out;
}

using cadenza::test::TempDir;

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Runs a shell command; returns its exit status and puts stdout+stderr in output.
inline int run(const std::string& command, std::string* output = nullptr) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) text.append(buf, n);
  const int status = pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Validates a MusicXML file against the MusicXML 4.0 XSD offline; returns xmllint's output.
inline int validate_musicxml(const fs::path& file, std::string* output) {
  return run("XML_CATALOG_FILES=../shared/schemas/musicxml/catalog.xml xmllint --noout --nonet --schema "
             "../shared/schemas/musicxml/musicxml.xsd '" + file.string() + "'", output);
}

inline const char* kNottingham = "../shared/datasets/nottingham/MIDI/";

}  // namespace notation_test
