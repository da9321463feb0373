// Prompt -> controls: tables of prompts and what each must set, the JSON form and its validation.
#include <doctest/doctest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/generate/prompt.hpp"

using namespace cadenza::generate;
using nlohmann::json;

namespace {

std::string from_of(const ParsedPrompt& p, const std::string& control) {
  std::string all;
  for (const auto& u : p.understood)
    if (u.control == control) all += (all.empty() ? "" : "|") + u.from;
  return all;
}

struct Expect {
  const char* prompt;
  std::optional<int> tonic;
  std::optional<Mode> mode;
  std::optional<double> tempo;
  std::optional<Meter> meter;
  std::optional<Style> style;
  std::vector<int> instruments;  // empty: not checked
};

}  // namespace

TEST_CASE("prompt: the issue's three prompts") {
  {
    const auto p = parse_prompt("calm piano in D minor, 70 bpm");
    CHECK_FALSE(p.nothing_usable);
    CHECK(p.controls.key_tonic == 2);
    CHECK(p.controls.mode == Mode::Minor);
    CHECK(p.controls.tempo_bpm == 70);
    CHECK(p.controls.instruments == std::vector<int>{0});
    CHECK(p.controls.energy < 0.3);
    CHECK(from_of(p, "tempo_bpm") == "70 bpm");
    CHECK(from_of(p, "key") == "D minor");
    CHECK(from_of(p, "mode") == "D minor");
    CHECK(from_of(p, "instruments") == "piano");
    CHECK(from_of(p, "energy") == "calm");
    CHECK_MESSAGE(p.ignored.empty(), to_json(p).dump());
    // in prompt order
    REQUIRE(p.understood.size() >= 5);
    CHECK(p.understood.front().from == "calm");
    CHECK(p.understood.back().from == "70 bpm");
  }
  {
    const auto p = parse_prompt("an upbeat folk reel for fiddle");
    CHECK(p.controls.style == Style::Folk);
    CHECK(p.controls.meter == Meter{4, 4});
    CHECK(p.controls.tempo_bpm >= 120);  // a reel is fast
    CHECK(p.controls.instruments == std::vector<int>{40});  // fiddle -> violin
    CHECK(p.controls.energy > 0.6);
    CHECK(p.controls.valence > 0.6);
    CHECK(from_of(p, "style") == "folk");
    CHECK(from_of(p, "meter") == "reel");
    CHECK(from_of(p, "tempo_bpm") == "reel");
    CHECK(from_of(p, "instruments") == "fiddle");
    CHECK(from_of(p, "energy") == "upbeat");
  }
  {
    const auto p = parse_prompt("slow sad waltz");
    CHECK(p.controls.meter == Meter{3, 4});
    CHECK(p.controls.tempo_bpm <= 80);       // "slow" wins over the waltz's implied tempo
    CHECK(p.controls.mode == Mode::Minor);   // implied by "sad"
    CHECK(p.controls.valence < 0.3);
    CHECK(p.controls.style == Style::Folk);
    CHECK(from_of(p, "tempo_bpm") == "slow");
    CHECK(from_of(p, "meter") == "waltz");
    CHECK(from_of(p, "mode") == "sad");
  }
}

TEST_CASE("prompt: garbage and empty text use the defaults and say so") {
  for (const char* text : {"", "   ", "qwzx blorp 42 !!", "asdf;lkj", "the of and", "☃☃☃", "zzz 3/7 bpmx"}) {
    CAPTURE(text);
    const auto p = parse_prompt(text);
    CHECK(p.nothing_usable);
    CHECK(p.understood.empty());
    CHECK(p.controls == Controls{});
  }
  CHECK(parse_prompt("qwzx blorp").ignored == std::vector<std::string>{"qwzx", "blorp"});
  CHECK(parse_prompt("I am sad, let's hear it").ignored == std::vector<std::string>{"hear"});
  CHECK_FALSE(parse_prompt("blorp in G").nothing_usable);
}

TEST_CASE("prompt: a table of keys, tempi, meters, styles and instruments") {
  const Expect cases[] = {
      {"Bb major hymn", 10, Mode::Major, 80, Meter{4, 4}, Style::Chorale, {}},
      {"e minor jig", 4, Mode::Minor, 160, Meter{6, 8}, Style::Folk, {}},
      {"something in F#", 6, std::nullopt, std::nullopt, std::nullopt, std::nullopt, {}},
      {"in F# minor please", 6, Mode::Minor, std::nullopt, std::nullopt, std::nullopt, {}},
      {"C♯ minor at 90", 1, Mode::Minor, 90, std::nullopt, std::nullopt, {}},
      {"a tune in E flat major", 3, Mode::Major, std::nullopt, std::nullopt, std::nullopt, {}},
      {"key of G, allegro", 7, std::nullopt, 132, std::nullopt, std::nullopt, {}},
      {"F#m waltz on guitar", 6, Mode::Minor, std::nullopt, Meter{3, 4}, Style::Folk, {24}},
      {"in a minor", 9, Mode::Minor, std::nullopt, std::nullopt, std::nullopt, {}},
      {"in A", 9, std::nullopt, std::nullopt, std::nullopt, std::nullopt, {}},
      {"a minor key ballad", std::nullopt, Mode::Minor, std::nullopt, std::nullopt, std::nullopt, {}},
      {"a happy tune", std::nullopt, Mode::Major, std::nullopt, std::nullopt, std::nullopt, {}},
      {"andante chorale for organ and choir", std::nullopt, std::nullopt, 90, Meter{4, 4}, Style::Chorale, {19, 52}},
      {"fast reel at 140", std::nullopt, std::nullopt, 140, Meter{4, 4}, Style::Folk, {}},
      {"jig in 3/4", std::nullopt, std::nullopt, 160, Meter{3, 4}, Style::Folk, {}},
      {"march", std::nullopt, std::nullopt, 112, Meter{2, 4}, Style::Folk, {}},
      {"slip jig on tin whistle", std::nullopt, std::nullopt, 150, Meter{9, 8}, Style::Folk, {78}},
      {"hornpipe 6/8 time", std::nullopt, std::nullopt, 100, Meter{6, 8}, Style::Folk, {}},
      {"120bpm", std::nullopt, std::nullopt, 120, std::nullopt, std::nullopt, {}},
      {"tempo of 96", std::nullopt, std::nullopt, 96, std::nullopt, std::nullopt, {}},
      {"sixty beats per minute", std::nullopt, std::nullopt, 60, std::nullopt, std::nullopt, {}},
      {"very slow", std::nullopt, std::nullopt, 50, std::nullopt, std::nullopt, {}},
      {"presto", std::nullopt, std::nullopt, 180, std::nullopt, std::nullopt, {}},
      {"lively", std::nullopt, std::nullopt, 132, std::nullopt, std::nullopt, {}},
      {"moderate tempo", std::nullopt, std::nullopt, 110, std::nullopt, std::nullopt, {}},
      {"Bach for string quartet", std::nullopt, std::nullopt, 80, Meter{4, 4}, Style::Chorale, {40, 41, 42}},
      {"flute, cello and harpsichord", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, {73, 42, 6}},
      {"Acoustic Guitar (steel) and Electric Piano 2", std::nullopt, std::nullopt, std::nullopt, std::nullopt,
       std::nullopt, {25, 5}},
      {"fiddles and accordions", std::nullopt, std::nullopt, std::nullopt, std::nullopt, Style::Folk, {40, 21}},
      {"bagpipes in cut time", std::nullopt, std::nullopt, std::nullopt, Meter{2, 2}, Style::Folk, {109}},
      {"strings in common time", std::nullopt, std::nullopt, std::nullopt, Meter{4, 4}, std::nullopt, {48}},
      {"waltzes", std::nullopt, std::nullopt, 120, Meter{3, 4}, Style::Folk, {}},
      {"a lullaby on music box", std::nullopt, std::nullopt, 66, Meter{6, 8}, std::nullopt, {10}},
      {"a lament for the harp", std::nullopt, Mode::Minor, 60, std::nullopt, std::nullopt, {46}},
      {"lament in G major", 7, Mode::Major, 60, std::nullopt, std::nullopt, {}},
      {"Dm waltz on harp", 2, Mode::Minor, 120, Meter{3, 4}, Style::Folk, {46}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.prompt);
    const auto p = parse_prompt(c.prompt);
    CHECK_FALSE(p.nothing_usable);
    if (c.tonic) CHECK(p.controls.key_tonic == *c.tonic);
    else CHECK(from_of(p, "key").empty());
    if (c.mode) CHECK(p.controls.mode == *c.mode);
    if (c.tempo) CHECK(p.controls.tempo_bpm == *c.tempo);
    if (c.meter) CHECK(p.controls.meter == *c.meter);
    if (c.style) CHECK(p.controls.style == *c.style);
    if (!c.instruments.empty()) CHECK(p.controls.instruments == c.instruments);
  }
}

TEST_CASE("prompt: lengths, density and moods") {
  CHECK(parse_prompt("32 bars").controls.length == Length{Length::Unit::Bars, 32});
  CHECK(parse_prompt("sixteen measures").controls.length == Length{Length::Unit::Bars, 16});
  CHECK(parse_prompt("2 minutes of folk").controls.length == Length{Length::Unit::Seconds, 120});
  CHECK(parse_prompt("a minute of calm").controls.length == Length{Length::Unit::Seconds, 60});
  CHECK(parse_prompt("90 seconds").controls.length == Length{Length::Unit::Seconds, 90});
  CHECK(parse_prompt("a short jig").controls.length == Length{Length::Unit::Bars, 8});
  CHECK(parse_prompt("long chorale").controls.length == Length{Length::Unit::Bars, 64});
  CHECK(from_of(parse_prompt("2 minutes of folk"), "length") == "2 minutes");
  CHECK(parse_prompt("sparse").controls.density < 0.5);
  CHECK(parse_prompt("busy ornate reel").controls.density > 0.5);
  // mood words move energy and valence the documented way and average
  const auto calm = parse_prompt("calm").controls, energetic = parse_prompt("energetic").controls;
  CHECK(calm.energy < energetic.energy);
  CHECK(parse_prompt("sad").controls.valence < parse_prompt("happy").controls.valence);
  CHECK(parse_prompt("dark").controls.mode == Mode::Minor);
  CHECK(parse_prompt("dark but in C major").controls.mode == Mode::Major);  // an explicit key wins
  const auto both = parse_prompt("calm energetic").controls;
  CHECK(both.energy == doctest::Approx((calm.energy + energetic.energy) / 2));
  for (const char* w : {"peaceful", "gentle", "upbeat", "melancholy", "joyful", "triumphant", "mysterious"}) {
    CAPTURE(w);
    const auto p = parse_prompt(w);
    CHECK(from_of(p, "energy") == w);
    CHECK(from_of(p, "valence") == w);
  }
  // an explicit number beats a tempo word, whichever comes first
  CHECK(parse_prompt("fast, 80 bpm").controls.tempo_bpm == 80);
  CHECK(parse_prompt("80 bpm, fast").controls.tempo_bpm == 80);
}

TEST_CASE("prompt: every GM name and the common words name a program") {
  for (int p = 0; p < 128; ++p) {
    CAPTURE(gm_program_name(p));
    const auto found = parse_instrument(gm_program_name(p));
    REQUIRE(found);
    if (p != 110) CHECK(*found == p);  // "Fiddle" (110) is the violin (40) here, as players mean it
  }
  CHECK(parse_instrument("fiddle") == 40);
  CHECK(parse_instrument("Strings") == 48);
  CHECK(parse_instrument("choir") == 52);
  CHECK(parse_instrument("organ") == 19);
  CHECK(parse_instrument("flutes") == 73);
  CHECK_FALSE(parse_instrument("kazoo"));
}

TEST_CASE("controls: JSON round trip and merge over a parsed prompt") {
  Controls c;
  c.style = Style::Chorale;
  c.key_tonic = 10;
  c.mode = Mode::Minor;
  c.meter = {6, 8};
  c.tempo_bpm = 72;
  c.length = {Length::Unit::Seconds, 90};
  c.density = 0.3;
  c.energy = 0.7;
  c.valence = 0.2;
  c.instruments = {19, 52};
  const auto j = to_json(c);
  CHECK(j["key"] == "Bb");
  CHECK(j["meter"] == "6/8");
  CHECK(j["seconds"] == 90);
  CHECK_FALSE(j.contains("bars"));
  CHECK(controls_from_json(j) == c);

  const auto parsed = parse_prompt("calm piano in D minor, 70 bpm").controls;
  const auto merged = controls_from_json(json{{"tempo_bpm", 90}, {"instruments", {"fiddle", 42}}, {"key", "A major"}}, parsed);
  CHECK(merged.tempo_bpm == 90);
  CHECK(merged.instruments == std::vector<int>{40, 42});
  CHECK(merged.key_tonic == 9);
  CHECK(merged.mode == Mode::Major);
  CHECK(merged.energy == parsed.energy);  // untouched fields keep the prompt's values
  CHECK(controls_from_json(json::object(), parsed) == parsed);
  CHECK(to_json(parse_prompt("slow sad waltz"))["understood"].size() >= 3);
}

TEST_CASE("controls: validation names every bad field") {
  const json bad{{"style", "techno"}, {"key", "H"}, {"mode", "lydian"}, {"meter", "5/3"}, {"tempo_bpm", 900},
                 {"density", 2}, {"energy", "high"}, {"valence", -1}, {"instruments", {300}}, {"colour", "blue"}};
  try {
    controls_from_json(bad);
    FAIL("no error");
  } catch (const cadenza::Error& e) {
    CHECK(e.kind() == cadenza::ErrorKind::BadRequest);
    for (const char* f : {"style", "key", "mode", "meter", "tempo_bpm", "density", "energy", "valence",
                          "instruments", "colour"}) {
      CAPTURE(f);
      CHECK(e.fields().count(f) == 1);
    }
  }
  try {
    controls_from_json(json{{"bars", 8}, {"seconds", 30}});
    FAIL("no error");
  } catch (const cadenza::Error& e) {
    CHECK(e.fields().count("bars") == 1);
    CHECK(e.fields().count("seconds") == 1);
  }
  CHECK_THROWS_AS(controls_from_json(json::array()), cadenza::Error);
  CHECK_THROWS_AS(controls_from_json(json{{"bars", 0}}), cadenza::Error);
  CHECK_NOTHROW(validate(Controls{}));
  for (const auto& m : supported_meters()) CHECK_NOTHROW(controls_from_json(json{{"meter", to_string(m)}}));
}

TEST_CASE("prompt: random text never throws and always gives valid controls") {
  const char* words[] = {"in", "a", "A", "minor", "major", "D", "F#", "bb", "at", "120", "0", "99999", "bpm", "bars",
                         "minutes", "3/4", "5/3", "999/999", "waltz", "reel", "slow", "fast", "sad", "calm", "piano",
                         "fiddle", "string", "quartet", "tempo", "of", "sixty", "four", "short", ",", ".", "\xff",
                         "\xe2\x99\xaf", "\xe2\x99", "key", "sharp", "flat", "1e400", "1.5.5", "-3", "#", "/"};
  std::mt19937_64 rng(11);
  for (int round = 0; round < 3000; ++round) {
    std::string prompt;
    const int n = int(rng() % 12);
    for (int k = 0; k < n; ++k) {
      if (rng() % 7 == 0) prompt += char(rng() % 256);
      else prompt += words[rng() % (sizeof words / sizeof *words)];
      if (rng() % 3) prompt += ' ';
    }
    CAPTURE(prompt);
    ParsedPrompt p;
    REQUIRE_NOTHROW(p = parse_prompt(prompt));
    CHECK_NOTHROW(validate(p.controls));
    CHECK_NOTHROW(to_json(p).dump());
    CHECK(p.nothing_usable == p.understood.empty());
  }
  // a huge number is clamped, not an error
  CHECK(parse_prompt(std::string(400, '9') + " bpm").controls.tempo_bpm == 300);
  CHECK(parse_prompt("0 bars").controls.length.value == 1);
}
