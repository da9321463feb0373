#pragma once
// Tags of an audio file through TagLib (ID3v1/v2 in MP3 and WAV, RIFF INFO, Vorbis comments in FLAC, Ogg
// Vorbis and Opus, MP4 atoms, APE): title, artist, album, genres, year, the BPM tag and the duration of the
// stream as the container says. TagLib is linked into the audio module only; no header includes it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cadenza::audio {

struct AudioTags {
  std::string title, artist, album;  // "" when the file has none
  std::vector<std::string> genres;   // the GENRE values, each also split at ';' (trimmed, no empties)
  std::optional<int> year;
  std::optional<double> bpm;         // the BPM (TBPM) tag when it is a positive number
  double duration_s = 0;             // from the container's audio properties; 0 when unknown
  bool readable = false;             // false: TagLib does not know the file (the fields are empty)
};

// Never throws for a file TagLib cannot read: readable is false then.
AudioTags read_tags(const std::filesystem::path& path);

// Writes the given fields (empty strings and absent values are left out) into the file's tags and saves it.
// Error(Unprocessable) when TagLib cannot open or save the file. For tests and benchmarks that build tagged
// libraries.
void write_tags(const std::filesystem::path& path, const AudioTags& tags);

}  // namespace cadenza::audio
