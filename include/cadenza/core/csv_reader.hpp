#pragma once
// CsvReader: RFC 4180 comma-separated values, one record at a time.
//
//   field    = plain text without , " CR LF  |  "quoted text, "" for a quote, commas and line breaks allowed"
//   record   = field *("," field), ended by CRLF, LF or CR (or the end of the file)
//
// The first record is the header (names trimmed; a UTF-8 byte order mark before it is dropped); column()
// finds a column by name, ignoring ASCII case. Lines with nothing on them are skipped. A syntax error (text
// after a closing quote, a quote inside a plain field, a quoted field still open at the end of the file)
// throws Error(BadRequest) naming the line (1-based, physical lines, so a record with embedded line breaks
// spans several): "songs.csv line 12: ...". After such an error the reader has skipped to the end of that
// line, so a caller may report it and read on. Records are not checked against the header's width: that is
// the caller's to judge (width()).
#include <cstddef>
#include <initializer_list>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cadenza {

class CsvReader {
 public:
  // `name` prefixes error messages (a file name); "" for none. Reads the header row (Error(BadRequest) when
  // the input is empty, a header name is empty or repeated).
  explicit CsvReader(std::istream& in, std::string name = "");

  const std::vector<std::string>& header() const { return header_; }
  std::size_t width() const { return header_.size(); }
  // The index of the column called `name` (ASCII case-insensitive), nullopt when there is none.
  std::optional<std::size_t> column(std::string_view name) const;
  // The first of `names` that exists; Error(BadRequest) "missing column name" otherwise.
  std::size_t require_column(std::initializer_list<std::string_view> names) const;

  // Reads the next record into `fields`; false at the end of the input.
  bool next(std::vector<std::string>& fields);
  // The line the last record (or the header) began on, 1-based.
  std::size_t line() const { return record_line_; }
  // The line the last syntax error was on (its message begins with where(error_line())).
  std::size_t error_line() const { return error_line_; }
  // "name line N: " (or "line N: "): the prefix of an error about line N.
  std::string where(std::size_t line) const;

 private:
  int get();
  int peek();
  void skip_line();
  bool read_record(std::vector<std::string>& fields);

  std::streambuf* in_;
  std::string pending_;  // bytes read ahead (what looked like a byte order mark but was not)
  std::string name_;
  std::vector<std::string> header_;
  std::size_t line_ = 1;         // the line the reader is on
  std::size_t record_line_ = 0;  // where the last record began
  std::size_t error_line_ = 0;
};

}  // namespace cadenza
