#pragma once
// Internal to the generate module: the prompt's words and the instrument lexicon, shared by
// prompt.cpp (the parser) and controls.cpp (parse_instrument).
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cadenza::generate::detail {

struct Word {
  std::string text;        // lower-case; '#' kept ("f#"), "3/4" and "2.5" kept whole; "♯"/"♭" become '#'/'b'
  size_t begin = 0;        // byte offsets in the prompt
  size_t end = 0;
  bool upper = false;      // the first letter was written upper-case
  bool ends_clause = false;  // followed by , ; . ! ? or the end
};

// Splits at spaces and punctuation and between digits and letters ("70bpm" -> "70", "bpm").
std::vector<Word> split_words(std::string_view text);

// Instrument phrases (words joined by one space) -> GM programs: the 128 GM names (lower-case, without
// punctuation: "acoustic guitar nylon") and common words; an alias wins over a GM name of the same words
// ("fiddle" -> Violin 40).
const std::map<std::string, std::vector<int>>& instrument_words();

}  // namespace cadenza::generate::detail
