#include "cadenza/http/message.hpp"
#include <algorithm>

#include "cadenza/core/error.hpp"

namespace cadenza::http {

void Request::set_target(std::string raw_target) {
  target = std::move(raw_target);
  auto q = target.find('?');
  path = url_decode(std::string_view(target).substr(0, q));
  query.clear();
  if (q != std::string::npos) query = parse_query(std::string_view(target).substr(q + 1));
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

std::optional<std::string> Request::query_param(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

namespace {
// Deepest [ / { nesting of a JSON text (outside strings). Checked before parsing so that a hostile body
// cannot make the parser or later recursive code run deep.
int nesting_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}
constexpr int kMaxJsonDepth = 64;

// application/json or any application/<subtype>+json (merge-patch+json, ...), in any case, parameters allowed.
bool is_json_media_type(std::string_view content_type) {
  std::string t(content_type.substr(0, content_type.find(';')));
  t.erase(std::remove_if(t.begin(), t.end(), [](char c) { return c == ' ' || c == '\t'; }), t.end());
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string_view type(t), prefix = "application/", suffix = "+json";
  if (type.substr(0, prefix.size()) != prefix) return false;
  auto subtype = type.substr(prefix.size());
  if (subtype == "json") return true;
  return subtype.size() > suffix.size() && subtype.substr(subtype.size() - suffix.size()) == suffix &&
         subtype.find('/') == std::string_view::npos;
}
}  // namespace

const nlohmann::json& Request::json() const {
  Validation v;
  const auto& j = json(v);
  v.throw_if_failed();
  return j;
}

const nlohmann::json& Request::json(Validation& v) const {
  const auto& j = parsed();
  if (body_schema) {
    schema::validate(body_schema->schema, j, v);
    if (body_schema->rules) body_schema->rules(j, v);
  }
  return j;
}

const nlohmann::json& Request::parsed() const {
  if (parsed_) return *parsed_;
  if (body.empty() && !header("content-type") && body_schema && !body_schema->schema.contains("required"))
    return parsed_.emplace(nlohmann::json::object());
  // A form post (curl -d sends application/x-www-form-urlencoded) or text is refused rather than parsed
  // on a guess. A request without a body and without a Content-Type goes on (and fails below like any
  // other malformed body), as it always did.
  auto content_type = header("content-type");
  const bool declared_json = content_type && is_json_media_type(*content_type);
  if (!declared_json && (content_type || !body.empty()))
    throw Error(ErrorKind::UnsupportedMedia,
                (content_type ? "Content-Type " + std::string(*content_type) + " is not JSON"
                              : std::string("The request body has no Content-Type")) +
                    ": send it with Content-Type: application/json");
  // nlohmann's lexer stops at a NUL byte, which would accept "{…}\0junk"; NUL is never valid JSON text.
  if (body.find('\0') != std::string::npos)
    throw Error(ErrorKind::BadRequest, "Request body is not valid JSON", {{"body", "malformed JSON (NUL byte)"}});
  if (nesting_depth(body) > kMaxJsonDepth)
    throw Error(ErrorKind::BadRequest, "Request body is nested too deeply",
                {{"body", "more than " + std::to_string(kMaxJsonDepth) + " levels of nesting"}});
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(ErrorKind::BadRequest, "Request body is not valid JSON", {{"body", "malformed JSON"}});
  if (!j.is_object())
    throw Error(ErrorKind::BadRequest, "Request body must be a JSON object", {{"body", "expected an object"}});
  return parsed_.emplace(std::move(j));
}

const Principal& Request::who() const {
  if (!principal) throw Error(ErrorKind::Unauthorized, "Authentication required");
  return *principal;
}

Response Response::json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  r.content_type.clear();
  return r;
}

Response Response::streamed(int status, std::string content_type, BodyProducer producer) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.producer = std::move(producer);
  return r;
}

Response& Response::header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string url_encode(std::string_view s) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    if (!part.empty()) {
      auto eq = part.find('=');
      if (eq == std::string_view::npos) out.emplace(url_decode(part), "");
      else out.emplace(url_decode(part.substr(0, eq)), url_decode(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace cadenza::http
