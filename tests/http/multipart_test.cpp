// The streaming multipart/form-data parser: parts and their headers, delimiters split across pieces of
// every size, CRLF rules, preamble and epilogue, malformed input and limits.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "cadenza/core/error.hpp"
#include "http/multipart.hpp"

using namespace cadenza;
using namespace cadenza::http;

namespace {

struct Got {
  PartHeaders headers;
  std::string data;
  bool ended = false;
};

// Parses `body` fed in pieces of `piece` bytes (0: all at once); the parts seen.
std::vector<Got> parse(const std::string& boundary, const std::string& body, std::size_t piece = 0,
                       MultipartParser::Limits limits = {}) {
  std::vector<Got> parts;
  MultipartParser p(boundary,
                    {[&](const PartHeaders& h) { parts.push_back({h, {}, false}); },
                     [&](std::string_view d) {
                       REQUIRE(!parts.empty());
                       CHECK_FALSE(parts.back().ended);
                       parts.back().data.append(d);
                     },
                     [&] { parts.back().ended = true; }},
                    limits);
  if (piece == 0) piece = body.size() + 1;
  for (std::size_t i = 0; i < body.size(); i += piece) p.feed(std::string_view(body).substr(i, piece));
  p.finish();
  CHECK(p.done());
  return parts;
}

// The message of the BadRequest that parsing throws ("" and a failed check when it throws nothing else).
std::string refusal(const std::string& boundary, const std::string& body, std::size_t piece = 0,
                    MultipartParser::Limits limits = {}) {
  try {
    parse(boundary, body, piece, limits);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadRequest);
    CHECK(e.fields().count("body") == 1);
    return e.what();
  }
  FAIL("accepted: " << body);
  return "";
}

std::string noise(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  // Mostly bytes that start delimiters, so near-misses are everywhere.
  const char alphabet[] = {'\r', '\n', '-', 'X', 'y', '\0', '\xff', 'B'};
  for (auto& c : s) c = alphabet[rng() % sizeof alphabet];
  return s;
}

const std::string kB = "----cadenzaBoundary7MA4YWxk";

std::string form(const std::string& file_bytes) {
  return "--" + kB + "\r\n" +
         "Content-Disposition: form-data; name=\"name\"\r\n\r\n"
         "My take\r\n"
         "--" + kB + "\r\n" +
         "Content-Disposition: form-data; name=\"file\"; filename=\"F\xc3\xbcr Elise.wav\"\r\n"
         "Content-Type: audio/wav\r\n\r\n" +
         file_bytes + "\r\n--" + kB + "--\r\n";
}

}  // namespace

TEST_CASE("multipart: parts, their names, filenames and types, byte-exact") {
  const auto bytes = noise(5000, 1);
  auto parts = parse(kB, form(bytes));
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].headers.name == "name");
  CHECK_FALSE(parts[0].headers.filename);
  CHECK(parts[0].headers.content_type == "");
  CHECK(parts[0].data == "My take");
  CHECK(parts[1].headers.name == "file");
  REQUIRE(parts[1].headers.filename);
  CHECK(*parts[1].headers.filename == "F\xc3\xbcr Elise.wav");
  CHECK(parts[1].headers.content_type == "audio/wav");
  CHECK(parts[1].data == bytes);
  CHECK(parts[0].ended);
  CHECK(parts[1].ended);
}

TEST_CASE("multipart: a delimiter split across pieces of any size gives the same parts") {
  // Content full of CR, LF and dashes, and near-misses of the delimiter: "\r\n--" + a prefix of the boundary.
  std::string bytes = noise(3000, 2) + "\r\n--" + kB.substr(0, 10) + noise(50, 3) + "\r\n-" + "\r\n--" +
                      kB.substr(0, kB.size() - 1) + "\r";
  const auto body = form(bytes);
  for (std::size_t piece : {1, 2, 3, 5, 7, 13, 31, 64, 100, 4096}) {
    INFO("pieces of " << piece);
    auto parts = parse(kB, body, piece);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].data == "My take");
    CHECK(parts[1].data == bytes);
  }
  // Every single split point.
  for (std::size_t cut = 0; cut <= body.size(); cut += 1) {
    std::vector<std::string> data;
    MultipartParser p(kB, {[&](const PartHeaders&) { data.emplace_back(); }, [&](std::string_view d) { data.back().append(d); },
                           [] {}});
    p.feed(std::string_view(body).substr(0, cut));
    p.feed(std::string_view(body).substr(cut));
    p.finish();
    REQUIRE(data.size() == 2);
    if (data[1] != bytes) FAIL("split at " << cut);
  }
}

TEST_CASE("multipart: preamble, epilogue, transport padding, empty parts and parts without headers") {
  auto parts = parse("b", "This is the preamble.\r\n--b  \t\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n"
                          "--b--\r\nand an epilogue\r\n--b\r\n");
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].headers.name == "a");
  CHECK(parts[0].data == "v");
  // A part needs a Content-Disposition; one with an empty body, after padding, is fine.
  CHECK(refusal("b", "--b\r\n\r\nno headers\r\n--b--").find("no Content-Disposition") != std::string::npos);
  auto empty = parse("b", "preamble\r\n--b \r\nContent-Disposition: form-data; name=file; filename=\"\"\r\n\r\n\r\n--b--");
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].headers.name == "file");
  CHECK(empty[0].headers.filename == std::string());
  CHECK(empty[0].data.empty());
  CHECK(empty[0].ended);
  // The epilogue is ignored, whatever it holds; a body without a final CRLF is fine.
  auto tail = parse("b", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--garbage --b\r\nmore");
  REQUIRE(tail.size() == 1);
  CHECK(tail[0].data == "x");
}

TEST_CASE("multipart: header fields are case-insensitive; quoted values keep ';' and backslashes") {
  auto parts = parse("b",
                     "--b\r\ncontent-DISPOSITION: Form-Data ; filename=\"a;b\\c.mid\";NAME=file\r\nCONTENT-TYPE:  audio/midi \r\n"
                     "X-Other: ignored\r\n\r\nMThd\r\n--b--");
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].headers.name == "file");
  CHECK(parts[0].headers.filename == std::string("a;b\\c.mid"));
  CHECK(parts[0].headers.content_type == "audio/midi");
  CHECK(parts[0].data == "MThd");
}

TEST_CASE("multipart: malformed bodies are refused with a clear message") {
  const std::string cd = "Content-Disposition: form-data; name=\"f\"\r\n";
  struct Case {
    const char* what;
    std::string body;
    const char* says;
  };
  const Case cases[] = {
      {"no boundary at all", "just bytes", "no boundary line found"},
      {"the wrong boundary", "--other\r\n" + cd + "\r\nx\r\n--other--", "no boundary line found"},
      {"no closing delimiter", "--b\r\n" + cd + "\r\nx", "ends before the closing boundary"},
      {"cut inside the header", "--b\r\n" + cd, "ends before the closing boundary"},
      {"closing delimiter first", "--b--\r\n", "before any part"},
      {"a boundary line with junk", "--bx\r\n" + cd + "\r\nx\r\n--b--", "must end with CRLF"},
      {"a bare LF after the boundary", "--b\n" + cd + "\r\nx\r\n--b--", "must end with CRLF"},
      {"no Content-Disposition", "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "no Content-Disposition"},
      {"not form-data", "--b\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\nx\r\n--b--", "not form-data"},
      {"no name", "--b\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--b--", "has no name"},
      {"two names", "--b\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nx\r\n--b--", "two names"},
      {"an unterminated quote", "--b\r\nContent-Disposition: form-data; name=\"f\r\n\r\nx\r\n--b--", "parameters are malformed"},
      {"a line without a colon", "--b\r\n" + cd + "Oops\r\n\r\nx\r\n--b--", "not 'Name: value'"},
      {"a folded field", "--b\r\n" + cd + "X-A: 1\r\n  2\r\n\r\nx\r\n--b--", "folded"},
      {"a bare LF in a header", "--b\r\n" + cd + "X-A: 1\nX-B: 2\r\n\r\nx\r\n--b--", "bare CR or LF"},
      {"two dispositions", "--b\r\n" + cd + cd + "\r\nx\r\n--b--", "two Content-Disposition"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    for (std::size_t piece : {0, 1, 3}) {
      auto why = refusal("b", c.body, piece);
      CHECK(why.find("Malformed multipart body: ") == 0);
      CHECK_MESSAGE(why.find(c.says) != std::string::npos, why);
    }
  }
}

TEST_CASE("multipart: limits on a part's header size and on the number of parts") {
  MultipartParser::Limits small{256, 3};
  auto big_header = "--b\r\nContent-Disposition: form-data; name=\"f\"\r\nX-Pad: " + std::string(300, 'p') + "\r\n\r\nx\r\n--b--";
  for (std::size_t piece : {0, 1, 50})
    CHECK(refusal("b", big_header, piece, small).find("header is larger than 256 bytes") != std::string::npos);
  // A header that never ends is refused once it passes the limit, without waiting for more.
  std::vector<int> seen;
  MultipartParser endless("b", {[&](const PartHeaders&) { seen.push_back(1); }, [](std::string_view) {}, [] {}}, small);
  endless.feed("--b\r\nX: ");
  CHECK_THROWS_AS(endless.feed(std::string(1000, 'h')), Error);
  CHECK_THROWS_AS(endless.feed("more"), Error);  // and stays refused
  CHECK(seen.empty());

  std::string parts;
  for (int i = 0; i < 4; ++i) parts += "--b\r\nContent-Disposition: form-data; name=\"f" + std::to_string(i) + "\"\r\n\r\nx\r\n";
  CHECK(refusal("b", parts + "--b--", 0, small).find("more than 3 parts") != std::string::npos);
  CHECK(parse("b", parts + "--b--", 0, {256, 4}).size() == 4);
}

TEST_CASE("multipart: what the callbacks throw ends the parse") {
  MultipartParser p("b", {[](const PartHeaders& h) {
                            if (h.name == "bad") throw Error(ErrorKind::BadRequest, "Validation failed", {{"bad", "no"}});
                          },
                          [](std::string_view) {}, [] {}});
  try {
    p.feed("--b\r\nContent-Disposition: form-data; name=bad\r\n\r\nx\r\n--b--");
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.fields().count("bad") == 1);
  }
  CHECK_THROWS_AS(p.finish(), Error);
}

TEST_CASE("multipart_boundary: from the Content-Type") {
  CHECK(multipart_boundary("multipart/form-data; boundary=abc") == std::string("abc"));
  CHECK(multipart_boundary("Multipart/Form-Data;boundary=\"a b:c\"; charset=utf-8") == std::string("a b:c"));
  CHECK(multipart_boundary("multipart/form-data ; BOUNDARY = x-y ") == std::string("x-y"));
  CHECK_FALSE(multipart_boundary("application/octet-stream"));
  CHECK_FALSE(multipart_boundary("audio/wav; boundary=abc"));
  CHECK_FALSE(multipart_boundary(""));
  CHECK_FALSE(multipart_boundary("multipart/mixed; boundary=abc"));
  for (const char* bad : {"multipart/form-data", "multipart/form-data; charset=utf-8", "multipart/form-data; boundary=",
                          "multipart/form-data; boundary=\"\"", "multipart/form-data; boundary=\"ends in space \"",
                          "multipart/form-data; boundary=\"unterminated", "multipart/form-data; boundary=a\x01b"}) {
    INFO(bad);
    try {
      multipart_boundary(bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::BadRequest);
      CHECK(std::string(e.what()).find("Malformed multipart body") == 0);
    }
  }
  CHECK_THROWS_AS(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')), Error);
  CHECK(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'a')) == std::string(70, 'a'));
}
