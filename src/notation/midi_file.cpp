#include "cadenza/notation/midi_file.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <tuple>

#include "cadenza/core/error.hpp"

namespace cadenza::notation {

namespace {

class Reader {
 public:
  Reader(const std::vector<uint8_t>& b, size_t pos, size_t end) : b_(b), pos_(pos), end_(end) {}
  bool done() const { return pos_ >= end_; }
  size_t pos() const { return pos_; }
  uint8_t u8() {
    if (pos_ >= end_) throw Error{ErrorKind::BadRequest, "MIDI file is truncated"};
    return b_[pos_++];
  }
  uint8_t peek() const {
    if (pos_ >= end_) throw Error{ErrorKind::BadRequest, "MIDI file is truncated"};
    return b_[pos_];
  }
  uint32_t be(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | u8();
    return v;
  }
  uint32_t vlq() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const uint8_t c = u8();
      v = (v << 7) | (c & 0x7f);
      if (!(c & 0x80)) return v;
    }
    throw Error{ErrorKind::BadRequest, "MIDI file has a malformed variable-length number"};
  }
  void skip(size_t n) {
    if (n > end_ - pos_) throw Error{ErrorKind::BadRequest, "MIDI file is truncated"};
    pos_ += n;
  }

 private:
  const std::vector<uint8_t>& b_;
  size_t pos_, end_;
};

void put_be(std::vector<uint8_t>& out, uint32_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}

void put_vlq(std::vector<uint8_t>& out, uint32_t v) {
  uint8_t buf[5];
  int n = 0;
  buf[n++] = v & 0x7f;
  while (v >>= 7) buf[n++] = static_cast<uint8_t>((v & 0x7f) | 0x80);
  while (n) out.push_back(buf[--n]);
}

struct TrackEvent {
  int64_t tick;
  int order;  // at one tick, lower first (stable otherwise)
  std::vector<uint8_t> data;
};

std::vector<uint8_t> track_chunk(std::vector<TrackEvent> events) {
  std::stable_sort(events.begin(), events.end(), [](const TrackEvent& a, const TrackEvent& b) {
    return a.tick != b.tick ? a.tick < b.tick : a.order < b.order;
  });
  std::vector<uint8_t> body;
  int64_t last = 0;
  for (const auto& e : events) {
    put_vlq(body, static_cast<uint32_t>(e.tick - last));
    last = e.tick;
    body.insert(body.end(), e.data.begin(), e.data.end());
  }
  put_vlq(body, 0);
  body.insert(body.end(), {0xff, 0x2f, 0x00});
  std::vector<uint8_t> chunk = {'M', 'T', 'r', 'k'};
  put_be(chunk, static_cast<uint32_t>(body.size()), 4);
  chunk.insert(chunk.end(), body.begin(), body.end());
  return chunk;
}

// A type 1 file of the given track chunks.
std::vector<uint8_t> smf(int ppq, const std::vector<std::vector<uint8_t>>& chunks) {
  std::vector<uint8_t> out = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1};
  put_be(out, static_cast<uint32_t>(chunks.size()), 2);
  put_be(out, static_cast<uint32_t>(ppq), 2);
  for (const auto& c : chunks) out.insert(out.end(), c.begin(), c.end());
  return out;
}

TrackEvent meta(int64_t tick, uint8_t type, const std::string& payload) {
  TrackEvent e{tick, 0, {0xff, type}};
  put_vlq(e.data, static_cast<uint32_t>(payload.size()));
  e.data.insert(e.data.end(), payload.begin(), payload.end());
  return e;
}

}  // namespace

double MidiFile::seconds_at(int64_t tick) const {
  double seconds = 0;
  int64_t at = 0;
  int us = 500000;
  for (const auto& t : tempos) {
    if (t.tick >= tick) break;
    seconds += static_cast<double>(t.tick - at) * us / 1e6 / ppq;
    at = t.tick;
    us = t.us_per_quarter;
  }
  return seconds + static_cast<double>(tick - at) * us / 1e6 / ppq;
}

std::vector<NoteEvent> MidiFile::events() const {
  std::vector<NoteEvent> out;
  for (const auto& n : notes)
    if (n.channel != 9) out.push_back({n.pitch, n.start, n.end, n.velocity / 127.0, {}});
  return out;
}

MidiFile parse_midi(const std::vector<uint8_t>& bytes) {
  if (bytes.size() < 14 || !std::equal(bytes.begin(), bytes.begin() + 4, "MThd"))
    throw Error{ErrorKind::UnsupportedMedia, "not a Standard MIDI File (no MThd header)"};
  Reader head(bytes, 4, bytes.size());
  const uint32_t hlen = head.be(4);
  MidiFile file;
  file.format = static_cast<int>(head.be(2));
  const int ntracks = static_cast<int>(head.be(2));
  const uint32_t division = head.be(2);
  if (division & 0x8000) throw Error{ErrorKind::UnsupportedMedia, "SMPTE-timed MIDI files are not supported"};
  if (division == 0) throw Error{ErrorKind::BadRequest, "MIDI file has zero ticks per quarter"};
  file.ppq = static_cast<int>(division);
  size_t pos = 8 + hlen;
  for (int t = 0; t < ntracks && pos + 8 <= bytes.size(); ++t) {
    Reader chunk(bytes, pos, bytes.size());
    const bool is_track = std::equal(bytes.begin() + pos, bytes.begin() + pos + 4, "MTrk");
    chunk.skip(4);
    const uint32_t len = chunk.be(4);
    const size_t body = pos + 8;
    if (len > bytes.size() - body) throw Error{ErrorKind::BadRequest, "MIDI track chunk is truncated"};
    pos = body + len;
    if (!is_track) {
      --t;
      continue;
    }
    Reader r(bytes, body, body + len);
    int64_t tick = 0;
    uint8_t status = 0;
    std::map<std::pair<int, int>, std::vector<size_t>> open;  // (channel, pitch) -> note indices
    while (!r.done()) {
      tick += r.vlq();
      uint8_t b = r.peek();
      if (b & 0x80) {
        status = b;
        r.u8();
      } else if (status == 0 || status >= 0xf0) {
        throw Error{ErrorKind::BadRequest, "MIDI data byte without a status"};
      }
      if (status == 0xff) {
        const uint8_t type = r.u8();
        const uint32_t n = r.vlq();
        std::vector<uint8_t> data;
        for (uint32_t i = 0; i < n; ++i) data.push_back(r.u8());
        if (type == 0x51 && n == 3) file.tempos.push_back({tick, (data[0] << 16) | (data[1] << 8) | data[2]});
        else if (type == 0x58 && n >= 2) file.meters.push_back({tick, data[0], 1 << std::min<int>(data[1], 6)});
        else if (type == 0x59 && n == 2) file.keys.push_back({tick, static_cast<int8_t>(data[0]), data[1] != 0});
        else if (type == 0x03 && file.title.empty() && n > 0) file.title.assign(data.begin(), data.end());
        else if (type == 0x2f) break;
        status = 0;
        continue;
      }
      if (status == 0xf0 || status == 0xf7) {
        r.skip(r.vlq());
        status = 0;
        continue;
      }
      const int kind = status & 0xf0, ch = status & 0x0f;
      const int d1 = r.u8();
      const int d2 = (kind == 0xc0 || kind == 0xd0) ? 0 : r.u8();
      if (kind == 0x90 && d2 > 0) {
        open[{ch, d1}].push_back(file.notes.size());
        file.notes.push_back({d1, d2, ch, t, tick, tick, 0, 0});
      } else if (kind == 0x80 || (kind == 0x90 && d2 == 0)) {
        auto& v = open[{ch, d1}];
        if (!v.empty()) {
          file.notes[v.front()].end_tick = tick;
          v.erase(v.begin());
        }
      }
    }
    for (auto& [key, v] : open)
      for (size_t i : v) file.notes[i].end_tick = tick;
  }
  std::stable_sort(file.tempos.begin(), file.tempos.end(), [](const auto& a, const auto& b) { return a.tick < b.tick; });
  std::erase_if(file.notes, [](const MidiNote& n) { return n.end_tick <= n.start_tick; });
  for (auto& n : file.notes) {
    n.start = file.seconds_at(n.start_tick);
    n.end = file.seconds_at(n.end_tick);
  }
  std::sort(file.notes.begin(), file.notes.end(), [](const MidiNote& a, const MidiNote& b) {
    return a.start_tick != b.start_tick ? a.start_tick < b.start_tick : a.pitch < b.pitch;
  });
  return file;
}

MidiFile read_midi_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error{ErrorKind::NotFound, "cannot read " + path};
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_midi(bytes);
}

std::vector<uint8_t> to_midi(const Score& score) {
  constexpr int ppq = 480;
  constexpr int scale = ppq / kDivisions;
  std::vector<TrackEvent> conductor;
  conductor.push_back(meta(0, 0x03, score.title.empty() ? "Untitled" : score.title));
  if (!score.composer.empty()) conductor.push_back(meta(0, 0x02, "Composer: " + score.composer));
  if (!score.arranger.empty()) conductor.push_back(meta(0, 0x01, "Arranger: " + score.arranger));
  int denom_log = 0;
  while ((1 << denom_log) < score.time.beat_type) ++denom_log;
  const uint8_t clocks = static_cast<uint8_t>(score.time.compound() ? 36 : 24 * 4 / score.time.beat_type);
  conductor.push_back({0, 0, {0xff, 0x58, 0x04, static_cast<uint8_t>(score.time.beats), static_cast<uint8_t>(denom_log), clocks, 8}});
  for (const auto& k : score.keys) {
    const int64_t at = k.measure < static_cast<int>(score.measures.size()) ? score.measures[k.measure].start : 0;
    conductor.push_back({at * scale, 0, {0xff, 0x59, 0x02, static_cast<uint8_t>(static_cast<int8_t>(k.key.fifths)), static_cast<uint8_t>(k.key.minor)}});
  }
  for (const auto& t : score.tempos) {
    const uint32_t us = static_cast<uint32_t>(std::lround(60e6 / std::max(1.0, t.bpm)));
    conductor.push_back({t.at * scale, 0, {0xff, 0x51, 0x03, static_cast<uint8_t>(us >> 16), static_cast<uint8_t>(us >> 8), static_cast<uint8_t>(us)}});
  }
  std::vector<std::vector<uint8_t>> chunks = {track_chunk(conductor)};
  for (int staff = 1; staff <= 2; ++staff) {
    std::vector<TrackEvent> ev;
    ev.push_back(meta(0, 0x03, staff == 1 ? "Right hand" : "Left hand"));
    const uint8_t ch = static_cast<uint8_t>(staff - 1);
    ev.push_back({0, 0, {static_cast<uint8_t>(0xc0 | ch), 0}});
    for (const auto& n : score.notes) {
      if (n.staff != staff) continue;
      const uint8_t p = static_cast<uint8_t>(n.pitch), v = static_cast<uint8_t>(std::clamp(n.velocity, 1, 127));
      ev.push_back({n.onset * scale, 1, {static_cast<uint8_t>(0x90 | ch), p, v}});
      ev.push_back({(n.onset + n.duration) * scale, 0, {static_cast<uint8_t>(0x80 | ch), p, 0}});
    }
    chunks.push_back(track_chunk(ev));
  }
  return smf(ppq, chunks);
}

std::vector<uint8_t> to_midi(const std::vector<NoteEvent>& notes_in, const NotesMidiOptions& options) {
  constexpr int ppq = 220;        // pretty_midi's default resolution
  const auto program = uint8_t(std::clamp(options.program, 0, 127));
  constexpr int bend_zero = 8192;
  const double tempo_bpm = options.tempo_bpm > 0 ? options.tempo_bpm : 120.0;
  const double ticks_per_second = ppq * tempo_bpm / 60.0;
  auto tick = [&](double s) { return int64_t(std::max(0.0, std::nearbyint(s * ticks_per_second))); };

  // drop_overlapping_pitch_bends: sorted by (start, end, pitch, ...), any two notes overlapping in
  // time lose their bends.
  std::vector<NoteEvent> notes = notes_in;
  std::stable_sort(notes.begin(), notes.end(), [](const NoteEvent& a, const NoteEvent& b) {
    return std::tie(a.start, a.end, a.pitch, a.velocity) < std::tie(b.start, b.end, b.pitch, b.velocity);
  });
  if (!options.multiple_pitch_bends) {
    std::vector<bool> drop(notes.size(), false);
    for (size_t i = 0; i + 1 < notes.size(); ++i)
      for (size_t j = i + 1; j < notes.size(); ++j) {
        if (notes[j].start >= notes[i].end) break;
        drop[i] = drop[j] = true;
      }
    for (size_t i = 0; i < notes.size(); ++i)
      if (drop[i]) notes[i].bends.clear();
  }

  // One instrument (channel 0) or, with multiple_pitch_bends, one per pitch on its own channel. Order at
  // one tick: bends, note-offs, note-ons.
  std::map<int, std::vector<TrackEvent>> tracks;
  std::map<int, uint8_t> channels;  // track key -> MIDI channel (drums' channel 9 skipped)
  for (const auto& n : notes) {
    const int key = options.multiple_pitch_bends ? n.pitch : 0;
    auto& ev = tracks[key];
    if (!channels.count(key)) {
      const int next = int(channels.size()) % 15;
      channels[key] = uint8_t(next >= 9 ? next + 1 : next);
    }
    const uint8_t ch = channels[key];
    if (ev.empty()) ev.push_back({0, 0, {uint8_t(0xc0 | ch), program}});
    const auto vel = uint8_t(midi_velocity(n.velocity));
    const auto pitch = uint8_t(std::clamp(n.pitch, 0, 127));
    ev.push_back({tick(n.start), 2, {uint8_t(0x90 | ch), pitch, vel}});
    ev.push_back({std::max(tick(n.end), tick(n.start)), 1, {uint8_t(0x80 | ch), pitch, 0}});
    const size_t nb = n.bends.size();
    for (size_t i = 0; i < nb; ++i) {
      const double t = nb == 1 ? n.start : n.start + (n.end - n.start) * double(i) / double(nb - 1);
      const int bend = std::clamp(int(std::nearbyint(n.bends[i] * 4096.0 / 3.0)), -bend_zero, bend_zero - 1);
      const int v = bend + bend_zero;
      ev.push_back({tick(t), 0, {uint8_t(0xe0 | ch), uint8_t(v & 0x7f), uint8_t((v >> 7) & 0x7f)}});
    }
  }

  const auto us = uint32_t(std::nearbyint(60e6 / tempo_bpm));
  int denominator_log2 = 0;
  while ((1 << (denominator_log2 + 1)) <= std::max(1, options.time.beat_type)) ++denominator_log2;
  std::vector<TrackEvent> meta = {
      {0, 0, {0xff, 0x51, 0x03, uint8_t(us >> 16), uint8_t(us >> 8), uint8_t(us)}},
      {0, 0, {0xff, 0x58, 0x04, uint8_t(std::clamp(options.time.beats, 1, 255)), uint8_t(denominator_log2), 0x18, 0x08}}};
  if (options.key)
    meta.push_back({0, 0, {0xff, 0x59, 0x02, uint8_t(int8_t(std::clamp(options.key->fifths, -7, 7))),
                           uint8_t(options.key->minor ? 1 : 0)}});
  std::vector<std::vector<uint8_t>> chunks = {track_chunk(std::move(meta))};
  for (auto& [key, ev] : tracks) chunks.push_back(track_chunk(std::move(ev)));
  return smf(ppq, chunks);
}

}  // namespace cadenza::notation
