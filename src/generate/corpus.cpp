// The symbolic corpus: Nottingham MIDI files and JSB chorale steps as Pieces (rules in corpus.hpp).
#include "cadenza/generate/corpus.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "cadenza/core/error.hpp"
#include "cadenza/notation/key_finder.hpp"
#include "cadenza/notation/midi_file.hpp"

namespace cadenza::generate {

namespace fs = std::filesystem;

const char* to_string(Split split) {
  switch (split) {
    case Split::Train: return "train";
    case Split::Valid: return "valid";
    case Split::Test: return "test";
  }
  return "train";
}

int64_t Piece::end_tick() const {
  int64_t end = 0;
  for (const auto& n : notes) end = std::max(end, n.onset + n.duration);
  return end;
}

Split split_for_name(std::string_view file_name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char c : file_name) {
    h ^= c;
    h *= 1099511628211ull;
  }
  const auto bucket = h % 100;
  return bucket < 90 ? Split::Train : bucket < 95 ? Split::Valid : Split::Test;
}

namespace {

// Sorts by onset, pitch and keeps one note per (onset, pitch): the longest.
void normalise(std::vector<Note>& notes) {
  std::sort(notes.begin(), notes.end(), [](const Note& a, const Note& b) {
    if (a.onset != b.onset) return a.onset < b.onset;
    if (a.pitch != b.pitch) return a.pitch < b.pitch;
    return a.duration > b.duration;
  });
  notes.erase(std::unique(notes.begin(), notes.end(),
                          [](const Note& a, const Note& b) { return a.onset == b.onset && a.pitch == b.pitch; }),
              notes.end());
}

void set_estimated_key(Piece& p) {
  std::vector<notation::QuantizedNote> q;
  q.reserve(p.notes.size());
  constexpr int scale = notation::kDivisions / kTicksPerQuarter;
  for (const auto& n : p.notes) q.push_back({n.pitch, n.onset * scale, n.duration * scale, n.velocity, -1});
  const auto key = notation::estimate_key(q);
  const int major_tonic = ((key.fifths * 7) % 12 + 12) % 12;
  p.key_tonic = key.minor ? (major_tonic + 9) % 12 : major_tonic;
  p.mode = key.minor ? Mode::Minor : Mode::Major;
  p.key_estimated = true;
}

}  // namespace

Piece piece_from_midi(const notation::MidiFile& midi, std::string id) {
  Piece p;
  p.id = std::move(id);
  p.style = Style::Folk;
  if (!midi.meters.empty()) {
    p.meter = {midi.meters.front().numerator, midi.meters.front().denominator};
    for (const auto& m : midi.meters)
      if (Meter{m.numerator, m.denominator} != p.meter)
        throw Error(ErrorKind::Unprocessable, "meter changes");
  }
  if (meter_index(p.meter) < 0) throw Error(ErrorKind::Unprocessable, "meter " + to_string(p.meter) + " not supported");
  p.tempo_bpm = midi.tempos.empty() ? 120.0 : 60e6 / midi.tempos.front().us_per_quarter;
  const int ppq = midi.ppq > 0 ? midi.ppq : 480;
  auto ticks = [ppq](int64_t t) { return int64_t(std::llround(double(t) * kTicksPerQuarter / ppq)); };
  for (const auto& n : midi.notes) {
    if (n.channel == 9) continue;  // drums
    const int64_t on = ticks(n.start_tick);
    p.notes.push_back({on, std::max<int64_t>(1, ticks(n.end_tick) - on), n.pitch, std::clamp(n.velocity, 1, 127)});
  }
  if (p.notes.empty()) throw Error(ErrorKind::Unprocessable, "no notes");
  normalise(p.notes);
  if (!midi.keys.empty()) {
    const auto& k = midi.keys.front();
    const int major_tonic = ((k.fifths * 7) % 12 + 12) % 12;
    p.key_tonic = k.minor ? (major_tonic + 9) % 12 : major_tonic;
    p.mode = k.minor ? Mode::Minor : Mode::Major;
  } else {
    set_estimated_key(p);
  }
  return p;
}

Piece piece_from_steps(const std::vector<std::vector<int>>& steps, int ticks_per_step, std::string id, Split split) {
  Piece p;
  p.id = std::move(id);
  p.style = Style::Chorale;
  p.split = split;
  p.meter = {4, 4};
  p.tempo_bpm = 80;
  const int64_t bar_steps = p.bar_ticks() / ticks_per_step;
  const int64_t n = int64_t(steps.size());
  const int64_t shift = ((bar_steps - n % bar_steps) % bar_steps) * ticks_per_step;
  std::map<int, int64_t> open;  // pitch -> onset step
  auto close = [&](int pitch, int64_t start, int64_t end) {
    p.notes.push_back({shift + start * ticks_per_step, (end - start) * ticks_per_step, pitch, 80});
  };
  for (int64_t s = 0; s <= n; ++s) {
    static const std::vector<int> none;
    const auto& now = s < n ? steps[size_t(s)] : none;
    for (auto it = open.begin(); it != open.end();) {
      if (std::find(now.begin(), now.end(), it->first) == now.end()) {
        close(it->first, it->second, s);
        it = open.erase(it);
      } else {
        ++it;
      }
    }
    for (int pitch : now)
      if (pitch >= 0 && pitch <= 127) open.emplace(pitch, s);
  }
  normalise(p.notes);
  if (!p.notes.empty()) set_estimated_key(p);
  return p;
}

std::vector<Piece> load_nottingham(const std::string& dir, LoadStats* stats) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(ErrorKind::NotFound, dir + " is not a directory");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".mid") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<Piece> pieces;
  for (const auto& f : files) {
    const std::string name = f.filename().string();
    if (stats) ++stats->files;
    try {
      Piece p = piece_from_midi(notation::read_midi_file(f.string()), "nottingham/" + f.stem().string());
      p.split = split_for_name(name);
      pieces.push_back(std::move(p));
    } catch (const Error& e) {
      if (stats) stats->skipped.push_back(name + ": " + e.what());
    }
  }
  return pieces;
}

std::vector<Piece> load_jsb(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::NotFound, path + " not found");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::BadRequest, path + ": not JSON (" + e.what() + ")");
  }
  std::vector<Piece> pieces;
  for (Split split : {Split::Train, Split::Valid, Split::Test}) {
    const char* name = to_string(split);
    if (!j.contains(name) || !j[name].is_array())
      throw Error(ErrorKind::BadRequest, path + ": no \"" + std::string(name) + "\" list");
    int index = 0;
    for (const auto& piece : j[name]) {
      try {
        const auto steps = piece.get<std::vector<std::vector<int>>>();
        pieces.push_back(piece_from_steps(steps, kTicksPerQuarter / 4,
                                          "jsb/" + std::string(name) + "/" + std::to_string(index), split));
      } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::BadRequest, path + ": " + name + "[" + std::to_string(index) + "] is not a list of steps");
      }
      ++index;
    }
  }
  return pieces;
}

std::vector<Piece> load_corpus(const CorpusOptions& options, LoadStats* stats) {
  auto pieces = load_nottingham(options.nottingham_dir, stats);
  auto jsb = load_jsb(options.jsb_json);
  pieces.insert(pieces.end(), std::make_move_iterator(jsb.begin()), std::make_move_iterator(jsb.end()));
  return pieces;
}

std::optional<Piece> transposed(const Piece& piece, int semitones, int low, int high) {
  Piece p = piece;
  for (auto& n : p.notes) {
    n.pitch += semitones;
    if (n.pitch < low || n.pitch > high) return std::nullopt;
  }
  p.key_tonic = ((p.key_tonic + semitones) % 12 + 12) % 12;
  p.transposition += semitones;
  if (semitones) p.id += (semitones > 0 ? "+" : "") + std::to_string(semitones);
  return p;
}

std::vector<Piece> augmented(const std::vector<Piece>& pieces, int max_shift) {
  std::vector<Piece> out;
  out.reserve(pieces.size() * size_t(2 * max_shift + 1));
  for (const auto& p : pieces) {
    out.push_back(p);
    for (int s = -max_shift; s <= max_shift; ++s)
      if (s != 0)
        if (auto t = transposed(p, s)) out.push_back(std::move(*t));
  }
  return out;
}

std::vector<Piece> of_split(const std::vector<Piece>& pieces, Split split) {
  std::vector<Piece> out;
  for (const auto& p : pieces)
    if (p.split == split) out.push_back(p);
  return out;
}

std::vector<NoteEvent> to_events(const Piece& piece) {
  const double seconds_per_tick = 60.0 / std::max(1.0, piece.tempo_bpm) / kTicksPerQuarter;
  std::vector<NoteEvent> out;
  out.reserve(piece.notes.size());
  for (const auto& n : piece.notes)
    out.push_back({n.pitch, double(n.onset) * seconds_per_tick, double(n.onset + n.duration) * seconds_per_tick,
                   n.velocity / 127.0, {}});
  return out;
}

SplitCounts count(const std::vector<Piece>& pieces) {
  SplitCounts c;
  for (const auto& p : pieces) {
    ++c.pieces[int(p.split)];
    c.notes[int(p.split)] += int64_t(p.notes.size());
  }
  return c;
}

}  // namespace cadenza::generate
