#pragma once
// The General MIDI soundfont the browser app's MIDI player loads: Debian's fluid-soundfont-gm, served
// from the installed package (never a CDN) at GET /soundfonts/default.sf2 by the web handler (a static
// file of the app, like its assets, so it is not an /api route).
#include <optional>

#include "cadenza/http/message.hpp"

namespace cadenza::http {

inline constexpr const char* kSoundfontPath = "/soundfonts/default.sf2";

// The response for kSoundfontPath: the file streamed from disk with a strong ETag (size and mtime) and
// a day of caching; 404 when no soundfont package is installed. nullopt for any other path.
std::optional<Response> soundfont_response(const Request& req);

}  // namespace cadenza::http
