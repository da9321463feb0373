#include "cadenza/transcribe/notes_json.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace cadenza::transcribe;

TEST_CASE("notes.json has the documented shape") {
  std::vector<cadenza::NoteEvent> notes{{69, 0.25, 0.75, 0.7, {0, -1}}};
  auto j = nlohmann::json::parse(notes_to_json(notes));
  REQUIRE(j["notes"].size() == 1);
  CHECK(j["notes"][0]["start"] == 0.25);
  CHECK(j["notes"][0]["end"] == 0.75);
  CHECK(j["notes"][0]["pitch"] == 69);
  CHECK(j["notes"][0]["velocity"] == 0.7);
  CHECK(j["notes"][0]["bends"] == nlohmann::json::array({0, -1}));
}
