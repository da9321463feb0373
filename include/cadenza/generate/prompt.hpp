#pragma once
// Prompt -> controls: what a text prompt ("calm piano in D minor, 70 bpm") asks of the generator,
// as the structured Controls that condition it, and which words set which control.
//
// The parser is a lexicon, not a model: the prompt is lower-cased and split into words, and at each
// word the longest phrase of a table (keys, tempo numbers and words, meters, styles, the 128 General
// MIDI names and common instrument words, lengths, mood words) applies its settings. A control set by
// a more explicit phrase wins over one implied by a genre or mood, whatever their order:
//   explicit  "70 bpm", "at 120", "in 3/4", "D minor", "32 bars"         (priority 3)
//   word      "slow", "allegro", "waltz time", "short"                   (priority 2)
//   implied   "reel" -> 4/4 and 120 bpm, "sad" -> minor, "chorale" -> 80 (priority 1)
// Mood words average: "calm sad" sets energy and valence to the mean of both words' values.
// Instruments accumulate in the order named. Everything not named keeps the defaults below.
//
// Mood words (energy, valence; * also implies the mode when no key names one):
//   calm .20 .60   peaceful .15 .70   gentle .25 .65   relaxed .20 .60   serene .15 .70   soft .25 .55
//   dreamy .30 .60   tender .25 .65   sad .25 .15*m   melancholy .30 .20*m   mournful .20 .10*m
//   sorrowful .20 .10*m   gloomy .30 .15*m   dark .50 .20*m   mysterious .40 .35*m   solemn .30 .35
//   nostalgic .35 .45   wistful .30 .35   romantic .40 .70   happy .60 .85*M   joyful .70 .90*M
//   cheerful .65 .85*M   bright .60 .80*M   sunny .60 .85*M   playful .65 .80   upbeat .75 .75
//   lively .75 .75 (+132 bpm)   energetic .90 .60   exciting .85 .65   driving .85 .50   intense .90 .35
//   angry .90 .15*m   tense .70 .25   epic .90 .60   triumphant .85 .85*M   heroic .85 .75
//   (m = minor, M = major)
// Genre words with a mood: lullaby / cradle song .15 .65 (6/8, 66 bpm implied); lament / elegy / dirge
// .20 .10 (minor, 60 bpm implied); ballad .35 .50 (76 bpm implied); anthem .80 .75 (chorale, 90 bpm).
// Density words: sparse / simple / minimal / bare -> 0.25; busy / dense / ornate / intricate /
// complex / rich -> 0.8.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cadenza::generate {

enum class Style { Folk, Chorale };
const char* to_string(Style style);                       // "folk", "chorale"
std::optional<Style> parse_style(std::string_view name);  // "folk", "chorale"

enum class Mode { Major, Minor };
const char* to_string(Mode mode);  // "major", "minor"

struct Meter {
  int numerator = 4;
  int denominator = 4;
  bool operator==(const Meter&) const = default;
};
std::string to_string(const Meter& meter);  // "6/8"
// The meters the generator knows (the tokens' meter field indexes this list): 4/4 3/4 2/4 6/8 9/8
// 12/8 2/2 3/2 6/4 3/8 5/4 7/8.
const std::vector<Meter>& supported_meters();
int meter_index(const Meter& meter);  // index in supported_meters(), -1 when not there
// "3/4" -> {3, 4}: one to three digits each side; nullopt otherwise (any meter, supported or not).
std::optional<Meter> parse_meter(std::string_view text);

// "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"
const char* pitch_class_name(int pc);
// "c", "C#", "db", "Bb", "f sharp" ... -> 0..11, nullopt when not a note name.
std::optional<int> parse_pitch_class(std::string_view name);

struct Length {
  enum class Unit { Bars, Seconds };
  Unit unit = Unit::Bars;
  double value = 32;
  bool operator==(const Length&) const = default;
};

// General MIDI program names, 0..127 ("Acoustic Grand Piano" ... "Gunshot").
const char* gm_program_name(int program);
// A GM name or a common word ("piano", "fiddle" -> Violin 40, "strings" -> String Ensemble 1 48,
// "choir" -> Choir Aahs 52, "organ" -> Church Organ 19, "whistle" -> Whistle 78) -> 0..127.
std::optional<int> parse_instrument(std::string_view name);

struct Controls {
  Style style = Style::Folk;
  int key_tonic = 0;  // pitch class 0..11 (C = 0)
  Mode mode = Mode::Major;
  Meter meter;
  double tempo_bpm = 100;  // quarter notes per minute, as MIDI files count them
  Length length;           // 32 bars
  double density = 0.5;    // 0 sparse .. 1 busy (notes per beat)
  double energy = 0.5;     // 0 calm .. 1 energetic
  double valence = 0.5;    // 0 sad .. 1 happy
  std::vector<int> instruments{0};  // General MIDI programs, first = melody (default: piano)
  bool operator==(const Controls&) const = default;
};

struct Understood {
  std::string control;  // "key", "mode", "tempo_bpm", "meter", "style", "instruments", "length", "density", "energy", "valence"
  std::string from;     // the words that set it, as written in the prompt: "70 bpm"
  bool operator==(const Understood&) const = default;
};

struct ParsedPrompt {
  Controls controls;
  std::vector<Understood> understood;  // in prompt order
  std::vector<std::string> ignored;    // words that set nothing (articles and fillers left out)
  bool nothing_usable = true;          // no word set anything: controls are all defaults
};

ParsedPrompt parse_prompt(std::string_view prompt);

// JSON form of Controls, the same names the API takes:
// {"style":"folk","key":"D","mode":"minor","meter":"3/4","tempo_bpm":70,"bars":32 | "seconds":90,
//  "density":0.5,"energy":0.2,"valence":0.3,"instruments":[0,40]}
nlohmann::json to_json(const Controls& controls);
// Fields present in `j` override `base` ("key" also takes 0..11 or "D minor"; "instruments" also
// takes names). Throws Error(BadRequest) naming every bad or unknown field.
Controls controls_from_json(const nlohmann::json& j, const Controls& base = {});
// Throws Error(BadRequest) naming every field out of range.
void validate(const Controls& controls);

nlohmann::json to_json(const ParsedPrompt& parsed);  // {"controls":…, "understood":[{control, from}], "nothing_usable":…}

}  // namespace cadenza::generate
