#include "cadenza/audio/wav_writer.hpp"

#include <sndfile.h>

#include "cadenza/core/error.hpp"

namespace cadenza::audio {

void write_wav_f32(const std::filesystem::path& path, const std::vector<float>& mono, int sample_rate) {
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw Error{ErrorKind::Internal, path.string() + ": cannot write WAV: " + sf_strerror(nullptr)};
  sf_count_t n = sf_writef_float(f, mono.data(), static_cast<sf_count_t>(mono.size()));
  sf_close(f);
  if (n != static_cast<sf_count_t>(mono.size()))
    throw Error{ErrorKind::Internal, path.string() + ": short write"};
}

}  // namespace cadenza::audio
