// core/schema: the declarative body descriptions validate what they document.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "cadenza/core/schema.hpp"

using namespace cadenza;
using nlohmann::json;

namespace {

Error::Fields problems(const json& schema, const json& value, const schema::Resolver& resolve = {}) {
  Validation v;
  schema::validate(schema, value, v, "", resolve);
  try {
    v.throw_if_failed();
  } catch (const Error& e) {
    return e.fields();
  }
  return {};
}

const json kPerson = schema::object({
    {"name", schema::string(5, 1), schema::Required},
    {"age", schema::integer(1, 150)},
    {"score", schema::number(0, 1)},
    {"kind", schema::enumeration({"a", "b"})},
    {"tags", schema::array(schema::string(3), 0, 2)},
    {"pet", schema::object({{"legs", schema::integer(0, 8), schema::Required}})},
    {"note", schema::nullable(schema::string(10))},
});

}  // namespace

TEST_CASE("schema: the builders write JSON Schema that documents the shape") {
  CHECK(kPerson["type"] == "object");
  CHECK(kPerson["additionalProperties"] == false);
  CHECK(kPerson["required"] == json::array({"name"}));
  CHECK(kPerson["properties"]["name"] == json({{"type", "string"}, {"maxLength", 5}, {"minLength", 1}}));
  CHECK(kPerson["properties"]["age"] == json({{"type", "integer"}, {"minimum", 1}, {"maximum", 150}}));
  CHECK(kPerson["properties"]["note"]["type"] == json::array({"string", "null"}));
  CHECK(schema::with(schema::boolean(), "default", true)["default"] == true);
}

TEST_CASE("schema: every problem is named, with its path") {
  CHECK(problems(kPerson, {{"name", "Ann"}}).empty());
  auto all = problems(kPerson, {{"age", 0},
                                {"score", 1.5},
                                {"kind", "c"},
                                {"tags", {"ok", "toolong"}},
                                {"pet", {{"legs", "four"}}},
                                {"colour", "red"}});
  CHECK(all.at("name") == "is required");
  CHECK(all.at("age") == "must be between 1 and 150");
  CHECK(all.at("score") == "must be between 0 and 1");
  CHECK(all.at("kind") == "must be one of a, b");
  CHECK(all.at("tags[1]") == "must be at most 3 characters");
  CHECK(all.at("pet.legs") == "must be an integer");
  CHECK(all.at("colour") == "unknown field");
  CHECK(all.size() == 7);
  CHECK(problems(kPerson, {{"name", ""}}).at("name") == "must not be empty");
  CHECK(problems(kPerson, {{"name", "A"}, {"tags", {"a", "b", "c"}}}).at("tags") == "must have at most 2 items");
  CHECK(problems(kPerson, {{"name", "A"}, {"pet", json::object()}}).at("pet.legs") == "is required");
  CHECK(problems(kPerson, json::array()).at("body") == "must be an object");
}

TEST_CASE("schema: integers are compared exactly, whatever their size; 1.0 is not an integer") {
  auto age = [](const json& x) { return problems(kPerson, {{"name", "A"}, {"age", x}}); };
  CHECK(age(json::parse("9223372036854775808")).at("age") == "must be between 1 and 150");
  CHECK(age(json::parse("18446744073709551615")).at("age") == "must be between 1 and 150");
  CHECK(age(json::parse("-9223372036854775808")).at("age") == "must be between 1 and 150");
  CHECK(age(json::parse("0")).at("age") == "must be between 1 and 150");  // parsed as unsigned
  CHECK(age(json::parse("1.0")).at("age") == "must be an integer");
  CHECK(age(json::parse("150")).empty());
  CHECK(age("7").at("age") == "must be an integer");
  const json negative = schema::integer(-5, -1);
  CHECK(problems(negative, json::parse("3")).at("body") == "must be between -5 and -1");
  CHECK(problems(negative, json::parse("-3")).empty());
}

TEST_CASE("schema: lengths count characters, not bytes") {
  CHECK(problems(kPerson, {{"name", "\u00e9\u00e9\u00e9\u00e9\u00e9"}}).empty());  // 5 characters, 10 bytes
  CHECK(problems(kPerson, {{"name", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}}).at("name") == "must be at most 5 characters");
}

TEST_CASE("schema: null is an absent member unless the schema allows null") {
  CHECK(problems(kPerson, {{"name", "A"}, {"age", nullptr}, {"note", nullptr}}).empty());
  CHECK(problems(kPerson, {{"name", nullptr}}).at("name") == "is required");
  CHECK(problems(kPerson, {{"name", "A"}, {"note", 3}}).at("note") == "must be a string or null");
}

TEST_CASE("schema: alternatives, references and open objects") {
  const json value = {{"anyOf", {schema::string(3), schema::object({{"min", schema::number(0, 10), schema::Required}})}}};
  CHECK(problems(value, "abc").empty());
  CHECK(problems(value, {{"min", 4}}).empty());
  CHECK(problems(value, "abcd").at("body") == "must be at most 3 characters");  // only the string branch fits
  CHECK(problems(value, {{"min", 11}}).at("min") == "must be between 0 and 10");
  CHECK(problems(value, 5).at("body") == "does not match any of the allowed forms");

  const json doc = {{"components", {{"schemas", {{"Legs", schema::integer(0, 8)}}}}}};
  auto resolve = [&](const std::string& ref) -> const json* {
    auto ptr = json::json_pointer(ref.substr(1));
    return doc.contains(ptr) ? &doc.at(ptr) : nullptr;
  };
  const json with_ref = schema::object({{"legs", {{"$ref", "#/components/schemas/Legs"}}, schema::Required}});
  CHECK(problems(with_ref, {{"legs", 9}}, resolve).at("legs") == "must be between 0 and 8");
  CHECK(problems(with_ref, {{"legs", 9}}).empty());  // without a resolver a reference accepts anything
  CHECK_THROWS(problems({{"$ref", "#/components/schemas/Nope"}}, 1, resolve));

  const json open = schema::object({{"a", schema::boolean()}}, true);
  CHECK(problems(open, {{"a", true}, {"b", 1}}).empty());
  CHECK(problems(open, {{"a", 1}}).at("a") == "must be true or false");
}

TEST_CASE("schema: text() gives the rules a member only when the schema accepted it") {
  Validation v;
  const json body = {{"name", "Ann"}, {"age", "x"}, {"n", 3}};
  v.fail("age", "must be an integer");
  CHECK(*schema::text(body, "name", v) == "Ann");
  CHECK(schema::text(body, "age", v) == nullptr);
  CHECK(schema::text(body, "n", v) == nullptr);
  CHECK(schema::text(body, "missing", v) == nullptr);
}
