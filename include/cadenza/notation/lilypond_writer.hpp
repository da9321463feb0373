#pragma once
// LilyPond source for a Score, and the score's PDF, rendered in a subprocess by MuseScore 3 (Debian's
// musescore3, from the MusicXML) or LilyPond (Debian's lilypond, from to_lilypond). MuseScore is the
// default where it is installed: on a 3-minute piano score on two cores it takes ~2 s where LilyPond
// takes ~8 s (bench/convert measures both in one run).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cadenza/notation/score.hpp"

namespace cadenza::notation {

std::string to_lilypond(const Score& score);

enum class PdfEngine { Auto, MuseScore, LilyPond };
// "auto", "musescore" or "lilypond" (config, CLI); Error(BadRequest) for anything else.
PdfEngine parse_pdf_engine(const std::string& name);

struct PdfOptions {
  std::chrono::seconds timeout{120};       // the renderer is killed after this
  std::string program;                     // the engine's program (on PATH, or a path); "" = mscore3 / lilypond
  PdfEngine engine = PdfEngine::Auto;      // Auto: MuseScore when mscore3 is found on PATH, else LilyPond
};

// The engine `options` come to (Auto resolved).
PdfEngine pdf_engine(const PdfOptions& options);
// Whether that engine's program is found (on PATH, or as options.program says).
bool pdf_engine_available(const PdfOptions& options);

// Runs the engine in a fresh temporary directory and returns the PDF bytes. `poll` runs every 20 ms
// while it works: an exception it throws (a cancelled job) kills the renderer and goes on to the
// caller. Errors: Unavailable when the program is missing, Internal when it fails or times out (with the
// tail of its log).
std::vector<uint8_t> render_pdf(const Score& score, const PdfOptions& options = {},
                                const std::function<void()>& poll = {});

}  // namespace cadenza::notation
