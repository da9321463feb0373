// parse_prompt: the lexicon and the precedence rules described in prompt.hpp.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "cadenza/generate/prompt.hpp"
#include "prompt_words.hpp"

namespace cadenza::generate {
namespace detail {

std::vector<Word> split_words(std::string_view text) {
  std::vector<Word> words;
  enum Class { Sep, Letter, Digit };
  Word cur;
  Class cur_class = Sep;
  auto flush = [&](size_t at) {
    if (!cur.text.empty()) {
      cur.end = at;
      words.push_back(cur);
    }
    cur = Word{};
    cur_class = Sep;
  };
  auto mark_clause = [&] {
    if (!words.empty()) words.back().ends_clause = true;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = text[i];
    // U+266F sharp (E2 99 AF) and U+266D flat (E2 99 AD)
    if (c == 0xE2 && i + 2 < text.size() && (unsigned char)text[i + 1] == 0x99 &&
        ((unsigned char)text[i + 2] == 0xAF || (unsigned char)text[i + 2] == 0xAD)) {
      if (cur_class == Letter) cur.text += (unsigned char)text[i + 2] == 0xAF ? '#' : 'b';
      i += 2;
      continue;
    }
    Class k = std::isalpha(c) || (c == '#' && cur_class == Letter) ? Letter : std::isdigit(c) ? Digit : Sep;
    // "3/4" and "2.5" stay one word
    if (k == Sep && (c == '/' || c == '.') && cur_class == Digit && i + 1 < text.size() &&
        std::isdigit((unsigned char)text[i + 1])) {
      cur.text += char(c);
      continue;
    }
    if (k != cur_class) {
      const bool clause = (c == ',' || c == ';' || c == '.' || c == '!' || c == '?');
      flush(i);
      if (clause) mark_clause();
      if (k == Sep) continue;
      cur.begin = i;
      cur.upper = std::isupper(c);
      cur_class = k;
    }
    if (k == Sep) continue;
    cur.text += char(std::tolower(c));
  }
  flush(text.size());
  mark_clause();
  return words;
}

const std::map<std::string, std::vector<int>>& instrument_words() {
  static const auto table = [] {
    std::map<std::string, std::vector<int>> t;
    auto key = [](std::string_view name) {
      std::string k;
      for (const auto& w : split_words(name)) k += (k.empty() ? "" : " ") + w.text;
      return k;
    };
    for (int p = 0; p < 128; ++p) t[key(gm_program_name(p))] = {p};
    const std::pair<const char*, std::vector<int>> aliases[] = {
        {"piano", {0}}, {"grand piano", {0}}, {"acoustic piano", {0}}, {"upright piano", {0}},
        {"honky tonk", {3}}, {"electric piano", {4}}, {"rhodes", {4}}, {"celeste", {8}}, {"glock", {9}},
        {"vibes", {11}}, {"bells", {14}}, {"chimes", {14}}, {"hammered dulcimer", {15}}, {"organ", {19}},
        {"pipe organ", {19}}, {"hammond", {16}}, {"hammond organ", {16}}, {"concertina", {21}},
        {"melodeon", {21}}, {"squeezebox", {21}}, {"button accordion", {21}}, {"guitar", {24}},
        {"classical guitar", {24}}, {"nylon guitar", {24}}, {"spanish guitar", {24}}, {"acoustic guitar", {25}},
        {"folk guitar", {25}}, {"steel guitar", {25}}, {"electric guitar", {27}}, {"jazz guitar", {26}},
        {"bass", {32}}, {"upright bass", {32}}, {"double bass", {43}}, {"bass guitar", {33}},
        {"electric bass", {33}}, {"slap bass", {36}}, {"synth bass", {38}}, {"fiddle", {40}},
        {"violoncello", {42}}, {"harp", {46}}, {"celtic harp", {46}}, {"strings", {48}},
        {"string section", {48}}, {"string ensemble", {48}}, {"string orchestra", {48}}, {"orchestra", {48}},
        {"string quartet", {40, 41, 42}}, {"synth strings", {50}}, {"choir", {52}}, {"chorus", {52}},
        {"voices", {52}}, {"singers", {52}}, {"voice", {53}}, {"vocals", {53}}, {"synth choir", {54}},
        {"horn", {60}}, {"horns", {60}}, {"brass", {61}}, {"brass band", {61}}, {"synth brass", {62}},
        {"sax", {65}}, {"saxophone", {65}}, {"cor anglais", {69}}, {"tin whistle", {78}},
        {"penny whistle", {78}}, {"irish whistle", {78}}, {"pan pipes", {75}}, {"panpipes", {75}},
        {"synth", {80}}, {"synthesizer", {80}}, {"synth lead", {80}}, {"chiptune", {80}}, {"pad", {89}},
        {"synth pad", {89}}, {"bagpipes", {109}}, {"uilleann pipes", {109}}, {"highland pipes", {109}},
        {"steel drum", {114}}, {"steel pan", {114}}, {"music box", {10}}};
    for (const auto& [name, programs] : aliases) t[key(name)] = programs;
    return t;
  }();
  return table;
}

}  // namespace detail

namespace {

using detail::Word;

enum class Ctl { Style, Key, Mode, Meter, Tempo, Length, Density, Energy, Valence, Instruments };

const char* ctl_name(Ctl c) {
  switch (c) {
    case Ctl::Style: return "style";
    case Ctl::Key: return "key";
    case Ctl::Mode: return "mode";
    case Ctl::Meter: return "meter";
    case Ctl::Tempo: return "tempo_bpm";
    case Ctl::Length: return "length";
    case Ctl::Density: return "density";
    case Ctl::Energy: return "energy";
    case Ctl::Valence: return "valence";
    case Ctl::Instruments: return "instruments";
  }
  return "";
}

constexpr int kImplied = 1, kWord = 2, kExplicit = 3;

struct Effect {
  Ctl ctl;
  int priority;
  double a = 0, b = 0;  // Style: style; Key: tonic; Mode: mode; Meter: num/den; Tempo: bpm;
                        // Length: value/unit; Density, Energy, Valence: value; Instruments: program
};

using Lexicon = std::map<std::string, std::vector<Effect>>;

std::string join(const std::vector<Word>& w, size_t i, size_t n) {
  std::string s;
  for (size_t k = i; k < i + n; ++k) s += (k > i ? " " : "") + w[k].text;
  return s;
}

const Lexicon& lexicon() {
  static const Lexicon lex = [] {
    Lexicon l;
    auto add = [&](const std::vector<const char*>& phrases, std::vector<Effect> effects) {
      for (const char* p : phrases) {
        std::string k;
        for (const auto& w : detail::split_words(p)) k += (k.empty() ? "" : " ") + w.text;
        auto& e = l[k];
        e.insert(e.end(), effects.begin(), effects.end());
      }
    };
    const double folk = double(Style::Folk), chorale = double(Style::Chorale);
    const double major = double(Mode::Major), minor = double(Mode::Minor);
    // styles and genres
    add({"folk", "folk tune", "folk song", "folk music", "traditional", "trad", "celtic", "irish", "scottish",
         "ceilidh", "country dance", "fiddle tune", "session tune"},
        {{Ctl::Style, kWord, folk}});
    add({"reel"}, {{Ctl::Style, kImplied, folk}, {Ctl::Meter, kWord, 4, 4}, {Ctl::Tempo, kImplied, 126}});
    add({"jig", "double jig", "single jig"},
        {{Ctl::Style, kImplied, folk}, {Ctl::Meter, kWord, 6, 8}, {Ctl::Tempo, kImplied, 160}});
    add({"slip jig"}, {{Ctl::Style, kImplied, folk}, {Ctl::Meter, kWord, 9, 8}, {Ctl::Tempo, kImplied, 150}});
    add({"hornpipe"}, {{Ctl::Style, kImplied, folk}, {Ctl::Meter, kWord, 4, 4}, {Ctl::Tempo, kImplied, 100}});
    add({"strathspey"}, {{Ctl::Style, kImplied, folk}, {Ctl::Meter, kWord, 4, 4}, {Ctl::Tempo, kImplied, 110}});
    add({"waltz"}, {{Ctl::Style, kImplied, folk}, {Ctl::Meter, kWord, 3, 4}, {Ctl::Tempo, kImplied, 120}});
    add({"mazurka"}, {{Ctl::Style, kImplied, folk}, {Ctl::Meter, kWord, 3, 4}, {Ctl::Tempo, kImplied, 130}});
    add({"polka"}, {{Ctl::Style, kImplied, folk}, {Ctl::Meter, kWord, 2, 4}, {Ctl::Tempo, kImplied, 130}});
    add({"march"}, {{Ctl::Style, kImplied, folk}, {Ctl::Meter, kWord, 2, 4}, {Ctl::Tempo, kImplied, 112}});
    add({"morris", "morris dance", "playford", "country dance"}, {{Ctl::Style, kImplied, folk}});
    add({"minuet"}, {{Ctl::Meter, kWord, 3, 4}, {Ctl::Tempo, kImplied, 110}});
    add({"chorale", "choral", "hymn", "hymn tune", "bach", "js bach", "j s bach", "four part", "four part harmony",
         "satb", "hymnal"},
        {{Ctl::Style, kWord, chorale}, {Ctl::Meter, kImplied, 4, 4}, {Ctl::Tempo, kImplied, 80}});
    add({"church", "sacred", "baroque", "lutheran", "carol", "christmas carol"}, {{Ctl::Style, kImplied, chorale}});
    add({"anthem"}, {{Ctl::Style, kImplied, chorale}, {Ctl::Tempo, kImplied, 90}, {Ctl::Energy, kWord, .80},
                     {Ctl::Valence, kWord, .75}});
    add({"shanty", "sea shanty", "dance", "dance tune", "country", "folk dance"}, {{Ctl::Style, kImplied, folk}});
    add({"tango"}, {{Ctl::Meter, kWord, 2, 4}, {Ctl::Tempo, kImplied, 120}});
    add({"lullaby", "cradle song"}, {{Ctl::Meter, kImplied, 6, 8}, {Ctl::Tempo, kImplied, 66}, {Ctl::Energy, kWord, .15},
                                     {Ctl::Valence, kWord, .65}});
    add({"lament", "elegy", "dirge"}, {{Ctl::Tempo, kImplied, 60}, {Ctl::Energy, kWord, .20}, {Ctl::Valence, kWord, .10},
                                       {Ctl::Mode, kImplied, minor}});
    add({"ballad"}, {{Ctl::Tempo, kImplied, 76}, {Ctl::Energy, kWord, .35}, {Ctl::Valence, kWord, .50}});
    // tempo words
    const std::pair<std::vector<const char*>, double> tempos[] = {
        {{"grave"}, 40},          {{"largo", "very slow", "very slowly"}, 50},
        {{"lento"}, 56},          {{"slow", "slowly", "adagio", "unhurried"}, 70},
        {{"leisurely"}, 80},      {{"andante", "walking pace", "relaxed tempo"}, 90},
        {{"moderate", "moderately", "moderato", "medium tempo", "mid tempo", "medium"}, 110},
        {{"allegretto"}, 116},    {{"allegro", "lively", "spirited"}, 132},
        {{"brisk", "briskly"}, 140}, {{"fast", "quick", "quickly", "rapid"}, 150},
        {{"vivace"}, 160},        {{"very fast", "presto", "very quick"}, 180},
        {{"prestissimo"}, 200}};
    for (const auto& [words, bpm] : tempos) add(words, {{Ctl::Tempo, kWord, bpm}});
    // meter words
    add({"waltz time", "triple time", "triple meter", "three four"}, {{Ctl::Meter, kWord, 3, 4}});
    add({"common time", "four four"}, {{Ctl::Meter, kWord, 4, 4}});
    add({"cut time", "alla breve"}, {{Ctl::Meter, kWord, 2, 2}});
    add({"duple time", "duple meter", "two four"}, {{Ctl::Meter, kWord, 2, 4}});
    add({"compound time", "six eight", "jig time"}, {{Ctl::Meter, kWord, 6, 8}});
    // mode words (a key with a tonic is parsed apart)
    add({"major", "major key", "in major"}, {{Ctl::Mode, kWord, major}});
    add({"minor", "minor key", "in minor"}, {{Ctl::Mode, kWord, minor}});
    // length words
    const double bars = double(Length::Unit::Bars);
    add({"very short", "tiny"}, {{Ctl::Length, kWord, 4, bars}});
    add({"short", "brief", "quick sketch", "sketch"}, {{Ctl::Length, kWord, 8, bars}});
    add({"long", "lengthy", "extended"}, {{Ctl::Length, kWord, 64, bars}});
    add({"very long", "epic length"}, {{Ctl::Length, kWord, 128, bars}});
    // density
    add({"sparse", "simple", "minimal", "bare", "sparse texture"}, {{Ctl::Density, kWord, 0.25}});
    add({"busy", "dense", "ornate", "intricate", "complex", "rich", "florid"}, {{Ctl::Density, kWord, 0.8}});
    // mood: energy, valence, and sometimes the mode (see prompt.hpp)
    struct Mood { std::vector<const char*> words; double energy, valence; int mode; };  // mode -1: none
    const Mood moods[] = {
        {{"calm", "calming"}, .20, .60, -1},   {{"peaceful"}, .15, .70, -1},      {{"gentle", "gently"}, .25, .65, -1},
        {{"relaxed", "relaxing"}, .20, .60, -1}, {{"serene"}, .15, .70, -1},     {{"soft", "softly"}, .25, .55, -1},
        {{"dreamy"}, .30, .60, -1},            {{"tender"}, .25, .65, -1},         {{"sad", "sadly"}, .25, .15, 1},
        {{"melancholy", "melancholic"}, .30, .20, 1}, {{"mournful"}, .20, .10, 1}, {{"sorrowful"}, .20, .10, 1},
        {{"gloomy"}, .30, .15, 1},             {{"dark"}, .50, .20, 1},            {{"mysterious"}, .40, .35, 1},
        {{"solemn"}, .30, .35, -1},            {{"nostalgic"}, .35, .45, -1},      {{"wistful"}, .30, .35, -1},
        {{"romantic"}, .40, .70, -1},          {{"happy"}, .60, .85, 0},           {{"joyful", "joyous"}, .70, .90, 0},
        {{"cheerful"}, .65, .85, 0},           {{"bright"}, .60, .80, 0},          {{"sunny"}, .60, .85, 0},
        {{"playful"}, .65, .80, -1},           {{"upbeat"}, .75, .75, -1},         {{"lively"}, .75, .75, -1},
        {{"energetic"}, .90, .60, -1},         {{"exciting", "excited"}, .85, .65, -1}, {{"driving"}, .85, .50, -1},
        {{"intense"}, .90, .35, -1},           {{"angry"}, .90, .15, 1},           {{"tense"}, .70, .25, -1},
        {{"epic"}, .90, .60, -1},              {{"triumphant"}, .85, .85, 0},      {{"heroic"}, .85, .75, -1}};
    for (const auto& m : moods) {
      std::vector<Effect> e{{Ctl::Energy, kWord, m.energy}, {Ctl::Valence, kWord, m.valence}};
      if (m.mode >= 0) e.push_back({Ctl::Mode, kImplied, double(m.mode)});
      add(m.words, e);
    }
    // instruments (and the style some of them imply)
    for (const auto& [phrase, programs] : detail::instrument_words())
      for (int p : programs) l[phrase].push_back({Ctl::Instruments, kExplicit, double(p)});
    for (const char* p : {"fiddle", "tin whistle", "penny whistle", "irish whistle", "bagpipes", "uilleann pipes",
                          "concertina", "melodeon", "accordion"})
      l[p].push_back({Ctl::Style, kImplied, folk});
    for (const char* p : {"choir", "church organ", "pipe organ", "organ"}) l[p].push_back({Ctl::Style, kImplied, chorale});
    return l;
  }();
  return lex;
}

const std::set<std::string>& stopwords() {
  static const std::set<std::string> s{
      "a", "an", "the", "in", "on", "of", "for", "with", "and", "or", "to", "at", "by", "from", "some", "me",
      "please", "make", "play", "generate", "write", "compose", "create", "give", "want", "like", "would", "i",
      "that", "is", "it", "its", "this", "something", "piece", "song", "tune", "music", "melody", "track", "style",
      "time", "key", "very", "quite", "really", "rather", "bit", "little", "kind", "sort", "mood", "feel", "feeling",
      "vibe", "tempo", "about", "around", "using", "featuring", "solo", "duet", "can", "you", "us", "my", "our",
      "am", "are", "be", "was", "s", "let", "need", "get", "just", "maybe", "also", "but", "so", "not", "more",
      "played", "playing", "sounding", "sounds", "that's", "should", "could", "will", "style", "type"};
  return s;
}

std::optional<double> number_word(const std::string& w) {
  static const std::map<std::string, double> n{
      {"one", 1},      {"two", 2},        {"three", 3},     {"four", 4},      {"five", 5},     {"six", 6},
      {"seven", 7},    {"eight", 8},      {"nine", 9},      {"ten", 10},      {"eleven", 11},  {"twelve", 12},
      {"thirteen", 13}, {"fourteen", 14}, {"fifteen", 15},  {"sixteen", 16},  {"seventeen", 17},
      {"eighteen", 18}, {"nineteen", 19}, {"twenty", 20},   {"thirty", 30},   {"forty", 40},   {"fifty", 50},
      {"sixty", 60},   {"seventy", 70},   {"eighty", 80},   {"ninety", 90},   {"hundred", 100}};
  const auto it = n.find(w);
  if (it == n.end()) return std::nullopt;
  return it->second;
}

struct Slot {
  int priority = 0;
  size_t at = 0;
  std::string from;
  double a = 0, b = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view prompt) : prompt_(prompt), w_(detail::split_words(prompt)) {}

  ParsedPrompt run() {
    size_t i = 0;
    while (i < w_.size()) {
      size_t used = number_at(i);
      if (!used) used = key_at(i);
      if (!used) used = lexicon_at(i);
      if (!used) {
        if (!stopwords().count(w_[i].text)) out_.ignored.push_back(from(i, 1));
        used = 1;
      }
      i += used;
    }
    finish();
    return out_;
  }

 private:
  // The words as written; when that stretch is not valid UTF-8 (it goes into JSON), the words alone.
  std::string from(size_t i, size_t n) const {
    std::string s(prompt_.substr(w_[i].begin, w_[i + n - 1].end - w_[i].begin));
    if (valid_utf8(s)) return s;
    return join(w_, i, n);
  }
  static bool valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
      const unsigned char c = s[i];
      const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      if (len == 0 || i + len > s.size()) return false;
      for (size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
      i += len;
    }
    return true;
  }
  const std::string& text(size_t i) const {
    static const std::string none;
    return i < w_.size() ? w_[i].text : none;
  }

  void apply(const Effect& e, size_t i, size_t n) {
    const std::string f = from(i, n);
    switch (e.ctl) {
      case Ctl::Energy:
      case Ctl::Valence:
      case Ctl::Instruments:
        many_.push_back({e.ctl, i, f, e.a});
        return;
      default: break;
    }
    Slot& s = slots_[e.ctl];
    if (e.priority >= s.priority) s = {e.priority, i, f, e.a, e.b};
  }

  // Numbers with a unit ("70 bpm", "32 bars", "2 minutes"), "at 120", "tempo 90", meters "3/4".
  size_t number_at(size_t i) {
    const std::string& t = text(i);
    if (t.find('/') != std::string::npos) {
      const auto m = parse_meter(t);
      if (m && meter_index(*m) >= 0) {
        const size_t n = text(i + 1) == "time" ? 2 : 1;
        apply({Ctl::Meter, kExplicit, double(m->numerator), double(m->denominator)}, i, n);
        return n;
      }
      return 0;
    }
    if (t == "at" || t == "tempo") {
      size_t j = i + 1;
      if (t == "tempo" && text(j) == "of") ++j;
      size_t len = 0;
      const auto v = value_at(j, &len);
      if (!v) return 0;
      const auto unit = unit_at(j + len);
      if (unit.kind == Unit::Bpm || (unit.kind == Unit::None && *v >= 20 && *v <= 300)) {
        const size_t n = j + len + unit.words - i;
        apply({Ctl::Tempo, kExplicit, *v}, i, n);
        return n;
      }
      return 0;
    }
    size_t len = 0;
    std::optional<double> v = value_at(i, &len);
    if (!v && (t == "a" || t == "an") && (text(i + 1) == "minute" || text(i + 1) == "min")) {
      v = 1;
      len = 1;
    }
    if (!v) return 0;
    const auto unit = unit_at(i + len);
    const size_t n = len + unit.words;
    switch (unit.kind) {
      case Unit::Bpm: apply({Ctl::Tempo, kExplicit, *v}, i, n); return n;
      case Unit::Bars: apply({Ctl::Length, kExplicit, *v, double(Length::Unit::Bars)}, i, n); return n;
      case Unit::Minutes: apply({Ctl::Length, kExplicit, *v * 60, double(Length::Unit::Seconds)}, i, n); return n;
      case Unit::Seconds: apply({Ctl::Length, kExplicit, *v, double(Length::Unit::Seconds)}, i, n); return n;
      case Unit::None: return 0;
    }
    return 0;
  }

  std::optional<double> value_at(size_t i, size_t* len) const {
    const std::string& t = text(i);
    if (!t.empty() && std::isdigit((unsigned char)t[0]) && t.find('/') == std::string::npos) {
      *len = 1;
      return std::strtod(t.c_str(), nullptr);  // no throw: a huge number is HUGE_VAL, clamped later
    }
    auto v = number_word(t);
    if (!v) return std::nullopt;
    *len = 1;
    if (*v >= 20 && *v < 100) {
      if (auto u = number_word(text(i + 1)); u && *u < 10) {
        *len = 2;
        return *v + *u;
      }
    }
    return v;
  }

  enum class Unit { None, Bpm, Bars, Minutes, Seconds };
  struct UnitMatch { Unit kind = Unit::None; size_t words = 0; };
  UnitMatch unit_at(size_t i) const {
    const std::string& t = text(i);
    if (t == "bpm" || t == "bpms") return {Unit::Bpm, 1};
    if ((t == "beats" || t == "beat") && (text(i + 1) == "per" || text(i + 1) == "a") && text(i + 2) == "minute")
      return {Unit::Bpm, 3};
    if (t == "bar" || t == "bars" || t == "measure" || t == "measures") return {Unit::Bars, 1};
    if (t == "minute" || t == "minutes" || t == "min" || t == "mins") return {Unit::Minutes, 1};
    if (t == "second" || t == "seconds" || t == "sec" || t == "secs" || t == "s") return {Unit::Seconds, 1};
    return {};
  }

  // Keys: "D minor", "Bb major", "F#m", "in F#", "in E", "key of G", "e minor" (a lower-case "a"
  // is an article unless "in"/"key of" comes before it).
  size_t key_at(size_t i) {
    const Word& w = w_[i];
    const std::string& t = w.text;
    if (t.empty() || t[0] < 'a' || t[0] > 'g') return 0;
    std::string rest = t.substr(1);
    bool suffix_minor = false;
    if (t != "am" && (rest == "m" || rest == "#m" || rest == "bm")) {
      suffix_minor = true;
      rest.pop_back();
    }
    if (!rest.empty() && rest != "#" && rest != "b") return 0;
    size_t j = i + 1;
    bool accidental = !rest.empty();
    std::string name = t.substr(0, 1) + rest;
    if (rest.empty() && !suffix_minor && (text(j) == "sharp" || text(j) == "flat")) {
      name += text(j) == "sharp" ? "#" : "b";
      accidental = true;
      ++j;
    }
    std::optional<Mode> mode;
    if (suffix_minor) mode = Mode::Minor;
    if (!suffix_minor) {
      if (text(j) == "major" || text(j) == "maj") mode = Mode::Major;
      else if (text(j) == "minor" || text(j) == "min") mode = Mode::Minor;
      if (mode) ++j;
    }
    const std::string& prev = i > 0 ? text(i - 1) : text(w_.size());
    const bool key_context = prev == "in" || prev == "key" || (prev == "of" && i > 1 && text(i - 2) == "key");
    const bool article = t == "a" && !w.upper;
    if (article) {
      const std::string& after = text(j);
      if (!key_context) return 0;
      if (mode && (after == "key" || after == "scale" || after == "mode" || after == "tonality")) return 0;
      if (!mode && !w_[i].ends_clause) return 0;
    } else if (!mode && !accidental && !key_context) {
      return 0;
    }
    const auto pc = parse_pitch_class(name);
    if (!pc) return 0;
    const size_t start = (!mode && !accidental && prev == "in") ? i - 1 : i;  // "in F" keeps its "in"
    apply({Ctl::Key, kExplicit, double(*pc)}, start, j - start);
    if (mode) apply({Ctl::Mode, kExplicit, double(*mode)}, start, j - start);
    return j - i;
  }

  size_t lexicon_at(size_t i) {
    const auto& lex = lexicon();
    for (size_t n = std::min<size_t>(4, w_.size() - i); n >= 1; --n) {
      std::string phrase = join(w_, i, n);
      auto it = lex.find(phrase);
      // plurals: "waltzes", "reels", "fiddles"
      for (const char* suffix : {"es", "s"}) {
        const size_t k = std::char_traits<char>::length(suffix);
        if (it == lex.end() && phrase.size() > k + 2 && phrase.compare(phrase.size() - k, k, suffix) == 0)
          it = lex.find(phrase.substr(0, phrase.size() - k));
      }
      if (it != lex.end()) {
        for (const auto& e : it->second) apply(e, i, n);
        return n;
      }
    }
    return 0;
  }

  void finish() {
    Controls& c = out_.controls;
    struct Entry { size_t at; int order; Understood u; };
    std::vector<Entry> entries;
    for (const auto& [ctl, s] : slots_) {
      switch (ctl) {
        case Ctl::Style: c.style = Style(int(s.a)); break;
        case Ctl::Key: c.key_tonic = int(s.a); break;
        case Ctl::Mode: c.mode = Mode(int(s.a)); break;
        case Ctl::Meter: c.meter = {int(s.a), int(s.b)}; break;
        case Ctl::Tempo: c.tempo_bpm = std::clamp(s.a, 20.0, 300.0); break;
        case Ctl::Length: {
          const auto unit = Length::Unit(int(s.b));
          c.length = {unit, std::clamp(s.a, 1.0, unit == Length::Unit::Bars ? 1024.0 : 3600.0)};
          break;
        }
        case Ctl::Density: c.density = s.a; break;
        default: break;
      }
      entries.push_back({s.at, int(ctl), {ctl_name(ctl), s.from}});
    }
    double energy = 0, valence = 0;
    int n_energy = 0, n_valence = 0;
    std::vector<int> instruments;
    std::set<std::pair<Ctl, std::string>> said;  // one entry per control and phrase ("string quartet")
    for (const auto& m : many_) {
      if (m.ctl == Ctl::Energy) energy += m.value, ++n_energy;
      if (m.ctl == Ctl::Valence) valence += m.value, ++n_valence;
      if (m.ctl == Ctl::Instruments && std::find(instruments.begin(), instruments.end(), int(m.value)) == instruments.end())
        instruments.push_back(int(m.value));
      if (said.insert({m.ctl, m.from + "@" + std::to_string(m.at)}).second)
        entries.push_back({m.at, int(m.ctl), {ctl_name(m.ctl), m.from}});
    }
    if (n_energy) c.energy = energy / n_energy;
    if (n_valence) c.valence = valence / n_valence;
    if (!instruments.empty()) c.instruments = instruments;
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& x, const Entry& y) { return std::tie(x.at, x.order) < std::tie(y.at, y.order); });
    for (auto& e : entries) out_.understood.push_back(std::move(e.u));
    out_.nothing_usable = out_.understood.empty();
  }

  struct Many { Ctl ctl; size_t at; std::string from; double value; };

  std::string_view prompt_;
  std::vector<Word> w_;
  std::map<Ctl, Slot> slots_;
  std::vector<Many> many_;
  ParsedPrompt out_;
};

}  // namespace

ParsedPrompt parse_prompt(std::string_view prompt) { return Parser(prompt).run(); }

}  // namespace cadenza::generate
