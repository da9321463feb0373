#include "cadenza/audio/synth.hpp"

#include <fluidsynth.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>

#include "cadenza/audio/note_player.hpp"
#include "cadenza/core/error.hpp"

namespace fs = std::filesystem;

namespace cadenza::audio {
namespace {

constexpr const char* kDefaultSoundfonts[] = {"/usr/share/sounds/sf2/FluidR3_GM.sf2",
                                              "/usr/share/sounds/sf2/default-GM.sf2"};
constexpr std::size_t kMaxIdle = 4;  // pooled synths kept for reuse (~13 MB each beyond the shared samples)

// FluidSynth's log messages go to spdlog at debug level; the last error of this thread is kept, so that a
// failed load can say why.
thread_local std::string t_last_error;

void fluid_log(int level, const char* message, void*) {
  if (level <= FLUID_ERR) t_last_error = message ? message : "";
  spdlog::debug("fluidsynth: {}", message ? message : "");
}

void install_log_function() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int level : {FLUID_PANIC, FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG})
      fluid_set_log_function(level, fluid_log, nullptr);
  });
}

std::string with_reason(std::string message) {
  if (!t_last_error.empty()) message += " (" + t_last_error + ")";
  return message;
}

// What a pooled synth must match to be reused: the soundfont as it is on disk and the settings that
// FluidSynth fixes at creation. Gain, reverb and chorus are set anew on each acquire.
struct PoolKey {
  std::string soundfont;
  fs::file_time_type mtime;
  std::uintmax_t size = 0;
  int sample_rate = 0;
  int polyphony = 0;
  bool operator==(const PoolKey& o) const {
    return soundfont == o.soundfont && mtime == o.mtime && size == o.size && sample_rate == o.sample_rate &&
           polyphony == o.polyphony;
  }
};

}  // namespace

struct detail::FluidInstance {
  PoolKey key;
  fluid_settings_t* settings = nullptr;
  fluid_synth_t* synth = nullptr;
  std::uint64_t frames = 0;  // rendered so far: FluidSynth renders 64-frame blocks, buffering the rest
  FluidInstance() = default;
  FluidInstance(const FluidInstance&) = delete;
  FluidInstance& operator=(const FluidInstance&) = delete;
  ~FluidInstance() {
    if (synth) delete_fluid_synth(synth);
    if (settings) delete_fluid_settings(settings);
  }
};

namespace {

class Pool {
 public:
  std::unique_ptr<detail::FluidInstance> take(const PoolKey& key) {
    std::lock_guard lock{mutex_};
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if ((*it)->key == key) {
        auto inst = std::move(*it);
        idle_.erase(it);
        return inst;
      }
    }
    return nullptr;
  }
  void give(std::unique_ptr<detail::FluidInstance> inst) {
    std::unique_ptr<detail::FluidInstance> dropped;  // freed outside the lock
    std::lock_guard lock{mutex_};
    if (idle_.size() >= kMaxIdle) {
      dropped = std::move(idle_.front());
      idle_.erase(idle_.begin());
    }
    idle_.push_back(std::move(inst));
  }
  void clear() {
    std::vector<std::unique_ptr<detail::FluidInstance>> dropped;  // freed outside the lock
    std::lock_guard lock{mutex_};
    dropped.swap(idle_);
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<detail::FluidInstance>> idle_;
};

// Never destroyed: a Synth may be released from another static's destructor at exit.
Pool& pool() {
  static Pool* p = new Pool;
  return *p;
}

}  // namespace

void release_idle_synths() { pool().clear(); }

namespace {

void check_range(const char* what, int value, int lo, int hi) {
  if (value < lo || value > hi)
    throw Error{ErrorKind::BadRequest,
                std::string{"synth: "} + what + " " + std::to_string(value) + " is outside " + std::to_string(lo) +
                    ".." + std::to_string(hi)};
}

// A RIFF 'sfbk' file (SF2, or SF3). Checked first: FluidSynth hands other files to libinstpatch, which
// complains on stderr through glib.
bool is_sf2(const std::string& path) {
  char head[12] = {};
  std::ifstream in{path, std::ios::binary};
  in.read(head, sizeof head);
  return in.gcount() == 12 && std::memcmp(head, "RIFF", 4) == 0 && std::memcmp(head + 8, "sfbk", 4) == 0;
}

std::unique_ptr<detail::FluidInstance> create_instance(const PoolKey& key) {
  install_log_function();
  auto inst = std::make_unique<detail::FluidInstance>();
  inst->key = key;
  inst->settings = new_fluid_settings();
  if (!inst->settings) throw Error{ErrorKind::Internal, "synth: FluidSynth could not allocate its settings"};
  fluid_settings_t* s = inst->settings;
  fluid_settings_setnum(s, "synth.sample-rate", key.sample_rate);
  fluid_settings_setint(s, "synth.polyphony", key.polyphony);
  fluid_settings_setint(s, "synth.cpu-cores", 1);          // no render threads of its own
  fluid_settings_setint(s, "synth.threadsafe-api", 0);     // one owner at a time (see the header)
  fluid_settings_setint(s, "synth.lock-memory", 0);        // no mlock of 150 MB of samples
  fluid_settings_setint(s, "synth.dynamic-sample-loading", 0);
  fluid_settings_setint(s, "synth.verbose", 0);
  fluid_settings_setstr(s, "player.timing-source", "sample");  // the player advances with render()
  inst->synth = new_fluid_synth(s);
  if (!inst->synth) throw Error{ErrorKind::Internal, with_reason("synth: FluidSynth could not create a synth")};
  t_last_error.clear();
  if (!is_sf2(key.soundfont) || fluid_synth_sfload(inst->synth, key.soundfont.c_str(), 1) == FLUID_FAILED)
    throw Error{ErrorKind::Unprocessable,
                with_reason(fs::path{key.soundfont}.filename().string() + " is not a soundfont FluidSynth can load")};
  return inst;
}

}  // namespace

fs::path find_soundfont(const fs::path& explicit_path) {
  std::error_code ec;
  if (!explicit_path.empty()) {
    if (fs::is_regular_file(explicit_path, ec)) return explicit_path;
    throw Error{ErrorKind::Unavailable, "the soundfont " + explicit_path.string() +
                                            " does not exist; install fluid-soundfont-gm or configure another"};
  }
  for (const char* p : kDefaultSoundfonts)
    if (fs::is_regular_file(p, ec)) return p;  // follows default-GM.sf2's alternatives symlink
  throw Error{ErrorKind::Unavailable,
              "no General MIDI soundfont found (looked for /usr/share/sounds/sf2/FluidR3_GM.sf2 and "
              "default-GM.sf2); install fluid-soundfont-gm"};
}

Synth::Synth(const SynthOptions& options) : sample_rate_(options.sample_rate) {
  check_range("sample rate", options.sample_rate, 8000, 96000);
  check_range("polyphony", options.polyphony, 1, 65535);
  if (!(options.gain >= 0 && options.gain <= 10))
    throw Error{ErrorKind::BadRequest, "synth: gain must be within 0..10"};
  const fs::path sf = find_soundfont(options.soundfont);
  std::error_code ec;
  PoolKey key;
  key.soundfont = fs::absolute(sf, ec).lexically_normal().string();
  if (ec) key.soundfont = sf.string();
  key.mtime = fs::last_write_time(sf, ec);
  key.size = fs::file_size(sf, ec);
  key.sample_rate = options.sample_rate;
  key.polyphony = options.polyphony;

  inst_ = pool().take(key);
  if (!inst_) inst_ = create_instance(key);
  fluid_synth_set_gain(inst_->synth, float(options.gain));
  fluid_synth_reverb_on(inst_->synth, -1, options.reverb ? 1 : 0);
  fluid_synth_chorus_on(inst_->synth, -1, options.chorus ? 1 : 0);
}

Synth::~Synth() {
  if (!inst_) return;
  // Back to silence and power-on state for the next owner. fluid_synth_system_reset alone lets the voices
  // release (measured: ~0.3 s of sound after it), so: every voice cut, a block rendered for the cut to
  // take effect, then the reset (controllers, tuning; the programs by a program reset, which system_reset
  // alone leaves sounding: a violin stayed a violin). FluidSynth 2.3 does not clear the
  // reverb's delay lines, whose tail (~2e-5 RMS, halving every 0.1 s) is drained by rendering 0.5 s of
  // silence, a few milliseconds of work with no voices.
  try {
    float scratch[2 * 1024];
    fluid_synth_all_sounds_off(inst_->synth, -1);
    // Also back onto FluidSynth's 64-frame block grid: events apply at block starts, so a synth left
    // mid-block would start the next owner's notes up to 63 frames late.
    const int to_grid = int((64 - inst_->frames % 64) % 64);
    fluid_synth_write_float(inst_->synth, 64 + to_grid, scratch, 0, 2, scratch, 1, 2);
    fluid_synth_system_reset(inst_->synth);
    fluid_synth_program_reset(inst_->synth);  // system_reset keeps each channel's old preset (2.3)
    for (int i = 0; i < 24; ++i) fluid_synth_write_float(inst_->synth, 1024, scratch, 0, 2, scratch, 1, 2);
    inst_->frames = 0;  // on the grid again
    pool().give(std::move(inst_));
  } catch (...) {
    // allocation failure in the pool: the instance is freed instead
  }
}

Synth::Synth(Synth&& o) noexcept : inst_(std::move(o.inst_)), sample_rate_(o.sample_rate_) {}

Synth& Synth::operator=(Synth&& o) noexcept {
  if (this != &o) {
    Synth old{std::move(*this)};
    inst_ = std::move(o.inst_);
    sample_rate_ = o.sample_rate_;
  }
  return *this;
}

void* Synth::native_handle() const { return inst_ ? inst_->synth : nullptr; }

void Synth::note_on(int channel, int pitch, int velocity) {
  check_range("channel", channel, 0, 15);
  check_range("pitch", pitch, 0, 127);
  check_range("velocity", velocity, 0, 127);
  if (velocity == 0)
    fluid_synth_noteoff(inst_->synth, channel, pitch);
  else
    fluid_synth_noteon(inst_->synth, channel, pitch, velocity);  // fails only without a preset: silence
}

void Synth::note_off(int channel, int pitch) {
  check_range("channel", channel, 0, 15);
  check_range("pitch", pitch, 0, 127);
  fluid_synth_noteoff(inst_->synth, channel, pitch);  // FLUID_FAILED when it was not sounding: fine
}

void Synth::program_change(int channel, int program) {
  check_range("channel", channel, 0, 15);
  check_range("program", program, 0, 127);
  fluid_synth_program_change(inst_->synth, channel, program);
}

void Synth::control_change(int channel, int controller, int value) {
  check_range("channel", channel, 0, 15);
  check_range("controller", controller, 0, 127);
  check_range("controller value", value, 0, 127);
  fluid_synth_cc(inst_->synth, channel, controller, value);
}

void Synth::all_notes_off() { fluid_synth_all_notes_off(inst_->synth, -1); }

std::vector<float> Synth::render(std::size_t frames) {
  std::vector<float> out;
  render_append(frames, out);
  return out;
}

void Synth::render_append(std::size_t frames, std::vector<float>& out) {
  std::size_t at = out.size();
  out.resize(at + frames * kChannels);
  while (frames > 0) {
    const int n = int(std::min<std::size_t>(frames, 1 << 16));
    float* p = out.data() + at;
    if (fluid_synth_write_float(inst_->synth, n, p, 0, kChannels, p, 1, kChannels) != FLUID_OK)
      throw Error{ErrorKind::Internal, "synth: FluidSynth failed to render"};
    at += std::size_t(n) * kChannels;
    frames -= std::size_t(n);
    inst_->frames += std::uint64_t(n);
  }
}

namespace {
struct PlayerDeleter {
  void operator()(fluid_player_t* p) const {
    fluid_player_stop(p);
    delete_fluid_player(p);
  }
};
}  // namespace

void render_midi_file(const fs::path& mid, const PcmSink& sink, const SynthOptions& options,
                      const std::function<bool()>& cancelled) {
  const std::string name = mid.filename().string();
  std::error_code ec;
  if (!fs::is_regular_file(mid, ec)) throw Error{ErrorKind::NotFound, name + ": no such file"};
  if (!fluid_is_midifile(mid.c_str())) throw Error{ErrorKind::UnsupportedMedia, name + " is not a MIDI file"};

  Synth synth{options};
  const int rate = synth.sample_rate();
  auto* fsynth = static_cast<fluid_synth_t*>(synth.native_handle());
  std::unique_ptr<fluid_player_t, PlayerDeleter> player{new_fluid_player(fsynth)};
  if (!player) throw Error{ErrorKind::Internal, "synth: FluidSynth could not create a MIDI player"};
  t_last_error.clear();
  if (fluid_player_add(player.get(), mid.c_str()) != FLUID_OK || fluid_player_play(player.get()) != FLUID_OK)
    throw Error{ErrorKind::Unprocessable, with_reason(name + ": the MIDI player refused it")};

  // The player reads the file and sends its events from render() (sample timing). A file it cannot parse
  // ends it at once with an error logged (kept in t_last_error).
  constexpr std::size_t kBlock = 1024;
  const auto max_frames = std::int64_t(options.max_seconds * rate);
  // Pieces of ~0.5 s go to the sink (a whole number of blocks).
  const std::size_t piece_samples = std::max<std::size_t>(1, std::size_t(rate) / 2 / kBlock) * kBlock * Synth::kChannels;
  std::vector<float> out;
  out.reserve(piece_samples);
  auto hand_over = [&] {
    if (!out.empty()) sink(out.data(), out.size());
    out.clear();
  };
  std::int64_t frames = 0;
  // It stays "playing" for ~3 s after the end of the last track (waiting for releases): the music is
  // over once its tick passes the last event's, and the tail is ours.
  auto music_over = [&] {
    const int total = fluid_player_get_total_ticks(player.get());
    return total > 0 && fluid_player_get_current_tick(player.get()) >= total;
  };
  while (fluid_player_get_status(player.get()) == FLUID_PLAYER_PLAYING && !music_over()) {
    if (cancelled && cancelled()) throw Cancelled{};
    if (frames > max_frames)
      throw Error{ErrorKind::Unprocessable,
                  name + " lasts longer than the limit of " + std::to_string(int(options.max_seconds)) + " s"};
    synth.render_append(kBlock, out);
    frames += std::int64_t(kBlock);
    if (out.size() >= piece_samples) hand_over();
  }
  if (!t_last_error.empty())
    throw Error{ErrorKind::Unprocessable, with_reason(name + ": damaged MIDI file")};
  synth.all_notes_off();
  for (auto tail = std::size_t(std::max(0.0, options.tail_seconds) * rate); tail > 0;) {
    const auto n = std::min(tail, piece_samples / Synth::kChannels);
    synth.render_append(n, out);
    tail -= n;
    hand_over();
  }
  hand_over();
}

std::vector<float> render_midi_file(const fs::path& mid, const SynthOptions& options,
                                    const std::function<bool()>& cancelled) {
  std::vector<float> all;
  render_midi_file(
      mid, [&all](const float* p, std::size_t n) { all.insert(all.end(), p, p + n); }, options, cancelled);
  return all;
}

std::vector<float> render_notes(const std::vector<NoteEvent>& notes, const SynthOptions& options,
                                const std::function<bool()>& cancelled) {
  const auto events = normalized(notes);
  double end = 0;
  for (const auto& n : events) end = std::max(end, n.end);
  if (end > options.max_seconds)
    throw Error{ErrorKind::Unprocessable, "the notes last " + std::to_string(int(end)) +
                                              " s, longer than the limit of " +
                                              std::to_string(int(options.max_seconds)) + " s"};
  check_range("program", options.program, 0, 127);
  Synth synth{options};
  synth.program_change(0, options.program);
  NotePlayer player{synth, 0};
  player.add(events);
  const auto total = std::int64_t(std::ceil((end + std::max(0.0, options.tail_seconds)) * synth.sample_rate()));
  std::vector<float> out;
  out.reserve(std::size_t(total) * Synth::kChannels);
  const std::int64_t block = synth.sample_rate() / 10;
  while (player.frames_rendered() < total) {
    if (cancelled && cancelled()) throw Cancelled{};
    player.render_append(std::size_t(std::min(block, total - player.frames_rendered())), out);
  }
  return out;
}

}  // namespace cadenza::audio
