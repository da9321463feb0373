#pragma once
// LilyPond source for a Score, and PDF rendering with Debian's `lilypond` in a subprocess.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

std::string to_lilypond(const Score& score);

// Runs `lilypond` (found on PATH, or the program given) on the source in a fresh temporary
// directory, kills it after `timeout`, and returns the PDF bytes. Errors: Unavailable when the
// program is missing, Internal when it fails or times out (with the tail of its log).
std::vector<uint8_t> render_pdf(const Score& score, std::chrono::seconds timeout = std::chrono::seconds(120),
                                const std::string& program = "lilypond");

}  // namespace cadenza::notation
