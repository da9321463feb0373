#include "multipart.hpp"

#include <algorithm>
#include <cctype>

#include "cadenza/core/error.hpp"

namespace cadenza::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "type; a=1; b="x; y"" -> the type, then each parameter (lower-case name, value unquoted). A quoted value
// runs to the next quote; no backslash escapes (browsers percent-encode quotes instead). nullopt when
// malformed (an unterminated quote, a parameter without '=', an empty name).
struct Param {
  std::string name, value;
};
std::optional<std::vector<Param>> parameters(std::string_view rest) {
  std::vector<Param> out;
  while (true) {
    rest = trim(rest);
    if (rest.empty()) return out;
    if (rest.front() != ';') return std::nullopt;
    rest = trim(rest.substr(1));
    if (rest.empty()) return out;  // a trailing ';'
    auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    Param p{lower(trim(rest.substr(0, eq))), {}};
    if (p.name.empty() || p.name.find_first_of(" \t;\"") != std::string::npos) return std::nullopt;
    rest = trim(rest.substr(eq + 1));
    if (!rest.empty() && rest.front() == '"') {
      auto close = rest.find('"', 1);
      if (close == std::string_view::npos) return std::nullopt;
      p.value = std::string(rest.substr(1, close - 1));
      rest = rest.substr(close + 1);
    } else {
      auto end = std::min(rest.find(';'), rest.size());
      p.value = std::string(trim(rest.substr(0, end)));
      rest = rest.substr(end);
    }
    out.push_back(std::move(p));
  }
}

Error malformed(const std::string& why) {
  return Error(ErrorKind::BadRequest, "Malformed multipart body: " + why, {{"body", why}});
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  auto semi = std::min(content_type.find(';'), content_type.size());
  if (lower(trim(content_type.substr(0, semi))) != "multipart/form-data") return std::nullopt;
  auto params = parameters(content_type.substr(semi));
  if (!params) throw malformed("the Content-Type's parameters are malformed");
  std::optional<std::string> boundary;
  for (auto& p : *params)
    if (p.name == "boundary") boundary = p.value;
  if (!boundary) throw malformed("the Content-Type has no boundary parameter");
  static constexpr std::string_view bchars =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";
  if (boundary->empty() || boundary->size() > 70 || boundary->find_first_not_of(bchars) != std::string::npos ||
      boundary->back() == ' ')
    throw malformed("the boundary must be 1 to 70 letters, digits or '()+_,-./:=? (not ending in a space)");
  return boundary;
}

MultipartParser::MultipartParser(std::string boundary, Callbacks callbacks, Limits limits)
    : delimiter_("\r\n--" + boundary), cb_(std::move(callbacks)), limits_(limits) {
  buf_ = "\r\n";  // the first delimiter may start the body: as if a line ended before it
}

void MultipartParser::fail(const std::string& why) {
  state_ = State::Failed;
  buf_.clear();
  throw malformed(why);
}

void MultipartParser::feed(std::string_view bytes) {
  if (state_ == State::Failed) throw malformed("the body was already refused");
  if (state_ == State::Epilogue) return;
  buf_.append(bytes);
  try {
    while (step()) {
    }
  } catch (...) {
    state_ = State::Failed;
    buf_.clear();
    throw;
  }
}

void MultipartParser::finish() {
  if (state_ == State::Failed) throw malformed("the body was already refused");
  if (state_ != State::Epilogue)
    fail(state_ == State::Preamble ? "no boundary line found (is the boundary right?)"
                                   : "the body ends before the closing boundary line");
}

bool MultipartParser::step() {
  switch (state_) {
    case State::Preamble: {
      auto at = buf_.find(delimiter_);
      if (at == std::string::npos) {
        // Keep what could be the start of a delimiter; the rest of the preamble is dropped.
        auto keep = std::min(buf_.size(), delimiter_.size() - 1);
        buf_.erase(0, buf_.size() - keep);
        return false;
      }
      buf_.erase(0, at + delimiter_.size());
      state_ = State::AfterDelimiter;
      return true;
    }
    case State::AfterDelimiter: {
      if (buf_.size() < 2) return false;
      if (buf_.compare(0, 2, "--") == 0) {
        if (parts_ == 0) fail("the closing boundary line comes before any part");
        state_ = State::Epilogue;
        buf_.clear();
        return false;
      }
      auto text = buf_.find_first_not_of(" \t");  // transport padding
      if (text == std::string::npos) {
        if (buf_.size() > 256) fail("a boundary line is followed by too many spaces");
        return false;
      }
      if (buf_[text] != '\r') fail("a boundary line must end with CRLF (is the boundary part of the content?)");
      if (buf_.size() < text + 2) return false;
      if (buf_[text + 1] != '\n') fail("a boundary line must end with CRLF");
      buf_.erase(0, text + 2);
      if (++parts_ > limits_.parts) fail("more than " + std::to_string(limits_.parts) + " parts");
      state_ = State::Headers;
      return true;
    }
    case State::Headers: {
      std::size_t block_end, consumed;
      if (buf_.size() >= 2 && buf_.compare(0, 2, "\r\n") == 0) {
        block_end = 0, consumed = 2;  // no header fields at all
      } else if (auto at = buf_.find("\r\n\r\n"); at != std::string::npos) {
        block_end = at, consumed = at + 4;
      } else {
        if (buf_.size() > limits_.header_bytes)
          fail("a part's header is larger than " + std::to_string(limits_.header_bytes) + " bytes");
        return false;
      }
      if (block_end > limits_.header_bytes)
        fail("a part's header is larger than " + std::to_string(limits_.header_bytes) + " bytes");
      parse_headers(std::string_view(buf_).substr(0, block_end));
      buf_.erase(0, consumed);
      state_ = State::Body;
      return true;
    }
    case State::Body: {
      auto at = buf_.find(delimiter_);
      if (at == std::string::npos) {
        // Everything but what could be the start of the delimiter is the part's.
        auto keep = std::min(buf_.size(), delimiter_.size() - 1);
        if (buf_.size() > keep) {
          cb_.data(std::string_view(buf_).substr(0, buf_.size() - keep));
          buf_.erase(0, buf_.size() - keep);
        }
        return false;
      }
      if (at > 0) cb_.data(std::string_view(buf_).substr(0, at));
      cb_.end();
      buf_.erase(0, at + delimiter_.size());
      state_ = State::AfterDelimiter;
      return true;
    }
    case State::Epilogue:
      buf_.clear();
      return false;
    case State::Failed:
      return false;
  }
  return false;
}

void MultipartParser::parse_headers(std::string_view block) {
  PartHeaders h;
  bool disposition = false;
  std::size_t i = 0;
  while (i < block.size()) {
    auto eol = std::min(block.find("\r\n", i), block.size());
    auto line = block.substr(i, eol - i);
    i = eol + 2;
    if (line.find_first_of("\r\n") != std::string_view::npos) fail("a part's header has a bare CR or LF");
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      fail("a part's header field is folded over lines");
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) fail("a part's header line is not 'Name: value'");
    auto name = lower(line.substr(0, colon));
    if (name.find_first_of(" \t") != std::string::npos) fail("a part's header name has a space");
    auto value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (disposition) fail("a part has two Content-Disposition fields");
      disposition = true;
      auto semi = std::min(value.find(';'), value.size());
      if (lower(trim(value.substr(0, semi))) != "form-data")
        fail("a part's Content-Disposition is not form-data");
      auto params = parameters(value.substr(semi));
      if (!params) fail("a part's Content-Disposition parameters are malformed");
      bool has_name = false;
      for (auto& p : *params) {
        if (p.name == "name") {
          if (has_name) fail("a part's Content-Disposition has two names");
          has_name = true;
          h.name = p.value;
        } else if (p.name == "filename") {
          if (h.filename) fail("a part's Content-Disposition has two filenames");
          h.filename = p.value;
        }
      }
      if (!has_name) fail("a part's Content-Disposition has no name");
    } else if (name == "content-type") {
      h.content_type = std::string(value);
    }
  }
  if (!disposition) fail("a part has no Content-Disposition: form-data; name=...");
  cb_.begin(h);
}

}  // namespace cadenza::http
