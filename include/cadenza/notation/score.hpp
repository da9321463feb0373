#pragma once
// Score: the engraved result. Positions and durations are in divisions (kDivisions per quarter
// note) from the start of the first (possibly partial) measure.
#include <cstdint>
#include <string>
#include <vector>

namespace cadenza::notation {

inline constexpr int kDivisions = 24;  // per quarter: 16th = 6, 32nd = 3, triplet 8th = 8

enum class Arrangement { Transcription, Piano, Easy };
Arrangement parse_arrangement(const std::string& name);  // throws Error(BadRequest)
const char* to_string(Arrangement arrangement);

struct KeySignature {
  int fifths = 0;      // -7..7
  bool minor = false;
  bool operator==(const KeySignature&) const = default;
};
std::string key_name(const KeySignature& key);  // "D major", "F# minor"

struct TimeSignature {
  int beats = 4;
  int beat_type = 4;
  bool compound() const { return beat_type == 8 && beats % 3 == 0 && beats > 3; }
  int bar_length() const { return beats * kDivisions * 4 / beat_type; }
  // Length of one counted beat (dotted quarter in 6/8, quarter in 4/4).
  int beat_length() const { return compound() ? 3 * kDivisions / 2 : kDivisions * 4 / beat_type; }
  bool operator==(const TimeSignature&) const = default;
};

struct Spelling {
  char step = 'C';  // C D E F G A B
  int alter = 0;    // -2..2
  int octave = 4;   // scientific: middle C = C4
};

struct ScoreNote {
  int pitch = 60;
  Spelling spelling;
  int64_t onset = 0;     // divisions from score start
  int64_t duration = 0;  // divisions, > 0
  int staff = 1;         // 1 = right hand (treble), 2 = left hand (bass)
  int voice = 1;         // 1 or 2 within the staff
  int velocity = 80;
  int source = -1;       // index of the input NoteEvent, -1 when synthesised
};

struct TempoMark {
  int64_t at = 0;      // divisions
  double bpm = 120.0;  // quarter notes per minute
  double seconds = 0;  // performance time of this position
};

struct KeyChange {
  int measure = 0;  // index into Score::measures
  KeySignature key;
};

// One note or rest as written: a chord when pitches has more than one entry.
struct Element {
  bool rest = false;
  std::vector<int> notes;        // indices into Score::notes (ordered low to high)
  int64_t start = 0;             // divisions from the measure start
  int64_t duration = 0;          // divisions as sounding
  std::string type = "quarter";  // MusicXML note type
  int dots = 0;
  bool triplet = false;          // time-modification 3:2
  bool tie_start = false;        // tied to the next element of the same voice
  bool tie_stop = false;         // tied from the previous element
  std::string beam;              // "", "begin", "continue", "end"
};

struct VoiceLine {
  int staff = 1;
  int voice = 1;
  std::vector<Element> elements;
};

struct Measure {
  int number = 1;        // printed number (0 for a pickup)
  int64_t start = 0;     // divisions
  int64_t length = 0;    // divisions actually filled (shorter for a pickup)
  bool pickup = false;
  std::vector<VoiceLine> voices;  // staff 1 voices first; each staff has at least voice 1
};

struct Score {
  std::string title;
  std::string composer;
  std::string arranger;
  Arrangement arrangement = Arrangement::Transcription;
  TimeSignature time;
  std::vector<KeyChange> keys;     // first at measure 0
  std::vector<TempoMark> tempos;   // first at 0
  int64_t pickup = 0;              // length of the anacrusis in divisions, 0 when none
  std::vector<ScoreNote> notes;    // sorted by onset, pitch
  std::vector<Measure> measures;

  KeySignature key_at(int measure) const;
  int64_t length() const;          // end of the last measure
};

}  // namespace cadenza::notation
