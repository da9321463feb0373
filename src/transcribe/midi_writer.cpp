#include "cadenza/transcribe/midi_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <tuple>

namespace cadenza::transcribe {
namespace {

constexpr int kTicksPerBeat = 220;  // pretty_midi's default resolution
constexpr int kProgram = 4;         // Electric Piano 1
constexpr int kBendRange = 8192;

struct Event {
  std::uint32_t tick;
  int order;  // at equal ticks: bends and note-offs before note-ons
  std::string bytes;
};

void put_varlen(std::string& out, std::uint32_t v) {
  char buf[5];
  int n = 0;
  buf[n++] = char(v & 0x7F);
  while ((v >>= 7) != 0) buf[n++] = char(0x80 | (v & 0x7F));
  while (n > 0) out.push_back(buf[--n]);
}

void put_be(std::string& out, std::uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(char((v >> (8 * i)) & 0xFF));
}

std::string track_chunk(std::vector<Event> events) {
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return std::tie(a.tick, a.order) < std::tie(b.tick, b.order); });
  std::string body;
  std::uint32_t last = 0;
  for (const auto& e : events) {
    put_varlen(body, e.tick - last);
    body += e.bytes;
    last = e.tick;
  }
  put_varlen(body, 0);
  body += std::string{"\xFF\x2F\x00", 3};
  std::string chunk = "MTrk";
  put_be(chunk, std::uint32_t(body.size()), 4);
  return chunk + body;
}

std::string bytes3(int a, int b, int c) { return std::string{char(a), char(b), char(c)}; }

}  // namespace

std::string to_midi(const std::vector<NoteEvent>& notes_in, double tempo_bpm, bool multiple_pitch_bends) {
  if (!(tempo_bpm > 0)) tempo_bpm = 120.0;
  const double ticks_per_second = kTicksPerBeat * tempo_bpm / 60.0;
  auto tick = [&](double s) { return std::uint32_t(std::max(0.0, std::nearbyint(s * ticks_per_second))); };

  // drop_overlapping_pitch_bends: sorted by (start, end, pitch, ...), any two notes overlapping in
  // time lose their bends.
  std::vector<NoteEvent> notes = notes_in;
  std::stable_sort(notes.begin(), notes.end(), [](const NoteEvent& a, const NoteEvent& b) {
    return std::tie(a.start, a.end, a.pitch, a.velocity) < std::tie(b.start, b.end, b.pitch, b.velocity);
  });
  if (!multiple_pitch_bends) {
    std::vector<bool> drop(notes.size(), false);
    for (std::size_t i = 0; i + 1 < notes.size(); ++i)
      for (std::size_t j = i + 1; j < notes.size(); ++j) {
        if (notes[j].start >= notes[i].end) break;
        drop[i] = drop[j] = true;
      }
    for (std::size_t i = 0; i < notes.size(); ++i)
      if (drop[i]) notes[i].bends.clear();
  }

  // One instrument (channel 0) or, with multiple_pitch_bends, one per pitch on its own channel.
  std::map<int, std::vector<Event>> tracks;
  std::map<int, int> channels;  // track key -> MIDI channel (drums' channel 9 skipped)
  for (const auto& n : notes) {
    const int key = multiple_pitch_bends ? n.pitch : 0;
    auto& ev = tracks[key];
    if (!channels.count(key)) {
      const int next = int(channels.size()) % 15;
      channels[key] = next >= 9 ? next + 1 : next;
    }
    const int ch = channels[key];
    if (ev.empty()) ev.push_back({0, 0, std::string{char(0xC0 | ch), char(kProgram)}});
    const int vel = midi_velocity(n.velocity);
    const int pitch = std::clamp(n.pitch, 0, 127);
    ev.push_back({tick(n.start), 2, bytes3(0x90 | ch, pitch, vel)});
    ev.push_back({std::max(tick(n.end), tick(n.start)), 1, bytes3(0x80 | ch, pitch, 0)});
    const std::size_t nb = n.bends.size();
    for (std::size_t i = 0; i < nb; ++i) {
      const double t = nb == 1 ? n.start : n.start + (n.end - n.start) * double(i) / double(nb - 1);
      int v = int(std::nearbyint(n.bends[i] * 4096.0 / 3.0));
      v = std::clamp(v, -kBendRange, kBendRange - 1) + kBendRange;
      ev.push_back({tick(t), 0, bytes3(0xE0 | ch, v & 0x7F, (v >> 7) & 0x7F)});
    }
  }

  std::string out = "MThd";
  put_be(out, 6, 4);
  put_be(out, 1, 2);
  put_be(out, std::uint32_t(tracks.size() + 1), 2);
  put_be(out, kTicksPerBeat, 2);
  const auto us_per_beat = std::uint32_t(std::nearbyint(60e6 / tempo_bpm));
  std::string tempo{"\xFF\x51\x03", 3};
  put_be(tempo, us_per_beat, 3);
  out += track_chunk({{0, 0, tempo}, {0, 0, std::string{"\xFF\x58\x04\x04\x02\x18\x08", 7}}});
  for (auto& [key, ev] : tracks) out += track_chunk(std::move(ev));
  return out;
}

}  // namespace cadenza::transcribe
