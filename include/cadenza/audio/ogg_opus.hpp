#pragma once
// Ogg/Opus encoding, one encoder (OggOpusStream: libopus + libogg) for two users: a stream encoded piece
// by piece while it is generated, and a file written piece by piece while it is rendered (OggOpusFile:
// the conversion job's score.ogg).
//
// Why not libsndfile's Ogg/Opus writer: it flushes pages on its own schedule (a page per
// SFC_SET_OGG_PAGE_LATENCY_MS of audio, 1 s by default; neither sf_write_sync nor any command flushes a
// page early), so after a 0.5 s piece up to a page latency of audio stays inside the encoder: with the
// default, every other 0.5 s piece returned no bytes at all. OggOpusStream ends a page at every piece,
// so each piece's bytes hold all of its audio (whole 20 ms Opus frames; a remainder under 20 ms waits
// for the next piece) and a client can play them at once.
//
// Quality is one scale for both: 0..1 maps to (6 + 250 * quality) kbit/s per channel, libsndfile's own
// mapping for SFC_SET_VBR_ENCODING_QUALITY; the default 0.25 is ~68 kbit/s per channel, ~137 kbit/s stereo.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace cadenza::audio {

inline constexpr double kDefaultOpusQuality = 0.25;

// The bit rate (bit/s) that `quality` (clamped to 0..1) means for `channels` channels.
int opus_bitrate(double quality, int channels);

class OggOpusStream;

// An Ogg/Opus file written piece by piece (an OggOpusStream into `path` + ".part"), so that a long
// rendering never has to be held whole; commit() fsyncs it and renames it over `path`. Nothing
// half-written is ever left under `path`: destroyed without commit() (an error, a cancel), the .part
// file is removed. sample_rate: one Opus takes (8000, 12000, 16000, 24000, 48000); channels 1 or 2;
// Error(BadRequest) otherwise, Error(Internal) when the file cannot be written.
//
// With `Encoding::Background`, write() only queues a copy of the piece (at most kQueuedPieces; it waits
// when they are all taken) and a thread of the file's own encodes and writes it: a renderer on one core and
// the encoder on the other take about the longer of the two instead of their sum. The encoder's errors
// come back from the next write() or from commit().
class OggOpusFile {
 public:
  enum class Encoding { Inline, Background };
  static constexpr std::size_t kQueuedPieces = 8;
  OggOpusFile(std::filesystem::path path, int sample_rate, int channels, double quality = kDefaultOpusQuality,
              Encoding encoding = Encoding::Inline);
  ~OggOpusFile();
  OggOpusFile(const OggOpusFile&) = delete;
  OggOpusFile& operator=(const OggOpusFile&) = delete;

  void write(const float* interleaved, std::size_t samples);  // frames * channels floats, [-1, 1]
  void commit();

 private:
  struct Worker;
  void put(const std::string& bytes);
  void start_worker();
  void stop_worker();  // joins it; rethrows what it threw
  std::filesystem::path path_, part_;
  int fd_ = -1;
  std::unique_ptr<OggOpusStream> stream_;
  std::unique_ptr<Worker> worker_;
};

// A whole rendering as an Ogg/Opus file, through OggOpusFile.
void write_ogg_opus(const std::filesystem::path& path, const std::vector<float>& interleaved, int sample_rate,
                    int channels, double quality = kDefaultOpusQuality);

// A growing Ogg/Opus stream: feed PCM pieces (the caller picks their length, about 0.5 s), get back the
// bytes of the pages they completed; the concatenation of every returned string, through finish(), is one
// valid Ogg/Opus stream, and every prefix of whole returned strings is itself a decodable stream (without
// the end-of-stream page). The first write's bytes begin with the OpusHead and OpusTags pages (also
// available from headers(), e.g. for a client that joins late). Not thread-safe; movable.
class OggOpusStream {
 public:
  // sample_rate: 8000, 12000, 16000, 24000 or 48000; channels 1 or 2. Error(BadRequest) otherwise.
  explicit OggOpusStream(int sample_rate = 48000, int channels = 2, double quality = kDefaultOpusQuality);
  ~OggOpusStream();
  OggOpusStream(OggOpusStream&&) noexcept;
  OggOpusStream& operator=(OggOpusStream&&) noexcept;

  // Encodes a piece (frames * channels interleaved floats) and returns the pages it completed: all of the
  // piece except a remainder of under 20 ms, which goes out with the next piece. Error(BadRequest) when
  // the size is not a multiple of channels or after finish().
  std::string write(const float* interleaved, std::size_t samples);
  std::string write(const std::vector<float>& interleaved) { return write(interleaved.data(), interleaved.size()); }

  // Encodes what remains (padded with silence, trimmed again by the final granule position so decoders
  // give back exactly the frames written) and returns the last page, flagged end of stream. Once only.
  std::string finish();

  // The OpusHead and OpusTags pages (the first bytes of the stream).
  const std::string& headers() const;
  std::int64_t frames_written() const;  // frames passed to write() so far
  bool finished() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace cadenza::audio
