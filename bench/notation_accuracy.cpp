// bench/notation_accuracy: how well the notation engine recovers known scores from played notes.
//
// Pieces whose score is known are turned into note events (seconds) with a tempo, then engraved
// and compared with the original:
//   - nottingham: folk tunes (../shared/datasets/nottingham/MIDI): key and time signature from the
//     MIDI meta events, bar lines at tick 0 + k * bar; the melody (track 1) belongs on the treble
//     staff, the chords (track 2) on the bass staff.
//   - chorales: JSB chorales (../shared/datasets/jsb-chorales/Jsb16thSeparated.json, test split): four
//     voices on a 16th grid; soprano/alto belong on the treble staff, tenor/bass on the bass staff.
//   - waltz: the Nottingham 3/4 tunes with an oom-pah-pah left hand made from their chords (bass note
//     on beat 1, the chord on beats 2 and 3), played with human timing.
//   - bossa: a bossa-nova guitar comp in 4/4 (2/4 also counts) from the chords of Nottingham 4/4 tunes:
//     a 3+3+2 bass (dotted quarter, eighth, dotted quarter, eighth) under a syncopated two-bar chord
//     pattern, human timing.
//   - guitarset: one real bossa-nova guitar recording (../shared/datasets/guitarset-excerpt, 00_BN1,
//     4/4 at 129 BPM): its annotated notes as played (symbolic) and the recording itself (audio);
//     reference positions from the annotated beats, rounded to 16ths.
//   - pause: a Nottingham tune with a pause of 0.3-0.7 beats inserted at a bar line or a beat in the
//     middle of the piece; bars and onsets are judged per segment (before/after the pause).
//   - splice: a Nottingham tune whose middle part is repeated from a point that is not a whole number
//     of bars back (a spliced repeat): bar positions after the splice are judged against the source.
//   - fullmix: a Nottingham tune as a band: melody, chords, a bass line and a General MIDI drum track on
//     channel 10, written to a MIDI file and read back (the reader drops channel 10), engraved as the
//     `piano` arrangement; "RH F1" is the note F1 of the right hand against the source melody (pitch
//     exact, onset within 50 ms of the played melody note).
// Timing: "clean" (exact timing at a constant tempo), "played" (onset jitter 15 ms, detached ends, smooth
// tempo drift of up to ±8 %, velocity variation) and "human" (onset jitter 22 ms, tempo drift 6-12 %,
// velocity accents of ±22 around a per-part level).
// Metrics (per note unless noted): key signature and meter (per piece), bar position (onset at the right
// place within the bar), onset in beats relative to the first note of its segment, duration in beats, both,
// staff, and RH F1 where a set has a melody part.
//
// Audio path (--audio N): N pieces per set are rendered with FluidSynth (GM piano; the full mix with GM
// strings, bass and drums), transcribed by `cadenza transcribe --format json`, and the transcribed notes are
// engraved; a reference note counts when a transcribed note of the same pitch starts within 70 ms of it
// and its engraved onset/duration match. The old sets are played clean there, the new ones with their own
// timing.
//
// Usage: notation_accuracy [--limit N] [--shared DIR] [--verbose] [--sets a,b,...] [--audio N --cadenza PATH]
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cadenza/notation/engrave.hpp"
#include "cadenza/notation/midi_file.hpp"

namespace nt = cadenza::notation;
namespace fs = std::filesystem;

namespace {

enum Role { kPlain = 0, kMelody = 1, kChord = 2, kBass = 3, kDrum = 4 };

struct RefNote {
  int pitch;
  double onset_q;     // quarter notes
  double duration_q;
  int staff;          // 0 unknown, 1 treble, 2 bass
  int role = kPlain;
  int segment = 0;    // parts separated by a discontinuity; onsets are judged within a segment
  double bar_q = -1;  // position in the source piece for the bar position (-1: onset_q)
  int velocity = 80;
};

struct Piece {
  std::string name;
  std::vector<RefNote> notes;
  bool has_key = false, has_meter = false;
  int fifths = 0;
  nt::TimeSignature time;
  std::optional<nt::TimeSignature> alt_time;       // another right answer (2/4 for a 4/4 bossa)
  std::vector<std::pair<double, double>> pauses;   // (quarter position, seconds of silence)
  std::vector<std::pair<double, double>> real;     // real performance (start, end) per note, if any
  std::string wav;                                 // a real recording for the audio path
  bool full_mix = false;
};

struct Feel {
  const char* name;
  double jitter = 0, drift_lo = 0, drift_hi = 0, vel_spread = 0;
  bool detached = false;
};
const Feel kClean{"clean"};
const Feel kPlayed{"played", 0.015, 0.04, 0.08, 15, true};
const Feel kHuman{"human", 0.022, 0.06, 0.12, 22, true};

struct Tally {
  int pieces = 0, key_known = 0, key_ok = 0, meter_known = 0, meter_ok = 0;
  long notes = 0, bar_known = 0, bar_ok = 0, onset_ok = 0, dur_ok = 0, both_ok = 0, staff_known = 0, staff_ok = 0;
  long mel_ref = 0, mel_rh = 0, mel_match = 0;
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
                         n.track == 0 ? 1 : 2, n.track == 0 ? kMelody : kChord});
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

void sort_notes(std::vector<RefNote>& notes) {
  std::stable_sort(notes.begin(), notes.end(), [](const RefNote& a, const RefNote& b) {
    return a.onset_q != b.onset_q ? a.onset_q < b.onset_q : a.pitch < b.pitch;
  });
}

// The chord (track 2) notes sounding at q, low to high.
std::vector<int> chord_at(const Piece& p, double q) {
  std::vector<int> out;
  for (const auto& n : p.notes)
    if (n.role == kChord && n.onset_q <= q + 1e-6 && n.onset_q + n.duration_q > q + 1e-6) out.push_back(n.pitch);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

int into_range(int pitch, int lo, int hi) {
  while (pitch < lo) pitch += 12;
  while (pitch > hi) pitch -= 12;
  return pitch;
}

double piece_end(const Piece& p) {
  double end = 0;
  for (const auto& n : p.notes) end = std::max(end, n.onset_q + n.duration_q);
  return end;
}

// The melody of a tune over a new accompaniment pattern: pattern(bar start, chord at a position) adds notes.
template <class Pattern>
Piece with_accompaniment(const Piece& src, const std::string& name, bool keep_melody, Pattern pattern) {
  Piece p = src;
  p.name = name;
  p.notes.clear();
  if (keep_melody)
    for (const auto& n : src.notes)
      if (n.role == kMelody) p.notes.push_back(n), p.notes.back().velocity = 88;
  const double bar = src.time.bar_length() / static_cast<double>(nt::kDivisions);
  const double end = piece_end(src);
  // Nottingham tunes with a pickup start their bars at tick 0 all the same: bars are k * bar.
  for (double b = 0; b + 1e-6 < end; b += bar) pattern(p, src, b);
  sort_notes(p.notes);
  return p;
}

// Waltzes: bass note on 1, the chord on 2 and 3.
std::vector<Piece> waltzes(const std::vector<Piece>& folk) {
  std::vector<Piece> out;
  for (const auto& src : folk) {
    if (!src.has_meter || !(src.time == nt::TimeSignature{3, 4})) continue;
    out.push_back(with_accompaniment(src, src.name + "-oompah", true, [](Piece& p, const Piece& s, double b) {
      const auto c1 = chord_at(s, b);
      if (c1.empty()) return;
      p.notes.push_back({into_range(c1.front(), 36, 50), b, 1, 2, kBass, 0, -1, 84});
      for (double beat : {1.0, 2.0}) {
        const auto c = chord_at(s, b + beat);
        for (size_t i = 0; i < c.size(); ++i)
          p.notes.push_back({into_range(c[i], 52, 64), b + beat, 1, 2, kChord, 0, -1, 60});
      }
    }));
  }
  return out;
}

// Bossa nova comp: bass root-fifth in 3+3+2 eighths, chords on a two-bar syncopated pattern.
std::vector<Piece> bossas(const std::vector<Piece>& folk, int limit) {
  std::vector<Piece> out;
  for (const auto& src : folk) {
    if (limit > 0 && static_cast<int>(out.size()) >= limit) break;
    if (!src.has_meter || !(src.time == nt::TimeSignature{4, 4})) continue;
    Piece p = with_accompaniment(src, src.name + "-bossa", false, [](Piece& p, const Piece& s, double b) {
      const auto c = chord_at(s, b);
      if (c.empty()) return;
      const int root = into_range(c.front(), 36, 47);
      const int fifth = root + 7;
      const std::pair<double, double> bass[] = {{0, 1.5}, {1.5, 0.5}, {2, 1.5}, {3.5, 0.5}};
      const int bass_pitch[] = {root, fifth, fifth, root};
      for (int i = 0; i < 4; ++i) p.notes.push_back({bass_pitch[i], b + bass[i].first, bass[i].second, 2, kBass, 0, -1, 80});
      const bool second = static_cast<long>(std::lround(b / 4.0)) % 2 == 1;
      const std::vector<double> hits = second ? std::vector<double>{1.0, 2.5} : std::vector<double>{0.0, 1.5, 3.0};
      for (size_t h = 0; h < hits.size(); ++h) {
        const double len = h + 1 < hits.size() ? hits[h + 1] - hits[h] : 4.0 - hits[h];
        const auto ch = chord_at(s, b + hits[h]);
        for (int n : ch) p.notes.push_back({into_range(n, 55, 67), b + hits[h], std::min(len, 1.0), 1, kChord, 0, -1, 66});
      }
    });
    p.has_key = false;  // the comp alone does not always show the tune's key
    p.alt_time = nt::TimeSignature{2, 4};
    out.push_back(std::move(p));
  }
  return out;
}

// GuitarSet 00_BN1-129-Eb_comp: the annotated notes as played, reference positions from the beats.
std::vector<Piece> guitarset(const fs::path& dir) {
  std::vector<Piece> out;
  std::ifstream jin(dir / "00_BN1-129-Eb_comp.jams");
  std::ifstream cin(dir / "00_BN1-129-Eb_comp_notes.csv");
  if (!jin || !cin) return out;
  const auto doc = nlohmann::json::parse(jin);
  std::vector<double> beats;
  for (const auto& a : doc.at("annotations"))
    if (a.at("namespace") == "beat_position")
      for (const auto& d : a.at("data")) beats.push_back(d.at("time").get<double>());
  if (beats.size() < 4) return out;
  auto quarters = [&](double t) {
    const size_t n = beats.size();
    if (t <= beats[0]) return (t - beats[0]) / (beats[1] - beats[0]);
    if (t >= beats[n - 1]) return (n - 1) + (t - beats[n - 1]) / (beats[n - 1] - beats[n - 2]);
    const size_t k = std::upper_bound(beats.begin(), beats.end(), t) - beats.begin() - 1;
    return k + (t - beats[k]) / (beats[k + 1] - beats[k]);
  };
  Piece p;
  p.name = "guitarset-BN1";
  p.has_meter = true;
  p.time = {4, 4};
  p.alt_time = nt::TimeSignature{2, 4};
  p.has_key = true;
  p.fifths = -3;  // Eb major
  p.wav = (dir / "00_BN1-129-Eb_comp_mic.wav").string();
  std::string line;
  std::getline(cin, line);
  while (std::getline(cin, line)) {
    std::stringstream ss(line);
    std::string f[5];
    for (auto& x : f) std::getline(ss, x, ',');
    const double on = std::stod(f[0]), off = std::stod(f[1]);
    const int pitch = std::stoi(f[3]);
    const double q = std::round(quarters(on) * 4) / 4, qe = std::max(q + 0.25, std::round(quarters(off) * 4) / 4);
    p.notes.push_back({pitch, q, qe - q, 0, pitch < 55 ? kBass : kChord});
    p.real.push_back({on, off});
  }
  out.push_back(std::move(p));
  return out;
}

// A pause of 0.3-0.7 beats at a bar line or a beat in the middle of the piece.
std::vector<Piece> pauses(const std::vector<Piece>& folk, int limit) {
  std::vector<Piece> out;
  std::mt19937 rng(77);
  std::uniform_real_distribution<double> u(0, 1);
  for (const auto& src : folk) {
    if (limit > 0 && static_cast<int>(out.size()) >= limit) break;
    if (!src.has_meter) continue;
    Piece p = src;
    p.name = src.name + "-pause";
    const double beat = src.time.beat_length() / static_cast<double>(nt::kDivisions);
    const double bar = src.time.bar_length() / static_cast<double>(nt::kDivisions);
    const double end = piece_end(src);
    const double at = std::floor(end * (0.35 + 0.3 * u(rng)) / bar) * bar + (u(rng) < 0.5 ? 0.0 : beat);
    // The pause is silence: nothing sounds across it.
    for (auto& n : p.notes)
      if (n.onset_q < at - 1e-6 && n.onset_q + n.duration_q > at + 1e-6) n.duration_q = at - n.onset_q;
    for (auto& n : p.notes) n.segment = n.onset_q >= at - 1e-6;
    p.pauses.push_back({at, -(0.3 + 0.4 * u(rng)) * beat});  // in beats (negative): made seconds when played
    out.push_back(std::move(p));
  }
  return out;
}

// Bars [0, cut) then the piece again from `from` (cut - from = whole bars + one or two beats), to the end.
std::vector<Piece> splices(const std::vector<Piece>& folk, int limit) {
  std::vector<Piece> out;
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> u(0, 1);
  for (const auto& src : folk) {
    if (limit > 0 && static_cast<int>(out.size()) >= limit) break;
    if (!src.has_meter) continue;
    const double beat = src.time.beat_length() / static_cast<double>(nt::kDivisions);
    const double bar = src.time.bar_length() / static_cast<double>(nt::kDivisions);
    const int beats_per_bar = static_cast<int>(std::lround(bar / beat));
    const double end = piece_end(src);
    if (end < 10 * bar) continue;
    const double cut = std::floor(end * (0.4 + 0.2 * u(rng)) / bar) * bar + beat * (1 + static_cast<int>(u(rng) * (beats_per_bar - 1)));
    const double from = std::floor((cut - 3 * bar) / bar) * bar;
    Piece p = src;
    p.name = src.name + "-splice";
    p.notes.clear();
    for (auto n : src.notes) {
      if (n.onset_q >= cut - 1e-6) continue;
      n.duration_q = std::min(n.duration_q, cut - n.onset_q);
      p.notes.push_back(n);
    }
    for (auto n : src.notes) {
      if (n.onset_q < from - 1e-6) continue;
      n.bar_q = n.onset_q;
      n.onset_q = cut + (n.onset_q - from);
      n.segment = 1;
      p.notes.push_back(n);
    }
    sort_notes(p.notes);
    out.push_back(std::move(p));
  }
  return out;
}

// A band: melody (loud), chords, a bass line on the strong beats and drums on channel 10.
std::vector<Piece> full_mixes(const std::vector<Piece>& folk, int limit) {
  std::vector<Piece> out;
  for (const auto& src : folk) {
    if (limit > 0 && static_cast<int>(out.size()) >= limit) break;
    if (!src.has_meter) continue;
    Piece p = with_accompaniment(src, src.name + "-band", true, [](Piece& p, const Piece& s, double b) {
      const double bar = s.time.bar_length() / static_cast<double>(nt::kDivisions);
      const double beat = s.time.beat_length() / static_cast<double>(nt::kDivisions);
      const int beats = static_cast<int>(std::lround(bar / beat));
      for (const auto& n : s.notes)
        if (n.role == kChord && n.onset_q >= b - 1e-6 && n.onset_q < b + bar - 1e-6) p.notes.push_back(n), p.notes.back().velocity = 56;
      // Bass: the chord root on beat 1 (and on the middle beat of a 4-beat bar), held.
      for (int k = 0; k < beats; k += beats == 4 ? 2 : beats) {
        const auto c = chord_at(s, b + k * beat);
        if (c.empty()) continue;
        const double len = (beats == 4 ? 2 : beats) * beat;
        p.notes.push_back({into_range(c.front(), 33, 45), b + k * beat, len, 2, kBass, 0, -1, 84});
      }
      // Drums: kick on 1 (and 3), snare on the other beats, closed hi-hat on every eighth.
      for (int k = 0; k < beats; ++k) {
        const bool strong = k == 0 || (beats == 4 && k == 2);
        p.notes.push_back({strong ? 36 : 38, b + k * beat, 0.1, 0, kDrum, 0, -1, strong ? 96 : 84});
      }
      for (double e = 0; e < bar - 1e-6; e += 0.5) p.notes.push_back({42, b + e, 0.1, 0, kDrum, 0, -1, 60});
    });
    p.full_mix = true;
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

// One event per reference note (drums included, in order); channel per note for the MIDI rendering.
struct Performance {
  std::vector<cadenza::NoteEvent> events;
  std::vector<int> channel;
};

int channel_of(const Piece& p, const RefNote& n) {
  if (!p.full_mix) return 0;
  switch (n.role) {
    case kChord: return 1;
    case kBass: return 2;
    case kDrum: return 9;
    default: return 0;
  }
}

Performance perform(const Piece& p, const Feel& feel, std::mt19937& rng, double bpm) {
  Performance out;
  if (!p.real.empty()) {
    for (size_t i = 0; i < p.notes.size(); ++i) {
      out.events.push_back({p.notes[i].pitch, p.real[i].first, p.real[i].second, 80 / 127.0});
      out.channel.push_back(0);
    }
    return out;
  }
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> jitter(0, feel.jitter > 0 ? feel.jitter : 1e-9);
  const double drift = feel.drift_hi > 0 ? feel.drift_lo + (feel.drift_hi - feel.drift_lo) * u(rng) : 0.0;
  Tempo tempo{bpm, drift, 2 * M_PI * u(rng), 32 + 32 * u(rng)};
  // Tabulate the tempo curve once per position (positions lie on a 16th grid or finer).
  std::map<double, double> cache;
  auto at = [&](double q) {
    auto it = cache.find(q);
    double s = it != cache.end() ? it->second : (cache[q] = tempo.seconds(q));
    // Pauses (given in beats, negative) shift everything at or after them.
    for (const auto& [pq, len] : p.pauses)
      if (q >= pq - 1e-6) s += len < 0 ? -len * 60.0 / bpm * p.time.beat_length() / nt::kDivisions : len;
    return s;
  };
  for (const auto& n : p.notes) {
    double s = at(n.onset_q), e = at(n.onset_q + n.duration_q);
    int vel = n.velocity;
    if (feel.jitter > 0) {
      s += jitter(rng);
      e += jitter(rng) - (feel.detached ? 0.02 + 0.05 * u(rng) : 0.0);
      vel = std::clamp(static_cast<int>(std::lround(n.velocity + feel.vel_spread * (u(rng) * 2 - 1))), 1, 127);
      e = std::max(e, s + 0.04);
    }
    out.events.push_back({n.pitch, s + 1.0, e + 1.0, vel / 127.0});
    out.channel.push_back(channel_of(p, n));
  }
  return out;
}

bool verbose = false;

void put_vlq(std::string& out, uint32_t v) {
  char buf[5];
  int n = 0;
  buf[n++] = static_cast<char>(v & 0x7f);
  while (v >>= 7) buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
  while (n) out += buf[--n];
}

// A format 0 MIDI file of the performance: 120 BPM, 480 ticks per quarter (960 ticks a second). A full mix
// gets GM strings on channel 2, a bass on channel 3 and the drums on channel 10.
std::string performance_midi(const Performance& perf, bool full_mix) {
  struct Ev { int64_t tick; int on; int ch; int pitch; int vel; };
  std::vector<Ev> ev;
  for (size_t i = 0; i < perf.events.size(); ++i) {
    const auto& e = perf.events[i];
    ev.push_back({std::llround(e.start * 960), 1, perf.channel[i], e.pitch, cadenza::midi_velocity(e.velocity)});
    ev.push_back({std::llround(e.end * 960), 0, perf.channel[i], e.pitch, 0});
  }
  std::sort(ev.begin(), ev.end(), [](const Ev& a, const Ev& b) { return a.tick != b.tick ? a.tick < b.tick : a.on < b.on; });
  std::string track;
  if (full_mix) {
    for (auto [ch, program] : {std::pair{0, 0}, std::pair{1, 48}, std::pair{2, 32}}) {
      put_vlq(track, 0);
      track += static_cast<char>(0xc0 | ch);
      track += static_cast<char>(program);
    }
  }
  int64_t last = 0;
  for (const auto& e : ev) {
    put_vlq(track, static_cast<uint32_t>(e.tick - last));
    last = e.tick;
    track += static_cast<char>((e.on ? 0x90 : 0x80) | e.ch);
    track += static_cast<char>(e.pitch);
    track += static_cast<char>(e.vel);
  }
  track += std::string("\x00\xff\x2f\x00", 4);
  std::string out = std::string("MThd\0\0\0\x06\0\0\0\x01\x01\xe0", 14) + "MTrk";
  for (int i = 3; i >= 0; --i) out += static_cast<char>((track.size() >> (8 * i)) & 0xff);
  return out + track;
}

// Each reference note (drums left out) -> the unused event of its pitch starting nearest its played time
// (within `window` s).
std::vector<int> match_events(const Piece& p, const Performance& played, const std::vector<cadenza::NoteEvent>& events,
                              double window) {
  std::vector<int> ref_to_event(p.notes.size(), -1);
  std::vector<bool> used(events.size(), false);
  for (size_t i = 0; i < p.notes.size(); ++i) {
    if (p.notes[i].role == kDrum) continue;
    double best = window;
    for (size_t j = 0; j < events.size(); ++j) {
      if (used[j] || events[j].pitch != p.notes[i].pitch) continue;
      const double d = std::abs(events[j].start - played.events[i].start);
      if (d < best) best = d, ref_to_event[i] = static_cast<int>(j);
    }
    if (ref_to_event[i] >= 0) used[ref_to_event[i]] = true;
  }
  return ref_to_event;
}

// Engraves `events` (a performance of p) and scores it. ref_to_event maps each reference note to the index
// of the event that plays it (-1: none); played gives each reference note's performance time.
void score_piece(const Piece& p, const Performance& played, const std::vector<cadenza::NoteEvent>& events,
                 const std::vector<int>& ref_to_event, const char* cond, Tally& t) {
  const Tally before = t;
  nt::EngraveOptions opt;
  opt.title = p.name;
  if (p.full_mix) opt.arrangement = nt::Arrangement::Piano;
  nt::TimeGrid grid;
  const auto t0 = std::chrono::steady_clock::now();
  const auto score = nt::engrave(events, opt, grid);
  t.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++t.pieces;
  if (p.has_key) ++t.key_known, t.key_ok += score.key_at(0).fifths == p.fifths;
  const bool meter_ok = score.time == p.time || (p.alt_time && score.time == *p.alt_time);
  if (p.has_meter) ++t.meter_known, t.meter_ok += meter_ok;
  // The score keeps sources only when the arrangement dropped nothing; else the nearest note of the pitch.
  std::vector<const nt::ScoreNote*> by_source(events.size(), nullptr);
  bool sources = false;
  for (const auto& n : score.notes)
    if (n.source >= 0) by_source[n.source] = &n, sources = true;
  if (!sources) {
    for (size_t j = 0; j < events.size(); ++j) {
      double best = 0.06;
      for (const auto& n : score.notes) {
        if (n.pitch != events[j].pitch) continue;
        const double d = std::abs(grid.seconds_at(static_cast<double>(n.onset)) - events[j].start);
        if (d < best) best = d, by_source[j] = &n;
      }
    }
  }
  // Onsets are compared relative to the first reference note of the segment that has an engraved counterpart.
  std::map<int, std::pair<int64_t, double>> first;  // segment -> (our onset, reference onset)
  for (size_t i = 0; i < p.notes.size(); ++i) {
    const auto& r = p.notes[i];
    if (r.role == kDrum || first.count(r.segment)) continue;
    if (ref_to_event[i] >= 0 && by_source[ref_to_event[i]]) first[r.segment] = {by_source[ref_to_event[i]]->onset, r.onset_q};
  }
  const int64_t ref_bar = p.has_meter ? p.time.bar_length() : 0;
  for (size_t i = 0; i < p.notes.size(); ++i) {
    const auto& r = p.notes[i];
    if (r.role == kDrum) continue;
    ++t.notes;
    const auto* n = ref_to_event[i] >= 0 ? by_source[ref_to_event[i]] : nullptr;
    if (!n) continue;
    const auto [ours_first, ref_first] = first.at(r.segment);
    const int64_t ref_onset = std::llround((r.onset_q - ref_first) * nt::kDivisions);
    const int64_t ref_dur = std::llround(r.duration_q * nt::kDivisions);
    const bool on = n->onset - ours_first == ref_onset;
    const bool du = n->duration == ref_dur;
    t.onset_ok += on, t.dur_ok += du, t.both_ok += on && du;
    if (ref_bar > 0 && meter_ok) {
      const int64_t bar = score.time.bar_length();
      const int64_t ref_in_bar = std::llround((r.bar_q >= 0 ? r.bar_q : r.onset_q) * nt::kDivisions) % ref_bar % bar;
      const int64_t ours_in_bar = ((n->onset - score.pickup) % bar + bar) % bar;
      t.bar_ok += ref_in_bar == ours_in_bar;
    }
    if (ref_bar > 0) ++t.bar_known;
    if (r.staff) ++t.staff_known, t.staff_ok += n->staff == r.staff;
  }
  // The right hand against the melody: pitch exact, onset within 50 ms of the played melody note.
  std::vector<const nt::ScoreNote*> rh;
  for (const auto& n : score.notes)
    if (n.staff == 1) rh.push_back(&n);
  std::vector<bool> taken(rh.size(), false);
  long melody = 0, matched = 0;
  for (size_t i = 0; i < p.notes.size(); ++i) {
    if (p.notes[i].role != kMelody) continue;
    ++melody;
    int best_j = -1;
    double best = 0.05;
    for (size_t j = 0; j < rh.size(); ++j) {
      if (taken[j] || rh[j]->pitch != p.notes[i].pitch) continue;
      const double d = std::abs(grid.seconds_at(static_cast<double>(rh[j]->onset)) - played.events[i].start);
      if (d <= best) best = d, best_j = static_cast<int>(j);
    }
    if (best_j >= 0) taken[best_j] = true, ++matched;
  }
  if (melody > 0) t.mel_ref += melody, t.mel_rh += static_cast<long>(rh.size()), t.mel_match += matched;
  if (verbose) {
    // How our onsets scale against the reference's (1: the right note values; 2: written twice as long).
    std::vector<double> ratios;
    for (size_t i = 0; i < p.notes.size(); ++i) {
      const auto& r = p.notes[i];
      const auto* n = r.role != kDrum && ref_to_event[i] >= 0 ? by_source[ref_to_event[i]] : nullptr;
      if (!n) continue;
      const auto [ours_first, ref_first] = first.at(r.segment);
      const double ref = (r.onset_q - ref_first) * nt::kDivisions;
      if (ref > 4 * nt::kDivisions) ratios.push_back((n->onset - ours_first) / ref);
    }
    std::sort(ratios.begin(), ratios.end());
    std::printf("  scale %.3f  bpm %.1f  tatum %d  ", ratios.empty() ? 0.0 : ratios[ratios.size() / 2], grid.bpm_at(0),
                grid.tatum_divisions);
    const long n = std::max(1L, t.notes - before.notes);
    const double f1 = melody > 0 && !rh.empty() ? 2.0 * matched / (melody + rh.size()) : 0.0;
    std::printf("%-22s %-6s key %3d/%3d  meter %d/%d vs %d/%d  pickup %3lld  bar %5.1f%%  onset %5.1f%%  dur %5.1f%%  staff %5.1f%%  rhF1 %.2f\n",
                p.name.c_str(), cond, score.key_at(0).fifths, p.fifths, score.time.beats,
                score.time.beat_type, p.time.beats, p.time.beat_type, static_cast<long long>(score.pickup),
                t.bar_known > before.bar_known ? 100.0 * (t.bar_ok - before.bar_ok) / (t.bar_known - before.bar_known) : 0.0,
                100.0 * (t.onset_ok - before.onset_ok) / n, 100.0 * (t.dur_ok - before.dur_ok) / n,
                t.staff_known > before.staff_known ? 100.0 * (t.staff_ok - before.staff_ok) / (t.staff_known - before.staff_known) : 0.0, f1);
  }
}

void evaluate(const Piece& p, const Feel& feel, uint32_t seed, double bpm, Tally& t) {
  std::mt19937 rng(seed);
  const auto played = perform(p, feel, rng, bpm);
  if (verbose) std::printf("played at %5.1f bpm", bpm);
  if (p.full_mix) {
    // Through a MIDI file, as a user would hand it over: the reader leaves channel 10 out.
    const auto bytes = performance_midi(played, true);
    const auto midi = nt::parse_midi(std::vector<uint8_t>(bytes.begin(), bytes.end()));
    const auto events = midi.events();
    score_piece(p, played, events, match_events(p, played, events, 0.002), feel.name, t);
    return;
  }
  std::vector<int> ref_to_event(p.notes.size());
  for (size_t i = 0; i < ref_to_event.size(); ++i) ref_to_event[i] = static_cast<int>(i);
  score_piece(p, played, played.events, ref_to_event, feel.name, t);
}

std::string audio_dir;
std::string cadenza_binary;

// Performance -> FluidSynth (or the piece's own recording) -> cadenza transcribe -> notation; false when a
// tool failed.
bool evaluate_audio(const Piece& p, const Feel& feel, uint32_t seed, double bpm, Tally& t) {
  std::mt19937 rng(seed);
  const auto played = perform(p, feel, rng, bpm);
  const fs::path dir = fs::path(audio_dir) / p.name;
  fs::create_directories(dir);
  std::string wav = p.wav;
  if (wav.empty()) {
    {
      std::ofstream mid(dir / "performance.mid", std::ios::binary);
      mid << performance_midi(played, p.full_mix);
    }
    wav = (dir / "performance.wav").string();
    const std::string render = "fluidsynth -ni -q -F '" + wav + "' -r 22050 " +
                               "/usr/share/sounds/sf2/FluidR3_GM.sf2 '" + (dir / "performance.mid").string() + "' >/dev/null 2>&1";
    if (std::system(render.c_str()) != 0) return false;
  }
  const std::string transcribe = "'" + cadenza_binary + "' transcribe -q --format json -o '" + dir.string() + "' '" +
                                 wav + "' >/dev/null 2>&1";
  if (std::system(transcribe.c_str()) != 0) return false;
  std::ifstream in(dir / "notes.json");
  const auto doc = nlohmann::json::parse(in);
  std::vector<cadenza::NoteEvent> events;
  for (const auto& n : doc.at("notes"))
    events.push_back({n.at("pitch").get<int>(), n.at("start").get<double>(), n.at("end").get<double>(),
                      n.at("velocity").get<double>()});
  if (events.empty()) return false;
  score_piece(p, played, events, match_events(p, played, events, 0.07), "audio", t);
  return true;
}

std::string pct(long ok, long n) {
  if (n == 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", 100.0 * ok / n);
  return buf;
}

void row(const std::string& set, const char* cond, const Tally& t) {
  char f1[32] = "n/a";
  if (t.mel_ref > 0) std::snprintf(f1, sizeof f1, "%.3f", t.mel_ref + t.mel_rh > 0 ? 2.0 * t.mel_match / (t.mel_ref + t.mel_rh) : 0.0);
  std::printf("| %-10s | %-6s | %6d | %8s | %8s | %12s | %8s | %8s | %9s | %8s | %6s | %8.1f |\n", set.c_str(), cond, t.pieces,
              pct(t.key_ok, t.key_known).c_str(), pct(t.meter_ok, t.meter_known).c_str(),
              pct(t.bar_ok, t.bar_known).c_str(), pct(t.onset_ok, t.notes).c_str(), pct(t.dur_ok, t.notes).c_str(),
              pct(t.both_ok, t.notes).c_str(), pct(t.staff_ok, t.staff_known).c_str(), f1, 1000.0 * t.seconds / std::max(1, t.pieces));
  std::fflush(stdout);
}

struct Set {
  std::string name;
  std::vector<Piece> pieces;
  double bpm_lo, bpm_hi;
  std::vector<const Feel*> feels;  // symbolic conditions
  const Feel* audio_feel;
};

}  // namespace

int main(int argc, char** argv) {
  int limit = 0, audio_pieces = 0;
  std::string shared = "../shared", only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--limit") && i + 1 < argc) limit = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--shared") && i + 1 < argc) shared = argv[++i];
    else if (!std::strcmp(argv[i], "--verbose")) verbose = true;
    else if (!std::strcmp(argv[i], "--sets") && i + 1 < argc) only = std::string(",") + argv[++i] + ",";
    else if (!std::strcmp(argv[i], "--audio") && i + 1 < argc) audio_pieces = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--cadenza") && i + 1 < argc) cadenza_binary = argv[++i];
    else {
      std::fprintf(stderr, "usage: notation_accuracy [--limit N] [--shared DIR] [--verbose] [--sets a,b] [--audio N --cadenza PATH]\n");
      return 2;
    }
  }
  const auto folk = nottingham(fs::path(shared) / "datasets/nottingham/MIDI", limit);
  // The derived sets draw on every tune (spread over the collections), limited by count.
  const auto all_folk = limit > 0 ? nottingham(fs::path(shared) / "datasets/nottingham/MIDI", 0) : folk;
  std::vector<Piece> spread;
  for (size_t i = 0; i < all_folk.size(); i += 7) spread.push_back(all_folk[i]);
  const int derived = limit > 0 ? std::min(limit, 100) : 100;
  auto waltz = waltzes(all_folk);
  if (limit > 0 && static_cast<int>(waltz.size()) > limit) waltz.resize(limit);
  std::vector<Set> sets = {
      {"nottingham", folk, 100, 140, {&kClean, &kPlayed}, &kClean},
      {"chorales", chorales(fs::path(shared) / "datasets/jsb-chorales/Jsb16thSeparated.json", limit), 72, 96, {&kClean, &kPlayed}, &kClean},
      {"waltz", waltz, 130, 180, {&kHuman}, &kHuman},
      {"bossa", bossas(spread, derived), 110, 140, {&kHuman}, &kHuman},
      {"guitarset", guitarset(fs::path(shared) / "datasets/guitarset-excerpt"), 129, 129, {&kClean}, &kClean},
      {"pause", pauses(spread, derived), 100, 140, {&kPlayed}, &kPlayed},
      {"splice", splices(spread, derived), 100, 140, {&kPlayed}, &kPlayed},
      {"fullmix", full_mixes(spread, derived), 100, 140, {&kPlayed}, &kClean},
  };
  for (auto& s : sets) std::erase_if(s.pieces, [](const Piece& p) { return p.notes.size() < 8; });
  std::erase_if(sets, [&](const Set& s) { return !only.empty() && only.find("," + s.name + ",") == std::string::npos; });
  std::printf("| set        | timing | pieces |      key |    meter | bar position |    onset | duration | onset+dur |    staff |  RH F1 | ms/piece |\n");
  std::printf("|------------|--------|--------|----------|----------|--------------|----------|----------|-----------|----------|--------|----------|\n");
  for (const auto& set : sets) {
    for (const Feel* feel : set.feels) {
      Tally tally;
      // The old sets keep their seeds (1 clean, 1000 played, one sequence over both sets).
      uint32_t seed = (feel == &kPlayed ? 1000 : 1) + (set.name == "chorales" ? static_cast<uint32_t>(folk.size()) : 0);
      for (const auto& p : set.pieces) {
        std::mt19937 r(seed);
        const double bpm = set.bpm_lo + (set.bpm_hi - set.bpm_lo) * std::uniform_real_distribution<double>(0, 1)(r);
        evaluate(p, *feel, seed++, bpm, tally);
      }
      row(set.name, feel->name, tally);
    }
  }
  if (audio_pieces > 0) {
    if (cadenza_binary.empty()) {
      std::fprintf(stderr, "--audio needs --cadenza PATH (the cadenza binary with the transcriber)\n");
      return 2;
    }
    char tmpl[] = "/tmp/cadenza-notation-bench-XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    audio_dir = tmpl;
    for (const auto& set : sets) {
      Tally tally;
      int failed = 0;
      const size_t step = std::max<size_t>(1, set.pieces.size() / audio_pieces);
      uint32_t seed = 1;
      for (size_t i = 0; i < set.pieces.size() && tally.pieces + failed < audio_pieces; i += step) {
        std::mt19937 r(seed);
        const double bpm = set.bpm_lo + (set.bpm_hi - set.bpm_lo) * std::uniform_real_distribution<double>(0, 1)(r);
        // The old sets: the clean performance with seed 1, as before.
        const uint32_t perf_seed = set.audio_feel == &kClean ? 1 : seed;
        ++seed;
        if (!evaluate_audio(set.pieces[i], *set.audio_feel, perf_seed, bpm, tally)) {
          ++failed;
          std::fprintf(stderr, "audio path: %s failed (fluidsynth or cadenza transcribe)\n", set.pieces[i].name.c_str());
        }
      }
      row(set.name, "audio", tally);
    }
    std::error_code ec;
    fs::remove_all(audio_dir, ec);
  }
  return 0;
}
