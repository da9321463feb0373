// bench/generate_adherence: does the music of generated versions keep to the controls the prompt asked for?
// The client of `node bench/generate_stream.mjs` (step 4) downloads each version's MIDI (`download?format=mid`)
// into a directory and writes what each prompt asked, as its author wrote it (not the server's reading):
//
//   expect.json  [{"file": "007.mid", "prompt": "a lively jig in E minor for fiddle",
//                  "tonic": 4, "mode": "minor", "meter": "6/8",
//                  "tempo": {"bpm": 72} | {"word": "lively", "lo": 120, "hi": 168},
//                  "programs": [40]}, ...]
//
// For each file, as if nothing were known about it:
//   key      the notation engine's key finder (notation/key_finder.hpp: estimate_key, Temperley's profiles)
//            on the notes quantised to the beat tracker's grid. A miss is classed: the relative key (same
//            signature, other mode), the parallel key, a fifth away, other.
//   tempo    the beat tracker (notation/beat_tracker.hpp: track_time on the note events in seconds, as
//            bench/notation_accuracy.cpp drives it), quarter notes per minute, the median of bpm_at over
//            the bars; within 8 % of the number asked (or inside a word's range widened by 8 %). A miss at
//            twice or half the tempo is counted apart (a metrical-level error).
//   meter    the beat tracker's time signature; 2/4 read as 4/4 (and back) or 6/8 as 12/8 is a miss, counted
//            apart as "same beat, other bar length".
//   declared what the MIDI file itself says: its tempo, time signature, key signature and program change.
//   program  the first program change of the file's note channel.
//
// Prints per-control adherence % (music, and the file's declarations) and every miss; --out FILE writes
// the per-file findings as JSON for the caller's summary.
//
// --reference DIR: the same analysis on human-written MIDI files (the Nottingham tunes), with what each file
// declares (key signature with its mode, time signature, tempo or 120) as the answer, so that a miss can be
// told apart: the analysis's own (it misses there too) or the generated music's.
//
// Usage: generate_adherence DIR EXPECT.json [--out FILE] [--quiet]
//        generate_adherence --reference DIR [--limit 100] [--out FILE] [--quiet]
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cadenza/notation/beat_tracker.hpp"
#include "cadenza/notation/key_finder.hpp"
#include "cadenza/notation/midi_file.hpp"
#include "cadenza/notation/quantizer.hpp"

namespace nt = cadenza::notation;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kPc[] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};

std::string key_text(int tonic, bool minor) { return std::string(kPc[((tonic % 12) + 12) % 12]) + (minor ? " minor" : " major"); }

// Tonic pitch class of a key signature read as major or minor.
int tonic_of(const nt::KeySignature& k) {
  const int major_pc = (((k.fifths * 7) % 12) + 12) % 12;
  return k.minor ? (major_pc + 9) % 12 : major_pc;
}

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// The first program change on a channel that plays notes (-1: none), scanning the raw tracks: the notation
// reader keeps no program changes. Handles running status, meta and sysex events.
int first_program(const std::vector<uint8_t>& b) {
  std::map<int, int> program;  // channel -> first program
  std::optional<int> note_channel;
  size_t pos = 14;
  while (pos + 8 <= b.size()) {
    const bool track = std::memcmp(&b[pos], "MTrk", 4) == 0;
    const size_t len = (size_t(b[pos + 4]) << 24) | (size_t(b[pos + 5]) << 16) | (size_t(b[pos + 6]) << 8) | b[pos + 7];
    size_t i = pos + 8;
    const size_t end = std::min(b.size(), i + len);
    pos = i + len;
    if (!track) continue;
    uint8_t status = 0;
    auto vlq = [&]() {
      uint32_t v = 0;
      while (i < end) {
        const uint8_t c = b[i++];
        v = (v << 7) | (c & 0x7f);
        if (!(c & 0x80)) break;
      }
      return v;
    };
    while (i < end) {
      vlq();  // delta time
      if (i >= end) break;
      uint8_t c = b[i];
      if (c == 0xff) {
        i += 2;
        if (i > end) break;
        i += vlq();
        continue;
      }
      if (c == 0xf0 || c == 0xf7) {
        ++i;
        i += vlq();
        continue;
      }
      if (c & 0x80) status = c, ++i;
      const int kind = status & 0xf0, ch = status & 0x0f;
      if (kind == 0xc0 || kind == 0xd0) {
        if (kind == 0xc0 && i < end && !program.count(ch)) program[ch] = b[i];
        i += 1;
      } else {
        if (kind == 0x90 && i + 1 < end && b[i + 1] > 0 && !note_channel) note_channel = ch;
        i += 2;
      }
    }
  }
  if (!note_channel) return -1;
  auto it = program.find(*note_channel);
  return it == program.end() ? 0 : it->second;  // no program change: GM program 1 (0)
}

struct Tally {
  int n = 0, ok = 0;
  std::map<std::string, int> misses;  // class -> count
  double pct() const { return n ? 100.0 * ok / n : 0.0; }
};

bool tempo_ok(double bpm, const json& t) {
  if (t.contains("bpm")) return std::abs(bpm / t["bpm"].get<double>() - 1) <= 0.08;
  return bpm >= t["lo"].get<double>() * 0.92 && bpm <= t["hi"].get<double>() * 1.08;
}

std::string tempo_text(const json& t) {
  char buf[64];
  if (t.contains("bpm")) std::snprintf(buf, sizeof buf, "%g bpm", t["bpm"].get<double>());
  else std::snprintf(buf, sizeof buf, "%s (%g-%g)", t["word"].get<std::string>().c_str(), t["lo"].get<double>(), t["hi"].get<double>());
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: generate_adherence DIR EXPECT.json [--out FILE] [--quiet]\n"
                         "       generate_adherence --reference DIR [--limit N] [--out FILE] [--quiet]\n");
    return 2;
  }
  const bool reference = !std::strcmp(argv[1], "--reference");
  const fs::path dir = reference ? argv[2] : argv[1];
  std::string out_path;
  bool quiet = false;
  int limit = 100;
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--out") && i + 1 < argc) out_path = argv[++i];
    else if (!std::strcmp(argv[i], "--limit") && i + 1 < argc) limit = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--quiet")) quiet = true;
  }
  json expect = json::array();
  if (reference) {
    // The same analysis on human-written tunes whose files declare their key (with its mode), meter and tempo
    // (120 when they declare none): how much of a miss is the analysis's own. An even spread of `limit` files.
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".mid") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    const size_t step = limit > 0 && size_t(limit) < files.size() ? files.size() / size_t(limit) : 1;
    for (size_t i = 0; i < files.size() && (limit <= 0 || int(expect.size()) < limit); i += step) {
      try {
        const auto bytes = read_bytes(files[i]);
        const auto midi = nt::parse_midi(bytes);
        if (midi.keys.empty() || midi.meters.empty() || midi.notes.empty()) continue;
        bool one_meter = true, one_key = true;
        for (const auto& m : midi.meters)
          one_meter &= m.numerator == midi.meters.front().numerator && m.denominator == midi.meters.front().denominator;
        for (const auto& k : midi.keys) one_key &= k.fifths == midi.keys.front().fifths && k.minor == midi.keys.front().minor;
        if (!one_meter || !one_key) continue;
        const nt::KeySignature k{midi.keys.front().fifths, midi.keys.front().minor};
        const double bpm = midi.tempos.empty() ? 120.0 : 60e6 / midi.tempos.front().us_per_quarter;
        expect.push_back({{"file", files[i].filename().string()}, {"prompt", "(reference)"}, {"tonic", tonic_of(k)},
                          {"mode", k.minor ? "minor" : "major"},
                          {"meter", std::to_string(midi.meters.front().numerator) + "/" + std::to_string(midi.meters.front().denominator)},
                          {"tempo", {{"bpm", std::round(bpm * 100) / 100}}}, {"programs", {first_program(bytes)}}});
      } catch (const std::exception&) {
      }
    }
  } else {
    std::ifstream in(argv[2]);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[2]);
      return 2;
    }
    expect = json::parse(in);
  }

  Tally key, key_relative, tempo, meter, program, d_tempo, d_meter, d_key;
  int tempo_octave = 0, meter_grouping = 0;
  std::map<std::string, Tally> key_by_mode, meter_by_asked, tempo_by_meter;
  long minor_b7 = 0, minor_7 = 0, minor_notes = 0;  // notes a minor 7th / a major 7th above the tonic
  std::vector<std::string> miss_lines;
  json results = json::array();
  for (const auto& e : expect) {
    const std::string file = e.at("file");
    const std::string prompt = e.value("prompt", "");
    json r = {{"file", file}};
    try {
      const auto bytes = read_bytes(dir / file);
      const auto midi = nt::parse_midi(bytes);
      const auto events = midi.events();
      if (events.empty()) throw std::runtime_error("no notes");

      // Tempo and meter: the beat tracker on the notes as played (seconds), nothing forced.
      const nt::TimeGrid grid = nt::track_time(events);
      std::vector<double> bpms;
      const auto quantized = nt::quantize(events, grid);
      int64_t last = 0;
      for (const auto& q : quantized) last = std::max(last, q.onset + q.duration);
      for (int64_t d = 0; d < std::max<int64_t>(last, 1); d += grid.time.bar_length()) bpms.push_back(grid.bpm_at(double(d)));
      std::sort(bpms.begin(), bpms.end());
      const double bpm = bpms.empty() ? 0 : bpms[bpms.size() / 2];
      // Key: Temperley's key finder on the notes quantised to that grid.
      const nt::KeySignature found = nt::estimate_key(quantized);
      const int found_tonic = tonic_of(found);

      const int want_tonic = e.at("tonic").get<int>();
      const bool want_minor = e.at("mode").get<std::string>() == "minor";
      const std::string want_meter = e.at("meter");
      const json& want_tempo = e.at("tempo");
      std::vector<int> want_programs = e.at("programs").get<std::vector<int>>();

      // key
      ++key.n;
      ++key_relative.n;
      const bool key_hit = found_tonic == want_tonic && found.minor == want_minor;
      std::string key_class;
      const int want_major_pc = want_minor ? (want_tonic + 3) % 12 : want_tonic;
      const int found_major_pc = found.minor ? (found_tonic + 3) % 12 : found_tonic;
      auto& km = key_by_mode[want_minor ? "minor" : "major"];
      ++km.n, km.ok += key_hit;
      if (want_minor)
        for (const auto& ev : events) {
          const int degree = ((ev.pitch - want_tonic) % 12 + 12) % 12;
          ++minor_notes, minor_b7 += degree == 10, minor_7 += degree == 11;
        }
      if (key_hit) ++key.ok, ++key_relative.ok;
      else if (found_major_pc == want_major_pc) key_class = found.minor ? "relative minor" : "relative major", ++key_relative.ok;
      else if (found_tonic == want_tonic) key_class = "parallel";
      else if ((found_tonic - want_tonic + 12) % 12 == 7 || (want_tonic - found_tonic + 12) % 12 == 7) key_class = "a fifth away";
      else key_class = "other";
      if (!key_hit) {
        ++key.misses[key_class];
        miss_lines.push_back("key    " + file + ": asked " + key_text(want_tonic, want_minor) + ", found " +
                             key_text(found_tonic, found.minor) + " (" + key_class + ")  \"" + prompt + "\"");
      }
      // tempo
      ++tempo.n;
      const bool t_hit = tempo_ok(bpm, want_tempo);
      auto& tm = tempo_by_meter[want_meter];
      ++tm.n, tm.ok += t_hit;
      if (t_hit) ++tempo.ok;
      else {
        const bool octave = tempo_ok(bpm / 2, want_tempo) || tempo_ok(bpm * 2, want_tempo);
        tempo_octave += octave;
        ++tempo.misses[octave ? "double/half" : "other"];
        char buf[96];
        std::snprintf(buf, sizeof buf, "found %.1f bpm", bpm);
        miss_lines.push_back("tempo  " + file + ": asked " + tempo_text(want_tempo) + ", " + buf +
                             (octave ? " (double/half)" : "") + "  \"" + prompt + "\"");
      }
      // meter
      ++meter.n;
      const std::string found_meter = std::to_string(grid.time.beats) + "/" + std::to_string(grid.time.beat_type);
      auto& ma = meter_by_asked[want_meter];
      ++ma.n, ma.ok += found_meter == want_meter;
      if (found_meter != want_meter) ++ma.misses[found_meter];
      if (found_meter == want_meter) ++meter.ok;
      else {
        const bool grouping = (found_meter == "4/4" && want_meter == "2/4") || (found_meter == "2/4" && want_meter == "4/4") ||
                              (found_meter == "12/8" && want_meter == "6/8") || (found_meter == "6/8" && want_meter == "12/8") ||
                              (found_meter == "2/2" && want_meter == "4/4") || (found_meter == "4/4" && want_meter == "2/2");
        meter_grouping += grouping;
        ++meter.misses[grouping ? "same beat, other bar" : "other"];
        miss_lines.push_back("meter  " + file + ": asked " + want_meter + ", found " + found_meter +
                             (grouping ? " (same beat, other bar length)" : "") + "  \"" + prompt + "\"");
      }
      // What the file declares.
      const int prog = first_program(bytes);
      ++program.n;
      if (std::find(want_programs.begin(), want_programs.end(), prog) != want_programs.end()) ++program.ok;
      else ++program.misses["program " + std::to_string(prog)];
      const double declared_bpm = midi.tempos.empty() ? 120.0 : 60e6 / midi.tempos.front().us_per_quarter;
      ++d_tempo.n;
      if (tempo_ok(declared_bpm, want_tempo)) ++d_tempo.ok;
      const std::string declared_meter = midi.meters.empty() ? "none"
          : std::to_string(midi.meters.front().numerator) + "/" + std::to_string(midi.meters.front().denominator);
      ++d_meter.n;
      if (declared_meter == want_meter) ++d_meter.ok;
      else ++d_meter.misses[declared_meter];
      std::string declared_key = "none";
      ++d_key.n;
      if (!midi.keys.empty()) {
        const nt::KeySignature k{midi.keys.front().fifths, midi.keys.front().minor};
        declared_key = key_text(tonic_of(k), k.minor);
        if (tonic_of(k) == want_tonic && k.minor == want_minor) ++d_key.ok;
      }
      if (declared_key == "none") ++d_key.misses["none"];

      r.update({{"notes", events.size()},
                {"key", key_text(found_tonic, found.minor)},
                {"keyOk", key_hit},
                {"keyClass", key_class},
                {"bpm", std::round(bpm * 10) / 10},
                {"tempoOk", t_hit},
                {"meter", found_meter},
                {"meterOk", found_meter == want_meter},
                {"program", prog},
                {"declaredBpm", std::round(declared_bpm * 10) / 10},
                {"declaredMeter", declared_meter},
                {"declaredKey", declared_key}});
    } catch (const std::exception& ex) {
      r["error"] = ex.what();
      miss_lines.push_back("error  " + file + ": " + ex.what());
      ++key.n, ++key_relative.n, ++tempo.n, ++meter.n, ++program.n, ++d_tempo.n, ++d_meter.n, ++d_key.n;
    }
    results.push_back(r);
  }

  auto misses = [](const Tally& t) {
    std::string s;
    for (const auto& [k, v] : t.misses) s += (s.empty() ? "" : ", ") + k + " x" + std::to_string(v);
    return s.empty() ? std::string("-") : s;
  };
  if (!quiet) {
    std::printf("generate_adherence: %zu MIDI files in %s\n", expect.size(), dir.string().c_str());
    std::printf("  %-34s %6s  %s\n", "control (from the notes)", "%", "misses");
    std::printf("  %-34s %5.1f%%  %s\n", "key (key finder)", key.pct(), misses(key).c_str());
    std::printf("  %-34s %5.1f%%\n", "key or its relative", key_relative.pct());
    std::printf("  %-34s %5.1f%%  %s\n", "tempo (beat tracker, +-8%)", tempo.pct(), misses(tempo).c_str());
    std::printf("  %-34s %5.1f%%  %s\n", "meter (beat tracker)", meter.pct(), misses(meter).c_str());
    std::printf("  %-34s %6s  %s\n", "declared in the MIDI file", "", "");
    std::printf("  %-34s %5.1f%%\n", "tempo (set tempo)", d_tempo.pct());
    std::printf("  %-34s %5.1f%%  %s\n", "meter (time signature)", d_meter.pct(), misses(d_meter).c_str());
    std::printf("  %-34s %5.1f%%  %s\n", "key (key signature)", d_key.pct(), misses(d_key).c_str());
    std::printf("  %-34s %5.1f%%  %s\n", "instrument (program change)", program.pct(), misses(program).c_str());
    for (const auto& [mode, t] : key_by_mode) std::printf("  key, %s asked: %5.1f%% of %d\n", mode.c_str(), t.pct(), t.n);
    if (minor_notes)
      std::printf("  minor asked: %.1f%% of the notes on the minor 7th, %.1f%% on the raised 7th (leading tone)\n",
                  100.0 * minor_b7 / minor_notes, 100.0 * minor_7 / minor_notes);
    for (const auto& [m, t] : meter_by_asked)
      std::printf("  meter, %s asked: %5.1f%% of %d (found instead: %s); tempo right in %s: %5.1f%%\n", m.c_str(), t.pct(), t.n,
                  misses(t).c_str(), m.c_str(), tempo_by_meter[m].pct());
    std::printf("  misses (music):\n");
    for (const auto& l : miss_lines) std::printf("    %s\n", l.c_str());
  }
  if (!out_path.empty()) {
    json summary = {{"key", key.pct()}, {"keyOrRelative", key_relative.pct()}, {"tempo", tempo.pct()},
                    {"tempoDoubleHalf", tempo_octave}, {"meter", meter.pct()}, {"meterSameBeat", meter_grouping},
                    {"declaredTempo", d_tempo.pct()}, {"declaredMeter", d_meter.pct()}, {"declaredKey", d_key.pct()},
                    {"program", program.pct()}, {"keyMisses", key.misses}, {"n", key.n},
                    {"keyMajor", key_by_mode["major"].pct()}, {"keyMinor", key_by_mode["minor"].pct()}};
    for (const auto& [m, t] : meter_by_asked) summary["meterAsked"][m] = t.pct();
    std::ofstream(out_path) << json{{"summary", summary}, {"files", results}, {"misses", miss_lines}}.dump(1) << "\n";
  }
  return 0;
}
