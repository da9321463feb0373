// CsvReader: RFC 4180 fields (quotes, doubled quotes, CRLF, embedded line breaks), the header, and errors
// that name the line.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cadenza/core/csv_reader.hpp"
#include "cadenza/core/error.hpp"

using namespace cadenza;
using Rows = std::vector<std::vector<std::string>>;

namespace {
Rows read_all(const std::string& text, std::vector<std::size_t>* lines = nullptr) {
  std::istringstream in(text);
  CsvReader r(in, "t.csv");
  Rows out;
  std::vector<std::string> f;
  while (r.next(f)) {
    out.push_back(f);
    if (lines) lines->push_back(r.line());
  }
  return out;
}

std::string error_of(const std::string& text) {
  try {
    read_all(text);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadRequest);
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("csv: plain, quoted and empty fields; LF, CRLF and CR line ends") {
  std::vector<std::size_t> lines;
  auto rows = read_all("a,b,c\r\n1,\"two, too\",\r\n\"say \"\"hi\"\"\",,x\n\"\",y,z\r4,5,6", &lines);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == std::vector<std::string>{"1", "two, too", ""});
  CHECK(rows[1] == std::vector<std::string>{"say \"hi\"", "", "x"});
  CHECK(rows[2] == std::vector<std::string>{"", "y", "z"});
  CHECK(rows[3] == std::vector<std::string>{"4", "5", "6"});
  CHECK(lines == std::vector<std::size_t>{2, 3, 4, 5});
}

TEST_CASE("csv: a quoted field keeps its line breaks, and line numbers count them") {
  std::vector<std::size_t> lines;
  auto rows = read_all("name,notes\nA,\"first\r\nsecond\nthird\"\n\nB,plain\n", &lines);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][1] == "first\r\nsecond\nthird");
  CHECK(rows[1] == std::vector<std::string>{"B", "plain"});
  CHECK(lines == std::vector<std::size_t>{2, 6});  // the blank line 5 is skipped
}

TEST_CASE("csv: the header maps names to columns, ignoring case, spaces and a byte order mark") {
  std::istringstream in("\xEF\xBB\xBF" "Artist , song,Tempo\nx,y,1\n");
  CsvReader r(in);
  CHECK(r.width() == 3);
  CHECK(r.header()[0] == "Artist");
  CHECK(r.column("artist") == 0);
  CHECK(r.column("TEMPO") == 2);
  CHECK_FALSE(r.column("genre"));
  CHECK(r.require_column({"title", "song"}) == 1);
  CHECK_THROWS_WITH_AS(r.require_column({"genre"}), "missing column genre", Error);
  std::vector<std::string> f;
  REQUIRE(r.next(f));
  CHECK(f == std::vector<std::string>{"x", "y", "1"});
  CHECK_FALSE(r.next(f));
  CHECK_FALSE(r.next(f));  // stays at the end
}

TEST_CASE("csv: a header that is missing, has a blank or a repeated name is refused") {
  for (const std::string bad : {"", "\n\n", "a,,c\n", "a,b,A\n"}) {
    std::istringstream in(bad);
    CHECK_THROWS_AS(CsvReader(in, "h.csv"), Error);
  }
}

TEST_CASE("csv: syntax errors name the line, and reading goes on after them") {
  CHECK(error_of("a,b\n1,2\n3,\"open\nstill open") ==
        "t.csv line 3: field 2 opens a quote that is not closed before the end of the file");
  CHECK(error_of("a,b\n\"x\"y,2\n") == "t.csv line 2: text after the closing quote of field 1");
  CHECK(error_of("a,b\n1,2\n\n3,12\" vinyl\n") ==
        "t.csv line 4: a quote inside unquoted field 2 (quote the whole field and double the quote)");
  // After an error the next record is the following line.
  std::istringstream in("a,b\n1,x\"y\n2,ok\r\n");
  CsvReader r(in);
  std::vector<std::string> f;
  CHECK_THROWS_AS(r.next(f), Error);
  REQUIRE(r.next(f));
  CHECK(f == std::vector<std::string>{"2", "ok"});
  CHECK(r.line() == 3);
}
