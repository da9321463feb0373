#include "cadenza/audio/tags.hpp"

#include <taglib/audioproperties.h>
#include <taglib/fileref.h>
#include <taglib/tag.h>
#include <taglib/tpropertymap.h>

#include <cmath>
#include <cstdlib>

#include "cadenza/core/error.hpp"

namespace cadenza::audio {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string utf8(const TagLib::String& s) { return trim(s.to8Bit(true)); }

std::optional<double> parse_bpm(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(v) || v <= 0 || v > 1000) return std::nullopt;
  return v;
}

}  // namespace

AudioTags read_tags(const std::filesystem::path& path) {
  AudioTags out;
  try {
    TagLib::FileRef f(path.c_str(), true, TagLib::AudioProperties::Fast);
    if (f.isNull()) return out;
    out.readable = true;
    if (auto* props = f.audioProperties()) out.duration_s = props->lengthInMilliseconds() / 1000.0;
    if (auto* tag = f.tag()) {
      out.title = utf8(tag->title());
      out.artist = utf8(tag->artist());
      out.album = utf8(tag->album());
      if (tag->year() > 0) out.year = static_cast<int>(tag->year());
    }
    const auto map = f.file()->properties();
    auto genres = map.find("GENRE");
    if (genres != map.end())
      for (const auto& g : genres->second) {
        auto all = utf8(g);
        std::size_t start = 0;
        while (start <= all.size()) {
          auto end = all.find(';', start);
          if (end == std::string::npos) end = all.size();
          if (auto one = trim(all.substr(start, end - start)); !one.empty()) out.genres.push_back(one);
          start = end + 1;
        }
      }
    if (out.genres.empty() && f.tag()) {
      if (auto g = utf8(f.tag()->genre()); !g.empty()) out.genres.push_back(g);
    }
    auto bpm = map.find("BPM");
    if (bpm != map.end() && !bpm->second.isEmpty()) out.bpm = parse_bpm(utf8(bpm->second.front()));
  } catch (const std::exception&) {
    return AudioTags{};  // TagLib itself does not throw; allocation failures on absurd tags might
  }
  return out;
}

void write_tags(const std::filesystem::path& path, const AudioTags& tags) {
  TagLib::FileRef f(path.c_str(), false);
  if (f.isNull() || !f.tag())
    throw Error(ErrorKind::Unprocessable, path.filename().string() + ": TagLib cannot open the file for its tags");
  auto map = f.file()->properties();
  auto put = [&map](const char* key, const std::string& value) {
    if (!value.empty()) map.replace(key, TagLib::StringList(TagLib::String(value, TagLib::String::UTF8)));
  };
  put("TITLE", tags.title);
  put("ARTIST", tags.artist);
  put("ALBUM", tags.album);
  if (!tags.genres.empty()) {
    TagLib::StringList list;
    for (const auto& g : tags.genres) list.append(TagLib::String(g, TagLib::String::UTF8));
    map.replace("GENRE", list);
  }
  if (tags.year) put("DATE", std::to_string(*tags.year));
  if (tags.bpm) put("BPM", std::to_string(static_cast<int>(std::lround(*tags.bpm))));
  f.file()->setProperties(map);
  if (!f.save()) throw Error(ErrorKind::Unprocessable, path.filename().string() + ": TagLib could not save the tags");
}

}  // namespace cadenza::audio
