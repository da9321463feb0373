// GET /soundfonts/default.sf2: the installed General MIDI soundfont, for the browser app's MIDI player.
#include <array>
#include <chrono>
#include <filesystem>
#include <string>

#include "cadenza/core/error.hpp"
#include "soundfont.hpp"

namespace cadenza::http {
namespace {

// Debian's fluid-soundfont-gm first, then whatever the sf2 alternative points at.
constexpr std::array<const char*, 2> kCandidates = {"/usr/share/sounds/sf2/FluidR3_GM.sf2",
                                                    "/usr/share/sounds/sf2/default-GM.sf2"};

}  // namespace

std::optional<Response> soundfont_response(const Request& req) {
  if (req.path != kSoundfontPath) return std::nullopt;
  namespace fs = std::filesystem;
  for (const char* candidate : kCandidates) {
    std::error_code ec;
    auto path = fs::canonical(candidate, ec);
    if (ec || !fs::is_regular_file(path, ec)) continue;
    auto size = fs::file_size(path, ec);
    if (ec) continue;
    auto mtime = fs::last_write_time(path, ec);
    if (ec) continue;
    auto ticks = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::file_clock::to_sys(mtime).time_since_epoch()).count();  // Unix seconds
    auto etag = "\"sf2-" + std::to_string(size) + "-" + std::to_string(ticks) + "\"";
    Response r;
    r.header("ETag", etag);
    r.header("Cache-Control", "public, max-age=86400");
    if (auto inm = req.header("if-none-match"); inm && *inm == etag) {
      r.status = 304;
      r.content_type.clear();
      return r;
    }
    r.content_type = "audio/x-soundfont";  // no registered type; the player reads the bytes
    r.file_path = path.string();
    return r;
  }
  throw Error(ErrorKind::NotFound, "No General MIDI soundfont installed (apt-get install fluid-soundfont-gm)");
}

}  // namespace cadenza::http
