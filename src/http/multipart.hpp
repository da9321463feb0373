#pragma once
// A streaming multipart/form-data parser (RFC 7578 over RFC 2046), internal to the http module and
// Beast-free: the body is fed in pieces of any size (a delimiter may be split across them) and each part
// comes out as begin (its headers), data (zero or more pieces), end. Memory stays bounded: at most one
// part header block (Limits::header_bytes) and a delimiter's length of data are held back.
//
// The grammar accepted: optional preamble, then "--boundary" (at the very start or after CRLF), optional
// spaces or tabs, CRLF, a part's header fields (CRLF-terminated "Name: value" lines, then an empty line),
// its bytes, then CRLF "--boundary" again; after the last part "--boundary--" and an epilogue, both
// ignored. Each part must have "Content-Disposition: form-data; name=..." (quoted or not; a quoted value
// runs to the next quote, as browsers send it: they percent-encode quotes, CR and LF in names).
// Anything else is Error(BadRequest) "Malformed multipart body: ..." with field "body".
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cadenza::http {

// The boundary of a "multipart/form-data; boundary=..." Content-Type; nullopt for any other type.
// Error(BadRequest) when it is multipart/form-data without a valid boundary (1 to 70 characters of
// RFC 2046's bchars, not ending in a space).
std::optional<std::string> multipart_boundary(std::string_view content_type);

struct PartHeaders {
  std::string name;                     // Content-Disposition's name
  std::optional<std::string> filename;  // ... its filename, when given (may be empty)
  std::string content_type;             // the part's Content-Type, "" when absent
};

class MultipartParser {
 public:
  struct Limits {
    std::size_t header_bytes = 8 * 1024;  // one part's header block
    std::size_t parts = 64;
  };
  struct Callbacks {
    std::function<void(const PartHeaders&)> begin;
    std::function<void(std::string_view)> data;
    std::function<void()> end;
  };

  MultipartParser(std::string boundary, Callbacks callbacks, Limits limits);
  MultipartParser(std::string boundary, Callbacks callbacks) : MultipartParser(std::move(boundary), std::move(callbacks), Limits{}) {}

  // The next piece of the body. Error(BadRequest) on malformed input (and every call after one); what the
  // callbacks throw goes through, and ends the parse the same way.
  void feed(std::string_view bytes);
  // The body has ended: Error(BadRequest) unless the closing delimiter came.
  void finish();
  // The closing delimiter came (what follows is epilogue).
  bool done() const { return state_ == State::Epilogue; }

 private:
  enum class State { Preamble, AfterDelimiter, Headers, Body, Epilogue, Failed };
  [[noreturn]] void fail(const std::string& why);
  bool step();  // one transition on buf_; false when more bytes are needed
  void parse_headers(std::string_view block);

  std::string delimiter_;  // CRLF "--" boundary
  Callbacks cb_;
  Limits limits_;
  State state_ = State::Preamble;
  std::string buf_;  // bytes not yet consumed
  std::size_t parts_ = 0;
};

}  // namespace cadenza::http
