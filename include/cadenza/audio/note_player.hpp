#pragma once
// NotePlayer: plays NoteEvents on a Synth at the sample they fall on and renders the result in pieces of
// the caller's choosing, for the streaming generator (notes are added while they are generated; each
// ~0.5 s chunk is rendered once; a note held past a chunk's end keeps sounding into the next) and for
// render_notes. Times are seconds on the stream's clock, 0 = the first frame this player rendered.
// FluidSynth applies events at its 64-frame block boundaries, so onsets land within 1.3 ms at 48 kHz.
#include <cstddef>
#include <cstdint>
#include <queue>
#include <vector>

#include "cadenza/audio/synth.hpp"
#include "cadenza/core/note_event.hpp"

namespace cadenza::audio {

class NotePlayer {
 public:
  // Plays on `synth`'s `channel` (the synth must outlive the player).
  explicit NotePlayer(Synth& synth, int channel = 0);

  // Schedules a note (its pitch must be 0..127 and end > start, else it is ignored). An onset before
  // position() sounds at the start of the next render, its end stays where it was.
  void add(const NoteEvent& note);
  void add(const std::vector<NoteEvent>& notes);

  // Renders `frames` more frames (interleaved stereo), starting and stopping notes on their frames.
  std::vector<float> render(std::size_t frames);
  void render_append(std::size_t frames, std::vector<float>& out);
  // Renders up to `seconds` on the stream's clock (nothing when it is not past position()).
  std::vector<float> render_until(double seconds);

  std::int64_t frames_rendered() const { return now_; }
  double position() const { return double(now_) / rate_; }
  double last_end() const { return last_end_; }  // the latest end of any note added, seconds
  bool pending() const { return !events_.empty(); }  // note ons or offs still to come

 private:
  struct Event {
    std::int64_t frame;
    int order;  // offs (0) before ons (1) on the same frame, then by insertion
    std::int64_t seq;
    int pitch;
    int velocity;
    bool operator>(const Event& o) const {
      if (frame != o.frame) return frame > o.frame;
      if (order != o.order) return order > o.order;
      return seq > o.seq;
    }
  };
  Synth* synth_;
  int channel_;
  int rate_;
  std::int64_t now_ = 0;
  std::int64_t seq_ = 0;
  double last_end_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
};

}  // namespace cadenza::audio
