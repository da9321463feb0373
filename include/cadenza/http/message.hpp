#pragma once
// Beast-free request/response types: handlers include only this, so they compile fast and can be
// unit-tested without a socket. The session converts to and from Beast messages.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cadenza/core/schema.hpp"

namespace cadenza::http {

struct Principal {
  std::string account_id;
  std::string tenant_id;
  std::string role;  // "operator" | "admin" | "user"
  // Admin of its own tenant (an operator is one too: of the default tenant).
  bool is_admin() const { return role == "admin" || role == "operator"; }
  // The server's operator: creates tenants and accounts (admins) in any tenant.
  bool is_operator() const { return role == "operator"; }
};

// The body of an upload route (Route::upload), written to a spool file while it arrived and hashed on the
// way: handlers get this instead of `body`. Either the raw body or the file part of a multipart/form-data
// body.
struct Upload {
  std::string path;          // the spool file; removed after the handler unless it moved it (BlobStore::put_spooled)
  std::uint64_t size = 0;    // bytes
  std::string sha256;        // 64 lower-case hex digits
  bool multipart = false;    // the body was multipart/form-data
  std::string filename;      // multipart: the file part's filename ("" when it has none); raw: ""
  std::string content_type;  // multipart: the file part's Content-Type; raw: the request's ("" when none)
  std::map<std::string, std::string> fields;  // multipart: the other parts (short text fields) by name
  bool has_file = true;      // multipart: a part named "file" came
};

struct Request {
  std::string method;   // "GET", "POST", ...
  std::string target;   // raw target, path + query
  std::string path;     // decoded path without query
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string body;                  // empty on upload routes, which get `upload` instead
  std::optional<Upload> upload;      // upload routes: the spooled body
  std::string request_id;
  std::string remote;
  std::map<std::string, std::string> params;  // route parameters, e.g. {id}
  std::optional<Principal> principal;          // set by the auth step for authenticated routes

  // Sets target and, from it, path (percent-decoded) and query (parse_query).
  void set_target(std::string raw_target);
  // Header value by lower-case name.
  std::optional<std::string_view> header(std::string_view name) const;
  // Query parameter or nullopt.
  std::optional<std::string> query_param(const std::string& name) const;
  // The body parsed as a JSON object and checked against the route's body description (RouteOptions::body,
  // its schema and rules); parsed once. Error(UnsupportedMedia) when a body comes without a JSON
  // Content-Type (application/json or application/*+json), Error(BadRequest) when malformed, not an object,
  // or not as described (naming every bad field). A route whose body is optional (no required members)
  // reads an empty body as {}. The check runs when the handler first asks, so a handler decides what comes
  // first (whose profile it is, then what was sent).
  const nlohmann::json& json() const;
  // The same, but the problems go to v (nothing thrown for them), so the handler can add its own checks
  // and refuse once, naming all; fields with a problem in v must not be read.
  const nlohmann::json& json(Validation& v) const;
  const schema::Body* body_schema = nullptr;  // set by dispatch from the route
  const Principal& who() const;  // the principal; Error(Unauthorized) if absent

 private:
  const nlohmann::json& parsed() const;
  mutable std::optional<nlohmann::json> parsed_;
};

// One piece of a body produced while it is sent (Response::streamed).
struct BodyPiece {
  std::string data;   // may be empty: nothing yet (with !last: the producer is asked again a moment later)
  bool last = false;  // the body ends after data
};
// Produces a streamed body piece by piece. The session calls it on the blocking pool (never an IO thread),
// one call at a time, and only once the previous piece has been written to the socket: a client that reads
// slowly is simply asked less often, so the server holds one piece per response. Keep pieces small (tens of
// KiB). Throwing ends the response abruptly (the status line went out long ago): the connection is closed.
using BodyProducer = std::function<BodyPiece()>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string file_path;  // when set, the body is streamed from this file instead of `body`
  std::uint64_t file_offset = 0;             // ... from this byte
  std::optional<std::uint64_t> file_length;  // ... this many bytes (nullopt: to the end of the file)
  BodyProducer producer;  // when set, the body is produced while it is sent (chunked transfer encoding)
  // How long the session waits before asking a producer again after an empty, not-last piece.
  std::chrono::milliseconds producer_poll{50};

  static Response json(int status, const nlohmann::json& body);
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response empty(int status);
  static Response streamed(int status, std::string content_type, BodyProducer producer);
  Response& header(std::string name, std::string value);
};

// Splits "a=1&b=x%20y" into a map, percent-decoding keys and values.
std::map<std::string, std::string> parse_query(std::string_view query);
std::string url_decode(std::string_view s);
// Percent-encodes every byte but A-Z a-z 0-9 - . _ ~: safe in a query value and as an RFC 8187 value
// (filename*=UTF-8''...).
std::string url_encode(std::string_view s);

}  // namespace cadenza::http
