// Controls: names, General MIDI programs, JSON and validation (the parser is prompt.cpp).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/prompt.hpp"
#include "prompt_words.hpp"

namespace cadenza::generate {

using nlohmann::json;

const char* to_string(Style style) { return style == Style::Chorale ? "chorale" : "folk"; }

std::optional<Style> parse_style(std::string_view name) {
  if (name == "folk") return Style::Folk;
  if (name == "chorale") return Style::Chorale;
  return std::nullopt;
}

const char* to_string(Mode mode) { return mode == Mode::Minor ? "minor" : "major"; }

std::string to_string(const Meter& meter) {
  return std::to_string(meter.numerator) + "/" + std::to_string(meter.denominator);
}

const std::vector<Meter>& supported_meters() {
  static const std::vector<Meter> meters{{4, 4}, {3, 4}, {2, 4}, {6, 8}, {9, 8}, {12, 8},
                                         {2, 2}, {3, 2}, {6, 4}, {3, 8}, {5, 4}, {7, 8}};
  return meters;
}

int meter_index(const Meter& meter) {
  const auto& all = supported_meters();
  const auto it = std::find(all.begin(), all.end(), meter);
  return it == all.end() ? -1 : int(it - all.begin());
}

std::optional<Meter> parse_meter(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view d) -> std::optional<int> {
    if (d.empty() || d.size() > 3) return std::nullopt;
    int v = 0;
    for (char c : d) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  const auto num = number(text.substr(0, slash)), den = number(text.substr(slash + 1));
  if (!num || !den) return std::nullopt;
  return Meter{*num, *den};
}

const char* pitch_class_name(int pc) {
  static const char* const names[12] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
  return names[((pc % 12) + 12) % 12];
}

std::optional<int> parse_pitch_class(std::string_view name) {
  std::string s;
  for (char c : name)
    if (c != ' ' && c != '-') s += char(std::tolower(static_cast<unsigned char>(c)));
  if (s.empty() || s[0] < 'a' || s[0] > 'g') return std::nullopt;
  static const int natural[7] = {9, 11, 0, 2, 4, 5, 7};  // a b c d e f g
  int pc = natural[s[0] - 'a'];
  const std::string rest = s.substr(1);
  if (rest.empty()) return pc;
  if (rest == "#" || rest == "sharp") return (pc + 1) % 12;
  if (rest == "b" || rest == "flat") return (pc + 11) % 12;
  return std::nullopt;
}

namespace {
const char* const kGmNames[128] = {
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ", "Accordion", "Harmonica",
    "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
    "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass", "Slap Bass 1",
    "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs",
    "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section", "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)", "Lead 5 (charang)",
    "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)", "Pad 6 (metallic)",
    "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)", "FX 5 (brightness)",
    "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring", "Helicopter", "Applause",
    "Gunshot"};
}  // namespace

const char* gm_program_name(int program) { return program >= 0 && program < 128 ? kGmNames[program] : ""; }

std::optional<int> parse_instrument(std::string_view name) {
  std::string key;
  for (const auto& w : detail::split_words(name)) key += (key.empty() ? "" : " ") + w.text;
  const auto& table = detail::instrument_words();
  auto it = table.find(key);
  if (it == table.end() && key.size() > 1 && key.back() == 's') it = table.find(key.substr(0, key.size() - 1));
  if (it == table.end() || it->second.empty()) return std::nullopt;
  return it->second.front();
}

// ---- JSON ----

namespace {
// 16, not 16.0: a whole number is written as an integer.
json number_json(double x) {
  if (std::isfinite(x) && x == std::round(x) && std::abs(x) < 1e15) return json(std::int64_t(x));
  return json(x);
}
}  // namespace

json to_json(const Controls& c) {
  json j{{"style", to_string(c.style)},
         {"key", pitch_class_name(c.key_tonic)},
         {"mode", to_string(c.mode)},
         {"meter", to_string(c.meter)},
         {"tempo_bpm", number_json(c.tempo_bpm)},
         {"density", c.density},
         {"energy", c.energy},
         {"valence", c.valence},
         {"instruments", c.instruments}};
  j[c.length.unit == Length::Unit::Seconds ? "seconds" : "bars"] = number_json(c.length.value);
  return j;
}

json to_json(const ParsedPrompt& p) {
  json u = json::array();
  for (const auto& x : p.understood) u.push_back({{"control", x.control}, {"from", x.from}});
  return {{"controls", to_json(p.controls)}, {"understood", u}, {"ignored", p.ignored},
          {"nothing_usable", p.nothing_usable}};
}

namespace {

void check(const Controls& c, Validation& v) {
  if (c.key_tonic < 0 || c.key_tonic > 11) v.fail("key", "pitch class must be 0..11");
  if (meter_index(c.meter) < 0) {
    std::string known;
    for (const auto& m : supported_meters()) known += (known.empty() ? "" : " ") + to_string(m);
    v.fail("meter", to_string(c.meter) + " is not one of " + known);
  }
  if (!(c.tempo_bpm >= 20 && c.tempo_bpm <= 300)) v.fail("tempo_bpm", "must be 20..300");
  const char* length_field = c.length.unit == Length::Unit::Seconds ? "seconds" : "bars";
  if (c.length.unit == Length::Unit::Bars && !(c.length.value >= 1 && c.length.value <= 1024))
    v.fail(length_field, "must be 1..1024");
  if (c.length.unit == Length::Unit::Seconds && !(c.length.value >= 1 && c.length.value <= 3600))
    v.fail(length_field, "must be 1..3600");
  for (auto [name, value] : {std::pair{"density", c.density}, {"energy", c.energy}, {"valence", c.valence}})
    if (!(value >= 0 && value <= 1)) v.fail(name, "must be 0..1");
  if (c.instruments.empty() || c.instruments.size() > 16) v.fail("instruments", "name 1..16 instruments");
  for (int p : c.instruments)
    if (p < 0 || p > 127) v.fail("instruments", "General MIDI programs are 0..127");
}

std::optional<double> number(const json& j) {
  if (!j.is_number()) return std::nullopt;
  return j.get<double>();
}

}  // namespace

void validate(const Controls& controls) {
  Validation v;
  check(controls, v);
  v.throw_if_failed("Invalid controls");
}

Controls controls_from_json(const json& j, const Controls& base) {
  Validation v;
  if (!j.is_object()) {
    v.fail("controls", "must be an object");
    v.throw_if_failed("Invalid controls");
  }
  Controls c = base;
  if (j.contains("bars") && j.contains("seconds")) {
    v.fail("bars", "give bars or seconds, not both");
    v.fail("seconds", "give bars or seconds, not both");
  }
  for (const auto& [name, value] : j.items()) {
    if (name == "style") {
      const auto s = value.is_string() ? parse_style(value.get<std::string>()) : std::nullopt;
      if (s) c.style = *s;
      else v.fail(name, "must be \"folk\" or \"chorale\"");
    } else if (name == "key") {
      if (value.is_number_integer()) {
        c.key_tonic = value.get<int>();
      } else if (value.is_string()) {
        // "D", "F#", "Bb", "f sharp" or "D minor"
        std::string text = value.get<std::string>();
        std::optional<Mode> mode;
        const auto space = text.rfind(' ');
        if (space != std::string::npos) {
          std::string last = text.substr(space + 1);
          std::transform(last.begin(), last.end(), last.begin(), [](unsigned char ch) { return std::tolower(ch); });
          if (last == "major" || last == "minor") {
            mode = last == "major" ? Mode::Major : Mode::Minor;
            text = text.substr(0, space);
          }
        }
        if (const auto pc = parse_pitch_class(text)) {
          c.key_tonic = *pc;
          if (mode) c.mode = *mode;
        } else {
          v.fail(name, "not a key (C, F#, Bb, D minor, ...)");
        }
      } else {
        v.fail(name, "must be a note name or a pitch class 0..11");
      }
    } else if (name == "mode") {
      if (value == "major") c.mode = Mode::Major;
      else if (value == "minor") c.mode = Mode::Minor;
      else v.fail(name, "must be \"major\" or \"minor\"");
    } else if (name == "meter") {
      const auto m = value.is_string() ? parse_meter(value.get<std::string>()) : std::nullopt;
      if (m) c.meter = *m;
      else v.fail(name, "must be \"N/M\" such as \"3/4\"");
    } else if (name == "tempo_bpm") {
      if (auto x = number(value)) c.tempo_bpm = *x;
      else v.fail(name, "must be a number");
    } else if (name == "bars" || name == "seconds") {
      if (auto x = number(value)) c.length = {name == "bars" ? Length::Unit::Bars : Length::Unit::Seconds, *x};
      else v.fail(name, "must be a number");
    } else if (name == "density" || name == "energy" || name == "valence") {
      auto x = number(value);
      if (!x) v.fail(name, "must be a number 0..1");
      else (name == "density" ? c.density : name == "energy" ? c.energy : c.valence) = *x;
    } else if (name == "instruments") {
      if (!value.is_array()) {
        v.fail(name, "must be an array of General MIDI programs or names");
        continue;
      }
      std::vector<int> programs;
      for (const auto& e : value) {
        std::optional<int> p;
        if (e.is_number_integer()) p = e.get<int>();
        else if (e.is_string()) p = parse_instrument(e.get<std::string>());
        if (!p) {
          v.fail(name, "unknown instrument " + e.dump());
          break;
        }
        programs.push_back(*p);
      }
      c.instruments = programs;
    } else {
      v.fail(name, "unknown control");
    }
  }
  check(c, v);
  v.throw_if_failed("Invalid controls");
  return c;
}

}  // namespace cadenza::generate
