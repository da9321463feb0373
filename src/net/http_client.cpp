#include "cadenza/net/http_client.hpp"

#include <curl/curl.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>

namespace cadenza::net {

namespace {

constexpr const char* user_agent = "Cadenza/0.1";
constexpr std::size_t post_body_cap = 64 * 1024;  // response bytes post_json reads before it hangs up

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw Error{ErrorKind::Internal, "libcurl could not be initialised"};
  });
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

Easy new_easy() {
  global_init();
  Easy h{curl_easy_init()};
  if (!h) throw Error{ErrorKind::Internal, "libcurl could not create a transfer"};
  return h;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// The address rule, applied by libcurl's open-socket callback to every connection it makes (each address
// it tries for a name, each redirect). The refusals are kept to explain a failed transfer.
struct Guard {
  const AddressRules* rules = nullptr;
  std::vector<std::string> refused;  // distinct reasons, in order, at most a few

  void refuse(std::string why) {
    if (refused.size() < 4 && std::find(refused.begin(), refused.end(), why) == refused.end())
      refused.push_back(std::move(why));
  }
  std::string reasons() const {
    std::string out;
    for (const auto& r : refused) out += (out.empty() ? "" : "; ") + r;
    return out;
  }
};

curl_socket_t open_socket(void* clientp, curlsocktype purpose, curl_sockaddr* address) noexcept {
  auto* g = static_cast<Guard*>(clientp);
  try {
    if (purpose != CURLSOCKTYPE_IPCXN) {
      g->refuse("only outgoing connections are allowed");
      return CURL_SOCKET_BAD;
    }
    if (auto why = g->rules->refusal(&address->addr)) {
      g->refuse(*why);
      return CURL_SOCKET_BAD;
    }
  } catch (...) {
    g->refuse("the address could not be checked");
    return CURL_SOCKET_BAD;
  }
  int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  return fd < 0 ? CURL_SOCKET_BAD : fd;
}

// Options every transfer has: the address rule, http/https only, no proxy, no signals, timeouts.
void setup_common(CURL* h, Guard& guard, int timeout_s, char* errbuf) {
  timeout_s = std::max(1, timeout_s);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &open_socket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &guard);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(timeout_s));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::min(timeout_s, 15)));
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED));
  curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
}

// What a failed transfer means to a user; `what` names the target ("the link", "the webhook URL").
std::string describe(CURLcode rc, const Guard& guard, const char* errbuf, int timeout_s, int max_redirects,
                     std::string_view what) {
  std::string w(what);
  if (!guard.refused.empty() && rc == CURLE_COULDNT_CONNECT)
    return w + " leads to an address that may not be reached: " + guard.reasons();
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: return w + "'s host name could not be found";
    case CURLE_COULDNT_CONNECT: return w + "'s server could not be reached";
    case CURLE_OPERATION_TIMEDOUT:
      return w + " did not finish answering within " + std::to_string(std::max(1, timeout_s)) + " seconds";
    case CURLE_TOO_MANY_REDIRECTS:
      return w + " redirected more than " + std::to_string(max_redirects) + " time" + (max_redirects == 1 ? "" : "s");
    case CURLE_UNSUPPORTED_PROTOCOL: return w + " redirected to a URL that is not http:// or https://";
    case CURLE_GOT_NOTHING: return w + "'s server closed the connection without an answer";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE: return "the connection to " + w + "'s server broke off";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return w + "'s secure (https) connection failed" + (*errbuf ? std::string(": ") + errbuf : std::string());
    default: break;
  }
  return w + " could not be fetched (" + (*errbuf ? std::string(errbuf) : std::string(curl_easy_strerror(rc))) + ")";
}

const char* reason_phrase(long status) {
  switch (status) {
    case 300: return "Multiple Choices";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 429: return "Too Many Requests";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

// nullopt when a body of this content type may be an audio file.
std::optional<std::string> content_type_refusal(const std::string& content_type) {
  auto semi = content_type.find(';');
  auto mt = lower(trim(std::string_view(content_type).substr(0, semi)));
  if (mt.empty()) return std::nullopt;
  auto starts = [&](std::string_view p) { return mt.compare(0, p.size(), p) == 0; };
  auto ends = [&](std::string_view s) { return mt.size() >= s.size() && mt.compare(mt.size() - s.size(), s.size(), s) == 0; };
  if (starts("audio/") || starts("video/")) return std::nullopt;
  static const char* const accepted[] = {"application/ogg",    "application/x-ogg",  "application/octet-stream",
                                         "binary/octet-stream", "application/flac", "application/x-flac",
                                         "application/mp4",     "application/x-wav"};
  for (const char* a : accepted)
    if (mt == a) return std::nullopt;
  std::string tail = " (" + mt + "), not an audio file";
  if (mt == "text/html" || mt == "application/xhtml+xml") return "the link points at a web page" + tail;
  if (starts("text/")) return "the link points at text" + tail;
  if (mt == "application/json" || ends("+json")) return "the link points at JSON data" + tail;
  if (mt == "application/xml" || ends("+xml")) return "the link points at XML data" + tail;
  if (starts("image/")) return "the link points at an image" + tail;
  return "the link points at a document of type " + mt + ", not an audio file";
}

// One download's state, shared by the header, body and progress callbacks.
struct Download {
  Guard guard;
  FetchLimits limits;
  const std::function<bool()>* cancelled = nullptr;
  std::FILE* out = nullptr;
  // The response whose headers are arriving (reset at each status line: redirects, 100 Continue).
  long status = 0;
  std::string reason;
  std::string content_type;
  std::int64_t content_length = -1;
  bool has_location = false;
  bool final_headers = false;  // the headers of the answer whose body we keep were accepted
  std::string failure;         // set by a callback that aborted the transfer
  bool internal_failure = false;
  bool was_cancelled = false;
  std::int64_t received = 0;
};

std::string too_large(std::int64_t max_bytes) {
  return "the file is larger than the limit of " + std::to_string(max_bytes) + " bytes";
}

// Judges the headers of the answer whose body is the download; false (with d.failure) to refuse it.
bool accept_final_headers(Download& d) {
  const long s = d.status;
  if (s < 200 || s >= 300) {
    std::string phrase = d.reason.empty() ? reason_phrase(s) : d.reason;
    d.failure = s == 0 ? std::string("the link gave no valid HTTP answer")
                       : "the link answered " + std::to_string(s) + (phrase.empty() ? "" : " " + phrase);
    return false;
  }
  if (d.content_length > d.limits.max_bytes) {
    d.failure = too_large(d.limits.max_bytes);
    return false;
  }
  if (auto why = content_type_refusal(d.content_type)) {
    d.failure = *why;
    return false;
  }
  d.final_headers = true;
  return true;
}

size_t on_header(char* data, size_t size, size_t n, void* p) noexcept {
  auto* d = static_cast<Download*>(p);
  const size_t len = size * n;
  try {
    auto line = trim(std::string_view(data, len));
    if (line.compare(0, 5, "HTTP/") == 0) {
      d->status = 0;
      d->reason.clear();
      d->content_type.clear();
      d->content_length = -1;
      d->has_location = false;
      auto sp = line.find(' ');
      if (sp != std::string_view::npos) {
        auto rest = trim(line.substr(sp + 1));
        long code = 0;
        size_t i = 0;
        for (; i < rest.size() && i < 3 && rest[i] >= '0' && rest[i] <= '9'; ++i) code = code * 10 + (rest[i] - '0');
        d->status = code;
        d->reason = std::string(trim(rest.substr(i)));
      }
      return len;
    }
    if (line.empty()) {  // the end of one response's headers
      const long s = d->status;
      if (s >= 100 && s < 200) return len;
      if ((s == 301 || s == 302 || s == 303 || s == 307 || s == 308) && d->has_location) return len;  // followed
      return accept_final_headers(*d) ? len : 0;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return len;
    auto name = lower(trim(line.substr(0, colon)));
    auto value = trim(line.substr(colon + 1));
    if (name == "content-type") {
      d->content_type = std::string(value);
    } else if (name == "content-length") {
      std::int64_t v = 0;
      bool ok = !value.empty();
      for (char c : value) {
        if (c < '0' || c > '9' || v > (INT64_MAX - 9) / 10) {
          ok = false;
          break;
        }
        v = v * 10 + (c - '0');
      }
      d->content_length = ok ? v : -1;
    } else if (name == "location") {
      d->has_location = !value.empty();
    }
    return len;
  } catch (...) {
    d->failure = "the link's answer could not be read";
    return 0;
  }
}

size_t on_body(char* data, size_t size, size_t n, void* p) noexcept {
  auto* d = static_cast<Download*>(p);
  const size_t len = size * n;
  // Headers are judged at their blank line; should a body come without one, they are judged now.
  try {
    if (!d->final_headers && !accept_final_headers(*d)) return 0;
  } catch (...) {
    return 0;
  }
  if (d->received + static_cast<std::int64_t>(len) > d->limits.max_bytes) {
    d->failure = too_large(d->limits.max_bytes);
    return 0;
  }
  if (std::fwrite(data, 1, len, d->out) != len) {
    d->failure = "the download could not be written to disk";
    d->internal_failure = true;
    return 0;
  }
  d->received += static_cast<std::int64_t>(len);
  return len;
}

int on_progress(void* p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) noexcept {
  auto* d = static_cast<Download*>(p);
  try {
    if (d->cancelled && *d->cancelled && (*d->cancelled)()) {
      d->was_cancelled = true;
      return 1;
    }
  } catch (...) {
    d->was_cancelled = true;
    return 1;
  }
  if (dlnow > d->limits.max_bytes || (d->final_headers && dltotal > d->limits.max_bytes)) {
    d->failure = too_large(d->limits.max_bytes);
    return 1;
  }
  return 0;
}

[[noreturn]] void fail_download(const std::string& why, bool internal = false) {
  if (internal) throw Error{ErrorKind::Internal, "could not download audio_url: " + why};
  throw Error{ErrorKind::Unprocessable, "could not download audio_url: " + why, {{"audio_url", why}}};
}

bool header_token(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

struct Discard {
  std::size_t read = 0;
  bool capped = false;
};

size_t on_discard(char*, size_t size, size_t n, void* p) noexcept {
  auto* d = static_cast<Discard*>(p);
  d->read += size * n;
  if (d->read > post_body_cap) {
    d->capped = true;
    return 0;
  }
  return size * n;
}

}  // namespace

void check_url(std::string_view url, std::string_view field) {
  const std::string f(field);
  auto bad = [&](const std::string& why) -> void {
    throw Error{ErrorKind::BadRequest, f + " " + why, {{f, why}}};
  };
  if (url.empty()) bad("must be an http:// or https:// link");
  if (url.size() > max_url_length) bad("is longer than " + std::to_string(max_url_length) + " characters");
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7F) bad("must not contain spaces or control characters");
  global_init();
  std::unique_ptr<CURLU, UrlDeleter> u{curl_url()};
  if (!u) throw Error{ErrorKind::Internal, "libcurl could not parse a URL"};
  const std::string s(url);
  // No default scheme: a URL without one is not absolute. Other schemes parse so that we can name them.
  if (curl_url_set(u.get(), CURLUPART_URL, s.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
    bad("is not a valid absolute http:// or https:// URL");
  auto part = [&](CURLUPart which) -> std::optional<std::string> {
    char* v = nullptr;
    if (curl_url_get(u.get(), which, &v, 0) != CURLUE_OK || v == nullptr) return std::nullopt;
    std::string out(v);
    curl_free(v);
    return out;
  };
  auto scheme = lower(part(CURLUPART_SCHEME).value_or(""));
  if (scheme != "http" && scheme != "https")
    bad("must be an http:// or https:// link" + (scheme.empty() ? std::string() : ", not " + scheme + "://"));
  // curl accepts "http:/x" and "http:x" leniently; insist on the two slashes.
  if (s.size() < scheme.size() + 3 || s.compare(scheme.size(), 3, "://") != 0)
    bad("is not a valid absolute http:// or https:// URL");
  if (part(CURLUPART_USER) || part(CURLUPART_PASSWORD))
    bad("must not contain a user name or password");
  auto host = part(CURLUPART_HOST);
  if (!host || host->empty()) bad("has no host");
}

std::optional<std::string> literal_refusal(std::string_view url, const AddressRules& rules) {
  global_init();
  std::unique_ptr<CURLU, UrlDeleter> u{curl_url()};
  if (!u) return std::nullopt;
  const std::string s(url);
  if (curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK) return std::nullopt;
  char* v = nullptr;
  if (curl_url_get(u.get(), CURLUPART_HOST, &v, 0) != CURLUE_OK || v == nullptr) return std::nullopt;
  std::string host(v);
  curl_free(v);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto zone = host.find('%');  // fe80::1%eth0
  if (zone != std::string::npos) host.resize(zone);
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) != 1 && inet_pton(AF_INET6, host.c_str(), buf) != 1) return std::nullopt;
  return rules.refusal(host);
}

FetchResult download(const std::string& url, const std::filesystem::path& dest, const FetchLimits& limits,
                     const AddressRules& rules, const std::function<bool()>& cancelled) {
  check_url(url, "audio_url");
  if (cancelled && cancelled()) throw Cancelled{};
  auto h = new_easy();
  char errbuf[CURL_ERROR_SIZE] = {};

  Download d;
  d.guard.rules = &rules;
  d.limits = limits;
  d.cancelled = &cancelled;

  auto part = dest;
  part += ".part";
  d.out = std::fopen(part.c_str(), "wb");
  if (!d.out) fail_download("the download file " + part.string() + " could not be created", true);
  auto discard_part = [&] {
    if (d.out) std::fclose(d.out);
    d.out = nullptr;
    std::error_code ec;
    std::filesystem::remove(part, ec);
  };

  CURL* c = h.get();
  setup_common(c, d.guard, limits.timeout_s, errbuf);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, static_cast<long>(std::max(0, limits.max_redirects)));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &d);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &d);

  const CURLcode rc = curl_easy_perform(c);
  if (d.was_cancelled || (rc != CURLE_OK && cancelled && cancelled())) {
    discard_part();
    throw Cancelled{};
  }
  if (rc != CURLE_OK) {
    discard_part();
    if (!d.failure.empty()) fail_download(d.failure, d.internal_failure);
    if (rc == CURLE_FILESIZE_EXCEEDED) fail_download(too_large(limits.max_bytes));
    fail_download(describe(rc, d.guard, errbuf, limits.timeout_s, limits.max_redirects, "the link"));
  }
  if (!d.final_headers && !accept_final_headers(d)) {
    discard_part();
    fail_download(d.failure);
  }
  if (d.received == 0) {
    discard_part();
    fail_download("the link returned no data");
  }
  bool closed = std::fclose(d.out) == 0;
  d.out = nullptr;
  if (!closed) {
    discard_part();
    fail_download("the download could not be written to disk", true);
  }
  std::error_code ec;
  std::filesystem::rename(part, dest, ec);
  if (ec) {
    discard_part();
    fail_download("the download could not be moved into place (" + ec.message() + ")", true);
  }

  FetchResult r;
  r.status = d.status;
  r.content_type = d.content_type;
  r.bytes = d.received;
  char* eff = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff) r.final_url = eff;
  return r;
}

PostResult post_json(const std::string& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers, int timeout_s,
                     const AddressRules& rules) {
  PostResult r;
  try {
    check_url(url, "url");
  } catch (const Error& e) {
    r.error = e.what();
    return r;
  }
  Slist list;
  bool has_type = false;
  auto append = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (!next) return false;
    (void)list.release();
    list.reset(next);
    return true;
  };
  for (const auto& [name, value] : headers) {
    if (!header_token(name) || value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      r.error = "header \"" + name + "\" has a name or value that is not allowed";
      return r;
    }
    if (lower(name) == "content-type") has_type = true;
    // "Name;" sends a header with an empty value ("Name:" would remove it).
    if (!append(value.empty() ? name + ";" : name + ": " + value)) {
      r.error = "out of memory";
      return r;
    }
  }
  if (!has_type && !append("Content-Type: application/json")) r.error = "out of memory";
  if (!append("Expect:")) r.error = "out of memory";  // no 100-continue round trip
  if (!r.error.empty()) return r;

  Easy h;
  try {
    h = new_easy();
  } catch (const Error& e) {
    r.error = e.what();
    return r;
  }
  CURL* c = h.get();
  char errbuf[CURL_ERROR_SIZE] = {};
  Guard guard;
  guard.rules = &rules;
  Discard discard;
  setup_common(c, guard, timeout_s, errbuf);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_discard);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &discard);

  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (code > 0) {
    r.status = code;
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && discard.capped))
      r.error = describe(rc, guard, errbuf, timeout_s, 0, "the URL");
    return r;
  }
  r.error = rc == CURLE_OK ? std::string("no HTTP answer") : describe(rc, guard, errbuf, timeout_s, 0, "the URL");
  return r;
}

}  // namespace cadenza::net
