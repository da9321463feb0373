#pragma once
// Output files appear whole or not at all: the bytes go to a temporary file next to the destination,
// which is fsynced and then renamed over it. A reader, a crash or a full disk never leaves half a
// score.mid behind, and a failed write keeps the file that was there before.
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

namespace cadenza {

// Creates or replaces `path` (its directory must exist) with `bytes`; the new file gets the modes an
// ordinary create would (0666 less the umask). Throws Error(Internal) naming the file when it cannot.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

inline void write_file_atomically(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace cadenza
