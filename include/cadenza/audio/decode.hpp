#pragma once
// Decoding of audio files and in-memory uploads through libsndfile (WAV, FLAC, OGG/Vorbis, Opus, MP3,
// AIFF, ...), mixed down to mono float samples. Bad input never crashes: it throws cadenza::Error with
// UnsupportedMedia (not audio / unknown format), Unprocessable (empty, truncated, too long) or
// PayloadTooLarge (more bytes than allowed).
#include <cstddef>
#include <filesystem>
#include <string_view>
#include <vector>

namespace cadenza::audio {

struct DecodeLimits {
  double max_seconds = 20.0 * 60.0;              // longest accepted duration
  std::size_t max_bytes = 200u * 1024u * 1024u;  // largest accepted encoded size
};

struct DecodedAudio {
  std::vector<float> mono;  // channel average, [-1, 1]
  int sample_rate = 0;
  int channels = 0;         // channels of the source before the mix-down
  double duration_s() const { return sample_rate > 0 ? double(mono.size()) / sample_rate : 0.0; }
};

// Decodes a file; error messages name it by its file name.
DecodedAudio decode_file(const std::filesystem::path& path, const DecodeLimits& limits = {});

// Decodes an encoded file held in memory (an upload).
DecodedAudio decode_bytes(std::string_view bytes, const DecodeLimits& limits = {},
                          std::string_view what = "upload");

}  // namespace cadenza::audio
