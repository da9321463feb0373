#include "cadenza/audio/decode.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "cadenza/core/error.hpp"

namespace cadenza::audio {
namespace {

// libsndfile virtual I/O over a byte buffer.
struct MemoryFile {
  const char* data;
  sf_count_t size;
  sf_count_t pos;
};

sf_count_t mem_length(void* user) { return static_cast<MemoryFile*>(user)->size; }

sf_count_t mem_seek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : f->size;
  f->pos = std::clamp<sf_count_t>(base + offset, 0, f->size);
  return f->pos;
}

sf_count_t mem_read(void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  sf_count_t n = std::clamp<sf_count_t>(f->size - f->pos, 0, count);
  if (n > 0) std::memcpy(ptr, f->data + f->pos, static_cast<std::size_t>(n));
  f->pos += n;
  return n;
}

sf_count_t mem_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t mem_tell(void* user) { return static_cast<MemoryFile*>(user)->pos; }

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

std::string log_info(SNDFILE* f) {
  char buf[4096] = {0};
  sf_command(f, SFC_GET_LOG_INFO, buf, sizeof buf);
  return buf;
}

// True when the bytes start like a container libsndfile knows (so a failed open means damaged data,
// not a foreign format).
bool looks_like_audio(std::string_view b) {
  auto starts = [&](std::string_view magic) { return b.substr(0, magic.size()) == magic; };
  if (starts("RIFF") || starts("RIFX") || starts("RF64") || starts("fLaC") || starts("OggS") || starts("FORM") ||
      starts("ID3") || starts(".snd") || starts("caff"))
    return true;
  return b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0xFF && (static_cast<unsigned char>(b[1]) & 0xE0) == 0xE0;
}

std::string mib(std::size_t bytes) {
  return std::to_string(bytes / (1024 * 1024)) + " MiB";
}

}  // namespace

DecodedAudio decode_bytes(std::string_view bytes, const DecodeLimits& limits, std::string_view what) {
  const std::string name{what};
  if (bytes.empty()) throw Error{ErrorKind::Unprocessable, name + ": the file is empty"};
  if (bytes.size() > limits.max_bytes)
    throw Error{ErrorKind::PayloadTooLarge,
                name + ": " + mib(bytes.size()) + " is larger than the limit of " + mib(limits.max_bytes)};

  MemoryFile mem{bytes.data(), static_cast<sf_count_t>(bytes.size()), 0};
  SF_VIRTUAL_IO io{mem_length, mem_seek, mem_read, mem_write, mem_tell};
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SndfileCloser> file{sf_open_virtual(&io, SFM_READ, &info, &mem)};
  if (!file) {
    std::string why = sf_strerror(nullptr);
    if (looks_like_audio(bytes))
      throw Error{ErrorKind::Unprocessable, name + ": the audio file is damaged or truncated: " + why};
    throw Error{ErrorKind::UnsupportedMedia,
                name + ": not a supported audio file (WAV, FLAC, OGG/Vorbis, Opus, MP3): " + why};
  }
  if (info.channels <= 0 || info.samplerate <= 0)
    throw Error{ErrorKind::UnsupportedMedia, name + ": audio stream without channels or sample rate"};
  if (info.samplerate < 1000 || info.samplerate > 768000)
    throw Error{ErrorKind::Unprocessable,
                name + ": unsupported sample rate " + std::to_string(info.samplerate) + " Hz"};
  const double max_frames = limits.max_seconds * info.samplerate;
  if (info.frames > 0 && info.frames != SF_COUNT_MAX && double(info.frames) > max_frames * 1.01 + 1)
    throw Error{ErrorKind::Unprocessable, name + ": " + std::to_string(int(info.frames / info.samplerate)) +
                                              " s of audio is longer than the limit of " +
                                              std::to_string(int(limits.max_seconds)) + " s"};

  DecodedAudio out;
  out.sample_rate = info.samplerate;
  out.channels = info.channels;
  const int ch = info.channels;
  const sf_count_t block = 16384;
  std::vector<float> buf(static_cast<std::size_t>(block * ch));
  if (info.frames > 0 && info.frames != SF_COUNT_MAX)
    out.mono.reserve(static_cast<std::size_t>(std::min<double>(double(info.frames), max_frames + 1)));
  for (;;) {
    sf_count_t got = sf_readf_float(file.get(), buf.data(), block);
    if (got <= 0) break;
    if (double(out.mono.size() + got) > max_frames + 1)
      throw Error{ErrorKind::Unprocessable,
                  name + ": audio is longer than the limit of " + std::to_string(int(limits.max_seconds)) + " s"};
    for (sf_count_t i = 0; i < got; ++i) {
      float sum = 0.f;
      for (int c = 0; c < ch; ++c) sum += buf[static_cast<std::size_t>(i * ch + c)];
      out.mono.push_back(sum / float(ch));
    }
  }
  int err = sf_error(file.get());
  if (err != SF_ERR_NO_ERROR)
    throw Error{ErrorKind::Unprocessable, name + ": the audio data is damaged: " + sf_error_number(err)};
  if (out.mono.empty())
    throw Error{ErrorKind::Unprocessable, name + ": the file holds no audio samples (empty or truncated)"};
  // A truncated upload, not a shorter piece: libsndfile shortens a WAV/AIFF whose header promises more
  // data than the file holds (and says so in its log); a FLAC stream ends before the sample count of
  // its STREAMINFO. MP3 lengths are estimates, so MP3 is left out of both checks.
  if ((info.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG) {
    const std::string log = log_info(file.get());
    const bool short_header = log.find("should be") != std::string::npos && log.find("data") != std::string::npos;
    const bool short_stream = info.frames > 0 && info.frames != SF_COUNT_MAX &&
                              double(out.mono.size()) < 0.99 * double(info.frames) - 1024;
    if (short_header || short_stream)
      throw Error{ErrorKind::Unprocessable, name + ": the file is truncated (its header promises " +
                                                std::to_string(info.frames) + " samples, it holds " +
                                                std::to_string(out.mono.size()) + ")"};
  }
  for (float& s : out.mono)
    if (!std::isfinite(s)) s = 0.f;
  return out;
}

DecodedAudio decode_file(const std::filesystem::path& path, const DecodeLimits& limits) {
  const std::string name = path.filename().string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error{ErrorKind::NotFound, path.string() + ": no such file"};
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw Error{ErrorKind::NotFound, path.string() + ": cannot read: " + ec.message()};
  if (size > limits.max_bytes)
    throw Error{ErrorKind::PayloadTooLarge,
                name + ": " + mib(size) + " is larger than the limit of " + mib(limits.max_bytes)};
  std::ifstream in{path, std::ios::binary};
  if (!in) throw Error{ErrorKind::NotFound, path.string() + ": cannot open"};
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!in) throw Error{ErrorKind::Unprocessable, path.string() + ": read error"};
  return decode_bytes(bytes, limits, name);
}

}  // namespace cadenza::audio
