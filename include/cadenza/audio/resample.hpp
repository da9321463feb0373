#pragma once
// High-quality sample-rate conversion (soxr, "HQ" recipe as librosa's default `soxr_hq`).
#include <vector>

namespace cadenza::audio {

// Resamples mono samples from `from_rate` to `to_rate` Hz. Returns the input unchanged when the rates
// are equal. The output has round(n * to_rate / from_rate) samples.
std::vector<float> resample(const std::vector<float>& mono, int from_rate, int to_rate);

}  // namespace cadenza::audio
