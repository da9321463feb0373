#pragma once
// MusicXML 4.0 partwise writer: one piano part on two staves (treble and bass clef), key, time,
// tempo, two voices per staff where needed, chords, ties, rests, triplets, beams and
// accidentals (with cautionary accidentals within and after a bar).
#include <string>

#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

std::string to_musicxml(const Score& score);

// Escapes &, <, >, " and ' for XML text and attributes.
std::string xml_escape(const std::string& text);

}  // namespace cadenza::notation
