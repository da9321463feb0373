#pragma once
// LilyPond source for a Score, and PDF rendering with Debian's `lilypond` in a subprocess.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

std::string to_lilypond(const Score& score);

struct PdfOptions {
  std::chrono::seconds timeout{120};  // LilyPond is killed after this
  std::string program = "lilypond";   // found on PATH, or a path
};

// Runs LilyPond on the source in a fresh temporary directory and returns the PDF bytes. `poll` runs
// every 20 ms while LilyPond works: an exception it throws (a cancelled job) kills LilyPond and goes on
// to the caller. Errors: Unavailable when the program is missing, Internal when it fails or times out
// (with the tail of its log).
std::vector<uint8_t> render_pdf(const Score& score, const PdfOptions& options = {},
                                const std::function<void()>& poll = {});

}  // namespace cadenza::notation
