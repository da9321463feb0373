#pragma once
// The symbolic corpus the generator learns from: Nottingham folk tunes (MIDI, melody + chords) and the
// JSB chorales (16th-note steps) as one list of pieces on one time grid, with a fixed split.
//
// Time: 12 ticks per quarter note (16th = 3, triplet 8th = 4, 8th = 6). Bar lines fall at multiples of
// the bar length from tick 0 (a pickup is the end of a bar 0 that starts with silence).
// - Nottingham (`<dir>/*.mid`, 1,024 ticks per quarter): ticks scaled and rounded (triplets and grace
//   notes off the 1/12 grid move by under a tick); meter, key and tempo from the file (the files have no
//   tempo events: the MIDI default, 120 bpm); tunes whose meter changes, or whose meter the tokens don't
//   know, are skipped (14 of 1,034). The file's first key signature; key_estimated when it has none.
//   Split by a stable hash (FNV-1a 64 of the file name) mod 100: < 90 train, < 95 valid, else test.
// - JSB (`{"train","valid","test"}`, each piece a list of 16th steps, each step the sounding pitches):
//   a pitch sounding in consecutive steps is one note (the data cannot tell held from repeated notes);
//   4/4, 80 bpm, velocity 80 (none of them in the data); the key is estimated (notation::estimate_key);
//   the data has no bar lines, so each piece is shifted so that its end falls on a bar line (a chorale
//   of 4k+1 beats starts with a one-beat pickup). Split: the data set's own.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cadenza/core/note_event.hpp"
#include "cadenza/generate/prompt.hpp"

namespace cadenza::notation {
struct MidiFile;
}

namespace cadenza::generate {

inline constexpr int kTicksPerQuarter = 12;
inline constexpr int kLowestPitch = 21;    // A0: the piano's range, which the tokens' pitch field covers
inline constexpr int kHighestPitch = 108;  // C8

enum class Split { Train, Valid, Test };
const char* to_string(Split split);  // "train", "valid", "test"

struct Note {
  int64_t onset = 0;     // ticks from the start of bar 0
  int64_t duration = 1;  // ticks, >= 1
  int pitch = 60;
  int velocity = 80;  // 1..127
  bool operator==(const Note&) const = default;
};

struct Piece {
  std::string id;  // "nottingham/jigs1", "jsb/train/12"; "+3" appended for a transposition
  Style style = Style::Folk;
  Split split = Split::Train;
  Meter meter;
  int key_tonic = 0;  // pitch class
  Mode mode = Mode::Major;
  bool key_estimated = false;
  double tempo_bpm = 120;   // quarter notes per minute
  int transposition = 0;    // semitones from the original
  std::vector<Note> notes;  // sorted by onset, then pitch; one note per (onset, pitch)

  int64_t bar_ticks() const { return int64_t(meter.numerator) * 4 * kTicksPerQuarter / meter.denominator; }
  int64_t end_tick() const;  // the latest note end, 0 when empty
};

// Split of a Nottingham file by name ("jigs1.mid"): the stable hash described above.
Split split_for_name(std::string_view file_name);

// One MIDI file as a piece (drums left out). Throws Error(Unprocessable) when the meter changes or is
// not in supported_meters(), or when the file has no notes.
Piece piece_from_midi(const notation::MidiFile& midi, std::string id);
// One JSB piece: steps of `ticks_per_step` ticks, each the sounding pitches (the rules above).
Piece piece_from_steps(const std::vector<std::vector<int>>& steps, int ticks_per_step, std::string id, Split split);

struct LoadStats {
  int files = 0;
  std::vector<std::string> skipped;  // "jigs3.mid: meter changes"
};

// Every *.mid in `dir`, by file name. Throws Error(NotFound) when `dir` is not a directory.
std::vector<Piece> load_nottingham(const std::string& dir, LoadStats* stats = nullptr);
// Throws Error(NotFound) when the file is missing, Error(BadRequest) when it is not the JSB layout.
std::vector<Piece> load_jsb(const std::string& path);

struct CorpusOptions {
  std::string nottingham_dir = "../shared/datasets/nottingham/MIDI";
  std::string jsb_json = "../shared/datasets/jsb-chorales/jsb-chorales-16th.json";
};
// Both data sets, Nottingham first.
std::vector<Piece> load_corpus(const CorpusOptions& options = {}, LoadStats* stats = nullptr);

// The piece moved by `semitones` (tonic too), or nullopt when a pitch would leave [low, high].
std::optional<Piece> transposed(const Piece& piece, int semitones, int low = kLowestPitch, int high = kHighestPitch);
// Each piece followed by its transpositions by -max_shift..max_shift (0 left out) that stay in range.
std::vector<Piece> augmented(const std::vector<Piece>& pieces, int max_shift = 5);

std::vector<Piece> of_split(const std::vector<Piece>& pieces, Split split);

// The notes as played at the piece's tempo (seconds; velocity v as v / 127), for notation::to_midi
// and synthesis.
std::vector<NoteEvent> to_events(const Piece& piece);

struct SplitCounts {
  int pieces[3] = {0, 0, 0};  // by Split
  int64_t notes[3] = {0, 0, 0};
};
SplitCounts count(const std::vector<Piece>& pieces);

}  // namespace cadenza::generate
