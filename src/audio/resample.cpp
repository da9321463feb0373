#include "cadenza/audio/resample.hpp"

#include <soxr.h>

#include <cmath>
#include <string>

#include "cadenza/core/error.hpp"

namespace cadenza::audio {

std::vector<float> resample(const std::vector<float>& mono, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0)
    throw Error{ErrorKind::BadRequest, "resample: sample rates must be positive"};
  if (from_rate == to_rate || mono.empty()) return mono;
  const double ratio = double(to_rate) / double(from_rate);
  const auto out_len = static_cast<std::size_t>(std::llround(double(mono.size()) * ratio));
  std::vector<float> out(out_len + 16);
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  std::size_t done = 0;
  soxr_error_t err = soxr_oneshot(from_rate, to_rate, 1, mono.data(), mono.size(), nullptr, out.data(),
                                  out.size(), &done, &io, &q, nullptr);
  if (err) throw Error{ErrorKind::Internal, std::string{"resample: soxr failed: "} + err};
  out.resize(std::min(done, out_len));
  out.resize(out_len, 0.f);
  return out;
}

}  // namespace cadenza::audio
