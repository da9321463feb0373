#pragma once
// Synth: General MIDI synthesis with FluidSynth (a soundfont, no audio or MIDI drivers: it only renders
// into buffers), for two users: the conversion job renders an engraved arrangement's score.mid to audio
// (render_midi_file), and the streaming generator holds one Synth per stream and renders it chunk by chunk
// while notes arrive (note_on / note_off / render, or a NotePlayer on top of it), held notes carrying
// across chunks. Output is interleaved stereo float at 48 kHz by default (what Opus wants).
//
// The soundfont is loaded once per process and shared. Measured with FluidR3_GM.sf2 (148 MB) on the dev
// machine: the first load reads all samples into memory, 0.47 s from a cold page cache (0.16-0.22 s warm),
// and costs ~160 MB; FluidSynth 2.x keeps loaded sample data in a process-wide, mutex-guarded cache keyed
// by file, so a second synth that loads the same file while the first one is alive shares the samples:
// ~0.07-0.1 s (parsing the preset tables) and ~13 MB. On top of that, a Synth that is destroyed is not
// freed: its fluid_synth goes back to a small process-wide pool (voices cut, the reverb tail drained,
// programs and controllers reset, back on FluidSynth's 64-frame block grid) and the next Synth with the
// same soundfont, sample rate and polyphony takes it in ~0.2 ms. A reused synth sounds like a fresh one
// (correlation > 0.99), though not bit for bit: the reverb's modulation phase runs on. So the soundfont stays resident (~160 MB + ~13 MB per pooled
// synth) from the first Synth to the end of the process, and a stream starts without a load. Sharing one
// fluid_sfont_t between synths (a custom fluid_sfloader) was rejected: voices bump the samples' plain-int
// refcounts, which would race between threads.
//
// Thread-safety: one Synth is used by one thread at a time (FluidSynth's own API lock is off); different
// Synths may render on different threads at once. The pool and FluidSynth's sample cache are locked.
// FluidSynth's log output goes to spdlog at debug level.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "cadenza/core/note_event.hpp"

namespace cadenza::audio {

// The soundfont a Synth loads: `explicit_path` when given (it must exist), else Debian's
// fluid-soundfont-gm (/usr/share/sounds/sf2/FluidR3_GM.sf2), else /usr/share/sounds/sf2/default-GM.sf2.
// Throws Error(Unavailable) naming what it looked for and saying to install fluid-soundfont-gm.
std::filesystem::path find_soundfont(const std::filesystem::path& explicit_path = {});

struct SynthOptions {
  std::filesystem::path soundfont;  // empty: find_soundfont()'s default
  int sample_rate = 48000;          // 8000..96000
  int polyphony = 256;              // voices; the oldest are stolen past it
  double gain = 0.5;                // FluidSynth's master gain (its default 0.2 is quiet for one piano)
  bool reverb = true;               // FluidSynth's default room, modest
  bool chorus = false;
  // render_midi_file / render_notes only:
  double tail_seconds = 1.0;        // rendered after the last event, for releases and reverb to fade
  double max_seconds = 30 * 60.0;   // longest music (before the tail); longer input: Error(Unprocessable)
  int program = 0;                  // render_notes' GM program (0: Acoustic Grand Piano)
};

// Thrown by render_midi_file / render_notes when their cancellation check returns true.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

namespace detail {
struct FluidInstance;  // a fluid_synth with its settings and loaded soundfont (synth.cpp)
}

class Synth {
 public:
  static constexpr int kChannels = 2;  // render() output is interleaved L, R

  // Loads (or takes from the pool) a synth with the options' soundfont. Error(Unavailable) when there is
  // no soundfont, Error(Unprocessable) when the file is not a soundfont FluidSynth can load.
  explicit Synth(const SynthOptions& options = {});
  ~Synth();  // returns the fluid_synth to the pool
  Synth(Synth&&) noexcept;
  Synth& operator=(Synth&&) noexcept;  // a moved-from Synth may only be destroyed or assigned to
  Synth(const Synth&) = delete;
  Synth& operator=(const Synth&) = delete;

  int sample_rate() const { return sample_rate_; }

  // MIDI messages, applied at the start of the next render. channel 0..15 (9 is GM percussion),
  // pitch 0..127, velocity 0..127 (0 is a note off), program 0..127, controller/value 0..127; out of
  // range: Error(BadRequest). A note_off for a note that is not sounding is ignored.
  void note_on(int channel, int pitch, int velocity);
  void note_off(int channel, int pitch);
  void program_change(int channel, int program);
  void control_change(int channel, int controller, int value);  // e.g. 64 sustain pedal, 7 volume
  void all_notes_off();  // releases every sounding note on every channel (they fade, not cut)

  // Renders `frames` frames: 2 * frames floats, interleaved stereo. Notes carry across calls.
  std::vector<float> render(std::size_t frames);
  // The same, appended to `out`.
  void render_append(std::size_t frames, std::vector<float>& out);

  // The underlying fluid_synth_t* (for render_midi_file's fluid_player); valid while this Synth lives.
  void* native_handle() const;

 private:
  std::unique_ptr<detail::FluidInstance> inst_;
  int sample_rate_ = 0;
};

// Frees the pooled synths that no Synth is using; the soundfont's samples go with the last of them (~160 MB).
// For a process that renders now and then (the conversion job, between two renderings): the next Synth
// loads the soundfont again (~0.2 s from a warm page cache) instead of keeping it resident.
void release_idle_synths();

// Takes rendered audio piece by piece: `samples` interleaved stereo floats (whole frames, about 0.5 s).
using PcmSink = std::function<void(const float* interleaved, std::size_t samples)>;

// Renders a whole Standard MIDI File (all tracks, tempo map, program changes, controllers, pitch bend;
// FluidSynth's MIDI player) followed by options.tail_seconds, interleaved stereo at options.sample_rate,
// handing it to `sink` as it goes: memory stays at one piece whatever the length (a 10-minute score is
// ~230 MB of float PCM held whole). Errors: NotFound (no such file), UnsupportedMedia (not a MIDI file),
// Unprocessable (damaged, or music longer than options.max_seconds, detected while rendering),
// Unavailable (no soundfont); what the sink throws ends the rendering. `cancelled` is polled every
// ~0.02 s of audio; once it returns true, Cancelled is thrown.
void render_midi_file(const std::filesystem::path& mid, const PcmSink& sink, const SynthOptions& options = {},
                      const std::function<bool()>& cancelled = {});
// The same, collected into one buffer.
std::vector<float> render_midi_file(const std::filesystem::path& mid, const SynthOptions& options = {},
                                    const std::function<bool()>& cancelled = {});

// Renders note events (seconds from 0) on channel 0 with options.program, followed by the tail: the
// output lasts max(end) + tail_seconds. Velocities map through midi_velocity; pitch bends are ignored.
// Invalid events (bad pitch, end <= start) are dropped as normalized() drops them. Errors as above.
std::vector<float> render_notes(const std::vector<NoteEvent>& notes, const SynthOptions& options = {},
                                const std::function<bool()>& cancelled = {});

}  // namespace cadenza::audio
