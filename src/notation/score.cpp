#include "cadenza/notation/score.hpp"

#include "cadenza/core/error.hpp"

namespace cadenza::notation {

Arrangement parse_arrangement(const std::string& name) {
  if (name == "transcription") return Arrangement::Transcription;
  if (name == "piano") return Arrangement::Piano;
  if (name == "easy") return Arrangement::Easy;
  throw Error{ErrorKind::BadRequest, "unknown arrangement '" + name + "'",
              {{"arrangement_type", "must be one of transcription, piano, easy"}}};
}

const char* to_string(Arrangement arrangement) {
  switch (arrangement) {
    case Arrangement::Piano: return "piano";
    case Arrangement::Easy: return "easy";
    case Arrangement::Transcription: break;
  }
  return "transcription";
}

std::string key_name(const KeySignature& key) {
  static const char* kMajor[] = {"Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#"};
  static const char* kMinor[] = {"Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#"};
  const int i = key.fifths + 7;
  if (i < 0 || i > 14) return "?";
  return std::string(key.minor ? kMinor[i] : kMajor[i]) + (key.minor ? " minor" : " major");
}

KeySignature Score::key_at(int measure) const {
  KeySignature key;
  for (const auto& k : keys)
    if (k.measure <= measure) key = k.key;
  return key;
}

int64_t Score::length() const {
  if (measures.empty()) return 0;
  return measures.back().start + measures.back().length;
}

}  // namespace cadenza::notation
