#include "cadenza/config/config.hpp"

#include <toml++/toml.h>

#include <cctype>
#include <charconv>
#include <filesystem>
#include <sstream>

#include "cadenza/core/error.hpp"
#include "keys.hpp"

extern char** environ;

namespace cadenza::config {
namespace {

using detail::Field;
using detail::Key;

constexpr const char* kDefaultPath = "config/cadenza.toml";
constexpr std::string_view kEnvPrefix = "CADENZA_";

[[noreturn]] void fail(const std::string& key, const std::string& why, const std::string& source) {
  std::string message = "config: " + key + ": " + why;
  if (!source.empty()) message += " (" + source + ")";
  throw Error(ErrorKind::BadRequest, message, {{key, why}});
}

std::string range_text(const Key& k) { return "must be " + std::to_string(k.min) + ".." + std::to_string(k.max); }

void set_integer(Config& c, const Key& k, std::int64_t v, const std::string& source) {
  if (v < k.min || v > k.max) fail(std::string(k.name), range_text(k), source);
  auto field = k.field(c);
  if (auto* p = std::get_if<int*>(&field)) **p = static_cast<int>(v);
  else **std::get_if<std::int64_t*>(&field) = v;
}

void set_string(Config& c, const Key& k, const std::string& v, const std::string& source) {
  if (k.check) {
    auto why = k.check(v);
    if (!why.empty()) fail(std::string(k.name), why, source);
  }
  auto field = k.field(c);
  **std::get_if<std::string*>(&field) = v;
}

// A value given as text (environment, command line).
void set_from_text(Config& c, const Key& k, const std::string& text, const std::string& source) {
  auto field = k.field(c);
  if (std::holds_alternative<std::string*>(field)) return set_string(c, k, text, source);
  if (auto* p = std::get_if<bool*>(&field)) {
    std::string v;
    for (char ch : text) v.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    if (v == "true" || v == "1" || v == "yes" || v == "on") **p = true;
    else if (v == "false" || v == "0" || v == "no" || v == "off") **p = false;
    else fail(std::string(k.name), "must be true or false", source);
    return;
  }
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
    fail(std::string(k.name), "must be an integer", source);
  }
  if (ec == std::errc::result_out_of_range) fail(std::string(k.name), range_text(k), source);
  set_integer(c, k, v, source);
}

void set_from_toml(Config& c, const Key& k, const toml::node& node, const std::string& source) {
  auto field = k.field(c);
  if (std::holds_alternative<std::string*>(field)) {
    auto v = node.value_exact<std::string>();
    if (!v) fail(std::string(k.name), "must be a string", source);
    return set_string(c, k, *v, source);
  }
  if (auto* p = std::get_if<bool*>(&field)) {
    auto v = node.value_exact<bool>();
    if (!v) fail(std::string(k.name), "must be true or false", source);
    **p = *v;
    return;
  }
  auto v = node.value_exact<std::int64_t>();
  if (!v) fail(std::string(k.name), "must be an integer", source);
  set_integer(c, k, *v, source);
}

void apply_file(Config& c, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    std::string why = std::string(e.description()) + " at line " + std::to_string(where.line) + ", column " +
                      std::to_string(where.column);
    throw Error(ErrorKind::BadRequest, "config: " + path + ": " + why, {{path, why}});
  }
  const std::string source = "in " + path;
  for (const auto& [section, node] : root) {
    const std::string section_name(section.str());
    const auto* table = node.as_table();
    if (!table) fail(section_name, "unknown key", source);
    for (const auto& [key, value] : *table) {
      const std::string dotted = section_name + "." + std::string(key.str());
      const Key* k = detail::find_key(dotted);
      if (!k) fail(dotted, "unknown key", source);
      set_from_toml(c, *k, value, source);
    }
  }
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (ch < 0x20 || ch == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out.push_back(static_cast<char>(ch));
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string env_name(const std::string& dotted_key) {
  std::string out(kEnvPrefix);
  for (char ch : dotted_key) {
    out.push_back(ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  }
  return out;
}

std::vector<std::string> keys() {
  std::vector<std::string> out;
  for (const auto& k : detail::key_table()) out.emplace_back(k.name);
  return out;
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    if (entry.substr(0, kEnvPrefix.size()) != kEnvPrefix) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

Config load(const LoadOptions& options) {
  Config c;

  // 1. file
  if (options.config_path) {
    if (!std::filesystem::is_regular_file(*options.config_path)) {
      throw Error(ErrorKind::BadRequest, "config: " + *options.config_path + ": no such file",
                  {{"config", "no such file: " + *options.config_path}});
    }
    apply_file(c, *options.config_path);
  } else if (std::filesystem::is_regular_file(kDefaultPath)) {
    apply_file(c, kDefaultPath);
  }

  // 2. environment
  for (const auto& [name, value] : options.env) {
    if (name.substr(0, kEnvPrefix.size()) != kEnvPrefix) continue;
    const Key* found = nullptr;
    for (const auto& k : detail::key_table()) {
      if (env_name(std::string(k.name)) == name) found = &k;
    }
    if (!found) {
      throw Error(ErrorKind::BadRequest, "config: unknown environment variable " + name,
                  {{name, "unknown environment variable"}});
    }
    set_from_text(c, *found, value, "environment " + name);
  }

  // 3. command-line flags
  for (const auto& [dotted, value] : options.flags) {
    const Key* k = detail::find_key(dotted);
    if (!k) fail(dotted, "unknown key", "command line");
    set_from_text(c, *k, value, "command line");
  }
  return c;
}

std::string to_toml(const Config& config) {
  Config c = config;  // accessors take a mutable Config
  std::ostringstream out;
  std::string_view section;
  for (const auto& k : detail::key_table()) {
    auto dot = k.name.find('.');
    auto sec = k.name.substr(0, dot);
    if (sec != section) {
      if (!section.empty()) out << '\n';
      out << '[' << sec << "]\n";
      section = sec;
    }
    out << "# " << k.doc;
    if (k.max > k.min) out << " Range " << k.min << ".." << k.max << '.';
    out << '\n' << k.name.substr(dot + 1) << " = ";
    std::visit(
        [&](auto* p) {
          using T = std::remove_pointer_t<decltype(p)>;
          if constexpr (std::is_same_v<T, std::string>) out << toml_string(*p);
          else if constexpr (std::is_same_v<T, bool>) out << (*p ? "true" : "false");
          else out << *p;
        },
        k.field(c));
    out << '\n';
  }
  return out.str();
}

}  // namespace cadenza::config
