#pragma once
// Outbound HTTP for audio_url downloads and webhook deliveries (libcurl), never reaching an address the
// AddressRules refuse. The rule is enforced on the address each socket is about to connect to (libcurl's
// open-socket callback), for the first request and for every redirect, so a name that resolves to a public
// address for a check and to an internal one for the connection (DNS rebinding) gets nowhere. Only http and
// https, no proxies (proxy environment variables are ignored), a User-Agent of "Cadenza/0.1". Thread-safe:
// every call uses its own handle; libcurl's global state is initialised once on first use.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/net/address_rules.hpp"

namespace cadenza::net {

// Longest URL check_url() accepts.
inline constexpr std::size_t max_url_length = 2048;

// Throws Error(BadRequest, ..., {{field, why}}) unless `url` is an absolute http:// or https:// URL with a
// host, no user name or password (user:pass@) and at most max_url_length characters.
void check_url(std::string_view url, std::string_view field);

// Why a URL (one check_url accepts) cannot be reached when its host is an address literal the rules refuse
// ("http://10.0.0.1/", "http://[::1]/"): known before any lookup, so a request can be refused at once.
// nullopt for a host name (judged when it is resolved) or an allowed address.
std::optional<std::string> literal_refusal(std::string_view url, const AddressRules& rules);

struct FetchLimits {
  std::int64_t max_bytes = 200LL << 20;  // largest body
  int timeout_s = 120;                   // the whole download, redirects included
  int max_redirects = 5;                 // 0: a redirect is an error
};

struct FetchResult {
  long status = 0;           // the final response's status (2xx)
  std::string content_type;  // as the server sent it ("audio/wav"; "" when it sent none)
  std::int64_t bytes = 0;    // written to dest
  std::string final_url;     // after redirects
};

// Thrown by download() when `cancelled` turned true (checked several times a second, also while
// connecting). An Error of kind Unavailable, so a caller that only catches cadenza::Error still sees a
// failure; a job whose own cancelled() is true discards it either way.
class Cancelled : public Error {
 public:
  Cancelled() : Error(ErrorKind::Unavailable, "the download was cancelled") {}
};

// GETs `url` into `dest`: the body goes to dest + ".part", renamed to dest when complete; on any failure
// nothing is left at either path. check_url() runs first (Error(BadRequest) with field "audio_url").
// Every other failure throws Error(Unprocessable) with a message a user understands and the same text under
// the field "audio_url":
//   an address the rules refuse ("... 10.1.2.3 is a private address"), a host that cannot be resolved or
//   reached, a timeout, a final status that is not 2xx ("the link answered 404 Not Found"), a body over
//   limits.max_bytes (by Content-Length up front, and counted while receiving), more than
//   limits.max_redirects redirects, a redirect to anything but http/https, a content type that is not audio
//   (text/*, JSON, XML, images, ...: "the link points at a web page (text/html), not an audio file";
//   accepted: audio/*, video/*, application/ogg, application/octet-stream, binary/octet-stream, a few
//   application/x-* audio types, and none at all), an empty body ("the link returned no data").
// A cancel throws Cancelled.
FetchResult download(const std::string& url, const std::filesystem::path& dest, const FetchLimits& limits,
                     const AddressRules& rules, const std::function<bool()>& cancelled = {});

struct PostResult {
  long status = 0;    // the HTTP status; 0 when there was no HTTP answer
  std::string error;  // why there was no answer (status 0): refused address, unreachable, timeout, bad URL
};

// POSTs `body` as application/json (unless `headers` name another Content-Type) with `headers` added.
// Never throws for network problems or a bad URL (a webhook retry loop calls it): those come back as
// status 0 with an error. Redirects are not followed (a 3xx is returned as it is); the response body is
// read up to 64 KiB and discarded. A header whose name or value could split the request (CR, LF, NUL, or a
// name that is no HTTP token) is an error too.
PostResult post_json(const std::string& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers, int timeout_s,
                     const AddressRules& rules);

}  // namespace cadenza::net
