#include "file_response.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <limits>

#include "cadenza/core/error.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/response_cache.hpp"

namespace cadenza::http::detail {
namespace {

// An MPEG audio frame header (11 sync bits, then no reserved version, layer, bit rate or sample rate).
bool is_mpeg_frame(std::string_view head) {
  if (head.size() < 3) return false;
  auto b1 = static_cast<unsigned char>(head[1]), b2 = static_cast<unsigned char>(head[2]);
  return static_cast<unsigned char>(head[0]) == 0xFF && (b1 & 0xE0) == 0xE0 && ((b1 >> 3) & 3) != 1 &&
         ((b1 >> 1) & 3) != 0 && (b2 >> 4) != 0xF && ((b2 >> 2) & 3) != 3;
}

std::optional<std::uint64_t> decimal(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

MediaType sniff(std::string_view head) {
  auto at = [&](std::size_t offset, std::string_view magic) {
    return offset <= head.size() && head.substr(offset, magic.size()) == magic;  // a file shorter than offset: no
  };
  if (at(0, "RIFF") && at(8, "WAVE")) return {"audio/wav", "wav"};
  if (at(0, "fLaC")) return {"audio/flac", "flac"};
  if (at(0, "OggS")) return {"audio/ogg", "ogg"};
  if (at(4, "ftyp")) return {"audio/mp4", "m4a"};  // ISO base media (M4A, MP4): the box after the size
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

std::string file_head(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return head;
}

// RFC 9110 §14.1.2; anything else is ignored, as §14.2 allows.
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

std::string http_date(std::filesystem::file_time_type t) {
  auto sys = std::chrono::file_clock::to_sys(t);
  std::time_t secs = std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(sys));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Response file_response(const Request& req, Response r, const FileVersion& file) {
  r.file_path = file.path.string();
  r.header("ETag", file.etag);
  if (!file.last_modified.empty()) r.header("Last-Modified", file.last_modified);
  r.header("Accept-Ranges", "bytes");
  // A range only of the version the client names: none when it already has the file (If-None-Match:
  // dispatch answers 304), the whole file when If-Range names another version.
  auto range = req.header("range");
  auto inm = req.header("if-none-match"), if_range = req.header("if-range");
  if (!range || (inm && etag_matches(*inm, file.etag))) return r;
  if (if_range && *if_range != file.etag && (file.last_modified.empty() || *if_range != file.last_modified)) return r;
  auto part = byte_range(*range, file.size);
  if (!part) return r;
  if (!part->satisfiable)
    return error_response(Error(ErrorKind::UnsatisfiableRange,
                                "Range not satisfiable: the file has " + std::to_string(file.size) + " bytes"))
        .header("Content-Range", "bytes */" + std::to_string(file.size));
  r.status = 206;
  r.file_offset = part->first;
  r.file_length = part->length;
  r.header("Content-Range", "bytes " + std::to_string(part->first) + "-" +
                                std::to_string(part->first + part->length - 1) + "/" + std::to_string(file.size));
  return r;
}

}  // namespace cadenza::http::detail
