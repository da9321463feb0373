#pragma once
// One call for the transcriber: decode, mix to mono, resample to the model's rate.
#include <filesystem>
#include <string_view>
#include <vector>

#include "cadenza/audio/decode.hpp"

namespace cadenza::audio {

std::vector<float> load_mono(const std::filesystem::path& path, int sample_rate,
                             const DecodeLimits& limits = {});
std::vector<float> load_mono_bytes(std::string_view bytes, int sample_rate,
                                   const DecodeLimits& limits = {});

}  // namespace cadenza::audio
