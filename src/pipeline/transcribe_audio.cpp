#include "cadenza/pipeline/transcribe_audio.hpp"

#include <chrono>

#include "cadenza/audio/load.hpp"
#include "cadenza/transcribe/notes_json.hpp"
#include "steps.hpp"

namespace cadenza::pipeline {

void validate(const TranscribeOptions& options) {
  Validation v;
  transcribe::validate(options.notes, v);
  const double tempo = options.midi.tempo_bpm;
  if (!(tempo > 0 && tempo < 1000)) v.fail("midi_tempo", "must be between 0 and 1000 BPM");
  v.throw_if_failed("Invalid transcription options");
}

TranscribeResult transcribe_audio(const transcribe::Transcriber& transcriber, const std::filesystem::path& audio,
                                  const TranscribeOptions& options, const Hooks& hooks) {
  validate(options);
  const auto t0 = std::chrono::steady_clock::now();
  Steps steps{hooks};
  steps.report(0.0, "decoding");
  constexpr int rate = transcribe::Transcriber::kSampleRate;
  const auto mono = audio::load_mono(audio, rate, options.limits);
  TranscribeResult r;
  r.audio_seconds = double(mono.size()) / rate;
  r.notes = transcriber.run(mono, options.notes, steps.span(0.05, 0.95), steps.cancelled()).notes;
  if (!options.out_dir.empty()) {
    steps.report(0.95, "writing");
    const auto& dir = options.out_dir;
    if (options.write_midi) write_output(dir, "notes.mid", notation::to_midi(r.notes, options.midi), r.files);
    if (options.write_json) write_output(dir, "notes.json", transcribe::notes_to_json(r.notes) + "\n", r.files);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  steps.report(1.0, "done");
  return r;
}

TranscribeResult transcribe_audio(const transcribe::TranscriberOptions& model, const std::filesystem::path& audio,
                                  const TranscribeOptions& options, const Hooks& hooks) {
  return transcribe_audio(load_transcriber(model, options, hooks), audio, options, hooks);
}

}  // namespace cadenza::pipeline
