#include "cadenza/audio/load.hpp"

#include "cadenza/audio/resample.hpp"

namespace cadenza::audio {

std::vector<float> load_mono(const std::filesystem::path& path, int sample_rate, const DecodeLimits& limits) {
  DecodedAudio a = decode_file(path, limits);
  return resample(a.mono, a.sample_rate, sample_rate);
}

std::vector<float> load_mono_bytes(std::string_view bytes, int sample_rate, const DecodeLimits& limits) {
  DecodedAudio a = decode_bytes(bytes, limits);
  return resample(a.mono, a.sample_rate, sample_rate);
}

}  // namespace cadenza::audio
