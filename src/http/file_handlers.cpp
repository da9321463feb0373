// Files: upload into the tenant's blob store, download through expiring signed URLs, with the file's type,
// a file name and byte ranges.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/store/blob_repo.hpp"
#include "json_fields.hpp"

namespace cadenza::http {
namespace {

struct MediaType {
  const char* type;
  const char* extension;  // for the default file name
};

// An MPEG audio frame header (11 sync bits, then no reserved version, layer, bit rate or sample rate).
bool is_mpeg_frame(std::string_view head) {
  if (head.size() < 3) return false;
  auto b1 = static_cast<unsigned char>(head[1]), b2 = static_cast<unsigned char>(head[2]);
  return static_cast<unsigned char>(head[0]) == 0xFF && (b1 & 0xE0) == 0xE0 && ((b1 >> 3) & 3) != 1 &&
         ((b1 >> 1) & 3) != 0 && (b2 >> 4) != 0xF && ((b2 >> 2) & 3) != 3;
}

// A file's type from its first bytes: uploads are raw bytes whose declared type nobody checked.
MediaType sniff(std::string_view head) {
  auto at = [&](std::size_t offset, std::string_view magic) {
    return offset <= head.size() && head.substr(offset, magic.size()) == magic;  // a file shorter than offset: no
  };
  if (at(0, "RIFF") && at(8, "WAVE")) return {"audio/wav", "wav"};
  if (at(0, "fLaC")) return {"audio/flac", "flac"};
  if (at(0, "OggS")) return {"audio/ogg", "ogg"};
  if (at(0, "MThd")) return {"audio/midi", "mid"};
  if (at(0, "%PDF-")) return {"application/pdf", "pdf"};
  if (at(0, "ID3") || is_mpeg_frame(head)) return {"audio/mpeg", "mp3"};
  auto text = head.substr(at(0, "\xEF\xBB\xBF") ? 3 : 0);  // a UTF-8 byte order mark
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {"application/octet-stream", "bin"};
  if (text[first] == '<' && text.find("<score-partwise") != std::string_view::npos)
    return {"application/vnd.recordare.musicxml+xml", "musicxml"};
  if (text[first] == '{' || text[first] == '[') return {"application/json", "json"};
  return {"application/octet-stream", "bin"};
}

// Enough of a file to sniff (a MusicXML root element comes after the XML declaration and a DOCTYPE).
std::string file_head(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

// A file name fit for a Content-Disposition header and a file system: valid UTF-8 (invalid bytes are
// dropped), quotes, slashes, backslashes and control characters replaced by '_', no leading or trailing
// spaces or dots (no ".." or hidden files), at most 200 bytes. "" when nothing is left.
std::string clean_file_name(std::string_view name) {
  // nlohmann's dump with error_handler_t::ignore skips invalid UTF-8; parsing it back gives the valid rest.
  auto valid = nlohmann::json::parse(
                   nlohmann::json(std::string(name)).dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore))
                   .get<std::string>();
  for (auto& c : valid) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '"' || c == '/' || c == '\\') c = '_';
  }
  if (valid.size() > 200) {
    std::size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(valid[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    valid.resize(cut);
  }
  auto first = valid.find_first_not_of(" ."), last = valid.find_last_not_of(" .");
  return first == std::string::npos ? "" : valid.substr(first, last - first + 1);
}

// `attachment` with the name twice: filename= in ASCII (each other character, and '%' which some clients
// decode, as '_') for old clients, filename*= (RFC 8187) in full.
std::string content_disposition(const std::string& name) {
  std::string ascii;
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto u = static_cast<unsigned char>(name[i]);
    if ((u & 0xC0) == 0x80) continue;  // a continuation byte: its character is already a '_'
    ascii.push_back(u >= 0x80 || name[i] == '%' ? '_' : name[i]);
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + url_encode(name);
}

// A byte range of a Range header, or (satisfiable = false) one that lies outside the file.
struct ByteRange {
  std::uint64_t first = 0, length = 0;
  bool satisfiable = true;
};

std::optional<std::uint64_t> decimal(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The one range of "bytes=a-b", "bytes=a-" or "bytes=-n" (RFC 9110 §14.1.2) in a file of `size` bytes.
// nullopt: the header is to be ignored and the whole file sent, as RFC 9110 §14.2 allows for anything else
// (several ranges, another unit, a malformed or reversed range).
std::optional<ByteRange> byte_range(std::string_view header, std::uint64_t size) {
  const std::string_view unit = "bytes=";
  if (header.substr(0, unit.size()) != unit) return std::nullopt;
  auto spec = header.substr(unit.size());
  auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return std::nullopt;
  auto from = spec.substr(0, dash), to = spec.substr(dash + 1);
  if (from.empty()) {  // the last n bytes
    auto n = decimal(to);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) return ByteRange{0, 0, false};
    auto length = std::min(*n, size);
    return ByteRange{size - length, length};
  }
  auto first = decimal(from);
  auto last = to.empty() ? std::optional<std::uint64_t>(std::numeric_limits<std::uint64_t>::max()) : decimal(to);
  if (!first || !last || *last < *first) return std::nullopt;
  if (*first >= size) return ByteRange{0, 0, false};
  return ByteRange{*first, std::min(*last, size - 1) - *first + 1};
}


// The body (raw, or the part named "file" of a multipart/form-data form) arrives spooled to disk and
// hashed (see upload_spool.hpp); it moves into the blob store here. The name downloads offer: ?name=, else
// the form's "name" field, else the file part's filename.
Response upload(App& app, Request& req) {
  const auto& who = req.who();
  if (!req.upload) throw Error(ErrorKind::BadRequest, "Validation failed", {{"body", "the file is empty"}});
  const auto& up = *req.upload;
  for (const auto& [field, value] : up.fields)
    if (field != "name") throw Error(ErrorKind::BadRequest, "Validation failed", {{field, "unknown form field"}});
  if (up.size == 0)
    throw Error(ErrorKind::BadRequest, "Validation failed", {{up.multipart ? "file" : "body", "the file is empty"}});
  // The owner row first: a blob file is never without the row that keeps it (blob_repo).
  store::blob_repo::add_owner(app.tenants.get(who.tenant_id), up.sha256, who.account_id);
  auto sha = app.blobs.put_spooled(who.tenant_id, up.path, up.sha256);
  auto field = up.fields.find("name");
  auto name = clean_file_name(req.query_param("name").value_or(field != up.fields.end() ? field->second : up.filename));
  return Response::json(201, {{"id", sha},
                              {"size", up.size},
                              {"url", signed_url(app, who.tenant_id, sha, name)},
                              {"expiresInSeconds", app.config.storage.signed_url_ttl_s}});
}

Response download(App& app, Request& req) {
  const auto& tenant = req.params.at("tenant");
  const auto& sha = req.params.at("sha");
  auto expires = detail::query_int(req.query_param("expires"), "expires", -1, 0, 1LL << 40);
  auto sig = req.query_param("sig");
  auto name = req.query_param("name").value_or("");
  if (expires < 0 || !sig) throw Error(ErrorKind::Forbidden, "Download link is not signed");
  if (!app.blobs.verify(tenant, sha, expires, *sig, now_s(), name))
    throw Error(ErrorKind::Forbidden, "Download link is invalid or has expired");
  auto path = app.blobs.path(tenant, sha);
  if (!path) throw Error(ErrorKind::NotFound, "File not found");
  const auto size = static_cast<std::uint64_t>(std::filesystem::file_size(*path));
  const auto type = sniff(file_head(*path));
  const auto etag = "\"" + sha + "\"";
  name = clean_file_name(name);
  if (name.empty()) name = sha.substr(0, 12) + "." + type.extension;

  Response r;
  r.content_type = type.type;
  r.file_path = path->string();
  r.header("Cache-Control", "private, max-age=" + std::to_string(std::max<long long>(0, expires - now_s())));
  r.header("ETag", etag);
  r.header("Accept-Ranges", "bytes");
  r.header("Content-Disposition", content_disposition(name));
  // A range only of the version the client names: none when it already has the file (If-None-Match:
  // dispatch answers 304), the whole file when If-Range names another version.
  auto range = req.header("range");
  auto inm = req.header("if-none-match"), if_range = req.header("if-range");
  if (!range || (inm && etag_matches(*inm, etag)) || (if_range && *if_range != etag)) return r;
  auto part = byte_range(*range, size);
  if (!part) return r;
  if (!part->satisfiable)
    return error_response(Error(ErrorKind::UnsatisfiableRange,
                                "Range not satisfiable: the file has " + std::to_string(size) + " bytes"))
        .header("Content-Range", "bytes */" + std::to_string(size));
  r.status = 206;
  r.file_offset = part->first;
  r.file_length = part->length;
  r.header("Content-Range", "bytes " + std::to_string(part->first) + "-" +
                                std::to_string(part->first + part->length - 1) + "/" + std::to_string(size));
  return r;
}

}  // namespace

std::string signed_url(App& app, const std::string& tenant, const std::string& sha, const std::string& name) {
  auto expires = now_s() + app.config.storage.signed_url_ttl_s;
  return app.config.server.public_url + "/api/blobs/" + tenant + "/" + sha + "?" +
         (name.empty() ? "" : "name=" + url_encode(name) + "&") + app.blobs.signed_query(tenant, sha, expires, name);
}

void add_file_routes(App& app) {
  app.router.add("POST", "/api/files", [&app](Request& req) { return upload(app, req); },
                 {.upload = true});
  app.router.add("GET", "/api/blobs/{tenant}/{sha}", [&app](Request& req) { return download(app, req); },
                 {.access = Access::Public});
}

}  // namespace cadenza::http
