#include "cadenza/core/schema.hpp"

#include <cmath>
#include <limits>

namespace cadenza::schema {

Json string(std::size_t max_length, std::size_t min_length) {
  Json s{{"type", "string"}, {"maxLength", max_length}};
  if (min_length > 0) s["minLength"] = min_length;
  return s;
}

Json enumeration(std::initializer_list<const char*> values) {
  Json list = Json::array();
  for (const char* v : values) list.push_back(v);
  return {{"type", "string"}, {"enum", std::move(list)}};
}

Json integer(std::int64_t minimum, std::int64_t maximum) {
  return {{"type", "integer"}, {"minimum", minimum}, {"maximum", maximum}};
}

Json number(double minimum, double maximum) { return {{"type", "number"}, {"minimum", minimum}, {"maximum", maximum}}; }

Json boolean() { return {{"type", "boolean"}}; }

Json array(Json items, std::size_t min_items, std::size_t max_items) {
  Json s{{"type", "array"}, {"items", std::move(items)}, {"maxItems", max_items}};
  if (min_items > 0) s["minItems"] = min_items;
  return s;
}

Json any() { return Json::object(); }

Json nullable(Json s) {
  if (s.contains("type")) {
    auto types = s["type"].is_array() ? s["type"] : Json::array({s["type"]});
    types.push_back("null");
    s["type"] = std::move(types);
    if (s.contains("enum")) s["enum"].push_back(nullptr);
    return s;
  }
  return {{"anyOf", Json::array({std::move(s), {{"type", "null"}}})}};
}

Json with(Json s, const std::string& key, Json value) {
  s[key] = std::move(value);
  return s;
}

Json object(std::vector<Property> properties, bool open) {
  Json props = Json::object(), required = Json::array();
  for (auto& p : properties) {
    if (p.presence == Required) required.push_back(p.name);
    props[p.name] = std::move(p.schema);
  }
  Json s{{"type", "object"}, {"properties", std::move(props)}, {"additionalProperties", open}};
  if (!required.empty()) s["required"] = std::move(required);
  return s;
}

namespace {

// "2" for 2.0, "0.5" for 0.5: bounds read as people write them.
std::string num(const Json& x) {
  if (x.is_number_integer()) return x.dump();
  double d = x.get<double>();
  if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  return Json(d).dump();
}

bool is_type(const Json& value, const std::string& type) {
  if (type == "null") return value.is_null();
  if (type == "boolean") return value.is_boolean();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  return false;
}

std::string type_phrase(const std::string& type) {
  if (type == "null") return "null";
  if (type == "boolean") return "true or false";
  if (type == "object") return "an object";
  if (type == "array") return "an array";
  if (type == "string") return "a string";
  if (type == "integer") return "an integer";
  if (type == "number") return "a number";
  return type;
}

// -1, 0, 1: value against a bound, exactly for integers of any size (9223372036854775808 included).
int compare(const Json& value, const Json& bound) {
  if (value.is_number_integer() && bound.is_number_integer()) {
    if (value.is_number_unsigned()) {
      auto u = value.get<std::uint64_t>();
      if (!bound.is_number_unsigned() && bound.get<std::int64_t>() < 0) return 1;
      auto b = bound.get<std::uint64_t>();
      return u < b ? -1 : u > b ? 1 : 0;
    }
    auto x = value.get<std::int64_t>();
    if (bound.is_number_unsigned()) {
      if (x < 0) return -1;
      auto b = bound.get<std::uint64_t>();
      auto u = static_cast<std::uint64_t>(x);
      return u < b ? -1 : u > b ? 1 : 0;
    }
    auto b = bound.get<std::int64_t>();
    return x < b ? -1 : x > b ? 1 : 0;
  }
  double x = value.get<double>(), b = bound.get<double>();
  return x < b ? -1 : x > b ? 1 : 0;
}

std::string name_of(const std::string& at) { return at.empty() ? "body" : at; }

std::string member(const std::string& at, const std::string& key) { return at.empty() ? key : at + "." + key; }

std::size_t characters(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool allows_null(const Json& schema, const Resolver& resolve);

const Json& deref(const Json& schema, const Resolver& resolve) {
  const Json* cur = &schema;
  static const Json anything = Json::object();
  for (int depth = 0; cur->is_object() && cur->contains("$ref") && depth < 32; ++depth) {
    if (!resolve) return anything;
    const Json* next = resolve((*cur)["$ref"].get<std::string>());
    if (!next) throw std::logic_error("schema: unresolved $ref " + (*cur)["$ref"].dump());
    cur = next;
  }
  return *cur;
}

bool allows_null(const Json& schema0, const Resolver& resolve) {
  const Json& schema = deref(schema0, resolve);
  if (!schema.is_object()) return true;
  if (schema.contains("type")) {
    const auto& t = schema["type"];
    if (t.is_string()) return t == "null";
    for (const auto& x : t)
      if (x == "null") return true;
    return false;
  }
  for (const char* k : {"anyOf", "oneOf"})
    if (schema.contains(k)) {
      for (const auto& branch : schema[k])
        if (allows_null(branch, resolve)) return true;
      return false;
    }
  if (schema.contains("const")) return schema["const"].is_null();
  if (schema.contains("enum")) {
    for (const auto& x : schema["enum"])
      if (x.is_null()) return true;
    return false;
  }
  return true;  // {} accepts anything
}

void check_value(const Json& schema0, const Json& value, Validation& v, const std::string& at, const Resolver& resolve);

// anyOf / oneOf: valid when a branch accepts the value. Otherwise the problems of the branches whose type
// fits (when exactly one does: that branch's own messages), else one message for the value.
void check_alternatives(const Json& branches, const Json& value, Validation& v, const std::string& at,
                        const Resolver& resolve) {
  std::vector<const Json*> fitting;
  for (const auto& b : branches) {
    Validation t;
    check_value(b, value, t, at, resolve);
    if (t.ok()) return;
    const Json& r = deref(b, resolve);
    bool fits = true;
    if (r.is_object() && r.contains("type")) {
      fits = false;
      const auto& types = r["type"];
      if (types.is_string()) fits = is_type(value, types.get<std::string>());
      else
        for (const auto& x : types) fits = fits || is_type(value, x.get<std::string>());
    }
    if (fits) fitting.push_back(&b);
  }
  if (fitting.size() == 1) {
    check_value(*fitting.front(), value, v, at, resolve);
    return;
  }
  v.fail(name_of(at), "does not match any of the allowed forms");
}

void check_value(const Json& schema0, const Json& value, Validation& v, const std::string& at, const Resolver& resolve) {
  const Json& s = deref(schema0, resolve);
  if (!s.is_object() || s.empty()) return;
  const std::string field = name_of(at);

  if (s.contains("type")) {
    const auto& t = s["type"];
    bool ok = false;
    std::string phrase;
    if (t.is_string()) {
      ok = is_type(value, t.get<std::string>());
      phrase = type_phrase(t.get<std::string>());
    } else {
      for (std::size_t i = 0; i < t.size(); ++i) {
        ok = ok || is_type(value, t[i].get<std::string>());
        phrase += (i == 0 ? "" : i + 1 == t.size() ? " or " : ", ") + type_phrase(t[i].get<std::string>());
      }
    }
    if (!ok) {
      v.fail(field, "must be " + phrase);
      return;
    }
  }
  if (s.contains("const") && value != s["const"]) {
    v.fail(field, "must be " + s["const"].dump());
    return;
  }
  if (s.contains("enum")) {
    bool found = false;
    std::string list;
    for (const auto& x : s["enum"]) {
      found = found || x == value;
      if (x.is_null()) continue;
      list += (list.empty() ? "" : ", ") + (x.is_string() ? x.get<std::string>() : x.dump());
    }
    if (!found) {
      v.fail(field, "must be one of " + list);
      return;
    }
  }
  if (value.is_number()) {
    const bool below = s.contains("minimum") && compare(value, s["minimum"]) < 0;
    const bool above = s.contains("maximum") && compare(value, s["maximum"]) > 0;
    if (below || above) {
      if (s.contains("minimum") && s.contains("maximum"))
        v.fail(field, "must be between " + num(s["minimum"]) + " and " + num(s["maximum"]));
      else if (below) v.fail(field, "must be at least " + num(s["minimum"]));
      else v.fail(field, "must be at most " + num(s["maximum"]));
      return;
    }
  }
  if (value.is_string()) {
    auto n = characters(value.get_ref<const std::string&>());
    if (s.contains("minLength") && n < s["minLength"].get<std::size_t>()) {
      auto min = s["minLength"].get<std::size_t>();
      v.fail(field, min == 1 ? "must not be empty" : "must be at least " + std::to_string(min) + " characters");
      return;
    }
    if (s.contains("maxLength") && n > s["maxLength"].get<std::size_t>()) {
      v.fail(field, "must be at most " + s["maxLength"].dump() + " characters");
      return;
    }
  }
  if (value.is_array()) {
    if (s.contains("minItems") && value.size() < s["minItems"].get<std::size_t>()) {
      v.fail(field, "must have at least " + s["minItems"].dump() + " items");
      return;
    }
    if (s.contains("maxItems") && value.size() > s["maxItems"].get<std::size_t>()) {
      v.fail(field, "must have at most " + s["maxItems"].dump() + " items");
      return;
    }
    if (s.contains("items"))
      for (std::size_t i = 0; i < value.size(); ++i)
        check_value(s["items"], value[i], v, at + "[" + std::to_string(i) + "]", resolve);
  }
  if (value.is_object()) {
    const Json empty = Json::object();
    const Json& props = s.contains("properties") ? s["properties"] : empty;
    if (s.contains("required"))
      for (const auto& r : s["required"]) {
        const auto& key = r.get_ref<const std::string&>();
        auto it = value.find(key);
        bool null_is_value = props.contains(key) && allows_null(props[key], resolve);
        if (it == value.end() || (it->is_null() && !null_is_value)) v.fail(member(at, key), "is required");
      }
    for (const auto& [key, x] : value.items()) {
      if (props.contains(key)) {
        if (x.is_null() && !allows_null(props[key], resolve)) continue;  // absent (required: reported above)
        check_value(props[key], x, v, member(at, key), resolve);
      } else if (s.contains("additionalProperties")) {
        const auto& extra = s["additionalProperties"];
        if (extra.is_boolean()) {
          if (!extra.get<bool>()) v.fail(member(at, key), "unknown field");
        } else {
          check_value(extra, x, v, member(at, key), resolve);
        }
      }
    }
  }
  if (s.contains("allOf"))
    for (const auto& b : s["allOf"]) check_value(b, value, v, at, resolve);
  for (const char* k : {"anyOf", "oneOf"})
    if (s.contains(k)) check_alternatives(s[k], value, v, at, resolve);
}

}  // namespace

const std::string* text(const Json& body, const std::string& key, const Validation& v) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string() || v.has(key)) return nullptr;
  return &it->get_ref<const std::string&>();
}

void validate(const Json& schema, const Json& value, Validation& v, const std::string& at, const Resolver& resolve) {
  check_value(schema, value, v, at, resolve);
}

void check(const Json& schema, const Json& value, const std::string& at) {
  Validation v;
  validate(schema, value, v, at);
  v.throw_if_failed();
}

}  // namespace cadenza::schema
