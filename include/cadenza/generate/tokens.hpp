#pragma once
// Compound tokens: one token per note (bar delta, position, pitch, duration class, velocity class), after
// one controls token (style, key, mode, meter, tempo class, density class, energy class) and before one
// end-of-piece token. Each token holds every field; a field a token's type does not use is 0. A model
// embeds each field apart and sums them (the compound-word transformer's layout, Hsiao et al. 2021).
//
// Vocabulary (values per field; also vocabulary()):
//   type      3   0 controls, 1 note, 2 end
//   bar       8   bars since the previous note's bar, 0..7 (the first note counts from bar 0); longer
//                 silences do not encode (Error Unprocessable) - none in the corpus
//   position 72   ticks (12 per quarter) from the bar line, < the bar's length: 48 in 4/4, 36 in 3/4 and
//                 6/8, 72 in 12/8 (the longest of supported_meters())
//   pitch    88   pitch - 21 (A0..C8)
//   duration 40   the nearest of kDurationTicks (ratio distance; exact for every duration in it, and
//                 longer notes clamp to 384 ticks, eight whole notes)
//   velocity  8   (velocity - 1) / 16; decodes to 16 * class + 8
//   style     2   Style;   tonic 12 (pitch class);   mode 2 (Mode);   meter 12 (supported_meters())
//   tempo     8   quarter-note bpm below 60, 72, 86, 100, 116, 134, 156, and above; decodes to the
//                 class's tempo_of()
//   density   8   floor(8 * density), density in 0..1 (a piece's: piece_density())
//   energy    8   floor(8 * energy), energy in 0..1 (a piece's: piece_energy())
//                 A piece's density and energy are its place among the train split's pieces (fixed octile
//                 edges), so class k holds about an eighth of them and a prompt's "calm" (energy 0.2)
//                 asks for what the calmest fifth of the corpus does.
// So a decoded note keeps its onset and pitch exactly, its duration up to kDurationTicks and its velocity
// to the class's centre.
#include <array>
#include <cstdint>
#include <vector>

#include "cadenza/generate/corpus.hpp"
#include "cadenza/generate/prompt.hpp"

namespace cadenza::generate {

enum class TokenType { Controls = 0, Note = 1, End = 2 };

enum Field { kType, kBar, kPosition, kPitch, kDuration, kVelocity, kStyle, kTonic, kMode, kMeter, kTempo,
             kDensity, kEnergy, kFieldCount };

struct FieldInfo {
  const char* name;
  int size;  // values 0..size-1
};
const std::array<FieldInfo, kFieldCount>& vocabulary();

inline constexpr int kMaxBarDelta = 7;
inline constexpr int kMaxPositions = 72;
inline constexpr std::array<int, 40> kDurationTicks{1,  2,  3,  4,  5,  6,  8,  9,  10, 12,  14,  15,  16,  18,
                                                    20, 21, 24, 27, 30, 33, 36, 42, 45, 48,  54,  60,  66,  72,
                                                    84, 96, 108, 120, 144, 168, 192, 216, 240, 288, 336, 384};

struct Token {
  std::array<int, kFieldCount> f{};  // indexed by Field
  TokenType type() const { return TokenType(f[kType]); }
  int operator[](Field field) const { return f[field]; }
  int& operator[](Field field) { return f[field]; }
  bool operator==(const Token&) const = default;
};

int duration_class(int64_t ticks);
int64_t duration_ticks(int cls);
int velocity_class(int velocity);
int velocity_of(int cls);
int tempo_class(double bpm);
double tempo_of(int cls);
int unit_class(double value01);  // floor(8 * value), clamped to 0..7

// A piece's density, 0..1: where log2(notes per quarter note) falls among the train split's octiles
// (edges -0.5 0.94 1.18 1.34 1.47 1.57 1.67 1.79 3.0, linear between them, clamped).
double piece_density(const Piece& piece);
// A piece's energy, 0..1: log2(distinct onsets per second) + (mean velocity - 80) / 40 among the train
// split's octiles (edges -1.25 0.87 1.09 1.36 1.68 1.84 1.96 2.08 3.0). Chorales at 80 bpm fill the
// lower classes, reels the upper.
double piece_energy(const Piece& piece);

Token controls_token(const Controls& controls);  // Error(BadRequest) for a meter not in supported_meters()
Token controls_token(const Piece& piece);
Token note_token(int bar_delta, int position, int pitch, int64_t duration, int velocity);  // values, not classes
Token end_token();

// Controls token, the notes by onset then pitch, end token. Throws Error(Unprocessable) when a field
// overflows its vocabulary (a silence over kMaxBarDelta bars, a pitch outside 21..108, a meter not supported).
std::vector<Token> encode(const Piece& piece);

struct Decoded {
  Style style = Style::Folk;
  int key_tonic = 0;
  Mode mode = Mode::Major;
  Meter meter;
  double tempo_bpm = 120;
  std::vector<Note> notes;
};
// Reads up to the end token (or the last token). Throws Error(BadRequest) when the first token is not a
// controls token, a field is out of its vocabulary, or a position lies outside its bar.
Decoded decode(const std::vector<Token>& tokens);

}  // namespace cadenza::generate
