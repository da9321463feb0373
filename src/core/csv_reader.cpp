#include "cadenza/core/csv_reader.hpp"

#include <set>

#include "cadenza/core/error.hpp"

namespace cadenza {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

constexpr int kEof = std::char_traits<char>::eof();

}  // namespace

CsvReader::CsvReader(std::istream& in, std::string name) : in_(in.rdbuf()), name_(std::move(name)) {
  if (!in_) throw Error(ErrorKind::BadRequest, where(1) + "cannot be read");
  // A UTF-8 byte order mark before the header is not part of the first name.
  if (in_->sgetc() == 0xEF) {
    for (int i = 0; i < 3 && in_->sgetc() != kEof; ++i) pending_.push_back(static_cast<char>(in_->sbumpc()));
    if (pending_ == "\xEF\xBB\xBF") pending_.clear();
  }
  std::vector<std::string> names;
  if (!read_record(names)) throw Error(ErrorKind::BadRequest, where(1) + "empty: no header row");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto n = trim(names[i]);
    if (n.empty()) throw Error(ErrorKind::BadRequest, where(record_line_) + "header column " + std::to_string(i + 1) + " has no name");
    std::string key;
    for (char c : n) key.push_back(lower(c));
    if (!seen.insert(key).second) throw Error(ErrorKind::BadRequest, where(record_line_) + "column " + n + " appears twice in the header");
    header_.push_back(std::move(n));
  }
}

std::string CsvReader::where(std::size_t line) const {
  return (name_.empty() ? "" : name_ + " ") + "line " + std::to_string(line) + ": ";
}

std::optional<std::size_t> CsvReader::column(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i)
    if (same_name(header_[i], name)) return i;
  return std::nullopt;
}

std::size_t CsvReader::require_column(std::initializer_list<std::string_view> names) const {
  std::string list;
  for (auto n : names) {
    if (auto i = column(n)) return *i;
    list += (list.empty() ? "" : " or ") + std::string(n);
  }
  throw Error(ErrorKind::BadRequest, (name_.empty() ? "" : name_ + ": ") + "missing column " + list);
}

int CsvReader::peek() {
  if (!pending_.empty()) return static_cast<unsigned char>(pending_.front());
  return in_->sgetc();
}

// One byte; counts lines (LF, CRLF once, a lone CR).
int CsvReader::get() {
  int c;
  if (!pending_.empty()) {
    c = static_cast<unsigned char>(pending_.front());
    pending_.erase(0, 1);
  } else {
    c = in_->sbumpc();
  }
  if (c == '\n' || (c == '\r' && peek() != '\n')) ++line_;
  return c;
}

void CsvReader::skip_line() {
  for (int c = peek(); c != kEof; c = peek()) {
    get();
    if (c == '\n') return;
    if (c == '\r') {
      if (peek() == '\n') get();
      return;
    }
  }
}

bool CsvReader::next(std::vector<std::string>& fields) { return read_record(fields); }

bool CsvReader::read_record(std::vector<std::string>& fields) {
  fields.clear();
  for (;;) {  // lines with nothing on them
    int c = peek();
    if (c == kEof) return false;
    if (c != '\r' && c != '\n') break;
    get();
  }
  record_line_ = line_;
  std::string field;
  for (;;) {
    int c = peek();
    if (c == '"') {
      get();
      const auto opened = line_;
      for (;;) {
        c = get();
        if (c == kEof) {
          error_line_ = opened;
          throw Error(ErrorKind::BadRequest, where(opened) + "field " + std::to_string(fields.size() + 1) +
                                                 " opens a quote that is not closed before the end of the file");
        }
        if (c == '"') {
          if (peek() != '"') break;
          get();
        }
        field.push_back(static_cast<char>(c));
      }
      c = peek();
      if (c != ',' && c != '\r' && c != '\n' && c != kEof) {
        const auto at = error_line_ = line_;
        skip_line();
        throw Error(ErrorKind::BadRequest, where(at) + "text after the closing quote of field " +
                                               std::to_string(fields.size() + 1));
      }
    } else {
      while ((c = peek()) != ',' && c != '\r' && c != '\n' && c != kEof) {
        if (c == '"') {
          const auto at = error_line_ = line_;
          skip_line();
          throw Error(ErrorKind::BadRequest, where(at) + "a quote inside unquoted field " +
                                                 std::to_string(fields.size() + 1) +
                                                 " (quote the whole field and double the quote)");
        }
        field.push_back(static_cast<char>(get()));
      }
    }
    fields.push_back(std::move(field));
    field.clear();
    c = get();
    if (c == ',') continue;
    if (c == '\r' && peek() == '\n') get();
    return true;  // LF, CR, CRLF or the end of the input
  }
}

}  // namespace cadenza
