#pragma once
// Internal to the http module: answering with a file on disk (blob downloads, track audio), whole or as
// one byte range (RFC 9110 §14), and what type of file it is.
//
//   no Range, or one to ignore (several ranges, another unit, malformed, reversed)  -> 200, the whole file
//   If-None-Match naming this version                                                -> dispatch answers 304
//   If-Range naming another version (an entity tag or a date, compared exactly)      -> 200, the whole file
//   bytes=a-b | a- | -n inside the file                                              -> 206 + Content-Range
//   a range outside the file (or an empty one)                                       -> 416, Content-Range bytes */size
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "cadenza/http/message.hpp"

namespace cadenza::http::detail {

struct MediaType {
  const char* type;
  const char* extension;  // for a default file name
};

// A file's type from its first bytes (WAV, FLAC, Ogg, MP4/M4A, MIDI, PDF, MP3, MusicXML, JSON, else
// application/octet-stream): uploads are raw bytes whose declared type nobody checked.
MediaType sniff(std::string_view head);
// Enough of a file to sniff (a MusicXML root element comes after the XML declaration and a DOCTYPE).
std::string file_head(const std::filesystem::path& path);

// One range of a Range header, or (satisfiable = false) one that lies outside the file.
struct ByteRange {
  std::uint64_t first = 0, length = 0;
  bool satisfiable = true;
};
// The one range of "bytes=a-b", "bytes=a-" or "bytes=-n" in a file of `size` bytes; nullopt: the header is
// to be ignored and the whole file sent.
std::optional<ByteRange> byte_range(std::string_view header, std::uint64_t size);

// The version of a file being served.
struct FileVersion {
  std::filesystem::path path;
  std::uint64_t size = 0;
  std::string etag;           // strong, quoted
  std::string last_modified;  // an HTTP date; "" for none
};

// An HTTP date (RFC 9110 §5.6.7, IMF-fixdate) of a file's modification time.
std::string http_date(std::filesystem::file_time_type t);

// Completes `r` (its type and other headers already set) as the answer with `file` to `req`: sets the file,
// ETag, Last-Modified and Accept-Ranges, then applies Range / If-Range as above.
Response file_response(const Request& req, Response r, const FileVersion& file);

}  // namespace cadenza::http::detail
