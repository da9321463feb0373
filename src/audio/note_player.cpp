#include "cadenza/audio/note_player.hpp"

#include <algorithm>
#include <cmath>

namespace cadenza::audio {

NotePlayer::NotePlayer(Synth& synth, int channel)
    : synth_(&synth), channel_(channel), rate_(synth.sample_rate()) {
  synth.note_off(channel, 0);  // checks the channel now rather than at the first note
}

void NotePlayer::add(const NoteEvent& note) {
  if (note.pitch < 0 || note.pitch > 127 || !(note.end > note.start)) return;
  const std::int64_t on = std::max(now_, std::int64_t(std::llround(note.start * rate_)));
  const std::int64_t off = std::max(on + 1, std::int64_t(std::llround(note.end * rate_)));
  const int velocity = std::clamp(midi_velocity(note.velocity), 1, 127);
  events_.push(Event{on, 1, seq_++, note.pitch, velocity});
  events_.push(Event{off, 0, seq_++, note.pitch, 0});
  last_end_ = std::max(last_end_, note.end);
}

void NotePlayer::add(const std::vector<NoteEvent>& notes) {
  for (const auto& n : notes) add(n);
}

std::vector<float> NotePlayer::render(std::size_t frames) {
  std::vector<float> out;
  render_append(frames, out);
  return out;
}

void NotePlayer::render_append(std::size_t frames, std::vector<float>& out) {
  out.reserve(out.size() + frames * Synth::kChannels);
  const std::int64_t target = now_ + std::int64_t(frames);
  while (now_ < target) {
    while (!events_.empty() && events_.top().frame <= now_) {
      const Event e = events_.top();
      events_.pop();
      if (e.velocity > 0)
        synth_->note_on(channel_, e.pitch, e.velocity);
      else
        synth_->note_off(channel_, e.pitch);
    }
    const std::int64_t next = events_.empty() ? target : std::min(target, events_.top().frame);
    synth_->render_append(std::size_t(next - now_), out);
    now_ = next;
  }
}

std::vector<float> NotePlayer::render_until(double seconds) {
  const auto until = std::int64_t(std::llround(seconds * rate_));
  return until > now_ ? render(std::size_t(until - now_)) : std::vector<float>{};
}

}  // namespace cadenza::audio
