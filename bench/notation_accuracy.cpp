// bench/notation_accuracy: how well the notation engine recovers known scores from played notes.
//
// Pieces whose score is known are turned into note events (seconds) with a tempo, then engraved
// and compared with the original:
//   - Nottingham folk tunes (../shared/datasets/nottingham/MIDI): key and time signature from the
//     MIDI meta events, bar lines at tick 0 + k * bar; the melody (track 1) belongs on the treble
//     staff, the chords (track 2) on the bass staff.
//   - JSB chorales (../shared/datasets/jsb-chorales/Jsb16thSeparated.json, test split): four
//     voices on a 16th grid; soprano/alto belong on the treble staff, tenor/bass on the bass staff.
// Conditions: "clean" (exact timing at a constant tempo) and "played" (onset jitter 15 ms,
// detached ends, smooth tempo drift of up to ±8 %, velocity variation).
// Metrics (per note unless noted): key signature and meter (per piece), bar position (onset at
// the right place within the bar), onset in beats relative to the first note, duration in beats,
// both, and staff.
//
// Audio path (--audio N): the clean performance of N pieces per set is rendered with FluidSynth
// (GM piano), transcribed by `cadenza transcribe --format json`, and the transcribed notes are
// engraved; a reference note counts when a transcribed note of the same pitch starts within
// 70 ms of it and its engraved onset/duration match.
//
// Usage: notation_accuracy [--limit N] [--shared DIR] [--verbose] [--audio N --cadenza PATH]
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cadenza/notation/engrave.hpp"
#include "cadenza/notation/midi_file.hpp"

namespace nt = cadenza::notation;
namespace fs = std::filesystem;

namespace {

struct RefNote {
  int pitch;
  double onset_q;     // quarter notes
  double duration_q;
  int staff;          // 0 unknown, 1 treble, 2 bass
};

struct Piece {
  std::string name;
  std::vector<RefNote> notes;
  bool has_key = false, has_meter = false;
  int fifths = 0;
  nt::TimeSignature time;
};

struct Tally {
  int pieces = 0, key_known = 0, key_ok = 0, meter_known = 0, meter_ok = 0;
  long notes = 0, bar_known = 0, bar_ok = 0, onset_ok = 0, dur_ok = 0, both_ok = 0, staff_known = 0, staff_ok = 0;
  double seconds = 0;
};

std::vector<Piece> nottingham(const fs::path& dir, int limit) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".mid") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  // An even spread over the collections when limited.
  std::vector<fs::path> pick;
  const size_t step = limit > 0 && static_cast<size_t>(limit) < files.size() ? files.size() / limit : 1;
  for (size_t i = 0; i < files.size() && (limit <= 0 || static_cast<int>(pick.size()) < limit); i += step) pick.push_back(files[i]);
  std::vector<Piece> out;
  for (const auto& f : pick) {
    const auto midi = nt::read_midi_file(f.string());
    Piece p;
    p.name = f.stem().string();
    if (!midi.keys.empty()) p.has_key = true, p.fifths = midi.keys.front().fifths;
    if (!midi.meters.empty()) p.has_meter = true, p.time = {midi.meters.front().numerator, midi.meters.front().denominator};
    // Tunes that change meter have no single right answer: keep them out of the meter score.
    for (const auto& m : midi.meters)
      if (m.numerator != midi.meters.front().numerator || m.denominator != midi.meters.front().denominator) p.has_meter = false;
    for (const auto& n : midi.notes)
      p.notes.push_back({n.pitch, static_cast<double>(n.start_tick) / midi.ppq, static_cast<double>(n.end_tick - n.start_tick) / midi.ppq,
                         n.track == 0 ? 1 : 2});
    if (!p.notes.empty()) out.push_back(std::move(p));
  }
  return out;
}

std::vector<Piece> chorales(const fs::path& file, int limit) {
  std::ifstream in(file);
  const auto doc = nlohmann::json::parse(in);
  std::vector<Piece> out;
  int index = 0;
  for (const auto& piece : doc.at("test")) {
    if (limit > 0 && static_cast<int>(out.size()) >= limit) break;
    Piece p;
    p.name = "chorale-test-" + std::to_string(index++);
    const size_t steps = piece.size();
    for (int v = 0; v < 4; ++v) {
      size_t s = 0;
      while (s < steps) {
        const int pitch = piece[s][v].get<int>();
        size_t e = s + 1;
        while (e < steps && piece[e][v].get<int>() == pitch) ++e;
        if (pitch >= 0) p.notes.push_back({pitch, s * 0.25, (e - s) * 0.25, v < 2 ? 1 : 2});
        s = e;
      }
    }
    std::sort(p.notes.begin(), p.notes.end(), [](const RefNote& a, const RefNote& b) {
      return a.onset_q != b.onset_q ? a.onset_q < b.onset_q : a.pitch < b.pitch;
    });
    out.push_back(std::move(p));
  }
  return out;
}

// Performance time of a position in quarters under a tempo curve.
struct Tempo {
  double bpm;
  double drift;  // relative amplitude
  double phase;
  double period_q;
  double seconds(double q) const {
    // Integrate 60 / bpm(q) with bpm(q) = bpm * (1 + drift * sin(2 pi q / period + phase)), 64 steps per quarter.
    if (drift == 0) return q * 60.0 / bpm;
    double t = 0;
    const int n = std::max(1, static_cast<int>(q * 64));
    const double h = q / n;
    for (int i = 0; i < n; ++i) {
      const double x = (i + 0.5) * h;
      t += h * 60.0 / (bpm * (1 + drift * std::sin(2 * M_PI * x / period_q + phase)));
    }
    return t;
  }
};

std::vector<cadenza::NoteEvent> perform(const Piece& p, bool played, std::mt19937& rng, double bpm) {
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> jitter(0, 0.015);
  Tempo tempo{bpm, played ? 0.04 + 0.04 * u(rng) : 0.0, 2 * M_PI * u(rng), 32 + 32 * u(rng)};
  // Tabulate the tempo curve once per quarter step of 1/16 (positions lie on a 16th grid or finer).
  std::map<double, double> cache;
  auto at = [&](double q) {
    auto it = cache.find(q);
    if (it != cache.end()) return it->second;
    return cache[q] = tempo.seconds(q);
  };
  std::vector<cadenza::NoteEvent> ev;
  for (const auto& n : p.notes) {
    double s = at(n.onset_q), e = at(n.onset_q + n.duration_q);
    int vel = 80;
    if (played) {
      s += jitter(rng);
      e += jitter(rng) - (0.02 + 0.05 * u(rng));
      vel = std::clamp(static_cast<int>(std::lround(80 + 15 * (u(rng) * 2 - 1))), 1, 127);
      e = std::max(e, s + 0.04);
    }
    ev.push_back({n.pitch, s + 1.0, e + 1.0, vel / 127.0});
  }
  return ev;
}

bool verbose = false;

// Engraves `events` (a performance of p) and scores it. ref_to_event maps each reference note to
// the index of the event that plays it (-1: none).
void score_piece(const Piece& p, bool played, double bpm, const std::vector<cadenza::NoteEvent>& events,
                 const std::vector<int>& ref_to_event, Tally& t);

void evaluate(const Piece& p, bool played, uint32_t seed, double bpm, Tally& t) {
  std::mt19937 rng(seed);
  const auto events = perform(p, played, rng, bpm);
  std::vector<int> ref_to_event(p.notes.size());
  for (size_t i = 0; i < ref_to_event.size(); ++i) ref_to_event[i] = static_cast<int>(i);
  score_piece(p, played, bpm, events, ref_to_event, t);
}

void score_piece(const Piece& p, bool played, double bpm, const std::vector<cadenza::NoteEvent>& events,
                 const std::vector<int>& ref_to_event, Tally& t) {
  const Tally before = t;
  nt::EngraveOptions opt;
  opt.title = p.name;
  const auto t0 = std::chrono::steady_clock::now();
  const auto score = nt::engrave(events, opt);
  t.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++t.pieces;
  if (p.has_key) ++t.key_known, t.key_ok += score.key_at(0).fifths == p.fifths;
  if (p.has_meter) ++t.meter_known, t.meter_ok += score.time == p.time;
  std::vector<const nt::ScoreNote*> by_source(events.size(), nullptr);
  for (const auto& n : score.notes)
    if (n.source >= 0) by_source[n.source] = &n;
  // Onsets are compared relative to the first reference note that has an engraved counterpart.
  int64_t ours_first = 0;
  double ref_first = p.notes.front().onset_q;
  for (size_t i = 0; i < p.notes.size(); ++i) {
    if (ref_to_event[i] >= 0 && by_source[ref_to_event[i]]) {
      ours_first = by_source[ref_to_event[i]]->onset;
      ref_first = p.notes[i].onset_q;
      break;
    }
  }
  const int64_t ref_bar = p.has_meter ? p.time.bar_length() : 0;
  for (size_t i = 0; i < p.notes.size(); ++i) {
    const auto& r = p.notes[i];
    ++t.notes;
    const auto* n = ref_to_event[i] >= 0 ? by_source[ref_to_event[i]] : nullptr;
    if (!n) continue;
    const int64_t ref_onset = std::llround((r.onset_q - ref_first) * nt::kDivisions);
    const int64_t ref_dur = std::llround(r.duration_q * nt::kDivisions);
    const bool on = n->onset - ours_first == ref_onset;
    const bool du = n->duration == ref_dur;
    t.onset_ok += on, t.dur_ok += du, t.both_ok += on && du;
    if (ref_bar > 0 && score.time == p.time) {
      const int64_t ref_in_bar = std::llround(r.onset_q * nt::kDivisions) % ref_bar;
      const int64_t bar = score.time.bar_length();
      const int64_t ours_in_bar = ((n->onset - score.pickup) % bar + bar) % bar;
      t.bar_ok += ref_in_bar == ours_in_bar;
    }
    if (ref_bar > 0) ++t.bar_known;
    if (r.staff) ++t.staff_known, t.staff_ok += n->staff == r.staff;
  }
  if (verbose) {
    const long n = t.notes - before.notes;
    std::printf("%-16s %-6s bpm %5.1f  key %3d/%3d  meter %d/%d vs %d/%d  pickup %3lld  onset %5.1f%%  dur %5.1f%%  staff %5.1f%%\n",
                p.name.c_str(), played ? "played" : "clean", bpm, score.key_at(0).fifths, p.fifths, score.time.beats,
                score.time.beat_type, p.time.beats, p.time.beat_type, static_cast<long long>(score.pickup),
                100.0 * (t.onset_ok - before.onset_ok) / n, 100.0 * (t.dur_ok - before.dur_ok) / n,
                t.staff_known > before.staff_known ? 100.0 * (t.staff_ok - before.staff_ok) / (t.staff_known - before.staff_known) : 0.0);
  }
}

void put_vlq(std::string& out, uint32_t v) {
  char buf[5];
  int n = 0;
  buf[n++] = static_cast<char>(v & 0x7f);
  while (v >>= 7) buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
  while (n) out += buf[--n];
}

// A format 0 MIDI file of the performance: 120 BPM, 480 ticks per quarter (960 ticks a second).
std::string performance_midi(const std::vector<cadenza::NoteEvent>& events) {
  struct Ev { int64_t tick; int on; int pitch; int vel; };
  std::vector<Ev> ev;
  for (const auto& e : events) {
    ev.push_back({std::llround(e.start * 960), 1, e.pitch, cadenza::midi_velocity(e.velocity)});
    ev.push_back({std::llround(e.end * 960), 0, e.pitch, 0});
  }
  std::sort(ev.begin(), ev.end(), [](const Ev& a, const Ev& b) { return a.tick != b.tick ? a.tick < b.tick : a.on < b.on; });
  std::string track;
  int64_t last = 0;
  for (const auto& e : ev) {
    put_vlq(track, static_cast<uint32_t>(e.tick - last));
    last = e.tick;
    track += static_cast<char>(e.on ? 0x90 : 0x80);
    track += static_cast<char>(e.pitch);
    track += static_cast<char>(e.vel);
  }
  track += std::string("\x00\xff\x2f\x00", 4);
  std::string out = std::string("MThd\0\0\0\x06\0\0\0\x01\x01\xe0", 14) + "MTrk";
  for (int i = 3; i >= 0; --i) out += static_cast<char>((track.size() >> (8 * i)) & 0xff);
  return out + track;
}

std::string audio_dir;
std::string cadenza_binary;

// Clean performance -> FluidSynth -> cadenza transcribe -> notation; false when a tool failed.
bool evaluate_audio(const Piece& p, double bpm, Tally& t) {
  std::mt19937 rng(1);
  const auto played = perform(p, false, rng, bpm);
  const fs::path dir = fs::path(audio_dir) / p.name;
  fs::create_directories(dir);
  {
    std::ofstream mid(dir / "performance.mid", std::ios::binary);
    mid << performance_midi(played);
  }
  const std::string render = "fluidsynth -ni -q -F '" + (dir / "performance.wav").string() + "' -r 22050 " +
                             "/usr/share/sounds/sf2/FluidR3_GM.sf2 '" + (dir / "performance.mid").string() + "' >/dev/null 2>&1";
  const std::string transcribe = "'" + cadenza_binary + "' transcribe -q --format json -o '" + dir.string() + "' '" +
                                 (dir / "performance.wav").string() + "' >/dev/null 2>&1";
  if (std::system(render.c_str()) != 0 || std::system(transcribe.c_str()) != 0) return false;
  std::ifstream in(dir / "notes.json");
  const auto doc = nlohmann::json::parse(in);
  std::vector<cadenza::NoteEvent> events;
  for (const auto& n : doc.at("notes"))
    events.push_back({n.at("pitch").get<int>(), n.at("start").get<double>(), n.at("end").get<double>(),
                      n.at("velocity").get<double>()});
  // Each reference note -> the unused transcribed note of its pitch starting nearest (within 70 ms).
  std::vector<int> ref_to_event(p.notes.size(), -1);
  std::vector<bool> used(events.size(), false);
  for (size_t i = 0; i < p.notes.size(); ++i) {
    double best = 0.07;
    for (size_t j = 0; j < events.size(); ++j) {
      if (used[j] || events[j].pitch != p.notes[i].pitch) continue;
      const double d = std::abs(events[j].start - played[i].start);
      if (d < best) best = d, ref_to_event[i] = static_cast<int>(j);
    }
    if (ref_to_event[i] >= 0) used[ref_to_event[i]] = true;
  }
  if (events.empty()) return false;
  score_piece(p, false, bpm, events, ref_to_event, t);
  return true;
}

std::string pct(long ok, long n) {
  if (n == 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", 100.0 * ok / n);
  return buf;
}

void row(const char* set, const char* cond, const Tally& t) {
  std::printf("| %-10s | %-6s | %6d | %8s | %8s | %12s | %8s | %8s | %9s | %8s | %6.1f |\n", set, cond, t.pieces,
              pct(t.key_ok, t.key_known).c_str(), pct(t.meter_ok, t.meter_known).c_str(),
              pct(t.bar_ok, t.bar_known).c_str(), pct(t.onset_ok, t.notes).c_str(), pct(t.dur_ok, t.notes).c_str(),
              pct(t.both_ok, t.notes).c_str(), pct(t.staff_ok, t.staff_known).c_str(), 1000.0 * t.seconds / std::max(1, t.pieces));
}

}  // namespace

int main(int argc, char** argv) {
  int limit = 0, audio_pieces = 0;
  std::string shared = "../shared";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--limit") && i + 1 < argc) limit = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--shared") && i + 1 < argc) shared = argv[++i];
    else if (!std::strcmp(argv[i], "--verbose")) verbose = true;
    else if (!std::strcmp(argv[i], "--audio") && i + 1 < argc) audio_pieces = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--cadenza") && i + 1 < argc) cadenza_binary = argv[++i];
    else {
      std::fprintf(stderr, "usage: notation_accuracy [--limit N] [--shared DIR] [--verbose] [--audio N --cadenza PATH]\n");
      return 2;
    }
  }
  const auto folk = nottingham(fs::path(shared) / "datasets/nottingham/MIDI", limit);
  const auto bach = chorales(fs::path(shared) / "datasets/jsb-chorales/Jsb16thSeparated.json", limit);
  std::printf("| set        | timing | pieces |      key |    meter | bar position |    onset | duration | onset+dur |    staff | ms/piece |\n");
  std::printf("|------------|--------|--------|----------|----------|--------------|----------|----------|-----------|----------|--------|\n");
  for (bool played : {false, true}) {
    Tally folk_t, bach_t;
    uint32_t seed = played ? 1000 : 1;
    for (const auto& p : folk) {
      std::mt19937 r(seed);
      const double bpm = 100 + 40 * std::uniform_real_distribution<double>(0, 1)(r);
      evaluate(p, played, seed++, bpm, folk_t);
    }
    for (const auto& p : bach) {
      std::mt19937 r(seed);
      const double bpm = 72 + 24 * std::uniform_real_distribution<double>(0, 1)(r);
      evaluate(p, played, seed++, bpm, bach_t);
    }
    row("nottingham", played ? "played" : "clean", folk_t);
    row("chorales", played ? "played" : "clean", bach_t);
  }
  if (audio_pieces > 0) {
    if (cadenza_binary.empty()) {
      std::fprintf(stderr, "--audio needs --cadenza PATH (the cadenza binary with the transcriber)\n");
      return 2;
    }
    char tmpl[] = "/tmp/cadenza-notation-bench-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    audio_dir = tmpl;
    for (int set = 0; set < 2; ++set) {
      const auto& pieces = set == 0 ? folk : bach;
      Tally tally;
      int failed = 0;
      const size_t step = std::max<size_t>(1, pieces.size() / audio_pieces);
      uint32_t seed = 1;
      for (size_t i = 0; i < pieces.size() && tally.pieces + failed < audio_pieces; i += step) {
        std::mt19937 r(seed++);
        const double bpm = set == 0 ? 100 + 40 * std::uniform_real_distribution<double>(0, 1)(r)
                                    : 72 + 24 * std::uniform_real_distribution<double>(0, 1)(r);
        if (!evaluate_audio(pieces[i], bpm, tally)) {
          ++failed;
          std::fprintf(stderr, "audio path: %s failed (fluidsynth or cadenza transcribe)\n", pieces[i].name.c_str());
        }
      }
      row(set == 0 ? "nottingham" : "chorales", "audio", tally);
    }
    std::error_code ec;
    fs::remove_all(audio_dir, ec);
  }
  return 0;
}
