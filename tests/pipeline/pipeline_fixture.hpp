#pragma once
// Helpers for the pipeline tests: a scratch directory, synthetic notes and tones, stand-ins for LilyPond
// and a recorder of progress reports.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "cadenza/audio/wav_writer.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/core/note_event.hpp"
#include "cadenza/pipeline/hooks.hpp"
#include "support/temp_dir.hpp"

namespace pipeline_test {

namespace fs = std::filesystem;

using cadenza::test::TempDir;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void write_script(const fs::path& p, const std::string& body) {
  std::ofstream(p) << "#!/bin/sh\n" << body;
  fs::permissions(p, fs::perms::owner_all);
}

// A LilyPond that writes a tiny "PDF" where it is asked to (-o BASE: BASE.pdf) at once.
inline fs::path fake_lilypond(const fs::path& dir) {
  const auto p = dir / "fake-lilypond";
  write_script(p,
               "while [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=\"$2\"; shift; done\n"
               "printf '%%PDF-1.4 fake' > \"$out.pdf\"\n");
  return p;
}

// A LilyPond that writes its pid to `pid_file`, then takes 30 s.
inline fs::path slow_lilypond(const fs::path& dir, const fs::path& pid_file) {
  const auto p = dir / "slow-lilypond";
  write_script(p, "echo $$ > '" + pid_file.string() + "'\nsleep 30\n");
  return p;
}

// Two bars of 4/4 at 120 BPM: a C major scale in quarter notes over half-note bass notes.
inline std::vector<cadenza::NoteEvent> scale_notes() {
  std::vector<cadenza::NoteEvent> notes;
  const int melody[] = {60, 62, 64, 65, 67, 69, 71, 72};
  for (int i = 0; i < 8; ++i) notes.push_back({melody[i], 0.5 * i, 0.5 * i + 0.45, 0.7, {}});
  for (int i = 0; i < 4; ++i) notes.push_back({i % 2 ? 43 : 48, 1.0 * i, 1.0 * i + 0.95, 0.6, {}});
  return notes;
}

// Sine tones at 22050 Hz, one after the other: (MIDI pitch, seconds) each, 0.5 s of silence around.
inline fs::path write_tones(const fs::path& file, const std::vector<std::pair<int, double>>& tones) {
  std::vector<float> a(11025, 0.f);
  for (const auto& [pitch, seconds] : tones) {
    const double hz = 440.0 * std::pow(2.0, (pitch - 69) / 12.0);
    for (int i = 0; i < int(seconds * 22050); ++i) a.push_back(float(0.4 * std::sin(2 * M_PI * hz * i / 22050.0)));
  }
  a.resize(a.size() + 11025, 0.f);
  cadenza::audio::write_wav_f32(file, a, 22050);
  return file;
}

// Every progress report of a run, checked as the hooks promise: never decreasing, one "done", at 1, last.
struct Recorder {
  std::vector<double> fractions;
  std::vector<std::string> reports;  // the stage of each report
  std::vector<std::string> stages;   // the stages in order, each once per stretch

  cadenza::Progress progress() {
    return [this](double f, std::string_view stage) {
      fractions.push_back(f);
      reports.emplace_back(stage);
      if (stages.empty() || stages.back() != stage) stages.emplace_back(stage);
    };
  }
  cadenza::pipeline::Hooks hooks(cadenza::CancelCheck cancelled = {}) { return {progress(), std::move(cancelled)}; }
  bool has(std::string_view stage) const { return std::find(stages.begin(), stages.end(), stage) != stages.end(); }
  // Index of the first appearance of `stage` (stages.size() when absent).
  std::size_t at(std::string_view stage) const {
    return std::size_t(std::find(stages.begin(), stages.end(), stage) - stages.begin());
  }
  void check_complete() const {
    REQUIRE(!fractions.empty());
    CHECK(std::is_sorted(fractions.begin(), fractions.end()));
    CHECK(fractions.front() >= 0.0);
    CHECK(fractions.back() == 1.0);
    CHECK(stages.back() == "done");
    CHECK(std::count(reports.begin(), reports.end(), "done") == 1);
  }
};

// The names in a directory, sorted.
inline std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace pipeline_test
