#pragma once
// Declarative JSON shapes: one description per request body (and job payload) that both validates what
// a client sends and is what /api/openapi.json documents. A description *is* a JSON Schema (the subset of
// OpenAPI 3.1 / JSON Schema 2020-12 below), built with the functions here, so nothing is written twice.
//
//   const schema::Body kCreate{"PreferenceCreate", schema::object({
//       {"type", schema::enumeration({"genre", "tempo"}), schema::Required},
//       {"weight", schema::number(0, 1)}})};
//   r.add("POST", base, handler, {.body = &kCreate});   // dispatch validates before the handler runs
//
// validate() understands: type (a name or a list, "null" included), properties, required,
// additionalProperties (false = unknown fields refused; the builders' default), enum, const,
// minimum/maximum, minLength/maxLength (in characters), minItems/maxItems, items, anyOf/oneOf/allOf and
// local $ref (through a resolver). Other keywords (description, default, format, examples, readOnly) only
// document. Like the handlers always did, a member that is null counts as absent unless its schema allows
// null. The tests use the same validator to check every response against the documented schema.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "cadenza/core/error.hpp"

namespace cadenza::schema {

using Json = nlohmann::json;

Json string(std::size_t max_length, std::size_t min_length = 0);
Json enumeration(std::initializer_list<const char*> values);
Json integer(std::int64_t minimum, std::int64_t maximum);
Json number(double minimum, double maximum);
Json boolean();
Json array(Json items, std::size_t min_items, std::size_t max_items);
Json any();  // any JSON value (the handler checks it)
Json nullable(Json s);  // the same, or null
// s with `key` set (description, default, example, readOnly, ...).
Json with(Json s, const std::string& key, Json value);

enum Presence { Optional, Required };
struct Property {
  std::string name;
  Json schema;
  Presence presence = Optional;
};
// An object with exactly these members; unknown members are refused unless `open`.
Json object(std::vector<Property> properties, bool open = false);

// A named request body: validated by dispatch before its route's handler runs, and documented as
// components/schemas/<name> with the operation's requestBody pointing at it. `rules` are the checks a
// schema cannot say (patterns with their own message, a password policy, one member or another); they run
// after the schema on the same Validation, so one 400 names every problem. Checks that need the store stay
// in the handler.
struct Body {
  std::string name;
  Json schema;
  std::function<void(const Json& body, Validation& v)> rules = {};
};

// For rules: body[key] when it is a string the schema accepted (no problem recorded for it yet), else null.
const std::string* text(const Json& body, const std::string& key, const Validation& v);

// Resolves a "$ref" ("#/components/schemas/X") to the schema it names; null when unknown. Without a
// resolver a $ref accepts any value: request bodies point at documented shapes that their handler checks
// in depth (a waypoint, a reading's value).
using Resolver = std::function<const Json*(const std::string& ref)>;

// Every problem of `value` against `schema` goes to v as (field, message). Fields are paths below `at`:
// "name", "value.minBpm", "readings[3].unit", "payload.steps"; a problem with the whole value is named
// `at`, or "body" when `at` is empty.
void validate(const Json& schema, const Json& value, Validation& v, const std::string& at = "",
              const Resolver& resolve = {});

// validate(), then Error(BadRequest) naming every problem.
void check(const Json& schema, const Json& value, const std::string& at = "");

}  // namespace cadenza::schema
