#include <doctest/doctest.h>

#include "cadenza/recommend/tune_plan.hpp"
#include "cadenza/recommend/variable_catalog.hpp"

using namespace cadenza;
using namespace cadenza::recommend;
using nlohmann::json;

namespace {
json wp(double at, json target) { return {{"atMinute", at}, {"target", std::move(target)}}; }
}  // namespace

TEST_CASE("presets run between calm and lively over the duration") {
  auto up = *preset_waypoints("ascent", 30);
  REQUIRE(up.size() == 2);
  CHECK(up[0]["atMinute"] == 0);
  CHECK(up[1]["atMinute"] == 30);
  CHECK(up[0]["target"]["energy"].get<double>() < up[1]["target"]["energy"].get<double>());
  CHECK(up[0]["target"].size() == dimensions().size());
  auto down = *preset_waypoints("descent", 30);
  CHECK(down[0]["target"] == up[1]["target"]);
  CHECK_FALSE(preset_waypoints("sideways", 30));
}

TEST_CASE("waypoints: types are 400 problems, order is 422") {
  Validation v;
  check_waypoints(json::array({wp(0, {{"energy", 0.1}}), wp(10, {{"tempo", 300}, {"mood", 1}})}), v);
  CHECK(v.has("waypoints[1].target.tempo"));
  CHECK(v.has("waypoints[1].target.mood"));

  Validation ok;
  check_waypoints(json::array({wp(0, {{"energy", 0.1}}), wp(10, {{"energy", 0.9}})}), ok);
  CHECK(ok.ok());

  auto unprocessable = [](const json& w) {
    Validation v2;
    try {
      check_waypoints(w, v2);
    } catch (const Error& e) {
      return e.kind() == ErrorKind::Unprocessable;
    }
    return false;
  };
  CHECK(unprocessable(json::array({wp(0, {{"energy", 0.1}}), wp(0, {{"energy", 0.9}})})));
  CHECK(unprocessable(json::array({wp(5, {{"energy", 0.1}}), wp(10, {{"energy", 0.9}})})));
  CHECK_FALSE(unprocessable(json::array({wp(0, {{"energy", 0.1}}), wp(1, {{"energy", 0.9}})})));
}

TEST_CASE("stretch scales minutes; redirect replaces the destination") {
  auto w = json::array({wp(0, {{"energy", 0.1}}), wp(10, {{"energy", 0.5}}), wp(40, {{"energy", 0.9}})});
  auto g = json::array({{{"genre", "techno"}, {"minutes", 10}}, {{"genre", "ambient"}, {"minutes", 30}}});
  stretch(w, g, 20);
  CHECK(w[1]["atMinute"].get<double>() == doctest::Approx(5));
  CHECK(w[2]["atMinute"].get<double>() == 20);
  CHECK(g[1]["minutes"].get<double>() == doctest::Approx(15));
  CHECK(duration_minutes(w) == 20);
  check_genres_fit("guided", g, 20);
  CHECK_THROWS_AS(check_genres_fit("guided", g, 25), Error);
  CHECK_THROWS_AS(check_genres_fit("guided", json::array(), 20), Error);
  CHECK_THROWS_AS(check_genres_fit("adaptive", g, 20), Error);

  redirect(w, {{"valence", 0.2}});
  CHECK(w[2]["target"] == json{{"energy", 0.9}, {"valence", 0.2}});
}

TEST_CASE("variable readings: units, ranges and conversion to the canonical unit") {
  std::string why;
  const auto* t = find_variable("temperature");
  REQUIRE(t);
  CHECK_FALSE(canonical_value(*t, 212, "F", why));  // 100 C is out of range
  CHECK(canonical_value(*t, 68, "F", why)->get<double>() == doctest::Approx(20));
  CHECK_FALSE(canonical_value(*t, 20, "K", why));
  CHECK(why.find("unit") == 0);
  const auto* loc = find_variable("location");
  CHECK(canonical_value(*loc, json{{"lat", 52.5}, {"lon", 13.4}}, "deg", why));
  CHECK_FALSE(canonical_value(*loc, json{{"lat", 95}, {"lon", 13.4}}, "deg", why));
  CHECK_FALSE(canonical_value(*loc, "52.5,13.4", "deg", why));
  const auto* rating = find_variable("rating");
  CHECK_FALSE(canonical_value(*rating, 4.5, "stars", why));
  CHECK(canonical_value(*rating, 4, "stars", why) == 4);
  const auto* tod = find_variable("time_of_day");
  CHECK_FALSE(canonical_value(*tod, 24, "h", why));
  CHECK(canonical_value(*tod, 23.5, "h", why));
  CHECK_FALSE(find_variable("avg_time_to_skip"));  // internal signals are not variables
  CHECK(variable_catalog().size() == 8);
}
