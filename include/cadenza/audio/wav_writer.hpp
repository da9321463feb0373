#pragma once
// Writes mono float samples as a 32-bit float WAV file (the format basic-pitch's reference expects).
#include <filesystem>
#include <vector>

namespace cadenza::audio {

void write_wav_f32(const std::filesystem::path& path, const std::vector<float>& mono, int sample_rate);

}  // namespace cadenza::audio
