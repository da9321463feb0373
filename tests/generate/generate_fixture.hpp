#pragma once
// Shared by the generate tests: where the data sets are (tests run from the repository root) and the
// corpus, loaded once per test binary.
#include <filesystem>

#include "cadenza/generate/corpus.hpp"

namespace generate_test {

inline const char* kNottingham = "../shared/datasets/nottingham/MIDI";
inline const char* kJsb = "../shared/datasets/jsb-chorales/jsb-chorales-16th.json";

inline bool have_data() { return std::filesystem::exists(kNottingham) && std::filesystem::exists(kJsb); }

// Call only when have_data().
inline const std::vector<cadenza::generate::Piece>& corpus(cadenza::generate::LoadStats* stats = nullptr) {
  static cadenza::generate::LoadStats loaded_stats;
  static const auto pieces = cadenza::generate::load_corpus({kNottingham, kJsb}, &loaded_stats);
  if (stats) *stats = loaded_stats;
  return pieces;
}

}  // namespace generate_test
